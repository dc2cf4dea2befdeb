//! `usher serve`: wire the layers together and run until a signal.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tracing_subscriber::EnvFilter;
use usher_bus::{Bus, LocalBus};
use usher_core::Lang;
use usher_http::AppState;
use usher_service::Services;
use usher_store::sqlite::SqliteStore;
use usher_store::Store;

use crate::config::{Config, LogFormat};
use crate::{cli_lang, secret};

/// How long in-flight requests (long-polling syncs included) may run after
/// a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

pub fn init_logging(config: &Config) {
    let filter = EnvFilter::try_new(&config.log).unwrap_or_else(|_| EnvFilter::new("info"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Opens the data directory: the store and the server secret. The directory
/// and the database are readable by their owner only.
pub async fn open(config: &Config) -> anyhow::Result<(Arc<SqliteStore>, Services)> {
    create_data_dir(&config.data_dir)?;
    restrict_to_owner(&config.data_dir, 0o700)?;
    let secret = secret::load_or_create(&config.data_dir)?;
    let store = Arc::new(SqliteStore::open(&config.database_path()).await.with_context(|| {
        cli_lang::lang().pick(
            format!("cannot open the database {}", config.database_path().display()),
            format!("无法打开数据库 {}", config.database_path().display()),
        )
    })?);
    restrict_to_owner(&config.database_path(), 0o600)?;
    let position = store.current_position().await.context("cannot read the stream position")?;
    let bus: Arc<dyn Bus> = Arc::new(LocalBus::new(position));
    let services = Services::new(store.clone(), bus, config.settings(), secret);
    Ok((store, services))
}

/// Creates the data directory and its parents where missing. A path that is, or passes
/// through, a regular file gets a message naming that file.
fn create_data_dir(dir: &Path) -> anyhow::Result<()> {
    let Err(error) = std::fs::create_dir_all(dir) else {
        return Ok(());
    };
    let lang = cli_lang::lang();
    // `create_dir_all` fails with "File exists" or "Not a directory" here, which does not
    // say which path is the file.
    if let Some(file) = dir.ancestors().find(|path| path.exists() && !path.is_dir()) {
        anyhow::bail!(not_a_directory_message(dir, file, lang));
    }
    Err(error).with_context(|| {
        lang.pick(
            format!("cannot create the data directory {}", dir.display()),
            format!("无法创建数据目录 {}", dir.display()),
        )
    })
}

fn not_a_directory_message(dir: &Path, file: &Path, lang: Lang) -> String {
    if file == dir {
        lang.pick(
            format!(
                "the data directory {} is a file, not a directory; pass a directory to --data-dir (or set data_dir), or move the file away",
                dir.display()
            ),
            format!(
                "数据目录 {} 是一个文件，不是目录；请用 --data-dir（或配置项 data_dir）指定一个目录，或把该文件移走",
                dir.display()
            ),
        )
    } else {
        lang.pick(
            format!(
                "cannot create the data directory {}: {} is a file, not a directory; pass another path to --data-dir (or set data_dir), or move the file away",
                dir.display(),
                file.display()
            ),
            format!(
                "无法创建数据目录 {}：{} 是一个文件，不是目录；请用 --data-dir（或配置项 data_dir）指定其他路径，或把该文件移走",
                dir.display(),
                file.display()
            ),
        )
    }
}

#[cfg(unix)]
fn restrict_to_owner(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).with_context(|| {
        crate::cli_lang::lang().pick(
            format!("cannot restrict the permissions of {}", path.display()),
            format!("无法收紧 {} 的权限", path.display()),
        )
    })
}

#[cfg(not(unix))]
fn restrict_to_owner(_path: &Path, _mode: u32) -> anyhow::Result<()> {
    Ok(())
}

/// Takes the data directory's lock file, so a second `usher serve` on the
/// same directory stops with an error instead of running beside the first,
/// whose waiting syncs would never hear of the second one's writes.
fn lock_data_dir(config: &Config) -> anyhow::Result<std::fs::File> {
    let path = config.data_dir.join("serve.lock");
    let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path).with_context(|| {
        cli_lang::lang().pick(
            format!("cannot create the lock file {}", path.display()),
            format!("无法创建锁文件 {}", path.display()),
        )
    })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(cli_lang::lang().pick(
            format!(
                "another `usher serve` is already using the data directory {}; stop it first or pass another --data-dir",
                config.data_dir.display()
            ),
            format!("另一个 `usher serve` 正在使用数据目录 {}；请先停止它，或用 --data-dir 指定其他目录", config.data_dir.display()),
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(e).with_context(|| cli_lang::lang().pick(format!("cannot lock {}", path.display()), format!("无法锁定 {}", path.display()))),
    }
}

pub async fn run(config: Config) -> anyhow::Result<()> {
    init_logging(&config);
    create_data_dir(&config.data_dir)?;
    let _lock = lock_data_dir(&config)?;
    let (store, services) = open(&config).await?;
    let router = usher_http::router(AppState { services: services.clone() });

    let listener = tokio::net::TcpListener::bind(config.listen).await.with_context(|| {
        cli_lang::lang().pick(
            format!("cannot listen on {}; choose another address with --listen", config.listen),
            format!("无法监听 {}；请用 --listen 选择其他地址", config.listen),
        )
    })?;
    let address = listener.local_addr().context("cannot read the listening address")?;
    tracing::info!(url = %format!("http://{address}"), server_name = %config.server_name, data_dir = %config.data_dir.display(), "listening");

    let (stop_sender, stop_receiver) = tokio::sync::oneshot::channel::<()>();
    let server = usher_http::serve(listener, router, async move {
        let _ = stop_receiver.await;
    });
    let mut server = std::pin::pin!(server);

    tokio::select! {
        () = &mut server => {}
        signal = shutdown_signal() => {
            tracing::info!(signal, "shutting down");
            services.begin_shutdown();
            let _ = stop_sender.send(());
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut server).await.is_err() {
                tracing::warn!(grace_ms = SHUTDOWN_GRACE.as_millis() as u64, "requests still running after the grace period; closing them");
            }
        }
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() -> &'static str {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
        "SIGTERM"
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<&'static str>();
    tokio::select! {
        name = ctrl_c => name,
        name = terminate => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_server_on_data_dir_rejected() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Config { data_dir: dir.path().to_owned(), ..Config::default() };
        let first = lock_data_dir(&config).expect("first lock");
        let message = lock_data_dir(&config).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("already using the data directory"), "{message}");
        drop(first);
        assert!(lock_data_dir(&config).is_ok(), "the lock is released with the server");
    }

    #[test]
    fn data_dir_that_is_file_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("usher-data");
        std::fs::write(&file, b"").expect("write");
        let message = create_data_dir(&file).err().map(|e| format!("{e:#}")).unwrap_or_default();
        assert!(
            message.contains("is a file, not a directory") || message.contains("是一个文件，不是目录"),
            "{message}"
        );
        assert!(!message.contains("os error"), "{message}");

        let en = not_a_directory_message(&file, &file, Lang::En);
        assert!(en.starts_with(&format!("the data directory {} is a file, not a directory;", file.display())), "{en}");
        let zh = not_a_directory_message(&file, &file, Lang::ZhCn);
        assert!(zh.starts_with(&format!("数据目录 {} 是一个文件，不是目录；", file.display())), "{zh}");
    }

    #[test]
    fn data_dir_under_file_names_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("plain");
        std::fs::write(&file, b"").expect("write");
        let nested = file.join("data");
        let message = create_data_dir(&nested).err().map(|e| format!("{e:#}")).unwrap_or_default();
        assert!(message.contains(&file.display().to_string()), "{message}");
        assert!(!message.contains("os error"), "{message}");
        let en = not_a_directory_message(&nested, &file, Lang::En);
        assert!(en.contains(&format!(": {} is a file, not a directory;", file.display())), "{en}");
        let zh = not_a_directory_message(&nested, &file, Lang::ZhCn);
        assert!(zh.contains(&format!("：{} 是一个文件，不是目录；", file.display())), "{zh}");
    }
}
