//! Sponsored registration, quotas, sponsor links, grants and the audit log.

use std::sync::Arc;

use serde_json::json;
use usher_core::quota::{day_start, Quota, QuotaPeriod, QuotaUsage};

use crate::contract::fixtures::*;
use crate::{
    AccountState, Committed, NewAlias, RegistrationCommit, SponsorGrant, SponsoredCursor, SponsoredRegistration, Store,
    StoreError, WriteBatch,
};

const SPONSOR: &str = "groupadmin";

/// Registers an account that must be created, and returns what was committed.
async fn register(store: &dyn Store, registration: SponsoredRegistration) -> Committed {
    match store.register_sponsored(registration).await {
        Ok(RegistrationCommit::Created(committed)) => committed,
        other => panic!("expected a created account, got {other:?}"),
    }
}

/// Builds a registration of `localpart` that joins the room `club`.
fn joining_club(localpart: &str) -> SponsoredRegistration {
    SponsoredRegistration {
        writes: WriteBatch {
            events: vec![member_event(&format!("$join-{localpart}"), "club", localpart, "join")],
            ..WriteBatch::default()
        },
        ..registration(SPONSOR, localpart, Quota::UNLIMITED, NOON)
    }
}

/// Asserts that nothing of the registration of `localpart` into `club` was
/// stored, given the stream position before it.
async fn assert_registration_absent(store: &dyn Store, localpart: &str, position_before: i64) {
    let member = user_id(localpart);
    assert_eq!(store.sponsor_link(&member).await.expect("read link"), None, "the sponsor link was kept");
    assert_eq!(
        store.event(&format!("$join-{localpart}")).await.expect("read event"),
        None,
        "the member event was kept"
    );
    let members = store.members_of_room(&room_id("club")).await.expect("read members");
    assert!(members.iter().all(|record| record.user_id != member), "the membership was kept");
    assert_eq!(store.current_position().await.expect("read position"), position_before, "the stream advanced");
    assert_eq!(
        store.idempotent_response(&user_id(SPONSOR), "key-1").await.expect("read key"),
        None,
        "the key was kept"
    );
    let registered = store.audit_records(&member, 10).await.expect("read audit");
    assert!(registered.iter().all(|record| record.action != "user.register"), "the audit record was kept");
}

pub async fn register_writes_everything(store: Arc<dyn Store>) {
    create_user(&*store, SPONSOR).await;
    create_room(&*store, "club", SPONSOR).await;
    let mut request = joining_club("member01");
    request.idempotency = Some(idempotency("key-1", json!({ "user_id": user_id("member01") })));
    request.writes.account_data = vec![account_data("member01", None, "m.direct", json!({ user_id(SPONSOR): [] }))];

    let committed = register(&*store, request.clone()).await;

    assert_eq!(committed.events.len(), 1);
    assert_eq!(committed.events.first().map(|event| event.stream), Some(3));
    assert_eq!(committed.position, 4, "the event and the account data each take a position");
    assert_eq!(store.user(&user_id("member01")).await.expect("read user"), Some(request.user.clone()));
    assert_eq!(store.sponsor_link(&user_id("member01")).await.expect("read link"), Some(request.link.clone()));
    let memberships = store.memberships_of_user(&user_id("member01")).await.expect("read memberships");
    assert_eq!(memberships.len(), 1);
    assert_eq!(memberships.first().map(|record| record.membership.as_str()), Some("join"));
    let direct = store.account_data(&user_id("member01"), None, "m.direct").await.expect("read account data");
    assert_eq!(direct, Some(json!({ user_id(SPONSOR): [] })));
    let stored = store.idempotent_response(&user_id(SPONSOR), "key-1").await.expect("read key");
    assert_eq!(stored, request.idempotency.map(|record| record.response));
    let audits = store.audit_records(&user_id("member01"), 10).await.expect("read audit");
    assert_eq!(audits, vec![request.audit]);
    let usage = store.quota_usage(&user_id(SPONSOR), NOON).await.expect("read usage");
    assert_eq!(usage, QuotaUsage { today: 1, total: 1 });
}

