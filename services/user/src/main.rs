//! The user service's process: configuration from the environment, migrations, serve until SIGTERM.

use watchlist_kit::config::{self, Environment, ProcessEnvironment};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let env = ProcessEnvironment;
    if std::env::args().nth(1).as_deref() == Some("healthcheck") {
        return watchlist_kit::server::healthcheck(
            config::parse_number(&env, "PORT", 8001u16, "a port").unwrap_or(8001),
        );
    }
    watchlist_kit::telemetry::init(env.get("RUST_LOG").as_deref());
    let config = match config::common_from_env(&env, 8001, "users").and_then(|common| {
        Ok(watchlist_user::Config {
            common,
            token_lifetime_seconds: config::parse_number(&env, "TOKEN_LIFETIME_SECONDS", 3600, "a number of seconds")?,
        })
    }) {
        Ok(config) => config,
        Err(error) => {
            tracing::error!(%error, "invalid configuration");
            return std::process::ExitCode::from(2);
        }
    };
    match watchlist_user::run(config, watchlist_kit::server::shutdown_signal()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the service stopped");
            std::process::ExitCode::from(1)
        }
    }
}
