//! Server memory while many long-polling `/sync` requests wait, each on its own TCP
//! connection, and optionally the time until one message has reached all of them.

mod connection;
pub mod plan;
mod signaling_stream;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::Value;
use tokio::task::JoinSet;

use crate::client::Session;
use crate::fd_limit;
use crate::names::NameGenerator;
use crate::registration::Registrar;
use crate::report::BenchResult;
use crate::scenarios::{memory, setup};
use crate::stats::{failure_kind, Recorder};
use connection::{Outcome, PollSettings, Shared};
use plan::{ramp_targets, user_of_connection, WaitingMemory};

/// Open files that the load generator needs besides the long-poll connections:
/// standard streams, the runtime, and the keep-alive connections of the test users and the admin.
const SPARE_FILES: u64 = 64;

/// Maximum wait for the requests of one ramp-up step to be written.
const STEP_TIMEOUT: Duration = Duration::from_secs(15);

/// Added to the long-poll timeout to give the client-side bound of one request.
const REQUEST_TIMEOUT_MARGIN: Duration = Duration::from_secs(30);

/// Maximum wait for the connections to close after the run.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

const PROGRESS_INTERVAL: Duration = Duration::from_millis(20);

#[derive(Debug, Clone)]
pub struct Options {
    /// Long-polling requests to keep waiting, each on its own connection.
    pub connections: u64,
    /// Test users whose tokens the connections use, round-robin.
    pub users: usize,
    /// Long-poll `timeout` sent with each `/sync`, in milliseconds.
    pub timeout_ms: u64,
    /// Connections opened per ramp-up step.
    pub ramp_step: u64,
    /// Pause after the ramp-up before VmRSS is read.
    pub settle: Duration,
    /// Sends one message after the reading and times its delivery to every connection.
    pub fan_out: bool,
    pub room_setup: setup::RoomSetup,
    /// Bound on the ramp-up, the settle pause and the fan-out together.
    pub max_duration: Duration,
    /// Server process whose VmRSS is read.
    pub pid: u32,
}

