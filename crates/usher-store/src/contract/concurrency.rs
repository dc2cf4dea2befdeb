//! Parallel writers: quotas, idempotency keys, stream positions and
//! activations must hold however calls interleave.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::json;
use usher_core::quota::{Quota, QuotaPeriod};

use crate::contract::fixtures::*;
use crate::{
    Committed, NewEvent, RegistrationCommit, SponsoredRegistration, Store, StoreError, StoreResult, WriteBatch,
};

const SPONSOR: &str = "groupadmin";

/// Runs every registration in its own task at once and returns the results
/// in request order.
async fn register_in_parallel(
    store: &Arc<dyn Store>,
    requests: Vec<SponsoredRegistration>,
) -> Vec<StoreResult<RegistrationCommit>> {
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let store = Arc::clone(store);
            tokio::spawn(async move { store.register_sponsored(request).await })
        })
        .collect();

    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        results.push(task.await.expect("registration task panicked"));
    }
    results
}

pub async fn parallel_registrations_respect_quota(store: Arc<dyn Store>) {
    create_user(&*store, SPONSOR).await;
    let quota = Quota { daily: None, total: Some(10) };
    let requests = (0..30).map(|i| registration(SPONSOR, &format!("member{i:02}"), quota, NOON + i)).collect();

    let results = register_in_parallel(&store, requests).await;

    let mut created = 0;
    let mut exceeded = 0;
    for result in results {
        match result {
            Ok(RegistrationCommit::Created(_)) => created += 1,
            Err(StoreError::QuotaExceeded(error)) => {
                assert_eq!(error.period, QuotaPeriod::Total);
                assert_eq!(error.used, 10, "a rejection saw a usage other than the full quota");
                exceeded += 1;
            }
            other => panic!("expected Created or QuotaExceeded, got {other:?}"),
        }
    }
    assert_eq!(created, 10);
    assert_eq!(exceeded, 20);
    let usage = store.quota_usage(&user_id(SPONSOR), NOON).await.expect("read usage");
    assert_eq!(usage.total, 10);
    let accounts = store.sponsored_accounts(&user_id(SPONSOR), None, 100).await.expect("read accounts");
    assert_eq!(accounts.len(), 10);
}

pub async fn parallel_same_idempotency_key(store: Arc<dyn Store>) {
    create_user(&*store, SPONSOR).await;
    let requests = (0..10)
        .map(|i| {
            let localpart = format!("member{i:02}");
            SponsoredRegistration {
                idempotency: Some(idempotency("batch-row-1", json!({ "user_id": user_id(&localpart) }))),
                ..registration(SPONSOR, &localpart, Quota::UNLIMITED, NOON)
            }
        })
        .collect();

    let results = register_in_parallel(&store, requests).await;

    let stored =
        store.idempotent_response(&user_id(SPONSOR), "batch-row-1").await.expect("read key").expect("key stored");
    let mut created = 0;
    let mut replayed = 0;
    for result in results {
        match result {
            Ok(RegistrationCommit::Created(_)) => created += 1,
            Ok(RegistrationCommit::Replayed(response)) => {
                assert_eq!(response, stored, "a replay returned another response than the stored one");
                replayed += 1;
            }
            Err(error) => panic!("expected Created or Replayed, got {error:?}"),
        }
    }
    assert_eq!(created, 1);
    assert_eq!(replayed, 9);
    let accounts = store.sponsored_accounts(&user_id(SPONSOR), None, 100).await.expect("read accounts");
    assert_eq!(accounts.len(), 1);
    let winner = accounts.first().map(|account| account.user.user_id.clone());
    assert_eq!(stored.response.get("user_id").and_then(|id| id.as_str()).map(str::to_owned), winner);
}

pub async fn parallel_commits_unique_streams(store: Arc<dyn Store>) {
    create_user(&*store, "alice01").await;
    let created = create_room(&*store, "club", "alice01").await;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = Arc::clone(&store);
            let batch = WriteBatch {
                events: vec![
                    message(&format!("$a{i}"), "club", "alice01", "a"),
                    message(&format!("$b{i}"), "club", "alice01", "b"),
                ],
                account_data: vec![account_data("alice01", None, &format!("test.counter.{i}"), json!({ "i": i }))],
                ..WriteBatch::default()
            };
            tokio::spawn(async move { store.commit(batch).await })
        })
        .collect();

    let mut positions = BTreeSet::new();
    for task in tasks {
        let committed = task.await.expect("commit task panicked").expect("commit");
        let streams: Vec<i64> = committed.events.iter().map(|event| event.stream).collect();
        let first = *streams.first().expect("two events");
        assert_eq!(streams, vec![first, first + 1], "one commit's events are not consecutive");
        assert_eq!(committed.position, first + 2, "the account data does not follow the events");
        for position in first..=committed.position {
            assert!(positions.insert(position), "stream position {position} was assigned twice");
        }
    }

    let expected: BTreeSet<i64> = (created.position + 1..=created.position + 60).collect();
    assert_eq!(positions, expected);
    assert_eq!(store.current_position().await.expect("read position"), created.position + 60);
}

