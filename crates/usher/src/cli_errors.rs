//! Command-line parse errors in the user's language.
//!
//! English errors are clap's own. Chinese ones are rendered by [`ChineseErrors`] from
//! the error's kind and context (`Error::kind`, `Error::get`), in the layout clap uses:
//! the error, clap's suggestions, the usage line and a pointer to `--help`. Exit codes
//! stay clap's: 2 for usage errors, 0 for `--help` and `--version`.

use std::fmt::Write as _;

use clap::builder::{StyledStr, Styles};
use clap::error::{ContextKind, ContextValue, Error as ParseError, ErrorFormatter, ErrorKind};
use usher_core::Lang;

/// Prints a parse error in `lang` and exits with clap's exit code.
pub fn exit(error: clap::Error, lang: Lang) -> ! {
    match lang {
        Lang::ZhCn => error.apply::<ChineseErrors>().exit(),
        Lang::En => error.exit(),
    }
}

/// Renders clap errors in Chinese. Help and version output pass through unchanged,
/// because clap stores them as finished text, which no formatter renders again.
pub struct ChineseErrors;

impl ErrorFormatter for ChineseErrors {
    fn format_error(error: &ParseError<Self>) -> StyledStr {
        let styles = Styles::default();
        let error_style = styles.get_error();
        let mut styled = StyledStr::new();
        let _ = write!(styled, "{error_style}错误：{error_style:#}{}", describe(error, &styles));
        write_suggestions(error, &styles, &mut styled);
        if let Some(ContextValue::StyledStr(usage)) = error.get(ContextKind::Usage) {
            let usage = usage.to_string();
            let usage_style = styles.get_usage();
            let line = usage.strip_prefix("Usage:").unwrap_or(&usage).trim_start();
            let _ = write!(styled, "\n\n{usage_style}用法:{usage_style:#} {line}");
        }
        let literal = styles.get_literal();
        let _ = writeln!(styled, "\n\n如需更多信息，请运行 '{literal}--help{literal:#}'。");
        styled
    }
}

/// Returns a string context value, such as the rejected argument.
fn text<F: ErrorFormatter>(error: &ParseError<F>, kind: ContextKind) -> Option<&str> {
    match error.get(kind) {
        Some(ContextValue::String(value)) => Some(value),
        _ => None,
    }
}

fn texts<F: ErrorFormatter>(error: &ParseError<F>, kind: ContextKind) -> &[String] {
    match error.get(kind) {
        Some(ContextValue::Strings(values)) => values,
        _ => &[],
    }
}

fn number<F: ErrorFormatter>(error: &ParseError<F>, kind: ContextKind) -> Option<isize> {
    match error.get(kind) {
        Some(ContextValue::Number(value)) => Some(*value),
        _ => None,
    }
}

