//! The command-line help in the user's language. The derive attributes in
//! `main.rs` contain the English text. Under a Chinese locale this module swaps in
//! Chinese for that text and for the parts clap writes itself: the headings, the
//! usage line, `--help`, `--version` and the `help` subcommand.
//!
//! clap 4 has no setting for the language of those parts. So the Chinese command
//! turns off clap's own help flag, version flag and `help` subcommand, adds its own,
//! and renders the help through its own template. `help_topic` then serves the `help`
//! subcommand, which clap no longer handles.

use clap::{Arg, ArgAction, ArgMatches, Command, CommandFactory};
use usher_core::Lang;

use crate::Cli;

/// Name of the `help` subcommand.
const HELP_COMMAND: &str = "help";
/// Id of the `help` subcommand's argument: the names of the subcommands to describe.
const HELP_TOPIC: &str = "subcommand";

const OPTIONS_HEADING: &str = "选项";
const ARGUMENTS_HEADING: &str = "参数";

// NOTE: options keep their English value names (`<FILE>`, `<ADDR:PORT>`). clap built
// without its `unicode` feature counts a Chinese character as one column, not two, so
// Chinese value names would push the options' help text out of line.
fn server_args(command: Command) -> Command {
    command
        .mut_arg("config", |arg| arg.help("TOML 配置文件。"))
        .mut_arg("data_dir", |arg| arg.help("数据库和服务器密钥所在的目录 [默认：./usher-data]。"))
        .mut_arg("listen", |arg| arg.help("监听的地址和端口 [默认：127.0.0.1:8008]。"))
        .mut_arg("server_name", |arg| arg.help("Matrix 服务器名，即用户 ID 中“:”之后的部分 [默认：localhost]。"))
}

/// Builds the command line parser with help in `lang`.
pub fn command_in(lang: Lang) -> Command {
    let command = Cli::command();
    if lang != Lang::ZhCn {
        return command;
    }
    let command = command
        .about("引荐（Usher）：已登录用户可以为他人注册账号的 Matrix 聊天服务器")
        .mut_subcommand("serve", |serve| server_args(serve.about("运行服务器。")))
        .mut_subcommand("admin", |admin| {
            admin.about("管理服务器管理员。").mut_subcommand("create", |create| {
                server_args(create.about("创建服务器管理员账号（服务器运行时也可使用）。"))
                    .mut_arg("username", |arg| {
                        arg.help("账号名；先做 NFKC 规范化并转为小写，再按注册规则检查。").value_name("账号名")
                    })
                    .mut_arg("password", |arg| {
                        arg.help("密码；写 - 表示从标准输入的第一行读取。省略时自动生成并输出到标准输出。")
                    })
            })
        })
        .mut_subcommand("config", |config| {
            config
                .about("查看配置。")
                .mut_subcommand("check", |check| server_args(check.about("校验配置，并以 TOML 格式输出生效的值。")))
        });
    let command = chinese_frame(command, true);
    chinese_usage(command)
}

/// Replaces the parts of the help that clap writes in English: the headings, the help
/// and version flags and the `help` subcommand, in `command` and its subcommands.
fn chinese_frame(mut command: Command, is_root: bool) -> Command {
    // Sections print in the order of their arguments, and `mut_arg` moves an argument
    // to the end, so positionals go first to list "参数" before "选项" as clap does.
    let mut arguments: Vec<(bool, String)> =
        command.get_arguments().map(|arg| (!arg.is_positional(), arg.get_id().to_string())).collect();
    arguments.sort_by_key(|(is_option, _)| *is_option);
    for (is_option, id) in arguments {
        let heading = if is_option { OPTIONS_HEADING } else { ARGUMENTS_HEADING };
        command = command.mut_arg(id, |arg| arg.help_heading(heading));
    }
    command = command.disable_help_flag(true).arg(
        Arg::new("help")
            .short('h')
            .long("help")
            .action(ArgAction::Help)
            .help("显示帮助。")
            .help_heading(OPTIONS_HEADING),
    );
    if is_root {
        command = command.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("显示版本号。")
                .help_heading(OPTIONS_HEADING),
        );
    }
    if command.has_subcommands() {
        command = command
            .disable_help_subcommand(true)
            .subcommand_help_heading("命令")
            .subcommand_value_name("命令")
            .subcommand(help_subcommand());
        let names: Vec<String> = command.get_subcommands().map(|sub| sub.get_name().to_owned()).collect();
        for name in names {
            command = command.mut_subcommand(name, |sub| chinese_frame(sub, false));
        }
    }
    let template = chinese_template(&command);
    command.help_template(template)
}

