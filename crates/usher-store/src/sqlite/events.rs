//! Reading events and room state.

use sqlx::SqlitePool;

use super::error::DbResultExt as _;
use super::rows::{event_columns, stored_events, EventRow};
use crate::{Direction, StoreResult, StoredEvent};

pub(super) async fn current_position(reader: &SqlitePool) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT position FROM stream_position WHERE id = 1")
        .fetch_one(reader)
        .await
        .db_context("read stream position")
}

pub(super) async fn event(reader: &SqlitePool, event_id: &str) -> StoreResult<Option<StoredEvent>> {
    let row: Option<EventRow> =
        sqlx::query_as(concat!("SELECT ", event_columns!(), " FROM events e WHERE e.event_id = ?1"))
            .bind(event_id)
            .fetch_optional(reader)
            .await
            .db_context("read event")?;
    row.map(StoredEvent::try_from).transpose()
}

pub(super) async fn event_by_txn(
    reader: &SqlitePool,
    sender: &str,
    device_id: &str,
    txn_id: &str,
) -> StoreResult<Option<StoredEvent>> {
    let row: Option<EventRow> = sqlx::query_as(concat!(
        "SELECT ",
        event_columns!(),
        " FROM events e WHERE e.sender = ?1 AND e.txn_device_id = ?2 AND e.txn_id = ?3"
    ))
    .bind(sender)
    .bind(device_id)
    .bind(txn_id)
    .fetch_optional(reader)
    .await
    .db_context("read event by transaction id")?;
    row.map(StoredEvent::try_from).transpose()
}

pub(super) async fn state_event(
    reader: &SqlitePool,
    room_id: &str,
    event_type: &str,
    state_key: &str,
) -> StoreResult<Option<StoredEvent>> {
    let row: Option<EventRow> = sqlx::query_as(concat!(
        "SELECT ",
        event_columns!(),
        " FROM current_state c JOIN events e ON e.stream = c.stream",
        " WHERE c.room_id = ?1 AND c.event_type = ?2 AND c.state_key = ?3"
    ))
    .bind(room_id)
    .bind(event_type)
    .bind(state_key)
    .fetch_optional(reader)
    .await
    .db_context("read state event")?;
    row.map(StoredEvent::try_from).transpose()
}

/// Returns, for each (type, state key), the state event with the greatest
/// stream position not after `at`, in stream order.
pub(super) async fn state_at(reader: &SqlitePool, room_id: &str, at: i64) -> StoreResult<Vec<StoredEvent>> {
    let rows: Vec<EventRow> = sqlx::query_as(concat!(
        "SELECT ",
        event_columns!(),
        " FROM events e JOIN (",
        "   SELECT MAX(stream) AS stream FROM events",
        "   WHERE room_id = ?1 AND state_key IS NOT NULL AND stream <= ?2",
        "   GROUP BY event_type, state_key",
        " ) latest ON e.stream = latest.stream",
        " ORDER BY e.stream"
    ))
    .bind(room_id)
    .bind(at)
    .fetch_all(reader)
    .await
    .db_context("read room state")?;
    stored_events(rows)
}

pub(super) async fn room_events(
    reader: &SqlitePool,
    room_id: &str,
    after: i64,
    upto: i64,
    limit: u32,
    direction: Direction,
) -> StoreResult<Vec<StoredEvent>> {
    let sql = match direction {
        Direction::Forward => concat!(
            "SELECT ",
            event_columns!(),
            " FROM events e WHERE e.room_id = ?1 AND e.stream > ?2 AND e.stream <= ?3",
            " ORDER BY e.stream ASC LIMIT ?4"
        ),
        Direction::Backward => concat!(
            "SELECT ",
            event_columns!(),
            " FROM events e WHERE e.room_id = ?1 AND e.stream > ?2 AND e.stream <= ?3",
            " ORDER BY e.stream DESC LIMIT ?4"
        ),
    };
    let rows: Vec<EventRow> = sqlx::query_as(sql)
        .bind(room_id)
        .bind(after)
        .bind(upto)
        .bind(i64::from(limit))
        .fetch_all(reader)
        .await
        .db_context("read room events")?;
    stored_events(rows)
}
