//! Rooms, aliases, events, state and memberships committed by `commit`.

use std::sync::Arc;

use serde_json::json;

use crate::contract::fixtures::*;
use crate::{Direction, MembershipRecord, NewAlias, Store, StoreError, StoredEvent, WriteBatch};

fn alias(name: &str, room: &str, creator: &str) -> NewAlias {
    NewAlias { alias: format!("#{name}:{SERVER}"), room_id: room_id(room), creator: user_id(creator) }
}

fn event_ids(events: &[StoredEvent]) -> Vec<&str> {
    events.iter().map(|event| event.event_id.as_str()).collect()
}

/// Commits one message per body to `room` and returns their streams.
async fn send_messages(store: &dyn Store, room: &str, bodies: &[&str]) -> Vec<i64> {
    let mut streams = Vec::new();
    for body in bodies {
        let batch =
            WriteBatch { events: vec![message(&format!("${body}"), room, "alice01", body)], ..WriteBatch::default() };
        let committed = commit(store, batch).await;
        streams.push(committed.position);
    }
    streams
}

pub async fn empty_store_position_zero(store: Arc<dyn Store>) {
    assert_eq!(store.current_position().await.expect("read position"), 0);
    assert!(store.state_at(&room_id("club"), 10).await.expect("read state").is_empty());
    assert_eq!(store.room(&room_id("club")).await.expect("read room"), None);
    assert_eq!(store.event("$nothing").await.expect("read event"), None);
}

pub async fn empty_batch_returns_position(store: Arc<dyn Store>) {
    create_room(&*store, "club", "alice01").await;

    let committed = commit(&*store, WriteBatch::default()).await;

    assert!(committed.events.is_empty());
    assert_eq!(committed.position, 2, "an empty commit does not report the current position");
    assert_eq!(store.current_position().await.expect("read position"), 2);
}

pub async fn commit_streams_increase(store: Arc<dyn Store>) {
    let created = create_room(&*store, "club", "alice01").await;
    let created_streams: Vec<i64> = created.events.iter().map(|event| event.stream).collect();
    assert_eq!(created_streams, vec![1, 2]);
    assert_eq!(created.position, 2);

    let batch = WriteBatch {
        events: vec![message("$m1", "club", "alice01", "one"), message("$m2", "club", "alice01", "two")],
        account_data: vec![account_data("alice01", None, "m.push_rules", json!({}))],
        ..WriteBatch::default()
    };
    let committed = commit(&*store, batch).await;

    let streams: Vec<i64> = committed.events.iter().map(|event| event.stream).collect();
    assert_eq!(streams, vec![3, 4]);
    assert_eq!(committed.position, 5);
    assert_eq!(store.current_position().await.expect("read position"), 5);
    let stored = store.event("$m2").await.expect("read event").expect("event stored");
    assert_eq!(Some(&stored), committed.events.get(1));
    assert_eq!(stored.content, json!({ "msgtype": "m.text", "body": "two" }));
    assert_eq!(stored.prev_content, None);
}

pub async fn commit_room_and_alias(store: Arc<dyn Store>) {
    let batch = WriteBatch {
        rooms: vec![room("club", "alice01")],
        aliases: vec![alias("club", "club", "alice01")],
        ..WriteBatch::default()
    };
    commit(&*store, batch).await;

    assert_eq!(store.room(&room_id("club")).await.expect("read room"), Some(room("club", "alice01")));
    let resolved = store.resolve_alias(&format!("#club:{SERVER}")).await.expect("resolve alias");
    assert_eq!(resolved, Some(room_id("club")));
    assert_eq!(store.resolve_alias(&format!("#other:{SERVER}")).await.expect("resolve alias"), None);
}