/// Builds the Chinese `help` subcommand, which takes the place of clap's own.
fn help_subcommand() -> Command {
    Command::new(HELP_COMMAND).about("显示本帮助，或指定子命令的帮助。").arg(
        Arg::new(HELP_TOPIC).action(ArgAction::Append).num_args(..).value_name("命令").help("要查看帮助的子命令。"),
    )
}

/// Returns clap's default help template with the usage heading in Chinese. The
/// `{all-args}` part prints "命令" and the argument headings set on each argument.
fn chinese_template(command: &Command) -> String {
    let usage = command.get_styles().get_usage();
    format!("{{before-help}}{{about-with-newline}}\n{usage}用法:{usage:#} {{usage}}\n\n{{all-args}}{{after-help}}")
}

/// Sets each command's usage line to clap's own, with `[OPTIONS]` in Chinese. clap
/// fixes that word, so the usage is rendered once and stored as an override.
fn chinese_usage(command: Command) -> Command {
    let mut built = command.clone();
    built.build();
    override_usage(command, &built)
}

fn override_usage(mut command: Command, built: &Command) -> Command {
    let rendered = built.clone().render_usage().to_string();
    let usage = rendered.strip_prefix("Usage: ").unwrap_or(&rendered).replace("[OPTIONS]", "[选项]");
    command = command.override_usage(usage);
    for sub in built.get_subcommands() {
        command = command.mut_subcommand(sub.get_name(), |unbuilt| override_usage(unbuilt, sub));
    }
    command
}

/// Returns the subcommand names given to a `help` subcommand, prefixed with the
/// subcommands before it: `usher admin help create` gives `["admin", "create"]`.
/// Returns `None` when the command line has no `help` subcommand.
pub fn help_request(matches: &ArgMatches) -> Option<Vec<String>> {
    let mut path = Vec::new();
    let mut current = matches;
    while let Some((name, sub)) = current.subcommand() {
        if name == HELP_COMMAND {
            path.extend(sub.get_many::<String>(HELP_TOPIC).into_iter().flatten().cloned());
            return Some(path);
        }
        path.push(name.to_owned());
        current = sub;
    }
    None
}

