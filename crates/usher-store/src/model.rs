//! Records the store reads and writes. Times are milliseconds since the Unix
//! epoch; user, room and event ids are their Matrix string forms.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use usher_core::quota::Quota;

/// Lifecycle of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountState {
    /// The password was set by someone else, and the owner has not chosen their own.
    Pending,
    Active,
    Deactivated,
}

impl AccountState {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountState::Pending => "pending",
            AccountState::Active => "active",
            AccountState::Deactivated => "deactivated",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "pending" => Some(AccountState::Pending),
            "active" => Some(AccountState::Active),
            "deactivated" => Some(AccountState::Deactivated),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub user_id: String,
    pub localpart: String,
    pub display_name: Option<String>,
    pub password_hash: String,
    pub is_admin: bool,
    pub state: AccountState,
    pub created_at: i64,
}

pub type NewUser = UserRecord;

/// A pending account's activation.
#[derive(Debug, Clone)]
pub struct Activation {
    pub user_id: String,
    /// The initial password's hash the caller verified against.
    pub expected_hash: String,
    pub new_hash: String,
    pub session: NewSession,
    pub audit: AuditRecord,
}

/// The sessions a password change keeps.
#[derive(Debug, Clone)]
pub struct EndSessions {
    /// The session that stays, usually the one making the change.
    pub keep_token_hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// SHA-256 of the access token, hex; the token itself is never stored.
    pub token_hash: String,
    pub user_id: String,
    pub device_id: String,
    pub device_display_name: Option<String>,
    pub created_at: i64,
}

pub type SessionRecord = NewSession;

/// A session with the account that owns it, as every authenticated request needs.
#[derive(Debug, Clone)]
pub struct SessionWithUser {
    pub session: SessionRecord,
    pub user: UserRecord,
}

/// The way an account came to have its sponsor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SponsorMethod {
    Direct,
    Batch,
    Invite,
    Admin,
    Scim,
}

impl SponsorMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            SponsorMethod::Direct => "direct",
            SponsorMethod::Batch => "batch",
            SponsorMethod::Invite => "invite",
            SponsorMethod::Admin => "admin",
            SponsorMethod::Scim => "scim",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "direct" => Some(SponsorMethod::Direct),
            "batch" => Some(SponsorMethod::Batch),
            "invite" => Some(SponsorMethod::Invite),
            "admin" => Some(SponsorMethod::Admin),
            "scim" => Some(SponsorMethod::Scim),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SponsorLink {
    pub user_id: String,
    pub sponsor_id: String,
    pub method: SponsorMethod,
    pub batch_id: Option<String>,
    pub note: Option<String>,
    pub created_at: i64,
}

/// A server admin's grant of sponsorship, replacing the default quota.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SponsorGrant {
    pub user_id: String,
    pub quota: Quota,
    pub granted_by: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub actor: Option<String>,
    /// Dotted action name, such as `user.register` or `sponsor.grant`.
    pub action: String,
    pub target: Option<String>,
    pub details: Value,
    pub created_at: i64,
}

/// The stored result of an idempotent registration request.
#[derive(Debug, Clone, PartialEq)]
pub struct IdempotentResponse {
    /// SHA-256 of the canonical request body, hex.
    pub request_hash: String,
    pub response: Value,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct IdempotencyRecord {
    pub key: String,
    pub response: IdempotentResponse,
    /// A stored record of the same key created before this time (ms since
    /// the epoch) has expired: it is replaced instead of replayed.
    pub expires_before: i64,
}

/// Everything one sponsored registration writes.
#[derive(Debug, Clone)]
pub struct SponsoredRegistration {
    pub user: NewUser,
    pub link: SponsorLink,
    /// The sponsor's quota, checked against the stored usage inside the
    /// transaction; `link.created_at` picks the UTC day.
    pub quota: Quota,
    pub idempotency: Option<IdempotencyRecord>,
    /// Memberships, direct-chat room and `m.direct` changes.
    pub writes: WriteBatch,
    pub audit: AuditRecord,
}

#[derive(Debug, Clone)]
pub enum RegistrationCommit {
    Created(Committed),
    /// The idempotency key was already used; nothing new was written.
    Replayed(IdempotentResponse),
}

/// A page cursor over a sponsor's accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SponsoredCursor {
    pub created_at: i64,
    pub user_id: String,
}

#[derive(Debug, Clone)]
pub struct SponsoredAccount {
    pub user: UserRecord,
    pub link: SponsorLink,
    /// Rooms the account is currently joined to.
    pub joined_rooms: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomRecord {
    pub room_id: String,
    pub creator: String,
    pub room_version: String,
    pub created_at: i64,
}

/// A room with the state an authorization check reads.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomAccess {
    pub room: RoomRecord,
    /// Content of the current `m.room.power_levels`, if any.
    pub power_levels: Option<Value>,
    /// The user's current membership, if they have one.
    pub membership: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlias {
    pub alias: String,
    pub room_id: String,
    pub creator: String,
}

/// The sending device and transaction id of a client-sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub device_id: String,
    pub txn_id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event_id: String,
    pub room_id: String,
    pub sender: String,
    pub event_type: String,
    pub state_key: Option<String>,
    pub content: Value,
    pub origin_server_ts: i64,
    pub transaction: Option<Transaction>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Position in the server-wide stream.
    pub stream: i64,
    pub event_id: String,
    pub room_id: String,
    pub sender: String,
    pub event_type: String,
    pub state_key: Option<String>,
    pub content: Value,
    pub origin_server_ts: i64,
    pub transaction: Option<Transaction>,
    /// For state events, the content of the state this event replaced.
    pub prev_content: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AccountDataUpdate {
    pub user_id: String,
    pub room_id: Option<String>,
    pub data_type: String,
    pub content: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AccountDataRecord {
    pub stream: i64,
    pub room_id: Option<String>,
    pub data_type: String,
    pub content: Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileUpdate {
    pub user_id: String,
    pub display_name: Option<String>,
}

/// Writes committed together by [`crate::Store::commit`], in this order:
/// rooms, aliases, profiles, events, account data.
#[derive(Debug, Clone, Default)]
pub struct WriteBatch {
    pub rooms: Vec<RoomRecord>,
    pub aliases: Vec<NewAlias>,
    pub profiles: Vec<ProfileUpdate>,
    pub events: Vec<NewEvent>,
    pub account_data: Vec<AccountDataUpdate>,
}

impl WriteBatch {
    pub fn is_empty(&self) -> bool {
        self.rooms.is_empty()
            && self.aliases.is_empty()
            && self.profiles.is_empty()
            && self.events.is_empty()
            && self.account_data.is_empty()
    }
}

/// Positions and events a commit assigned.
#[derive(Debug, Clone, Default)]
pub struct Committed {
    pub events: Vec<StoredEvent>,
    /// The stream position after the commit.
    pub position: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Oldest first.
    Forward,
    /// Newest first.
    Backward,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipRecord {
    pub room_id: String,
    pub user_id: String,
    /// `join`, `invite`, `leave`, `ban` or `knock`.
    pub membership: String,
    /// Stream position of the member event that set it.
    pub stream: i64,
}
