//! Matrix client-server API calls that the scenarios need, one method per endpoint.

use std::fmt;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use reqwest::{Method, RequestBuilder, Response, StatusCode, Url};
use serde::Deserialize;
use serde_json::{json, Value};

/// Timeout for every request except long-polling `/sync`, which adds its own wait to this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A non-2xx response, kept typed so that scenarios can count failures by status and `errcode`.
#[derive(Debug)]
pub struct ApiError {
    pub method: Method,
    pub path: String,
    pub status: StatusCode,
    pub errcode: Option<String>,
    pub message: String,
}

impl ApiError {
    /// Returns a short key such as `429 M_LIMIT_EXCEEDED`, used to group failures in reports.
    pub fn kind(&self) -> String {
        match &self.errcode {
            Some(code) => format!("{} {code}", self.status.as_u16()),
            None => self.status.as_u16().to_string(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} failed with {}: {}", self.method, self.path, self.kind(), self.message)
    }
}

impl std::error::Error for ApiError {}

/// Builds an HTTP client with its own keep-alive connection pool.
///
/// Each simulated user gets its own client so that a long-polling `/sync` never
/// shares a connection with the sends that it waits for. Proxies from the
/// environment are ignored because the targets are local servers.
pub fn new_http_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .pool_idle_timeout(Duration::from_secs(90))
        .build()
        .context("failed to build the HTTP client")
}

/// Base URL of a target server plus an HTTP client, without a login.
#[derive(Debug, Clone)]
pub struct Target {
    pub http: reqwest::Client,
    pub base: Url,
}

impl Target {
    /// Parses `base_url` (for example `http://127.0.0.1:8008`) and makes a fresh client for it.
    pub fn new(base_url: &str) -> Result<Self> {
        let base = Url::parse(base_url).with_context(|| format!("invalid --url {base_url:?}"))?;
        if base.cannot_be_a_base() || !matches!(base.scheme(), "http" | "https") {
            anyhow::bail!("invalid --url {base_url:?}: expected an http:// or https:// URL");
        }
        Ok(Self { http: new_http_client()?, base })
    }

    /// Returns the same server with a new client and so a separate connection pool.
    pub fn with_new_connection_pool(&self) -> Result<Self> {
        Ok(Self { http: new_http_client()?, base: self.base.clone() })
    }

    /// Builds the URL for `segments`, percent-encoding each one (room IDs contain `!` and `:`).
    pub fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    pub fn request(&self, method: Method, segments: &[&str], token: Option<&str>) -> RequestBuilder {
        let builder = self.http.request(method, self.endpoint(segments)).timeout(REQUEST_TIMEOUT);
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    /// Calls `GET /_matrix/client/versions`, which needs no login. Used to open connections before a measurement.
    pub async fn versions(&self) -> Result<()> {
        let request = self.request(Method::GET, &["_matrix", "client", "versions"], None);
        send_json::<Value>(request).await.map(drop)
    }

    /// Logs in with `m.login.password` and returns a session.
    pub async fn login(&self, user: &str, password: &str) -> Result<Session> {
        let body = json!({
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": user},
            "password": password,
        });
        let request = self.request(Method::POST, &["_matrix", "client", "v3", "login"], None).json(&body);
        let reply: LoginReply = send_json(request).await.with_context(|| format!("login as {user} failed"))?;
        Ok(Session { target: self.clone(), user_id: reply.user_id, access_token: reply.access_token })
    }
}

#[derive(Debug, Deserialize)]
struct LoginReply {
    user_id: String,
    access_token: String,
}

/// A logged-in user on a target.
#[derive(Debug, Clone)]
pub struct Session {
    pub target: Target,
    pub user_id: String,
    pub access_token: String,
}

/// One `/sync` response with the time its body finished arriving.
#[derive(Debug)]
pub struct SyncReply {
    pub received_at: Instant,
    pub next_batch: String,
    pub body: Value,
}

impl Session {
    pub fn request(&self, method: Method, segments: &[&str]) -> RequestBuilder {
        self.target.request(method, segments, Some(&self.access_token))
    }

    /// Returns the server name part of the user ID (`@name:server` → `server`).
    pub fn server_name(&self) -> Result<&str> {
        self.user_id
            .split_once(':')
            .map(|(_, server)| server)
            .with_context(|| format!("user ID {:?} has no server name", self.user_id))
    }

    /// Creates a `private_chat` room inviting `invite` and returns its room ID.
    pub async fn create_room(&self, invite: &[String]) -> Result<String> {
        let body = json!({"preset": "private_chat", "invite": invite});
        let request = self.request(Method::POST, &["_matrix", "client", "v3", "createRoom"]).json(&body);
        let reply: Value = send_json(request).await?;
        string_field(&reply, "room_id")
    }

    pub async fn join(&self, room_id: &str) -> Result<()> {
        let request = self.request(Method::POST, &["_matrix", "client", "v3", "join", room_id]).json(&json!({}));
        send_json::<Value>(request).await?;
        Ok(())
    }

