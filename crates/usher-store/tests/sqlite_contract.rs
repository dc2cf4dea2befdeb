//! The backend contract suite on [`SqliteStore`], one fresh database file in
//! its own temporary directory per test.

use std::sync::Arc;

use usher_store::contract::Fixture;
use usher_store::sqlite::SqliteStore;

async fn fresh_sqlite_store() -> Fixture {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let store =
        Arc::new(SqliteStore::open(&dir.path().join("data").join("usher.db")).await.expect("open SQLite store"));

    let closing = Arc::clone(&store);
    Fixture {
        store,
        teardown: Box::pin(async move {
            closing.close().await;
            dir.close().expect("delete the temporary directory");
        }),
    }
}

usher_store::contract_tests!(fresh_sqlite_store());
