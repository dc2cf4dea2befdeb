//! Accounts and sessions: login, activation, tokens, passwords, profiles.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use usher_core::rules::{Field, RegistrationRules};
use usher_core::username::{localpart_of, normalize};
use usher_core::{Error, ErrorCode, Message};
use usher_store::{
    AccountState, Activation, AuditRecord, EndSessions, NewSession, ProfileUpdate, UserRecord, WriteBatch,
};

use crate::credentials::{hash_password, random_token, sha256_hex, verify_password};
use crate::failed_logins::FailedLogins;
use crate::rooms::new_event;
use crate::store_error::db;
use crate::{ids, now_ms, Caller, Services};

/// How long an interactive-auth session for a password change stays valid.
const INTERACTIVE_AUTH_TTL: Duration = Duration::from_secs(600);

/// A password login, from `POST /login` or the CLI.
#[derive(Debug, Clone, Deserialize)]
pub struct LoginRequest {
    /// The account name or full user id, as typed.
    pub user: String,
    pub password: String,
    pub device_id: Option<String>,
    pub initial_device_display_name: Option<String>,
    /// The client's network address, when known: failed logins count per
    /// account and address.
    pub client: Option<IpAddr>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoginResponse {
    pub user_id: String,
    pub access_token: String,
    pub device_id: String,
    pub home_server: String,
}

/// Issued interactive-auth session ids, with their user and expiry.
#[derive(Debug, Default)]
pub(crate) struct InteractiveAuthSessions {
    sessions: Mutex<HashMap<String, (String, Instant)>>,
    pub(crate) failed_logins: FailedLogins,
}

impl InteractiveAuthSessions {
    fn issue(&self, user_id: &str) -> String {
        let session = random_token();
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions.retain(|_, (_, expires)| *expires > Instant::now());
        sessions.insert(session.clone(), (user_id.to_owned(), Instant::now() + INTERACTIVE_AUTH_TTL));
        session
    }

    fn take(&self, session: &str, user_id: &str) -> bool {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        match sessions.remove(session) {
            Some((owner, expires)) => owner == user_id && expires > Instant::now(),
            None => false,
        }
    }
}

fn login_failed() -> Error {
    Error::forbidden(Message::LoginFailed)
}

/// Checks a password the caller sends as `new_password` (activation and
/// password change) against the rules, naming that field in each violation.
fn check_new_password(rules: &RegistrationRules, new_password: &str, localpart: &str) -> Result<(), Error> {
    let violations = rules.check_password(new_password, localpart);
    if violations.is_empty() {
        return Ok(());
    }
    Err(Error::password(violations.into_iter().map(|v| v.in_field(Field::NewPassword)).collect()))
}

fn locked_out(remaining: Duration) -> Error {
    let minutes = remaining.as_secs().div_ceil(60).max(1);
    Error::new(ErrorCode::LimitExceeded, Message::AccountLocked { minutes })
        .with_extra(json!({ "retry_after_ms": remaining.as_millis() as u64 }))
}

impl Services {
    /// Resolves an access token to its caller.
    pub async fn authenticate(&self, token: &str) -> Result<Caller, Error> {
        let token_hash = sha256_hex(token.as_bytes());
        if let Some(caller) = self.inner.sessions.get(&token_hash) {
            return Ok(caller);
        }
        let found = self.store().session(&token_hash).await.map_err(db)?;
        let Some(found) = found else {
            return Err(
                Error::new(ErrorCode::UnknownToken, Message::UnknownToken).with_extra(json!({ "soft_logout": false }))
            );
        };
        if found.user.state == AccountState::Deactivated {
            return Err(
                Error::new(ErrorCode::UnknownToken, Message::UnknownToken).with_extra(json!({ "soft_logout": false }))
            );
        }
        let caller = Caller {
            user_id: found.user.user_id,
            device_id: found.session.device_id,
            token_hash,
            is_admin: found.user.is_admin,
            state: found.user.state,
        };
        self.inner.sessions.insert(&caller);
        Ok(caller)
    }

