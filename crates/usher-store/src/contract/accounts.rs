//! Accounts: creation, lookup, activation, password changes and profiles.

use std::sync::Arc;

use crate::contract::fixtures::*;
use crate::{AccountState, EndSessions, NewUser, ProfileUpdate, Store, WriteBatch};

pub async fn create_user_round_trip(store: Arc<dyn Store>) {
    let admin = NewUser { is_admin: true, display_name: Some("Admin".to_owned()), ..user("admin") };
    store.create_user(admin.clone(), audit("user.create", &admin.user_id, NOON)).await.expect("create admin");

    let by_id = store.user(&admin.user_id).await.expect("read by id");
    assert_eq!(by_id, Some(admin.clone()));
    let by_localpart = store.user_by_localpart("admin").await.expect("read by localpart");
    assert_eq!(by_localpart, Some(admin.clone()));

    assert_eq!(store.user(&user_id("nobody")).await.expect("read unknown"), None);
    assert_eq!(store.user_by_localpart("nobody").await.expect("read unknown"), None);

    let audits = store.audit_records(&admin.user_id, 10).await.expect("read audit");
    assert_eq!(audits, vec![audit("user.create", &admin.user_id, NOON)]);
}

pub async fn create_user_duplicate_localpart(store: Arc<dyn Store>) {
    create_user(&*store, "alice01").await;

    let result = store.create_user(user("alice01"), audit("user.create", "second attempt", NOON)).await;

    assert_conflict(result, "username");
    let audits = store.audit_records("second attempt", 10).await.expect("read audit");
    assert!(audits.is_empty(), "a failed creation must not leave its audit record");
}

pub async fn create_user_duplicate_user_id(store: Arc<dyn Store>) {
    create_user(&*store, "alice01").await;
    let same_id = NewUser { localpart: "alice02".to_owned(), ..user("alice01") };

    let result = store.create_user(same_id, audit("user.create", "second attempt", NOON)).await;

    assert_conflict(result, "username");
    assert_eq!(store.user_by_localpart("alice02").await.expect("read"), None);
}

pub async fn activate_pending_user(store: Arc<dyn Store>) {
    let pending = pending_user("newbie01");
    store.create_user(pending.clone(), audit("user.create", &pending.user_id, NOON)).await.expect("create");

    store
        .activate_user(activation("newbie01", "initial-newbie01", "private-hash", "token-1"))
        .await
        .expect("activation should succeed");

    let activated = store.user(&pending.user_id).await.expect("read").expect("user exists");
    assert_eq!(activated.state, AccountState::Active);
    assert_eq!(activated.password_hash, "private-hash");
    let session = store.session("token-1").await.expect("read session").expect("session opened");
    assert_eq!(session.session.device_id, "ACTIVATED");
    assert_eq!(session.user.state, AccountState::Active);
    let audits = store.audit_records(&pending.user_id, 10).await.expect("read audit");
    assert_eq!(audits.first().map(|record| record.action.as_str()), Some("user.activate"));
    assert_eq!(audits.len(), 2);
}

pub async fn activation_race_second_fails(store: Arc<dyn Store>) {
    let pending = pending_user("newbie01");
    store.create_user(pending.clone(), audit("user.create", &pending.user_id, NOON)).await.expect("create");
    store
        .activate_user(activation("newbie01", "initial-newbie01", "first-hash", "token-1"))
        .await
        .expect("first activation");

    let second = store.activate_user(activation("newbie01", "initial-newbie01", "second-hash", "token-2")).await;

    assert_not_found(second);
    let user = store.user(&pending.user_id).await.expect("read").expect("user exists");
    assert_eq!(user.password_hash, "first-hash");
    assert!(store.session("token-2").await.expect("read session").is_none(), "the losing activation opened a session");
    let sessions = store.sessions_of_user(&pending.user_id).await.expect("read sessions");
    assert_eq!(sessions.len(), 1);
}

