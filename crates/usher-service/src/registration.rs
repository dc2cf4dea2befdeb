//! Sponsored registration: the one gate every account-creating path uses.

use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use usher_core::generate;
use usher_core::rules::{RuleId, Violation};
use usher_core::sponsorship::{Denial, GroupStanding, SponsorFacts, SponsorshipPolicy};
use usher_core::username::normalize;
use usher_core::{Error, ErrorCode, Message};
use usher_store::{
    AccountDataUpdate, AccountState, AuditRecord, IdempotencyRecord, IdempotentResponse, RegistrationCommit,
    SponsorLink, SponsorMethod, SponsoredRegistration, StoreError, UserRecord, WriteBatch,
};

use crate::credentials::{hash_password, sha256_hex};
use crate::events::user_level;
use crate::rooms::{build_room, new_event, CreateRoomRequest, RoomPlan};
use crate::store_error::db;
use crate::{ids, now_ms, Caller, Services};

/// Maximum `note` length, in characters.
pub const MAX_NOTE_CHARS: usize = 500;
/// Maximum `Idempotency-Key` length, in bytes.
pub const MAX_IDEMPOTENCY_KEY_BYTES: usize = 255;
/// Maximum display name length, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 256;
/// Maximum number of groups one registration may join.
pub const MAX_GROUPS: usize = 100;
/// How long an `Idempotency-Key` replays its first response, in ms (24 hours).
pub const IDEMPOTENCY_KEY_TTL_MS: i64 = 24 * 60 * 60 * 1000;
/// Attempts at a free generated account name before giving up.
const GENERATED_NAME_ATTEMPTS: usize = 8;

/// The `POST /_usher/v1/registrations` body; every field is optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegistrationRequest {
    pub username: Option<String>,
    pub password: Option<String>,
    pub display_name: Option<String>,
    /// Room ids or aliases the account joins.
    pub groups: Vec<String>,
    /// Create a direct chat between the sponsor and the new account.
    pub open_direct_chat: bool,
    pub note: Option<String>,
}

/// The 201 body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RegistrationResponse {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_password: Option<String>,
    pub must_change_password: bool,
    pub groups: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direct_chat: Option<String>,
    pub sponsor: String,
    pub created_at: i64,
}

/// Purpose string of the derived RNG for idempotent generated passwords.
const PASSWORD_DERIVATION: &str = "usher/registration/initial-password/v1";

fn denial_error(denial: Denial) -> Error {
    match denial {
        Denial::Pending => Error::forbidden(Message::PendingCannotSponsor),
        Denial::NotASponsor => Error::forbidden(Message::NotASponsor),
        Denial::GroupNotAllowed { group } => Error::forbidden(Message::GroupNotAllowed { group }),
    }
}

impl Services {
    fn sponsorship_policy(&self) -> SponsorshipPolicy {
        let s = &self.settings().sponsorship;
        SponsorshipPolicy {
            group_admin_level: s.group_admin_level,
            group_admin_quota: s.group_admin_quota,
            group_admins_may_sponsor: s.group_admins_may_sponsor,
        }
    }

    /// Registers an account on behalf of `caller`.
    ///
    /// Order: field limits, idempotent replay, groups (404 before 403), the
    /// sponsor's authority, every rule at once, then one store transaction
    /// that also enforces the quota. Returns the response and whether it is
    /// a replay.
    pub async fn register(
        &self,
        caller: &Caller,
        request: RegistrationRequest,
        idempotency_key: Option<&str>,
    ) -> Result<(RegistrationResponse, bool), Error> {
        check_field_limits(&request, idempotency_key)?;

        let request_hash = sha256_hex(serde_json::to_string(&request).unwrap_or_default().as_bytes());
        if let Some(key) = idempotency_key {
            let stored = self.store().idempotent_response(&caller.user_id, key).await.map_err(db)?;
            if let Some(stored) = stored.filter(|s| s.created_at >= now_ms() - IDEMPOTENCY_KEY_TTL_MS) {
                return Ok((self.replay(caller, key, &request_hash, stored)?, true));
            }
        }

        let groups = self.resolve_groups(&request.groups).await?;
        let quota = self.authorize_sponsor(caller, &groups).await?;

        let localpart = match &request.username {
            Some(typed) => normalize(typed),
            None => self.free_generated_name().await?,
        };
        self.check_new_account(&localpart, request.password.as_deref()).await?;
        let generated_password = request.password.is_none();
        let password = match &request.password {
            Some(password) => password.clone(),
            None => self.generated_password(caller, idempotency_key, &localpart),
        };

        let user_id = ids::user_id(&localpart, &self.settings().server_name)?.to_string();
        let now = now_ms();
        let display_name =
            request.display_name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| localpart.clone());
        let user = UserRecord {
            user_id: user_id.clone(),
            localpart: localpart.clone(),
            display_name: Some(display_name.clone()),
            password_hash: hash_password(password.clone()).await?,
            is_admin: false,
            state: AccountState::Pending,
            created_at: now,
        };
        let (writes, direct_chat) =
            self.registration_writes(caller, &user_id, &display_name, &groups, request.open_direct_chat, now).await?;

