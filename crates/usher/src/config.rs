//! The server configuration: one typed struct, layered as defaults, then a
//! TOML file, then `USHER_` environment variables, then command-line flags.
//!
//! Nested keys in the environment use `__`, such as
//! `USHER_SPONSORSHIP__GROUP_ADMIN_LEVEL=50`. `docs/usher.example.toml`
//! lists every key with its default; a test keeps the two in step.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::value::{Dict, Map};
use figment::{Figment, Metadata, Profile, Provider};
use serde::{Deserialize, Serialize};
use usher_core::quota::Quota;
use usher_core::rules::RegistrationRules;
use usher_service::{Settings, SponsorshipSettings};

use crate::config_error::{
    ConfigError, Expected, LoadError, Origin, DEFAULTS_LAYER, ENVIRONMENT_LAYER, ENV_PREFIX, FLAGS_LAYER,
};

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

/// A figment provider under a fixed name, so that error messages can tell which layer a
/// value came from (see [`Origin::of`]).
pub struct Layer<P> {
    name: &'static str,
    provider: P,
}

impl<P: Provider> Layer<P> {
    pub fn new(name: &'static str, provider: P) -> Self {
        Layer { name, provider }
    }
}

impl<P: Provider> Provider for Layer<P> {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.name)
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        self.provider.data()
    }

    fn profile(&self) -> Option<Profile> {
        self.provider.profile()
    }
}

impl Config {
    /// Loads the layers and validates the result. The error message is in the CLI's
    /// language and lists every error of the step that failed.
    pub fn load(file: Option<&Path>, overrides: &CliOverrides) -> anyhow::Result<Config> {
        Config::try_load(file, overrides).map_err(|error| anyhow::anyhow!(error.message(crate::cli_lang::lang())))
    }

    /// Loads the layers and validates the result, returning an error that renders in
    /// either language.
    pub fn try_load(file: Option<&Path>, overrides: &CliOverrides) -> Result<Config, LoadError> {
        let mut figment = Figment::from(Layer::new(DEFAULTS_LAYER, Serialized::defaults(Config::default())));
        if let Some(file) = file {
            check_toml_file(file)?;
            figment = figment.merge(Toml::file_exact(file));
        }
        // Only variables naming a configuration key are read, so other
        // USHER_ variables (of scripts and test harnesses) are left alone.
        let env = Env::prefixed(ENV_PREFIX)
            .filter(|key| {
                let first = key.as_str().split("__").next().unwrap_or_default().to_ascii_lowercase();
                TOP_LEVEL_KEYS.contains(&first.as_str())
            })
            .split("__");
        figment = figment
            .merge(Layer::new(ENVIRONMENT_LAYER, env))
            .merge(Layer::new(FLAGS_LAYER, Serialized::defaults(overrides)));
        let config: Config =
            figment.extract().map_err(|error| LoadError::Invalid(ConfigError::from_figment(error, &figment)))?;
        config.validate(&|key| figment.find_metadata(key).map(Origin::of)).map_err(LoadError::Invalid)?;
        Ok(config)
    }