pub async fn register_replays_idempotency_key(store: Arc<dyn Store>) {
    create_user(&*store, SPONSOR).await;
    let response = json!({ "user_id": user_id("member01"), "password": "initial" });
    let first = SponsoredRegistration {
        idempotency: Some(idempotency("key-1", response.clone())),
        ..registration(SPONSOR, "member01", Quota::UNLIMITED, NOON)
    };
    register(&*store, first).await;

    let retry = SponsoredRegistration {
        idempotency: Some(idempotency("key-1", json!({ "user_id": user_id("member02") }))),
        ..registration(SPONSOR, "member02", Quota::UNLIMITED, NOON + 1)
    };
    let replayed = store.register_sponsored(retry).await.expect("replay");

    match replayed {
        RegistrationCommit::Replayed(stored) => assert_eq!(stored.response, response),
        other => panic!("expected a replay, got {other:?}"),
    }
    assert_eq!(store.user(&user_id("member02")).await.expect("read user"), None, "a replay created an account");
    let usage = store.quota_usage(&user_id(SPONSOR), NOON).await.expect("read usage");
    assert_eq!(usage.total, 1);

    create_user(&*store, "othersponsor").await;
    let other_sponsor = SponsoredRegistration {
        idempotency: Some(idempotency("key-1", json!({}))),
        ..registration("othersponsor", "member03", Quota::UNLIMITED, NOON)
    };
    register(&*store, other_sponsor).await;
}

pub async fn expired_idempotency_key_replaced(store: Arc<dyn Store>) {
    create_user(&*store, SPONSOR).await;
    let first = SponsoredRegistration {
        idempotency: Some(idempotency("key-1", json!({ "user_id": user_id("member01") }))),
        ..registration(SPONSOR, "member01", Quota::UNLIMITED, NOON)
    };
    register(&*store, first).await;

    let day_later = NOON + 86_400_000 + 1;
    let mut record = idempotency("key-1", json!({ "user_id": user_id("member02") }));
    record.response.created_at = day_later;
    record.expires_before = day_later - 86_400_000;
    let again = SponsoredRegistration {
        idempotency: Some(record),
        ..registration(SPONSOR, "member02", Quota::UNLIMITED, day_later)
    };
    match store.register_sponsored(again).await.expect("register") {
        RegistrationCommit::Created(_) => {}
        other => panic!("an expired key must not replay, got {other:?}"),
    }
    assert!(store.user(&user_id("member02")).await.expect("read user").is_some());
    let stored = store.idempotent_response(&user_id(SPONSOR), "key-1").await.expect("read key").expect("key stored");
    assert_eq!(stored.created_at, day_later, "the new response replaced the expired one");
}

pub async fn register_duplicate_username_rolls_back(store: Arc<dyn Store>) {
    create_user(&*store, SPONSOR).await;
    create_room(&*store, "club", SPONSOR).await;
    create_user(&*store, "member01").await;
    let before = store.current_position().await.expect("read position");
    let mut request = joining_club("member01");
    request.idempotency = Some(idempotency("key-1", json!({})));

    let result = store.register_sponsored(request).await;

    assert_conflict(result, "username");
    assert_registration_absent(&*store, "member01", before).await;
    assert_eq!(store.user(&user_id("member01")).await.expect("read user"), Some(user("member01")));
    let usage = store.quota_usage(&user_id(SPONSOR), NOON).await.expect("read usage");
    assert_eq!(usage, QuotaUsage { today: 0, total: 0 });
}

pub async fn register_over_quota_rolls_back(store: Arc<dyn Store>) {
    create_user(&*store, SPONSOR).await;
    create_room(&*store, "club", SPONSOR).await;
    let quota = Quota { daily: None, total: Some(1) };
    register(&*store, SponsoredRegistration { quota, ..joining_club("member01") }).await;
    let before = store.current_position().await.expect("read position");
    let mut request = SponsoredRegistration { quota, ..joining_club("member02") };
    request.idempotency = Some(idempotency("key-1", json!({})));

    let result = store.register_sponsored(request).await;

    match result {
        Err(StoreError::QuotaExceeded(exceeded)) => {
            assert_eq!(exceeded.period, QuotaPeriod::Total);
            assert_eq!(exceeded.limit, 1);
            assert_eq!(exceeded.used, 1);
        }
        other => panic!("expected QuotaExceeded, got {other:?}"),
    }
    assert_eq!(store.user(&user_id("member02")).await.expect("read user"), None, "the account was kept");
    assert_registration_absent(&*store, "member02", before).await;
}

pub async fn register_bad_writes_roll_back(store: Arc<dyn Store>) {
    create_user(&*store, SPONSOR).await;
    create_room(&*store, "club", SPONSOR).await;
    let alias = NewAlias { alias: format!("#club:{SERVER}"), room_id: room_id("club"), creator: user_id(SPONSOR) };
    commit(&*store, WriteBatch { aliases: vec![alias.clone()], ..WriteBatch::default() }).await;
    let before = store.current_position().await.expect("read position");
    let mut request = joining_club("member01");
    request.writes.aliases = vec![alias];

    let result = store.register_sponsored(request).await;

    assert_conflict(result, "alias");
    assert_eq!(store.user(&user_id("member01")).await.expect("read user"), None, "the account was kept");
    assert_registration_absent(&*store, "member01", before).await;
}