/// Describes the error itself, the part after "错误：".
fn describe<F: ErrorFormatter>(error: &ParseError<F>, styles: &Styles) -> String {
    let invalid = styles.get_invalid();
    let valid = styles.get_valid();
    let literal = styles.get_literal();
    let arg = text(error, ContextKind::InvalidArg).map(|arg| format!("'{literal}{arg}{literal:#}'"));
    let value = text(error, ContextKind::InvalidValue).map(|value| format!("'{invalid}{value}{invalid:#}'"));
    let list = |values: &[String]| {
        values.iter().map(|value| format!("{valid}{value}{valid:#}")).collect::<Vec<_>>().join("、")
    };
    match (error.kind(), arg, value) {
        (ErrorKind::InvalidValue, Some(arg), Some(value)) => {
            let mut text = if text(error, ContextKind::InvalidValue) == Some("") {
                format!("{arg} 需要一个值，但没有提供")
            } else {
                format!("{arg} 的值 {value} 无效")
            };
            let choices = texts(error, ContextKind::ValidValue);
            if !choices.is_empty() {
                let _ = write!(text, "\n  [可选值：{}]", list(choices));
            }
            text
        }
        (ErrorKind::ValueValidation, Some(arg), Some(value)) => {
            format!("{arg} 的值 {value} 无效：{}", validation_reason(error))
        }
        (ErrorKind::UnknownArgument, Some(_), _) => {
            let arg = text(error, ContextKind::InvalidArg).unwrap_or_default();
            format!("无法识别的参数 '{invalid}{arg}{invalid:#}'")
        }
        (ErrorKind::InvalidSubcommand, _, _) => {
            let name = text(error, ContextKind::InvalidSubcommand).unwrap_or_default();
            format!("无法识别的子命令 '{invalid}{name}{invalid:#}'")
        }
        (ErrorKind::MissingRequiredArgument, _, _) => {
            let mut text = "缺少以下必需的参数：".to_owned();
            for missing in texts(error, ContextKind::InvalidArg) {
                let _ = write!(text, "\n  {valid}{missing}{valid:#}");
            }
            text
        }
        (ErrorKind::MissingSubcommand, _, _) => {
            let name = text(error, ContextKind::InvalidSubcommand).unwrap_or_default();
            let mut text = format!("'{invalid}{name}{invalid:#}' 需要一个子命令，但没有提供");
            let choices = texts(error, ContextKind::ValidSubcommand);
            if !choices.is_empty() {
                let _ = write!(text, "\n  [子命令：{}]", list(choices));
            }
            text
        }
        (ErrorKind::ArgumentConflict, Some(arg), _) => match error.get(ContextKind::PriorArg) {
            Some(ContextValue::String(prior)) if Some(prior.as_str()) == text(error, ContextKind::InvalidArg) => {
                format!("参数 {arg} 只能使用一次")
            }
            Some(ContextValue::String(prior)) => format!("参数 {arg} 不能与 '{invalid}{prior}{invalid:#}' 同时使用"),
            Some(ContextValue::Strings(prior)) => {
                format!("参数 {arg} 不能与以下参数同时使用：{}", list(prior))
            }
            _ => format!("参数 {arg} 不能与其他已给出的参数同时使用"),
        },
        (ErrorKind::NoEquals, Some(arg), _) => format!("给 {arg} 赋值时需要使用等号"),
        (ErrorKind::TooManyValues, Some(arg), Some(value)) => format!("{arg} 收到了多余的值 {value}"),
        (ErrorKind::TooFewValues, Some(arg), _) => {
            let actual = number(error, ContextKind::ActualNumValues).unwrap_or_default();
            let minimum = number(error, ContextKind::MinValues).unwrap_or_default();
            format!("{arg} 至少需要 {minimum} 个值，但只提供了 {actual} 个")
        }
        (ErrorKind::WrongNumberOfValues, Some(arg), _) => {
            let actual = number(error, ContextKind::ActualNumValues).unwrap_or_default();
            let expected = number(error, ContextKind::ExpectedNumValues).unwrap_or_default();
            format!("{arg} 需要 {expected} 个值，但提供了 {actual} 个")
        }
        (ErrorKind::InvalidUtf8, _, _) => "参数中有无效的 UTF-8 字符".to_owned(),
        (ErrorKind::Io | ErrorKind::Format, _, _) => match std::error::Error::source(error) {
            Some(source) => format!("无法输出：{source}"),
            None => "无法输出".to_owned(),
        },
        _ => match std::error::Error::source(error) {
            Some(source) => format!("命令行参数无效：{source}"),
            None => "命令行参数无效".to_owned(),
        },
    }
}

/// Explains why a value parser rejected a value. Parsers of this crate's types return
/// English text, so the known ones are described anew.
fn validation_reason<F: ErrorFormatter>(error: &ParseError<F>) -> String {
    let Some(source) = std::error::Error::source(error) else {
        return "格式不对".to_owned();
    };
    if source.downcast_ref::<std::net::AddrParseError>().is_some() {
        return "应为 IP 地址和端口，例如 127.0.0.1:8008".to_owned();
    }
    source.to_string()
}

