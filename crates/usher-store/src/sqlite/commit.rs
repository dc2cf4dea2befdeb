//! Committing a [`WriteBatch`]: rooms, aliases, profiles, events and account
//! data, in that order.
//!
//! Each event and account-data insert takes the next stream position in the
//! statement itself, as `stream_position.position + 1`, and a trigger
//! advances `stream_position` in that statement (see the migration). So
//! positions are assigned in commit order and roll back with the transaction.

use anyhow::anyhow;
use sqlx::SqliteConnection;

use super::error::DbResultExt as _;
use super::rows::{json_text, parse_json, GLOBAL_ROOM};
use super::SqliteStore;
use crate::{AccountDataUpdate, Committed, NewEvent, StoreError, StoreResult, StoredEvent, WriteBatch};

/// The event type whose state events also update the membership table.
const MEMBER_EVENT_TYPE: &str = "m.room.member";

pub(super) async fn commit(store: &SqliteStore, batch: WriteBatch) -> StoreResult<Committed> {
    let batch = match into_lone_message(batch) {
        Ok(message) => return commit_lone_message(store, message).await,
        Err(batch) => batch,
    };

    let mut tx = store.begin_write().await?;
    let committed = apply_batch(&mut tx, batch).await?;
    tx.commit().await.db_context("commit write batch")?;
    Ok(committed)
}

/// Returns the batch's one event when that is all it contains and it is not
/// a state event, as for every message send.
fn into_lone_message(batch: WriteBatch) -> Result<NewEvent, WriteBatch> {
    let only_events = batch.rooms.is_empty()
        && batch.aliases.is_empty()
        && batch.profiles.is_empty()
        && batch.account_data.is_empty();
    let one_message = batch.events.len() == 1 && batch.events.iter().all(|event| event.state_key.is_none());
    if !(only_events && one_message) {
        return Err(batch);
    }

    <[NewEvent; 1]>::try_from(batch.events)
        .map(|[message]| message)
        .map_err(|events| WriteBatch { events, ..WriteBatch::default() })
}

/// Commits a message event with one statement, which SQLite runs atomically
/// on its own. That saves the `BEGIN` and `COMMIT` round trips on the most
/// frequent write.
async fn commit_lone_message(store: &SqliteStore, message: NewEvent) -> StoreResult<Committed> {
    let event = store.messages.commit(message).await?;
    Ok(Committed { position: event.stream, events: vec![event] })
}

/// Applies a batch inside the caller's transaction. `commit` and
/// `register_sponsored` share this one code path.
pub(super) async fn apply_batch(conn: &mut SqliteConnection, batch: WriteBatch) -> StoreResult<Committed> {
    for room in &batch.rooms {
        sqlx::query("INSERT INTO rooms (room_id, creator, room_version, created_at) VALUES (?1, ?2, ?3, ?4)")
            .bind(&room.room_id)
            .bind(&room.creator)
            .bind(&room.room_version)
            .bind(room.created_at)
            .execute(&mut *conn)
            .await
            .db_context("insert room")?;
    }

    for alias in &batch.aliases {
        sqlx::query("INSERT INTO room_aliases (alias, room_id, creator) VALUES (?1, ?2, ?3)")
            .bind(&alias.alias)
            .bind(&alias.room_id)
            .bind(&alias.creator)
            .execute(&mut *conn)
            .await
            .db_context("insert room alias")?;
    }

    for profile in &batch.profiles {
        let updated = sqlx::query("UPDATE users SET display_name = ?1 WHERE user_id = ?2")
            .bind(&profile.display_name)
            .bind(&profile.user_id)
            .execute(&mut *conn)
            .await
            .db_context("update display name")?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
    }

    let mut position = None;

    let mut events = Vec::with_capacity(batch.events.len());
    for event in batch.events {
        let stored = insert_event(conn, event).await?;
        position = Some(stored.stream);
        events.push(stored);
    }

    for update in &batch.account_data {
        position = Some(upsert_account_data(conn, update).await?);
    }

    let position = match position {
        Some(position) => position,
        None => read_position(conn).await?,
    };
    Ok(Committed { events, position })
}

async fn read_position(conn: &mut SqliteConnection) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT position FROM stream_position WHERE id = 1")
        .fetch_one(conn)
        .await
        .db_context("read stream position")
}

