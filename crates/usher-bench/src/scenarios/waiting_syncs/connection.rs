//! One long-polling `/sync` client on its own TCP connection.
//!
//! Each client opens a plain TCP connection and speaks HTTP/1.1 over it with hyper's
//! client connection API, so no pool can share or multiplex connections. A connection
//! costs the load generator one socket, hyper's buffers and two small tasks.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, HOST};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::client::{sync_contains_text, Target};
use crate::scenarios::waiting_syncs::plan::sync_path_and_query;
use crate::scenarios::waiting_syncs::signaling_stream::SignalingStream;

/// Pause before a failed connection tries again.
const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// Settings shared by all connections of one run.
#[derive(Debug)]
pub struct PollSettings {
    pub target: Target,
    pub address: SocketAddr,
    /// Value of the `Host` header, for example `127.0.0.1:8008`.
    pub host: String,
    /// Long-poll `timeout` query parameter in milliseconds.
    pub timeout_ms: u64,
    /// Client-side bound on one request, from connecting until its body has been read.
    pub request_timeout: Duration,
    /// Room into which the fan-out message is sent.
    pub room_id: String,
    /// Body of the fan-out message.
    pub marker: String,
}

/// Counters shared by all connections and the scenario, which reads them while the connections run.
#[derive(Debug)]
pub struct Shared {
    /// Requests written to their connection whose response headers have not arrived yet.
    waiting: AtomicU64,
    /// Connections whose first request has been written.
    started: AtomicU64,
    /// Connections whose first attempt failed before its request was written.
    failed_to_start: AtomicU64,
    /// Failed attempts of all connections.
    failures: AtomicU64,
    /// Responses without the fan-out message, each followed by a new request.
    reissued: AtomicU64,
    /// Connections that received the fan-out message.
    delivered: AtomicU64,
    /// When the fan-out message was sent, set just before the send request.
    fan_out_sent_at: OnceLock<Instant>,
    stop: watch::Sender<bool>,
}

impl Default for Shared {
    fn default() -> Self {
        Self {
            waiting: AtomicU64::new(0),
            started: AtomicU64::new(0),
            failed_to_start: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            reissued: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            fan_out_sent_at: OnceLock::new(),
            stop: watch::Sender::new(false),
        }
    }
}

impl Shared {
    pub fn waiting(&self) -> u64 {
        self.waiting.load(Ordering::Relaxed)
    }

    pub fn started(&self) -> u64 {
        self.started.load(Ordering::Relaxed)
    }

    pub fn failed_to_start(&self) -> u64 {
        self.failed_to_start.load(Ordering::Relaxed)
    }

    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    pub fn reissued(&self) -> u64 {
        self.reissued.load(Ordering::Relaxed)
    }

    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }

    /// Records the fan-out send time. Call it just before sending the message.
    pub fn mark_fan_out_sent(&self) -> Instant {
        *self.fan_out_sent_at.get_or_init(Instant::now)
    }

    /// Tells every connection to close.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }
}

/// Counts one written request as waiting until it is dropped.
struct WaitingGuard<'a>(&'a AtomicU64);

impl<'a> WaitingGuard<'a> {
    fn new(counter: &'a AtomicU64) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        Self(counter)
    }
}

impl Drop for WaitingGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Fan-out latency and failures of one connection, returned when it closes.
#[derive(Debug, Default)]
pub struct Outcome {
    /// From the fan-out send until this connection's response with the message had been read.
    pub fan_out_latency: Option<Duration>,
    /// Failed attempts by kind: `connect`, `timeout`, `closed`, `transport`, `invalid response` or `STATUS ERRCODE`.
    pub failures: BTreeMap<String, u64>,
    pub first_failure: Option<String>,
}

#[derive(Debug)]
struct Failure {
    kind: String,
    message: String,
}

impl Failure {
    fn new(kind: &str, message: String) -> Self {
        Self { kind: kind.to_owned(), message }
    }
}