/// Writes clap's "did you mean" suggestions.
fn write_suggestions<F: ErrorFormatter>(error: &ParseError<F>, styles: &Styles, styled: &mut StyledStr) {
    let valid = styles.get_valid();
    let quoted = |values: &[String]| {
        values.iter().map(|value| format!("'{valid}{value}{valid:#}'")).collect::<Vec<_>>().join("、")
    };
    let mut tips = Vec::new();
    let subcommands = texts(error, ContextKind::SuggestedSubcommand);
    if !subcommands.is_empty() {
        tips.push(format!("有相似的子命令：{}", quoted(subcommands)));
    }
    if let Some(arg) = text(error, ContextKind::SuggestedArg) {
        tips.push(format!("有相似的参数：{}", quoted(&[arg.to_owned()])));
    }
    if let Some(value) = text(error, ContextKind::SuggestedValue) {
        tips.push(format!("有相似的值：{}", quoted(&[value.to_owned()])));
    }
    if let Some(ContextValue::StyledStrs(suggestions)) = error.get(ContextKind::Suggested) {
        tips.extend(suggestions.iter().map(|suggestion| translate_tip(&suggestion.to_string())));
    }
    if !tips.is_empty() {
        styled.push_str("\n");
    }
    for tip in tips {
        let _ = write!(styled, "\n  {valid}提示：{valid:#}{tip}");
    }
}