pub async fn activate_wrong_hash_writes_nothing(store: Arc<dyn Store>) {
    let pending = pending_user("newbie01");
    store.create_user(pending.clone(), audit("user.create", &pending.user_id, NOON)).await.expect("create");

    let result = store.activate_user(activation("newbie01", "some-other-hash", "new-hash", "token-1")).await;

    assert_not_found(result);
    assert_eq!(store.user(&pending.user_id).await.expect("read"), Some(pending.clone()));
    assert!(store.session("token-1").await.expect("read session").is_none());
    let audits = store.audit_records(&pending.user_id, 10).await.expect("read audit");
    assert_eq!(audits.len(), 1, "only the creation is audited");
}

pub async fn activate_active_user_fails(store: Arc<dyn Store>) {
    create_user(&*store, "alice01").await;

    let result = store.activate_user(activation("alice01", "hash-alice01", "new-hash", "token-1")).await;

    assert_not_found(result);
    let unknown = store.activate_user(activation("nobody01", "hash", "new-hash", "token-2")).await;
    assert_not_found(unknown);
}

pub async fn set_password_keeps_sessions(store: Arc<dyn Store>) {
    create_user(&*store, "alice01").await;
    let alice = user_id("alice01");
    store.create_session(session("token-1", &alice, "PHONE")).await.expect("session 1");
    store.create_session(session("token-2", &alice, "LAPTOP")).await.expect("session 2");

    store.set_password_hash(&alice, "new-hash", None).await.expect("set password");

    let user = store.user(&alice).await.expect("read").expect("user exists");
    assert_eq!(user.password_hash, "new-hash");
    assert_eq!(store.sessions_of_user(&alice).await.expect("read sessions").len(), 2);
}

pub async fn set_password_ends_other_sessions(store: Arc<dyn Store>) {
    create_user(&*store, "alice01").await;
    create_user(&*store, "bob0001").await;
    let alice = user_id("alice01");
    store.create_session(session("token-1", &alice, "PHONE")).await.expect("session 1");
    store.create_session(session("token-2", &alice, "LAPTOP")).await.expect("session 2");
    store.create_session(session("token-3", &alice, "TABLET")).await.expect("session 3");
    store.create_session(session("token-bob", &user_id("bob0001"), "PHONE")).await.expect("bob's session");

    let keep = EndSessions { keep_token_hash: Some("token-2".to_owned()) };
    store.set_password_hash(&alice, "new-hash", Some(keep)).await.expect("set password");

    let remaining = store.sessions_of_user(&alice).await.expect("read sessions");
    let tokens: Vec<&str> = remaining.iter().map(|session| session.token_hash.as_str()).collect();
    assert_eq!(tokens, vec!["token-2"]);
    assert!(store.session("token-bob").await.expect("read").is_some(), "another user's session ended");
}

pub async fn set_password_ends_all_sessions(store: Arc<dyn Store>) {
    create_user(&*store, "alice01").await;
    let alice = user_id("alice01");
    store.create_session(session("token-1", &alice, "PHONE")).await.expect("session 1");
    store.create_session(session("token-2", &alice, "LAPTOP")).await.expect("session 2");

    store
        .set_password_hash(&alice, "new-hash", Some(EndSessions { keep_token_hash: None }))
        .await
        .expect("set password");

    assert!(store.sessions_of_user(&alice).await.expect("read sessions").is_empty());
}

pub async fn set_password_unknown_user(store: Arc<dyn Store>) {
    let result = store.set_password_hash(&user_id("nobody01"), "hash", None).await;

    assert_not_found(result);
}

pub async fn profile_update_sets_display_name(store: Arc<dyn Store>) {
    create_user(&*store, "alice01").await;
    let alice = user_id("alice01");

    let batch = WriteBatch {
        profiles: vec![ProfileUpdate { user_id: alice.clone(), display_name: Some("Alice 爱丽丝".to_owned()) }],
        ..WriteBatch::default()
    };
    commit(&*store, batch).await;
    let user = store.user(&alice).await.expect("read").expect("user exists");
    assert_eq!(user.display_name.as_deref(), Some("Alice 爱丽丝"));

    let clear = WriteBatch {
        profiles: vec![ProfileUpdate { user_id: alice.clone(), display_name: None }],
        ..WriteBatch::default()
    };
    commit(&*store, clear).await;
    let user = store.user(&alice).await.expect("read").expect("user exists");
    assert_eq!(user.display_name, None);
}
