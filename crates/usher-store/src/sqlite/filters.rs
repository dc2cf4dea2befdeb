//! Sync filters, numbered per user from 1.

use serde_json::Value;
use sqlx::SqlitePool;

use super::error::DbResultExt as _;
use super::rows::{json_text, parse_json};
use crate::StoreResult;

pub(super) async fn create_filter(writer: &SqlitePool, user_id: &str, filter: &Value) -> StoreResult<String> {
    // One statement on the one writer connection, so two filters of a user
    // cannot get the same number.
    let filter_id: i64 = sqlx::query_scalar(
        "INSERT INTO filters (user_id, filter_id, filter) \
         SELECT ?1, COALESCE(MAX(filter_id), 0) + 1, ?2 FROM filters WHERE user_id = ?1 \
         RETURNING filter_id",
    )
    .bind(user_id)
    .bind(json_text(filter))
    .fetch_one(writer)
    .await
    .db_context("insert filter")?;
    Ok(filter_id.to_string())
}

/// Returns the filter only to the user who created it. An id that is not a
/// number finds nothing.
pub(super) async fn filter(reader: &SqlitePool, user_id: &str, filter_id: &str) -> StoreResult<Option<Value>> {
    let Ok(filter_id) = filter_id.parse::<i64>() else {
        return Ok(None);
    };
    let text: Option<String> = sqlx::query_scalar("SELECT filter FROM filters WHERE user_id = ?1 AND filter_id = ?2")
        .bind(user_id)
        .bind(filter_id)
        .fetch_optional(reader)
        .await
        .db_context("read filter")?;
    text.map(|text| parse_json(&text, "filters.filter")).transpose()
}