pub async fn duplicate_alias_commits_nothing(store: Arc<dyn Store>) {
    let first = WriteBatch {
        rooms: vec![room("club", "alice01")],
        aliases: vec![alias("club", "club", "alice01")],
        ..WriteBatch::default()
    };
    commit(&*store, first).await;
    let before = store.current_position().await.expect("read position");

    let second = WriteBatch {
        rooms: vec![room("copycat", "bob0001")],
        aliases: vec![alias("copycat", "copycat", "bob0001"), alias("club", "copycat", "bob0001")],
        events: vec![member_event("$join-copycat", "copycat", "bob0001", "join")],
        account_data: vec![account_data("bob0001", None, "m.direct", json!({}))],
        ..WriteBatch::default()
    };
    let result = store.commit(second).await;

    assert_conflict(result, "alias");
    assert_eq!(store.room(&room_id("copycat")).await.expect("read room"), None, "the room was kept");
    assert_eq!(
        store.resolve_alias(&format!("#copycat:{SERVER}")).await.expect("resolve"),
        None,
        "the first alias was kept"
    );
    assert_eq!(store.resolve_alias(&format!("#club:{SERVER}")).await.expect("resolve"), Some(room_id("club")));
    assert_eq!(store.event("$join-copycat").await.expect("read event"), None, "the event was kept");
    assert!(store.memberships_of_user(&user_id("bob0001")).await.expect("read memberships").is_empty());
    assert_eq!(store.account_data(&user_id("bob0001"), None, "m.direct").await.expect("read"), None);
    assert_eq!(store.current_position().await.expect("read position"), before, "the stream advanced");
}

pub async fn duplicate_event_id_commits_nothing(store: Arc<dyn Store>) {
    create_room(&*store, "club", "alice01").await;
    send_messages(&*store, "club", &["hello"]).await;
    let before = store.current_position().await.expect("read position");

    let batch = WriteBatch {
        events: vec![message("$fresh", "club", "alice01", "fresh"), message("$hello", "club", "alice01", "again")],
        ..WriteBatch::default()
    };
    let result = store.commit(batch).await;

    assert_conflict(result, "event_id");
    assert_eq!(store.event("$fresh").await.expect("read event"), None);
    assert_eq!(store.current_position().await.expect("read position"), before);
}

pub async fn state_event_prev_content(store: Arc<dyn Store>) {
    create_room(&*store, "club", "alice01").await;

    let first = commit(
        &*store,
        WriteBatch { events: vec![name_event("$name1", "club", "alice01", "Club")], ..WriteBatch::default() },
    )
    .await;
    let batch = WriteBatch {
        events: vec![
            name_event("$name2", "club", "alice01", "Chess Club"),
            name_event("$name3", "club", "alice01", "棋社"),
        ],
        ..WriteBatch::default()
    };
    let renamed = commit(&*store, batch).await;

    let first_prev: Vec<_> = first.events.iter().map(|event| event.prev_content.clone()).collect();
    assert_eq!(first_prev, vec![None]);
    let renamed_prev: Vec<_> = renamed.events.iter().map(|event| event.prev_content.clone()).collect();
    assert_eq!(renamed_prev, vec![Some(json!({ "name": "Club" })), Some(json!({ "name": "Chess Club" }))]);
    let stored = store.event("$name3").await.expect("read event").expect("event stored");
    assert_eq!(stored.prev_content, Some(json!({ "name": "Chess Club" })));
    let member = store.event("$join-club-alice01").await.expect("read event").expect("event stored");
    assert_eq!(member.prev_content, None);
}

pub async fn state_event_is_current(store: Arc<dyn Store>) {
    create_room(&*store, "club", "alice01").await;
    commit(
        &*store,
        WriteBatch { events: vec![name_event("$name1", "club", "alice01", "Club")], ..WriteBatch::default() },
    )
    .await;
    commit(
        &*store,
        WriteBatch { events: vec![name_event("$name2", "club", "alice01", "Chess Club")], ..WriteBatch::default() },
    )
    .await;

    let name = store.state_event(&room_id("club"), "m.room.name", "").await.expect("read state").expect("name set");
    assert_eq!(name.event_id, "$name2");
    let topic = store.state_event(&room_id("club"), "m.room.topic", "").await.expect("read state");
    assert_eq!(topic, None);
    let member = store.state_event(&room_id("club"), "m.room.member", &user_id("alice01")).await.expect("read state");
    assert_eq!(member.map(|event| event.event_id), Some("$join-club-alice01".to_owned()));
}

pub async fn state_at_older_position(store: Arc<dyn Store>) {
    create_room(&*store, "club", "alice01").await;
    let named = commit(
        &*store,
        WriteBatch { events: vec![name_event("$name1", "club", "alice01", "Club")], ..WriteBatch::default() },
    )
    .await;
    send_messages(&*store, "club", &["hello"]).await;
    let batch = WriteBatch {
        events: vec![
            name_event("$name2", "club", "alice01", "Chess Club"),
            member_event("$join-bob", "club", "bob0001", "join"),
        ],
        ..WriteBatch::default()
    };
    let later = commit(&*store, batch).await;

    let at_named = store.state_at(&room_id("club"), named.position).await.expect("read state");
    assert_eq!(event_ids(&at_named), vec!["$create-club", "$join-club-alice01", "$name1"]);
    let now = store.state_at(&room_id("club"), later.position).await.expect("read state");
    assert_eq!(event_ids(&now), vec!["$create-club", "$join-club-alice01", "$name2", "$join-bob"]);
    let at_creation = store.state_at(&room_id("club"), 1).await.expect("read state");
    assert_eq!(event_ids(&at_creation), vec!["$create-club"]);
    assert!(store.state_at(&room_id("club"), 0).await.expect("read state").is_empty());
    let messages_excluded = store.state_at(&room_id("club"), i64::MAX).await.expect("read state");
    assert!(messages_excluded.iter().all(|event| event.state_key.is_some()), "a message is part of the state");
}

