//! Account data: global and per room, streamed with the events.

use std::sync::Arc;

use serde_json::json;

use crate::contract::fixtures::*;
use crate::{AccountDataRecord, Store, WriteBatch};

fn update_batch(updates: Vec<crate::AccountDataUpdate>) -> WriteBatch {
    WriteBatch { account_data: updates, ..WriteBatch::default() }
}

pub async fn global_and_room_data(store: Arc<dyn Store>) {
    create_room(&*store, "club", "alice01").await;
    let batch = update_batch(vec![
        account_data("alice01", None, "m.direct", json!({ "global": true })),
        account_data("alice01", Some("club"), "m.direct", json!({ "room": true })),
        account_data("bob0001", None, "m.direct", json!({ "bob": true })),
    ]);
    commit(&*store, batch).await;
    let alice = user_id("alice01");

    let global = store.account_data(&alice, None, "m.direct").await.expect("read");
    assert_eq!(global, Some(json!({ "global": true })));
    let in_room = store.account_data(&alice, Some(&room_id("club")), "m.direct").await.expect("read");
    assert_eq!(in_room, Some(json!({ "room": true })));
    assert_eq!(store.account_data(&alice, None, "m.push_rules").await.expect("read"), None);
    assert_eq!(store.account_data(&alice, Some(&room_id("chess")), "m.direct").await.expect("read"), None);

    let all = store.account_data_since(&alice, 0).await.expect("read changes");
    let rooms: Vec<Option<String>> = all.iter().map(|record| record.room_id.clone()).collect();
    assert_eq!(rooms, vec![None, Some(room_id("club"))], "global data must have no room id");
}

pub async fn account_data_since_position(store: Arc<dyn Store>) {
    let first = commit(&*store, update_batch(vec![account_data("alice01", None, "a.first", json!({ "n": 1 }))])).await;
    let second =
        commit(&*store, update_batch(vec![account_data("alice01", None, "a.second", json!({ "n": 2 }))])).await;

    let since_first = store.account_data_since(&user_id("alice01"), first.position).await.expect("read changes");

    let expected = AccountDataRecord {
        stream: second.position,
        room_id: None,
        data_type: "a.second".to_owned(),
        content: json!({ "n": 2 }),
    };
    assert_eq!(since_first, vec![expected]);
    assert!(store.account_data_since(&user_id("alice01"), second.position).await.expect("read changes").is_empty());
    assert_eq!(store.account_data_since(&user_id("alice01"), 0).await.expect("read changes").len(), 2);
    assert!(store.account_data_since(&user_id("bob0001"), 0).await.expect("read changes").is_empty());
}

pub async fn account_data_update_restreams(store: Arc<dyn Store>) {
    let first = commit(&*store, update_batch(vec![account_data("alice01", None, "m.direct", json!({ "v": 1 }))])).await;
    let other = commit(&*store, update_batch(vec![account_data("alice01", None, "m.push_rules", json!({}))])).await;
    let updated =
        commit(&*store, update_batch(vec![account_data("alice01", None, "m.direct", json!({ "v": 2 }))])).await;

    let all = store.account_data_since(&user_id("alice01"), 0).await.expect("read changes");

    let streams: Vec<(String, i64)> = all.iter().map(|record| (record.data_type.clone(), record.stream)).collect();
    assert_eq!(streams, vec![("m.push_rules".to_owned(), other.position), ("m.direct".to_owned(), updated.position)]);
    assert!(updated.position > first.position);
    let since_other = store.account_data_since(&user_id("alice01"), other.position).await.expect("read changes");
    assert_eq!(since_other.first().map(|record| record.content.clone()), Some(json!({ "v": 2 })));
    assert_eq!(since_other.len(), 1);
}

pub async fn streams_shared_with_events(store: Arc<dyn Store>) {
    create_room(&*store, "club", "alice01").await;
    let mut positions = vec![store.current_position().await.expect("read position")];
    for i in 0..3 {
        let message_batch =
            WriteBatch { events: vec![message(&format!("$m{i}"), "club", "alice01", "hi")], ..WriteBatch::default() };
        positions.push(commit(&*store, message_batch).await.position);
        let data_batch = update_batch(vec![account_data("alice01", None, &format!("t.{i}"), json!({}))]);
        positions.push(commit(&*store, data_batch).await.position);
    }

    assert!(positions.windows(2).all(|pair| pair[1] == pair[0] + 1), "positions do not rise by one: {positions:?}");
    let data_streams: Vec<i64> = store
        .account_data_since(&user_id("alice01"), 0)
        .await
        .expect("read changes")
        .iter()
        .map(|record| record.stream)
        .collect();
    let event_streams: Vec<i64> = store
        .room_events(&room_id("club"), 2, i64::MAX, 10, crate::Direction::Forward)
        .await
        .expect("read events")
        .iter()
        .map(|event| event.stream)
        .collect();
    assert_eq!(event_streams, vec![3, 5, 7]);
    assert_eq!(data_streams, vec![4, 6, 8]);
}
