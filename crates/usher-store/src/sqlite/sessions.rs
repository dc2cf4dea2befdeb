//! Sessions, keyed by the hash of their access token.

use sqlx::{SqliteConnection, SqlitePool};

use super::error::DbResultExt as _;
use super::rows::{user_columns, SessionRow, UserRow};
use crate::{NewSession, SessionRecord, SessionWithUser, StoreResult, UserRecord};

/// Inserts a session inside the caller's transaction.
/// Fails with `NotFound` when the user does not exist.
pub(super) async fn insert_session(conn: &mut SqliteConnection, session: &NewSession) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, device_id, device_display_name, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .bind(&session.token_hash)
    .bind(&session.user_id)
    .bind(&session.device_id)
    .bind(&session.device_display_name)
    .bind(session.created_at)
    .execute(conn)
    .await
    .db_context("insert session")?;
    Ok(())
}

/// A session joined with its user. The session's columns carry a `session_` prefix.
#[derive(sqlx::FromRow)]
struct SessionUserRow {
    session_token_hash: String,
    session_device_id: String,
    session_device_display_name: Option<String>,
    session_created_at: i64,
    #[sqlx(flatten)]
    user: UserRow,
}

/// Runs on every authenticated request, so it is one indexed query.
pub(super) async fn session(reader: &SqlitePool, token_hash: &str) -> StoreResult<Option<SessionWithUser>> {
    let row: Option<SessionUserRow> = sqlx::query_as(concat!(
        "SELECT s.token_hash AS session_token_hash, s.device_id AS session_device_id, ",
        "s.device_display_name AS session_device_display_name, s.created_at AS session_created_at, ",
        user_columns!(),
        " FROM sessions s JOIN users u ON u.user_id = s.user_id WHERE s.token_hash = ?1"
    ))
    .bind(token_hash)
    .fetch_optional(reader)
    .await
    .db_context("read session")?;

    let Some(row) = row else {
        return Ok(None);
    };
    let user = UserRecord::try_from(row.user)?;
    let session = SessionRecord {
        token_hash: row.session_token_hash,
        user_id: user.user_id.clone(),
        device_id: row.session_device_id,
        device_display_name: row.session_device_display_name,
        created_at: row.session_created_at,
    };
    Ok(Some(SessionWithUser { session, user }))
}

/// Returns the user's sessions, oldest first.
pub(super) async fn sessions_of_user(reader: &SqlitePool, user_id: &str) -> StoreResult<Vec<SessionRecord>> {
    let rows: Vec<SessionRow> = sqlx::query_as(
        "SELECT token_hash, user_id, device_id, device_display_name, created_at FROM sessions \
         WHERE user_id = ?1 ORDER BY created_at, token_hash",
    )
    .bind(user_id)
    .fetch_all(reader)
    .await
    .db_context("read sessions of user")?;
    Ok(rows.into_iter().map(SessionRecord::from).collect())
}

pub(super) async fn delete_session(writer: &SqlitePool, token_hash: &str) -> StoreResult<bool> {
    let deleted = sqlx::query("DELETE FROM sessions WHERE token_hash = ?1")
        .bind(token_hash)
        .execute(writer)
        .await
        .db_context("delete session")?;
    Ok(deleted.rows_affected() > 0)
}

pub(super) async fn delete_sessions_of_user(writer: &SqlitePool, user_id: &str) -> StoreResult<u64> {
    let deleted = sqlx::query("DELETE FROM sessions WHERE user_id = ?1")
        .bind(user_id)
        .execute(writer)
        .await
        .db_context("delete sessions of user")?;
    Ok(deleted.rows_affected())
}

pub(super) async fn create_session(writer: &SqlitePool, session: &NewSession) -> StoreResult<()> {
    let mut conn = writer.acquire().await.db_context("acquire writer connection")?;
    insert_session(&mut conn, session).await
}
