//! `usher admin create`: the first admin, through the same rules as every
//! registration.

use usher_core::ErrorCode;

use crate::cli_lang;
use crate::config::Config;
use crate::serve::open;

pub async fn create(config: Config, username: &str, password: Option<String>) -> anyhow::Result<()> {
    let (store, services) = open(&config).await?;
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
