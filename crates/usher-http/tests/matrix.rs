//! The Matrix client-server subset through the router.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a failed unwrap is a failed test")]

mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::{enc, TestServer, ADMIN, PASSWORD};
use serde_json::{json, Value};

fn timeline(sync: &Value, room: &str) -> Vec<Value> {
    sync["rooms"]["join"][room]["timeline"]["events"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn versions_and_discovery() {
    let server = TestServer::start().await;
    let versions = server.get("/_matrix/client/versions", None).await;
    assert_eq!(versions.status, StatusCode::OK);
    let list: Vec<&str> = versions.body["versions"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(list.contains(&"v1.1"));
    let flows = server.get("/_matrix/client/v3/login", None).await;
    assert_eq!(flows.body["flows"][0]["type"], "m.login.password");
    let token = server.admin_token().await;
    let caps = server.get("/_matrix/client/v3/capabilities", Some(&token)).await;
    assert_eq!(caps.body["capabilities"]["m.change_password"]["enabled"], true);
    let rules = server.get("/_matrix/client/v3/pushrules/", Some(&token)).await;
    assert!(rules.body["global"]["override"].is_array(), "{:?}", rules.body);
    let protocols = server.get("/_matrix/client/v3/thirdparty/protocols", Some(&token)).await;
    assert_eq!(protocols.body, json!({}));
}

#[tokio::test]
async fn unknown_endpoint_unrecognized() {
    let server = TestServer::start().await;
    let reply = server.get("/_matrix/client/v3/no/such/endpoint", None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.body["errcode"], "M_UNRECOGNIZED");
    let wrong_method = server.send(Method::DELETE, "/_matrix/client/v3/login", None, None, &[]).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.body["errcode"], "M_UNRECOGNIZED");
}

#[tokio::test]
async fn cors_preflight_everywhere() {
    let server = TestServer::start().await;
    for path in ["/_matrix/client/v3/sync", "/_usher/v1/registrations", "/_matrix/client/v3/unknown"] {
        let reply = server
            .send(
                Method::OPTIONS,
                path,
                None,
                None,
                &[
                    ("origin", "http://web.example"),
                    ("access-control-request-method", "POST"),
                    ("access-control-request-headers", "authorization,content-type"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.headers.get("access-control-allow-origin").unwrap(), "*", "{path}");
    }
    let simple =
        server.send(Method::GET, "/_matrix/client/versions", None, None, &[("origin", "http://web.example")]).await;
    assert_eq!(simple.headers.get("access-control-allow-origin").unwrap(), "*");
}

#[tokio::test]
async fn open_registration_closed() {
    let server = TestServer::start().await;
    let reply = server
        .post("/_matrix/client/v3/register", None, json!({"username": "someone1", "password": "Some-Pass-1234"}))
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.body["errcode"], "M_FORBIDDEN");
}

#[tokio::test]
async fn open_registration_when_enabled() {
    let server = TestServer::with_settings(|s| s.open_registration = true).await;
    let start = server
        .post("/_matrix/client/v3/register", None, json!({"username": "selfmade1", "password": "Self-Made-Pass-1"}))
        .await;
    assert_eq!(start.status, StatusCode::UNAUTHORIZED);
    assert_eq!(start.body["flows"][0]["stages"][0], "m.login.dummy");
    let weak = server
        .post(
            "/_matrix/client/v3/register",
            None,
            json!({"username": "1x", "password": "123", "auth": {"type": "m.login.dummy"}}),
        )
        .await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    assert!(weak.body["violations"].as_array().unwrap().len() >= 3);
    let done = server
        .post("/_matrix/client/v3/register", None, json!({"username": "SelfMade1", "password": "Self-Made-Pass-1", "auth": {"type": "m.login.dummy", "session": start.body["session"]}}))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["user_id"], "@selfmade1:localhost");
    let token = done.body["access_token"].as_str().unwrap();
    assert_eq!(
        server.get("/_matrix/client/v3/account/whoami", Some(token)).await.body["user_id"],
        "@selfmade1:localhost"
    );
    let sponsor = server.get(&format!("/_usher/v1/users/{}/sponsor", enc("@selfmade1:localhost")), Some(token)).await;
    assert_eq!(sponsor.body["sponsor"], Value::Null);
}

#[tokio::test]
async fn query_errors_matrix_shaped() {
    let server = TestServer::start().await;
    let token = server.admin_token().await;
    let reply = server.get("/_matrix/client/v3/sync?timeout=abc", Some(&token)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["errcode"], "M_INVALID_PARAM");
    assert!(reply.body["error"].as_str().unwrap().contains("timeout"), "{:?}", reply.body);
}

#[tokio::test]
async fn token_in_header_or_query() {
    let server = TestServer::start().await;
    let token = server.admin_token().await;
    let header = server.get("/_matrix/client/v3/account/whoami", Some(&token)).await;
    assert_eq!(header.body["user_id"], format!("@{ADMIN}:localhost"));
    let query = server.get(&format!("/_matrix/client/v3/account/whoami?access_token={token}"), None).await;
    assert_eq!(query.status, StatusCode::OK);
    assert_eq!(query.body["user_id"], format!("@{ADMIN}:localhost"));
    let missing = server.get("/_matrix/client/v3/account/whoami", None).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.body["errcode"], "M_MISSING_TOKEN");
    let unknown = server.get("/_matrix/client/v3/account/whoami", Some("bogus")).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.body["errcode"], "M_UNKNOWN_TOKEN");
}

