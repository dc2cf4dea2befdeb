//! Configuration errors in English and Chinese.
//!
//! Each message names the key, the value found, where the value came from (the TOML
//! file, a `USHER_` environment variable or a command-line flag) and, where one
//! exists, a valid example written for that source, such as `listen = "127.0.0.1:8008"`
//! or `USHER_LISTEN=127.0.0.1:8008`. figment's errors are read through their
//! structured fields (kind, path, metadata), so its profile name never shows.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use figment::error::{Actual, Kind};
use figment::value::Value;
use figment::{Figment, Metadata, Source};
use usher_core::Lang;

use crate::config::Config;

/// Metadata name of the layer holding the built-in defaults.
pub const DEFAULTS_LAYER: &str = "defaults";
/// Metadata name of the layer holding the `USHER_` environment variables.
pub const ENVIRONMENT_LAYER: &str = "environment variables";
/// Metadata name of the layer holding the command-line flags.
pub const FLAGS_LAYER: &str = "command-line flags";
/// Prefix of the environment variables that set configuration keys.
pub const ENV_PREFIX: &str = "USHER_";

/// Source of a configuration value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The TOML file, as figment displays its path (relative to the working directory
    /// when that is shorter).
    File(String),
    Environment,
    Flags,
    Defaults,
    /// A layer of another name.
    Other(String),
}

impl Origin {
    /// Classifies a figment layer by its metadata, as `Config::try_load` names the layers.
    pub fn of(metadata: &Metadata) -> Origin {
        if let Some(source @ Source::File(_)) = &metadata.source {
            return Origin::File(source.to_string());
        }
        match metadata.name.as_ref() {
            ENVIRONMENT_LAYER => Origin::Environment,
            FLAGS_LAYER => Origin::Flags,
            DEFAULTS_LAYER => Origin::Defaults,
            name => Origin::Other(name.to_owned()),
        }
    }

    /// Describes the source of `key`, such as "environment variable USHER_LISTEN".
    fn describe(&self, key: &[String], lang: Lang) -> String {
        match self {
            Origin::File(path) => lang.pick(format!("file {path}"), format!("配置文件 {path}")),
            Origin::Environment => {
                let variable = env_variable(key);
                lang.pick(format!("environment variable {variable}"), format!("环境变量 {variable}"))
            }
            Origin::Flags => {
                let flag = flag_name(key);
                lang.pick(format!("command-line flag {flag}"), format!("命令行参数 {flag}"))
            }
            Origin::Defaults => lang.pick("default value", "默认值"),
            Origin::Other(name) => name.clone(),
        }
    }
}

/// Returns the environment variable that sets `key`, such as `USHER_SYNC__MAX_TIMEOUT_MS`.
fn env_variable(key: &[String]) -> String {
    format!("{ENV_PREFIX}{}", key.join("__").to_ascii_uppercase())
}

/// Returns the command-line flag that sets `key`, such as `--data-dir`.
fn flag_name(key: &[String]) -> String {
    format!("--{}", key.join("-").replace('_', "-"))
}

/// A description of the values a key accepts, in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub en: String,
    pub zh: String,
}

impl Expected {
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> Self {
        Expected { en: en.into(), zh: zh.into() }
    }
}

/// Kind of configuration error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The value has the wrong type, such as a string where a number belongs.
    WrongType { expected: Expected },
    /// The value has the right type but is not accepted. `detail` is a parser's own
    /// message, in English only, so only English messages show it.
    InvalidValue { expected: Expected, detail: Option<String> },
    /// The key does not exist. `valid` lists the keys of the same table.
    UnknownKey { valid: Vec<String> },
    /// A required key is missing.
    MissingKey,
    /// The TOML file does not parse. `detail` is the TOML parser's message.
    Syntax { line: usize, column: usize, detail: String, source_line: String },
    /// An error that figment tied to no key, with its English message.
    Unkeyed { message: String },
}

