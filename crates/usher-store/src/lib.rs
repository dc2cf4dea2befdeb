//! Usher's storage layer.
//!
//! [`Store`] is the one narrow, domain-shaped interface the services use; no
//! SQL exists above it. Each backend owns its SQL and its migrations, which
//! are embedded and applied when the backend opens. The [`contract`] suite
//! (feature `contract`) states what every backend must do, and each backend's
//! tests run it.

mod error;
pub mod model;
pub mod sqlite;

#[cfg(feature = "contract")]
pub mod contract;

use async_trait::async_trait;
use serde_json::Value;

pub use error::{StoreError, StoreResult};
pub use model::*;
use usher_core::quota::QuotaUsage;

/// Everything Usher persists.
///
/// Methods that write several things take one value describing all of it
/// and commit it in one transaction: either everything lands or nothing does.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    // --- accounts -------------------------------------------------------

    /// Creates an account outside sponsorship (the first admin).
    /// Fails with `Conflict { field: "username" }` when the localpart is taken.
    async fn create_user(&self, user: NewUser, audit: AuditRecord) -> StoreResult<()>;

    async fn user(&self, user_id: &str) -> StoreResult<Option<UserRecord>>;

    async fn user_by_localpart(&self, localpart: &str) -> StoreResult<Option<UserRecord>>;

    /// Sets a pending account's own password, makes it active and opens its
    /// first session, atomically. Returns `NotFound` when the account is not
    /// pending or its password hash is no longer `expected_hash`, so two
    /// racing activations cannot both succeed.
    async fn activate_user(&self, activation: Activation) -> StoreResult<()>;

    /// Replaces the password hash. When `end_sessions_except` is given, every
    /// other session of the user ends in the same transaction.
    /// Returns `NotFound` when the user does not exist.
    async fn set_password_hash(
        &self,
        user_id: &str,
        hash: &str,
        end_sessions_except: Option<EndSessions>,
    ) -> StoreResult<()>;

    // --- sessions -------------------------------------------------------

    /// Errors: `NotFound` when the user does not exist,
    /// `Conflict { field: "token_hash" }` when the token hash is in use.
    async fn create_session(&self, session: NewSession) -> StoreResult<()>;

    /// Looks up a session and its user by the token's hash.
    async fn session(&self, token_hash: &str) -> StoreResult<Option<SessionWithUser>>;

    async fn sessions_of_user(&self, user_id: &str) -> StoreResult<Vec<SessionRecord>>;

    /// Ends one session; returns whether it existed.
    async fn delete_session(&self, token_hash: &str) -> StoreResult<bool>;

    /// Ends all sessions of a user; returns how many ended.
    async fn delete_sessions_of_user(&self, user_id: &str) -> StoreResult<u64>;

    // --- sponsorship ----------------------------------------------------

    /// Registers a sponsored account: checks the idempotency key (replaying
    /// a stored response unless it expired) and the quota, then creates the account, its sponsor link, the room writes and
    /// the audit record, all in one transaction.
    ///
    /// Errors: `QuotaExceeded` when the sponsor's quota has no room left,
    /// `Conflict { field: "username" }` when the localpart is taken.
    async fn register_sponsored(&self, registration: SponsoredRegistration) -> StoreResult<RegistrationCommit>;

    /// Returns the stored outcome of an earlier request with this idempotency key.
    async fn idempotent_response(&self, sponsor_id: &str, key: &str) -> StoreResult<Option<IdempotentResponse>>;

    /// Accounts the sponsor created today (UTC day containing `now_ms`) and ever.
    async fn quota_usage(&self, sponsor_id: &str, now_ms: i64) -> StoreResult<QuotaUsage>;

    async fn sponsor_link(&self, user_id: &str) -> StoreResult<Option<SponsorLink>>;

    /// Accounts registered by `sponsor_id`, oldest first, after the cursor.
    async fn sponsored_accounts(
        &self,
        sponsor_id: &str,
        after: Option<&SponsoredCursor>,
        limit: u32,
    ) -> StoreResult<Vec<SponsoredAccount>>;

    async fn sponsor_grant(&self, user_id: &str) -> StoreResult<Option<SponsorGrant>>;

    async fn put_sponsor_grant(&self, grant: SponsorGrant, audit: AuditRecord) -> StoreResult<()>;

    /// Revokes a grant; returns whether one existed. The audit record is
    /// written only when one existed.
    async fn delete_sponsor_grant(&self, user_id: &str, audit: AuditRecord) -> StoreResult<bool>;

    /// Audit records about `target`, newest first.
    async fn audit_records(&self, target: &str, limit: u32) -> StoreResult<Vec<AuditRecord>>;

    // --- rooms, events, account data -----------------------------------

    /// Commits rooms, aliases, events, account data and profile changes in
    /// one transaction, assigning stream positions in order.
    ///
    /// Errors: `Conflict { field: "alias" }` for a taken alias, and
    /// `Conflict { field: "txn_id" }` when the sender already sent an event
    /// with the same device and transaction id. `Conflict { field: "event_id" }`
    /// reports a reused event id. `NotFound` means a profile update names an
    /// unknown user or an event names an unknown room.
    async fn commit(&self, batch: WriteBatch) -> StoreResult<Committed>;

    /// Returns the highest stream position assigned so far.
    async fn current_position(&self) -> StoreResult<i64>;

    async fn room(&self, room_id: &str) -> StoreResult<Option<RoomRecord>>;

    async fn resolve_alias(&self, alias: &str) -> StoreResult<Option<String>>;

    /// Reads what an authorization check on a room needs, in one query: the room,
    /// its current power levels content and the user's membership.
    /// `None` when the room does not exist.
    async fn room_access(&self, room_id: &str, user_id: &str) -> StoreResult<Option<RoomAccess>>;

    async fn event(&self, event_id: &str) -> StoreResult<Option<StoredEvent>>;

    async fn event_by_txn(&self, sender: &str, device_id: &str, txn_id: &str) -> StoreResult<Option<StoredEvent>>;

    /// Returns the current state event of `(event_type, state_key)`.
    async fn state_event(&self, room_id: &str, event_type: &str, state_key: &str) -> StoreResult<Option<StoredEvent>>;

    /// Returns the room state as of stream position `at` (inclusive).
    async fn state_at(&self, room_id: &str, at: i64) -> StoreResult<Vec<StoredEvent>>;

    /// Room events with `after < stream <= upto`, at most `limit`, taken from
    /// the `direction` end and returned in that order.
    async fn room_events(
        &self,
        room_id: &str,
        after: i64,
        upto: i64,
        limit: u32,
        direction: Direction,
    ) -> StoreResult<Vec<StoredEvent>>;

    /// Lists a user's membership in every room they ever had one in.
    async fn memberships_of_user(&self, user_id: &str) -> StoreResult<Vec<MembershipRecord>>;

    /// Lists the current membership of every user with one in the room.
    async fn members_of_room(&self, room_id: &str) -> StoreResult<Vec<MembershipRecord>>;

    /// Account data of a user changed after `since` (0 for all).
    async fn account_data_since(&self, user_id: &str, since: i64) -> StoreResult<Vec<AccountDataRecord>>;

    async fn account_data(&self, user_id: &str, room_id: Option<&str>, data_type: &str) -> StoreResult<Option<Value>>;

    // --- filters --------------------------------------------------------

    /// Stores a sync filter and returns its id.
    async fn create_filter(&self, user_id: &str, filter: &Value) -> StoreResult<String>;

    async fn filter(&self, user_id: &str, filter_id: &str) -> StoreResult<Option<Value>>;
}
