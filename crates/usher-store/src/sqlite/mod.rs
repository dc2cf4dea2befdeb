//! The embedded SQLite backend.
//!
//! One file in WAL mode, reached through two pools. The writer pool has
//! exactly one connection, so write transactions of this store run one at a
//! time. That makes a quota check and the insert it guards atomic, and no
//! two writers of this store meet `SQLITE_BUSY`. Plain reads go to the
//! reader pool, and reads that a write depends on run inside its transaction.

mod account_data;
mod accounts;
mod audit;
mod commit;
mod error;
mod events;
mod filters;
mod message_queue;
mod rooms;
mod rows;
mod sessions;
mod sponsorship;
mod store;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, Transaction};

use crate::StoreResult;
use error::DbResultExt as _;

/// Connections in the reader pool.
const READER_CONNECTIONS: u32 = 4;

/// How long a connection waits for a lock that another process holds.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A [`crate::Store`] on one SQLite database file.
pub struct SqliteStore {
    path: PathBuf,
    writer: SqlitePool,
    reader: SqlitePool,
    messages: message_queue::MessageQueue,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the database at `path`, creating the file and its parent
    /// directory when missing, and applies the embedded migrations.
    pub async fn open(path: &Path) -> anyhow::Result<SqliteStore> {
        if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(parent)
                .await
                .with_context(|| format!("failed to create the database directory {}", parent.display()))?;
        }

        let writer_options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let writer = pool_options(1)
            .connect_with(writer_options)
            .await
            .with_context(|| format!("failed to open the SQLite database {}", path.display()))?;

        sqlx::migrate!("migrations/sqlite")
            .run(&writer)
            .await
            .with_context(|| format!("failed to apply migrations to {}", path.display()))?;

        let reader_options = SqliteConnectOptions::new().filename(path).read_only(true).busy_timeout(BUSY_TIMEOUT);
        let reader = pool_options(READER_CONNECTIONS)
            .connect_with(reader_options)
            .await
            .with_context(|| format!("failed to open read connections to {}", path.display()))?;

        let messages = message_queue::MessageQueue::start(writer.clone());
        Ok(SqliteStore { path: path.to_owned(), writer, reader, messages })
    }

    /// Closes both pools, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    /// Begins a write transaction on the one writer connection.
    ///
    /// `BEGIN IMMEDIATE` takes the write lock at once. When another process
    /// has it, the transaction waits up to the busy timeout before its first
    /// statement instead of failing after some statements ran.
    async fn begin_write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.writer.begin_with("BEGIN IMMEDIATE").await.db_context("begin write transaction")
    }
}

/// Options of both pools. Connections stay open for the store's lifetime,
/// which keeps their statement caches warm and the WAL files in place for the
/// read-only connections. A connection is not pinged before each use, because
/// that costs one more round trip to its worker thread on every query.
fn pool_options(max_connections: u32) -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .max_connections(max_connections)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .test_before_acquire(false)
}