/// One configuration error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The key path, such as `["sync", "max_timeout_ms"]`, or empty when unknown.
    pub key: Vec<String>,
    pub origin: Option<Origin>,
    /// The value found, written as TOML, such as `"abc"` or `-5`.
    pub found: Option<String>,
    pub problem: Problem,
    /// Whether the message ends with an example built from the key's default. False
    /// where the default would not fix the error, as in a check of two keys against
    /// each other.
    pub example: bool,
}

impl ConfigError {
    /// Builds the error of a value that parsed but breaks a rule of `Config::validate`.
    pub fn invalid_value(key: &str, found: String, expected: Expected) -> Self {
        ConfigError {
            key: key.split('.').map(str::to_owned).collect(),
            origin: None,
            found: Some(found),
            problem: Problem::InvalidValue { expected, detail: None },
            example: true,
        }
    }

    /// Adds a parser's English message to an invalid-value error.
    pub fn with_detail(mut self, detail: String) -> Self {
        if let Problem::InvalidValue { detail: slot, .. } = &mut self.problem {
            *slot = Some(detail);
        }
        self
    }

    /// Builds the error of a TOML file that does not parse.
    pub fn syntax(path: &Path, text: &str, error: &toml::de::Error) -> Self {
        let offset = error.span().map_or(0, |span| span.start).min(text.len());
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = before.matches('\n').count() + 1;
        let column = text[line_start..offset].chars().count() + 1;
        let source_line = text[line_start..].lines().next().unwrap_or_default().to_owned();
        let detail = error.message().lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ");
        ConfigError {
            key: Vec::new(),
            origin: Some(Origin::File(Source::File(path.to_owned()).to_string())),
            found: None,
            problem: Problem::Syntax { line, column, detail, source_line },
            example: false,
        }
    }

    /// Builds the errors of a failed figment extraction, one for each error in its chain.
    pub fn from_figment(error: figment::Error, figment: &Figment) -> Vec<ConfigError> {
        error.into_iter().map(|error| ConfigError::from_figment_one(error, figment)).collect()
    }

    fn from_figment_one(error: figment::Error, figment: &Figment) -> ConfigError {
        let key = without_list_index(error.path.clone());
        let origin = error.metadata.as_ref().map(Origin::of);
        let value_found = figment.find_value(&key.join(".")).ok().filter(|_| !key.is_empty());
        let found_or = |actual: &Actual| value_found.as_ref().map(toml_text).unwrap_or_else(|| actual_text(actual));
        let (found, problem) = match error.kind {
            Kind::UnknownField(_, valid) => {
                (None, Problem::UnknownKey { valid: valid.iter().map(|&key| key.to_owned()).collect() })
            }
            Kind::UnknownVariant(variant, valid) => {
                let en = valid.iter().map(|v| format!("\"{v}\"")).collect::<Vec<_>>();
                let expected =
                    Expected::new(format!("one of {}", en.join(", ")), format!("以下之一：{}", en.join("、")));
                (Some(format!("\"{variant}\"")), Problem::InvalidValue { expected, detail: None })
            }
            Kind::InvalidType(actual, _) => {
                (Some(found_or(&actual)), Problem::WrongType { expected: expected_for(&key) })
            }
            Kind::InvalidValue(actual, _) => {
                (Some(found_or(&actual)), Problem::InvalidValue { expected: expected_for(&key), detail: None })
            }
            Kind::MissingField(field) if !field.is_empty() => {
                let mut key = key;
                key.push(field.into_owned());
                return ConfigError { key, origin, found: None, problem: Problem::MissingKey, example: false };
            }
            kind if key.is_empty() => (None, Problem::Unkeyed { message: kind.to_string() }),
            // Message, InvalidLength and the rest: a parser rejected the value, as
            // `listen = "not-an-addr"` gives "invalid socket address syntax".
            kind => {
                let found = value_found.as_ref().map(toml_text);
                (found, Problem::InvalidValue { expected: expected_for(&key), detail: Some(kind.to_string()) })
            }
        };
        let example = matches!(problem, Problem::WrongType { .. } | Problem::InvalidValue { .. });
        ConfigError { key, origin, found, problem, example }
    }

