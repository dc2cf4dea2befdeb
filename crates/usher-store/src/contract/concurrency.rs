//! Parallel writers: quotas, idempotency keys, stream positions and
//! activations must hold however calls interleave.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::json;
use usher_core::quota::{Quota, QuotaPeriod};

use crate::contract::fixtures::*;
use crate::{RegistrationCommit, SponsoredRegistration, Store, StoreError, StoreResult, WriteBatch};

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