    /// Finds an account by what a person typed: a name in any width or
    /// case, or a full user id of this server.
    async fn find_account(&self, typed: &str) -> Result<(String, Option<UserRecord>), Error> {
        let localpart = normalize(localpart_of(typed.trim()));
        let user = self.store().user_by_localpart(&localpart).await.map_err(db)?;
        Ok((localpart, user))
    }

    /// Password login. Unknown accounts and wrong passwords get the same error
    /// after the same work; a pending account with its initial password gets
    /// the activation hint instead.
    pub async fn login(&self, request: LoginRequest) -> Result<LoginResponse, Error> {
        let client = request.client;
        let (localpart, user) = self.find_account(&request.user).await?;
        if let Some(remaining) = self.inner.password_sessions.failed_logins.locked_out(&localpart, client) {
            return Err(locked_out(remaining));
        }
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        if !verify_password(request.password, hash).await? {
            self.inner.password_sessions.failed_logins.record(&localpart, client);
            return Err(login_failed());
        }
        let Some(user) = user else {
            return Err(login_failed());
        };
        match user.state {
            AccountState::Pending => return Err(Error::forbidden(Message::AccountPending)),
            AccountState::Deactivated => {
                return Err(Error::new(
                    ErrorCode::UserDeactivated,
                    Message::Other {
                        en: "This account has been deactivated.".into(), zh: "该账号已被停用。".into()
                    },
                ))
            }
            AccountState::Active => {}
        }
        self.inner.password_sessions.failed_logins.clear(&localpart, client);
        self.open_session(&user.user_id, request.device_id, request.initial_device_display_name).await
    }

    pub(crate) async fn open_session(
        &self,
        user_id: &str,
        device_id: Option<String>,
        display_name: Option<String>,
    ) -> Result<LoginResponse, Error> {
        let token = random_token();
        let device_id = device_id.filter(|d| !d.is_empty() && d.len() <= 255).unwrap_or_else(ids::new_device_id);
        let session = NewSession {
            token_hash: sha256_hex(token.as_bytes()),
            user_id: user_id.to_owned(),
            device_id: device_id.clone(),
            device_display_name: display_name,
            created_at: now_ms(),
        };
        self.store().create_session(session).await.map_err(db)?;
        tracing::info!(user.id = user_id, device.id = %device_id, "session opened");
        Ok(LoginResponse {
            user_id: user_id.to_owned(),
            access_token: token,
            device_id,
            home_server: self.settings().server_name.clone(),
        })
    }

