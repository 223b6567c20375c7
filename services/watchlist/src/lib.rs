//! The watchlist service: a user's list of movies with a watched flag, a 1–5 rating and notes.
//! Adding a movie checks, through the user and movie services, that both exist; listing returns
//! each movie's details fetched from the movie service concurrently.

mod openapi;
pub mod upstream;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, patch};
use axum::Router;
use deadpool_postgres::Pool;
use futures_util::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use watchlist_kit::config::CommonConfig;
use watchlist_kit::db::Migration;
use watchlist_kit::extract::{Ids, Json, Page, Query};
use watchlist_kit::middleware::{self, Caller, Layers};
use watchlist_kit::ApiError;

pub use upstream::Upstream;

pub const MIGRATIONS: &[Migration] =
    &[Migration { version: 1, name: "entries", sql: include_str!("../migrations/0001_entries.sql") }];

#[derive(Clone, Debug)]
pub struct Config {
    pub common: CommonConfig,
    pub user_service_url: String,
    pub movie_service_url: String,
    pub upstream_timeout: Duration,
}

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub upstream: Upstream,
    pub jwt_secret: Arc<Vec<u8>>,
}

pub fn app(state: AppState, layers: Layers) -> Router {
    let routes = Router::new()
        .route("/api/watchlist/{user_id}", get(list).post(add))
        .route("/api/watchlist/{user_id}/{movie_id}", patch(change).delete(remove))
        .route("/health", get(|| async { watchlist_kit::health::alive("watchlist") }))
        .route("/ready", get(health))
        .route("/api/health/watchlist", get(health))
        .route("/openapi.json", get(|| async { axum::Json(openapi::document()) }))
        .with_state(state);
    middleware::wrap(routes, layers)
}

pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Box<dyn std::error::Error>> {
    let upstream = Upstream::new(&config.user_service_url, &config.movie_service_url, config.upstream_timeout);
    let prepared = watchlist_kit::server::prepare("watchlist", &config.common, MIGRATIONS).await?;
    let state = AppState { pool: prepared.pool, upstream, jwt_secret: Arc::new(config.common.jwt_secret.clone()) };
    watchlist_kit::server::run(prepared.listener, app(state, prepared.layers), shutdown).await?;
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct Entry {
    pub movie_id: i64,
    pub watched: bool,
    pub rating: Option<i16>,
    pub notes: String,
    pub added_at: String,
    pub updated_at: String,
    /// The movie's details from the movie service; null when it is gone or unreachable.
    pub movie: Option<Value>,
}

const ENTRY_COLUMNS: &str = "movie_id, watched, rating, notes, \
    to_char(added_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS added_at, \
    to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS updated_at";

fn entry_from_row(row: &tokio_postgres::Row) -> Entry {
    Entry {
        movie_id: row.get("movie_id"),
        watched: row.get("watched"),
        rating: row.get("rating"),
        notes: row.get("notes"),
        added_at: row.get("added_at"),
        updated_at: row.get("updated_at"),
        movie: None,
    }
}

/// Every watchlist request speaks for one user: the token's user must be the path's user.
fn require_owner(headers: &HeaderMap, state: &AppState, user_id: i64) -> Result<(), ApiError> {
    let caller = watchlist_kit::auth::bearer_user(headers, &state.jwt_secret)?;
    if caller == user_id {
        Ok(())
    } else {
        Err(ApiError::forbidden("a watchlist can be read and changed only by its owner"))
    }
}

fn check_notes(notes: &str) -> Result<(), ApiError> {
    if notes.chars().count() > 2000 {
        return Err(ApiError::validation("notes", "notes must be at most 2000 characters"));
    }
    if notes.contains('\0') {
        return Err(ApiError::validation("notes", "notes must not contain NUL characters"));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<i64>,
    offset: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    Ids([user_id]): Ids<1>,
    headers: HeaderMap,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<impl IntoResponse, ApiError> {
    require_owner(&headers, &state, user_id)?;
    let page = Page::validated(query.limit, query.offset)?;
    let client = state.pool.get().await?;
    let rows = client
        .query(
            &format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE user_id = $1 ORDER BY added_at DESC, id DESC LIMIT $2 OFFSET $3"),
            &[&user_id, &page.limit, &page.offset],
        )
        .await?;
    let total: i64 = client.query_one("SELECT count(*) FROM entries WHERE user_id = $1", &[&user_id]).await?.get(0);
    drop(client);
    // Movie details are fetched concurrently, eight at a time; a movie that is gone or a movie
    // service that is down leaves `movie` null rather than failing the whole list.
    let entries: Vec<Entry> = stream::iter(rows.iter().map(entry_from_row))
        .map(|mut entry| {
            let upstream = state.upstream.clone();
            let caller = caller.clone();
            async move {
                entry.movie = upstream.movie(entry.movie_id, &caller).await.ok().flatten();
                entry
            }
        })
        .buffered(8)
        .collect()
        .await;
    Ok(axum::Json(serde_json::json!({
        "user_id": user_id, "items": entries, "total": total, "limit": page.limit, "offset": page.offset,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewEntry {
    movie_id: i64,
    #[serde(default)]
    notes: String,
}

async fn add(
    State(state): State<AppState>,
    Ids([user_id]): Ids<1>,
    headers: HeaderMap,
    caller: Caller,
    Json(body): Json<NewEntry>,
) -> Result<impl IntoResponse, ApiError> {
    require_owner(&headers, &state, user_id)?;
    if body.movie_id <= 0 {
        return Err(ApiError::validation("movie_id", "movie_id must be a positive integer"));
    }
    check_notes(&body.notes)?;
    let (user, movie) =
        tokio::join!(state.upstream.user(user_id, &caller), state.upstream.movie(body.movie_id, &caller));
    if user?.is_none() {
        return Err(ApiError::not_found(format!("user {user_id} does not exist")).with_field("user_id"));
    }
    let Some(movie) = movie? else {
        return Err(ApiError::not_found(format!("movie {} does not exist", body.movie_id)).with_field("movie_id"));
    };
    let client = state.pool.get().await?;
    let row = client
        .query_one(
            &format!("INSERT INTO entries (user_id, movie_id, notes) VALUES ($1, $2, $3) RETURNING {ENTRY_COLUMNS}"),
            &[&user_id, &body.movie_id, &body.notes],
        )
        .await
        .map_err(|error| match ApiError::from(error) {
            conflict if conflict.status == StatusCode::CONFLICT => {
                ApiError::conflict("movie_id", "this movie is already on the watchlist")
            }
            other => other,
        })?;
    let mut entry = entry_from_row(&row);
    entry.movie = Some(movie);
    let location = format!("/api/watchlist/{user_id}/{}", entry.movie_id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(entry)))
}

/// A change to an entry; `rating: null` clears the rating.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryChanges {
    watched: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    rating: Option<Option<i16>>,
    notes: Option<String>,
}

/// Tells a field sent as `null` (`Some(None)`) from a field not sent (`None`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

async fn change(
    State(state): State<AppState>,
    Ids([user_id, movie_id]): Ids<2>,
    headers: HeaderMap,
    Json(body): Json<EntryChanges>,
) -> Result<impl IntoResponse, ApiError> {
    require_owner(&headers, &state, user_id)?;
    if let Some(Some(rating)) = body.rating {
        if !(1..=5).contains(&rating) {
            return Err(ApiError::validation("rating", "rating must be 1 to 5, or null to clear it"));
        }
    }
    if let Some(notes) = &body.notes {
        check_notes(notes)?;
    }
    let client = state.pool.get().await?;
    let rating_sent = body.rating.is_some();
    let rating = body.rating.flatten();
    let row = client
        .query_opt(
            &format!(
                "UPDATE entries SET watched = COALESCE($3, watched), rating = CASE WHEN $4 THEN $5 ELSE rating END, \
                 notes = COALESCE($6, notes), updated_at = now() WHERE user_id = $1 AND movie_id = $2 RETURNING {ENTRY_COLUMNS}"
            ),
            &[&user_id, &movie_id, &body.watched, &rating_sent, &rating, &body.notes],
        )
        .await?;
    row.map(|row| axum::Json(entry_from_row(&row)))
        .ok_or_else(|| ApiError::not_found(format!("movie {movie_id} is not on user {user_id}'s watchlist")))
}

async fn remove(
    State(state): State<AppState>,
    Ids([user_id, movie_id]): Ids<2>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    require_owner(&headers, &state, user_id)?;
    let client = state.pool.get().await?;
    let deleted =
        client.execute("DELETE FROM entries WHERE user_id = $1 AND movie_id = $2", &[&user_id, &movie_id]).await?;
    if deleted == 0 {
        return Err(ApiError::not_found(format!("movie {movie_id} is not on user {user_id}'s watchlist")));
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn health(State(state): State<AppState>) -> impl IntoResponse {
    watchlist_kit::health::report("watchlist", &state.pool, &[]).await
}
