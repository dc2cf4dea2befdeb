//! The server configuration: one typed struct, layered as defaults, then a
//! TOML file, then `USHER_` environment variables, then command-line flags.
//!
//! Nested keys in the environment use `__`, such as
//! `USHER_SPONSORSHIP__GROUP_ADMIN_LEVEL=50`. `docs/usher.example.toml`
//! lists every key with its default; a test keeps the two in step.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use usher_core::quota::Quota;
use usher_core::rules::RegistrationRules;
use usher_service::{Settings, SponsorshipSettings};

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Directory holding the SQLite database and the server secret.
    /// Default `./usher-data`.
    pub data_dir: PathBuf,
    /// Address and port to listen on; port 0 picks a free one.
    /// Default `127.0.0.1:8008`.
    pub listen: SocketAddr,
    /// Matrix server name, the part after `:` in user ids. Default `localhost`.
    pub server_name: String,
    /// Log filter in `tracing` `EnvFilter` syntax. Default `info`.
    pub log: String,
    /// Log format: `text` or `json`. Default `text`.
    pub log_format: LogFormat,
    pub registration: RegistrationConfig,
    pub sponsorship: SponsorshipConfig,
    pub sync: SyncConfig,
    pub rate_limits: RateLimitConfig,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegistrationConfig {
    /// Whether `/register` accepts accounts without a sponsor. Default false.
    pub open: bool,
    /// Account-name and password rules.
    pub rules: RegistrationRules,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SponsorshipConfig {
    /// Power level at or above which a room member is its group admin and
    /// may register accounts into it. Default 100.
    pub group_admin_level: i64,
    /// Whether group admins without a grant may register accounts at all.
    /// Any user who creates a room is its group admin. Default true.
    pub group_admins_may_sponsor: bool,
    /// Accounts a group admin without a grant may register per UTC day.
    /// Default 50.
    pub group_admin_daily_quota: Option<u64>,
    /// Accounts a group admin without a grant may register in total.
    /// Default 500.
    pub group_admin_total_quota: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncConfig {
    /// Longest `/sync` long-poll in milliseconds; longer client timeouts are
    /// cut to this. Default 60000.
    pub max_timeout_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Requests per second each client address may make to login,
    /// activation and open registration, refilled continuously. Default 10.
    pub credential_per_second: u32,
    /// Requests a client address may make at once before the rate applies.
    /// Default 100.
    pub credential_burst: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig { credential_per_second: 10, credential_burst: 100 }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./usher-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8008)),
            server_name: "localhost".into(),
            log: "info".into(),
            log_format: LogFormat::Text,
            registration: RegistrationConfig::default(),
            sponsorship: SponsorshipConfig::default(),
            sync: SyncConfig::default(),
            rate_limits: RateLimitConfig::default(),
        }
    }
}

impl Default for SponsorshipConfig {
    fn default() -> Self {
        SponsorshipConfig {
            group_admin_level: 100,
            group_admins_may_sponsor: true,
            group_admin_daily_quota: Some(50),
            group_admin_total_quota: Some(500),
        }
    }
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig { max_timeout_ms: 60_000 }
    }
}

/// Top-level keys of [`Config`], as `USHER_` variables name them.
const TOP_LEVEL_KEYS: &[&str] =
    &["data_dir", "listen", "server_name", "log", "log_format", "registration", "sponsorship", "sync", "rate_limits"];

/// Settings given on the command line; only those present override.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CliOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
}