    /// Renders the message in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let key = self.key.join(".");
        let origin = self.origin.as_ref().map(|origin| origin.describe(&self.key, lang));
        let at = match (&origin, lang) {
            (Some(origin), Lang::En) => format!("{key} ({origin})"),
            (Some(origin), Lang::ZhCn) => format!("{key}（{origin}）"),
            (None, _) => key,
        };
        let mut text = match &self.problem {
            Problem::WrongType { expected } => self.value_message(lang, &at, expected, None, true),
            Problem::InvalidValue { expected, detail } => {
                self.value_message(lang, &at, expected, detail.as_deref(), false)
            }
            Problem::UnknownKey { valid } => self.unknown_key_message(lang, &at, valid),
            Problem::MissingKey => lang.pick(format!("missing key {at}."), format!("缺少键 {at}。")),
            Problem::Syntax { line, column, detail, source_line } => {
                let file = origin.unwrap_or_default();
                let mut text = lang.pick(
                    format!("the {file} is not valid TOML at line {line}, column {column}: {detail}"),
                    format!("{file} 第 {line} 行第 {column} 列不是有效的 TOML（TOML 解析器的说明：{detail}）"),
                );
                let indent = " ".repeat(line.to_string().len());
                let caret = " ".repeat(column.saturating_sub(1));
                let _ = write!(text, "\n {line} | {source_line}\n {indent} | {caret}^");
                text
            }
            Problem::Unkeyed { message } => match origin {
                Some(origin) => lang.pick(
                    format!("invalid configuration ({origin}): {message}"),
                    format!("配置无效（{origin}）：{message}"),
                ),
                None => lang.pick(format!("invalid configuration: {message}"), format!("配置无效：{message}")),
            },
        };
        if self.example {
            if let Some(example) = self.example_text() {
                text.push_str(&lang.pick(format!(" Example: {example}"), format!("示例：{example}")));
            }
        }
        text
    }

    fn value_message(
        &self,
        lang: Lang,
        at: &str,
        expected: &Expected,
        detail: Option<&str>,
        wrong_type: bool,
    ) -> String {
        let (en_head, zh_head) =
            if wrong_type { ("invalid type for", "的类型无效") } else { ("invalid value for", "的值无效") };
        let detail = detail.map(|detail| format!(" ({detail})")).unwrap_or_default();
        // Chinese text puts a space between Latin letters and Chinese characters.
        let subject = if at.ends_with(|c: char| c.is_ascii()) { format!("{at} ") } else { at.to_owned() };
        match &self.found {
            Some(found) => lang.pick(
                format!("{en_head} {at}: found {found}, expected {}{detail}.", expected.en),
                format!("{subject}{zh_head}：现为 {found}，应为{}。", expected.zh),
            ),
            None => lang.pick(
                format!("{en_head} {at}: expected {}{detail}.", expected.en),
                format!("{subject}{zh_head}：应为{}。", expected.zh),
            ),
        }
    }

    fn unknown_key_message(&self, lang: Lang, at: &str, valid: &[String]) -> String {
        let parent = &self.key[..self.key.len().saturating_sub(1)];
        if self.origin == Some(Origin::Environment) {
            let variables = valid
                .iter()
                .map(|name| env_variable(&[parent, std::slice::from_ref(name)].concat()))
                .collect::<Vec<_>>();
            return lang.pick(
                format!("unknown key {at}. Valid variables here: {}.", variables.join(", ")),
                format!("未知的键 {at}。此处有效的环境变量：{}。", variables.join("、")),
            );
        }
        let (en_place, zh_place) = if parent.is_empty() {
            ("at the top level".to_owned(), "顶层的有效键".to_owned())
        } else {
            let table = parent.join(".");
            (format!("in [{table}]"), format!("[{table}] 中的有效键"))
        };
        lang.pick(
            format!("unknown key {at}. Valid keys {en_place}: {}.", valid.join(", ")),
            format!("未知的键 {at}。{zh_place}：{}。", valid.join("、")),
        )
    }

    /// Writes an example that sets the key to a valid value, in the syntax of the key's
    /// source. Returns `None` for tables, whose message lists their keys instead.
    fn example_text(&self) -> Option<String> {
        let value = example_value(&self.key)?;
        let raw = match &value {
            Value::String(_, text) => text.clone(),
            other => toml_text(other),
        };
        Some(match self.origin {
            Some(Origin::Environment) => format!("{}={raw}", env_variable(&self.key)),
            Some(Origin::Flags) => format!("{} {raw}", flag_name(&self.key)),
            _ => format!("{} = {}", self.key.join("."), toml_text(&value)),
        })
    }
}

