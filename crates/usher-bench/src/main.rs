//! `usher-bench`: a load generator that measures any Matrix server the same way.
//!
//! Progress and errors go to stderr, and the result table goes to stdout.

mod cli;
mod client;
mod fd_limit;
mod names;
mod registration;
mod report;
mod scenarios;
mod stats;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Parser;

use crate::cli::{Cli, Scenario};
use crate::client::Target;
use crate::names::NameGenerator;
use crate::registration::Registrar;
use crate::report::BenchResult;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(cli.client_threads as usize).enable_all().build();
    let outcome = match runtime {
        Ok(runtime) => runtime.block_on(run(&cli)),
        Err(error) => Err(anyhow::Error::new(error).context("failed to start the Tokio runtime")),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the selected scenarios, prints the table and writes the JSON file.
///
/// A scenario that fails is reported on stderr and the others still run.
/// Returns `false` when a scenario failed or a measurement had no successful operation.
async fn run(cli: &Cli) -> Result<bool> {
    let scenarios = cli.selected_scenarios()?;
    let target = Target::new(&cli.url)?;
    let names = Arc::new(NameGenerator::new());
    eprintln!("usher-bench run {} against {}", names.run_id(), cli.url);

    let mut results = Vec::new();
    if let Some(pid) = cli.pid.filter(|_| scenarios.contains(&Scenario::Memory)) {
        results.push(BenchResult::from_memory(&cli.url, "before load", scenarios::memory::read(pid)?));
    }

    let mut all_succeeded = true;
    let load_scenarios: Vec<Scenario> =
        scenarios.iter().copied().filter(|scenario| *scenario != Scenario::Memory).collect();
    if !load_scenarios.is_empty() {
        let (admin_user, admin_password) = cli.admin_credentials()?;
        let admin = target.login(admin_user, admin_password).await.context("admin login failed")?;
        let registrar = Registrar::new(cli.registration_api, admin)?;

        for scenario in load_scenarios {
            let outcome = match scenario {
                Scenario::Register => {
                    scenarios::register::run(&registrar, &names, &cli.url, &cli.register_options()).await
                }
                Scenario::Sync => scenarios::sync::run(&registrar, &names, &cli.url, &cli.sync_options())
                    .await
                    .map(|result| vec![result]),
                Scenario::Send => scenarios::send::run(&registrar, &names, &cli.url, &cli.send_options()).await,
                Scenario::WaitingSyncs => match cli.waiting_syncs_options() {
                    Some(options) => scenarios::waiting_syncs::run(&registrar, &names, &cli.url, &options).await,
                    None => Err(anyhow::anyhow!("--scenario waiting-syncs needs --pid")),
                },
                Scenario::Memory => Ok(Vec::new()),
            };
            match outcome {
                Ok(scenario_results) => results.extend(scenario_results),
                Err(error) => {
                    eprintln!("error: scenario {} failed: {error:#}", scenario.name());
                    all_succeeded = false;
                }
            }
        }
    }

    let ran_load = scenarios.iter().any(|scenario| *scenario != Scenario::Memory);
    if let Some(pid) = cli.pid.filter(|_| ran_load && scenarios.contains(&Scenario::Memory)) {
        match scenarios::memory::read(pid) {
            Ok(reading) => results.push(BenchResult::from_memory(&cli.url, "after load", reading)),
            Err(error) => {
                eprintln!("error: memory reading after the load failed: {error:#}");
                all_succeeded = false;
            }
        }
    }

    for result in results.iter().filter(|result| result.successes == 0) {
        eprintln!("error: {} ({}) had no successful operation", result.scenario, result.label);
        all_succeeded = false;
    }

    print!("{}", report::format_table(&results));
    if let Some(path) = &cli.json {
        report::write_json(path, names.run_id(), &results)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(all_succeeded)
}
