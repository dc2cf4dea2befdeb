//! Command-line options.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Result};
use clap::{Parser, ValueEnum};

use crate::registration::RegistrationApi;
use crate::scenarios::setup::RoomSetup;
use crate::scenarios::{register, send, sync, waiting_syncs};

/// Load generator for Matrix servers: measures sponsored registration, message
/// delivery to a waiting /sync, message send throughput, server memory and the
/// memory cost of many waiting /sync connections.
#[derive(Debug, Parser)]
#[command(name = "usher-bench", version)]
pub struct Cli {
    /// Base URL of the Matrix server to measure, for example http://127.0.0.1:8008.
    #[arg(long, env = "USHER_BENCH_URL")]
    pub url: String,

    /// Admin account that creates the test accounts (the sponsor on Usher).
    #[arg(long, env = "USHER_BENCH_ADMIN_USER")]
    pub admin_user: Option<String>,

    /// Password of --admin-user.
    #[arg(long, env = "USHER_BENCH_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,

    /// API that creates accounts: Usher's /_usher/v1/registrations or Synapse's admin API.
    #[arg(long, value_enum, default_value_t = RegistrationApi::Usher)]
    pub registration_api: RegistrationApi,

    /// Scenarios to run, comma-separated. Default: register,sync,send, plus memory when --pid is given.
    #[arg(long = "scenario", value_enum, value_delimiter = ',')]
    pub scenarios: Vec<Scenario>,

    /// Writes the results as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,

    /// Upper bound in seconds for each measured run, which stops early when it is reached.
    /// For waiting-syncs it bounds the ramp-up, settle pause and fan-out together.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub max_duration_secs: u64,

    /// Tokio worker threads of the load generator. The default of 1 leaves the other cores to the server.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub client_threads: u64,

    /// Registrations per concurrency level.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    pub registrations: u64,

    /// Concurrent registration workers, comma-separated. Each value gives one result.
    #[arg(long, value_delimiter = ',', default_value = "1,10", value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub concurrency: Vec<u64>,

    /// Registers without a password: Usher then generates an initial password,
    /// Synapse creates an account without one.
    #[arg(long)]
    pub no_password: bool,

    /// Measured send → /sync round trips.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..))]
    pub sync_count: u64,

    /// Unmeasured round trips before the measured ones.
    #[arg(long, default_value_t = 10)]
    pub sync_warmup: u64,

    /// Long-poll timeout sent with each /sync, in milliseconds.
    #[arg(long, default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub sync_timeout_ms: u64,

    /// Milliseconds between starting the receiver's /sync and sending, so that the /sync is already waiting.
    #[arg(long, default_value_t = 20)]
    pub settle_ms: u64,

    /// Messages per sender level, shared by its senders.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..))]
    pub send_count: u64,

    /// Concurrent senders, comma-separated. Each value gives one result, and each sender is its own user and connection.
    #[arg(long, value_delimiter = ',', default_value = "1,10", value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub senders: Vec<u64>,

    /// Unmeasured sends per sender before each sender level.
    #[arg(long, default_value_t = 5)]
    pub send_warmup: u64,

    /// Gives every sender its own room instead of one room shared by all senders.
    #[arg(long)]
    pub separate_rooms: bool,

    /// How test users join the room of the sync and send scenarios: `invite` works on any
    /// Matrix server, `groups` registers them into an admin-created room (Usher only).
    #[arg(long, value_enum, default_value_t = RoomSetup::Invite)]
    pub room_setup: RoomSetup,

    /// Long-polling /sync requests that waiting-syncs keeps waiting, each on its own TCP connection.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub waiting_syncs: u64,

    /// Test users whose access tokens the waiting-syncs connections use, round-robin.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub waiting_users: u64,

    /// Long-poll timeout sent with each waiting-syncs /sync, in milliseconds. A request that
    /// returns without the fan-out message is sent again, so the count stays at --waiting-syncs.
    #[arg(long, default_value_t = 60_000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub waiting_timeout_ms: u64,

    /// Connections that waiting-syncs opens per ramp-up step. The next step starts once the
    /// requests of this one have been written or have failed.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..))]
    pub ramp_step: u64,

    /// Seconds between the end of the waiting-syncs ramp-up and the VmRSS reading.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(0..=600))]
    pub waiting_settle_secs: u64,

    /// Skips the waiting-syncs fan-out: one message sent after the reading, timed until every connection has received it.
    #[arg(long)]
    pub no_fan_out: bool,

    /// Process ID of the server, for reading VmRSS and VmHWM from /proc/PID/status before and after the load.
    #[arg(long)]
    pub pid: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// Registration latency and throughput.
    Register,
    /// Send → waiting /sync delivery latency.
    Sync,
    /// Send throughput and latency.
    Send,
    /// VmRSS and VmHWM of --pid.
    Memory,
    /// VmRSS of --pid with many long-polling /sync requests waiting, and the fan-out of one message to them.
    WaitingSyncs,
}

impl Scenario {
    /// Returns the name used on the command line, for example `register`.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Register => "register",
            Scenario::Sync => "sync",
            Scenario::Send => "send",
            Scenario::Memory => "memory",
            Scenario::WaitingSyncs => "waiting-syncs",
        }
    }
}

