//! Delivery latency: from just before user A sends a message until user B's waiting `/sync` returns it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::client::{sync_contains_text, Session};
use crate::names::NameGenerator;
use crate::registration::Registrar;
use crate::report::BenchResult;
use crate::scenarios::setup;
use crate::stats::{failure_kind, Recorder};

#[derive(Debug, Clone)]
pub struct Options {
    /// Measured round trips.
    pub count: u64,
    /// Unmeasured round trips before the measured ones.
    pub warmup: u64,
    /// Long-poll `timeout` sent with each `/sync`, in milliseconds.
    pub sync_timeout_ms: u64,
    /// Pause between starting B's `/sync` and A's send, so that the request is already waiting on the server.
    pub settle: Duration,
    pub room_setup: setup::RoomSetup,
    pub max_duration: Duration,
}

pub async fn run(
    registrar: &Registrar,
    names: &Arc<NameGenerator>,
    target: &str,
    options: &Options,
) -> Result<BenchResult> {
    eprintln!("sync: setting up two users in a shared room");
    let (users, room_id) = setup::users_in_room(registrar, names, 2, options.room_setup).await?;
    let [sender, receiver] = <[Session; 2]>::try_from(users).map_err(|_| anyhow::anyhow!("expected two test users"))?;
    let mut since = receiver.sync(None, 0).await.context("initial /sync failed")?.next_batch;

    eprintln!("sync: {} warm-up and {} measured round trips", options.warmup, options.count);
    let mut warmup_recorder = Recorder::new();
    let mut recorder = Recorder::new();
    let deadline = Instant::now() + options.max_duration;
    let mut measured_start = None;
    for index in 0..options.warmup + options.count {
        if index == options.warmup {
            measured_start = Some(Instant::now());
        }
        if Instant::now() >= deadline {
            eprintln!("sync: stopped after {index} round trips at --max-duration-secs");
            break;
        }
        let round = RoundTrip { sender: &sender, receiver: &receiver, room_id: &room_id, options };
        let marker = format!("sync {} {index}", names.run_id());
        let outcome = round.measure(&since, &marker).await;

        let recorder = if index < options.warmup { &mut warmup_recorder } else { &mut recorder };
        match outcome {
            Ok((latency, next_batch)) => {
                recorder.record(latency);
                since = next_batch;
            }
            Err(error) => {
                recorder.record_failure(failure_kind(&error), format!("{error:#}"));
                since = receiver.sync(None, 0).await.context("/sync after a failed round trip failed")?.next_batch;
            }
        }
    }
    let elapsed = measured_start.map_or(Duration::ZERO, |start| start.elapsed());

    let parameters = BTreeMap::from([
        ("count".to_owned(), Value::from(options.count)),
        ("warmup".to_owned(), Value::from(options.warmup)),
        ("sync_timeout_ms".to_owned(), Value::from(options.sync_timeout_ms)),
        ("settle_ms".to_owned(), Value::from(options.settle.as_secs_f64() * 1000.0)),
        ("room_setup".to_owned(), serde_json::to_value(options.room_setup)?),
        ("max_duration_s".to_owned(), Value::from(options.max_duration.as_secs_f64())),
    ]);
    let label = "send to waiting /sync".to_owned();
    Ok(BenchResult::from_recorder("sync", label, target, parameters, &recorder, elapsed))
}

struct RoundTrip<'a> {
    sender: &'a Session,
    receiver: &'a Session,
    room_id: &'a str,
    options: &'a Options,
}

impl RoundTrip<'_> {
    /// Starts B's long-poll, sends `marker` as A, and returns the latency and B's new `since` token.
    async fn measure(&self, since: &str, marker: &str) -> Result<(Duration, String)> {
        let receiver = self.receiver.clone();
        let room_id = self.room_id.to_owned();
        let since = since.to_owned();
        let expected = marker.to_owned();
        let timeout_ms = self.options.sync_timeout_ms;
        let waiter =
            tokio::spawn(async move { wait_for_text(&receiver, &room_id, since, &expected, timeout_ms).await });

        tokio::time::sleep(self.options.settle).await;
        let sent_at = Instant::now();
        let txn_id = marker.replace(' ', "-");
        let send_result = self.sender.send_text(self.room_id, &txn_id, marker).await;
        if let Err(error) = send_result {
            waiter.abort();
            return Err(error.context("send during the sync round trip failed"));
        }

        let (received_at, next_batch) = waiter.await.context("the /sync task panicked")??;
        Ok((received_at.saturating_duration_since(sent_at), next_batch))
    }
}

/// Long-polls `/sync` from `since` until a response contains `text` in `room_id`.
///
/// Returns when that response arrived and its `next_batch`. Responses without the
/// message (presence, receipts, an expired long-poll) are followed by a new poll,
/// at most until twice the long-poll timeout has passed.
async fn wait_for_text(
    receiver: &Session,
    room_id: &str,
    mut since: String,
    text: &str,
    timeout_ms: u64,
) -> Result<(Instant, String)> {
    let give_up_at = Instant::now() + 2 * Duration::from_millis(timeout_ms);
    loop {
        let reply = receiver.sync(Some(&since), timeout_ms).await?;
        if sync_contains_text(&reply.body, room_id, text) {
            return Ok((reply.received_at, reply.next_batch));
        }
        since = reply.next_batch;
        if Instant::now() >= give_up_at {
            bail!("the message {text:?} did not arrive in /sync within {} ms", 2 * timeout_ms);
        }
    }
}
