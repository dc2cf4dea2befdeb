//! `usher serve`: wire the layers together and run until a signal.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tracing_subscriber::EnvFilter;
use usher_bus::{Bus, LocalBus};
use usher_http::AppState;
use usher_service::Services;
use usher_store::sqlite::SqliteStore;
use usher_store::Store;

use crate::config::{Config, LogFormat};
use crate::secret;

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

/// Opens the data directory: the store and the server secret.
pub async fn open(config: &Config) -> anyhow::Result<(Arc<SqliteStore>, Services)> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create the data directory {}", config.data_dir.display()))?;
    let secret = secret::load_or_create(&config.data_dir)?;
    let store = Arc::new(
        SqliteStore::open(&config.database_path())
            .await
            .with_context(|| format!("cannot open the database {}", config.database_path().display()))?,
    );
    let position = store.current_position().await.context("cannot read the stream position")?;
    let bus: Arc<dyn Bus> = Arc::new(LocalBus::new(position));
    let services = Services::new(store.clone(), bus, config.settings(), secret);
    Ok((store, services))
}

pub async fn run(config: Config) -> anyhow::Result<()> {
    init_logging(&config);
    let (store, services) = open(&config).await?;
    let router = usher_http::router(AppState { services });

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}; choose another address with --listen", config.listen))?;
    let address = listener.local_addr().context("cannot read the listening address")?;
    tracing::info!(url = %format!("http://{address}"), server_name = %config.server_name, data_dir = %config.data_dir.display(), "listening");

    let (stop_sender, stop_receiver) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            let _ = stop_receiver.await;
        });
    let mut server = std::pin::pin!(server.into_future());

    tokio::select! {
        result = &mut server => result.context("the HTTP server failed")?,
        signal = shutdown_signal() => {
            tracing::info!(signal, "shutting down");
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
