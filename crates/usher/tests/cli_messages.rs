//! Runs the `usher` binary under an English and a Chinese locale and checks what it
//! prints for bad command lines, bad configuration and failed admin creation.

use std::path::Path;
use std::process::{Command, Output};

const ENGLISH: &str = "C.UTF-8";
const CHINESE: &str = "zh_CN.UTF-8";

/// Runs `usher` with only `LANG` and `variables` set, in `dir`.
fn usher(dir: &Path, lang: &str, variables: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_usher"))
        .env_clear()
        .env("LANG", lang)
        .envs(variables.iter().copied())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("usher runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn help_in_chinese() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = usher(dir.path(), CHINESE, &[], &["--help"]);
    assert_eq!(output.status.code(), Some(0));
    let help = stdout(&output);
    assert!(help.contains("用法: usher <命令>"), "{help}");
    assert!(help.contains("命令:"), "{help}");
    assert!(help.contains("-h, --help     显示帮助。"), "{help}");
    assert!(!help.contains("Usage"), "{help}");

    let output = usher(dir.path(), CHINESE, &[], &["help", "admin", "create"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("用法: usher admin create [选项] <账号名>"), "{}", stdout(&output));
}

#[test]
fn help_in_english() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = usher(dir.path(), ENGLISH, &[], &["help", "serve"]);
    assert_eq!(output.status.code(), Some(0));
    let help = stdout(&output);
    assert!(help.contains("Usage: usher serve [OPTIONS]"), "{help}");
    assert!(help.contains("Print help"), "{help}");
}

#[test]
fn usage_errors_exit_2_in_both_languages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: [(&[&str], &str, &str); 3] = [
        (&["srve"], "error: unrecognized subcommand 'srve'", "错误：无法识别的子命令 'srve'"),
        (
            &["admin", "create"],
            "error: the following required arguments were not provided:",
            "错误：缺少以下必需的参数：",
        ),
        (
            &["serve", "--listen", "bogus"],
            "error: invalid value 'bogus' for '--listen <ADDR:PORT>'",
            "错误：'--listen <ADDR:PORT>' 的值 'bogus' 无效：应为 IP 地址和端口",
        ),
    ];
    for (args, english, chinese) in cases {
        let output = usher(dir.path(), ENGLISH, &[], args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).starts_with(english), "{args:?}: {}", stderr(&output));
        let output = usher(dir.path(), CHINESE, &[], args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).starts_with(chinese), "{args:?}: {}", stderr(&output));
    }
}

#[test]
fn chinese_error_suggests_subcommand() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = usher(dir.path(), CHINESE, &[], &["srve"]);
    let text = stderr(&output);
    assert!(text.contains("提示：有相似的子命令：'serve'"), "{text}");
    assert!(text.contains("如需更多信息，请运行 '--help'。"), "{text}");
}

#[test]
fn config_check_names_bad_setting() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("bad1.toml"), "bogus = 1\n").expect("write");
    std::fs::write(dir.path().join("bad2.toml"), "listen = \"not-an-addr\"\n").expect("write");
    /// Environment variables, arguments, and the start of the English and Chinese stderr.
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str], &'a str, &'a str);
    let cases: [Case; 6] = [
        (
            &[],
            &["config", "check", "--server-name", "a b"],
            "usher: invalid value for server_name (command-line flag --server-name): found \"a b\"",
            "usher: server_name（命令行参数 --server-name）的值无效：现为 \"a b\"",
        ),
        (
            &[],
            &["config", "check", "--config", "bad1.toml"],
            "usher: unknown key bogus (file bad1.toml). Valid keys at the top level: data_dir, listen,",
            "usher: 未知的键 bogus（配置文件 bad1.toml）。顶层的有效键：data_dir、listen、",
        ),
        (
            &[],
            &["config", "check", "--config", "bad2.toml"],
            "usher: invalid value for listen (file bad2.toml): found \"not-an-addr\"",
            "usher: listen（配置文件 bad2.toml）的值无效：现为 \"not-an-addr\"，应为有效的 IP 地址和端口。\
             示例：listen = \"127.0.0.1:8008\"",
        ),
        (
            &[("USHER_LOG", "nonsense===")],
            &["config", "check"],
            "usher: invalid value for log (environment variable USHER_LOG): found \"nonsense===\"",
            "usher: log（环境变量 USHER_LOG）的值无效：现为 \"nonsense===\"",
        ),
        (
            &[("USHER_REGISTRATION__RULES__USERNAME__MIN_LENGTH", "0")],
            &["config", "check"],
            "usher: invalid value for registration.rules.username.min_length \
             (environment variable USHER_REGISTRATION__RULES__USERNAME__MIN_LENGTH): found 0, expected at least 1.",
            "usher: registration.rules.username.min_length\
             （环境变量 USHER_REGISTRATION__RULES__USERNAME__MIN_LENGTH）的值无效：现为 0，应为不小于 1 的整数。",
        ),
        (
            &[("USHER_RATE_LIMITS__CREDENTIAL_BURST", "0")],
            &["config", "check"],
            "usher: invalid value for rate_limits.credential_burst \
             (environment variable USHER_RATE_LIMITS__CREDENTIAL_BURST): found 0, expected at least 1. \
             Example: USHER_RATE_LIMITS__CREDENTIAL_BURST=100",
            "usher: rate_limits.credential_burst（环境变量 USHER_RATE_LIMITS__CREDENTIAL_BURST）的值无效：\
             现为 0，应为不小于 1 的整数。示例：USHER_RATE_LIMITS__CREDENTIAL_BURST=100",
        ),
    ];
    for (variables, args, english, chinese) in cases {
        let output = usher(dir.path(), ENGLISH, variables, args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(stderr(&output).starts_with(english), "{args:?}: {}", stderr(&output));
        let output = usher(dir.path(), CHINESE, variables, args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let text = stderr(&output);
        assert!(text.starts_with(chinese), "{args:?}: {text}");
        assert!(!text.contains("default."), "{text}");
    }
}

#[test]
fn weak_admin_password_lists_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let args = ["admin", "create", "opsadmin2", "--password", "123", "--data-dir", "data"];
    let output = usher(dir.path(), ENGLISH, &[], &args);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(text.contains("usher: The password breaks these rules:\n  - "), "{text}");
    assert!(!text.contains("violations"), "{text}");

    let output = usher(dir.path(), CHINESE, &[], &args);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(text.contains("usher: 密码不符合以下规则：\n  - "), "{text}");
    assert!(!text.contains("violations"), "{text}");
}

#[test]
fn data_dir_that_is_file_explained() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("afile"), "").expect("write");
    let args = ["admin", "create", "opsadmin2", "--data-dir", "afile"];
    let output = usher(dir.path(), ENGLISH, &[], &args);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(text.starts_with("usher: the data directory afile is a file, not a directory;"), "{text}");
    assert!(!text.contains("os error"), "{text}");

    let output = usher(dir.path(), CHINESE, &[], &args);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(text.starts_with("usher: 数据目录 afile 是一个文件，不是目录；"), "{text}");
}
