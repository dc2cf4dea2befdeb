//! Sponsor links and grants: who registered whom, and who may sponsor.

use serde::Deserialize;
use serde_json::{json, Value};
use usher_core::quota::Quota;
use usher_core::{Error, Message};
use usher_store::{AuditRecord, SponsorGrant, SponsoredCursor};

use crate::store_error::db;
use crate::{ids, now_ms, Caller, Services};

/// Deepest sponsor chain returned; chains cannot loop, this bounds the work.
const MAX_CHAIN_DEPTH: usize = 64;
/// Largest page of `/sponsored`.
const MAX_PAGE: u32 = 500;

/// A page of the caller's sponsored accounts.
#[derive(Debug, Clone)]
pub struct SponsoredPage {
    pub accounts: Vec<Value>,
    pub next_batch: Option<String>,
}

/// The body of `PUT /admin/sponsors/{user_id}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    pub daily_quota: Option<u64>,
    pub total_quota: Option<u64>,
}

fn require_admin(caller: &Caller) -> Result<(), Error> {
    if caller.is_admin {
        Ok(())
    } else {
        Err(Error::forbidden(Message::NotAdmin))
    }
}

fn encode_cursor(cursor: &SponsoredCursor) -> String {
    format!("{}_{}", cursor.created_at, cursor.user_id)
}

fn decode_cursor(token: &str) -> Result<SponsoredCursor, Error> {
    let invalid = || {
        Error::invalid_param_in(
            "from",
            format!("\"{token}\" is not a next_batch value from this endpoint"),
            format!("“{token}”不是本接口返回的 next_batch 值"),
        )
    };
    let (created_at, user_id) = token.split_once('_').ok_or_else(invalid)?;
    Ok(SponsoredCursor { created_at: created_at.parse().map_err(|_| invalid())?, user_id: user_id.to_owned() })
}

impl Services {
    /// Lists the accounts the caller registered, oldest first.
    pub async fn sponsored(
        &self,
        caller: &Caller,
        from: Option<&str>,
        limit: Option<u32>,
    ) -> Result<SponsoredPage, Error> {
        let cursor = from.map(decode_cursor).transpose()?;
        let limit = limit.unwrap_or(100).clamp(1, MAX_PAGE);
        let mut accounts =
            self.store().sponsored_accounts(&caller.user_id, cursor.as_ref(), limit + 1).await.map_err(db)?;
        let more = accounts.len() > limit as usize;
        accounts.truncate(limit as usize);
        let next_batch = more
            .then(|| {
                accounts.last().map(|a| {
                    encode_cursor(&SponsoredCursor { created_at: a.link.created_at, user_id: a.user.user_id.clone() })
                })
            })
            .flatten();
        let accounts = accounts
            .into_iter()
            .map(|a| {
                json!({
                    "user_id": a.user.user_id,
                    "username": a.user.localpart,
                    "display_name": a.user.display_name,
                    "state": a.user.state.as_str(),
                    "activated": a.user.state == usher_store::AccountState::Active,
                    "groups": a.joined_rooms,
                    "method": a.link.method.as_str(),
                    "note": a.link.note,
                    "created_at": a.link.created_at,
                })
            })
            .collect();
        Ok(SponsoredPage { accounts, next_batch })
    }

    /// Returns the sponsor link of `user_id` and the chain of sponsors above it.
    /// Visible to the user, their sponsor and server admins.
    pub async fn sponsor_chain(&self, caller: &Caller, user_id: &str) -> Result<Value, Error> {
        let user_id = ids::parse_user_id(user_id)?.to_string();
        let link = self.store().sponsor_link(&user_id).await.map_err(db)?;
        let is_sponsor = link.as_ref().is_some_and(|l| l.sponsor_id == caller.user_id);
        if !(caller.user_id == user_id || is_sponsor || caller.is_admin) {
            return Err(Error::forbidden(Message::SponsorLinkHidden));
        }
        let Some(link) = link else {
            if self.store().user(&user_id).await.map_err(db)?.is_none() {
                return Err(Error::not_found(Message::UserNotFound { user_id }));
            }
            return Ok(json!({ "user_id": user_id, "sponsor": null, "chain": [] }));
        };

        let mut chain = Vec::new();
        let mut next = Some(link.sponsor_id.clone());
        while let Some(sponsor) = next.take() {
            if chain.len() >= MAX_CHAIN_DEPTH {
                break;
            }
            let above = self.store().sponsor_link(&sponsor).await.map_err(db)?;
            chain.push(json!({
                "user_id": sponsor,
                "sponsor": above.as_ref().map(|l| l.sponsor_id.clone()),
                "method": above.as_ref().map(|l| l.method.as_str()),
                "created_at": above.as_ref().map(|l| l.created_at),
            }));
            next = above.map(|l| l.sponsor_id);
        }
        Ok(json!({
            "user_id": user_id,
            "sponsor": link.sponsor_id,
            "method": link.method.as_str(),
            "batch_id": link.batch_id,
            "note": if is_sponsor || caller.is_admin { json!(link.note) } else { Value::Null },
            "created_at": link.created_at,
            "chain": chain,
        }))
    }