/// Finds the command whose help a `help` subcommand asked for, ready to print. Fails
/// as clap's own `help` does when a name is not a subcommand.
pub fn help_topic(command: Command, path: &[String]) -> Result<Command, clap::Error> {
    let mut command = command;
    command.build();
    let mut current = command.clone();
    for name in path {
        let Some(sub) = current.find_subcommand(name).cloned() else {
            let mut error = clap::Error::new(clap::error::ErrorKind::InvalidSubcommand).with_cmd(&current);
            error.insert(clap::error::ContextKind::InvalidSubcommand, clap::error::ContextValue::String(name.clone()));
            let usage = current.render_usage();
            error.insert(clap::error::ContextKind::Usage, clap::error::ContextValue::StyledStr(usage));
            return Err(error);
        };
        current = sub;
    }
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn help_of(lang: Lang, args: &[&str]) -> String {
        let error = command_in(lang).try_get_matches_from(args).expect_err("help stops the parse");
        assert_eq!(error.kind(), clap::error::ErrorKind::DisplayHelp);
        assert_eq!(error.exit_code(), 0);
        error.render().to_string()
    }

    #[test]
    fn chinese_help_names_every_argument() {
        // Building it runs clap's checks that every renamed argument exists.
        command_in(Lang::ZhCn).debug_assert();
        let help = help_of(Lang::ZhCn, &["usher", "serve", "--help"]);
        assert!(help.contains("监听的地址和端口"), "{help}");
        assert!(help.contains("--data-dir <DIR>"), "{help}");
    }

    #[test]
    fn chinese_help_has_no_english_frame() {
        for args in [
            &["usher", "--help"][..],
            &["usher", "serve", "--help"],
            &["usher", "admin", "--help"],
            &["usher", "admin", "create", "-h"],
            &["usher", "config", "check", "--help"],
            &["usher", "help", "--help"],
        ] {
            let help = help_of(Lang::ZhCn, args);
            for english in ["Usage", "Options", "Arguments", "Commands", "Print help", "Print version", "[OPTIONS]"] {
                assert!(!help.contains(english), "{args:?} shows {english:?}:\n{help}");
            }
            assert!(help.contains("用法: usher"), "{args:?}:\n{help}");
            assert!(help.contains("选项:") || help.contains("参数:"), "{args:?}:\n{help}");
        }
    }

    #[test]
    fn chinese_root_help_lists_commands() {
        let help = help_of(Lang::ZhCn, &["usher", "--help"]);
        assert!(help.contains("用法: usher <命令>"), "{help}");
        assert!(help.contains("命令:\n  serve   运行服务器。"), "{help}");
        assert!(help.contains("  help    显示本帮助，或指定子命令的帮助。"), "{help}");
        assert!(help.contains("  -h, --help     显示帮助。"), "{help}");
        assert!(help.contains("  -V, --version  显示版本号。"), "{help}");
    }

    #[test]
    fn chinese_usage_translates_options() {
        let help = help_of(Lang::ZhCn, &["usher", "admin", "create", "--help"]);
        assert!(help.contains("用法: usher admin create [选项] <账号名>"), "{help}");
        assert!(help.contains("参数:\n  <账号名>"), "{help}");
        let arguments = help.find("参数:").expect("arguments heading");
        let options = help.find("选项:").expect("options heading");
        assert!(arguments < options, "{help}");
    }

    #[test]
    fn english_help_unchanged() {
        let help = help_of(Lang::En, &["usher", "--help"]);
        assert!(help.contains("Usage: usher <COMMAND>"), "{help}");
        assert!(help.contains("Commands:\n  serve   Run the server\n"), "{help}");
        assert!(help.contains("  help    Print this message or the help of the given subcommand(s)"), "{help}");
        assert!(help.contains("  -h, --help     Print help"), "{help}");
        let help = help_of(Lang::En, &["usher", "admin", "create", "--help"]);
        assert!(help.contains("Usage: usher admin create [OPTIONS] <USERNAME>"), "{help}");
        assert!(help.contains("--listen <ADDR:PORT>"), "{help}");
    }

    #[test]
    fn version_flag_in_both_languages() {
        for lang in [Lang::En, Lang::ZhCn] {
            let error = command_in(lang).try_get_matches_from(["usher", "--version"]).expect_err("version stops");
            assert_eq!(error.kind(), clap::error::ErrorKind::DisplayVersion);
            assert_eq!(error.render().to_string(), format!("usher {}\n", env!("CARGO_PKG_VERSION")));
        }
    }

    #[test]
    fn help_subcommand_finds_topic() {
        let cases: [(&[&str], &[&str]); 4] = [
            (&["usher", "help"], &[]),
            (&["usher", "help", "serve"], &["serve"]),
            (&["usher", "help", "admin", "create"], &["admin", "create"]),
            (&["usher", "admin", "help", "create"], &["admin", "create"]),
        ];
        for (args, expected) in cases {
            let matches = command_in(Lang::ZhCn).try_get_matches_from(args).expect("parses");
            let path = help_request(&matches).expect("a help request");
            assert_eq!(path, expected, "{args:?}");
            let mut topic = help_topic(command_in(Lang::ZhCn), &path).expect("topic exists");
            let help = topic.render_help().to_string();
            let usage =
                format!("用法: {}", args.iter().filter(|&&arg| arg != "help").copied().collect::<Vec<_>>().join(" "));
            assert!(help.contains(&usage), "{args:?}: {usage:?} missing in\n{help}");
        }
    }

    #[test]
    fn help_subcommand_rejects_unknown_topic() {
        let matches = command_in(Lang::ZhCn).try_get_matches_from(["usher", "help", "srve"]).expect("parses");
        let path = help_request(&matches).expect("a help request");
        let error = help_topic(command_in(Lang::ZhCn), &path).expect_err("no such subcommand");
        assert_eq!(error.kind(), clap::error::ErrorKind::InvalidSubcommand);
        assert_eq!(error.exit_code(), 2);
    }

    #[test]
    fn other_commands_make_no_help_request() {
        let matches = command_in(Lang::ZhCn).try_get_matches_from(["usher", "serve"]).expect("parses");
        assert_eq!(help_request(&matches), None);
    }
}
