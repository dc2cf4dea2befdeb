//! The command-line help in the user's language. The derive attributes in
//! `main.rs` hold the English text; this module swaps in Chinese when the
//! locale is Chinese.

use clap::{Command, CommandFactory};
use usher_core::Lang;

use crate::{cli_lang, Cli};

fn server_args(command: Command) -> Command {
    command
        .mut_arg("config", |arg| arg.help("TOML 配置文件。"))
        .mut_arg("data_dir", |arg| arg.help("数据库和服务器密钥所在的目录 [默认：./usher-data]。"))
        .mut_arg("listen", |arg| arg.help("监听的地址和端口 [默认：127.0.0.1:8008]。"))
        .mut_arg("server_name", |arg| arg.help("Matrix 服务器名，即用户 ID 中“:”之后的部分 [默认：localhost]。"))
}

/// Builds the command line parser with help in the locale's language.
pub fn command() -> Command {
    let command = Cli::command();
    if cli_lang::lang() != Lang::ZhCn {
        return command;
    }
    command
        .about("引荐（Usher）：已登录用户可以为他人注册账号的 Matrix 聊天服务器")
        .mut_subcommand("serve", |serve| server_args(serve.about("运行服务器。")))
        .mut_subcommand("admin", |admin| {
            admin.about("管理服务器管理员。").mut_subcommand("create", |create| {
                server_args(create.about("创建服务器管理员账号（服务器运行时也可使用）。"))
                    .mut_arg("username", |arg| arg.help("账号名；先做 NFKC 规范化并转为小写，再按注册规则检查。"))
                    .mut_arg("password", |arg| {
                        arg.help("密码；写 - 表示从标准输入的第一行读取。省略时自动生成并输出到标准输出。")
                    })
            })
        })
        .mut_subcommand("config", |config| {
            config
                .about("查看配置。")
                .mut_subcommand("check", |check| server_args(check.about("校验配置，并以 TOML 格式输出生效的值。")))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_help_names_every_argument() {
        // Building it runs clap's checks that every renamed argument exists.
        let command = Cli::command();
        let chinese = server_args(command.find_subcommand("serve").cloned().expect("serve exists"));
        let help = chinese.clone().render_help().to_string();
        assert!(help.contains("监听的地址和端口"), "{help}");
        assert!(help.contains("--data-dir"), "{help}");
    }
}
