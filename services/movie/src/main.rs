//! The movie service's process: configuration from the environment, migrations, serve until SIGTERM.

use watchlist_kit::config::{common_from_env, parse_number};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    watchlist_kit::server::main(
        8002,
        |env| {
            Ok(watchlist_movie::Config {
                common: common_from_env(env, 8002, "movies")?,
                redis_url: env.get("REDIS_URL"),
                cache_ttl_seconds: parse_number(env, "CACHE_TTL_SECONDS", 300, "a number of seconds")?,
                cache_key_prefix: env.get("CACHE_KEY_PREFIX").unwrap_or_else(|| "watchlist:".into()),
            })
        },
        watchlist_movie::run,
    )
    .await
}