    /// Sends an `m.text` message and returns its event ID.
    pub async fn send_text(&self, room_id: &str, txn_id: &str, text: &str) -> Result<String> {
        let segments = ["_matrix", "client", "v3", "rooms", room_id, "send", "m.room.message", txn_id];
        let body = json!({"msgtype": "m.text", "body": text});
        let reply: Value = send_json(self.request(Method::PUT, &segments).json(&body)).await?;
        string_field(&reply, "event_id")
    }

    /// Calls `/sync`, long-polling for up to `timeout_ms` when `since` is given.
    pub async fn sync(&self, since: Option<&str>, timeout_ms: u64) -> Result<SyncReply> {
        let mut query = vec![("timeout", timeout_ms.to_string())];
        if let Some(since) = since {
            query.push(("since", since.to_owned()));
        }
        let request = self
            .request(Method::GET, &["_matrix", "client", "v3", "sync"])
            .query(&query)
            .timeout(REQUEST_TIMEOUT + Duration::from_millis(timeout_ms));
        let response = check_status(request).await?;
        let bytes = response.bytes().await.context("failed to read the /sync response body")?;
        let received_at = Instant::now();

        let body: Value = serde_json::from_slice(&bytes).context("/sync returned invalid JSON")?;
        let next_batch = string_field(&body, "next_batch")?;
        Ok(SyncReply { received_at, next_batch, body })
    }
}

/// Returns whether a `/sync` body contains an `m.room.message` in `room_id` whose `body` is `text`.
pub fn sync_contains_text(sync: &Value, room_id: &str, text: &str) -> bool {
    let events = sync
        .pointer("/rooms/join")
        .and_then(|joined| joined.get(room_id))
        .and_then(|room| room.pointer("/timeline/events"))
        .and_then(Value::as_array);
    events.is_some_and(|events| {
        events.iter().any(|event| {
            event.get("type").and_then(Value::as_str) == Some("m.room.message")
                && event.pointer("/content/body").and_then(Value::as_str) == Some(text)
        })
    })
}

/// Sends `request` and turns a non-2xx status into an [`ApiError`].
pub async fn check_status(request: RequestBuilder) -> Result<Response> {
    let (client, request) = request.build_split();
    let request = request.context("failed to build the request")?;
    let method = request.method().clone();
    let path = request.url().path().to_owned();

    let response = client.execute(request).await.with_context(|| format!("{method} {path} failed"))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }

    let text = response.text().await.unwrap_or_default();
    let parsed: Option<Value> = serde_json::from_str(&text).ok();
    let field = |name: &str| parsed.as_ref().and_then(|body| body.get(name)).and_then(Value::as_str).map(str::to_owned);
    let errcode = field("errcode");
    let message = field("error").unwrap_or_else(|| summarize_body(&text));
    Err(ApiError { method, path, status, errcode, message }.into())
}

/// Sends `request`, checks the status and parses the JSON body.
pub async fn send_json<T: serde::de::DeserializeOwned>(request: RequestBuilder) -> Result<T> {
    let response = check_status(request).await?;
    let url_path = response.url().path().to_owned();
    response.json().await.with_context(|| format!("{url_path} returned an unexpected JSON body"))
}

/// Returns a non-JSON error body (often an HTML page) as one line of at most 200 characters.
fn summarize_body(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(200) {
        Some((end, _)) => format!("{}…", &one_line[..end]),
        None => one_line,
    }
}

fn string_field(body: &Value, name: &str) -> Result<String> {
    body.get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .with_context(|| format!("response has no string field {name:?}: {body}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_encodes_room_id() {
        let target = Target::new("http://127.0.0.1:8008/").expect("valid URL");
        let url =
            target.endpoint(&["_matrix", "client", "v3", "rooms", "!abc:example.org", "send", "m.room.message", "t/1"]);
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8008/_matrix/client/v3/rooms/!abc:example.org/send/m.room.message/t%2F1"
        );
    }

    #[test]
    fn target_rejects_non_http_url() {
        assert!(Target::new("ftp://127.0.0.1/").is_err());
        assert!(Target::new("not a url").is_err());
    }

    #[test]
    fn summarize_body_flattens_and_truncates() {
        assert_eq!(summarize_body("<html>\n  <h1>Not Found</h1>\n</html>\n"), "<html> <h1>Not Found</h1> </html>");
        let long = "x".repeat(300);
        assert_eq!(summarize_body(&long), format!("{}…", "x".repeat(200)));
    }

    #[test]
    fn sync_contains_text_matches_body() {
        let sync = json!({"next_batch": "s1", "rooms": {"join": {"!r:x": {"timeline": {"events": [
            {"type": "m.room.member", "content": {"membership": "join"}},
            {"type": "m.room.message", "content": {"msgtype": "m.text", "body": "marker-7"}}
        ]}}}}});
        assert!(sync_contains_text(&sync, "!r:x", "marker-7"));
        assert!(!sync_contains_text(&sync, "!r:x", "marker-8"));
        assert!(!sync_contains_text(&sync, "!other:x", "marker-7"));
        assert!(!sync_contains_text(&json!({"next_batch": "s2"}), "!r:x", "marker-7"));
    }
}
