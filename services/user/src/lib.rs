//! The user service: register, read, update and delete users; log in for a JWT.
//!
//! `app(state) -> Router` holds every route; `run` adds the database and the listener.

mod openapi;

use std::future::Future;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use deadpool_postgres::Pool;
use serde::{Deserialize, Serialize};
use watchlist_kit::config::CommonConfig;
use watchlist_kit::db::Migration;
use watchlist_kit::extract::{Ids, Json, Page, Query};
use watchlist_kit::jwt::{self, Claims};
use watchlist_kit::middleware::{self, Layers};
use watchlist_kit::{password, ApiError};

pub const MIGRATIONS: &[Migration] =
    &[Migration { version: 1, name: "users", sql: include_str!("../migrations/0001_users.sql") }];

#[derive(Clone, Debug)]
pub struct Config {
    pub common: CommonConfig,
    pub token_lifetime_seconds: u64,
}

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub jwt_secret: std::sync::Arc<Vec<u8>>,
    pub token_lifetime_seconds: u64,
}

/// Every route of the service, wrapped in the shared layers.
pub fn app(state: AppState, layers: Layers) -> Router {
    let routes = Router::new()
        .route("/api/users", post(register).get(list))
        .route("/api/users/login", post(login))
        .route("/api/users/{id}", get(read).patch(update).delete(remove))
        .route("/health", get(|| async { watchlist_kit::health::alive("user") }))
        .route("/ready", get(health))
        .route("/api/health/users", get(health))
        .route("/openapi.json", get(|| async { axum::Json(openapi::document()) }))
        .with_state(state);
    middleware::wrap(routes, layers)
}

/// Connects, migrates and serves on `config.common.bind_address` until `shutdown`.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Box<dyn std::error::Error>> {
    let prepared = watchlist_kit::server::prepare("user", &config.common, MIGRATIONS).await?;
    let state = AppState {
        pool: prepared.pool,
        jwt_secret: std::sync::Arc::new(config.common.jwt_secret.clone()),
        token_lifetime_seconds: config.token_lifetime_seconds,
    };
    watchlist_kit::server::run(prepared.listener, app(state, prepared.layers), shutdown).await?;
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub created_at: String,
}

fn user_from_row(row: &tokio_postgres::Row) -> User {
    User {
        id: row.get("id"),
        username: row.get("username"),
        email: row.get("email"),
        created_at: row.get("created_at"),
    }
}

const USER_COLUMNS: &str =
    "id, username, email, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created_at";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Registration {
    username: String,
    email: String,
    password: String,
}

fn check_username(username: &str) -> Result<(), ApiError> {
    let valid = (3..=32).contains(&username.len())
        && username.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(ApiError::validation("username", "username must be 3 to 32 characters of a-z, 0-9 and _"))
    }
}

fn check_email(email: &str) -> Result<(), ApiError> {
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
                && !domain.contains('@')
        });
    if valid {
        Ok(())
    } else {
        Err(ApiError::validation("email", "email must be an address like name@example.com"))
    }
}

fn check_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < 8 {
        return Err(ApiError::validation("password", "password must be at least 8 characters"));
    }
    if password.len() > 1024 {
        return Err(ApiError::validation("password", "password must be at most 1024 bytes"));
    }
    Ok(())
}

async fn hash_password(password: String) -> Result<String, ApiError> {
    // Argon2 is deliberately slow; it runs off the async threads.
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|_| ApiError::internal())
}

