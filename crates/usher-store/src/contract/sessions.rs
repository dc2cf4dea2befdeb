//! Sessions: lookup by token hash, listing and ending them.

use std::sync::Arc;

use crate::contract::fixtures::*;
use crate::Store;

pub async fn session_joined_with_user(store: Arc<dyn Store>) {
    create_user(&*store, "alice01").await;
    let alice = user_id("alice01");
    let new_session = session("token-1", &alice, "PHONE");
    store.create_session(new_session.clone()).await.expect("create session");

    let found = store.session("token-1").await.expect("read session").expect("session exists");

    assert_eq!(found.session, new_session);
    assert_eq!(found.user, user("alice01"));
}

pub async fn session_unknown_token(store: Arc<dyn Store>) {
    create_user(&*store, "alice01").await;

    assert!(store.session("no-such-token").await.expect("read session").is_none());
}

pub async fn sessions_of_user_lists_all(store: Arc<dyn Store>) {
    create_user(&*store, "alice01").await;
    create_user(&*store, "bob0001").await;
    let alice = user_id("alice01");
    store.create_session(session("token-1", &alice, "PHONE")).await.expect("session 1");
    store.create_session(session("token-2", &alice, "LAPTOP")).await.expect("session 2");
    store.create_session(session("token-3", &user_id("bob0001"), "PHONE")).await.expect("bob's session");

    let mut devices: Vec<String> = store
        .sessions_of_user(&alice)
        .await
        .expect("read sessions")
        .into_iter()
        .map(|session| session.device_id)
        .collect();
    devices.sort();

    assert_eq!(devices, vec!["LAPTOP", "PHONE"]);
    assert!(store.sessions_of_user(&user_id("nobody01")).await.expect("read sessions").is_empty());
}

pub async fn delete_session_reports_existence(store: Arc<dyn Store>) {
    create_user(&*store, "alice01").await;
    store.create_session(session("token-1", &user_id("alice01"), "PHONE")).await.expect("create session");

    assert!(store.delete_session("token-1").await.expect("delete"), "an existing session was not reported");
    assert!(!store.delete_session("token-1").await.expect("delete again"), "a deleted session was reported");
    assert!(store.session("token-1").await.expect("read").is_none());
}

pub async fn delete_sessions_of_user_counts(store: Arc<dyn Store>) {
    create_user(&*store, "alice01").await;
    create_user(&*store, "bob0001").await;
    let alice = user_id("alice01");
    store.create_session(session("token-1", &alice, "PHONE")).await.expect("session 1");
    store.create_session(session("token-2", &alice, "LAPTOP")).await.expect("session 2");
    store.create_session(session("token-3", &user_id("bob0001"), "PHONE")).await.expect("bob's session");

    assert_eq!(store.delete_sessions_of_user(&alice).await.expect("delete"), 2);
    assert_eq!(store.delete_sessions_of_user(&alice).await.expect("delete again"), 0);
    assert!(store.session("token-3").await.expect("read").is_some(), "another user's session ended");
}

pub async fn create_session_duplicate_token(store: Arc<dyn Store>) {
    create_user(&*store, "alice01").await;
    let alice = user_id("alice01");
    store.create_session(session("token-1", &alice, "PHONE")).await.expect("create session");

    let result = store.create_session(session("token-1", &alice, "LAPTOP")).await;

    assert_conflict(result, "token_hash");
}

pub async fn create_session_unknown_user(store: Arc<dyn Store>) {
    let result = store.create_session(session("token-1", &user_id("nobody01"), "PHONE")).await;

    assert_not_found(result);
}
