//! The user service's process: configuration from the environment, migrations, serve until SIGTERM.

use watchlist_kit::config::{common_from_env, parse_number};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    watchlist_kit::server::main(
        8001,
        |env| {
            Ok(watchlist_user::Config {
                common: common_from_env(env, 8001, "users")?,
                token_lifetime_seconds: parse_number(env, "TOKEN_LIFETIME_SECONDS", 3600, "a number of seconds")?,
            })
        },
        watchlist_user::run,
    )
    .await
}