impl Config {
    /// Loads the layers and validates the result.
    pub fn load(file: Option<&Path>, overrides: &CliOverrides) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.is_file() {
                anyhow::bail!(crate::cli_lang::lang().pick(
                    format!("config file {} not found; pass an existing TOML file to --config", file.display()),
                    format!("找不到配置文件 {}；请给 --config 传入一个存在的 TOML 文件", file.display()),
                ));
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        // Only variables naming a configuration key are read, so other
        // USHER_ variables (of scripts and test harnesses) are left alone.
        let env = Env::prefixed("USHER_")
            .filter(|key| {
                let first = key.as_str().split("__").next().unwrap_or_default().to_ascii_lowercase();
                TOP_LEVEL_KEYS.contains(&first.as_str())
            })
            .split("__");
        figment = figment.merge(env).merge(Serialized::defaults(overrides));
        let config: Config = figment.extract().map_err(|e| {
            anyhow::anyhow!(
                crate::cli_lang::lang().pick(format!("invalid configuration: {e}"), format!("配置无效：{e}"))
            )
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Fails on values that parse but cannot work, naming the key.
    pub fn validate(&self) -> anyhow::Result<()> {
        ruma::ServerName::parse(&self.server_name).with_context(|| {
            format!(
                "server_name \"{}\" is not a valid Matrix server name (example: chat.example.com)",
                self.server_name
            )
        })?;
        let username = &self.registration.rules.username;
        if username.min_length == 0 || username.min_length > username.max_length || username.max_length > 255 {
            anyhow::bail!(
                "registration.rules.username: min_length ({}) must be at least 1 and at most max_length ({}), and max_length at most 255",
                username.min_length,
                username.max_length
            );
        }
        let password = &self.registration.rules.password;
        if password.min_length == 0 || password.min_length > password.max_length {
            anyhow::bail!(
                "registration.rules.password: min_length ({}) must be at least 1 and at most max_length ({})",
                password.min_length,
                password.max_length
            );
        }
        tracing_subscriber::EnvFilter::try_new(&self.log).map_err(|e| {
            anyhow::anyhow!(
                "log \"{}\" is not a valid log filter ({e}); use for example \"info\" or \"info,usher_http=debug\"",
                self.log
            )
        })?;
        if self.sponsorship.group_admin_level < 1 {
            anyhow::bail!(
                "sponsorship.group_admin_level ({}) must be at least 1, or every room member would count as a group admin",
                self.sponsorship.group_admin_level
            );
        }
        if self.rate_limits.credential_per_second == 0 || self.rate_limits.credential_burst == 0 {
            anyhow::bail!("rate_limits: credential_per_second and credential_burst must be at least 1");
        }
        if self.sync.max_timeout_ms > 600_000 {
            anyhow::bail!("sync.max_timeout_ms ({}) must be at most 600000 (10 minutes)", self.sync.max_timeout_ms);
        }
        Ok(())
    }

    /// Returns the path of the SQLite database file.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("usher.db")
    }

    /// Builds the settings the services read.
    pub fn settings(&self) -> Settings {
        Settings {
            server_name: self.server_name.clone(),
            rules: self.registration.rules.clone(),
            sponsorship: SponsorshipSettings {
                group_admin_level: self.sponsorship.group_admin_level,
                group_admin_quota: Quota {
                    daily: self.sponsorship.group_admin_daily_quota,
                    total: self.sponsorship.group_admin_total_quota,
                },
                group_admins_may_sponsor: self.sponsorship.group_admins_may_sponsor,
            },
            open_registration: self.registration.open,
            max_sync_timeout_ms: self.sync.max_timeout_ms,
            credential_rate: usher_service::RateLimit {
                per_second: self.rate_limits.credential_per_second,
                burst: self.rate_limits.credential_burst,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_file_matches_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/usher.example.toml");
        let text = std::fs::read_to_string(&path).expect("docs/usher.example.toml exists");
        let parsed: Config = toml::from_str(&text).expect("example parses");
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn invalid_server_name_named() {
        let config = Config { server_name: "bad name".into(), ..Config::default() };
        let message = config.validate().err().map(|e| format!("{e:#}")).unwrap_or_default();
        assert!(message.contains("server_name \"bad name\""), "{message}");
    }

    #[test]
    fn unknown_key_rejected() {
        let result: Result<Config, _> = toml::from_str("lsten = \"127.0.0.1:1\"");
        assert!(result.is_err());
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("usher.toml");
        std::fs::write(&file, "server_name = \"from-file.example\"\nlisten = \"127.0.0.1:9000\"\n").expect("write");
        let overrides =
            CliOverrides { listen: Some(SocketAddr::from(([127, 0, 0, 1], 9100))), ..CliOverrides::default() };
        let config = Config::load(Some(&file), &overrides).expect("loads");
        assert_eq!(config.server_name, "from-file.example");
        assert_eq!(config.listen.port(), 9100);
    }

    #[test]
    #[expect(clippy::result_large_err, reason = "figment::Jail fixes the closure's error type")]
    fn environment_overrides_file_and_skips_other_variables() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("usher.toml", "server_name = \"from-file.example\"\n")?;
            jail.set_env("USHER_SERVER_NAME", "from-env.example");
            jail.set_env("USHER_SYNC__MAX_TIMEOUT_MS", "1234");
            jail.set_env("USHER_BIN", "/not/a/setting");
            let config =
                Config::load(Some(Path::new("usher.toml")), &CliOverrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(config.server_name, "from-env.example");
            assert_eq!(config.sync.max_timeout_ms, 1234);
            Ok(())
        });
    }

    #[test]
    fn invalid_log_filter_named() {
        let config = Config { log: "info,=[bad".into(), ..Config::default() };
        let message = config.validate().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("info,=[bad"), "{message}");
    }

    #[test]
    fn missing_file_named() {
        let message = Config::load(Some(Path::new("/nonexistent/usher.toml")), &CliOverrides::default())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(message.contains("/nonexistent/usher.toml"), "{message}");
    }
}