        let response = RegistrationResponse {
            user_id: user_id.clone(),
            username: localpart,
            display_name,
            initial_password: generated_password.then_some(password),
            must_change_password: true,
            groups: groups.iter().map(|(_, room_id)| room_id.clone()).collect(),
            direct_chat,
            sponsor: caller.user_id.clone(),
            created_at: now,
        };
        let idempotency = idempotency_key.map(|key| IdempotencyRecord {
            key: key.to_owned(),
            expires_before: now - IDEMPOTENCY_KEY_TTL_MS,
            response: IdempotentResponse {
                request_hash: request_hash.clone(),
                response: stored_response(&response, generated_password),
                created_at: now,
            },
        });
        let registration = SponsoredRegistration {
            user,
            link: SponsorLink {
                user_id: user_id.clone(),
                sponsor_id: caller.user_id.clone(),
                method: SponsorMethod::Direct,
                batch_id: None,
                note: request.note.clone(),
                created_at: now,
            },
            quota,
            idempotency,
            writes,
            audit: AuditRecord {
                actor: Some(caller.user_id.clone()),
                action: "user.register".into(),
                target: Some(user_id.clone()),
                details: json!({ "method": "direct", "groups": response.groups, "direct_chat": response.direct_chat }),
                created_at: now,
            },
        };

