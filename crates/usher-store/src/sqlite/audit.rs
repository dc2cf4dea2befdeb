//! The audit log.

use sqlx::{SqliteConnection, SqlitePool};

use super::error::DbResultExt as _;
use super::rows::{json_text, AuditRow};
use crate::{AuditRecord, StoreResult};

/// Appends an audit record inside the caller's transaction.
pub(super) async fn insert_audit(conn: &mut SqliteConnection, audit: &AuditRecord) -> StoreResult<()> {
    sqlx::query("INSERT INTO audit_log (actor, action, target, details, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")
        .bind(&audit.actor)
        .bind(&audit.action)
        .bind(&audit.target)
        .bind(json_text(&audit.details))
        .bind(audit.created_at)
        .execute(conn)
        .await
        .db_context("insert audit record")?;
    Ok(())
}

/// Returns the newest `limit` records about `target`, newest first.
pub(super) async fn audit_records(reader: &SqlitePool, target: &str, limit: u32) -> StoreResult<Vec<AuditRecord>> {
    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT actor, action, target, details, created_at FROM audit_log \
         WHERE target = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2",
    )
    .bind(target)
    .bind(i64::from(limit))
    .fetch_all(reader)
    .await
    .db_context("read audit records")?;

    rows.into_iter().map(AuditRecord::try_from).collect()
}