/// Writes `value` as TOML, such as `"127.0.0.1:8008"`, `60000` or `["a", "b"]`.
fn toml_text(value: &Value) -> String {
    match toml::Value::try_from(value) {
        Ok(value) => value.to_string(),
        Err(_) => format!("{value:?}"),
    }
}

/// Writes a value that serde reported, for errors whose value is not in the figment.
fn actual_text(actual: &Actual) -> String {
    match actual {
        Actual::Str(text) => toml::Value::String(text.clone()).to_string(),
        Actual::Char(c) => toml::Value::String(c.to_string()).to_string(),
        Actual::Bool(b) => b.to_string(),
        Actual::Unsigned(n) => n.to_string(),
        Actual::Signed(n) => n.to_string(),
        Actual::Float(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// Cuts an error's key path at an index into a list, such as the `0` that serde adds in
/// `reserved.0`, so that the message names and shows the whole list the user wrote.
fn without_list_index(mut key: Vec<String>) -> Vec<String> {
    let index = (1..key.len())
        .find(|&end| key[end].parse::<usize>().is_ok() && matches!(default_value(&key[..end]), Some(Value::Array(..))));
    if let Some(index) = index {
        key.truncate(index);
    }
    key
}

/// Returns the default value of `key`, from the defaults that `docs/usher.example.toml`
/// also lists.
fn default_value(key: &[String]) -> Option<Value> {
    Value::serialize(Config::default()).ok()?.find(&key.join("."))
}

/// Returns a valid value for `key` to show in an example: its default, shortened to
/// two items for lists, or a sample server name in place of `localhost`.
fn example_value(key: &[String]) -> Option<Value> {
    if key == ["server_name"] {
        return Some(Value::from("chat.example.com"));
    }
    match default_value(key)? {
        Value::Dict(..) | Value::Empty(..) => None,
        Value::Array(tag, items) => Some(Value::Array(tag, items.into_iter().take(2).collect())),
        value => Some(value),
    }
}

/// Describes what `key` accepts: by name for strings that must parse, such as `listen`,
/// otherwise by the type of its default.
fn expected_for(key: &[String]) -> Expected {
    let dotted = key.join(".");
    match dotted.as_str() {
        "listen" => return Expected::new("an IP address and port", "有效的 IP 地址和端口"),
        "data_dir" => return Expected::new("a directory path", "目录路径"),
        "server_name" => return Expected::new("a Matrix server name", "有效的 Matrix 服务器名"),
        "log" => return Expected::new("a log filter", "日志过滤规则"),
        "log_format" => return Expected::new("\"text\" or \"json\"", "以下之一：\"text\"、\"json\""),
        _ => {}
    }
    match default_value(key) {
        Some(Value::Bool(..)) => Expected::new("true or false", "布尔值 true 或 false"),
        Some(Value::Num(_, number)) => match number.to_actual() {
            Actual::Unsigned(_) => Expected::new("a whole number of 0 or more", "非负整数"),
            Actual::Signed(_) => Expected::new("a whole number", "整数"),
            _ => Expected::new("a number", "数字"),
        },
        Some(Value::String(..)) | Some(Value::Char(..)) => Expected::new("a string", "字符串"),
        Some(Value::Array(_, items)) => match items.first() {
            Some(Value::String(..)) => Expected::new("a list of strings", "字符串列表"),
            _ => Expected::new("a list", "列表"),
        },
        Some(Value::Dict(_, dict)) => {
            let keys = dict.keys().cloned().collect::<Vec<_>>();
            Expected::new(
                format!("a table with the keys {}", keys.join(", ")),
                format!("包含键 {} 的表", keys.join("、")),
            )
        }
        Some(Value::Empty(..)) | None => Expected::new("a valid value", "有效的值"),
    }
}

/// Failure to load the configuration.
#[derive(Debug)]
pub enum LoadError {
    FileNotFound(PathBuf),
    FileIsDirectory(PathBuf),
    FileUnreadable(PathBuf, std::io::Error),
    /// Every error found by the step that failed: parsing or validation.
    Invalid(Vec<ConfigError>),
}

impl LoadError {
    /// Renders the message in `lang`, one line or block for each error.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            LoadError::FileNotFound(path) => lang.pick(
                format!("config file {} not found; pass an existing TOML file to --config", path.display()),
                format!("找不到配置文件 {}；请给 --config 传入一个存在的 TOML 文件", path.display()),
            ),
            LoadError::FileIsDirectory(path) => lang.pick(
                format!("config file {} is a directory; pass a TOML file to --config", path.display()),
                format!("配置文件 {} 是一个目录；请给 --config 传入一个 TOML 文件", path.display()),
            ),
            LoadError::FileUnreadable(path, error) => lang.pick(
                format!("cannot read the config file {}: {error}", path.display()),
                format!("无法读取配置文件 {}：{error}", path.display()),
            ),
            LoadError::Invalid(errors) => errors.iter().map(|error| error.message(lang)).collect::<Vec<_>>().join("\n"),
        }
    }
}

