//! A minimal in-memory server with the endpoints that usher-bench calls on Usher,
//! following Usher's registration API contract. It exists so that the Usher code
//! path of the load generator runs in tests before the real server does.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::sync::Notify;

pub const ADMIN_USER: &str = "benchadmin";
pub const ADMIN_PASSWORD: &str = "SomePassw0rd123";

#[derive(Default)]
struct Accounts {
    /// Password by username. For a pending account it is the initial password.
    passwords: HashMap<String, String>,
    /// Registered accounts that have not been activated yet.
    pending: HashSet<String>,
    user_by_token: HashMap<String, String>,
    /// Timeline of all rooms in order. A `/sync` token is an index into it.
    events: Vec<(String, Value)>,
    rooms: HashSet<String>,
    registrations: u64,
}

struct Mock {
    accounts: Mutex<Accounts>,
    new_event: Notify,
    /// Registrations accepted before the mock returns 429 `M_LIMIT_EXCEEDED`.
    quota: u64,
}

impl Mock {
    fn lock(&self) -> MutexGuard<'_, Accounts> {
        self.accounts.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Returns the user ID of the request's bearer token, if the token is known.
    fn user_of(&self, headers: &HeaderMap) -> Option<String> {
        let token = headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))?;
        self.lock().user_by_token.get(token).cloned()
    }
}

fn unknown_token() -> Response {
    error(StatusCode::UNAUTHORIZED, "M_UNKNOWN_TOKEN", "missing or unknown access token")
}

fn error(status: StatusCode, errcode: &str, message: &str) -> Response {
    (status, Json(json!({"errcode": errcode, "error": message}))).into_response()
}

/// Applies Usher's default username rules: 7–32 characters, a leading letter, `a-z 0-9 . _ = - /`.
fn is_valid_username(name: &str) -> bool {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._=-/".contains(c);
    (7..=32).contains(&name.len()) && name.starts_with(|c: char| c.is_ascii_lowercase()) && name.chars().all(allowed)
}

/// Applies Usher's default password rules, except the list of common passwords.
fn is_valid_password(password: &str, username: &str) -> bool {
    (8..=128).contains(&password.len()) && !password.chars().all(|c| c.is_ascii_digit()) && !password.contains(username)
}

/// Starts the mock on an ephemeral loopback port and returns its base URL.
pub async fn start(quota: u64) -> String {
    let mock = Arc::new(Mock { accounts: Mutex::default(), new_event: Notify::new(), quota });
    mock.lock().passwords.insert(ADMIN_USER.to_owned(), ADMIN_PASSWORD.to_owned());

    let router = Router::new()
        .route("/_matrix/client/versions", get(|| async { Json(json!({"versions": ["v1.11"]})) }))
        .route("/_matrix/client/v3/login", post(login))
        .route("/_usher/v1/registrations", post(register))
        .route("/_usher/v1/activate", post(activate))
        .route("/_matrix/client/v3/createRoom", post(create_room))
        .route("/_matrix/client/v3/join/{room_id}", post(join))
        .route("/_matrix/client/v3/rooms/{room_id}/send/{event_type}/{txn_id}", put(send))
        .route("/_matrix/client/v3/sync", get(sync))
        .with_state(mock);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
    let address = listener.local_addr().expect("listener has an address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}")
}

fn issue_token(accounts: &mut Accounts, username: &str) -> Value {
    let token = format!("token-{username}-{}", accounts.user_by_token.len());
    let user_id = format!("@{username}:mock");
    accounts.user_by_token.insert(token.clone(), user_id.clone());
    json!({"user_id": user_id, "access_token": token, "device_id": "MOCKDEVICE"})
}

async fn login(State(mock): State<Arc<Mock>>, Json(body): Json<Value>) -> Response {
    let user = body.pointer("/identifier/user").and_then(Value::as_str).unwrap_or_default();
    let password = body.get("password").and_then(Value::as_str).unwrap_or_default();
    let mut accounts = mock.lock();
    let known = accounts.passwords.get(user).is_some_and(|stored| stored == password);
    if body["type"] != "m.login.password" || !known || accounts.pending.contains(user) {
        return error(StatusCode::FORBIDDEN, "M_FORBIDDEN", "invalid username or password");
    }
    Json(issue_token(&mut accounts, user)).into_response()
}

