//! Group commit for message sends.
//!
//! Every lone-message commit goes through one task. When several are
//! waiting, the task writes them with one multi-row `INSERT` instead of one
//! statement each, so concurrent senders share one hand-off to the writer
//! connection's thread. A group that fails as a
//! whole (a repeated transaction id, an unknown room) is retried one message
//! at a time, so each sender gets its own result.

use std::collections::HashMap;

use anyhow::anyhow;
use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};

use super::commit::insert_event;
use super::error::DbResultExt as _;
use super::rows::json_text;
use crate::{NewEvent, StoreError, StoreResult, StoredEvent};

/// Maximum number of messages written by one statement.
const MAX_GROUP: usize = 64;
/// Minimum number of waiting messages written as a group. A lone one takes
/// the simpler single-row statement.
const MIN_GROUP: usize = 2;

struct Pending {
    event: NewEvent,
    reply: oneshot::Sender<StoreResult<StoredEvent>>,
}

/// The sending side of the message writer task.
#[derive(Debug, Clone)]
pub(super) struct MessageQueue {
    sender: mpsc::UnboundedSender<Pending>,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending").field("event_id", &self.event.event_id).finish_non_exhaustive()
    }
}

fn writer_stopped() -> StoreError {
    StoreError::Unavailable(anyhow!("the message writer task has stopped"))
}

impl MessageQueue {
    /// Starts the writer task on the current Tokio runtime. It ends when the
    /// last queue handle is dropped.
    pub fn start(writer: SqlitePool) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        tokio::spawn(run(writer, receiver));
        MessageQueue { sender }
    }

    /// Commits one message event and returns it with its stream position.
    pub async fn commit(&self, event: NewEvent) -> StoreResult<StoredEvent> {
        let (reply, result) = oneshot::channel();
        self.sender.send(Pending { event, reply }).map_err(|_| writer_stopped())?;
        result.await.map_err(|_| writer_stopped())?
    }
}

async fn run(writer: SqlitePool, mut receiver: mpsc::UnboundedReceiver<Pending>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while let Some(first) = receiver.recv().await {
        group.push(first);
        while group.len() < MAX_GROUP {
            match receiver.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }

        if group.len() >= MIN_GROUP {
            let events: Vec<NewEvent> = group.iter().map(|pending| pending.event.clone()).collect();
            match insert_group(&writer, events).await {
                Ok(stored) => {
                    for (pending, event) in group.drain(..).zip(stored) {
                        let _ = pending.reply.send(Ok(event));
                    }
                    continue;
                }
                Err(error) => {
                    tracing::debug!(messages = group.len(), error = %error, "group insert failed; writing one by one");
                }
            }
        }

        for pending in group.drain(..) {
            let result = insert_one(&writer, pending.event).await;
            let _ = pending.reply.send(result);
        }
    }
}

async fn insert_one(writer: &SqlitePool, event: NewEvent) -> StoreResult<StoredEvent> {
    let mut conn = writer.acquire().await.db_context("acquire writer connection")?;
    insert_event(&mut conn, event).await
}

/// Writes message events with one statement, which SQLite runs atomically,
/// at increasing positions after the current one.
///
/// Each row reads the position in its own subquery with its own offset. The
/// positions come back with `RETURNING`, so they are right whether SQLite
/// evaluates those subqueries before the rows' triggers or between them
/// (which would leave gaps, harmless to sync tokens).
async fn insert_group(writer: &SqlitePool, events: Vec<NewEvent>) -> StoreResult<Vec<StoredEvent>> {
    let rows: Vec<String> = (1..=events.len())
        .map(|offset| {
            format!(
                "((SELECT position + {offset} FROM stream_position WHERE id = 1), ?, ?, ?, ?, NULL, ?, ?, ?, ?, NULL)"
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO events (stream, event_id, room_id, sender, event_type, state_key, content, \
         origin_server_ts, txn_device_id, txn_id, prev_content) VALUES {} RETURNING event_id, stream",
        rows.join(", ")
    );
    let mut query = sqlx::query_as::<_, (String, i64)>(&sql);
    for event in &events {
        let (device_id, txn_id) = match &event.transaction {
            Some(transaction) => (Some(transaction.device_id.clone()), Some(transaction.txn_id.clone())),
            None => (None, None),
        };
        query = query
            .bind(event.event_id.clone())
            .bind(event.room_id.clone())
            .bind(event.sender.clone())
            .bind(event.event_type.clone())
            .bind(json_text(&event.content))
            .bind(event.origin_server_ts)
            .bind(device_id)
            .bind(txn_id);
    }
    let mut conn = writer.acquire().await.db_context("acquire writer connection")?;
    let streams: HashMap<String, i64> =
        query.fetch_all(&mut *conn).await.db_context("insert message group")?.into_iter().collect();

    events
        .into_iter()
        .map(|event| {
            let stream = *streams
                .get(&event.event_id)
                .ok_or_else(|| StoreError::Other(anyhow!("group insert returned no stream for {}", event.event_id)))?;
            Ok(StoredEvent {
                stream,
                event_id: event.event_id,
                room_id: event.room_id,
                sender: event.sender,
                event_type: event.event_type,
                state_key: None,
                content: event.content,
                origin_server_ts: event.origin_server_ts,
                transaction: event.transaction,
                prev_content: None,
            })
        })
        .collect()
}