    /// Checks the values that parse but cannot work, and returns an error for each.
    /// `origin_of` returns the layer that set a dotted key, which each error names.
    pub fn validate(&self, origin_of: &dyn Fn(&str) -> Option<Origin>) -> Result<(), Vec<ConfigError>> {
        let mut errors = Vec::new();
        if let Err(error) = ruma::ServerName::parse(&self.server_name) {
            errors.push(
                ConfigError::invalid_value(
                    "server_name",
                    quoted(&self.server_name),
                    Expected::new(
                        "a Matrix server name: a domain name or IP address, optionally with a port",
                        "有效的 Matrix 服务器名：域名或 IP 地址，可带端口",
                    ),
                )
                .with_detail(error.to_string()),
            );
        }
        let rules = &self.registration.rules;
        let username = (rules.username.min_length, rules.username.max_length);
        let password = (rules.password.min_length, rules.password.max_length);
        check_length_rules(&mut errors, origin_of, "registration.rules.username", username, Some(MAX_USERNAME_LENGTH));
        check_length_rules(&mut errors, origin_of, "registration.rules.password", password, None);
        if let Err(error) = tracing_subscriber::EnvFilter::try_new(&self.log) {
            errors.push(
                ConfigError::invalid_value(
                    "log",
                    quoted(&self.log),
                    Expected::new(
                        "a log filter such as info or info,usher_http=debug",
                        "日志过滤规则，例如 info 或 info,usher_http=debug",
                    ),
                )
                .with_detail(error.to_string()),
            );
        }
        if self.sponsorship.group_admin_level < 1 {
            errors.push(ConfigError::invalid_value(
                "sponsorship.group_admin_level",
                self.sponsorship.group_admin_level.to_string(),
                Expected::new(
                    "at least 1, or every room member would count as a group admin",
                    "不小于 1 的整数，否则每个房间成员都会被当作群管理员",
                ),
            ));
        }
        for (key, value) in [
            ("rate_limits.credential_per_second", self.rate_limits.credential_per_second),
            ("rate_limits.credential_burst", self.rate_limits.credential_burst),
        ] {
            if value == 0 {
                errors.push(ConfigError::invalid_value(
                    key,
                    value.to_string(),
                    Expected::new("at least 1", "不小于 1 的整数"),
                ));
            }
        }
        if self.sync.max_timeout_ms > 600_000 {
            errors.push(ConfigError::invalid_value(
                "sync.max_timeout_ms",
                self.sync.max_timeout_ms.to_string(),
                Expected::new("at most 600000 (10 minutes)", "不超过 600000 的整数（即 10 分钟）"),
            ));
        }
        for error in &mut errors {
            error.origin = origin_of(&error.key.join("."));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
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

/// Upper bound of `registration.rules.username.max_length`, because a Matrix user id
/// (`@name:server`) is at most 255 bytes long.
const MAX_USERNAME_LENGTH: usize = 255;

/// Writes a string as a TOML string, quoted and escaped.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// Checks the `min_length` and `max_length` of the rules table `table`. When the two
/// disagree, the error names the one of them that the user set.
fn check_length_rules(
    errors: &mut Vec<ConfigError>,
    origin_of: &dyn Fn(&str) -> Option<Origin>,
    table: &str,
    (min, max): (usize, usize),
    limit: Option<usize>,
) {
    let min_key = format!("{table}.min_length");
    let max_key = format!("{table}.max_length");
    if min == 0 {
        errors.push(ConfigError::invalid_value(
            &min_key,
            min.to_string(),
            Expected::new("at least 1", "不小于 1 的整数"),
        ));
    } else if min > max {
        let error = if origin_of(&min_key) == Some(Origin::Defaults) {
            ConfigError::invalid_value(
                &max_key,
                max.to_string(),
                Expected::new(format!("at least {min_key} ({min})"), format!("不小于 {min_key}（{min}）的整数")),
            )
        } else {
            ConfigError::invalid_value(
                &min_key,
                min.to_string(),
                Expected::new(format!("at most {max_key} ({max})"), format!("不超过 {max_key}（{max}）的整数")),
            )
        };
        // The key's default need not fit the other key's value, so no example.
        errors.push(ConfigError { example: false, ..error });
    }
    if let Some(limit) = limit {
        if max > limit {
            errors.push(ConfigError::invalid_value(
                &max_key,
                max.to_string(),
                Expected::new(format!("at most {limit}"), format!("不超过 {limit} 的整数")),
            ));
        }
    }
}

/// Reads the TOML file once before figment does, to report a missing file or a syntax
/// error with its line and column.
fn check_toml_file(file: &Path) -> Result<(), LoadError> {
    if file.is_dir() {
        return Err(LoadError::FileIsDirectory(file.to_owned()));
    }
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(LoadError::FileNotFound(file.to_owned()))
        }
        Err(error) => return Err(LoadError::FileUnreadable(file.to_owned(), error)),
    };
    match text.parse::<toml::Table>() {
        Ok(_) => Ok(()),
        Err(error) => Err(LoadError::Invalid(vec![ConfigError::syntax(file, &text, &error)])),
    }
}

#[cfg(test)]
mod tests {
    use usher_core::Lang;

    use super::*;

    /// Returns the messages of `config`'s validation errors in both languages.
    fn validation_messages(config: &Config) -> Vec<(String, String)> {
        let errors = config.validate(&|_| None).expect_err("the config is invalid");
        errors.iter().map(|error| (error.message(Lang::En), error.message(Lang::ZhCn))).collect()
    }

    fn single_validation_message(config: &Config) -> (String, String) {
        let mut messages = validation_messages(config);
        assert_eq!(messages.len(), 1, "{messages:?}");
        messages.remove(0)
    }

    /// Loads `file`, when given, and returns the error message in both languages. Call it
    /// inside a `figment::Jail`, which isolates the environment.
    #[expect(clippy::result_large_err, reason = "figment::Jail fixes the closure's error type")]
    fn load_messages(file: Option<&str>) -> figment::Result<(String, String)> {
        let error = Config::try_load(file.map(Path::new), &CliOverrides::default())
            .err()
            .ok_or_else(|| figment::Error::from("the configuration loaded"))?;
        Ok((error.message(Lang::En), error.message(Lang::ZhCn)))
    }

    #[test]
    fn example_file_matches_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/usher.example.toml");
        let text = std::fs::read_to_string(&path).expect("docs/usher.example.toml exists");
        let parsed: Config = toml::from_str(&text).expect("example parses");
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn defaults_valid() {
        assert_eq!(Config::default().validate(&|_| None), Ok(()));
    }

