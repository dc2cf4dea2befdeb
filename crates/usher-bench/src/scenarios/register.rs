//! Registration latency and throughput, sequential and with concurrent workers.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use serde_json::Value;

use crate::names::{random_password, NameGenerator};
use crate::registration::{Registrar, RegistrationApi};
use crate::report::BenchResult;
use crate::scenarios::workers::{self, Limits};

#[derive(Debug, Clone)]
pub struct Options {
    pub api: RegistrationApi,
    /// Registrations per concurrency level.
    pub count: u64,
    /// Worker counts to measure, one result each.
    pub concurrency: Vec<usize>,
    /// Whether each registration sends a password. Without one, Usher generates an
    /// initial password and Synapse creates an account without a password.
    pub supply_password: bool,
    pub max_duration: Duration,
}

/// Measures `options.count` registrations at each concurrency level.
pub async fn run(
    registrar: &Registrar,
    names: &Arc<NameGenerator>,
    target: &str,
    options: &Options,
) -> Result<Vec<BenchResult>> {
    let mut results = Vec::new();
    for &concurrency in &options.concurrency {
        eprintln!("registration: {} accounts with {concurrency} concurrent worker(s)", options.count);
        registrar.warm_up(concurrency).await?;

        let workers = vec![(registrar.clone(), Arc::clone(names)); concurrency];
        let limits = Limits { count: options.count, max_duration: options.max_duration };
        let supply_password = options.supply_password;
        let (recorder, elapsed) = workers::run(workers, limits, move |worker, _| async move {
            let (registrar, names) = worker.as_ref();
            let username = names.next_username();
            let password = supply_password.then(|| random_password(&username));
            registrar.register(&username, password.as_deref()).await.map(drop)
        })
        .await?;

        let parameters = BTreeMap::from([
            ("registration_api".to_owned(), serde_json::to_value(options.api)?),
            ("count".to_owned(), Value::from(options.count)),
            ("concurrency".to_owned(), Value::from(concurrency)),
            ("supply_password".to_owned(), Value::from(options.supply_password)),
            ("max_duration_s".to_owned(), Value::from(options.max_duration.as_secs_f64())),
        ]);
        let label = format!("concurrency {concurrency}");
        results.push(BenchResult::from_recorder("registration", label, target, parameters, &recorder, elapsed));
    }
    Ok(results)
}
