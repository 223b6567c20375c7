//! Serving a router on a listener until a shutdown signal, letting requests in flight finish.

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;

/// Serves `router` on `listener` (with client addresses for rate limiting) until `shutdown`.
pub async fn run(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

/// Resolves on SIGTERM (ECS stopping a task) or Ctrl-C.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// The container health check: `SERVICE healthcheck` GETs `/health` on the local port and exits 0
/// on a 200. Lets the image stay distroless (no curl).
pub fn healthcheck(port: u16) -> std::process::ExitCode {
    use std::io::{Read, Write};
    let check = || -> std::io::Result<bool> {
        let timeout = Some(std::time::Duration::from_secs(2));
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(timeout)?;
        stream.set_write_timeout(timeout)?;
        stream.write_all(b"GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        Ok(answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"))
    };
    match check() {
        Ok(true) => std::process::ExitCode::SUCCESS,
        _ => std::process::ExitCode::FAILURE,
    }
}

/// What every service needs before it can serve: a migrated database pool, the shared layers and
/// a bound listener.
pub struct Prepared {
    pub pool: deadpool_postgres::Pool,
    pub layers: crate::middleware::Layers,
    pub listener: TcpListener,
}

/// Connects to the database, applies `migrations`, builds the layers and binds the listener.
pub async fn prepare(
    service: &str,
    common: &crate::config::CommonConfig,
    migrations: &[crate::db::Migration],
) -> Result<Prepared, Box<dyn std::error::Error>> {
    let pool = crate::db::pool_with(common.database.clone(), &common.database_tls, 16)?;
    crate::db::migrate(&pool, migrations).await?;
    let layers = crate::middleware::Layers {
        cors_origins: common.cors_origins.clone(),
        rate_limiter: crate::middleware::RateLimiter::new(common.rate_limit_per_minute, common.trusted_proxy_hops),
    };
    let listener = TcpListener::bind(&common.bind_address).await?;
    tracing::info!(service, address = %common.bind_address, "listening");
    Ok(Prepared { pool, layers, listener })
}

/// A service process's `main`: `SERVICE healthcheck` for containers, otherwise JSON logs, the
/// configuration from the environment (exit 2 when it is invalid), and `run` until SIGTERM (exit 1
/// when it fails).
pub async fn main<C, F, Fut>(
    default_port: u16,
    read_config: impl FnOnce(&dyn crate::config::Environment) -> Result<C, crate::config::ConfigError>,
    run: F,
) -> std::process::ExitCode
where
    F: FnOnce(C, std::pin::Pin<Box<dyn Future<Output = ()> + Send>>) -> Fut,
    Fut: Future<Output = Result<(), Box<dyn std::error::Error>>>,
{
    use crate::config::{parse_number, Environment, ProcessEnvironment};
    let env = ProcessEnvironment;
    if std::env::args().nth(1).as_deref() == Some("healthcheck") {
        return healthcheck(parse_number(&env, "PORT", default_port, "a port").unwrap_or(default_port));
    }
    crate::telemetry::init(env.get("RUST_LOG").as_deref());
    // One TLS provider for the process, for clients that do not choose one (Redis over `rediss://`).
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let config = match read_config(&env) {
        Ok(config) => config,
        Err(error) => {
            tracing::error!(%error, "invalid configuration");
            return std::process::ExitCode::from(2);
        }
    };
    match run(config, Box::pin(shutdown_signal())).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the service stopped");
            std::process::ExitCode::from(1)
        }
    }
}