/// Inserts one event at the next stream position. A state event records the
/// content it replaces and becomes the current state. A member event also
/// sets the membership.
pub(super) async fn insert_event(conn: &mut SqliteConnection, event: NewEvent) -> StoreResult<StoredEvent> {
    let (txn_device_id, txn_id) = match &event.transaction {
        Some(transaction) => (Some(transaction.device_id.as_str()), Some(transaction.txn_id.as_str())),
        None => (None, None),
    };

    // A message event needs no lookup of the state it replaces.
    let sql = if event.state_key.is_some() {
        "INSERT INTO events (stream, event_id, room_id, sender, event_type, state_key, content, \
         origin_server_ts, txn_device_id, txn_id, prev_content) \
         VALUES ((SELECT position + 1 FROM stream_position WHERE id = 1), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, \
           (SELECT p.content FROM current_state c JOIN events p ON p.stream = c.stream \
            WHERE c.room_id = ?2 AND c.event_type = ?4 AND c.state_key = ?5)) \
         RETURNING stream, prev_content"
    } else {
        "INSERT INTO events (stream, event_id, room_id, sender, event_type, state_key, content, \
         origin_server_ts, txn_device_id, txn_id, prev_content) \
         VALUES ((SELECT position + 1 FROM stream_position WHERE id = 1), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL) \
         RETURNING stream, prev_content"
    };
    let (stream, prev_content): (i64, Option<String>) = sqlx::query_as(sql)
        .bind(&event.event_id)
        .bind(&event.room_id)
        .bind(&event.sender)
        .bind(&event.event_type)
        .bind(&event.state_key)
        .bind(json_text(&event.content))
        .bind(event.origin_server_ts)
        .bind(txn_device_id)
        .bind(txn_id)
        .fetch_one(&mut *conn)
        .await
        .db_context("insert event")?;

    if let Some(state_key) = &event.state_key {
        set_current_state(conn, &event, state_key, stream).await?;
    }

    let prev_content = match prev_content {
        Some(text) => Some(parse_json(&text, "events.prev_content")?),
        None => None,
    };
    Ok(StoredEvent {
        stream,
        event_id: event.event_id,
        room_id: event.room_id,
        sender: event.sender,
        event_type: event.event_type,
        state_key: event.state_key,
        content: event.content,
        origin_server_ts: event.origin_server_ts,
        transaction: event.transaction,
        prev_content,
    })
}

async fn set_current_state(
    conn: &mut SqliteConnection,
    event: &NewEvent,
    state_key: &str,
    stream: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO current_state (room_id, event_type, state_key, stream) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (room_id, event_type, state_key) DO UPDATE SET stream = excluded.stream",
    )
    .bind(&event.room_id)
    .bind(&event.event_type)
    .bind(state_key)
    .bind(stream)
    .execute(&mut *conn)
    .await
    .db_context("update current state")?;

    if event.event_type != MEMBER_EVENT_TYPE {
        return Ok(());
    }
    let membership = event.content.get("membership").and_then(|value| value.as_str()).ok_or_else(|| {
        StoreError::Other(anyhow!("member event {} has no string `membership` in its content", event.event_id))
    })?;
    sqlx::query(
        "INSERT INTO memberships (room_id, user_id, membership, stream) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (room_id, user_id) DO UPDATE SET membership = excluded.membership, stream = excluded.stream",
    )
    .bind(&event.room_id)
    .bind(state_key)
    .bind(membership)
    .bind(stream)
    .execute(conn)
    .await
    .db_context("update membership")?;
    Ok(())
}

/// Inserts or replaces one account-data record at the next stream position,
/// and returns that position.
async fn upsert_account_data(conn: &mut SqliteConnection, update: &AccountDataUpdate) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO account_data (user_id, room_id, data_type, content, stream) \
         VALUES (?1, ?2, ?3, ?4, (SELECT position + 1 FROM stream_position WHERE id = 1)) \
         ON CONFLICT (user_id, room_id, data_type) DO UPDATE SET content = excluded.content, stream = excluded.stream \
         RETURNING stream",
    )
    .bind(&update.user_id)
    .bind(update.room_id.as_deref().unwrap_or(GLOBAL_ROOM))
    .bind(&update.data_type)
    .bind(json_text(&update.content))
    .fetch_one(conn)
    .await
    .db_context("upsert account data")
}
