//! `usher admin create`: the first admin, through the same rules as every
//! registration.

use std::io::BufRead;

use anyhow::Context;
use usher_core::ErrorCode;

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
        Err(error) => {
            let lang = cli_lang::lang();
            let mut lines = vec![error.message.text(lang)];
            for violation in &error.violations {
                lines.push(format!("  - {} ({})", violation.message(lang), violation.rule.as_str()));
            }
            if error.code == ErrorCode::Unknown {
                lines.push(cli_lang::pick("See the log above for the cause.", "原因见上方日志。"));
            }
            anyhow::bail!(lines.join("\n"))
        }
    }
}