#[cfg(test)]
mod tests {
    use figment::providers::{Format, Serialized, Toml};

    use super::*;
    use crate::config::Layer;

    /// Extracts a `Config` from a file text through the same layers as `Config::load`,
    /// minus the environment, and returns its errors.
    fn errors_of(text: &str) -> Vec<ConfigError> {
        let figment = Figment::from(Layer::new(DEFAULTS_LAYER, Serialized::defaults(Config::default())))
            .merge(Toml::string(text));
        let error = figment.extract::<Config>().expect_err("the text is invalid");
        ConfigError::from_figment(error, &figment)
    }

    /// Returns the single error of a file text, without its origin ("TOML source string"),
    /// which the tests of origins set themselves.
    fn single_error(text: &str) -> ConfigError {
        let mut errors = errors_of(text);
        assert_eq!(errors.len(), 1, "{errors:?}");
        ConfigError { origin: None, ..errors.remove(0) }
    }

    #[test]
    fn unknown_top_level_key() {
        let error = single_error("bogus = 1");
        let en = error.message(Lang::En);
        let zh = error.message(Lang::ZhCn);
        assert!(en.starts_with("unknown key bogus"), "{en}");
        assert!(en.contains("Valid keys at the top level: data_dir, listen, server_name,"), "{en}");
        assert!(zh.starts_with("未知的键 bogus"), "{zh}");
        assert!(zh.contains("顶层的有效键：data_dir、listen、server_name、"), "{zh}");
        for text in [&en, &zh] {
            assert!(!text.contains("default."), "the profile name shows: {text}");
            assert!(!text.contains('`'), "{text}");
        }
    }

    #[test]
    fn unknown_nested_key() {
        let error = single_error("[registration.rules]\nfoo = 1\n");
        assert_eq!(error.key, ["registration", "rules", "foo"]);
        let en = error.message(Lang::En);
        let zh = error.message(Lang::ZhCn);
        assert!(en.contains("Valid keys in [registration.rules]: username, password."), "{en}");
        assert!(zh.contains("[registration.rules] 中的有效键：username、password。"), "{zh}");
    }

