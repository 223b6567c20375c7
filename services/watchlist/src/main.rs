//! The watchlist service's process: configuration from the environment, migrations, serve until SIGTERM.

use watchlist_kit::config::{common_from_env, duration_ms, ConfigError, Environment};

fn service_url(env: &dyn Environment, name: &str) -> Result<String, ConfigError> {
    env.get(name).map(|url| url.trim_end_matches('/').to_string()).ok_or_else(|| ConfigError::Missing {
        name: name.into(),
        expected: "the base URL of that service, e.g. http://user:8001".into(),
    })
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    watchlist_kit::server::main(
        8003,
        |env| {
            Ok(watchlist_watchlist::Config {
                common: common_from_env(env, 8003, "watchlist")?,
                user_service_url: service_url(env, "USER_SERVICE_URL")?,
                movie_service_url: service_url(env, "MOVIE_SERVICE_URL")?,
                upstream_timeout: duration_ms(env, "UPSTREAM_TIMEOUT_MS", 2000)?,
            })
        },
        watchlist_watchlist::run,
    )
    .await
}