pub async fn daily_and_total_quota(store: Arc<dyn Store>) {
    create_user(&*store, SPONSOR).await;
    let quota = Quota { daily: Some(2), total: Some(3) };
    register(&*store, registration(SPONSOR, "member01", quota, NOON)).await;
    register(&*store, registration(SPONSOR, "member02", quota, NOON + 1)).await;

    let third_today = store.register_sponsored(registration(SPONSOR, "member03", quota, NOON + 2)).await;
    match third_today {
        Err(StoreError::QuotaExceeded(exceeded)) => {
            assert_eq!(exceeded.period, QuotaPeriod::Daily);
            assert_eq!(exceeded.limit, 2);
            assert_eq!(exceeded.used, 2);
            assert_eq!(exceeded.resets_at, Some(day_start(NOON) + DAY));
        }
        other => panic!("expected the daily quota to be exceeded, got {other:?}"),
    }

    register(&*store, registration(SPONSOR, "member03", quota, NOON + DAY)).await;

    let fourth = store.register_sponsored(registration(SPONSOR, "member04", quota, NOON + DAY + 1)).await;
    match fourth {
        Err(StoreError::QuotaExceeded(exceeded)) => {
            assert_eq!(exceeded.period, QuotaPeriod::Total);
            assert_eq!(exceeded.limit, 3);
            assert_eq!(exceeded.used, 3);
        }
        other => panic!("expected the total quota to be exceeded, got {other:?}"),
    }
    assert_eq!(store.user(&user_id("member04")).await.expect("read user"), None);
}

pub async fn quota_usage_counts_by_day(store: Arc<dyn Store>) {
    create_user(&*store, SPONSOR).await;
    register(&*store, registration(SPONSOR, "member01", Quota::UNLIMITED, NOON - DAY)).await;
    register(&*store, registration(SPONSOR, "member02", Quota::UNLIMITED, day_start(NOON))).await;
    register(&*store, registration(SPONSOR, "member03", Quota::UNLIMITED, NOON + 3_600_000)).await;
    create_user(&*store, "othersponsor").await;
    register(&*store, registration("othersponsor", "member04", Quota::UNLIMITED, NOON)).await;

    let today = store.quota_usage(&user_id(SPONSOR), NOON).await.expect("read usage");
    assert_eq!(today, QuotaUsage { today: 2, total: 3 });
    let yesterday = store.quota_usage(&user_id(SPONSOR), NOON - DAY).await.expect("read usage");
    assert_eq!(yesterday, QuotaUsage { today: 1, total: 3 });
    let nobody = store.quota_usage(&user_id("nobody01"), NOON).await.expect("read usage");
    assert_eq!(nobody, QuotaUsage::default());
}

pub async fn sponsored_accounts_pages(store: Arc<dyn Store>) {
    create_user(&*store, SPONSOR).await;
    // Inserted out of order; three share one creation time.
    for (localpart, created_at) in
        [("member05", NOON + 2), ("member03", NOON), ("member01", NOON), ("member04", NOON + 1), ("member02", NOON)]
    {
        register(&*store, registration(SPONSOR, localpart, Quota::UNLIMITED, created_at)).await;
    }
    create_user(&*store, "othersponsor").await;
    register(&*store, registration("othersponsor", "member06", Quota::UNLIMITED, NOON)).await;
    let sponsor = user_id(SPONSOR);

    let mut pages = Vec::new();
    let mut cursor: Option<SponsoredCursor> = None;
    loop {
        let page = store.sponsored_accounts(&sponsor, cursor.as_ref(), 2).await.expect("read page");
        let Some(last) = page.last() else {
            break;
        };
        assert!(page.len() <= 2, "a page is larger than its limit");
        cursor = Some(SponsoredCursor { created_at: last.link.created_at, user_id: last.user.user_id.clone() });
        pages.push(page.iter().map(|account| account.user.localpart.clone()).collect::<Vec<_>>());
    }

    assert_eq!(pages, vec![vec!["member01", "member02"], vec!["member03", "member04"], vec!["member05"]]);
    let all = store.sponsored_accounts(&sponsor, None, 100).await.expect("read all");
    let first = all.first().expect("five accounts");
    assert_eq!(first.user, registration(SPONSOR, "member01", Quota::UNLIMITED, NOON).user);
    assert_eq!(first.link, registration(SPONSOR, "member01", Quota::UNLIMITED, NOON).link);
    assert!(first.user.state == AccountState::Pending);
}

