//! Reading account data. Writes go through [`super::commit`].

use serde_json::Value;
use sqlx::SqlitePool;

use super::error::DbResultExt as _;
use super::rows::{parse_json, AccountDataRow, GLOBAL_ROOM};
use crate::{AccountDataRecord, StoreResult};

/// Returns the user's account data changed after `since`, in stream order.
pub(super) async fn account_data_since(
    reader: &SqlitePool,
    user_id: &str,
    since: i64,
) -> StoreResult<Vec<AccountDataRecord>> {
    let rows: Vec<AccountDataRow> = sqlx::query_as(
        "SELECT stream, room_id, data_type, content FROM account_data \
         WHERE user_id = ?1 AND stream > ?2 ORDER BY stream",
    )
    .bind(user_id)
    .bind(since)
    .fetch_all(reader)
    .await
    .db_context("read account data changes")?;
    rows.into_iter().map(AccountDataRecord::try_from).collect()
}

pub(super) async fn account_data(
    reader: &SqlitePool,
    user_id: &str,
    room_id: Option<&str>,
    data_type: &str,
) -> StoreResult<Option<Value>> {
    let content: Option<String> =
        sqlx::query_scalar("SELECT content FROM account_data WHERE user_id = ?1 AND room_id = ?2 AND data_type = ?3")
            .bind(user_id)
            .bind(room_id.unwrap_or(GLOBAL_ROOM))
            .bind(data_type)
            .fetch_optional(reader)
            .await
            .db_context("read account data")?;
    content.map(|text| parse_json(&text, "account_data.content")).transpose()
}