    #[test]
    fn wrong_type_named_with_example() {
        let error = single_error("[sync]\nmax_timeout_ms = \"abc\"\n");
        assert!(matches!(error.problem, Problem::WrongType { .. }), "{error:?}");
        let en = error.message(Lang::En);
        let zh = error.message(Lang::ZhCn);
        assert!(en.starts_with("invalid type for sync.max_timeout_ms: found \"abc\""), "{en}");
        assert!(en.contains("expected a whole number of 0 or more"), "{en}");
        assert!(en.ends_with("Example: sync.max_timeout_ms = 60000"), "{en}");
        assert!(zh.starts_with("sync.max_timeout_ms 的类型无效：现为 \"abc\"，应为非负整数。"), "{zh}");
        assert!(zh.ends_with("示例：sync.max_timeout_ms = 60000"), "{zh}");
    }

    #[test]
    fn table_given_scalar_lists_keys() {
        let error = single_error("sync = 5");
        let en = error.message(Lang::En);
        let zh = error.message(Lang::ZhCn);
        assert!(en.contains("found 5, expected a table with the keys max_timeout_ms."), "{en}");
        assert!(!en.contains("Example"), "{en}");
        assert!(zh.contains("应为包含键 max_timeout_ms 的表"), "{zh}");
    }

    #[test]
    fn negative_number_invalid_value() {
        let error = single_error("[sync]\nmax_timeout_ms = -5\n");
        assert!(matches!(error.problem, Problem::InvalidValue { .. }), "{error:?}");
        let en = error.message(Lang::En);
        let zh = error.message(Lang::ZhCn);
        assert!(en.starts_with("invalid value for sync.max_timeout_ms: found -5, expected a whole number"), "{en}");
        assert!(zh.starts_with("sync.max_timeout_ms 的值无效：现为 -5，应为非负整数。"), "{zh}");
    }

    #[test]
    fn unparsable_listen_shows_value_and_example() {
        let error = single_error("listen = \"not-an-addr\"");
        let en = error.message(Lang::En);
        let zh = error.message(Lang::ZhCn);
        assert!(
            en.starts_with("invalid value for listen: found \"not-an-addr\", expected an IP address and port"),
            "{en}"
        );
        assert!(en.contains("(invalid socket address syntax)"), "{en}");
        assert!(en.ends_with("Example: listen = \"127.0.0.1:8008\""), "{en}");
        assert!(zh.starts_with("listen 的值无效：现为 \"not-an-addr\"，应为有效的 IP 地址和端口。"), "{zh}");
        assert!(zh.ends_with("示例：listen = \"127.0.0.1:8008\""), "{zh}");
        assert!(!zh.contains("invalid socket"), "{zh}");
    }

    #[test]
    fn unknown_variant_lists_choices() {
        let error = single_error("log_format = \"xml\"");
        let en = error.message(Lang::En);
        let zh = error.message(Lang::ZhCn);
        assert!(
            en.starts_with("invalid value for log_format: found \"xml\", expected one of \"text\", \"json\"."),
            "{en}"
        );
        assert!(zh.starts_with("log_format 的值无效：现为 \"xml\"，应为以下之一：\"text\"、\"json\"。"), "{zh}");
        assert!(zh.ends_with("示例：log_format = \"text\""), "{zh}");
    }

    #[test]
    fn file_origin_named() {
        let error = ConfigError { origin: Some(Origin::File("usher.toml".into())), ..single_error("bogus = 1") };
        assert!(error.message(Lang::En).starts_with("unknown key bogus (file usher.toml)."));
        assert!(error.message(Lang::ZhCn).starts_with("未知的键 bogus（配置文件 usher.toml）。"));
    }