/// Result of one long-poll that returned a response.
enum Answer {
    /// The response carried the fan-out message.
    Delivered(Instant),
    /// The response carried something else or nothing; poll again from this token.
    Other(String),
}

/// Long-polls `/sync` as the user of `token` from `since` on its own connection until the
/// fan-out message arrives or the scenario stops, reconnecting after failures.
pub async fn run(settings: Arc<PollSettings>, shared: Arc<Shared>, token: Arc<str>, mut since: String) -> Outcome {
    let mut outcome = Outcome::default();
    let mut stop = shared.stop.subscribe();
    let mut connection: Option<Connection> = None;
    let started = AtomicBool::new(false);

    loop {
        let poll = PollOnce { settings: &settings, shared: &shared, token: &token, since: &since, started: &started };
        let bounded = tokio::time::timeout(settings.request_timeout, poll.run(&mut connection));
        let result = tokio::select! {
            () = stopped(&mut stop) => break,
            result = bounded => result.unwrap_or_else(|_| Err(Failure::new(
                "timeout",
                format!("no /sync response within {} ms", settings.request_timeout.as_millis()),
            ))),
        };

        match result {
            Ok(Answer::Delivered(received_at)) => {
                let sent_at = shared.fan_out_sent_at.get().copied();
                outcome.fan_out_latency = sent_at.map(|sent_at| received_at.saturating_duration_since(sent_at));
                shared.delivered.fetch_add(1, Ordering::Relaxed);
                break;
            }
            Ok(Answer::Other(next_batch)) => {
                since = next_batch;
                shared.reissued.fetch_add(1, Ordering::Relaxed);
            }
            Err(failure) => {
                if !started.swap(true, Ordering::Relaxed) {
                    shared.failed_to_start.fetch_add(1, Ordering::Relaxed);
                }
                shared.failures.fetch_add(1, Ordering::Relaxed);
                *outcome.failures.entry(failure.kind).or_default() += 1;
                outcome.first_failure.get_or_insert(failure.message);
                connection = None;
                tokio::select! {
                    () = stopped(&mut stop) => break,
                    () = tokio::time::sleep(RETRY_PAUSE) => {}
                }
            }
        }
    }
    outcome
}

/// Waits until [`Shared::stop`] has been called.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    // An error means the sender is gone, which also ends the run.
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// One request and response on a connection, opening the connection first when needed.
struct PollOnce<'a> {
    settings: &'a PollSettings,
    shared: &'a Shared,
    token: &'a str,
    since: &'a str,
    /// Set once the connection's first request has been written or has failed.
    started: &'a AtomicBool,
}

impl PollOnce<'_> {
    async fn run(self, connection: &mut Option<Connection>) -> Result<Answer, Failure> {
        if connection.as_ref().is_none_or(|open| open.sender.is_closed()) {
            *connection = Some(Connection::open(self.settings).await?);
        }
        let Some(open) = connection.as_mut() else {
            return Err(Failure::new("closed", "no open connection".to_owned()));
        };
        open.sender.ready().await.map_err(|error| Failure::new("closed", format!("connection closed: {error}")))?;

        // Register for the write signal before handing the request to hyper, so it cannot be missed.
        let written = open.written.notified();
        tokio::pin!(written);
        written.as_mut().enable();
        let response = open.sender.send_request(self.request()?);
        tokio::pin!(response);

        // The request is waiting once its bytes are written, until its response headers arrive.
        let early_response = tokio::select! {
            biased;
            () = &mut written => None,
            result = &mut response => Some(result),
        };
        let result = match early_response {
            Some(result) => result,
            None => {
                let _waiting = WaitingGuard::new(&self.shared.waiting);
                if !self.started.swap(true, Ordering::Relaxed) {
                    self.shared.started.fetch_add(1, Ordering::Relaxed);
                }
                response.await
            }
        };
        let response = result.map_err(|error| Failure::new("transport", format!("GET /sync failed: {error}")))?;
        self.read_answer(response).await
    }

    fn request(&self) -> Result<Request<Empty<Bytes>>, Failure> {
        let path = sync_path_and_query(&self.settings.target, self.since, self.settings.timeout_ms);
        Request::builder()
            .method(Method::GET)
            .uri(path)
            .header(HOST, &self.settings.host)
            .header(AUTHORIZATION, format!("Bearer {}", self.token))
            .body(Empty::new())
            .map_err(|error| Failure::new("invalid request", format!("invalid /sync request: {error}")))
    }

    async fn read_answer(&self, response: hyper::Response<hyper::body::Incoming>) -> Result<Answer, Failure> {
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|error| Failure::new("transport", format!("reading the /sync body failed: {error}")))?
            .to_bytes();
        let received_at = Instant::now();
        if status != StatusCode::OK {
            return Err(status_failure(status, &body));
        }

        let body: Value = serde_json::from_slice(&body)
            .map_err(|error| Failure::new("invalid response", format!("/sync returned invalid JSON: {error}")))?;
        if sync_contains_text(&body, &self.settings.room_id, &self.settings.marker) {
            return Ok(Answer::Delivered(received_at));
        }
        match body.get("next_batch").and_then(Value::as_str) {
            Some(next_batch) => Ok(Answer::Other(next_batch.to_owned())),
            None => Err(Failure::new("invalid response", "/sync response has no next_batch".to_owned())),
        }
    }
}

