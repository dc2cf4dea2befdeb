//! Sponsored registration and activation through the router.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a failed unwrap is a failed test")]

mod common;

use axum::http::{Method, StatusCode};
use common::{enc, TestServer, ADMIN};
use serde_json::{json, Value};

fn rule_ids(body: &Value) -> Vec<String> {
    body["violations"]
        .as_array()
        .map(|v| v.iter().map(|x| x["rule"].as_str().unwrap_or("").to_owned()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn story_register_activate_chat() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    let group = server.create_room(&admin, json!({"name": "Hiking club"})).await;

    let reply = server.register(&admin, json!({"username": "zhangsan01", "groups": [group]})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.body["user_id"], "@zhangsan01:localhost");
    assert_eq!(reply.body["must_change_password"], true);
    assert_eq!(reply.body["sponsor"], format!("@{ADMIN}:localhost"));
    assert_eq!(reply.body["groups"], json!([group]));
    let initial = reply.body["initial_password"].as_str().unwrap().to_owned();

    let refused = server
        .send(Method::POST, "/_matrix/client/v3/login", None,
            Some(json!({"type": "m.login.password", "identifier": {"type": "m.id.user", "user": "zhangsan01"}, "password": initial})),
            &[("accept-language", "zh-CN,zh;q=0.9")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.body["errcode"], "M_FORBIDDEN");
    assert!(refused.body["error"].as_str().unwrap().contains("激活"), "{:?}", refused.body);

    let activated = server
        .post(
            "/_usher/v1/activate",
            None,
            json!({"username": "zhangsan01", "initial_password": initial, "new_password": "Walk-In-The-Hills-7"}),
        )
        .await;
    assert_eq!(activated.status, StatusCode::OK, "{:?}", activated.body);
    assert_eq!(activated.body["user_id"], "@zhangsan01:localhost");
    assert!(activated.body["device_id"].is_string());

    let old = server
        .post("/_matrix/client/v3/login", None, json!({"type": "m.login.password", "identifier": {"type": "m.id.user", "user": "zhangsan01"}, "password": initial}))
        .await;
    assert_eq!(old.status, StatusCode::FORBIDDEN);
    let user = server.login("zhangsan01", "Walk-In-The-Hills-7").await;

    let admin_sync = server.sync(&admin, None, 0).await;
    let since = admin_sync["next_batch"].as_str().unwrap().to_owned();
    let user_sync = server.sync(&user, None, 0).await;
    let room = &user_sync["rooms"]["join"][&group];
    assert!(room.is_object(), "group missing from sync: {user_sync}");
    let names: Vec<&Value> = room["state"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .chain(room["timeline"]["events"].as_array().unwrap())
        .filter(|e| e["type"] == "m.room.name")
        .collect();
    assert_eq!(names[0]["content"]["name"], "Hiking club");

    let sent = server
        .put(
            &format!("/_matrix/client/v3/rooms/{}/send/m.room.message/txn1", enc(&group)),
            Some(&user),
            json!({"msgtype": "m.text", "body": "你好，大家好"}),
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{:?}", sent.body);
    let update = server.sync(&admin, Some(&since), 5_000).await;
    let events = update["rooms"]["join"][&group]["timeline"]["events"].as_array().unwrap();
    let message = events.iter().find(|e| e["type"] == "m.room.message").expect("message delivered");
    assert_eq!(message["content"]["body"], "你好，大家好");
    assert_eq!(message["sender"], "@zhangsan01:localhost");
}

#[tokio::test]
async fn violations_reported_together() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    let reply = server.register(&admin, json!({"username": "1ab", "password": "12345678"})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["errcode"], "M_INVALID_USERNAME");
    let ids = rule_ids(&reply.body);
    for expected in ["username.too_short", "username.starts_with_digit", "password.all_digits", "password.too_common"] {
        assert!(ids.contains(&expected.to_owned()), "{expected} missing in {ids:?}");
    }
    assert!(reply.body["violations"][0]["message"].as_str().unwrap().contains("at least 7"));
}

#[tokio::test]
async fn violations_in_chinese() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    let reply = server
        .send(
            Method::POST,
            "/_usher/v1/registrations",
            Some(&admin),
            Some(json!({"username": "admin"})),
            &[("accept-language", "zh-CN")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(rule_ids(&reply.body).contains(&"username.reserved".to_owned()));
    let messages: Vec<&str> =
        reply.body["violations"].as_array().unwrap().iter().map(|v| v["message"].as_str().unwrap()).collect();
    assert!(messages.iter().any(|m| m.contains("保留")), "{messages:?}");
}

#[tokio::test]
async fn password_rules_and_weak_code() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    let reply = server.register(&admin, json!({"username": "wangwu001", "password": "xxWangWu001xx"})).await;
    assert_eq!(reply.body["errcode"], "M_WEAK_PASSWORD");
    assert_eq!(rule_ids(&reply.body), ["password.contains_username"]);
    let long = "a1".repeat(65);
    let reply = server.register(&admin, json!({"username": "wangwu001", "password": long})).await;
    assert_eq!(rule_ids(&reply.body), ["password.too_long"]);
}

#[tokio::test]
async fn full_width_name_normalized() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    let reply = server.register(&admin, json!({"username": "ｚｈａｎｇｓａｎ０２"})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.body["username"], "zhangsan02");
    let again = server.register(&admin, json!({"username": "ZhangSan02"})).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.body["errcode"], "M_USER_IN_USE");
    assert_eq!(rule_ids(&again.body), ["username.taken"]);
}

#[tokio::test]
async fn generated_name_and_password() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    let reply = server.register(&admin, json!({})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let username = reply.body["username"].as_str().unwrap();
    assert!(server.services.settings().rules.check_username(username).is_empty());
    let password = reply.body["initial_password"].as_str().unwrap();
    assert!(password.len() >= 20);
    let given = server.register(&admin, json!({"password": "Given-Password-99"})).await;
    assert_eq!(given.status, StatusCode::CREATED);
    assert!(given.body.get("initial_password").is_none(), "{:?}", given.body);
}

#[tokio::test]
async fn bad_json_and_field_limits() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    let reply = server.send(Method::POST, "/_usher/v1/registrations", Some(&admin), None, &[]).await;
    assert_eq!(reply.status, StatusCode::CREATED, "an empty body is an empty request: {:?}", reply.body);
    let not_json = server.send_raw(Method::POST, "/_usher/v1/registrations", Some(&admin), "{not json").await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_json.body["errcode"], "M_NOT_JSON");
    let reply = server.register(&admin, json!({"usernme": "typo"})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["errcode"], "M_BAD_JSON");
    assert!(reply.body["error"].as_str().unwrap().contains("usernme"), "{:?}", reply.body);
    let reply = server.register(&admin, json!({"groups": "not-a-list"})).await;
    assert_eq!(reply.body["errcode"], "M_BAD_JSON");
    assert!(reply.body["error"].as_str().unwrap().contains("field \"groups\""), "{:?}", reply.body);
    let reply = server.register(&admin, json!({"note": "x".repeat(501)})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body["error"].as_str().unwrap().contains("note"));
}

