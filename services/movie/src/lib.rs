//! The movie service: create, list and search, read, update and delete movies. Reads of one movie
//! are cache-aside in Redis (`X-Cache: HIT|MISS`), invalidated on every write.

pub mod cache;
mod openapi;

use std::future::Future;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use deadpool_postgres::Pool;
use serde::{Deserialize, Serialize};
use watchlist_kit::config::CommonConfig;
use watchlist_kit::db::Migration;
use watchlist_kit::extract::{Ids, Json, Page, Query};
use watchlist_kit::middleware::{self, Layers};
use watchlist_kit::ApiError;

pub use cache::{Cache, Lookup};

pub const MIGRATIONS: &[Migration] =
    &[Migration { version: 1, name: "movies", sql: include_str!("../migrations/0001_movies.sql") }];

#[derive(Clone, Debug)]
pub struct Config {
    pub common: CommonConfig,
    pub redis_url: Option<String>,
    pub cache_ttl_seconds: u64,
    pub cache_key_prefix: String,
}

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub cache: Cache,
    pub jwt_secret: Arc<Vec<u8>>,
}

pub fn app(state: AppState, layers: Layers) -> Router {
    let routes = Router::new()
        .route("/api/movies", get(list).post(create))
        .route("/api/movies/{id}", get(read).patch(update).put(update).delete(remove))
        .route("/health", get(|| async { watchlist_kit::health::alive("movie") }))
        .route("/ready", get(health))
        .route("/api/health/movies", get(health))
        .route("/openapi.json", get(|| async { axum::Json(openapi::document()) }))
        .with_state(state);
    middleware::wrap(routes, layers)
}

pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Box<dyn std::error::Error>> {
    let cache = Cache::new(config.redis_url.as_deref(), config.cache_ttl_seconds, &config.cache_key_prefix)?;
    let prepared = watchlist_kit::server::prepare("movie", &config.common, MIGRATIONS).await?;
    tracing::info!(cache = cache.state(), "movie cache");
    let state = AppState { pool: prepared.pool, cache, jwt_secret: Arc::new(config.common.jwt_secret.clone()) };
    watchlist_kit::server::run(prepared.listener, app(state, prepared.layers), shutdown).await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Movie {
    pub id: i64,
    pub title: String,
    pub genre: String,
    pub year: Option<i32>,
    pub director: String,
    pub description: String,
    pub created_at: String,
    pub updated_at: String,
}

const MOVIE_COLUMNS: &str = "id, title, genre, year, director, description, \
    to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created_at, \
    to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS updated_at";

fn movie_from_row(row: &tokio_postgres::Row) -> Movie {
    Movie {
        id: row.get("id"),
        title: row.get("title"),
        genre: row.get("genre"),
        year: row.get("year"),
        director: row.get("director"),
        description: row.get("description"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }
}

fn cache_key(id: i64) -> String {
    format!("movie:{id}")
}

/// Writes need a valid token from the user service (any user may curate the catalogue).
fn require_user(headers: &HeaderMap, state: &AppState) -> Result<i64, ApiError> {
    watchlist_kit::auth::bearer_user(headers, &state.jwt_secret)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewMovie {
    title: String,
    #[serde(default)]
    genre: String,
    year: Option<i32>,
    #[serde(default)]
    director: String,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MovieChanges {
    title: Option<String>,
    genre: Option<String>,
    year: Option<i32>,
    director: Option<String>,
    description: Option<String>,
}

fn check_text(field: &str, value: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let length = value.trim().chars().count();
    if length < min || value.chars().count() > max {
        return Err(ApiError::validation(field, format!("{field} must be {min} to {max} characters")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') || value.contains('\0') {
        return Err(ApiError::validation(field, format!("{field} must not contain control characters")));
    }
    Ok(())
}

fn check_year(year: Option<i32>) -> Result<(), ApiError> {
    match year {
        Some(year) if !(1888..=2100).contains(&year) => {
            Err(ApiError::validation("year", "year must be between 1888 and 2100"))
        }
        _ => Ok(()),
    }
}

async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(body): Json<NewMovie>,
) -> Result<impl IntoResponse, ApiError> {
    require_user(&headers, &state)?;
    check_text("title", &body.title, 1, 200)?;
    check_text("genre", &body.genre, 0, 50)?;
    check_text("director", &body.director, 0, 200)?;
    check_text("description", &body.description, 0, 5000)?;
    check_year(body.year)?;
    let client = state.pool.get().await?;
    let row = client
        .query_one(
            &format!("INSERT INTO movies (title, genre, year, director, description) VALUES ($1, $2, $3, $4, $5) RETURNING {MOVIE_COLUMNS}"),
            &[&body.title.trim(), &body.genre.trim(), &body.year, &body.director.trim(), &body.description],
        )
        .await?;
    let movie = movie_from_row(&row);
    Ok((StatusCode::CREATED, [(header::LOCATION, format!("/api/movies/{}", movie.id))], axum::Json(movie)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// Words in the title, case-insensitive.
    search: Option<String>,
    genre: Option<String>,
    year: Option<i32>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// Escapes LIKE wildcards so a search for `50%` finds "50%", not everything.
fn like_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

async fn list(State(state): State<AppState>, Query(query): Query<ListQuery>) -> Result<impl IntoResponse, ApiError> {
    let page = Page::validated(query.limit, query.offset)?;
    if let Some(search) = &query.search {
        check_text("search", search, 0, 200).map_err(|e| ApiError { status: StatusCode::BAD_REQUEST, ..e })?;
    }
    if let Some(genre) = &query.genre {
        check_text("genre", genre, 0, 50).map_err(|e| ApiError { status: StatusCode::BAD_REQUEST, ..e })?;
    }
    check_year(query.year).map_err(|e| ApiError { status: StatusCode::BAD_REQUEST, ..e })?;
    let search = query.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(like_pattern);
    let genre = query.genre.as_deref().map(str::trim).filter(|g| !g.is_empty()).map(str::to_lowercase);
    let filter = "($1::text IS NULL OR title ILIKE $1) AND ($2::text IS NULL OR lower(genre) = $2) AND ($3::int IS NULL OR year = $3)";
    let client = state.pool.get().await?;
    let rows = client
        .query(
            &format!("SELECT {MOVIE_COLUMNS} FROM movies WHERE {filter} ORDER BY title, id LIMIT $4 OFFSET $5"),
            &[&search, &genre, &query.year, &page.limit, &page.offset],
        )
        .await?;
    let total: i64 = client
        .query_one(&format!("SELECT count(*) FROM movies WHERE {filter}"), &[&search, &genre, &query.year])
        .await?
        .get(0);
    let items: Vec<Movie> = rows.iter().map(movie_from_row).collect();
    Ok(axum::Json(serde_json::json!({ "items": items, "total": total, "limit": page.limit, "offset": page.offset })))
}

/// One movie, cache-aside: Redis first, PostgreSQL on a miss (then cached), PostgreSQL alone when
/// Redis is down.
pub async fn lookup(state: &AppState, id: i64) -> Result<(Movie, Lookup), ApiError> {
    let key = cache_key(id);
    if let Some(cached) = state.cache.get(&key).await {
        if let Ok(movie) = serde_json::from_str::<Movie>(&cached) {
            tracing::info!(movie_id = id, cache = "hit", "movie lookup");
            return Ok((movie, Lookup::Hit));
        }
    }
    let client = state.pool.get().await?;
    let row = client.query_opt(&format!("SELECT {MOVIE_COLUMNS} FROM movies WHERE id = $1"), &[&id]).await?;
    let movie =
        row.map(|row| movie_from_row(&row)).ok_or_else(|| ApiError::not_found(format!("movie {id} does not exist")))?;
    if let Ok(text) = serde_json::to_string(&movie) {
        state.cache.set(&key, &text).await;
    }
    tracing::info!(movie_id = id, cache = "miss", cache_state = state.cache.state(), "movie lookup");
    Ok((movie, Lookup::Miss))
}

async fn read(State(state): State<AppState>, Ids([id]): Ids<1>) -> Result<Response, ApiError> {
    let (movie, lookup) = lookup(&state, id).await?;
    let mut response = axum::Json(movie).into_response();
    let value = if lookup == Lookup::Hit { "HIT" } else { "MISS" };
    response.headers_mut().insert("x-cache", HeaderValue::from_static(value));
    Ok(response)
}

async fn update(
    State(state): State<AppState>,
    Ids([id]): Ids<1>,
    headers: HeaderMap,
    Json(body): Json<MovieChanges>,
) -> Result<impl IntoResponse, ApiError> {
    require_user(&headers, &state)?;
    if let Some(title) = &body.title {
        check_text("title", title, 1, 200)?;
    }
    if let Some(genre) = &body.genre {
        check_text("genre", genre, 0, 50)?;
    }
    if let Some(director) = &body.director {
        check_text("director", director, 0, 200)?;
    }
    if let Some(description) = &body.description {
        check_text("description", description, 0, 5000)?;
    }
    check_year(body.year)?;
    let client = state.pool.get().await?;
    let row = client
        .query_opt(
            &format!(
                "UPDATE movies SET title = COALESCE($2, title), genre = COALESCE($3, genre), year = COALESCE($4, year), \
                 director = COALESCE($5, director), description = COALESCE($6, description), updated_at = now() \
                 WHERE id = $1 RETURNING {MOVIE_COLUMNS}"
            ),
            &[&id, &body.title.as_deref().map(str::trim), &body.genre.as_deref().map(str::trim), &body.year, &body.director.as_deref().map(str::trim), &body.description],
        )
        .await?;
    state.cache.delete(&cache_key(id)).await;
    row.map(|row| axum::Json(movie_from_row(&row)))
        .ok_or_else(|| ApiError::not_found(format!("movie {id} does not exist")))
}

async fn remove(
    State(state): State<AppState>,
    Ids([id]): Ids<1>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    require_user(&headers, &state)?;
    let client = state.pool.get().await?;
    let deleted = client.execute("DELETE FROM movies WHERE id = $1", &[&id]).await?;
    state.cache.delete(&cache_key(id)).await;
    if deleted == 0 {
        return Err(ApiError::not_found(format!("movie {id} does not exist")));
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let cache = if state.cache.state() == "disabled" {
        "disabled"
    } else if state.cache.ping().await {
        "ok"
    } else {
        "degraded"
    };
    watchlist_kit::health::report("movie", &state.pool, &[("cache", serde_json::Value::from(cache))]).await
}
