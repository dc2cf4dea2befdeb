//! An in-process Usher for router tests: a fresh SQLite file per test, the
//! real services and router, requests sent with `tower::ServiceExt::oneshot`.

#![allow(dead_code, reason = "each test binary uses a different part of the helpers")]
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a failed unwrap is a failed test")]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use usher_bus::{Bus, LocalBus};
use usher_http::AppState;
use usher_service::{ServerSecret, Services, Settings};
use usher_store::sqlite::SqliteStore;
use usher_store::Store;

pub const ADMIN: &str = "opsadmin";
pub const PASSWORD: &str = "Correct-Horse-42x";

pub struct TestServer {
    pub router: Router,
    pub services: Services,
    _dir: tempfile::TempDir,
}

/// A response: status, headers and JSON body (`Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::with_settings(|_| {}).await
    }

    pub async fn with_settings(adjust: impl FnOnce(&mut Settings)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(SqliteStore::open(&dir.path().join("usher.db")).await.expect("open store"));
        let position = store.current_position().await.expect("position");
        let bus: Arc<dyn Bus> = Arc::new(LocalBus::new(position));
        let mut settings = Settings::with_defaults("localhost");
        adjust(&mut settings);
        let services = Services::new(store, bus, settings, ServerSecret::from_bytes([9; 32]));
        services.create_admin(ADMIN, Some(PASSWORD.into())).await.expect("create admin");
        let router = usher_http::router(AppState { services: services.clone() });
        TestServer { router, services, _dir: dir }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let body = match body {
            Some(value) => Body::from(value.to_string()),
            None => Body::empty(),
        };
        let response = self.router.clone().oneshot(builder.body(body).expect("request")).await.expect("response");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Reply { status, headers, body }
    }

    /// Sends a body that need not be JSON.
    pub async fn send_raw(&self, method: Method, path: &str, token: Option<&str>, body: &str) -> Reply {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        let response = self
            .router
            .clone()
            .oneshot(builder.body(Body::from(body.to_owned())).expect("request"))
            .await
            .expect("response");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply { status, headers, body }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(Method::GET, path, token, None, &[]).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.send(Method::POST, path, token, Some(body), &[]).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.send(Method::PUT, path, token, Some(body), &[]).await
    }

    /// Logs in and returns the access token.
    pub async fn login(&self, user: &str, password: &str) -> String {
        let reply = self
            .post("/_matrix/client/v3/login", None, json!({"type": "m.login.password", "identifier": {"type": "m.id.user", "user": user}, "password": password}))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "login {user}: {:?}", reply.body);
        reply.body["access_token"].as_str().expect("token").to_owned()
    }

    pub async fn admin_token(&self) -> String {
        self.login(ADMIN, PASSWORD).await
    }

    pub async fn create_room(&self, token: &str, body: Value) -> String {
        let reply = self.post("/_matrix/client/v3/createRoom", Some(token), body).await;
        assert_eq!(reply.status, StatusCode::OK, "createRoom: {:?}", reply.body);
        reply.body["room_id"].as_str().expect("room id").to_owned()
    }

    pub async fn register(&self, token: &str, body: Value) -> Reply {
        self.post("/_usher/v1/registrations", Some(token), body).await
    }

    /// Registers an account as `sponsor_token` and activates it; returns its token.
    pub async fn register_active(&self, sponsor_token: &str, username: &str, groups: &[&str]) -> String {
        let reply = self.register(sponsor_token, json!({"username": username, "groups": groups})).await;
        assert_eq!(reply.status, StatusCode::CREATED, "register {username}: {:?}", reply.body);
        let initial = reply.body["initial_password"].as_str().expect("initial password").to_owned();
        let new_password = format!("{username}-Own-Pass-42").replace(username, "Mine");
        let reply = self
            .post(
                "/_usher/v1/activate",
                None,
                json!({"username": username, "initial_password": initial, "new_password": new_password}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "activate {username}: {:?}", reply.body);
        reply.body["access_token"].as_str().expect("token").to_owned()
    }

    pub async fn sync(&self, token: &str, since: Option<&str>, timeout_ms: u64) -> Value {
        let path = match since {
            Some(since) => format!("/_matrix/client/v3/sync?since={since}&timeout={timeout_ms}"),
            None => "/_matrix/client/v3/sync".to_owned(),
        };
        let reply = self.get(&path, Some(token)).await;
        assert_eq!(reply.status, StatusCode::OK, "sync: {:?}", reply.body);
        reply.body
    }
}

/// Percent-encodes a Matrix id for a path segment.
pub fn enc(id: &str) -> String {
    id.replace('!', "%21").replace(':', "%3A").replace('#', "%23").replace('@', "%40").replace('$', "%24")
}