#[tokio::test]
async fn unknown_group_creates_nothing() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    let reply = server.register(&admin, json!({"username": "lisi00001", "groups": ["#nowhere:localhost"]})).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.body["errcode"], "M_NOT_FOUND");
    assert!(reply.body["error"].as_str().unwrap().contains("#nowhere:localhost"));
    let retry = server.register(&admin, json!({"username": "lisi00001"})).await;
    assert_eq!(retry.status, StatusCode::CREATED, "nothing was left behind: {:?}", retry.body);
}

#[tokio::test]
async fn group_admin_sponsors_own_group_only() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    let leader = server.register_active(&admin, "clubleader", &[]).await;
    let own = server.create_room(&leader, json!({"name": "Knitting", "room_alias_name": "knitting"})).await;
    let foreign = server.create_room(&admin, json!({"name": "Staff", "invite": ["@clubleader:localhost"]})).await;
    server.post(&format!("/_matrix/client/v3/join/{}", enc(&foreign)), Some(&leader), json!({})).await;

    let ok = server.register(&leader, json!({"username": "member0001", "groups": ["#knitting:localhost"]})).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{:?}", ok.body);
    assert_eq!(ok.body["groups"], json!([own]));

    let denied = server.register(&leader, json!({"username": "member0002", "groups": [own, foreign]})).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert!(denied.body["error"].as_str().unwrap().contains(&foreign));
    let members = server.get(&format!("/_matrix/client/v3/rooms/{}/joined_members", enc(&own)), Some(&leader)).await;
    assert!(members.body["joined"].get("@member0002:localhost").is_none(), "nothing created: {:?}", members.body);
    let retry = server.register(&admin, json!({"username": "member0002"})).await;
    assert_eq!(retry.status, StatusCode::CREATED, "the name stayed free");

    let no_group = server.register(&leader, json!({"username": "member0003"})).await;
    assert_eq!(no_group.status, StatusCode::FORBIDDEN);

    let typed = server.register(&leader, json!({"username": "member0004", "groups": ["＃knitting"]})).await;
    assert_eq!(typed.status, StatusCode::CREATED, "full-width # and no server part: {:?}", typed.body);
    assert_eq!(typed.body["groups"], json!([own]));

    let bare_id = own.split(':').next().unwrap();
    let by_bare_id = server.register(&leader, json!({"username": "member0005", "groups": [bare_id]})).await;
    assert_eq!(by_bare_id.status, StatusCode::CREATED, "a room id without its server part: {:?}", by_bare_id.body);
    assert_eq!(by_bare_id.body["groups"], json!([own]));
}