    /// Activates a pending account: checks the initial password, sets the
    /// owner's own password and opens a first session.
    pub async fn activate(
        &self,
        username: &str,
        initial_password: String,
        new_password: String,
        client: Option<IpAddr>,
    ) -> Result<LoginResponse, Error> {
        let (localpart, user) = self.find_account(username).await?;
        if let Some(remaining) = self.inner.password_sessions.failed_logins.locked_out(&localpart, client) {
            return Err(locked_out(remaining));
        }

        check_new_password(&self.settings().rules, &new_password, &localpart)?;
        if new_password == initial_password {
            return Err(Error::new(
                ErrorCode::WeakPassword,
                Message::Other {
                    en: "The new password must differ from the initial password.".into(),
                    zh: "新密码不能与初始密码相同。".into(),
                },
            ));
        }

        let hash = user.as_ref().map(|u| u.password_hash.clone());
        if !verify_password(initial_password, hash).await? {
            self.inner.password_sessions.failed_logins.record(&localpart, client);
            return Err(login_failed());
        }
        let Some(user) = user else {
            return Err(login_failed());
        };
        if user.state != AccountState::Pending {
            return Err(Error::forbidden(Message::AccountAlreadyActive));
        }

        let token = random_token();
        let device_id = ids::new_device_id();
        let now = now_ms();
        let activation = Activation {
            user_id: user.user_id.clone(),
            expected_hash: user.password_hash.clone(),
            new_hash: hash_password(new_password).await?,
            session: NewSession {
                token_hash: sha256_hex(token.as_bytes()),
                user_id: user.user_id.clone(),
                device_id: device_id.clone(),
                device_display_name: None,
                created_at: now,
            },
            audit: AuditRecord {
                actor: Some(user.user_id.clone()),
                action: "user.activate".into(),
                target: Some(user.user_id.clone()),
                details: json!({}),
                created_at: now,
            },
        };
        match self.store().activate_user(activation).await {
            Ok(()) => {}
            // Another activation won the race with the same initial password.
            Err(usher_store::StoreError::NotFound) => return Err(Error::forbidden(Message::AccountAlreadyActive)),
            Err(e) => return Err(db(e)),
        }
        self.inner.password_sessions.failed_logins.clear(&localpart, client);
        tracing::info!(user.id = %user.user_id, "account activated");
        Ok(LoginResponse {
            user_id: user.user_id,
            access_token: token,
            device_id,
            home_server: self.settings().server_name.clone(),
        })
    }

    pub async fn logout(&self, caller: &Caller) -> Result<(), Error> {
        self.store().delete_session(&caller.token_hash).await.map_err(db)?;
        self.inner.sessions.remove(&caller.token_hash);
        Ok(())
    }

    pub async fn logout_all(&self, caller: &Caller) -> Result<(), Error> {
        let ended = self.store().delete_sessions_of_user(&caller.user_id).await.map_err(db)?;
        self.inner.sessions.remove_user(&caller.user_id, None);
        tracing::info!(user.id = %caller.user_id, sessions = ended, "all sessions ended");
        Ok(())
    }

    /// Changes the caller's password through user-interactive auth.
    ///
    /// Without `auth`, returns the 401 body that starts the flow. With an
    /// `m.login.password` stage for the caller's own account, checks the old
    /// password and the rules, then sets the new one. Other sessions end
    /// unless `logout_devices` is false.
    pub async fn change_password(
        &self,
        caller: &Caller,
        new_password: String,
        logout_devices: bool,
        auth: Option<&Value>,
    ) -> Result<PasswordChange, Error> {
        let Some(auth) = auth else {
            return Ok(PasswordChange::AuthRequired(self.interactive_auth_body(caller, None)));
        };
        let session = auth.get("session").and_then(Value::as_str).unwrap_or_default();
        if auth.get("type").and_then(Value::as_str) != Some("m.login.password") {
            return Ok(PasswordChange::AuthRequired(self.interactive_auth_body(caller, None)));
        }
        let typed_user =
            auth.pointer("/identifier/user").or_else(|| auth.get("user")).and_then(Value::as_str).unwrap_or_default();
        let password = auth.get("password").and_then(Value::as_str).unwrap_or_default().to_owned();

        let user = self.store().user(&caller.user_id).await.map_err(db)?.ok_or_else(login_failed)?;
        let same_user = typed_user.is_empty() || normalize(localpart_of(typed_user)) == user.localpart;
        let session_ok = session.is_empty() || self.inner.password_sessions.take(session, &caller.user_id);
        if !same_user || !session_ok || !verify_password(password, Some(user.password_hash.clone())).await? {
            let body = self.interactive_auth_body(caller, Some(login_failed()));
            return Ok(PasswordChange::AuthRequired(body));
        }

        check_new_password(&self.settings().rules, &new_password, &user.localpart)?;
        let hash = hash_password(new_password).await?;
        let end_sessions = logout_devices.then(|| EndSessions { keep_token_hash: Some(caller.token_hash.clone()) });
        self.store().set_password_hash(&caller.user_id, &hash, end_sessions).await.map_err(db)?;
        if logout_devices {
            self.inner.sessions.remove_user(&caller.user_id, Some(&caller.token_hash));
        }
        tracing::info!(user.id = %caller.user_id, other_sessions_ended = logout_devices, "password changed");
        Ok(PasswordChange::Changed)
    }

