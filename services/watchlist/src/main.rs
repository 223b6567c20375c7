//! The watchlist service's process: configuration from the environment, migrations, serve until SIGTERM.

use watchlist_kit::config::{self, ConfigError, Environment, ProcessEnvironment};

fn service_url(env: &dyn Environment, name: &str) -> Result<String, ConfigError> {
    env.get(name).map(|url| url.trim_end_matches('/').to_string()).ok_or_else(|| ConfigError::Missing {
        name: name.into(),
        expected: "the base URL of that service, e.g. http://user:8001".into(),
    })
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let env = ProcessEnvironment;
    if std::env::args().nth(1).as_deref() == Some("healthcheck") {
        return watchlist_kit::server::healthcheck(
            config::parse_number(&env, "PORT", 8003u16, "a port").unwrap_or(8003),
        );
    }
    watchlist_kit::telemetry::init(env.get("RUST_LOG").as_deref());
    let config = config::common_from_env(&env, 8003, "watchlist").and_then(|common| {
        Ok(watchlist_watchlist::Config {
            common,
            user_service_url: service_url(&env, "USER_SERVICE_URL")?,
            movie_service_url: service_url(&env, "MOVIE_SERVICE_URL")?,
            upstream_timeout: config::duration_ms(&env, "UPSTREAM_TIMEOUT_MS", 2000)?,
        })
    });
    let config = match config {
        Ok(config) => config,
        Err(error) => {
            tracing::error!(%error, "invalid configuration");
            return std::process::ExitCode::from(2);
        }
    };
    match watchlist_watchlist::run(config, watchlist_kit::server::shutdown_signal()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the service stopped");
            std::process::ExitCode::from(1)
        }
    }
}