pub async fn room_events_directions(store: Arc<dyn Store>) {
    create_room(&*store, "club", "alice01").await;
    let streams = send_messages(&*store, "club", &["m1", "m2", "m3", "m4", "m5"]).await;
    let first = *streams.first().expect("five messages");
    let last = *streams.last().expect("five messages");
    let room = room_id("club");

    let forward = store.room_events(&room, first - 1, last, 2, Direction::Forward).await.expect("read events");
    assert_eq!(event_ids(&forward), vec!["$m1", "$m2"]);
    let backward = store.room_events(&room, first - 1, last, 2, Direction::Backward).await.expect("read events");
    assert_eq!(event_ids(&backward), vec!["$m5", "$m4"]);
    let window = store.room_events(&room, first, last - 1, 10, Direction::Forward).await.expect("read events");
    assert_eq!(event_ids(&window), vec!["$m2", "$m3", "$m4"], "the bounds are not after < stream <= upto");
    let window_back = store.room_events(&room, first, last - 1, 10, Direction::Backward).await.expect("read events");
    assert_eq!(event_ids(&window_back), vec!["$m4", "$m3", "$m2"]);
    let everything = store.room_events(&room, 0, i64::MAX, 100, Direction::Forward).await.expect("read events");
    assert_eq!(everything.len(), 7, "the two creation events and five messages");
    assert!(store.room_events(&room, last, last, 10, Direction::Forward).await.expect("read events").is_empty());
}

pub async fn room_events_other_room_excluded(store: Arc<dyn Store>) {
    create_room(&*store, "club", "alice01").await;
    create_room(&*store, "chess", "alice01").await;
    send_messages(&*store, "club", &["club-message"]).await;
    send_messages(&*store, "chess", &["chess-message"]).await;

    let chess = store.room_events(&room_id("chess"), 0, i64::MAX, 100, Direction::Forward).await.expect("read events");

    assert_eq!(event_ids(&chess), vec!["$create-chess", "$join-chess-alice01", "$chess-message"]);
}

pub async fn txn_id_conflict(store: Arc<dyn Store>) {
    create_room(&*store, "club", "alice01").await;
    commit(
        &*store,
        WriteBatch {
            events: vec![message_with_txn("$t1", "club", "alice01", "PHONE", "txn-1")],
            ..WriteBatch::default()
        },
    )
    .await;
    let before = store.current_position().await.expect("read position");

    let batch = WriteBatch {
        events: vec![
            message("$plain", "club", "alice01", "plain"),
            message_with_txn("$t2", "club", "alice01", "PHONE", "txn-1"),
        ],
        ..WriteBatch::default()
    };
    let result = store.commit(batch).await;

    assert_conflict(result, "txn_id");
    assert_eq!(store.event("$plain").await.expect("read event"), None, "the batch was committed in part");
    assert_eq!(store.current_position().await.expect("read position"), before);

    let lone_retry = WriteBatch {
        events: vec![message_with_txn("$t5", "club", "alice01", "PHONE", "txn-1")],
        ..WriteBatch::default()
    };
    assert_conflict(store.commit(lone_retry).await, "txn_id");
    assert_eq!(store.current_position().await.expect("read position"), before);

    let other_device = message_with_txn("$t3", "club", "alice01", "LAPTOP", "txn-1");
    let other_sender = message_with_txn("$t4", "club", "bob0001", "PHONE", "txn-1");
    commit(&*store, WriteBatch { events: vec![other_device, other_sender], ..WriteBatch::default() }).await;
}

