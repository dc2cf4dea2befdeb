//! One realistic sequence through every area of the store.

use std::sync::Arc;

use serde_json::json;
use usher_core::quota::{Quota, QuotaUsage};

use crate::contract::fixtures::*;
use crate::{
    AccountState, Direction, EndSessions, NewAlias, NewUser, RegistrationCommit, SponsorGrant, SponsoredRegistration,
    Store, WriteBatch,
};

/// Walks a teacher, granted sponsorship by the admin, through registering
/// two pupils into a class room. One pupil activates, chats and changes password.
pub async fn sponsored_group_story(store: Arc<dyn Store>) {
    let admin = user_id("admin");
    let teacher = user_id("teacher1");
    let pupil = user_id("pupil001");
    let class = room_id("class");

    // The first admin and the teacher exist, and the admin logs in.
    store
        .create_user(NewUser { is_admin: true, ..user("admin") }, audit("user.create", &admin, NOON))
        .await
        .expect("create admin");
    create_user(&*store, "teacher1").await;
    store.create_session(session("admin-token", &admin, "ADMINPC")).await.expect("admin session");
    let admin_session = store.session("admin-token").await.expect("read session").expect("admin logged in");
    assert!(admin_session.user.is_admin);

    // The admin lets the teacher sponsor twenty accounts a day.
    let quota = Quota { daily: Some(20), total: None };
    let grant = SponsorGrant { user_id: teacher.clone(), quota, granted_by: admin.clone(), created_at: NOON };
    store.put_sponsor_grant(grant, audit("sponsor.grant", &teacher, NOON)).await.expect("grant");
    let granted = store.sponsor_grant(&teacher).await.expect("read grant").expect("grant stored");
    assert_eq!(granted.quota, quota);

    // The teacher creates the class room with an alias and a name.
    let created = create_room(&*store, "class", "teacher1").await;
    let alias = NewAlias { alias: format!("#class:{SERVER}"), room_id: class.clone(), creator: teacher.clone() };
    let named = WriteBatch {
        aliases: vec![alias],
        events: vec![name_event("$class-name", "class", "teacher1", "Class 3B")],
        ..WriteBatch::default()
    };
    commit(&*store, named).await;
    assert_eq!(store.resolve_alias(&format!("#class:{SERVER}")).await.expect("resolve"), Some(class.clone()));
    let teacher_synced_at = store.current_position().await.expect("read position");
    assert!(teacher_synced_at > created.position);

    // The teacher registers two pupils into the class, one batch row each.
    for (row, localpart) in ["pupil001", "pupil002"].into_iter().enumerate() {
        let request = pupil_registration(localpart, &format!("row-{row}"), quota);
        let result = store.register_sponsored(request).await.expect("register pupil");
        assert!(matches!(result, RegistrationCommit::Created(_)), "pupil {localpart} was not created");
    }
    let retry = store.register_sponsored(pupil_registration("pupil001", "row-0", quota)).await.expect("retry row");
    assert!(matches!(retry, RegistrationCommit::Replayed(_)), "a retried row was not replayed");
    assert_eq!(store.quota_usage(&teacher, NOON).await.expect("read usage"), QuotaUsage { today: 2, total: 2 });

    // The teacher's next sync returns both joins.
    let upto = store.current_position().await.expect("read position");
    let joins = store.room_events(&class, teacher_synced_at, upto, 50, Direction::Forward).await.expect("read events");
    let joined: Vec<Option<String>> = joins.iter().map(|event| event.state_key.clone()).collect();
    assert_eq!(joined, vec![Some(pupil.clone()), Some(user_id("pupil002"))]);

    // The first pupil activates with a private password.
    store
        .activate_user(activation("pupil001", "initial-pupil001", "private-pupil001", "pupil-phone"))
        .await
        .expect("activate");
    let pupil_session = store.session("pupil-phone").await.expect("read session").expect("pupil logged in");
    assert_eq!(pupil_session.user.state, AccountState::Active);
    store.create_session(session("pupil-tablet", &pupil, "TABLET")).await.expect("second device");

    // The pupil sends hello. A retry of the same transaction is a conflict,
    // and the original is found by its transaction id.
    let hello = message_with_txn("$hello", "class", "pupil001", "ACTIVATED", "txn-1");
    let sent = commit(&*store, WriteBatch { events: vec![hello.clone()], ..WriteBatch::default() }).await;
    let resend = store
        .commit(WriteBatch {
            events: vec![message_with_txn("$hello-again", "class", "pupil001", "ACTIVATED", "txn-1")],
            ..WriteBatch::default()
        })
        .await;
    assert_conflict(resend, "txn_id");
    let original = store.event_by_txn(&pupil, "ACTIVATED", "txn-1").await.expect("read").expect("original found");
    assert_eq!(original.stream, sent.position);

    // The teacher's sync picks the message up, and the state is complete.
    let latest = store.room_events(&class, upto, sent.position, 10, Direction::Backward).await.expect("read events");
    assert_eq!(latest.iter().map(|event| event.event_id.as_str()).collect::<Vec<_>>(), vec!["$hello"]);
    let state = store.state_at(&class, sent.position).await.expect("read state");
    assert_eq!(state.len(), 5, "create, name and three members");
    let members = store.members_of_room(&class).await.expect("read members");
    assert!(members.iter().all(|record| record.membership == "join"));
    assert_eq!(members.len(), 3);

    // The pupil changes password from the phone, which logs the tablet out.
    let keep = EndSessions { keep_token_hash: Some("pupil-phone".to_owned()) };
    store.set_password_hash(&pupil, "newer-pupil001", Some(keep)).await.expect("change password");
    assert!(store.session("pupil-tablet").await.expect("read session").is_none());
    assert!(store.session("pupil-phone").await.expect("read session").is_some());

    // The pupil saves a sync filter.
    let filter_id =
        store.create_filter(&pupil, &json!({ "room": { "timeline": { "limit": 10 } } })).await.expect("create filter");
    assert!(store.filter(&pupil, &filter_id).await.expect("read filter").is_some());

    // The teacher's console lists both pupils in the class. The pupil's
    // audit trail shows registration, then activation.
    let accounts = store.sponsored_accounts(&teacher, None, 10).await.expect("read accounts");
    let listed: Vec<(&str, &[String])> =
        accounts.iter().map(|account| (account.user.localpart.as_str(), account.joined_rooms.as_slice())).collect();
    assert_eq!(listed, vec![("pupil001", std::slice::from_ref(&class)), ("pupil002", std::slice::from_ref(&class))]);
    let link = store.sponsor_link(&pupil).await.expect("read link").expect("link stored");
    assert_eq!(link.sponsor_id, teacher);
    let trail: Vec<String> =
        store.audit_records(&pupil, 10).await.expect("read audit").into_iter().map(|record| record.action).collect();
    assert_eq!(trail, vec!["user.activate", "user.register"]);
    let direct = store.account_data_since(&pupil, 0).await.expect("read account data");
    assert_eq!(direct.first().map(|record| record.data_type.as_str()), Some("m.direct"));

    // The admin revokes the grant and logs out.
    assert!(store.delete_sponsor_grant(&teacher, audit("sponsor.revoke", &teacher, NOON + 5)).await.expect("revoke"));
    assert!(store.delete_session("admin-token").await.expect("log out"));
    assert_eq!(store.delete_sessions_of_user(&pupil).await.expect("end sessions"), 1);
}

/// Builds the teacher's registration of `localpart` into the class, with a
/// direct chat marked in the pupil's account data.
fn pupil_registration(localpart: &str, key: &str, quota: Quota) -> SponsoredRegistration {
    let base = registration("teacher1", localpart, quota, NOON + 1);
    SponsoredRegistration {
        idempotency: Some(idempotency(key, json!({ "user_id": user_id(localpart) }))),
        writes: WriteBatch {
            events: vec![member_event(&format!("$join-{localpart}"), "class", localpart, "join")],
            account_data: vec![account_data(localpart, None, "m.direct", json!({ user_id("teacher1"): [] }))],
            ..WriteBatch::default()
        },
        ..base
    }
}