pub async fn sponsored_accounts_joined_rooms(store: Arc<dyn Store>) {
    create_user(&*store, SPONSOR).await;
    create_room(&*store, "club", SPONSOR).await;
    create_room(&*store, "chess", SPONSOR).await;
    let mut first = joining_club("member01");
    first.writes.events.push(member_event("$join-chess-member01", "chess", "member01", "join"));
    register(&*store, first).await;
    let mut second = registration(SPONSOR, "member02", Quota::UNLIMITED, NOON + 1);
    second.writes.events.push(state_event(
        "$invite-member02",
        "club",
        SPONSOR,
        "m.room.member",
        &user_id("member02"),
        json!({ "membership": "invite" }),
    ));
    register(&*store, second).await;
    commit(
        &*store,
        WriteBatch {
            events: vec![member_event("$leave-chess", "chess", "member01", "leave")],
            ..WriteBatch::default()
        },
    )
    .await;

    let accounts = store.sponsored_accounts(&user_id(SPONSOR), None, 10).await.expect("read accounts");

    let joined: Vec<(String, Vec<String>)> =
        accounts.into_iter().map(|account| (account.user.localpart, account.joined_rooms)).collect();
    assert_eq!(joined, vec![("member01".to_owned(), vec![room_id("club")]), ("member02".to_owned(), vec![])]);
}

pub async fn sponsor_link_absent(store: Arc<dyn Store>) {
    create_user(&*store, "alice01").await;

    assert_eq!(store.sponsor_link(&user_id("alice01")).await.expect("read link"), None);
    assert!(store.sponsored_accounts(&user_id("alice01"), None, 10).await.expect("read accounts").is_empty());
}

pub async fn sponsor_grant_lifecycle(store: Arc<dyn Store>) {
    let grantee = user_id("teacher1");
    assert_eq!(store.sponsor_grant(&grantee).await.expect("read grant"), None);

    let grant = SponsorGrant {
        user_id: grantee.clone(),
        quota: Quota { daily: Some(5), total: Some(50) },
        granted_by: user_id("admin"),
        created_at: NOON,
    };
    store.put_sponsor_grant(grant.clone(), audit("sponsor.grant", &grantee, NOON)).await.expect("grant");
    assert_eq!(store.sponsor_grant(&grantee).await.expect("read grant"), Some(grant));

    let unlimited = SponsorGrant {
        user_id: grantee.clone(),
        quota: Quota::UNLIMITED,
        granted_by: user_id("root0001"),
        created_at: NOON + 1,
    };
    store
        .put_sponsor_grant(unlimited.clone(), audit("sponsor.grant", &grantee, NOON + 1))
        .await
        .expect("replace grant");
    assert_eq!(store.sponsor_grant(&grantee).await.expect("read grant"), Some(unlimited));

    assert!(store.delete_sponsor_grant(&grantee, audit("sponsor.revoke", &grantee, NOON + 2)).await.expect("revoke"));
    assert_eq!(store.sponsor_grant(&grantee).await.expect("read grant"), None);
    let again =
        store.delete_sponsor_grant(&grantee, audit("sponsor.revoke", &grantee, NOON + 3)).await.expect("revoke again");
    assert!(!again, "revoking a missing grant reported one");

    let actions: Vec<String> =
        store.audit_records(&grantee, 10).await.expect("read audit").into_iter().map(|record| record.action).collect();
    assert_eq!(
        actions,
        vec!["sponsor.revoke", "sponsor.grant", "sponsor.grant"],
        "a revocation that found nothing was audited"
    );
}

pub async fn audit_records_newest_first(store: Arc<dyn Store>) {
    let target = user_id("teacher1");
    let grant = SponsorGrant {
        user_id: target.clone(),
        quota: Quota::UNLIMITED,
        granted_by: user_id("admin"),
        created_at: NOON,
    };
    for (offset, action) in [(3, "third"), (1, "first"), (2, "second"), (0, "zeroth"), (3, "third-later")] {
        store.put_sponsor_grant(grant.clone(), audit(action, &target, NOON + offset)).await.expect("grant");
    }
    store.put_sponsor_grant(grant.clone(), audit("elsewhere", &user_id("other001"), NOON + 9)).await.expect("grant");

    let actions = |limit| {
        let store = Arc::clone(&store);
        let target = target.clone();
        async move {
            let records = store.audit_records(&target, limit).await.expect("read audit");
            records.into_iter().map(|record| record.action).collect::<Vec<_>>()
        }
    };

    assert_eq!(actions(10).await, vec!["third-later", "third", "second", "first", "zeroth"]);
    assert_eq!(actions(2).await, vec!["third-later", "third"]);
    assert!(store.audit_records(&user_id("nobody01"), 10).await.expect("read audit").is_empty());
}
