//! Behaviour of `SqliteStore` itself: opening, reopening and closing.

use usher_store::contract::fixtures::{create_room, create_user, message, user_id};
use usher_store::sqlite::SqliteStore;
use usher_store::{Store, StoreError, WriteBatch};

#[tokio::test]
async fn open_creates_missing_directories() {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let path = dir.path().join("a").join("b").join("usher.db");

    let store = SqliteStore::open(&path).await.expect("open");

    assert!(path.exists(), "the database file was not created");
    assert_eq!(store.current_position().await.expect("read position"), 0);
    store.close().await;
}

#[tokio::test]
async fn reopen_keeps_data_and_position() {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let path = dir.path().join("usher.db");
    let store = SqliteStore::open(&path).await.expect("open");
    create_user(&store, "alice01").await;
    create_room(&store, "club", "alice01").await;
    store.close().await;
    drop(store);

    let reopened = SqliteStore::open(&path).await.expect("reopen");
    let sent = reopened
        .commit(WriteBatch { events: vec![message("$after", "club", "alice01", "hi")], ..WriteBatch::default() })
        .await
        .expect("commit after reopening");

    assert_eq!(sent.position, 3, "the stream position restarted");
    assert!(reopened.user(&user_id("alice01")).await.expect("read user").is_some());
    reopened.close().await;
}

#[tokio::test]
async fn closed_store_unavailable() {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let store = SqliteStore::open(&dir.path().join("usher.db")).await.expect("open");
    store.close().await;

    let read = store.current_position().await;
    let write = store.create_filter(&user_id("alice01"), &serde_json::json!({})).await;

    assert!(matches!(read, Err(StoreError::Unavailable(_))), "expected Unavailable, got {read:?}");
    assert!(matches!(write, Err(StoreError::Unavailable(_))), "expected Unavailable, got {write:?}");
}

#[tokio::test]
async fn debug_shows_only_path() {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let store = SqliteStore::open(&dir.path().join("usher.db")).await.expect("open");

    let printed = format!("{store:?}");

    assert!(printed.starts_with("SqliteStore { path: "), "unexpected Debug output {printed}");
    assert!(printed.contains("usher.db"));
    store.close().await;
}
