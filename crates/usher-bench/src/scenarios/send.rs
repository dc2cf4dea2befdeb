//! Message send throughput and latency with one or more concurrent senders.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use serde_json::Value;

use crate::client::Session;
use crate::names::NameGenerator;
use crate::registration::Registrar;
use crate::report::BenchResult;
use crate::scenarios::setup;
use crate::scenarios::workers::{self, Limits};

#[derive(Debug, Clone)]
pub struct Options {
    /// Sends per level, shared by its senders.
    pub count: u64,
    /// Sender counts to measure, one result each. Every sender is its own user on its own connection.
    pub senders: Vec<usize>,
    /// Unmeasured sends per sender before each level.
    pub warmup: u64,
    /// Gives every sender its own room instead of one room shared by all senders.
    pub separate_rooms: bool,
    pub room_setup: setup::RoomSetup,
    pub max_duration: Duration,
}

/// One sender: a logged-in user and the room it sends into. Clones share the connection pool.
#[derive(Debug, Clone)]
struct Sender {
    session: Session,
    room_id: String,
}

pub async fn run(
    registrar: &Registrar,
    names: &Arc<NameGenerator>,
    target: &str,
    options: &Options,
) -> Result<Vec<BenchResult>> {
    let sender_count = options.senders.iter().copied().max().unwrap_or(0);
    eprintln!("send: setting up {sender_count} users");
    let senders = create_senders(registrar, names, sender_count, options).await?;

    let mut results = Vec::new();
    for &level in &options.senders {
        eprintln!("send: {} messages from {level} concurrent sender(s)", options.count);
        let active: Vec<Sender> = senders.iter().take(level).cloned().collect();
        let txn_prefix = format!("{}-s{level}", names.run_id());

        let warmup_prefix = format!("{txn_prefix}-warmup");
        let warmup_limits = Limits { count: options.warmup * level as u64, max_duration: options.max_duration };
        workers::run(active.clone(), warmup_limits, move |sender, index| {
            send_one(sender, warmup_prefix.clone(), index)
        })
        .await?;

        let limits = Limits { count: options.count, max_duration: options.max_duration };
        let measured_prefix = txn_prefix.clone();
        let (recorder, elapsed) =
            workers::run(active, limits, move |sender, index| send_one(sender, measured_prefix.clone(), index)).await?;

        let parameters = BTreeMap::from([
            ("count".to_owned(), Value::from(options.count)),
            ("senders".to_owned(), Value::from(level)),
            ("warmup_per_sender".to_owned(), Value::from(options.warmup)),
            ("separate_rooms".to_owned(), Value::from(options.separate_rooms)),
            ("room_setup".to_owned(), serde_json::to_value(options.room_setup)?),
            ("max_duration_s".to_owned(), Value::from(options.max_duration.as_secs_f64())),
        ]);
        let label = if level == 1 { "1 sender".to_owned() } else { format!("{level} senders") };
        results.push(BenchResult::from_recorder("send", label, target, parameters, &recorder, elapsed));
    }
    Ok(results)
}

async fn send_one(sender: Arc<Sender>, txn_prefix: String, index: u64) -> Result<()> {
    let txn_id = format!("{txn_prefix}-{index}");
    let text = format!("bench message {index}");
    sender.session.send_text(&sender.room_id, &txn_id, &text).await.map(drop)
}

async fn create_senders(
    registrar: &Registrar,
    names: &NameGenerator,
    count: usize,
    options: &Options,
) -> Result<Vec<Sender>> {
    let mut senders = Vec::with_capacity(count);
    if options.separate_rooms {
        for _ in 0..count {
            let (users, room_id) = setup::users_in_room(registrar, names, 1, options.room_setup).await?;
            senders.extend(users.into_iter().map(|session| Sender { session, room_id: room_id.clone() }));
        }
    } else if count > 0 {
        let (users, room_id) = setup::users_in_room(registrar, names, count, options.room_setup).await?;
        senders.extend(users.into_iter().map(|session| Sender { session, room_id: room_id.clone() }));
    }
    Ok(senders)
}
