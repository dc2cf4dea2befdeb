//! Rows as SQLite returns them, and their conversion to model records.

use anyhow::anyhow;
use serde_json::Value;
use usher_core::quota::Quota;

use crate::{
    AccountDataRecord, AccountState, AuditRecord, MembershipRecord, SessionRecord, SponsorGrant, SponsorLink,
    SponsorMethod, StoreError, StoreResult, StoredEvent, Transaction, UserRecord,
};

/// The columns of [`UserRow`], from `users` aliased as `u`.
macro_rules! user_columns {
    () => {
        "u.user_id, u.localpart, u.display_name, u.password_hash, u.is_admin, u.state, u.created_at"
    };
}

/// The columns of [`EventRow`], from `events` aliased as `e`.
macro_rules! event_columns {
    () => {
        "e.stream, e.event_id, e.room_id, e.sender, e.event_type, e.state_key, e.content, \
         e.origin_server_ts, e.txn_device_id, e.txn_id, e.prev_content"
    };
}

pub(super) use {event_columns, user_columns};

/// Serializes JSON for a TEXT column.
pub(super) fn json_text(value: &Value) -> String {
    // `Value`'s `Display` cannot fail, because its map keys are always strings.
    value.to_string()
}

/// Parses a TEXT column that contains JSON.
pub(super) fn parse_json(text: &str, column: &'static str) -> StoreResult<Value> {
    serde_json::from_str(text)
        .map_err(|error| StoreError::Other(anyhow!(error).context(format!("invalid JSON in {column}"))))
}

/// Converts a stored count or limit, which SQLite keeps as a signed integer.
pub(super) fn to_u64(value: i64, column: &'static str) -> StoreResult<u64> {
    u64::try_from(value).map_err(|_| StoreError::Other(anyhow!("negative value {value} in {column}")))
}

/// Converts a count or limit for storage in a signed integer column.
pub(super) fn to_i64(value: u64, what: &'static str) -> StoreResult<i64> {
    i64::try_from(value).map_err(|_| StoreError::Other(anyhow!("{what} {value} is too large to store")))
}

#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    user_id: String,
    localpart: String,
    display_name: Option<String>,
    password_hash: String,
    is_admin: bool,
    state: String,
    created_at: i64,
}

impl TryFrom<UserRow> for UserRecord {
    type Error = StoreError;

