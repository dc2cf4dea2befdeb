//! Sponsored registration, sponsor links, quotas and sponsorship grants.

use anyhow::anyhow;
use sqlx::{SqliteConnection, SqlitePool};
use usher_core::quota::{day_start, QuotaUsage, DAY_MS};

use super::accounts::insert_user;
use super::audit::insert_audit;
use super::commit::apply_batch;
use super::error::DbResultExt as _;
use super::rows::{json_text, parse_json, to_i64, to_u64, user_columns, GrantRow, LinkRow, UserRow};
use super::SqliteStore;
use crate::{
    AuditRecord, IdempotencyRecord, IdempotentResponse, RegistrationCommit, SponsorGrant, SponsorLink,
    SponsoredAccount, SponsoredCursor, SponsoredRegistration, StoreError, StoreResult, UserRecord,
};

/// Registers a sponsored account in one write transaction. Because every
/// write transaction runs on the one writer connection, no other
/// registration can change the usage between the quota check and the insert.
pub(super) async fn register_sponsored(
    store: &SqliteStore,
    registration: SponsoredRegistration,
) -> StoreResult<RegistrationCommit> {
    let SponsoredRegistration { user, link, quota, idempotency, writes, audit } = registration;
    let mut tx = store.begin_write().await?;

    if let Some(IdempotencyRecord { key, expires_before, .. }) = &idempotency {
        match idempotent_response_in(&mut tx, &link.sponsor_id, key).await? {
            Some(stored) if stored.created_at >= *expires_before => return Ok(RegistrationCommit::Replayed(stored)),
            Some(_) => delete_idempotency(&mut tx, &link.sponsor_id, key).await?,
            None => {}
        }
    }

    let usage = quota_usage_in(&mut tx, &link.sponsor_id, link.created_at).await?;
    quota.check(usage, 1, link.created_at).map_err(StoreError::QuotaExceeded)?;

    insert_user(&mut tx, &user).await?;
    insert_link(&mut tx, &link).await?;
    let committed = apply_batch(&mut tx, writes).await?;
    if let Some(record) = &idempotency {
        insert_idempotency(&mut tx, &link.sponsor_id, record).await?;
    }
    insert_audit(&mut tx, &audit).await?;

    tx.commit().await.db_context("commit sponsored registration")?;
    Ok(RegistrationCommit::Created(committed))
}

async fn insert_link(conn: &mut SqliteConnection, link: &SponsorLink) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sponsor_links (user_id, sponsor_id, method, batch_id, note, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .bind(&link.user_id)
    .bind(&link.sponsor_id)
    .bind(link.method.as_str())
    .bind(&link.batch_id)
    .bind(&link.note)
    .bind(link.created_at)
    .execute(conn)
    .await
    .db_context("insert sponsor link")?;
    Ok(())
}

async fn insert_idempotency(
    conn: &mut SqliteConnection,
    sponsor_id: &str,
    record: &IdempotencyRecord,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO idempotency_keys (sponsor_id, key, request_hash, response, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .bind(sponsor_id)
    .bind(&record.key)
    .bind(&record.response.request_hash)
    .bind(json_text(&record.response.response))
    .bind(record.response.created_at)
    .execute(conn)
    .await
    .db_context("insert idempotency key")?;
    Ok(())
}

async fn delete_idempotency(conn: &mut SqliteConnection, sponsor_id: &str, key: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM idempotency_keys WHERE sponsor_id = ?1 AND key = ?2")
        .bind(sponsor_id)
        .bind(key)
        .execute(conn)
        .await
        .db_context("delete expired idempotency key")?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct IdempotencyRow {
    request_hash: String,
    response: String,
    created_at: i64,
}

async fn idempotent_response_in(
    conn: &mut SqliteConnection,
    sponsor_id: &str,
    key: &str,
) -> StoreResult<Option<IdempotentResponse>> {
    let row: Option<IdempotencyRow> = sqlx::query_as(
        "SELECT request_hash, response, created_at FROM idempotency_keys WHERE sponsor_id = ?1 AND key = ?2",
    )
    .bind(sponsor_id)
    .bind(key)
    .fetch_optional(conn)
    .await
    .db_context("read idempotency key")?;

    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(IdempotentResponse {
        request_hash: row.request_hash,
        response: parse_json(&row.response, "idempotency_keys.response")?,
        created_at: row.created_at,
    }))
}

pub(super) async fn idempotent_response(
    reader: &SqlitePool,
    sponsor_id: &str,
    key: &str,
) -> StoreResult<Option<IdempotentResponse>> {
    let mut conn = reader.acquire().await.db_context("acquire reader connection")?;
    idempotent_response_in(&mut conn, sponsor_id, key).await
}

/// Counts the sponsor's links created in the UTC day containing `now_ms`,
/// and all of them.
async fn quota_usage_in(conn: &mut SqliteConnection, sponsor_id: &str, now_ms: i64) -> StoreResult<QuotaUsage> {
    let today_start = day_start(now_ms);
    let (today, total): (i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(created_at >= ?2 AND created_at < ?3), 0), COUNT(*) \
         FROM sponsor_links WHERE sponsor_id = ?1",
    )
    .bind(sponsor_id)
    .bind(today_start)
    .bind(today_start + DAY_MS)
    .fetch_one(conn)
    .await
    .db_context("count sponsored accounts")?;

    Ok(QuotaUsage { today: to_u64(today, "today's sponsored accounts")?, total: to_u64(total, "sponsored accounts")? })
}

