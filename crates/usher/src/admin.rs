//! `usher admin create`: the first admin, through the same rules as every
//! registration.

use std::io::BufRead;

use anyhow::Context;
use usher_core::rules::Field;
use usher_core::{ErrorCode, Lang};

use crate::cli_lang;
use crate::config::Config;
use crate::serve::open;

/// Reads a password from the first line of standard input, so it stays out
/// of the shell history and the process list.
fn read_password_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .with_context(|| cli_lang::pick("cannot read the password from standard input", "无法从标准输入读取密码"))?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        anyhow::bail!(
            "{}",
            cli_lang::pick(
                "standard input held no password; pipe one line into --password -",
                "标准输入中没有密码；请通过管道为 --password - 提供一行密码"
            )
        );
    }
    Ok(password)
}

pub async fn create(config: Config, username: &str, password: Option<String>) -> anyhow::Result<()> {
    let password = match password.as_deref() {
        Some("-") => Some(read_password_line()?),
        _ => password,
    };
    let new_database = !config.database_path().exists();
    let (store, services) = open(&config).await?;
    if new_database {
        eprintln!(
            "{}",
            cli_lang::lang().pick(
                format!(
                    "Note: no database existed in {}, so a new one was created. If the server uses another data directory, pass it with --data-dir.",
                    config.data_dir.display()
                ),
                format!(
                    "注意：{} 中原本没有数据库，已新建一个。如果服务器使用的是其他数据目录，请用 --data-dir 指定。",
                    config.data_dir.display()
                ),
            )
        );
    }
    let result = services.create_admin(username, password).await;
    store.close().await;
    match result {
        Ok((user, generated)) => {
            eprintln!("{}", cli_lang::pick("Server admin created:", "已创建服务器管理员："));
            println!("{}", user.user_id);
            if let Some(password) = generated {
                eprintln!("{}", cli_lang::pick("Generated password (shown once):", "生成的密码（仅显示一次）："));
                println!("{password}");
            }
            Ok(())
        }
        Err(error) => anyhow::bail!(failure_message(&error, cli_lang::lang())),
    }
}

/// Renders a failed `create_admin` for the terminal. Broken registration rules get a
/// heading of their own, because the API's message points to a "violations" field that
/// the CLI does not have.
fn failure_message(error: &usher_core::Error, lang: Lang) -> String {
    let mut lines = Vec::new();
    if error.violations.is_empty() {
        lines.push(error.message.text(lang));
    } else {
        let username = error.violations.iter().any(|v| v.rule.field() == Field::Username);
        let password = error.violations.iter().any(|v| v.rule.field() == Field::Password);
        lines.push(match (username, password) {
            (true, true) => {
                lang.pick("The account name and the password break these rules:", "账号名和密码不符合以下规则：")
            }
            (true, false) => lang.pick("The account name breaks these rules:", "账号名不符合以下规则："),
            _ => lang.pick("The password breaks these rules:", "密码不符合以下规则："),
        });
        for violation in &error.violations {
            let (message, rule) = (violation.message(lang), violation.rule.as_str());
            lines.push(lang.pick(format!("  - {message} ({rule})"), format!("  - {message}（{rule}）")));
        }
    }
    if error.code == ErrorCode::Unknown {
        lines.push(lang.pick("See the log above for the cause.", "原因见上方日志。"));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use usher_core::rules::{RuleId, Violation};

    use super::*;

    #[test]
    fn password_violations_headed_without_field_name() {
        let error = usher_core::Error::registration(vec![
            Violation::with_detail(RuleId::PasswordTooShort, "8"),
            Violation::new(RuleId::PasswordAllDigits),
        ]);
        let en = failure_message(&error, Lang::En);
        let zh = failure_message(&error, Lang::ZhCn);
        assert!(en.starts_with("The password breaks these rules:\n  - "), "{en}");
        assert!(en.contains("(password.too_short)"), "{en}");
        assert!(zh.starts_with("密码不符合以下规则：\n  - "), "{zh}");
        assert!(zh.contains("（password.too_short）"), "{zh}");
        for text in [&en, &zh] {
            assert!(!text.contains("violations"), "{text}");
            assert_eq!(text.lines().count(), 3, "{text}");
        }
    }

    #[test]
    fn username_and_password_violations_headed() {
        let error = usher_core::Error::registration(vec![
            Violation::new(RuleId::UsernameStartsWithDigit),
            Violation::new(RuleId::PasswordTooCommon),
        ]);
        assert!(failure_message(&error, Lang::En).starts_with("The account name and the password break these rules:\n"));
        assert!(failure_message(&error, Lang::ZhCn).starts_with("账号名和密码不符合以下规则：\n"));
        let error = usher_core::Error::registration(vec![Violation::with_detail(RuleId::UsernameReserved, "admin")]);
        assert!(failure_message(&error, Lang::En).starts_with("The account name breaks these rules:\n"));
        assert!(failure_message(&error, Lang::ZhCn).starts_with("账号名不符合以下规则：\n"));
    }

    #[test]
    fn other_errors_keep_their_message() {
        let error = usher_core::Error::internal();
        let en = failure_message(&error, Lang::En);
        assert!(en.ends_with("\nSee the log above for the cause."), "{en}");
        assert!(failure_message(&error, Lang::ZhCn).ends_with("\n原因见上方日志。"));
    }
}