#[tokio::test]
async fn login_accepts_full_user_id() {
    let server = TestServer::start().await;
    let reply = server
        .post("/_matrix/client/v3/login", None, json!({"type": "m.login.password", "identifier": {"type": "m.id.user", "user": format!("@{}:localhost", ADMIN.to_uppercase())}, "password": PASSWORD}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["home_server"], "localhost");
    let unsupported =
        server.post("/_matrix/client/v3/login", None, json!({"type": "m.login.token", "token": "x"})).await;
    assert_eq!(unsupported.status, StatusCode::BAD_REQUEST);
    assert!(unsupported.body["error"].as_str().unwrap().contains("m.login.token"));
}

#[tokio::test]
async fn login_locks_after_failures() {
    let server = TestServer::start().await;
    for _ in 0..10 {
        let reply = server
            .post(
                "/_matrix/client/v3/login",
                None,
                json!({"type": "m.login.password", "user": ADMIN, "password": "wrong-password"}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
    }
    let locked = server
        .post(
            "/_matrix/client/v3/login",
            None,
            json!({"type": "m.login.password", "user": ADMIN, "password": PASSWORD}),
        )
        .await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(locked.body["errcode"], "M_LIMIT_EXCEEDED");
    assert!(locked.headers.get("retry-after").is_some());
}

#[tokio::test]
async fn send_sync_transaction_id() {
    let server = TestServer::start().await;
    let token = server.admin_token().await;
    let room = server.create_room(&token, json!({"name": "Echo"})).await;
    let first = server
        .put(
            &format!("/_matrix/client/v3/rooms/{}/send/m.room.message/abc", enc(&room)),
            Some(&token),
            json!({"msgtype": "m.text", "body": "one"}),
        )
        .await;
    let retry = server
        .put(
            &format!("/_matrix/client/v3/rooms/{}/send/m.room.message/abc", enc(&room)),
            Some(&token),
            json!({"msgtype": "m.text", "body": "one"}),
        )
        .await;
    assert_eq!(first.body["event_id"], retry.body["event_id"], "a retried transaction sends once");
    let sync = server.sync(&token, None, 0).await;
    let events = timeline(&sync, &room);
    let messages: Vec<&Value> = events.iter().filter(|e| e["type"] == "m.room.message").collect();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["unsigned"]["transaction_id"], "abc");
    assert_eq!(messages[0]["event_id"], first.body["event_id"]);
}

#[tokio::test]
async fn long_poll_wakes_on_message() {
    let server = std::sync::Arc::new(TestServer::start().await);
    let admin = server.admin_token().await;
    let room = server.create_room(&admin, json!({})).await;
    let user = server.register_active(&admin, "listener1", &[&room]).await;
    let since = server.sync(&user, None, 0).await["next_batch"].as_str().unwrap().to_owned();

    let waiting = {
        let server = server.clone();
        let user = user.clone();
        tokio::spawn(async move { server.sync(&user, Some(&since), 20_000).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    server
        .put(
            &format!("/_matrix/client/v3/rooms/{}/send/m.room.message/t1", enc(&room)),
            Some(&admin),
            json!({"msgtype": "m.text", "body": "wake up"}),
        )
        .await;
    let sync = waiting.await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(10), "returned on the event, not the timeout");
    let events = timeline(&sync, &room);
    assert_eq!(events.len(), 1, "{sync}");
    assert_eq!(events[0]["content"]["body"], "wake up");
    assert!(events[0]["unsigned"].get("transaction_id").is_none(), "other users never see the transaction id");
}

#[tokio::test]
async fn shutdown_releases_long_polls() {
    let server = std::sync::Arc::new(TestServer::start().await);
    let token = server.admin_token().await;
    let since = server.sync(&token, None, 0).await["next_batch"].as_str().unwrap().to_owned();
    let waiting = {
        let server = server.clone();
        tokio::spawn(async move { server.sync(&token, Some(&since), 30_000).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    server.services.begin_shutdown();
    let sync =
        tokio::time::timeout(Duration::from_secs(5), waiting).await.expect("returned before its timeout").unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(sync["rooms"]["join"], json!({}));
}

#[tokio::test]
async fn empty_long_poll_times_out() {
    let server = TestServer::start().await;
    let token = server.admin_token().await;
    let since = server.sync(&token, None, 0).await["next_batch"].as_str().unwrap().to_owned();
    let sync = server.sync(&token, Some(&since), 200).await;
    assert_eq!(sync["next_batch"], since);
    assert_eq!(sync["rooms"]["join"], json!({}));
}

#[tokio::test]
async fn inline_filter_limits_timeline() {
    let server = TestServer::start().await;
    let token = server.admin_token().await;
    let room = server.create_room(&token, json!({})).await;
    for i in 0..5 {
        server
            .put(
                &format!("/_matrix/client/v3/rooms/{}/send/m.room.message/f{i}", enc(&room)),
                Some(&token),
                json!({"msgtype": "m.text", "body": format!("m{i}")}),
            )
            .await;
    }
    let filter = enc(r#"{"room":{"timeline":{"limit":2},"state":{"lazy_load_members":true}}}"#)
        .replace('{', "%7B")
        .replace('}', "%7D")
        .replace('"', "%22");
    let reply = server.get(&format!("/_matrix/client/v3/sync?filter={filter}"), Some(&token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let room_sync = &reply.body["rooms"]["join"][&room];
    assert_eq!(room_sync["timeline"]["events"].as_array().unwrap().len(), 2);
    assert_eq!(room_sync["timeline"]["limited"], true);
    assert!(room_sync["timeline"]["prev_batch"].is_string());
    let state_types: Vec<&str> =
        room_sync["state"]["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert!(state_types.contains(&"m.room.create"), "{state_types:?}");

    let stored = server
        .post(
            &format!("/_matrix/client/v3/user/{}/filter", enc(&format!("@{ADMIN}:localhost"))),
            Some(&token),
            json!({"room": {"timeline": {"limit": 1}}}),
        )
        .await;
    let filter_id = stored.body["filter_id"].as_str().unwrap();
    let fetched = server
        .get(
            &format!("/_matrix/client/v3/user/{}/filter/{filter_id}", enc(&format!("@{ADMIN}:localhost"))),
            Some(&token),
        )
        .await;
    assert_eq!(fetched.body["room"]["timeline"]["limit"], 1);
    let reply = server.get(&format!("/_matrix/client/v3/sync?filter={filter_id}"), Some(&token)).await;
    assert_eq!(reply.body["rooms"]["join"][&room]["timeline"]["events"].as_array().unwrap().len(), 1);
    let bad = server.get("/_matrix/client/v3/sync?filter=%7Bnope", Some(&token)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn messages_paging_to_start() {
    let server = TestServer::start().await;
    let token = server.admin_token().await;
    let room = server.create_room(&token, json!({})).await;
    for i in 0..7 {
        server
            .put(
                &format!("/_matrix/client/v3/rooms/{}/send/m.room.message/p{i}", enc(&room)),
                Some(&token),
                json!({"msgtype": "m.text", "body": format!("m{i}")}),
            )
            .await;
    }
    let sync = server
        .get(
            &format!(
                "/_matrix/client/v3/sync?filter={}",
                "%7B%22room%22%3A%7B%22timeline%22%3A%7B%22limit%22%3A3%7D%7D%7D"
            ),
            Some(&token),
        )
        .await
        .body;
    let mut from = sync["rooms"]["join"][&room]["timeline"]["prev_batch"].as_str().unwrap().to_owned();
    let mut seen: Vec<Value> = timeline(&sync, &room);
    let mut pages = 0;
    loop {
        let page = server
            .get(&format!("/_matrix/client/v3/rooms/{}/messages?dir=b&limit=4&from={from}", enc(&room)), Some(&token))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        pages += 1;
        for event in page.body["chunk"].as_array().unwrap() {
            assert_eq!(event["room_id"], room);
            seen.insert(0, event.clone());
        }
        match page.body.get("end").and_then(Value::as_str) {
            Some(end) => from = end.to_owned(),
            None => break,
        }
        assert!(pages < 20, "paging terminates");
    }
    assert_eq!(seen.first().unwrap()["type"], "m.room.create");
    let bodies: Vec<&str> =
        seen.iter().filter(|e| e["type"] == "m.room.message").map(|e| e["content"]["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["m0", "m1", "m2", "m3", "m4", "m5", "m6"]);

    let no_from =
        server.get(&format!("/_matrix/client/v3/rooms/{}/messages?dir=b&limit=2", enc(&room)), Some(&token)).await;
    assert_eq!(no_from.body["chunk"][0]["content"]["body"], "m6");
    let forward = server
        .get(&format!("/_matrix/client/v3/rooms/{}/messages?dir=f&limit=100&from=s0", enc(&room)), Some(&token))
        .await;
    assert_eq!(forward.body["chunk"][0]["type"], "m.room.create");
    assert!(forward.body.get("end").is_none());
}

#[tokio::test]
async fn invite_join_leave_members() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    let guest = server.register_active(&admin, "guestuser", &[]).await;
    let room = server.create_room(&admin, json!({"name": "Invite only"})).await;
    let guest_id = "@guestuser:localhost";

    let denied = server.post(&format!("/_matrix/client/v3/join/{}", enc(&room)), Some(&guest), json!({})).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let invited = server
        .post(&format!("/_matrix/client/v3/rooms/{}/invite", enc(&room)), Some(&admin), json!({"user_id": guest_id}))
        .await;
    assert_eq!(invited.status, StatusCode::OK, "{:?}", invited.body);
    let sync = server.sync(&guest, None, 0).await;
    let invite_state = sync["rooms"]["invite"][&room]["invite_state"]["events"].as_array().unwrap();
    assert!(invite_state.iter().any(|e| e["type"] == "m.room.name" && e["content"]["name"] == "Invite only"));
    let since = sync["next_batch"].as_str().unwrap().to_owned();

    let joined = server.post(&format!("/_matrix/client/v3/rooms/{}/join", enc(&room)), Some(&guest), json!({})).await;
    assert_eq!(joined.body["room_id"], room);
    let after_join = server.sync(&guest, Some(&since), 0).await;
    let fresh = &after_join["rooms"]["join"][&room];
    let mut seen = fresh["state"]["events"].as_array().unwrap().clone();
    seen.extend(fresh["timeline"]["events"].as_array().unwrap().iter().cloned());
    assert!(seen.iter().any(|e| e["type"] == "m.room.create"), "a fresh join carries the whole room: {fresh}");
    let since = after_join["next_batch"].as_str().unwrap().to_owned();

    let members = server.get(&format!("/_matrix/client/v3/rooms/{}/joined_members", enc(&room)), Some(&guest)).await;
    assert_eq!(members.body["joined"][guest_id]["display_name"], "guestuser");
    let all = server.get(&format!("/_matrix/client/v3/rooms/{}/members", enc(&room)), Some(&guest)).await;
    assert_eq!(all.body["chunk"].as_array().unwrap().len(), 2);
    let rooms = server.get("/_matrix/client/v3/joined_rooms", Some(&guest)).await;
    assert_eq!(rooms.body["joined_rooms"], json!([room]));

    let left = server.post(&format!("/_matrix/client/v3/rooms/{}/leave", enc(&room)), Some(&guest), json!({})).await;
    assert_eq!(left.status, StatusCode::OK);
    let after_leave = server.sync(&guest, Some(&since), 0).await;
    let leave_events = after_leave["rooms"]["leave"][&room]["timeline"]["events"].as_array().unwrap();
    assert_eq!(leave_events.last().unwrap()["content"]["membership"], "leave");
    let send = server
        .put(
            &format!("/_matrix/client/v3/rooms/{}/send/m.room.message/x", enc(&room)),
            Some(&guest),
            json!({"body": "hi", "msgtype": "m.text"}),
        )
        .await;
    assert_eq!(send.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn display_name_round_trip() {
    let server = TestServer::start().await;
    let token = server.admin_token().await;
    let room = server.create_room(&token, json!({})).await;
    let path = format!("/_matrix/client/v3/profile/{}/displayname", enc(&format!("@{ADMIN}:localhost")));
    assert_eq!(server.put(&path, Some(&token), json!({"displayname": "运维管理员"})).await.status, StatusCode::OK);
    assert_eq!(server.get(&path, None).await.body["displayname"], "运维管理员");
    let members = server.get(&format!("/_matrix/client/v3/rooms/{}/joined_members", enc(&room)), Some(&token)).await;
    assert_eq!(members.body["joined"][format!("@{ADMIN}:localhost")]["display_name"], "运维管理员");
    let other = server
        .put(
            &format!("/_matrix/client/v3/profile/{}/displayname", enc("@someone:localhost")),
            Some(&token),
            json!({"displayname": "x"}),
        )
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn password_change_interactive_auth() {
    let server = TestServer::start().await;
    let token = server.admin_token().await;
    let other_session = server.admin_token().await;
    let start = server
        .post("/_matrix/client/v3/account/password", Some(&token), json!({"new_password": "Another-Good-Pass-5"}))
        .await;
    assert_eq!(start.status, StatusCode::UNAUTHORIZED);
    assert_eq!(start.body["flows"][0]["stages"][0], "m.login.password");
    let session = start.body["session"].as_str().unwrap();

    let wrong = server
        .post("/_matrix/client/v3/account/password", Some(&token), json!({"new_password": "Another-Good-Pass-5", "auth": {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": ADMIN}, "password": "wrong", "session": session}}))
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body["errcode"], "M_FORBIDDEN");
    let session = wrong.body["session"].as_str().unwrap();

    let done = server
        .post("/_matrix/client/v3/account/password", Some(&token), json!({"new_password": "Another-Good-Pass-5", "auth": {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": ADMIN}, "password": PASSWORD, "session": session}}))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(
        server.get("/_matrix/client/v3/account/whoami", Some(&token)).await.status,
        StatusCode::OK,
        "the changing session stays"
    );
    assert_eq!(
        server.get("/_matrix/client/v3/account/whoami", Some(&other_session)).await.status,
        StatusCode::UNAUTHORIZED,
        "other sessions end"
    );
    server.login(ADMIN, "Another-Good-Pass-5").await;
}

#[tokio::test]
async fn logout_and_logout_all() {
    let server = TestServer::start().await;
    let first = server.admin_token().await;
    let second = server.admin_token().await;
    let third = server.admin_token().await;
    assert_eq!(server.post("/_matrix/client/v3/logout", Some(&first), json!({})).await.status, StatusCode::OK);
    let gone = server.get("/_matrix/client/v3/account/whoami", Some(&first)).await;
    assert_eq!(gone.body["errcode"], "M_UNKNOWN_TOKEN");
    assert_eq!(server.get("/_matrix/client/v3/account/whoami", Some(&second)).await.status, StatusCode::OK);
    assert_eq!(server.post("/_matrix/client/v3/logout/all", Some(&second), json!({})).await.status, StatusCode::OK);
    assert_eq!(server.get("/_matrix/client/v3/account/whoami", Some(&second)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(server.get("/_matrix/client/v3/account/whoami", Some(&third)).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn account_data_global_and_room() {
    let server = TestServer::start().await;
    let token = server.admin_token().await;
    let room = server.create_room(&token, json!({})).await;
    let me = enc(&format!("@{ADMIN}:localhost"));
    let since = server.sync(&token, None, 0).await["next_batch"].as_str().unwrap().to_owned();
    server
        .put(&format!("/_matrix/client/v3/user/{me}/account_data/io.usher.test"), Some(&token), json!({"a": 1}))
        .await;
    server
        .put(
            &format!("/_matrix/client/v3/user/{me}/rooms/{}/account_data/m.tag", enc(&room)),
            Some(&token),
            json!({"tags": {"u.work": {}}}),
        )
        .await;
    assert_eq!(
        server.get(&format!("/_matrix/client/v3/user/{me}/account_data/io.usher.test"), Some(&token)).await.body["a"],
        1
    );
    let sync = server.sync(&token, Some(&since), 0).await;
    assert_eq!(sync["account_data"]["events"][0]["type"], "io.usher.test");
    assert_eq!(sync["rooms"]["join"][&room]["account_data"]["events"][0]["type"], "m.tag");
    let missing = server.get(&format!("/_matrix/client/v3/user/{me}/account_data/nothing.here"), Some(&token)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn state_and_power_levels() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    let room = server.create_room(&admin, json!({"name": "Old"})).await;
    let member = server.register_active(&admin, "member001", &[&room]).await;
    let path = format!("/_matrix/client/v3/rooms/{}/state/m.room.name/", enc(&room));
    let denied = server.put(&path, Some(&member), json!({"name": "Hijacked"})).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "members below state_default cannot rename");
    assert_eq!(server.put(&path, Some(&admin), json!({"name": "New"})).await.status, StatusCode::OK);
    assert_eq!(server.get(&path, Some(&member)).await.body["name"], "New");
    let all = server.get(&format!("/_matrix/client/v3/rooms/{}/state", enc(&room)), Some(&member)).await;
    let name = all.body.as_array().unwrap().iter().find(|e| e["type"] == "m.room.name").unwrap().clone();
    assert_eq!(name["content"]["name"], "New");
    assert_eq!(name["unsigned"]["prev_content"]["name"], "Old");
}

#[tokio::test]
async fn errors_localized() {
    let server = TestServer::start().await;
    let reply = server
        .send(Method::GET, "/_matrix/client/v3/account/whoami", None, None, &[("accept-language", "zh-CN")])
        .await;
    assert!(reply.body["error"].as_str().unwrap().contains("令牌"), "{:?}", reply.body);
    let english = server
        .send(Method::GET, "/_matrix/client/v3/account/whoami", None, None, &[("accept-language", "en-US")])
        .await;
    assert!(english.body["error"].as_str().unwrap().contains("access token"));
}

#[tokio::test]
async fn credential_requests_limited_per_address() {
    use axum::extract::connect_info::MockConnectInfo;
    use tower::ServiceExt;

    let server =
        TestServer::with_settings(|s| s.credential_rate = usher_service::RateLimit { per_second: 1, burst: 2 }).await;
    let router = server.router.clone().layer(MockConnectInfo(std::net::SocketAddr::from(([192, 0, 2, 7], 5000))));
    let login = || {
        axum::http::Request::builder()
            .method(Method::POST)
            .uri("/_matrix/client/v3/login")
            .body(axum::body::Body::from(
                json!({"type": "m.login.password", "user": ADMIN, "password": PASSWORD}).to_string(),
            ))
            .unwrap()
    };
    for _ in 0..2 {
        assert_eq!(router.clone().oneshot(login()).await.unwrap().status(), StatusCode::OK);
    }
    let limited = router.clone().oneshot(login()).await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().get("retry-after").is_some());
    let whoami =
        axum::http::Request::builder().uri("/_matrix/client/versions").body(axum::body::Body::empty()).unwrap();
    assert_eq!(router.oneshot(whoami).await.unwrap().status(), StatusCode::OK, "other endpoints are not limited");
}

#[tokio::test]
async fn bad_path_encoding_matrix_shaped() {
    let server = TestServer::start().await;
    let token = server.admin_token().await;
    let reply = server.get("/_matrix/client/v3/rooms/%FF/members", Some(&token)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["errcode"], "M_INVALID_PARAM");
}

/// Starts a long-poll for `token` from its current position.
async fn start_waiting(server: &std::sync::Arc<TestServer>, token: &str) -> tokio::task::JoinHandle<Value> {
    let since = server.sync(token, None, 0).await["next_batch"].as_str().unwrap().to_owned();
    let server = server.clone();
    let token = token.to_owned();
    let handle = tokio::spawn(async move { server.sync(&token, Some(&since), 10_000).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    handle
}

#[tokio::test]
async fn long_poll_skips_other_rooms() {
    let server = std::sync::Arc::new(TestServer::start().await);
    let admin = server.admin_token().await;
    let mine = server.create_room(&admin, json!({})).await;
    let other = server.create_room(&admin, json!({})).await;
    let user = server.register_active(&admin, "watcher1", &[&mine]).await;

    let waiting = start_waiting(&server, &user).await;
    server
        .put(
            &format!("/_matrix/client/v3/rooms/{}/send/m.room.message/o1", enc(&other)),
            Some(&admin),
            json!({"msgtype": "m.text", "body": "elsewhere"}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!waiting.is_finished(), "a message in another room must not end the long-poll");
    server
        .put(
            &format!("/_matrix/client/v3/rooms/{}/send/m.room.message/m1", enc(&mine)),
            Some(&admin),
            json!({"msgtype": "m.text", "body": "here"}),
        )
        .await;
    let sync = tokio::time::timeout(Duration::from_secs(5), waiting).await.expect("woken by its room").unwrap();
    let events = timeline(&sync, &mine);
    assert_eq!(events.len(), 1, "{sync}");
    assert_eq!(events[0]["content"]["body"], "here");
    assert!(sync["rooms"]["join"].get(&other).is_none());
}

#[tokio::test]
async fn long_poll_wakes_on_invite() {
    let server = std::sync::Arc::new(TestServer::start().await);
    let admin = server.admin_token().await;
    let user = server.register_active(&admin, "invitee1", &[]).await;
    let room = server.create_room(&admin, json!({"name": "Later"})).await;

    let waiting = start_waiting(&server, &user).await;
    server
        .post(
            &format!("/_matrix/client/v3/rooms/{}/invite", enc(&room)),
            Some(&admin),
            json!({"user_id": "@invitee1:localhost"}),
        )
        .await;
    let sync = tokio::time::timeout(Duration::from_secs(5), waiting).await.expect("woken by the invite").unwrap();
    assert!(sync["rooms"]["invite"][&room].is_object(), "{sync}");
}

#[tokio::test]
async fn long_poll_wakes_on_account_data() {
    let server = std::sync::Arc::new(TestServer::start().await);
    let admin = server.admin_token().await;
    let user = server.register_active(&admin, "tagger01", &[]).await;

    let waiting = start_waiting(&server, &user).await;
    let path = format!("/_matrix/client/v3/user/{}/account_data/io.usher.test", enc("@tagger01:localhost"));
    assert_eq!(server.put(&path, Some(&user), json!({"n": 1})).await.status, StatusCode::OK);
    let sync = tokio::time::timeout(Duration::from_secs(5), waiting).await.expect("woken by account data").unwrap();
    assert_eq!(sync["account_data"]["events"][0]["type"], "io.usher.test", "{sync}");
}

#[tokio::test]
async fn malformed_authorization_explained() {
    let server = TestServer::start().await;
    let token = server.admin_token().await;
    for header in ["Basic dXNlcjpwYXNz", "Bearer ", "Token abc"] {
        let reply = server
            .send(Method::GET, "/_matrix/client/v3/account/whoami", None, None, &[("authorization", header)])
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{header}");
        assert_eq!(reply.body["errcode"], "M_MISSING_TOKEN", "{header}");
        assert!(
            reply.body["error"].as_str().unwrap().contains("Authorization: Bearer <access token>"),
            "{:?}",
            reply.body
        );
    }
    let zh = server
        .send(
            Method::GET,
            "/_matrix/client/v3/account/whoami",
            None,
            None,
            &[("authorization", "Basic dXNlcjpwYXNz"), ("accept-language", "zh-CN")],
        )
        .await;
    assert!(zh.body["error"].as_str().unwrap().starts_with("Authorization 请求头格式不对"), "{:?}", zh.body);
    let lower_case_scheme = server
        .send(
            Method::GET,
            "/_matrix/client/v3/account/whoami",
            None,
            None,
            &[("authorization", &format!("bearer {token}"))],
        )
        .await;
    assert_eq!(lower_case_scheme.status, StatusCode::OK, "the scheme is case-insensitive");
}

#[tokio::test]
async fn shape_errors_localized() {
    let server = TestServer::start().await;
    let token = server.admin_token().await;
    let zh = [("accept-language", "zh-CN")];
    let query = server.send(Method::GET, "/_matrix/client/v3/sync?timeout=abc", Some(&token), None, &zh).await;
    assert_eq!(query.body["errcode"], "M_INVALID_PARAM");
    assert_eq!(query.body["error"], "参数“timeout”无效：不是有效的整数");
    let query_en = server.get("/_matrix/client/v3/sync?timeout=abc", Some(&token)).await;
    assert_eq!(query_en.body["error"], "The parameter \"timeout\" is invalid: invalid digit found in string");

    let body = json!({"groups": "#class3:localhost"});
    let json = server.send(Method::POST, "/_usher/v1/registrations", Some(&token), Some(body), &zh).await;
    assert_eq!(json.body["errcode"], "M_BAD_JSON");
    assert_eq!(
        json.body["error"],
        "请求 JSON 无效：字段“groups”：类型错误：收到字符串 \"#class3:localhost\"，应为数组"
    );
}

#[tokio::test]
async fn language_headers_on_responses() {
    let server = TestServer::start().await;
    let zh = server.send(Method::GET, "/_matrix/client/v3/nope", None, None, &[("accept-language", "zh-CN")]).await;
    assert_eq!(zh.headers["content-language"], "zh-CN");
    let vary: Vec<_> = zh.headers.get_all("vary").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert!(vary.iter().any(|v| v == "accept-language"), "caches must key on the language: {vary:?}");

    let en = server.get("/_matrix/client/v3/nope", None).await;
    assert_eq!(en.headers["content-language"], "en");
    let ok = server.get("/_matrix/client/versions", None).await;
    assert!(ok.headers.get("content-language").is_none(), "a body without text has no language");
    assert!(ok.headers.get_all("vary").iter().any(|v| v == "accept-language"));
}

#[tokio::test]
async fn lockout_spares_other_addresses() {
    use axum::extract::connect_info::MockConnectInfo;
    use tower::ServiceExt;

    let server =
        TestServer::with_settings(|s| s.credential_rate = usher_service::RateLimit { per_second: 1000, burst: 1000 })
            .await;
    let from =
        |last: u8| server.router.clone().layer(MockConnectInfo(std::net::SocketAddr::from(([192, 0, 2, last], 5000))));
    let login = |password: &str| {
        axum::http::Request::builder()
            .method(Method::POST)
            .uri("/_matrix/client/v3/login")
            .body(axum::body::Body::from(
                json!({"type": "m.login.password", "user": ADMIN, "password": password}).to_string(),
            ))
            .unwrap()
    };
    for _ in 0..10 {
        let wrong = from(66).oneshot(login("wrong-guess-1")).await.unwrap();
        assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    }
    let locked = from(66).oneshot(login(PASSWORD)).await.unwrap();
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS, "the guessing address is locked out");
    let owner = from(7).oneshot(login(PASSWORD)).await.unwrap();
    assert_eq!(owner.status(), StatusCode::OK, "the owner at another address still logs in");
}

#[tokio::test]
async fn woken_sync_returns_the_message() {
    let server = TestServer::start().await;
    let token = server.admin_token().await;
    let room = server.create_room(&token, json!({"name": "Class 3"})).await;
    let other = server.create_room(&token, json!({"name": "Staff"})).await;
    let initial = server.get("/_matrix/client/v3/sync", Some(&token)).await;
    let since = initial.body["next_batch"].as_str().unwrap().to_owned();

    let wait_path = format!("/_matrix/client/v3/sync?since={since}&timeout=5000");
    let waiter = server.get(&wait_path, Some(&token));
    let sender = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let path = format!("/_matrix/client/v3/rooms/{}/send/m.room.message/woken1", enc(&room));
        server.put(&path, Some(&token), json!({"msgtype": "m.text", "body": "放学后集合"})).await
    };
    let (reply, sent) = tokio::join!(waiter, sender);
    assert_eq!(sent.status, StatusCode::OK);
    assert_eq!(reply.status, StatusCode::OK);

    let joined = &reply.body["rooms"]["join"];
    let timeline = &joined[&room]["timeline"];
    assert_eq!(timeline["events"].as_array().unwrap().len(), 1, "{reply:?}");
    assert_eq!(timeline["events"][0]["content"]["body"], "放学后集合");
    assert_eq!(timeline["events"][0]["event_id"], sent.body["event_id"]);
    assert_eq!(timeline["events"][0]["unsigned"]["transaction_id"], "woken1", "the sender's own event");
    assert_eq!(timeline["limited"], false);
    assert!(timeline["prev_batch"].is_string());
    assert!(joined.get(&other).is_none(), "a room without new events is left out");
}