    #[test]
    fn invalid_server_name_named() {
        let config = Config { server_name: "bad name".into(), ..Config::default() };
        let (en, zh) = single_validation_message(&config);
        assert!(
            en.starts_with("invalid value for server_name: found \"bad name\", expected a Matrix server name"),
            "{en}"
        );
        assert!(en.ends_with("Example: server_name = \"chat.example.com\""), "{en}");
        assert!(zh.starts_with("server_name 的值无效：现为 \"bad name\"，应为有效的 Matrix 服务器名"), "{zh}");
        assert!(zh.ends_with("示例：server_name = \"chat.example.com\""), "{zh}");
    }

    #[test]
    fn username_min_length_zero_named() {
        let mut config = Config::default();
        config.registration.rules.username.min_length = 0;
        let (en, zh) = single_validation_message(&config);
        assert_eq!(
            en,
            "invalid value for registration.rules.username.min_length: found 0, expected at least 1. \
             Example: registration.rules.username.min_length = 7"
        );
        assert_eq!(
            zh,
            "registration.rules.username.min_length 的值无效：现为 0，应为不小于 1 的整数。\
             示例：registration.rules.username.min_length = 7"
        );
    }

    #[test]
    fn length_rules_checked_against_each_other() {
        let mut config = Config::default();
        config.registration.rules.username.max_length = 300;
        config.registration.rules.password.min_length = 20;
        config.registration.rules.password.max_length = 10;
        let messages = validation_messages(&config);
        assert_eq!(messages.len(), 2, "{messages:?}");
        let (en, zh) = &messages[0];
        assert!(
            en.starts_with(
                "invalid value for registration.rules.username.max_length: found 300, expected at most 255."
            ),
            "{en}"
        );
        assert!(zh.contains("现为 300，应为不超过 255 的整数。"), "{zh}");
        let (en, zh) = &messages[1];
        assert_eq!(
            en,
            "invalid value for registration.rules.password.min_length: found 20, \
             expected at most registration.rules.password.max_length (10)."
        );
        assert!(zh.ends_with("应为不超过 registration.rules.password.max_length（10）的整数。"), "{zh}");
    }

    #[test]
    fn length_conflict_names_key_user_set() {
        let mut config = Config::default();
        config.registration.rules.username.max_length = 3;
        let origin_of = |key: &str| {
            Some(if key.ends_with("max_length") { Origin::File("usher.toml".into()) } else { Origin::Defaults })
        };
        let errors = config.validate(&origin_of).expect_err("min_length 7 exceeds max_length 3");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors[0].message(Lang::En),
            "invalid value for registration.rules.username.max_length (file usher.toml): found 3, \
             expected at least registration.rules.username.min_length (7)."
        );
        assert_eq!(
            errors[0].message(Lang::ZhCn),
            "registration.rules.username.max_length（配置文件 usher.toml）的值无效：现为 3，\
             应为不小于 registration.rules.username.min_length（7）的整数。"
        );
    }

    #[test]
    fn every_check_in_both_languages() {
        let mut config = Config { log: "info,=[bad".into(), ..Config::default() };
        config.sponsorship.group_admin_level = 0;
        config.rate_limits.credential_per_second = 0;
        config.rate_limits.credential_burst = 0;
        config.sync.max_timeout_ms = 600_001;
        let messages = validation_messages(&config);
        let keys = [
            "log",
            "sponsorship.group_admin_level",
            "rate_limits.credential_per_second",
            "rate_limits.credential_burst",
            "sync.max_timeout_ms",
        ];
        assert_eq!(messages.len(), keys.len(), "{messages:?}");
        for ((en, zh), key) in messages.iter().zip(keys) {
            assert!(en.starts_with(&format!("invalid value for {key}: found ")), "{en}");
            assert!(en.contains(". Example: "), "{en}");
            assert!(zh.starts_with(&format!("{key} 的值无效：现为 ")), "{zh}");
            assert!(zh.contains("。示例："), "{zh}");
        }
        assert!(messages[0].0.contains("found \"info,=[bad\""), "{:?}", messages[0]);
        assert!(messages[4].1.contains("应为不超过 600000 的整数（即 10 分钟）"), "{:?}", messages[4]);
    }

    #[test]
    fn unknown_key_rejected() {
        let result: Result<Config, _> = toml::from_str("lsten = \"127.0.0.1:1\"");
        assert!(result.is_err());
    }