pub async fn parallel_activations_one_wins(store: Arc<dyn Store>) {
    let pending = pending_user("newbie01");
    store.create_user(pending.clone(), audit("user.create", &pending.user_id, NOON)).await.expect("create");
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let store = Arc::clone(&store);
            let activation = activation("newbie01", "initial-newbie01", &format!("hash-{i}"), &format!("token-{i}"));
            tokio::spawn(async move { store.activate_user(activation).await })
        })
        .collect();

    let mut succeeded = 0;
    for task in tasks {
        match task.await.expect("activation task panicked") {
            Ok(()) => succeeded += 1,
            Err(StoreError::NotFound) => {}
            Err(error) => panic!("expected success or NotFound, got {error:?}"),
        }
    }

    assert_eq!(succeeded, 1);
    assert_eq!(store.sessions_of_user(&pending.user_id).await.expect("read sessions").len(), 1);
}

/// Commits lone messages from parallel tasks and checks each result by event id.
async fn commit_in_parallel(store: &Arc<dyn Store>, events: Vec<NewEvent>) -> Vec<(String, StoreResult<Committed>)> {
    let tasks: Vec<_> = events
        .into_iter()
        .map(|event| {
            let store = Arc::clone(store);
            let event_id = event.event_id.clone();
            let batch = WriteBatch { events: vec![event], ..WriteBatch::default() };
            (event_id, tokio::spawn(async move { store.commit(batch).await }))
        })
        .collect();
    let mut results = Vec::new();
    for (event_id, task) in tasks {
        results.push((event_id, task.await.expect("commit task panicked")));
    }
    results
}

pub async fn parallel_messages_each_get_their_result(store: Arc<dyn Store>) {
    create_user(&*store, "alice01").await;
    let created = create_room(&*store, "club", "alice01").await;

    // Enough at once that a backend may write several together.
    let clean = (0..20).map(|i| message_with_txn(&format!("$c{i}"), "club", "alice01", "DEVICE", &format!("c-{i}")));
    let mut streams = BTreeSet::new();
    for (event_id, result) in commit_in_parallel(&store, clean.collect()).await {
        let committed = result.expect("message committed");
        assert_eq!(committed.events[0].event_id, event_id);
        assert_eq!(committed.position, committed.events[0].stream);
        assert!(streams.insert(committed.position), "stream {} assigned twice", committed.position);
    }
    let expected: BTreeSet<i64> = (created.position + 1..=created.position + 20).collect();
    assert_eq!(streams, expected, "the 20 messages took the next 20 positions");
    assert_eq!(store.current_position().await.expect("read position"), created.position + 20);
    let stored = store.event("$c7").await.expect("read event").expect("stored");
    assert_eq!(stored.content["body"], "c-7");
    assert_eq!(stored.transaction.map(|t| t.txn_id).as_deref(), Some("c-7"));

    // The same with a repeated transaction id and an unknown room among them:
    // each sender still gets its own result.
    let mut mixed: Vec<NewEvent> =
        (0..20).map(|i| message_with_txn(&format!("$m{i}"), "club", "alice01", "DEVICE", &format!("m-{i}"))).collect();
    mixed.insert(5, message_with_txn("$repeat", "club", "alice01", "DEVICE", "c-3"));
    mixed.push(message("$nowhere", "nowhere", "alice01", "lost"));
    let mut streams = BTreeSet::new();
    for (event_id, result) in commit_in_parallel(&store, mixed).await {
        match event_id.as_str() {
            "$repeat" => assert!(matches!(result, Err(StoreError::Conflict { field: "txn_id" })), "{result:?}"),
            "$nowhere" => assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}"),
            _ => {
                let committed = result.expect("message committed");
                assert_eq!(committed.events[0].event_id, event_id);
                assert!(streams.insert(committed.position), "stream {} assigned twice", committed.position);
            }
        }
    }
    let expected: BTreeSet<i64> = (created.position + 21..=created.position + 40).collect();
    assert_eq!(streams, expected);
    assert_eq!(store.current_position().await.expect("read position"), created.position + 40);
    assert!(store.event("$repeat").await.expect("read event").is_none());
}