#[tokio::test]
async fn group_admin_sponsoring_switched_off() {
    let server = TestServer::with_settings(|s| s.sponsorship.group_admins_may_sponsor = false).await;
    let admin = server.admin_token().await;
    let leader = server.register_active(&admin, "clubleader", &[]).await;
    let own = server.create_room(&leader, json!({"name": "Knitting"})).await;
    let denied = server.register(&leader, json!({"username": "member0001", "groups": [own]})).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let path = format!("/_usher/v1/admin/sponsors/{}", enc("@clubleader:localhost"));
    assert_eq!(server.put(&path, Some(&admin), json!({"daily_quota": 5})).await.status, StatusCode::OK);
    let granted = server.register(&leader, json!({"username": "member0001", "groups": [own]})).await;
    assert_eq!(granted.status, StatusCode::CREATED, "a grant still allows it: {:?}", granted.body);
}

#[tokio::test]
async fn plain_user_forbidden() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    let user = server.register_active(&admin, "plainuser", &[]).await;
    let reply = server.register(&user, json!({"username": "someone01"})).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.body["errcode"], "M_FORBIDDEN");
}

#[tokio::test]
async fn pending_account_cannot_sponsor() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    let reply = server.register(&admin, json!({"username": "pending01", "password": "Pending-Pass-42"})).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    // Pending accounts cannot log in, so give one a session directly.
    let login = server
        .services
        .login(usher_service::LoginRequest {
            user: "pending01".into(),
            password: "Pending-Pass-42".into(),
            device_id: None,
            initial_device_display_name: None,
            client: None,
        })
        .await;
    assert!(login.is_err(), "a pending account has no login");
    let room = server.create_room(&admin, json!({})).await;
    server
        .put(
            &format!("/_usher/v1/admin/sponsors/{}", enc("@pending01:localhost")),
            Some(&admin),
            json!({"daily_quota": 5}),
        )
        .await;
    let store = server.services.store().clone();
    store
        .create_session(usher_store::NewSession {
            token_hash: usher_service::credentials::sha256_hex(b"pending-token"),
            user_id: "@pending01:localhost".into(),
            device_id: "DEV".into(),
            device_display_name: None,
            created_at: 0,
        })
        .await
        .unwrap();
    let reply = server.register("pending-token", json!({"username": "child0001", "groups": [room]})).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.body["error"].as_str().unwrap().contains("not activated"), "{:?}", reply.body);
}