    fn try_from(row: UserRow) -> StoreResult<Self> {
        let state = AccountState::parse(&row.state)
            .ok_or_else(|| StoreError::Other(anyhow!("unknown account state {:?} of {}", row.state, row.user_id)))?;
        Ok(UserRecord {
            user_id: row.user_id,
            localpart: row.localpart,
            display_name: row.display_name,
            password_hash: row.password_hash,
            is_admin: row.is_admin,
            state,
            created_at: row.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct SessionRow {
    pub(super) token_hash: String,
    pub(super) user_id: String,
    pub(super) device_id: String,
    pub(super) device_display_name: Option<String>,
    pub(super) created_at: i64,
}

impl From<SessionRow> for SessionRecord {
    fn from(row: SessionRow) -> Self {
        SessionRecord {
            token_hash: row.token_hash,
            user_id: row.user_id,
            device_id: row.device_id,
            device_display_name: row.device_display_name,
            created_at: row.created_at,
        }
    }
}

/// A sponsor link's columns, prefixed `link_` where `users` has the same name.
#[derive(sqlx::FromRow)]
pub(super) struct LinkRow {
    pub(super) user_id: String,
    pub(super) sponsor_id: String,
    pub(super) method: String,
    pub(super) batch_id: Option<String>,
    pub(super) note: Option<String>,
    pub(super) link_created_at: i64,
}

impl TryFrom<LinkRow> for SponsorLink {
    type Error = StoreError;

    fn try_from(row: LinkRow) -> StoreResult<Self> {
        let method = SponsorMethod::parse(&row.method)
            .ok_or_else(|| StoreError::Other(anyhow!("unknown sponsor method {:?} of {}", row.method, row.user_id)))?;
        Ok(SponsorLink {
            user_id: row.user_id,
            sponsor_id: row.sponsor_id,
            method,
            batch_id: row.batch_id,
            note: row.note,
            created_at: row.link_created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct GrantRow {
    user_id: String,
    daily_limit: Option<i64>,
    total_limit: Option<i64>,
    granted_by: String,
    created_at: i64,
}

impl TryFrom<GrantRow> for SponsorGrant {
    type Error = StoreError;

    fn try_from(row: GrantRow) -> StoreResult<Self> {
        let daily = row.daily_limit.map(|limit| to_u64(limit, "sponsor_grants.daily_limit")).transpose()?;
        let total = row.total_limit.map(|limit| to_u64(limit, "sponsor_grants.total_limit")).transpose()?;
        Ok(SponsorGrant {
            user_id: row.user_id,
            quota: Quota { daily, total },
            granted_by: row.granted_by,
            created_at: row.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct AuditRow {
    actor: Option<String>,
    action: String,
    target: Option<String>,
    details: String,
    created_at: i64,
}

impl TryFrom<AuditRow> for AuditRecord {
    type Error = StoreError;

    fn try_from(row: AuditRow) -> StoreResult<Self> {
        Ok(AuditRecord {
            actor: row.actor,
            action: row.action,
            target: row.target,
            details: parse_json(&row.details, "audit_log.details")?,
            created_at: row.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct EventRow {
    stream: i64,
    event_id: String,
    room_id: String,
    sender: String,
    event_type: String,
    state_key: Option<String>,
    content: String,
    origin_server_ts: i64,
    txn_device_id: Option<String>,
    txn_id: Option<String>,
    prev_content: Option<String>,
}

impl TryFrom<EventRow> for StoredEvent {
    type Error = StoreError;

    fn try_from(row: EventRow) -> StoreResult<Self> {
        let transaction = match (row.txn_device_id, row.txn_id) {
            (Some(device_id), Some(txn_id)) => Some(Transaction { device_id, txn_id }),
            _ => None,
        };
        let prev_content = row.prev_content.map(|text| parse_json(&text, "events.prev_content")).transpose()?;
        Ok(StoredEvent {
            stream: row.stream,
            content: parse_json(&row.content, "events.content")?,
            event_id: row.event_id,
            room_id: row.room_id,
            sender: row.sender,
            event_type: row.event_type,
            state_key: row.state_key,
            origin_server_ts: row.origin_server_ts,
            transaction,
            prev_content,
        })
    }
}

/// Converts event rows, keeping their order.
pub(super) fn stored_events(rows: Vec<EventRow>) -> StoreResult<Vec<StoredEvent>> {
    rows.into_iter().map(StoredEvent::try_from).collect()
}

#[derive(sqlx::FromRow)]
pub(super) struct MembershipRow {
    room_id: String,
    user_id: String,
    membership: String,
    stream: i64,
}

impl From<MembershipRow> for MembershipRecord {
    fn from(row: MembershipRow) -> Self {
        MembershipRecord { room_id: row.room_id, user_id: row.user_id, membership: row.membership, stream: row.stream }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct AccountDataRow {
    stream: i64,
    room_id: String,
    data_type: String,
    content: String,
}

impl TryFrom<AccountDataRow> for AccountDataRecord {
    type Error = StoreError;

    fn try_from(row: AccountDataRow) -> StoreResult<Self> {
        Ok(AccountDataRecord {
            stream: row.stream,
            room_id: global_or_room(row.room_id),
            data_type: row.data_type,
            content: parse_json(&row.content, "account_data.content")?,
        })
    }
}

/// The `room_id` column value of global account data.
pub(super) const GLOBAL_ROOM: &str = "";

/// Maps the stored room id of account data back to `None` for global data.
fn global_or_room(room_id: String) -> Option<String> {
    if room_id == GLOBAL_ROOM {
        None
    } else {
        Some(room_id)
    }
}