async fn register(
    State(state): State<AppState>,
    Json(body): Json<Registration>,
) -> Result<impl IntoResponse, ApiError> {
    check_username(&body.username)?;
    let email = body.email.trim().to_lowercase();
    check_email(&email)?;
    check_password(&body.password)?;
    let hash = hash_password(body.password).await?;
    let client = state.pool.get().await?;
    let row = client
        .query_one(
            &format!("INSERT INTO users (username, email, password_hash) VALUES ($1, $2, $3) RETURNING {USER_COLUMNS}"),
            &[&body.username, &email, &hash],
        )
        .await?;
    let user = user_from_row(&row);
    let location = format!("/api/users/{}", user.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(user)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<i64>,
    offset: Option<i64>,
}

async fn list(State(state): State<AppState>, Query(query): Query<ListQuery>) -> Result<impl IntoResponse, ApiError> {
    let page = Page::validated(query.limit, query.offset)?;
    let client = state.pool.get().await?;
    let rows = client
        .query(
            &format!("SELECT {USER_COLUMNS} FROM users ORDER BY id LIMIT $1 OFFSET $2"),
            &[&page.limit, &page.offset],
        )
        .await?;
    let total: i64 = client.query_one("SELECT count(*) FROM users", &[]).await?.get(0);
    let items: Vec<User> = rows.iter().map(user_from_row).collect();
    Ok(axum::Json(serde_json::json!({ "items": items, "total": total, "limit": page.limit, "offset": page.offset })))
}

async fn find(pool: &Pool, id: i64) -> Result<User, ApiError> {
    let client = pool.get().await?;
    let row = client.query_opt(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"), &[&id]).await?;
    row.map(|row| user_from_row(&row)).ok_or_else(|| ApiError::not_found(format!("user {id} does not exist")))
}

async fn read(State(state): State<AppState>, Ids([id]): Ids<1>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(find(&state.pool, id).await?))
}

fn require_self(headers: &HeaderMap, state: &AppState, id: i64) -> Result<(), ApiError> {
    let caller = watchlist_kit::auth::bearer_user(headers, &state.jwt_secret)?;
    if caller == id {
        Ok(())
    } else {
        Err(ApiError::forbidden("a user may change or delete only their own account"))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Changes {
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
}

async fn update(
    State(state): State<AppState>,
    Ids([id]): Ids<1>,
    headers: HeaderMap,
    Json(body): Json<Changes>,
) -> Result<impl IntoResponse, ApiError> {
    require_self(&headers, &state, id)?;
    if let Some(username) = &body.username {
        check_username(username)?;
    }
    let email = body.email.map(|email| email.trim().to_lowercase());
    if let Some(email) = &email {
        check_email(email)?;
    }
    let hash = match body.password {
        Some(password) => {
            check_password(&password)?;
            Some(hash_password(password).await?)
        }
        None => None,
    };
    let client = state.pool.get().await?;
    let row = client
        .query_opt(
            &format!(
                "UPDATE users SET username = COALESCE($2, username), email = COALESCE($3, email), password_hash = COALESCE($4, password_hash), updated_at = now() WHERE id = $1 RETURNING {USER_COLUMNS}"
            ),
            &[&id, &body.username, &email, &hash],
        )
        .await?;
    row.map(|row| axum::Json(user_from_row(&row)))
        .ok_or_else(|| ApiError::not_found(format!("user {id} does not exist")))
}

async fn remove(
    State(state): State<AppState>,
    Ids([id]): Ids<1>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    require_self(&headers, &state, id)?;
    let client = state.pool.get().await?;
    let deleted = client.execute("DELETE FROM users WHERE id = $1", &[&id]).await?;
    if deleted == 0 {
        return Err(ApiError::not_found(format!("user {id} does not exist")));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    username: String,
    password: String,
}

async fn login(State(state): State<AppState>, Json(body): Json<Login>) -> Result<impl IntoResponse, ApiError> {
    let client = state.pool.get().await?;
    let row = client.query_opt("SELECT id, password_hash FROM users WHERE username = $1", &[&body.username]).await?;
    drop(client);
    // The same answer (and similar work) whether the user is unknown or the password wrong.
    let (id, stored): (i64, String) = row.map_or((0, String::new()), |row| (row.get(0), row.get(1)));
    let password = body.password;
    let matches = tokio::task::spawn_blocking(move || {
        if stored.is_empty() {
            let _ = password::hash(&password);
            false
        } else {
            password::verify(&password, &stored)
        }
    })
    .await
    .map_err(|_| ApiError::internal())?;
    if !matches {
        return Err(ApiError::unauthorized("unknown username or wrong password"));
    }
    let now = jwt::now_seconds();
    let claims = Claims { sub: id.to_string(), iat: now, exp: now + state.token_lifetime_seconds };
    let token = jwt::sign(&state.jwt_secret, &claims);
    Ok(axum::Json(serde_json::json!({
        "token": token,
        "token_type": "Bearer",
        "expires_in": state.token_lifetime_seconds,
        "user_id": id,
    })))
}

async fn health(State(state): State<AppState>) -> impl IntoResponse {
    watchlist_kit::health::report("user", &state.pool, &[]).await
}