/// Translates one of clap's free-text tips. clap 4.6 builds these three from fixed
/// English sentences and gives no structured form, so they are matched as text.
/// NOTE: a tip of another form, from a later clap, is shown in English.
fn translate_tip(tip: &str) -> String {
    if let Some(rest) = tip.strip_prefix("to pass '") {
        if let Some((value, command)) = rest.split_once("' as a value, use '") {
            return format!("如果要把 '{value}' 作为值传入，请使用 '{}'", command.trim_end_matches('\''));
        }
    }
    if let Some(rest) = tip.strip_prefix("subcommand '") {
        if let Some((name, _)) = rest.split_once("' exists; to use it, remove the '--' before it") {
            return format!("存在子命令 '{name}'；要使用它，请删除它前面的 '--'");
        }
    }
    if let Some(command) = tip.strip_suffix("' exists").and_then(|rest| rest.strip_prefix('\'')) {
        return format!("'{command}' 可用");
    }
    tip.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli_help::command_in;

    /// Parses `args` with the command in `lang` and returns the error as printed.
    fn error_of(lang: Lang, args: &[&str]) -> (ErrorKind, i32, String) {
        let error = command_in(lang).try_get_matches_from(args).expect_err("the arguments are invalid");
        let kind = error.kind();
        let code = error.exit_code();
        let text = match lang {
            Lang::ZhCn => error.apply::<ChineseErrors>().render().to_string(),
            Lang::En => error.render().to_string(),
        };
        (kind, code, text)
    }

    #[test]
    fn unknown_subcommand_suggests_in_chinese() {
        let (kind, code, text) = error_of(Lang::ZhCn, &["usher", "srve"]);
        assert_eq!(kind, ErrorKind::InvalidSubcommand);
        assert_eq!(code, 2);
        assert_eq!(
            text,
            "错误：无法识别的子命令 'srve'\n\n  提示：有相似的子命令：'serve'\n\n用法: usher <命令>\n\n\
             如需更多信息，请运行 '--help'。\n"
        );
    }

    #[test]
    fn unknown_subcommand_unchanged_in_english() {
        let (kind, code, text) = error_of(Lang::En, &["usher", "srve"]);
        assert_eq!(kind, ErrorKind::InvalidSubcommand);
        assert_eq!(code, 2);
        assert_eq!(
            text,
            "error: unrecognized subcommand 'srve'\n\n  tip: a similar subcommand exists: 'serve'\n\n\
             Usage: usher <COMMAND>\n\nFor more information, try '--help'.\n"
        );
    }

    #[test]
    fn unknown_argument_suggests_in_chinese() {
        let (kind, code, text) = error_of(Lang::ZhCn, &["usher", "serve", "--lsten", "x"]);
        assert_eq!(kind, ErrorKind::UnknownArgument);
        assert_eq!(code, 2);
        assert!(text.starts_with("错误：无法识别的参数 '--lsten'\n\n  提示：有相似的参数：'--listen'\n"), "{text}");
        assert!(text.contains("\n用法: usher serve [选项]\n"), "{text}");
    }

    #[test]
    fn flag_of_subcommand_tip_in_chinese() {
        let (_, _, text) = error_of(Lang::ZhCn, &["usher", "--listen", "x", "serve"]);
        assert!(text.contains("提示：'serve --listen' 可用"), "{text}");
        let (_, _, text) = error_of(Lang::En, &["usher", "--listen", "x", "serve"]);
        assert!(text.contains("tip: 'serve --listen' exists"), "{text}");
    }

    #[test]
    fn missing_username_in_chinese() {
        let (kind, code, text) = error_of(Lang::ZhCn, &["usher", "admin", "create"]);
        assert_eq!(kind, ErrorKind::MissingRequiredArgument);
        assert_eq!(code, 2);
        assert!(
            text.starts_with("错误：缺少以下必需的参数：\n  <账号名>\n\n用法: usher admin create [选项] <账号名>"),
            "{text}"
        );
        let (_, _, text) = error_of(Lang::En, &["usher", "admin", "create"]);
        assert!(text.starts_with("error: the following required arguments were not provided:\n  <USERNAME>"), "{text}");
    }

    #[test]
    fn invalid_listen_address_in_chinese() {
        let (kind, code, text) = error_of(Lang::ZhCn, &["usher", "serve", "--listen", "bogus"]);
        assert_eq!(kind, ErrorKind::ValueValidation);
        assert_eq!(code, 2);
        assert!(
            text.starts_with("错误：'--listen <ADDR:PORT>' 的值 'bogus' 无效：应为 IP 地址和端口，例如 127.0.0.1:8008"),
            "{text}"
        );
        let (_, _, text) = error_of(Lang::En, &["usher", "serve", "--listen", "bogus"]);
        assert!(
            text.starts_with("error: invalid value 'bogus' for '--listen <ADDR:PORT>': invalid socket address syntax"),
            "{text}"
        );
    }

    #[test]
    fn missing_value_in_chinese() {
        let (kind, _, text) = error_of(Lang::ZhCn, &["usher", "serve", "--listen"]);
        assert_eq!(kind, ErrorKind::InvalidValue);
        assert!(text.starts_with("错误：'--listen <ADDR:PORT>' 需要一个值，但没有提供"), "{text}");
    }

    #[test]
    fn repeated_flag_in_chinese() {
        let (kind, _, text) = error_of(Lang::ZhCn, &["usher", "serve", "--config", "a", "--config", "b"]);
        assert_eq!(kind, ErrorKind::ArgumentConflict);
        assert!(text.starts_with("错误：参数 '--config <FILE>' 只能使用一次"), "{text}");
    }

    #[test]
    fn unexpected_positional_in_chinese() {
        let (kind, _, text) = error_of(Lang::ZhCn, &["usher", "serve", "extra"]);
        assert_eq!(kind, ErrorKind::UnknownArgument);
        assert!(text.starts_with("错误：无法识别的参数 'extra'"), "{text}");
    }

    #[test]
    fn known_tips_translated() {
        assert_eq!(
            translate_tip("to pass '--x' as a value, use '-- --x'"),
            "如果要把 '--x' 作为值传入，请使用 '-- --x'"
        );
        assert_eq!(
            translate_tip("subcommand 'serve' exists; to use it, remove the '--' before it"),
            "存在子命令 'serve'；要使用它，请删除它前面的 '--'"
        );
        assert_eq!(translate_tip("'serve --listen' exists"), "'serve --listen' 可用");
        assert_eq!(translate_tip("something new"), "something new");
    }
}