    /// Grants sponsorship with its own quota, replacing the defaults.
    pub async fn put_grant(&self, caller: &Caller, user_id: &str, request: GrantRequest) -> Result<Value, Error> {
        require_admin(caller)?;
        let user_id = ids::parse_user_id(user_id)?.to_string();
        if self.store().user(&user_id).await.map_err(db)?.is_none() {
            return Err(Error::not_found(Message::UserNotFound { user_id }));
        }
        let now = now_ms();
        let quota = Quota { daily: request.daily_quota, total: request.total_quota };
        let grant =
            SponsorGrant { user_id: user_id.clone(), quota, granted_by: caller.user_id.clone(), created_at: now };
        let audit = AuditRecord {
            actor: Some(caller.user_id.clone()),
            action: "sponsor.grant".into(),
            target: Some(user_id.clone()),
            details: json!({ "daily_quota": quota.daily, "total_quota": quota.total }),
            created_at: now,
        };
        self.store().put_sponsor_grant(grant, audit).await.map_err(db)?;
        tracing::info!(account.id = %user_id, "sponsorship granted");
        self.grant_view(&user_id).await
    }

    /// Returns a grant and the usage against it.
    pub async fn grant_view(&self, user_id: &str) -> Result<Value, Error> {
        let grant = self.store().sponsor_grant(user_id).await.map_err(db)?;
        let usage = self.store().quota_usage(user_id, now_ms()).await.map_err(db)?;
        let Some(grant) = grant else {
            return Err(Error::not_found(Message::Other {
                en: format!("{user_id} holds no sponsorship grant."),
                zh: format!("{user_id} 没有引荐授权。"),
            }));
        };
        Ok(json!({
            "user_id": grant.user_id,
            "daily_quota": grant.quota.daily,
            "total_quota": grant.quota.total,
            "granted_by": grant.granted_by,
            "created_at": grant.created_at,
            "used_today": usage.today,
            "used_total": usage.total,
            "remaining": grant.quota.remaining(usage),
        }))
    }

    pub async fn get_grant(&self, caller: &Caller, user_id: &str) -> Result<Value, Error> {
        require_admin(caller)?;
        self.grant_view(ids::parse_user_id(user_id)?.as_str()).await
    }

    /// Revokes a grant; the user falls back to the group admins' defaults.
    pub async fn delete_grant(&self, caller: &Caller, user_id: &str) -> Result<(), Error> {
        require_admin(caller)?;
        let user_id = ids::parse_user_id(user_id)?.to_string();
        let audit = AuditRecord {
            actor: Some(caller.user_id.clone()),
            action: "sponsor.revoke".into(),
            target: Some(user_id.clone()),
            details: json!({}),
            created_at: now_ms(),
        };
        if !self.store().delete_sponsor_grant(&user_id, audit).await.map_err(db)? {
            return Err(Error::not_found(Message::Other {
                en: format!("{user_id} holds no sponsorship grant."),
                zh: format!("{user_id} 没有引荐授权。"),
            }));
        }
        tracing::info!(account.id = %user_id, "sponsorship revoked");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip() {
        let cursor = SponsoredCursor { created_at: 123, user_id: "@a_b:localhost".into() };
        assert_eq!(decode_cursor(&encode_cursor(&cursor)).ok(), Some(cursor));
        assert!(decode_cursor("nope").is_err());
    }
}