impl Cli {
    /// Checks that the options fit together and returns the scenarios to run: the requested ones, or the defaults.
    pub fn selected_scenarios(&self) -> Result<Vec<Scenario>> {
        let mut scenarios = self.scenarios.clone();
        if scenarios.is_empty() {
            scenarios = vec![Scenario::Register, Scenario::Sync, Scenario::Send];
            if self.pid.is_some() {
                scenarios.push(Scenario::Memory);
            }
        }
        if scenarios.contains(&Scenario::Memory) && self.pid.is_none() {
            bail!("--scenario memory needs --pid PID of the server process");
        }
        if scenarios.contains(&Scenario::WaitingSyncs) {
            if self.pid.is_none() {
                bail!("--scenario waiting-syncs needs --pid PID of the server process");
            }
            if self.waiting_users > self.waiting_syncs {
                bail!(
                    "--waiting-users {} is more than --waiting-syncs {}; every user needs at least one connection",
                    self.waiting_users,
                    self.waiting_syncs
                );
            }
        }
        if self.room_setup == RoomSetup::Groups && self.registration_api != RegistrationApi::Usher {
            bail!("--room-setup groups needs --registration-api usher; use --room-setup invite for other servers");
        }
        Ok(scenarios)
    }

    /// Returns the admin user and password, which every scenario except memory needs.
    pub fn admin_credentials(&self) -> Result<(&str, &str)> {
        match (&self.admin_user, &self.admin_password) {
            (Some(user), Some(password)) => Ok((user, password)),
            _ => bail!("missing --admin-user or --admin-password; the register, sync and send scenarios create accounts as that admin"),
        }
    }

    fn max_duration(&self) -> Duration {
        Duration::from_secs(self.max_duration_secs)
    }

    pub fn register_options(&self) -> register::Options {
        register::Options {
            api: self.registration_api,
            count: self.registrations,
            concurrency: self.concurrency.iter().map(|&value| value as usize).collect(),
            supply_password: !self.no_password,
            max_duration: self.max_duration(),
        }
    }

    pub fn sync_options(&self) -> sync::Options {
        sync::Options {
            count: self.sync_count,
            warmup: self.sync_warmup,
            sync_timeout_ms: self.sync_timeout_ms,
            settle: Duration::from_millis(self.settle_ms),
            room_setup: self.room_setup,
            max_duration: self.max_duration(),
        }
    }

    pub fn send_options(&self) -> send::Options {
        send::Options {
            count: self.send_count,
            senders: self.senders.iter().map(|&value| value as usize).collect(),
            warmup: self.send_warmup,
            separate_rooms: self.separate_rooms,
            room_setup: self.room_setup,
            max_duration: self.max_duration(),
        }
    }

    /// Returns the waiting-syncs options, or `None` without `--pid`, which [`Cli::selected_scenarios`] rejects.
    pub fn waiting_syncs_options(&self) -> Option<waiting_syncs::Options> {
        Some(waiting_syncs::Options {
            connections: self.waiting_syncs,
            users: self.waiting_users as usize,
            timeout_ms: self.waiting_timeout_ms,
            ramp_step: self.ramp_step,
            settle: Duration::from_secs(self.waiting_settle_secs),
            fan_out: !self.no_fan_out,
            room_setup: self.room_setup,
            max_duration: self.max_duration(),
            pid: self.pid?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(["usher-bench", "--url", "http://127.0.0.1:8008"].iter().chain(args))
            .expect("valid arguments")
    }

    #[test]
    fn default_scenarios_add_memory_with_pid() {
        assert_eq!(
            parse(&[]).selected_scenarios().expect("valid"),
            [Scenario::Register, Scenario::Sync, Scenario::Send]
        );
        let with_pid = parse(&["--pid", "1"]).selected_scenarios().expect("valid");
        assert_eq!(with_pid, [Scenario::Register, Scenario::Sync, Scenario::Send, Scenario::Memory]);
    }

    #[test]
    fn memory_scenario_needs_pid() {
        assert!(parse(&["--scenario", "memory"]).selected_scenarios().is_err());
    }

    #[test]
    fn lists_split_on_commas() {
        let cli = parse(&["--scenario", "sync,send", "--senders", "1,4,10", "--registration-api", "synapse-admin"]);
        assert_eq!(cli.scenarios, [Scenario::Sync, Scenario::Send]);
        assert_eq!(cli.send_options().senders, [1, 4, 10]);
        assert_eq!(cli.registration_api, RegistrationApi::SynapseAdmin);
    }

    #[test]
    fn groups_setup_needs_usher_api() {
        let synapse = parse(&["--registration-api", "synapse-admin", "--room-setup", "groups"]);
        assert!(synapse.selected_scenarios().is_err());
        let usher = parse(&["--registration-api", "usher", "--room-setup", "groups"]);
        assert!(usher.selected_scenarios().is_ok());
    }

    #[test]
    fn waiting_syncs_needs_pid() {
        let cli = parse(&["--scenario", "waiting-syncs"]);
        assert!(cli.selected_scenarios().is_err());
        assert!(cli.waiting_syncs_options().is_none());
    }

    #[test]
    fn waiting_syncs_defaults() {
        let cli = parse(&["--scenario", "waiting-syncs", "--pid", "7"]);
        assert_eq!(cli.selected_scenarios().expect("valid"), [Scenario::WaitingSyncs]);
        let options = cli.waiting_syncs_options().expect("--pid is given");
        assert_eq!(options.connections, 10_000);
        assert_eq!(options.users, 100);
        assert_eq!(options.timeout_ms, 60_000);
        assert_eq!(options.pid, 7);
        assert!(options.fan_out);
    }

    #[test]
    fn waiting_users_must_not_exceed_connections() {
        let cli =
            parse(&["--scenario", "waiting-syncs", "--pid", "7", "--waiting-syncs", "10", "--waiting-users", "11"]);
        assert!(cli.selected_scenarios().is_err());
    }

    #[test]
    fn zero_concurrency_is_rejected() {
        let result = Cli::try_parse_from(["usher-bench", "--url", "http://x", "--concurrency", "0"]);
        assert!(result.is_err());
    }
}