/// Turns a non-200 `/sync` response into a failure of kind `STATUS ERRCODE`, as `ApiError` names them.
fn status_failure(status: StatusCode, body: &[u8]) -> Failure {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| parsed.as_ref().and_then(|body| body.get(name)).and_then(Value::as_str).map(str::to_owned);
    let kind = match field("errcode") {
        Some(errcode) => format!("{} {errcode}", status.as_u16()),
        None => status.as_u16().to_string(),
    };
    let message = field("error").unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect());
    Failure { message: format!("GET /sync failed with {kind}: {message}"), kind }
}

/// An HTTP/1.1 client connection whose driver task ends when the connection is dropped.
struct Connection {
    sender: SendRequest<Empty<Bytes>>,
    /// Notified whenever bytes have been written to the socket.
    written: Arc<Notify>,
    driver: JoinHandle<()>,
}

impl Connection {
    async fn open(settings: &PollSettings) -> Result<Self, Failure> {
        let stream = TcpStream::connect(settings.address)
            .await
            .map_err(|error| Failure::new("connect", format!("connecting to {} failed: {error}", settings.address)))?;
        stream
            .set_nodelay(true)
            .map_err(|error| Failure::new("connect", format!("setting TCP_NODELAY failed: {error}")))?;
        let written = Arc::new(Notify::new());
        let io = TokioIo::new(SignalingStream::new(stream, Arc::clone(&written)));
        let (sender, connection) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(|error| Failure::new("connect", format!("HTTP/1.1 handshake failed: {error}")))?;
        // A connection error also fails the pending request, which reports it.
        let driver = tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Self { sender, written, driver })
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_failure_names_errcode() {
        let failure = status_failure(
            StatusCode::UNAUTHORIZED,
            br#"{"errcode":"M_UNKNOWN_TOKEN","error":"Unknown access token"}"#,
        );
        assert_eq!(failure.kind, "401 M_UNKNOWN_TOKEN");
        assert_eq!(failure.message, "GET /sync failed with 401 M_UNKNOWN_TOKEN: Unknown access token");
    }

    #[test]
    fn status_failure_without_json() {
        let failure = status_failure(StatusCode::SERVICE_UNAVAILABLE, b"overloaded");
        assert_eq!(failure.kind, "503");
        assert_eq!(failure.message, "GET /sync failed with 503: overloaded");
    }

    #[test]
    fn waiting_guard_counts_until_dropped() {
        let counter = AtomicU64::new(0);
        let guard = WaitingGuard::new(&counter);
        assert_eq!(counter.load(Ordering::Relaxed), 1);
        drop(guard);
        assert_eq!(counter.load(Ordering::Relaxed), 0);
    }
}