        match self.store().register_sponsored(registration).await {
            Ok(RegistrationCommit::Created(committed)) => {
                let account_data_users: &[&str] = match &response.direct_chat {
                    Some(_) => &[caller.user_id.as_str(), user_id.as_str()],
                    None => &[],
                };
                self.committed(&committed, account_data_users);
                tracing::info!(account.id = %user_id, groups = response.groups.len(), "account registered");
                Ok((response, false))
            }
            Ok(RegistrationCommit::Replayed(stored)) => {
                let key = idempotency_key.unwrap_or_default();
                Ok((self.replay(caller, key, &request_hash, stored)?, true))
            }
            Err(StoreError::Conflict { field: "username" }) => {
                Err(Error::registration(vec![Violation::with_detail(RuleId::UsernameTaken, response.username)]))
            }
            Err(e) => Err(db(e)),
        }
    }

    /// Returns the stored response of an earlier request with the same key,
    /// or 422 when the body differs.
    fn replay(
        &self,
        caller: &Caller,
        key: &str,
        request_hash: &str,
        stored: IdempotentResponse,
    ) -> Result<RegistrationResponse, Error> {
        if stored.request_hash != request_hash {
            return Err(Error::new(ErrorCode::IdempotencyKeyReused, Message::IdempotencyKeyReused));
        }
        let generated = stored.response.get("password_generated").and_then(Value::as_bool).unwrap_or(false);
        let mut response: RegistrationResponse =
            serde_json::from_value(stored.response["body"].clone()).map_err(|e| {
                tracing::error!(error = %e, "stored idempotent response is unreadable");
                Error::internal()
            })?;
        if generated {
            response.initial_password = Some(self.generated_password(caller, Some(key), &response.username));
        }
        Ok(response)
    }

    /// Generates an initial password. With an idempotency key it is derived
    /// from the server secret, so a replay can return it without the server
    /// storing it.
    fn generated_password(&self, caller: &Caller, idempotency_key: Option<&str>, localpart: &str) -> String {
        let rules = &self.settings().rules;
        match idempotency_key {
            Some(key) => {
                let mut rng = self.inner.secret.derived_rng(PASSWORD_DERIVATION, &[&caller.user_id, key]);
                generate::password(&mut rng, rules, localpart)
            }
            None => generate::password(&mut OsRng, rules, localpart),
        }
    }

    async fn free_generated_name(&self) -> Result<String, Error> {
        for _ in 0..GENERATED_NAME_ATTEMPTS {
            let name = generate::username(&mut OsRng, &self.settings().rules);
            if self.store().user_by_localpart(&name).await.map_err(db)?.is_none() {
                return Ok(name);
            }
        }
        tracing::error!("no free generated account name after {GENERATED_NAME_ATTEMPTS} attempts");
        Err(Error::internal())
    }

    /// Resolves group names to room ids, keeping the request's order and
    /// dropping duplicates. Returns `(name as given, room id)` pairs.
    async fn resolve_groups(&self, groups: &[String]) -> Result<Vec<(String, String)>, Error> {
        let mut resolved: Vec<(String, String)> = Vec::new();
        for typed in groups {
            // People type aliases on phones: accept full-width `＃` and a
            // missing `:server` part, on an alias or a room id, which means
            // this server.
            let mut group = usher_core::username::normalize_identifier(typed);
            if (group.starts_with('#') || group.starts_with('!')) && !group.contains(':') {
                group = format!("{group}:{}", self.settings().server_name);
            }
            let group = &group;
            let room_id = match self.resolve_room(group).await {
                Ok(room_id) => room_id,
                Err(e) if e.code == ErrorCode::NotFound => {
                    return Err(Error::not_found(Message::GroupNotFound { group: group.clone() }))
                }
                Err(e) if e.code == ErrorCode::InvalidParam => {
                    return Err(Error::invalid_param_in(
                        "groups",
                        format!("\"{group}\" is neither a room id (!...) nor an alias (#...)"),
                        format!("“{group}”既不是群 ID（!...）也不是群别名（#...）"),
                    ))
                }
                Err(e) => return Err(e),
            };
            if !resolved.iter().any(|(_, r)| *r == room_id) {
                resolved.push((group.clone(), room_id));
            }
        }
        Ok(resolved)
    }

    /// Applies the sponsorship policy and returns the quota that applies.
    async fn authorize_sponsor(
        &self,
        caller: &Caller,
        groups: &[(String, String)],
    ) -> Result<usher_core::quota::Quota, Error> {
        let grant = self.store().sponsor_grant(&caller.user_id).await.map_err(db)?;
        let facts = SponsorFacts {
            is_admin: caller.is_admin,
            is_pending: caller.state == AccountState::Pending,
            grant: grant.map(|g| g.quota),
        };
        let mut standings = Vec::with_capacity(groups.len());
        for (name, room_id) in groups {
            let view = self.room_view(room_id, &caller.user_id).await?;
            let joined = view.membership.as_deref() == Some("join");
            standings.push(GroupStanding {
                name: name.clone(),
                sponsor_joined: joined,
                sponsor_power: user_level(&view.levels, &caller.user_id),
                invite_level: i64::from(view.levels.invite),
            });
        }
        self.sponsorship_policy().authorize(&facts, &standings).map(|(_, quota)| quota).map_err(denial_error)
    }

    /// Builds the room writes of a registration: a join per group and, on request,
    /// a direct chat with the sponsor marked in both users' `m.direct`.
    async fn registration_writes(
        &self,
        caller: &Caller,
        user_id: &str,
        display_name: &str,
        groups: &[(String, String)],
        open_direct_chat: bool,
        now: i64,
    ) -> Result<(WriteBatch, Option<String>), Error> {
        let mut batch = WriteBatch::default();
        for (_, room_id) in groups {
            let content = json!({ "membership": "join", "displayname": display_name });
            batch.events.push(new_event(room_id, user_id, "m.room.member", Some(user_id), content, now));
        }
        if !open_direct_chat {
            return Ok((batch, None));
        }

        let request =
            CreateRoomRequest { preset: Some("trusted_private_chat".into()), is_direct: true, ..Default::default() };
        let plan = RoomPlan {
            server_name: &self.settings().server_name,
            creator: &caller.user_id,
            creator_display_name: self.display_name(&caller.user_id).await?,
            request: &request,
            joined: vec![(user_id.to_owned(), Some(display_name.to_owned()))],
        };
        let (room_id, room_batch) = build_room(plan)?;
        batch.rooms.extend(room_batch.rooms);
        batch.events.extend(room_batch.events);

        let mut sponsor_direct = self
            .store()
            .account_data(&caller.user_id, None, "m.direct")
            .await
            .map_err(db)?
            .unwrap_or_else(|| json!({}));
        if !sponsor_direct.is_object() {
            sponsor_direct = json!({});
        }
        let rooms = sponsor_direct[user_id].as_array().cloned().unwrap_or_default();
        sponsor_direct[user_id] = Value::Array(rooms.into_iter().chain([json!(room_id)]).collect());
        batch.account_data.push(AccountDataUpdate {
            user_id: caller.user_id.clone(),
            room_id: None,
            data_type: "m.direct".into(),
            content: sponsor_direct,
        });
        batch.account_data.push(AccountDataUpdate {
            user_id: user_id.to_owned(),
            room_id: None,
            data_type: "m.direct".into(),
            content: json!({ caller.user_id.clone(): [room_id] }),
        });
        Ok((batch, Some(room_id)))
    }
}

