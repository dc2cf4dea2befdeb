//! WAL checkpoints on a connection of their own.
//!
//! By default SQLite checkpoints inside the commit that grows the WAL past
//! 1,000 pages, so one writer's commit in a thousand also copies the WAL
//! into the database file. Under a steady stream of message sends those
//! commits were the slow tail (10-sender p99 of 7 to 16 ms against 1.3 to
//! 1.9 ms without them, in one run of `usher-bench --scenario send`). The
//! writer therefore runs with automatic checkpoints off, and this task
//! checkpoints in `PASSIVE` mode, which SQLite documents as never waiting for
//! the writer or for readers, a few times a second when something was written.

use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection as _, SqliteConnection};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often the task looks for new commits.
const INTERVAL: Duration = Duration::from_millis(250);
/// WAL pages above which a checkpoint also truncates the WAL file, waiting
/// for readers to move on. `PASSIVE` copies pages but leaves the file its
/// size, and readers that always overlap can keep SQLite from restarting
/// the WAL from its beginning. 16,384 pages of 4 KiB are 64 MiB.
const TRUNCATE_ABOVE_PAGES: i64 = 16_384;

/// The running checkpoint task.
#[derive(Debug)]
pub(super) struct Checkpointer {
    stop: watch::Sender<bool>,
    task: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl Checkpointer {
    /// Opens the task's connection and starts it on the current runtime.
    pub async fn start(options: SqliteConnectOptions) -> sqlx::Result<Checkpointer> {
        let connection = SqliteConnection::connect_with(&options).await?;
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(connection, stopped));
        Ok(Checkpointer { stop, task: std::sync::Mutex::new(Some(task)) })
    }

    /// Stops the task and closes its connection.
    pub async fn stop(&self) {
        let _ = self.stop.send(true);
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

async fn run(mut connection: SqliteConnection, mut stopped: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // `data_version` changes when another connection commits.
    let mut checkpointed_version = None;
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stopped.wait_for(|stop| *stop) => break,
        }
        let version = match sqlx::query_scalar::<_, i64>("PRAGMA data_version").fetch_one(&mut connection).await {
            Ok(version) => version,
            Err(error) => {
                tracing::warn!(%error, "reading the database's data version failed");
                continue;
            }
        };
        if checkpointed_version == Some(version) {
            continue;
        }
        match checkpoint(&mut connection).await {
            Ok(()) => checkpointed_version = Some(version),
            Err(error) => tracing::warn!(%error, "WAL checkpoint failed; retrying at the next interval"),
        }
    }
    let _ = connection.close().await;
}

async fn checkpoint(connection: &mut SqliteConnection) -> sqlx::Result<()> {
    // Columns: whether it was blocked, pages in the WAL, pages copied.
    let (_, wal_pages, _) =
        sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&mut *connection).await?;
    if wal_pages > TRUNCATE_ABOVE_PAGES {
        tracing::info!(wal_pages, "the WAL is large; truncating it");
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut *connection).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::sqlite::SqliteStore;
    use crate::Store as _;

    #[tokio::test]
    async fn commits_reach_the_database_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("usher.db");
        let store = SqliteStore::open(&path).await.expect("open");
        let autocheckpoint: i64 =
            sqlx::query_scalar("PRAGMA wal_autocheckpoint").fetch_one(&store.writer).await.expect("pragma");
        assert_eq!(autocheckpoint, 0, "the writer leaves checkpoints to the task");

        // Let the task checkpoint what the migrations wrote.
        tokio::time::sleep(super::INTERVAL * 3).await;
        let size_before = std::fs::metadata(&path).expect("database file").len();
        let filter = json!({ "room": { "timeline": { "types": ["x".repeat(2_000)] } } });
        for _ in 0..200 {
            store.create_filter("@zhangsan01:localhost", &filter).await.expect("create filter");
        }

        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::fs::metadata(&path).expect("database file").len() == size_before {
            assert!(tokio::time::Instant::now() < deadline, "no checkpoint copied the WAL into the database file");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        store.close().await;
    }
}
