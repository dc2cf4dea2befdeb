//! Accounts: creation, lookup, activation and password changes.

use sqlx::{SqliteConnection, SqlitePool};

use super::audit::insert_audit;
use super::error::DbResultExt as _;
use super::rows::{user_columns, UserRow};
use super::sessions::insert_session;
use super::SqliteStore;
use crate::{AccountState, Activation, AuditRecord, EndSessions, NewUser, StoreError, StoreResult, UserRecord};

/// Inserts an account inside the caller's transaction.
/// Fails with `Conflict { field: "username" }` when the id or localpart is taken.
pub(super) async fn insert_user(conn: &mut SqliteConnection, user: &NewUser) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO users (user_id, localpart, display_name, password_hash, is_admin, state, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(&user.user_id)
    .bind(&user.localpart)
    .bind(&user.display_name)
    .bind(&user.password_hash)
    .bind(user.is_admin)
    .bind(user.state.as_str())
    .bind(user.created_at)
    .execute(conn)
    .await
    .db_context("insert user")?;
    Ok(())
}

pub(super) async fn create_user(store: &SqliteStore, user: NewUser, audit: AuditRecord) -> StoreResult<()> {
    let mut tx = store.begin_write().await?;

    insert_user(&mut tx, &user).await?;
    insert_audit(&mut tx, &audit).await?;

    tx.commit().await.db_context("commit user creation")
}

pub(super) async fn user(reader: &SqlitePool, user_id: &str) -> StoreResult<Option<UserRecord>> {
    let row: Option<UserRow> =
        sqlx::query_as(concat!("SELECT ", user_columns!(), " FROM users u WHERE u.user_id = ?1"))
            .bind(user_id)
            .fetch_optional(reader)
            .await
            .db_context("read user")?;
    row.map(UserRecord::try_from).transpose()
}

pub(super) async fn user_by_localpart(reader: &SqlitePool, localpart: &str) -> StoreResult<Option<UserRecord>> {
    let row: Option<UserRow> =
        sqlx::query_as(concat!("SELECT ", user_columns!(), " FROM users u WHERE u.localpart = ?1"))
            .bind(localpart)
            .fetch_optional(reader)
            .await
            .db_context("read user by localpart")?;
    row.map(UserRecord::try_from).transpose()
}

pub(super) async fn activate_user(store: &SqliteStore, activation: Activation) -> StoreResult<()> {
    let mut tx = store.begin_write().await?;

    // The guard on the state and the old hash makes the second of two racing
    // activations change no row.
    let updated = sqlx::query(
        "UPDATE users SET password_hash = ?1, state = ?2 \
         WHERE user_id = ?3 AND state = ?4 AND password_hash = ?5",
    )
    .bind(&activation.new_hash)
    .bind(AccountState::Active.as_str())
    .bind(&activation.user_id)
    .bind(AccountState::Pending.as_str())
    .bind(&activation.expected_hash)
    .execute(&mut *tx)
    .await
    .db_context("activate user")?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }

    insert_session(&mut tx, &activation.session).await?;
    insert_audit(&mut tx, &activation.audit).await?;

    tx.commit().await.db_context("commit activation")
}

/// Fails with `NotFound` when the user does not exist.
pub(super) async fn set_password_hash(
    store: &SqliteStore,
    user_id: &str,
    hash: &str,
    end_sessions_except: Option<EndSessions>,
) -> StoreResult<()> {
    let mut tx = store.begin_write().await?;

    let updated = sqlx::query("UPDATE users SET password_hash = ?1 WHERE user_id = ?2")
        .bind(hash)
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .db_context("update password hash")?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }

    if let Some(EndSessions { keep_token_hash }) = end_sessions_except {
        sqlx::query("DELETE FROM sessions WHERE user_id = ?1 AND (?2 IS NULL OR token_hash <> ?2)")
            .bind(user_id)
            .bind(keep_token_hash)
            .execute(&mut *tx)
            .await
            .db_context("end other sessions")?;
    }

    tx.commit().await.db_context("commit password change")
}