    fn interactive_auth_body(&self, caller: &Caller, error: Option<Error>) -> (Value, Option<Error>) {
        let session = self.inner.password_sessions.issue(&caller.user_id);
        let body = json!({
            "flows": [{ "stages": ["m.login.password"] }],
            "params": {},
            "session": session,
        });
        (body, error)
    }

    /// Creates a server admin, as `usher admin create` does. The name and the
    /// password go through the same rules as every registration.
    pub async fn create_admin(
        &self,
        username: &str,
        password: Option<String>,
    ) -> Result<(UserRecord, Option<String>), Error> {
        let localpart = normalize(username);
        let rules = &self.settings().rules;
        let generated = password.is_none();
        let password =
            password.unwrap_or_else(|| usher_core::generate::password(&mut rand::rngs::OsRng, rules, &localpart));

        self.check_new_account(&localpart, Some(&password)).await?;

        let user_id = ids::user_id(&localpart, &self.settings().server_name)?.to_string();
        let now = now_ms();
        let user = UserRecord {
            user_id: user_id.clone(),
            localpart: localpart.clone(),
            display_name: Some(localpart),
            password_hash: hash_password(password.clone()).await?,
            is_admin: true,
            state: AccountState::Active,
            created_at: now,
        };
        let audit = AuditRecord {
            actor: None,
            action: "admin.create".into(),
            target: Some(user_id),
            details: json!({ "via": "cli" }),
            created_at: now,
        };
        self.store().create_user(user.clone(), audit).await.map_err(db)?;
        Ok((user, generated.then_some(password)))
    }

    /// Returns the display name of a user; 404 when the user does not exist.
    pub async fn display_name(&self, user_id: &str) -> Result<Option<String>, Error> {
        let user = self.store().user(user_id).await.map_err(db)?;
        match user {
            Some(user) => Ok(user.display_name),
            None => Err(Error::not_found(Message::UserNotFound { user_id: user_id.to_owned() })),
        }
    }

    /// Sets the caller's display name and announces it in every joined room.
    pub async fn set_display_name(&self, caller: &Caller, display_name: Option<String>) -> Result<(), Error> {
        if display_name.as_ref().is_some_and(|n| n.chars().count() > 256) {
            return Err(Error::invalid_param_in(
                "displayname",
                "it is longer than 256 characters; shorten it",
                "超过 256 个字符，请缩短",
            ));
        }
        let mut batch = WriteBatch {
            profiles: vec![ProfileUpdate { user_id: caller.user_id.clone(), display_name: display_name.clone() }],
            ..WriteBatch::default()
        };
        let now = now_ms();
        for membership in self.store().memberships_of_user(&caller.user_id).await.map_err(db)? {
            if membership.membership != "join" {
                continue;
            }
            let current =
                self.store().state_event(&membership.room_id, "m.room.member", &caller.user_id).await.map_err(db)?;
            let mut content = current.map(|e| e.content).unwrap_or_else(|| json!({ "membership": "join" }));
            content["displayname"] = display_name.clone().map_or(Value::Null, Value::String);
            let user = caller.user_id.as_str();
            batch.events.push(new_event(&membership.room_id, user, "m.room.member", Some(user), content, now));
        }
        let committed = self.store().commit(batch).await.map_err(db)?;
        self.committed(&committed, &[]);
        Ok(())
    }
}

/// The outcome of a password-change request.
#[derive(Debug)]
pub enum PasswordChange {
    /// The client must (re)authenticate: the 401 body and, after a failed
    /// attempt, the error to merge into it.
    AuthRequired((Value, Option<Error>)),
    Changed,
}