    #[test]
    #[expect(clippy::result_large_err, reason = "figment::Jail fixes the closure's error type")]
    fn layers_apply_in_order() {
        // In a jail, because other tests set USHER_ variables in theirs.
        figment::Jail::expect_with(|jail| {
            jail.create_file("usher.toml", "server_name = \"from-file.example\"\nlisten = \"127.0.0.1:9000\"\n")?;
            let overrides =
                CliOverrides { listen: Some(SocketAddr::from(([127, 0, 0, 1], 9100))), ..CliOverrides::default() };
            let config = Config::load(Some(Path::new("usher.toml")), &overrides).map_err(|e| e.to_string())?;
            assert_eq!(config.server_name, "from-file.example");
            assert_eq!(config.listen.port(), 9100);
            Ok(())
        });
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
    #[expect(clippy::result_large_err, reason = "figment::Jail fixes the closure's error type")]
    fn file_errors_name_file_without_profile() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("bad.toml", "listen = \"not-an-addr\"\n")?;
            let (en, zh) = load_messages(Some("bad.toml"))?;
            assert!(!en.contains("default."), "{en}");
            assert!(en.contains("invalid value for listen (file bad.toml): found \"not-an-addr\""), "{en}");
            assert!(en.contains("Example: listen = \"127.0.0.1:8008\""), "{en}");
            assert!(zh.contains("listen（配置文件 bad.toml）的值无效：现为 \"not-an-addr\""), "{zh}");
            Ok(())
        });
    }

    #[test]
    #[expect(clippy::result_large_err, reason = "figment::Jail fixes the closure's error type")]
    fn environment_errors_name_variable() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("USHER_SYNC__MAX_TIMEOUT_MS", "abc");
            let (en, zh) = load_messages(None)?;
            assert_eq!(
                en,
                "invalid type for sync.max_timeout_ms (environment variable USHER_SYNC__MAX_TIMEOUT_MS): \
                 found \"abc\", expected a whole number of 0 or more. Example: USHER_SYNC__MAX_TIMEOUT_MS=60000"
            );
            assert_eq!(
                zh,
                "sync.max_timeout_ms（环境变量 USHER_SYNC__MAX_TIMEOUT_MS）的类型无效：现为 \"abc\"，应为非负整数。\
                 示例：USHER_SYNC__MAX_TIMEOUT_MS=60000"
            );
            Ok(())
        });
    }

    #[test]
    #[expect(clippy::result_large_err, reason = "figment::Jail fixes the closure's error type")]
    fn validation_errors_name_variable() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("USHER_RATE_LIMITS__CREDENTIAL_BURST", "0");
            let (en, zh) = load_messages(None)?;
            assert_eq!(
                en,
                "invalid value for rate_limits.credential_burst \
                 (environment variable USHER_RATE_LIMITS__CREDENTIAL_BURST): found 0, expected at least 1. \
                 Example: USHER_RATE_LIMITS__CREDENTIAL_BURST=100"
            );
            assert_eq!(
                zh,
                "rate_limits.credential_burst（环境变量 USHER_RATE_LIMITS__CREDENTIAL_BURST）的值无效：现为 0，应为不小于 1 的整数。\
                 示例：USHER_RATE_LIMITS__CREDENTIAL_BURST=100"
            );
            Ok(())
        });
    }

    #[test]
    #[expect(clippy::result_large_err, reason = "figment::Jail fixes the closure's error type")]
    fn flag_errors_name_flag() {
        figment::Jail::expect_with(|_| {
            let overrides = CliOverrides { server_name: Some("a b".into()), ..CliOverrides::default() };
            let error = Config::try_load(None, &overrides).err().ok_or("the server name passed")?;
            let en = error.message(Lang::En);
            let zh = error.message(Lang::ZhCn);
            assert!(
                en.starts_with("invalid value for server_name (command-line flag --server-name): found \"a b\""),
                "{en}"
            );
            assert!(en.ends_with("Example: --server-name chat.example.com"), "{en}");
            assert!(zh.starts_with("server_name（命令行参数 --server-name）的值无效：现为 \"a b\""), "{zh}");
            Ok(())
        });
    }

    #[test]
    #[expect(clippy::result_large_err, reason = "figment::Jail fixes the closure's error type")]
    fn syntax_error_names_line() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("bad.toml", "listen = \n")?;
            let (en, zh) = load_messages(Some("bad.toml"))?;
            assert!(en.starts_with("the file bad.toml is not valid TOML at line 1, column 10: "), "{en}");
            assert!(zh.starts_with("配置文件 bad.toml 第 1 行第 10 列不是有效的 TOML"), "{zh}");
            Ok(())
        });
    }

    #[test]
    fn invalid_log_filter_named() {
        let config = Config { log: "info,=[bad".into(), ..Config::default() };
        let (en, zh) = single_validation_message(&config);
        assert!(en.contains("info,=[bad"), "{en}");
        assert!(zh.contains("info,=[bad"), "{zh}");
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
