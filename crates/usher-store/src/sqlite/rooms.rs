//! Rooms, aliases and memberships.

use sqlx::SqlitePool;

use super::error::DbResultExt as _;
use super::rows::MembershipRow;
use crate::{MembershipRecord, RoomAccess, RoomRecord, StoreError, StoreResult};

#[derive(sqlx::FromRow)]
struct RoomRow {
    room_id: String,
    creator: String,
    room_version: String,
    created_at: i64,
}

pub(super) async fn room(reader: &SqlitePool, room_id: &str) -> StoreResult<Option<RoomRecord>> {
    let row: Option<RoomRow> =
        sqlx::query_as("SELECT room_id, creator, room_version, created_at FROM rooms WHERE room_id = ?1")
            .bind(room_id)
            .fetch_optional(reader)
            .await
            .db_context("read room")?;
    Ok(row.map(|row| RoomRecord {
        room_id: row.room_id,
        creator: row.creator,
        room_version: row.room_version,
        created_at: row.created_at,
    }))
}

#[derive(sqlx::FromRow)]
struct RoomAccessRow {
    room_id: String,
    creator: String,
    room_version: String,
    created_at: i64,
    power_levels: Option<String>,
    membership: Option<String>,
}

pub(super) async fn room_access(reader: &SqlitePool, room_id: &str, user_id: &str) -> StoreResult<Option<RoomAccess>> {
    let row: Option<RoomAccessRow> = sqlx::query_as(
        "SELECT r.room_id, r.creator, r.room_version, r.created_at,
            (SELECT e.content FROM current_state c JOIN events e ON e.stream = c.stream
              WHERE c.room_id = r.room_id AND c.event_type = 'm.room.power_levels' AND c.state_key = '') AS power_levels,
            (SELECT m.membership FROM memberships m WHERE m.room_id = r.room_id AND m.user_id = ?2) AS membership
         FROM rooms r WHERE r.room_id = ?1",
    )
    .bind(room_id)
    .bind(user_id)
    .fetch_optional(reader)
    .await
    .db_context("read room access")?;
    let Some(row) = row else {
        return Ok(None);
    };
    let power_levels = row
        .power_levels
        .map(|text| serde_json::from_str(&text))
        .transpose()
        .map_err(|e| StoreError::Other(anyhow::Error::new(e).context("decode power levels content")))?;
    Ok(Some(RoomAccess {
        room: RoomRecord {
            room_id: row.room_id,
            creator: row.creator,
            room_version: row.room_version,
            created_at: row.created_at,
        },
        power_levels,
        membership: row.membership,
    }))
}

pub(super) async fn resolve_alias(reader: &SqlitePool, alias: &str) -> StoreResult<Option<String>> {
    sqlx::query_scalar("SELECT room_id FROM room_aliases WHERE alias = ?1")
        .bind(alias)
        .fetch_optional(reader)
        .await
        .db_context("resolve room alias")
}

/// Returns the user's memberships in the order they were last set.
pub(super) async fn memberships_of_user(reader: &SqlitePool, user_id: &str) -> StoreResult<Vec<MembershipRecord>> {
    let rows: Vec<MembershipRow> = sqlx::query_as(
        "SELECT room_id, user_id, membership, stream FROM memberships WHERE user_id = ?1 ORDER BY stream",
    )
    .bind(user_id)
    .fetch_all(reader)
    .await
    .db_context("read memberships of user")?;
    Ok(rows.into_iter().map(MembershipRecord::from).collect())
}

/// Returns the room's memberships ordered by user id.
pub(super) async fn members_of_room(reader: &SqlitePool, room_id: &str) -> StoreResult<Vec<MembershipRecord>> {
    let rows: Vec<MembershipRow> = sqlx::query_as(
        "SELECT room_id, user_id, membership, stream FROM memberships WHERE room_id = ?1 ORDER BY user_id",
    )
    .bind(room_id)
    .fetch_all(reader)
    .await
    .db_context("read members of room")?;
    Ok(rows.into_iter().map(MembershipRecord::from).collect())
}