    #[test]
    fn environment_origin_gives_variable_example() {
        let error =
            ConfigError { origin: Some(Origin::Environment), ..single_error("[sync]\nmax_timeout_ms = \"abc\"\n") };
        let en = error.message(Lang::En);
        let zh = error.message(Lang::ZhCn);
        assert!(en.contains("sync.max_timeout_ms (environment variable USHER_SYNC__MAX_TIMEOUT_MS)"), "{en}");
        assert!(en.ends_with("Example: USHER_SYNC__MAX_TIMEOUT_MS=60000"), "{en}");
        assert!(zh.contains("sync.max_timeout_ms（环境变量 USHER_SYNC__MAX_TIMEOUT_MS）"), "{zh}");
        assert!(zh.ends_with("示例：USHER_SYNC__MAX_TIMEOUT_MS=60000"), "{zh}");
    }

    #[test]
    fn environment_unknown_key_lists_variables() {
        let error = ConfigError { origin: Some(Origin::Environment), ..single_error("[sync]\nbogus = 1\n") };
        let en = error.message(Lang::En);
        let zh = error.message(Lang::ZhCn);
        assert!(en.ends_with("Valid variables here: USHER_SYNC__MAX_TIMEOUT_MS."), "{en}");
        assert!(zh.ends_with("此处有效的环境变量：USHER_SYNC__MAX_TIMEOUT_MS。"), "{zh}");
    }

    #[test]
    fn flag_origin_gives_flag_example() {
        let error = ConfigError {
            origin: Some(Origin::Flags),
            ..ConfigError::invalid_value("server_name", "\"a b\"".into(), Expected::new("a name", "名称"))
        };
        assert!(error.message(Lang::En).contains("server_name (command-line flag --server-name)"));
        assert!(error.message(Lang::En).ends_with("Example: --server-name chat.example.com"));
        assert!(error.message(Lang::ZhCn).contains("server_name（命令行参数 --server-name）"));
    }

    #[test]
    fn list_item_error_names_list() {
        let error = single_error("[registration.rules.username]\nreserved = [\"root\", 1]\n");
        assert_eq!(error.key, ["registration", "rules", "username", "reserved"]);
        let en = error.message(Lang::En);
        let zh = error.message(Lang::ZhCn);
        assert!(
            en.starts_with(
                "invalid type for registration.rules.username.reserved: found [\"root\", 1], expected a list of strings."
            ),
            "{en}"
        );
        assert!(zh.contains("现为 [\"root\", 1]，应为字符串列表。"), "{zh}");
    }

    #[test]
    fn list_example_shortened() {
        let error = single_error("[registration.rules.username]\nreserved = \"admin\"\n");
        let en = error.message(Lang::En);
        assert!(en.contains("found \"admin\", expected a list of strings."), "{en}");
        assert!(en.ends_with("Example: registration.rules.username.reserved = [\"admin\", \"administrator\"]"), "{en}");
    }

    #[test]
    fn syntax_error_points_at_column() {
        let text = "server_name = \"a\"\nlisten = \n";
        let parse_error = text.parse::<toml::Table>().expect_err("invalid TOML");
        let error = ConfigError::syntax(Path::new("/nonexistent/bad.toml"), text, &parse_error);
        let en = error.message(Lang::En);
        let zh = error.message(Lang::ZhCn);
        assert!(en.starts_with("the file /nonexistent/bad.toml is not valid TOML at line 2, column 10: "), "{en}");
        assert!(en.ends_with(" 2 | listen = \n   |          ^"), "{en}");
        assert!(zh.starts_with("配置文件 /nonexistent/bad.toml 第 2 行第 10 列不是有效的 TOML"), "{zh}");
    }

    #[test]
    fn load_error_messages_in_both_languages() {
        let missing = LoadError::FileNotFound(PathBuf::from("/nonexistent/usher.toml"));
        assert!(missing.message(Lang::En).contains("config file /nonexistent/usher.toml not found"));
        assert!(missing.message(Lang::ZhCn).contains("找不到配置文件 /nonexistent/usher.toml"));
        let directory = LoadError::FileIsDirectory(PathBuf::from("/tmp"));
        assert!(directory.message(Lang::En).contains("/tmp is a directory"));
        assert!(directory.message(Lang::ZhCn).contains("/tmp 是一个目录"));
    }
}