pub async fn event_by_txn_lookup(store: Arc<dyn Store>) {
    create_room(&*store, "club", "alice01").await;
    let sent = message_with_txn("$t1", "club", "alice01", "PHONE", "txn-1");
    commit(&*store, WriteBatch { events: vec![sent.clone()], ..WriteBatch::default() }).await;

    let found = store.event_by_txn(&user_id("alice01"), "PHONE", "txn-1").await.expect("read").expect("event found");
    assert_eq!(found.event_id, "$t1");
    assert_eq!(found.transaction, sent.transaction);

    assert_eq!(store.event_by_txn(&user_id("alice01"), "LAPTOP", "txn-1").await.expect("read"), None);
    assert_eq!(store.event_by_txn(&user_id("bob0001"), "PHONE", "txn-1").await.expect("read"), None);
    assert_eq!(store.event_by_txn(&user_id("alice01"), "PHONE", "txn-2").await.expect("read"), None);
}

pub async fn memberships_follow_member_events(store: Arc<dyn Store>) {
    create_room(&*store, "club", "alice01").await;
    create_room(&*store, "chess", "alice01").await;
    let invited = commit(
        &*store,
        WriteBatch {
            events: vec![state_event(
                "$invite-bob",
                "club",
                "alice01",
                "m.room.member",
                &user_id("bob0001"),
                json!({ "membership": "invite" }),
            )],
            ..WriteBatch::default()
        },
    )
    .await;
    let joined = commit(
        &*store,
        WriteBatch { events: vec![member_event("$join-bob", "club", "bob0001", "join")], ..WriteBatch::default() },
    )
    .await;
    let left = commit(
        &*store,
        WriteBatch { events: vec![member_event("$leave-alice", "chess", "alice01", "leave")], ..WriteBatch::default() },
    )
    .await;

    let bob = store.memberships_of_user(&user_id("bob0001")).await.expect("read memberships");
    let expected_bob = MembershipRecord {
        room_id: room_id("club"),
        user_id: user_id("bob0001"),
        membership: "join".to_owned(),
        stream: joined.position,
    };
    assert_eq!(bob, vec![expected_bob]);
    assert!(invited.position < joined.position);

    let mut alice = store.memberships_of_user(&user_id("alice01")).await.expect("read memberships");
    alice.sort_by(|a, b| a.room_id.cmp(&b.room_id));
    let alice_memberships: Vec<(&str, &str)> =
        alice.iter().map(|record| (record.room_id.as_str(), record.membership.as_str())).collect();
    assert_eq!(alice_memberships, vec![(room_id("chess").as_str(), "leave"), (room_id("club").as_str(), "join")]);
    assert_eq!(alice.first().map(|record| record.stream), Some(left.position));

    let mut members = store.members_of_room(&room_id("club")).await.expect("read members");
    members.sort_by(|a, b| a.user_id.cmp(&b.user_id));
    let member_ids: Vec<&str> = members.iter().map(|record| record.user_id.as_str()).collect();
    assert_eq!(member_ids, vec![user_id("alice01").as_str(), user_id("bob0001").as_str()]);
    assert!(store.members_of_room(&room_id("nowhere")).await.expect("read members").is_empty());
}

pub async fn event_unknown_room(store: Arc<dyn Store>) {
    let result = store
        .commit(WriteBatch { events: vec![message("$lost", "nowhere", "alice01", "hello")], ..WriteBatch::default() })
        .await;

    assert!(matches!(result, Err(StoreError::NotFound)), "expected NotFound, got {result:?}");
    assert_eq!(store.current_position().await.expect("read position"), 0);
}

pub async fn room_access_reads_levels_and_membership(store: Arc<dyn Store>) {
    assert_eq!(store.room_access(&room_id("club"), &user_id("alice01")).await.expect("read"), None);
    create_room(&*store, "club", "alice01").await;

    let before = store.room_access(&room_id("club"), &user_id("alice01")).await.expect("read").expect("room exists");
    assert_eq!(before.room.creator, user_id("alice01"));
    assert_eq!(before.membership.as_deref(), Some("join"));
    assert_eq!(before.power_levels, None);

    let levels = json!({ "users": { user_id("alice01"): 100 }, "invite": 50 });
    let batch = WriteBatch {
        events: vec![state_event("$levels", "club", "alice01", "m.room.power_levels", "", levels.clone())],
        ..WriteBatch::default()
    };
    commit(&*store, batch).await;
    let after = store.room_access(&room_id("club"), &user_id("alice01")).await.expect("read").expect("room exists");
    assert_eq!(after.power_levels, Some(levels));

    let stranger = store.room_access(&room_id("club"), &user_id("bob0001")).await.expect("read").expect("room exists");
    assert_eq!(stranger.membership, None);
}