pub async fn run(
    registrar: &Registrar,
    names: &Arc<NameGenerator>,
    target: &str,
    options: &Options,
) -> Result<Vec<BenchResult>> {
    check_open_file_limits(options)?;

    eprintln!("waiting-syncs: setting up {} users in a shared room", options.users);
    let (users, room_id) = setup::users_in_room(registrar, names, options.users, options.room_setup).await?;
    let mut tokens = Vec::with_capacity(users.len());
    for user in &users {
        let since =
            user.sync(None, 0).await.with_context(|| format!("initial /sync of {} failed", user.user_id))?.next_batch;
        tokens.push((Arc::<str>::from(user.access_token.as_str()), since));
    }
    let Some(fan_out_sender) = users.first() else {
        bail!("waiting-syncs needs at least one test user");
    };
    let marker = format!("waiting-syncs {} fan-out", names.run_id());
    let settings = Arc::new(poll_settings(fan_out_sender, options, room_id, marker).await?);

    let idle = memory::read(options.pid)?;
    eprintln!(
        "waiting-syncs: idle VmRSS {:.1} MiB; opening {} connections in steps of {}",
        idle.vm_rss_mib, options.connections, options.ramp_step
    );
    let shared = Arc::new(Shared::default());
    let deadline = Instant::now() + options.max_duration;
    let mut tasks = JoinSet::new();
    let ramp_started = Instant::now();
    for step_target in ramp_targets(options.connections, options.ramp_step) {
        while (tasks.len() as u64) < step_target {
            let index = tasks.len() as u64;
            let (token, since) = &tokens[user_of_connection(index, tokens.len())];
            tasks.spawn(connection::run(Arc::clone(&settings), Arc::clone(&shared), Arc::clone(token), since.clone()));
        }
        wait_for_step(&shared, step_target, deadline).await;
        if Instant::now() >= deadline {
            eprintln!("waiting-syncs: ramp-up stopped at {step_target} connections by --max-duration-secs");
            break;
        }
    }
    let ramp_elapsed = ramp_started.elapsed();
    eprintln!(
        "waiting-syncs: {} requests written, {} connections failed to start, in {:.1} s; settling for {} s",
        shared.started(),
        shared.failed_to_start(),
        ramp_elapsed.as_secs_f64(),
        options.settle.as_secs()
    );
    tokio::time::sleep_until(deadline.min(Instant::now() + options.settle).into()).await;

    let waiting = shared.waiting();
    let failures_before_reading = shared.failures();
    let loaded = memory::read(options.pid)?;
    let client = memory::read(std::process::id())?;
    let figures = WaitingMemory::new(options.connections, waiting, &idle, &loaded, &client);
    eprintln!(
        "waiting-syncs: {waiting} waiting, VmRSS {:.1} MiB ({:.1} MiB above idle), {failures_before_reading} failed attempts so far",
        loaded.vm_rss_mib, figures.above_idle_mib
    );

    let connections = tasks.len() as u64;
    let fan_out = if options.fan_out {
        Some(fan_out(fan_out_sender, &settings, &shared, connections, deadline).await)
    } else {
        None
    };

    shared.stop();
    let outcomes = close_all(tasks).await;
    let mut parameters = parameters(options)?;
    parameters.insert("reissued".to_owned(), Value::from(shared.reissued()));
    parameters.insert("failures_before_reading".to_owned(), Value::from(failures_before_reading));

    let mut failures = Recorder::new();
    let mut latencies = Recorder::new();
    for outcome in &outcomes {
        for (kind, count) in &outcome.failures {
            failures.record_failures(kind, *count, outcome.first_failure.as_deref());
        }
        if let Some(latency) = outcome.fan_out_latency {
            latencies.record(latency);
        }
    }

    let mut results =
        vec![BenchResult::from_waiting_memory(target, parameters.clone(), figures, &failures, ramp_elapsed)];
    let elapsed = match fan_out {
        None => return Ok(results),
        Some(Ok(elapsed)) => elapsed,
        Some(Err(error)) => {
            latencies.record_failure(failure_kind(&error), format!("{error:#}"));
            Duration::ZERO
        }
    };
    let not_delivered = connections.saturating_sub(latencies.successes());
    if not_delivered > 0 {
        let message = format!("{not_delivered} of {connections} connections did not receive the message");
        latencies.record_failures("not delivered", not_delivered, Some(&message));
    }
    results.push(BenchResult::from_recorder(
        "waiting-syncs",
        format!("fan-out to {connections} connections"),
        target,
        parameters,
        &latencies,
        elapsed,
    ));
    Ok(results)
}

/// Raises this process's open-file limit for the connections, and warns when the
/// server's limit looks too low for them.
fn check_open_file_limits(options: &Options) -> Result<()> {
    fd_limit::ensure_own(options.connections + options.users as u64 + SPARE_FILES)?;
    match fd_limit::soft_limit_of(options.pid) {
        Ok(Some(limit)) if limit < options.connections + SPARE_FILES => eprintln!(
            "warning: the server (pid {}) may open at most {limit} files, fewer than the {} connections; \
             start it from a shell after `ulimit -n 65536`",
            options.pid, options.connections
        ),
        Ok(_) => {}
        Err(error) => eprintln!("warning: could not check the server's open-file limit: {error:#}"),
    }
    Ok(())
}

async fn poll_settings(session: &Session, options: &Options, room_id: String, marker: String) -> Result<PollSettings> {
    let base = &session.target.base;
    if base.scheme() != "http" {
        bail!("waiting-syncs opens plain TCP connections and needs an http:// --url, not {base}");
    }
    let host = base.host_str().with_context(|| format!("--url {base} has no host"))?;
    let port = base.port_or_known_default().unwrap_or(80);
    let address = tokio::net::lookup_host((host, port))
        .await
        .with_context(|| format!("failed to resolve {host}:{port}"))?
        .next()
        .with_context(|| format!("{host}:{port} resolved to no address"))?;
    let host_header = match base.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    Ok(PollSettings {
        target: session.target.clone(),
        address,
        host: host_header,
        timeout_ms: options.timeout_ms,
        request_timeout: Duration::from_millis(options.timeout_ms) + REQUEST_TIMEOUT_MARGIN,
        room_id,
        marker,
    })
}

