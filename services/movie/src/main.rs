//! The movie service's process: configuration from the environment, migrations, serve until SIGTERM.

use watchlist_kit::config::{self, Environment, ProcessEnvironment};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let env = ProcessEnvironment;
    if std::env::args().nth(1).as_deref() == Some("healthcheck") {
        return watchlist_kit::server::healthcheck(
            config::parse_number(&env, "PORT", 8002u16, "a port").unwrap_or(8002),
        );
    }
    watchlist_kit::telemetry::init(env.get("RUST_LOG").as_deref());
    let config = config::common_from_env(&env, 8002, "movies").and_then(|common| {
        Ok(watchlist_movie::Config {
            common,
            redis_url: env.get("REDIS_URL"),
            cache_ttl_seconds: config::parse_number(&env, "CACHE_TTL_SECONDS", 300, "a number of seconds")?,
            cache_key_prefix: env.get("CACHE_KEY_PREFIX").unwrap_or_else(|| "watchlist:".into()),
        })
    });
    let config = match config {
        Ok(config) => config,
        Err(error) => {
            tracing::error!(%error, "invalid configuration");
            return std::process::ExitCode::from(2);
        }
    };
    match watchlist_movie::run(config, watchlist_kit::server::shutdown_signal()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the service stopped");
            std::process::ExitCode::from(1)
        }
    }
}