pub(super) async fn quota_usage(reader: &SqlitePool, sponsor_id: &str, now_ms: i64) -> StoreResult<QuotaUsage> {
    let mut conn = reader.acquire().await.db_context("acquire reader connection")?;
    quota_usage_in(&mut conn, sponsor_id, now_ms).await
}

pub(super) async fn sponsor_link(reader: &SqlitePool, user_id: &str) -> StoreResult<Option<SponsorLink>> {
    let row: Option<LinkRow> = sqlx::query_as(
        "SELECT user_id, sponsor_id, method, batch_id, note, created_at AS link_created_at \
         FROM sponsor_links WHERE user_id = ?1",
    )
    .bind(user_id)
    .fetch_optional(reader)
    .await
    .db_context("read sponsor link")?;
    row.map(SponsorLink::try_from).transpose()
}

/// A sponsored account: the user's columns, the link's (`link_` prefixed
/// where the names clash) and the joined rooms as a JSON array.
#[derive(sqlx::FromRow)]
struct SponsoredAccountRow {
    #[sqlx(flatten)]
    user: UserRow,
    sponsor_id: String,
    method: String,
    batch_id: Option<String>,
    note: Option<String>,
    link_created_at: i64,
    joined_rooms: String,
}

pub(super) async fn sponsored_accounts(
    reader: &SqlitePool,
    sponsor_id: &str,
    after: Option<&SponsoredCursor>,
    limit: u32,
) -> StoreResult<Vec<SponsoredAccount>> {
    // Without a cursor, start before every possible (created_at, user_id).
    let (after_created_at, after_user_id) = match after {
        Some(cursor) => (cursor.created_at, cursor.user_id.as_str()),
        None => (i64::MIN, ""),
    };
    let rows: Vec<SponsoredAccountRow> = sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        ", l.sponsor_id, l.method, l.batch_id, l.note, l.created_at AS link_created_at,",
        " (SELECT json_group_array(m.room_id) FROM memberships m",
        "   WHERE m.user_id = l.user_id AND m.membership = 'join') AS joined_rooms",
        " FROM sponsor_links l JOIN users u ON u.user_id = l.user_id",
        " WHERE l.sponsor_id = ?1",
        "   AND (l.created_at > ?2 OR (l.created_at = ?2 AND l.user_id > ?3))",
        " ORDER BY l.created_at, l.user_id LIMIT ?4"
    ))
    .bind(sponsor_id)
    .bind(after_created_at)
    .bind(after_user_id)
    .bind(i64::from(limit))
    .fetch_all(reader)
    .await
    .db_context("read sponsored accounts")?;

    rows.into_iter().map(sponsored_account).collect()
}

fn sponsored_account(row: SponsoredAccountRow) -> StoreResult<SponsoredAccount> {
    let user = UserRecord::try_from(row.user)?;
    let link = SponsorLink::try_from(LinkRow {
        user_id: user.user_id.clone(),
        sponsor_id: row.sponsor_id,
        method: row.method,
        batch_id: row.batch_id,
        note: row.note,
        link_created_at: row.link_created_at,
    })?;
    let mut joined_rooms: Vec<String> = serde_json::from_str(&row.joined_rooms)
        .map_err(|error| StoreError::Other(anyhow!(error).context("invalid joined rooms array")))?;
    joined_rooms.sort();
    Ok(SponsoredAccount { user, link, joined_rooms })
}

pub(super) async fn sponsor_grant(reader: &SqlitePool, user_id: &str) -> StoreResult<Option<SponsorGrant>> {
    let row: Option<GrantRow> = sqlx::query_as(
        "SELECT user_id, daily_limit, total_limit, granted_by, created_at FROM sponsor_grants WHERE user_id = ?1",
    )
    .bind(user_id)
    .fetch_optional(reader)
    .await
    .db_context("read sponsor grant")?;
    row.map(SponsorGrant::try_from).transpose()
}

/// Creates or replaces the user's grant.
pub(super) async fn put_sponsor_grant(store: &SqliteStore, grant: SponsorGrant, audit: AuditRecord) -> StoreResult<()> {
    let daily_limit = grant.quota.daily.map(|limit| to_i64(limit, "daily quota")).transpose()?;
    let total_limit = grant.quota.total.map(|limit| to_i64(limit, "total quota")).transpose()?;
    let mut tx = store.begin_write().await?;

    sqlx::query(
        "INSERT INTO sponsor_grants (user_id, daily_limit, total_limit, granted_by, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (user_id) DO UPDATE SET daily_limit = excluded.daily_limit, \
           total_limit = excluded.total_limit, granted_by = excluded.granted_by, created_at = excluded.created_at",
    )
    .bind(&grant.user_id)
    .bind(daily_limit)
    .bind(total_limit)
    .bind(&grant.granted_by)
    .bind(grant.created_at)
    .execute(&mut *tx)
    .await
    .db_context("upsert sponsor grant")?;
    insert_audit(&mut tx, &audit).await?;

    tx.commit().await.db_context("commit sponsor grant")
}

/// Deletes the user's grant. The audit record is written only when a grant existed.
pub(super) async fn delete_sponsor_grant(store: &SqliteStore, user_id: &str, audit: AuditRecord) -> StoreResult<bool> {
    let mut tx = store.begin_write().await?;

    let deleted = sqlx::query("DELETE FROM sponsor_grants WHERE user_id = ?1")
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .db_context("delete sponsor grant")?;
    if deleted.rows_affected() == 0 {
        return Ok(false);
    }
    insert_audit(&mut tx, &audit).await?;

    tx.commit().await.db_context("commit sponsor grant removal")?;
    Ok(true)
}
