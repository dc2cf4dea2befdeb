//! Records and assertions the contract cases share.

use std::fmt::Debug;

use serde_json::{json, Value};
use usher_core::quota::Quota;

use crate::{
    AccountDataUpdate, AccountState, Activation, AuditRecord, Committed, IdempotencyRecord, IdempotentResponse,
    NewEvent, NewSession, NewUser, RoomRecord, SponsorLink, SponsorMethod, SponsoredRegistration, Store, StoreError,
    Transaction, WriteBatch,
};

/// 2025-12-04T12:00:00Z, the time most cases run at.
pub const NOON: i64 = 1_764_849_600_000;

/// Milliseconds in a day.
pub const DAY: i64 = usher_core::quota::DAY_MS;

/// The server name in every id.
pub const SERVER: &str = "example.org";

pub fn user_id(localpart: &str) -> String {
    format!("@{localpart}:{SERVER}")
}

pub fn room_id(name: &str) -> String {
    format!("!{name}:{SERVER}")
}

/// Builds an active account with the password hash `hash-<localpart>`.
pub fn user(localpart: &str) -> NewUser {
    NewUser {
        user_id: user_id(localpart),
        localpart: localpart.to_owned(),
        display_name: None,
        password_hash: format!("hash-{localpart}"),
        is_admin: false,
        state: AccountState::Active,
        created_at: NOON,
    }
}

/// Builds a pending account whose initial password hash is `initial-<localpart>`.
pub fn pending_user(localpart: &str) -> NewUser {
    NewUser { state: AccountState::Pending, password_hash: format!("initial-{localpart}"), ..user(localpart) }
}

pub fn audit(action: &str, target: &str, created_at: i64) -> AuditRecord {
    AuditRecord {
        actor: Some(user_id("admin")),
        action: action.to_owned(),
        target: Some(target.to_owned()),
        details: json!({ "case": action }),
        created_at,
    }
}

pub fn session(token_hash: &str, user_id: &str, device_id: &str) -> NewSession {
    NewSession {
        token_hash: token_hash.to_owned(),
        user_id: user_id.to_owned(),
        device_id: device_id.to_owned(),
        device_display_name: Some(format!("{device_id} phone")),
        created_at: NOON,
    }
}

pub fn activation(localpart: &str, expected_hash: &str, new_hash: &str, token_hash: &str) -> Activation {
    let user_id = user_id(localpart);
    Activation {
        user_id: user_id.clone(),
        expected_hash: expected_hash.to_owned(),
        new_hash: new_hash.to_owned(),
        session: session(token_hash, &user_id, "ACTIVATED"),
        audit: audit("user.activate", &user_id, NOON + 1),
    }
}

/// Builds a direct registration of a pending account by `sponsor` at `created_at`,
/// with no room writes.
pub fn registration(sponsor: &str, localpart: &str, quota: Quota, created_at: i64) -> SponsoredRegistration {
    let user_id = user_id(localpart);
    SponsoredRegistration {
        user: NewUser { created_at, ..pending_user(localpart) },
        link: SponsorLink {
            user_id: user_id.clone(),
            sponsor_id: self::user_id(sponsor),
            method: SponsorMethod::Direct,
            batch_id: None,
            note: Some(format!("registered {localpart}")),
            created_at,
        },
        quota,
        idempotency: None,
        writes: WriteBatch::default(),
        audit: AuditRecord { actor: Some(self::user_id(sponsor)), ..audit("user.register", &user_id, created_at) },
    }
}

pub fn idempotency(key: &str, response: Value) -> IdempotencyRecord {
    IdempotencyRecord {
        key: key.to_owned(),
        response: IdempotentResponse { request_hash: format!("sha256-of-{key}"), response, created_at: NOON },
        expires_before: NOON - 86_400_000,
    }
}

pub fn room(name: &str, creator: &str) -> RoomRecord {
    RoomRecord { room_id: room_id(name), creator: user_id(creator), room_version: "11".to_owned(), created_at: NOON }
}

pub fn state_event(
    event_id: &str,
    room: &str,
    sender: &str,
    event_type: &str,
    state_key: &str,
    content: Value,
) -> NewEvent {
    NewEvent {
        event_id: event_id.to_owned(),
        room_id: room_id(room),
        sender: user_id(sender),
        event_type: event_type.to_owned(),
        state_key: Some(state_key.to_owned()),
        content,
        origin_server_ts: NOON,
        transaction: None,
    }
}

/// Builds an `m.room.member` event of `member` in `room`, sent by the member.
pub fn member_event(event_id: &str, room: &str, member: &str, membership: &str) -> NewEvent {
    state_event(event_id, room, member, "m.room.member", &user_id(member), json!({ "membership": membership }))
}

pub fn name_event(event_id: &str, room: &str, sender: &str, name: &str) -> NewEvent {
    state_event(event_id, room, sender, "m.room.name", "", json!({ "name": name }))
}

pub fn message(event_id: &str, room: &str, sender: &str, body: &str) -> NewEvent {
    NewEvent {
        event_id: event_id.to_owned(),
        room_id: room_id(room),
        sender: user_id(sender),
        event_type: "m.room.message".to_owned(),
        state_key: None,
        content: json!({ "msgtype": "m.text", "body": body }),
        origin_server_ts: NOON,
        transaction: None,
    }
}

/// Builds a message sent with a client transaction id.
pub fn message_with_txn(event_id: &str, room: &str, sender: &str, device_id: &str, txn_id: &str) -> NewEvent {
    NewEvent {
        transaction: Some(Transaction { device_id: device_id.to_owned(), txn_id: txn_id.to_owned() }),
        ..message(event_id, room, sender, txn_id)
    }
}

pub fn account_data(localpart: &str, room: Option<&str>, data_type: &str, content: Value) -> AccountDataUpdate {
    AccountDataUpdate {
        user_id: user_id(localpart),
        room_id: room.map(room_id),
        data_type: data_type.to_owned(),
        content,
    }
}

/// Commits a batch that must succeed.
pub async fn commit(store: &dyn Store, batch: WriteBatch) -> Committed {
    store.commit(batch).await.expect("commit should succeed")
}

/// Creates `room` with `creator` joined, and returns the commit.
pub async fn create_room(store: &dyn Store, room_name: &str, creator: &str) -> Committed {
    let batch = WriteBatch {
        rooms: vec![room(room_name, creator)],
        events: vec![
            state_event(
                &format!("$create-{room_name}"),
                room_name,
                creator,
                "m.room.create",
                "",
                json!({ "creator": user_id(creator) }),
            ),
            member_event(&format!("$join-{room_name}-{creator}"), room_name, creator, "join"),
        ],
        ..WriteBatch::default()
    };
    commit(store, batch).await
}

/// Creates an active account that must not exist yet.
pub async fn create_user(store: &dyn Store, localpart: &str) {
    store
        .create_user(user(localpart), audit("user.create", &user_id(localpart), NOON))
        .await
        .expect("create_user should succeed");
}

/// Asserts that `result` failed with `Conflict` on `expected_field`.
pub fn assert_conflict<T: Debug>(result: Result<T, StoreError>, expected_field: &str) {
    match result {
        Err(StoreError::Conflict { field }) => assert_eq!(field, expected_field, "conflict on the wrong field"),
        other => panic!("expected a conflict on {expected_field}, got {other:?}"),
    }
}

/// Asserts that `result` failed with `NotFound`.
pub fn assert_not_found<T: Debug>(result: Result<T, StoreError>) {
    match result {
        Err(StoreError::NotFound) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}