#[tokio::test]
async fn grant_replaces_and_revokes() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    let sponsor = server.register_active(&admin, "granted01", &[]).await;
    let path = format!("/_usher/v1/admin/sponsors/{}", enc("@granted01:localhost"));

    let forbidden = server.put(&path, Some(&sponsor), json!({"daily_quota": 100})).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN, "only admins grant");

    let grant = server.put(&path, Some(&admin), json!({"daily_quota": 2, "total_quota": 10})).await;
    assert_eq!(grant.status, StatusCode::OK, "{:?}", grant.body);
    assert_eq!(grant.body["daily_quota"], 2);
    assert_eq!(server.register(&sponsor, json!({"username": "grantee001"})).await.status, StatusCode::CREATED);
    assert_eq!(server.register(&sponsor, json!({"username": "grantee002"})).await.status, StatusCode::CREATED);
    let over = server.register(&sponsor, json!({"username": "grantee003"})).await;
    assert_eq!(over.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(over.body["errcode"], "M_LIMIT_EXCEEDED");
    assert_eq!(over.body["quota"]["limit"], 2);
    assert_eq!(over.body["quota"]["period"], "daily");

    let view = server.get(&path, Some(&admin)).await;
    assert_eq!(view.body["used_today"], 2);
    assert_eq!(server.send(Method::DELETE, &path, Some(&admin), None, &[]).await.status, StatusCode::OK);
    let revoked = server.register(&sponsor, json!({"username": "grantee004"})).await;
    assert_eq!(revoked.status, StatusCode::FORBIDDEN);
    assert_eq!(server.send(Method::DELETE, &path, Some(&admin), None, &[]).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn quota_race_creates_exact_count() {
    let server = std::sync::Arc::new(TestServer::start().await);
    let admin = server.admin_token().await;
    let sponsor = server.register_active(&admin, "racer0001", &[]).await;
    let path = format!("/_usher/v1/admin/sponsors/{}", enc("@racer0001:localhost"));
    assert_eq!(server.put(&path, Some(&admin), json!({"total_quota": 10})).await.status, StatusCode::OK);

    let mut tasks = Vec::new();
    for i in 0..30 {
        let server = server.clone();
        let sponsor = sponsor.clone();
        tasks.push(tokio::spawn(async move {
            server.register(&sponsor, json!({"username": format!("raced{i:04}")})).await.status
        }));
    }
    let mut created = 0;
    let mut limited = 0;
    for task in tasks {
        match task.await.unwrap() {
            StatusCode::CREATED => created += 1,
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(created, 10);
    assert_eq!(limited, 20);
    let listed = server.get("/_usher/v1/sponsored?limit=100", Some(&sponsor)).await;
    assert_eq!(listed.body["accounts"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn idempotency_key_replays() {
    let server = std::sync::Arc::new(TestServer::start().await);
    let admin = server.admin_token().await;
    let body = json!({"username": "idem00001"});
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let server = server.clone();
        let admin = admin.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            server
                .send(
                    Method::POST,
                    "/_usher/v1/registrations",
                    Some(&admin),
                    Some(body),
                    &[("idempotency-key", "order-42")],
                )
                .await
        }));
    }
    let mut bodies = Vec::new();
    for task in tasks {
        let reply = task.await.unwrap();
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        bodies.push(reply.body);
    }
    assert!(bodies.iter().all(|b| *b == bodies[0]), "all replies equal: {bodies:?}");
    assert!(bodies[0]["initial_password"].is_string());
    let listed = server.get("/_usher/v1/sponsored", Some(&admin)).await;
    assert_eq!(listed.body["accounts"].as_array().unwrap().len(), 1);

    let other = server
        .send(
            Method::POST,
            "/_usher/v1/registrations",
            Some(&admin),
            Some(json!({"username": "idem00002"})),
            &[("idempotency-key", "order-42")],
        )
        .await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other.body["errcode"], "IO.USHER.IDEMPOTENCY_KEY_REUSED");
    let too_long = "k".repeat(256);
    let reply = server
        .send(
            Method::POST,
            "/_usher/v1/registrations",
            Some(&admin),
            Some(json!({})),
            &[("idempotency-key", &too_long)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn direct_chat_marked_for_both() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    let reply = server.register(&admin, json!({"username": "directuser", "open_direct_chat": true})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let room = reply.body["direct_chat"].as_str().unwrap().to_owned();
    let direct = server
        .get(
            &format!("/_matrix/client/v3/user/{}/account_data/m.direct", enc(&format!("@{ADMIN}:localhost"))),
            Some(&admin),
        )
        .await;
    assert_eq!(direct.body["@directuser:localhost"], json!([room]));
    let user = server.login_after_activation("directuser", reply.body["initial_password"].as_str().unwrap()).await;
    let own = server
        .get(&format!("/_matrix/client/v3/user/{}/account_data/m.direct", enc("@directuser:localhost")), Some(&user))
        .await;
    assert_eq!(own.body[format!("@{ADMIN}:localhost")], json!([room]));
    let members = server.get(&format!("/_matrix/client/v3/rooms/{}/joined_members", enc(&room)), Some(&user)).await;
    assert_eq!(members.body["joined"].as_object().unwrap().len(), 2);
}

#[tokio::test]
async fn activation_errors_reveal_nothing() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    server.register(&admin, json!({"username": "secret001", "password": "Initial-Pass-77"})).await;
    let wrong = server
        .post(
            "/_usher/v1/activate",
            None,
            json!({"username": "secret001", "initial_password": "Wrong-Pass-77", "new_password": "Brand-New-Pass-1"}),
        )
        .await;
    let unknown = server
        .post(
            "/_usher/v1/activate",
            None,
            json!({"username": "nobody0001", "initial_password": "Wrong-Pass-77", "new_password": "Brand-New-Pass-1"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(wrong.body, unknown.body);
    let login_wrong = server
        .post(
            "/_matrix/client/v3/login",
            None,
            json!({"type": "m.login.password", "user": "secret001", "password": "nope-nope-1"}),
        )
        .await;
    let login_unknown = server
        .post(
            "/_matrix/client/v3/login",
            None,
            json!({"type": "m.login.password", "user": "nobody0001", "password": "nope-nope-1"}),
        )
        .await;
    assert_eq!(login_wrong.body, login_unknown.body);
    let weak = server
        .post(
            "/_usher/v1/activate",
            None,
            json!({"username": "secret001", "initial_password": "Initial-Pass-77", "new_password": "12345678"}),
        )
        .await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    assert_eq!(weak.body["errcode"], "M_WEAK_PASSWORD");
    assert_eq!(weak.body["violations"][0]["field"], "new_password", "the field the request sent");
    assert_eq!(weak.body["violations"][0]["rule"], "password.all_digits");
    let missing = server.post("/_usher/v1/activate", None, json!({"username": "secret001"})).await;
    assert_eq!(missing.body["errcode"], "M_MISSING_PARAM");
}

#[tokio::test]
async fn rules_endpoint_shape() {
    let server = TestServer::start().await;
    let reply =
        server.send(Method::GET, "/_usher/v1/registration/rules", None, None, &[("accept-language", "zh-CN")]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["username"]["min_length"], 7);
    assert_eq!(reply.body["password"]["max_length"], 128);
    assert_eq!(reply.body["lang"], "zh-CN");
    let ids: Vec<&str> = reply.body["rules"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"username.starts_with_digit"));
    assert!(ids.contains(&"password.contains_username"));
}

#[tokio::test]
async fn sponsor_link_visibility() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    let leader = server.register_active(&admin, "leader001", &[]).await;
    let room = server.create_room(&leader, json!({})).await;
    let child = server.register_active(&leader, "child0001", &[&room]).await;
    let stranger = server.register_active(&admin, "stranger1", &[]).await;
    let path = format!("/_usher/v1/users/{}/sponsor", enc("@child0001:localhost"));

    for token in [&child, &leader, &admin] {
        let reply = server.get(&path, Some(token)).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        assert_eq!(reply.body["sponsor"], "@leader001:localhost");
        assert_eq!(reply.body["chain"][0]["user_id"], "@leader001:localhost");
        assert_eq!(reply.body["chain"][0]["sponsor"], format!("@{ADMIN}:localhost"));
        assert_eq!(reply.body["chain"][1]["user_id"], format!("@{ADMIN}:localhost"));
    }
    let hidden = server.get(&path, Some(&stranger)).await;
    assert_eq!(hidden.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sponsored_list_paginates() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    for i in 0..5 {
        assert_eq!(
            server.register(&admin, json!({"username": format!("paged{i:04}")})).await.status,
            StatusCode::CREATED
        );
    }
    server.register_active(&admin, "paged0099", &[]).await;
    let first = server.get("/_usher/v1/sponsored?limit=4", Some(&admin)).await;
    assert_eq!(first.body["accounts"].as_array().unwrap().len(), 4);
    let next = first.body["next_batch"].as_str().unwrap();
    let second = server.get(&format!("/_usher/v1/sponsored?limit=4&from={next}"), Some(&admin)).await;
    let rest = second.body["accounts"].as_array().unwrap();
    assert_eq!(rest.len(), 2);
    assert!(second.body.get("next_batch").is_none());
    assert_eq!(rest[1]["username"], "paged0099");
    assert_eq!(rest[1]["state"], "active");
    assert_eq!(first.body["accounts"][0]["state"], "pending");
}

#[tokio::test]
async fn audit_record_written() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    server.register(&admin, json!({"username": "audited01", "password": "Audit-Pass-123"})).await;
    let records = server.services.store().audit_records("@audited01:localhost", 10).await.unwrap();
    let record = records.iter().find(|r| r.action == "user.register").expect("audit record");
    assert_eq!(record.actor.as_deref(), Some("@opsadmin:localhost"));
    assert!(!record.details.to_string().contains("Audit-Pass-123"));
}

trait ActivateExt {
    async fn login_after_activation(&self, username: &str, initial: &str) -> String;
}

impl ActivateExt for TestServer {
    async fn login_after_activation(&self, username: &str, initial: &str) -> String {
        let reply = self
            .post(
                "/_usher/v1/activate",
                None,
                json!({"username": username, "initial_password": initial, "new_password": "Fresh-Own-Pass-9"}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        reply.body["access_token"].as_str().unwrap().to_owned()
    }
}

#[tokio::test]
async fn parameter_details_in_chinese() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    let reply = server
        .send(
            Method::POST,
            "/_usher/v1/registrations",
            Some(&admin),
            Some(json!({"note": "字".repeat(501)})),
            &[("accept-language", "zh-CN")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let message = reply.body["error"].as_str().unwrap();
    assert!(message.contains("共 501 个字符，最多 500 个"), "{message}");
    assert!(!message.contains("characters"), "no English left in: {message}");
}