/// Converts a response to its stored form, without the generated password,
/// which a replay derives again.
fn stored_response(response: &RegistrationResponse, password_generated: bool) -> Value {
    let mut body = response.clone();
    body.initial_password = None;
    json!({ "body": body, "password_generated": password_generated })
}

fn check_field_limits(request: &RegistrationRequest, idempotency_key: Option<&str>) -> Result<(), Error> {
    if let Some(note) = &request.note {
        let length = note.chars().count();
        if length > MAX_NOTE_CHARS {
            return Err(Error::invalid_param_in(
                "note",
                format!("it has {length} characters; the maximum is {MAX_NOTE_CHARS}"),
                format!("共 {length} 个字符，最多 {MAX_NOTE_CHARS} 个"),
            ));
        }
    }
    if let Some(name) = &request.display_name {
        let length = name.chars().count();
        if length > MAX_DISPLAY_NAME_CHARS {
            return Err(Error::invalid_param_in(
                "display_name",
                format!("it has {length} characters; the maximum is {MAX_DISPLAY_NAME_CHARS}"),
                format!("共 {length} 个字符，最多 {MAX_DISPLAY_NAME_CHARS} 个"),
            ));
        }
    }
    if request.groups.len() > MAX_GROUPS {
        return Err(Error::invalid_param_in(
            "groups",
            format!("it lists {} groups; the maximum is {MAX_GROUPS}", request.groups.len()),
            format!("列出了 {} 个群，最多 {MAX_GROUPS} 个", request.groups.len()),
        ));
    }
    if let Some(key) = idempotency_key {
        if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_BYTES || !key.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(Error::invalid_param_in(
                "Idempotency-Key",
                format!("it must be 1 to {MAX_IDEMPOTENCY_KEY_BYTES} visible ASCII characters"),
                format!("必须是 1 到 {MAX_IDEMPOTENCY_KEY_BYTES} 个可见 ASCII 字符"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_limit_enforced() {
        let request = RegistrationRequest { note: Some("字".repeat(501)), ..Default::default() };
        assert!(check_field_limits(&request, None).is_err());
        let request = RegistrationRequest { note: Some("字".repeat(500)), ..Default::default() };
        assert!(check_field_limits(&request, None).is_ok());
    }

    #[test]
    fn idempotency_key_limits() {
        let request = RegistrationRequest::default();
        assert!(check_field_limits(&request, Some(&"k".repeat(255))).is_ok());
        assert!(check_field_limits(&request, Some(&"k".repeat(256))).is_err());
        assert!(check_field_limits(&request, Some("has space")).is_err());
        assert!(check_field_limits(&request, Some("")).is_err());
    }

    #[test]
    fn stored_response_drops_password() {
        let response = RegistrationResponse {
            user_id: "@a:x".into(),
            username: "a".into(),
            display_name: "a".into(),
            initial_password: Some("secret-password".into()),
            must_change_password: true,
            groups: vec![],
            direct_chat: None,
            sponsor: "@s:x".into(),
            created_at: 1,
        };
        let stored = stored_response(&response, true);
        assert!(!stored.to_string().contains("secret-password"));
        assert_eq!(stored["password_generated"], true);
    }
}
