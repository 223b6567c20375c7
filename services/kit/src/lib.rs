//! What the Movie Watchlist services share, so each service holds only its own domain:
//! configuration from the environment ([`config`]), the JSON error type ([`error`]), extractors
//! that turn bad input into 4xx answers ([`extract`]), middleware ([`middleware`]), the database
//! pool and migrations ([`db`]), health checks ([`health`]), JWTs ([`jwt`]), passwords
//! ([`password`]), logging ([`telemetry`]), serving with graceful shutdown ([`server`]) and the
//! test harness ([`testing`]).

pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod extract;
pub mod health;
pub mod jwt;
pub mod middleware;
pub mod openapi;
pub mod password;
pub mod server;
pub mod telemetry;
pub mod testing;

pub use error::ApiError;
