//! [`Store`] for [`SqliteStore`]: each method picks the writer or the reader
//! pool and calls the module that owns its SQL.

use async_trait::async_trait;
use serde_json::Value;
use usher_core::quota::QuotaUsage;

use super::{account_data, accounts, commit, events, filters, rooms, sessions, sponsorship, SqliteStore};
use crate::*;

#[async_trait]
impl Store for SqliteStore {
    async fn create_user(&self, user: NewUser, audit: AuditRecord) -> StoreResult<()> {
        accounts::create_user(self, user, audit).await
    }

    async fn user(&self, user_id: &str) -> StoreResult<Option<UserRecord>> {
        accounts::user(&self.reader, user_id).await
    }

    async fn user_by_localpart(&self, localpart: &str) -> StoreResult<Option<UserRecord>> {
        accounts::user_by_localpart(&self.reader, localpart).await
    }

    async fn activate_user(&self, activation: Activation) -> StoreResult<()> {
        accounts::activate_user(self, activation).await
    }

    async fn set_password_hash(
        &self,
        user_id: &str,
        hash: &str,
        end_sessions_except: Option<EndSessions>,
    ) -> StoreResult<()> {
        accounts::set_password_hash(self, user_id, hash, end_sessions_except).await
    }

    async fn create_session(&self, session: NewSession) -> StoreResult<()> {
        sessions::create_session(&self.writer, &session).await
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<SessionWithUser>> {
        sessions::session(&self.reader, token_hash).await
    }

    async fn sessions_of_user(&self, user_id: &str) -> StoreResult<Vec<SessionRecord>> {
        sessions::sessions_of_user(&self.reader, user_id).await
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<bool> {
        sessions::delete_session(&self.writer, token_hash).await
    }

    async fn delete_sessions_of_user(&self, user_id: &str) -> StoreResult<u64> {
        sessions::delete_sessions_of_user(&self.writer, user_id).await
    }

    async fn register_sponsored(&self, registration: SponsoredRegistration) -> StoreResult<RegistrationCommit> {
        sponsorship::register_sponsored(self, registration).await
    }

    async fn idempotent_response(&self, sponsor_id: &str, key: &str) -> StoreResult<Option<IdempotentResponse>> {
        sponsorship::idempotent_response(&self.reader, sponsor_id, key).await
    }

    async fn quota_usage(&self, sponsor_id: &str, now_ms: i64) -> StoreResult<QuotaUsage> {
        sponsorship::quota_usage(&self.reader, sponsor_id, now_ms).await
    }

    async fn sponsor_link(&self, user_id: &str) -> StoreResult<Option<SponsorLink>> {
        sponsorship::sponsor_link(&self.reader, user_id).await
    }

    async fn sponsored_accounts(
        &self,
        sponsor_id: &str,
        after: Option<&SponsoredCursor>,
        limit: u32,
    ) -> StoreResult<Vec<SponsoredAccount>> {
        sponsorship::sponsored_accounts(&self.reader, sponsor_id, after, limit).await
    }

    async fn sponsor_grant(&self, user_id: &str) -> StoreResult<Option<SponsorGrant>> {
        sponsorship::sponsor_grant(&self.reader, user_id).await
    }

    async fn put_sponsor_grant(&self, grant: SponsorGrant, audit: AuditRecord) -> StoreResult<()> {
        sponsorship::put_sponsor_grant(self, grant, audit).await
    }

    async fn delete_sponsor_grant(&self, user_id: &str, audit: AuditRecord) -> StoreResult<bool> {
        sponsorship::delete_sponsor_grant(self, user_id, audit).await
    }

    async fn audit_records(&self, target: &str, limit: u32) -> StoreResult<Vec<AuditRecord>> {
        super::audit::audit_records(&self.reader, target, limit).await
    }

    async fn commit(&self, batch: WriteBatch) -> StoreResult<Committed> {
        commit::commit(self, batch).await
    }

    async fn current_position(&self) -> StoreResult<i64> {
        events::current_position(&self.reader).await
    }

    async fn room(&self, room_id: &str) -> StoreResult<Option<RoomRecord>> {
        rooms::room(&self.reader, room_id).await
    }

    async fn resolve_alias(&self, alias: &str) -> StoreResult<Option<String>> {
        rooms::resolve_alias(&self.reader, alias).await
    }

    async fn room_access(&self, room_id: &str, user_id: &str) -> StoreResult<Option<RoomAccess>> {
        rooms::room_access(&self.reader, room_id, user_id).await
    }

    async fn event(&self, event_id: &str) -> StoreResult<Option<StoredEvent>> {
        events::event(&self.reader, event_id).await
    }

    async fn event_by_txn(&self, sender: &str, device_id: &str, txn_id: &str) -> StoreResult<Option<StoredEvent>> {
        events::event_by_txn(&self.reader, sender, device_id, txn_id).await
    }

    async fn state_event(&self, room_id: &str, event_type: &str, state_key: &str) -> StoreResult<Option<StoredEvent>> {
        events::state_event(&self.reader, room_id, event_type, state_key).await
    }

    async fn state_at(&self, room_id: &str, at: i64) -> StoreResult<Vec<StoredEvent>> {
        events::state_at(&self.reader, room_id, at).await
    }

    async fn room_events(
        &self,
        room_id: &str,
        after: i64,
        upto: i64,
        limit: u32,
        direction: Direction,
    ) -> StoreResult<Vec<StoredEvent>> {
        events::room_events(&self.reader, room_id, after, upto, limit, direction).await
    }

    async fn memberships_of_user(&self, user_id: &str) -> StoreResult<Vec<MembershipRecord>> {
        rooms::memberships_of_user(&self.reader, user_id).await
    }

    async fn members_of_room(&self, room_id: &str) -> StoreResult<Vec<MembershipRecord>> {
        rooms::members_of_room(&self.reader, room_id).await
    }

    async fn account_data_since(&self, user_id: &str, since: i64) -> StoreResult<Vec<AccountDataRecord>> {
        account_data::account_data_since(&self.reader, user_id, since).await
    }

    async fn account_data(&self, user_id: &str, room_id: Option<&str>, data_type: &str) -> StoreResult<Option<Value>> {
        account_data::account_data(&self.reader, user_id, room_id, data_type).await
    }

    async fn create_filter(&self, user_id: &str, filter: &Value) -> StoreResult<String> {
        filters::create_filter(&self.writer, user_id, filter).await
    }

    async fn filter(&self, user_id: &str, filter_id: &str) -> StoreResult<Option<Value>> {
        filters::filter(&self.reader, user_id, filter_id).await
    }
}
