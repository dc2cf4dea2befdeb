use std::time::Instant;
use usher_store::contract::fixtures::*;
use usher_store::sqlite::SqliteStore;
use usher_store::{Store, WriteBatch};

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("b.db")).await.unwrap();
    create_user(&store, "alice01").await;
    store.create_session(session("tok", &user_id("alice01"), "D")).await.unwrap();
    create_room(&store, "club", "alice01").await;
    let n = 20_000;
    let start = Instant::now();
    for i in 0..n {
        let batch = WriteBatch { events: vec![message_with_txn(&format!("$e{i}"), "club", "alice01", "D", &format!("t{i}"))], ..WriteBatch::default() };
        store.commit(batch).await.unwrap();
    }
    let el = start.elapsed();
    println!("commit: {:.0}/s, {:.1} us each", n as f64 / el.as_secs_f64(), el.as_micros() as f64 / n as f64);
    let start = Instant::now();
    for _ in 0..n {
        store.session("tok").await.unwrap().unwrap();
    }
    let el = start.elapsed();
    println!("session: {:.1} us each", el.as_micros() as f64 / n as f64);
    let start = Instant::now();
    for _ in 0..2000 {
        store.room_events(&room_id("club"), 100, 20_000, 20, usher_store::Direction::Backward).await.unwrap();
    }
    println!("room_events(20): {:.1} us each", start.elapsed().as_micros() as f64 / 2000.0);
    let start = Instant::now();
    for _ in 0..n {
        store.current_position().await.unwrap();
    }
    println!("current_position: {:.1} us each", start.elapsed().as_micros() as f64 / n as f64);
}