/// Waits until the first request of each of the first `opened` connections was written
/// or failed, for at most [`STEP_TIMEOUT`] and never past `deadline`.
async fn wait_for_step(shared: &Shared, opened: u64, deadline: Instant) {
    let give_up_at = deadline.min(Instant::now() + STEP_TIMEOUT);
    while shared.started() + shared.failed_to_start() < opened && Instant::now() < give_up_at {
        tokio::time::sleep(PROGRESS_INTERVAL).await;
    }
}

/// Sends the fan-out message and waits until all `connections` received it, never past
/// `deadline`. Returns the time from the send until the last delivery seen, or an error
/// when the send failed.
async fn fan_out(
    sender: &Session,
    settings: &PollSettings,
    shared: &Shared,
    connections: u64,
    deadline: Instant,
) -> Result<Duration> {
    eprintln!("waiting-syncs: sending one message to {connections} waiting connections");
    let sent_at = shared.mark_fan_out_sent();
    let txn_id = settings.marker.replace(' ', "-");
    sender.send_text(&settings.room_id, &txn_id, &settings.marker).await.context("fan-out send failed")?;
    let mut last_count = 0;
    let mut last_delivery = sent_at;
    while Instant::now() < deadline {
        let delivered = shared.delivered();
        if delivered > last_count {
            last_count = delivered;
            last_delivery = Instant::now();
        }
        if delivered >= connections {
            break;
        }
        tokio::time::sleep(PROGRESS_INTERVAL / 4).await;
    }
    eprintln!("waiting-syncs: {} of {connections} connections received the message", shared.delivered());
    Ok(last_delivery.saturating_duration_since(sent_at))
}

/// Waits for the connection tasks to close after [`Shared::stop`], aborting those that
/// take longer than [`CLOSE_TIMEOUT`]. Returns the outcomes of the tasks that finished.
async fn close_all(mut tasks: JoinSet<Outcome>) -> Vec<Outcome> {
    let mut outcomes = Vec::with_capacity(tasks.len());
    let give_up_at = tokio::time::Instant::now() + CLOSE_TIMEOUT;
    loop {
        match tokio::time::timeout_at(give_up_at, tasks.join_next()).await {
            Ok(Some(Ok(outcome))) => outcomes.push(outcome),
            Ok(Some(Err(error))) => eprintln!("error: a connection task failed: {error}"),
            Ok(None) => break,
            Err(_) => {
                eprintln!(
                    "error: {} connections did not close within {} s; aborting them",
                    tasks.len(),
                    CLOSE_TIMEOUT.as_secs()
                );
                tasks.shutdown().await;
                break;
            }
        }
    }
    outcomes
}

fn parameters(options: &Options) -> Result<BTreeMap<String, Value>> {
    Ok(BTreeMap::from([
        ("connections".to_owned(), Value::from(options.connections)),
        ("users".to_owned(), Value::from(options.users)),
        ("sync_timeout_ms".to_owned(), Value::from(options.timeout_ms)),
        ("ramp_step".to_owned(), Value::from(options.ramp_step)),
        ("settle_s".to_owned(), Value::from(options.settle.as_secs_f64())),
        ("fan_out".to_owned(), Value::from(options.fan_out)),
        ("room_setup".to_owned(), serde_json::to_value(options.room_setup)?),
        ("pid".to_owned(), Value::from(options.pid)),
        ("max_duration_s".to_owned(), Value::from(options.max_duration.as_secs_f64())),
    ]))
}
