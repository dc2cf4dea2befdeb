//! Group commit for message sends.
//!
//! Every lone-message commit goes through one task. When several are
//! waiting, the task writes them with one multi-row `INSERT` in one
//! transaction instead of one statement each, so concurrent senders share
//! the hand-offs to the writer connection's thread. A group that fails as a
//! whole (a repeated transaction id, an unknown room) is retried one message
//! at a time, so each sender gets its own result.

use anyhow::anyhow;
use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};

use super::commit::insert_event;
use super::error::DbResultExt as _;
use super::rows::json_text;
use crate::{NewEvent, StoreError, StoreResult, StoredEvent};

/// Most messages written by one statement.
const MAX_GROUP: usize = 64;
/// Fewest waiting messages worth a transaction (`BEGIN`, read the position,
/// `INSERT`, `COMMIT`); fewer go one statement each.
const MIN_GROUP: usize = 4;

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

/// Writes message events in one transaction with one statement, at the
/// positions after the current one, in order.
async fn insert_group(writer: &SqlitePool, events: Vec<NewEvent>) -> StoreResult<Vec<StoredEvent>> {
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await.db_context("begin group insert")?;
    let position: i64 = sqlx::query_scalar("SELECT position FROM stream_position WHERE id = 1")
        .fetch_one(&mut *tx)
        .await
        .db_context("read stream position")?;

    let row = "(?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, NULL)";
    let sql = format!(
        "INSERT INTO events (stream, event_id, room_id, sender, event_type, state_key, content, \
         origin_server_ts, txn_device_id, txn_id, prev_content) VALUES {}",
        vec![row; events.len()].join(", ")
    );
    let mut query = sqlx::query(&sql);
    for (offset, event) in (1_i64..).zip(&events) {
        let (device_id, txn_id) = match &event.transaction {
            Some(transaction) => (Some(transaction.device_id.clone()), Some(transaction.txn_id.clone())),
            None => (None, None),
        };
        query = query
            .bind(position + offset)
            .bind(event.event_id.clone())
            .bind(event.room_id.clone())
            .bind(event.sender.clone())
            .bind(event.event_type.clone())
            .bind(json_text(&event.content))
            .bind(event.origin_server_ts)
            .bind(device_id)
            .bind(txn_id);
    }
    query.execute(&mut *tx).await.db_context("insert message group")?;
    tx.commit().await.db_context("commit message group")?;

    Ok((1_i64..)
        .zip(events)
        .map(|(offset, event)| StoredEvent {
            stream: position + offset,
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
        .collect())
}
