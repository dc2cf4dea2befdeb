//! The `usher` command: run the server, manage admins, check configuration.

mod admin;
mod cli_errors;
mod cli_help;
mod cli_lang;
mod config;
mod config_error;
mod secret;
mod serve;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, FromArgMatches, Parser, Subcommand};

use crate::config::{CliOverrides, Config};

#[derive(Debug, Parser)]
#[command(
    name = "usher",
    version,
    about = "Usher: a Matrix chat server where logged-in users register accounts for others"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServerArgs),
    /// Manage server admins.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Inspect the configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create a server admin account (works while the server runs).
    Create {
        /// Account name; normalized (NFKC, lowercase) and checked against the registration rules.
        username: String,
        /// Password; `-` reads it from the first line of standard input.
        /// Generated and printed on stdout when omitted.
        #[arg(long)]
        password: Option<String>,
        #[command(flatten)]
        server: ServerArgs,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Validate the configuration and print the effective values as TOML.
    Check(ServerArgs),
}

/// Configuration sources. The flags override the file and the environment.
#[derive(Debug, Clone, Args)]
struct ServerArgs {
    /// TOML configuration file.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Directory for the database and the server secret [default: ./usher-data].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Address and port to listen on [default: 127.0.0.1:8008].
    #[arg(long, value_name = "ADDR:PORT")]
    listen: Option<SocketAddr>,
    /// Matrix server name, the part after ":" in user ids [default: localhost].
    #[arg(long, value_name = "NAME")]
    server_name: Option<String>,
}

impl ServerArgs {
    fn load(&self) -> anyhow::Result<Config> {
        let overrides = CliOverrides {
            data_dir: self.data_dir.clone(),
            listen: self.listen,
            server_name: self.server_name.clone(),
        };
        Config::load(self.config.as_deref(), &overrides)
    }
}

fn main() -> ExitCode {
    let lang = cli_lang::lang();
    let mut command = cli_help::command_in(lang);
    let matches = command.try_get_matches_from_mut(std::env::args_os()).unwrap_or_else(|e| cli_errors::exit(e, lang));
    if let Some(path) = cli_help::help_request(&matches) {
        let mut topic = cli_help::help_topic(command, &path).unwrap_or_else(|e| cli_errors::exit(e, lang));
        return match topic.print_help() {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::FAILURE,
        };
    }
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| cli_errors::exit(e.format(&mut command), lang));
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("usher: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(args.load()?).await,
            Command::Admin { command: AdminCommand::Create { username, password, server } } => {
                admin::create(server.load()?, &username, password).await
            }
            Command::Config { command: ConfigCommand::Check(args) } => {
                let config = args.load()?;
                println!("{}", toml::to_string_pretty(&config)?);
                eprintln!("{}", cli_lang::pick("Configuration is valid.", "配置有效。"));
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("usher: {e:#}");
            ExitCode::FAILURE
        }
    }
}