async fn register(State(mock): State<Arc<Mock>>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let Some(sponsor) = mock.user_of(&headers) else {
        return unknown_token();
    };
    let Some(username) = body.get("username").and_then(Value::as_str).map(str::to_owned) else {
        return error(StatusCode::BAD_REQUEST, "M_MISSING_PARAM", "the mock needs a username");
    };
    if !is_valid_username(&username) {
        return error(StatusCode::BAD_REQUEST, "M_INVALID_USERNAME", "username breaks the rules");
    }
    let supplied = body.get("password").and_then(Value::as_str).map(str::to_owned);
    if supplied.as_deref().is_some_and(|password| !is_valid_password(password, &username)) {
        return error(StatusCode::BAD_REQUEST, "M_WEAK_PASSWORD", "password breaks the rules");
    }

    let groups = body.get("groups").and_then(Value::as_array).cloned().unwrap_or_default();

    let mut accounts = mock.lock();
    let unknown_group =
        groups.iter().any(|group| group.as_str().is_none_or(|room_id| !accounts.rooms.contains(room_id)));
    if unknown_group {
        return error(StatusCode::NOT_FOUND, "M_NOT_FOUND", "unknown room in groups");
    }
    if accounts.registrations >= mock.quota {
        return error(StatusCode::TOO_MANY_REQUESTS, "M_LIMIT_EXCEEDED", "registration quota reached");
    }
    if accounts.passwords.contains_key(&username) {
        return error(StatusCode::BAD_REQUEST, "M_USER_IN_USE", "username taken");
    }
    accounts.registrations += 1;
    let generated = supplied.is_none().then(|| format!("Generated{}pw", accounts.registrations));
    let initial_password = supplied.or(generated.clone()).unwrap_or_default();
    accounts.passwords.insert(username.clone(), initial_password);
    accounts.pending.insert(username.clone());

    let mut reply = json!({
        "user_id": format!("@{username}:mock"),
        "username": username,
        "display_name": username,
        "must_change_password": true,
        "groups": groups,
        "sponsor": sponsor,
        "created_at": "2026-01-01T00:00:00Z",
    });
    if let Some(generated) = generated {
        reply["initial_password"] = json!(generated);
    }
    (StatusCode::CREATED, Json(reply)).into_response()
}

async fn activate(State(mock): State<Arc<Mock>>, Json(body): Json<Value>) -> Response {
    let field = |name: &str| body.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
    let (username, initial, new) = (field("username"), field("initial_password"), field("new_password"));
    let mut accounts = mock.lock();
    let matches = accounts.pending.contains(&username) && accounts.passwords.get(&username) == Some(&initial);
    if !matches || !is_valid_password(&new, &username) || new == initial {
        return error(StatusCode::FORBIDDEN, "M_FORBIDDEN", "activation rejected");
    }
    accounts.pending.remove(&username);
    accounts.passwords.insert(username.clone(), new);
    Json(issue_token(&mut accounts, &username)).into_response()
}

async fn create_room(State(mock): State<Arc<Mock>>, headers: HeaderMap) -> Response {
    if mock.user_of(&headers).is_none() {
        return unknown_token();
    }
    let mut accounts = mock.lock();
    let room_id = format!("!room{}:mock", accounts.rooms.len() + 1);
    accounts.rooms.insert(room_id.clone());
    Json(json!({"room_id": room_id})).into_response()
}

async fn join(State(mock): State<Arc<Mock>>, headers: HeaderMap, Path(room_id): Path<String>) -> Response {
    match mock.user_of(&headers) {
        Some(_) => Json(json!({"room_id": room_id})).into_response(),
        None => unknown_token(),
    }
}

async fn send(
    State(mock): State<Arc<Mock>>,
    headers: HeaderMap,
    Path((room_id, event_type, txn_id)): Path<(String, String, String)>,
    Json(content): Json<Value>,
) -> Response {
    let Some(sender) = mock.user_of(&headers) else {
        return unknown_token();
    };
    let mut accounts = mock.lock();
    let event_id = format!("$event{}-{txn_id}", accounts.events.len());
    let event = json!({"type": event_type, "sender": sender, "event_id": event_id, "content": content});
    accounts.events.push((room_id, event));
    drop(accounts);
    mock.new_event.notify_waiters();
    Json(json!({"event_id": event_id})).into_response()
}

async fn sync(
    State(mock): State<Arc<Mock>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if mock.user_of(&headers).is_none() {
        return unknown_token();
    }
    let since: usize = query.get("since").and_then(|since| since.parse().ok()).unwrap_or(0);
    let timeout_ms: u64 = query.get("timeout").and_then(|timeout| timeout.parse().ok()).unwrap_or(0);
    let deadline = tokio::time::Instant::now() + Duration::from_millis(timeout_ms);

    loop {
        // Register for the wake-up before reading, so that a send in between is not missed.
        let woken = mock.new_event.notified();
        let expired = tokio::time::Instant::now() >= deadline;
        if let Some(reply) = sync_reply(&mock.lock(), since, expired) {
            return Json(reply).into_response();
        }
        let _ = tokio::time::timeout_at(deadline, woken).await;
    }
}

/// Builds a `/sync` body with the events after `since`, or returns `None` to keep waiting.
fn sync_reply(accounts: &Accounts, since: usize, expired: bool) -> Option<Value> {
    if accounts.events.len() <= since && !expired {
        return None;
    }
    let mut rooms = serde_json::Map::new();
    for (room_id, event) in &accounts.events[since.min(accounts.events.len())..] {
        let room = rooms.entry(room_id.clone()).or_insert_with(|| json!({"timeline": {"events": []}}));
        if let Some(events) = room.pointer_mut("/timeline/events").and_then(Value::as_array_mut) {
            events.push(event.clone());
        }
    }
    Some(json!({"next_batch": accounts.events.len().to_string(), "rooms": {"join": rooms}}))
}
