//! The movie service over HTTP, against real PostgreSQL and Redis (each behind a relay a test can
//! cut, to see the service with its dependency down).

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::json;
use watchlist_kit::middleware::{Layers, RateLimiter};
use watchlist_kit::testing::{self, Api, TcpRelay, TestApp};
use watchlist_movie::{app, AppState, Cache, MIGRATIONS};

const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";

struct Harness {
    _app: TestApp,
    api: Api,
    token: String,
    redis: TcpRelay,
}

async fn spawn() -> Harness {
    let database = testing::fresh_database("movies").await;
    let pool = watchlist_kit::db::pool(database.clone(), 4).expect("a pool");
    watchlist_kit::db::migrate(&pool, MIGRATIONS).await.expect("migrations apply");
    let redis_url: reqwest::Url = testing::redis_url().parse().expect("a redis URL");
    let redis_address =
        testing::socket_address(redis_url.host_str().unwrap_or("127.0.0.1"), redis_url.port().unwrap_or(6379));
    let redis = TcpRelay::start(redis_address).await;
    let prefix = format!("test:{}:", database.get_dbname().unwrap_or_default());
    let cache = Cache::new(Some(&format!("redis://{}", redis.address)), 60, &prefix).expect("a cache");
    let state = AppState { pool, cache, jwt_secret: Arc::new(SECRET.to_vec()) };
    let layers = Layers { cors_origins: vec![], rate_limiter: RateLimiter::new(10_000, 0) };
    let app = testing::spawn(app(state, layers)).await;
    Harness { api: Api::new(&app), _app: app, token: testing::token_for(SECRET, 1), redis }
}

impl Harness {
    async fn add(&self, title: &str, genre: &str, year: i32) -> i64 {
        let answer = self
            .api
            .post("/api/movies", Some(&self.token), json!({ "title": title, "genre": genre, "year": year }))
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        answer.body["id"].as_i64().expect("an id")
    }
}

#[tokio::test]
async fn crud_with_a_token_and_reads_without() {
    let harness = spawn().await;
    let id = harness.add("Alien", "Horror", 1979).await;
    let answer = harness.api.get(&format!("/api/movies/{id}")).await;
    assert_eq!((answer.status, answer.body["title"].as_str()), (StatusCode::OK, Some("Alien")));
    let changed = harness
        .api
        .patch(&format!("/api/movies/{id}"), Some(&harness.token), json!({ "director": "Ridley Scott" }))
        .await;
    assert_eq!((changed.status, changed.body["director"].as_str()), (StatusCode::OK, Some("Ridley Scott")));
    assert_eq!(changed.body["title"], "Alien", "fields not sent are kept");
    let deleted = harness.api.delete(&format!("/api/movies/{id}"), Some(&harness.token)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(harness.api.get(&format!("/api/movies/{id}")).await.status, StatusCode::NOT_FOUND);

    let anonymous = harness.api.post("/api/movies", None, json!({ "title": "Heat" })).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let expired = watchlist_kit::jwt::sign(SECRET, &watchlist_kit::jwt::Claims { sub: "1".into(), iat: 1, exp: 2 });
    assert_eq!(
        harness.api.post("/api/movies", Some(&expired), json!({ "title": "Heat" })).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_hit_follows_a_miss_and_writes_invalidate() {
    let harness = spawn().await;
    let id = harness.add("Heat", "Crime", 1995).await;
    let path = format!("/api/movies/{id}");
    assert_eq!(harness.api.get(&path).await.headers["x-cache"], "MISS");
    let hit = harness.api.get(&path).await;
    assert_eq!(hit.headers["x-cache"], "HIT");
    assert_eq!(hit.body["title"], "Heat");
    harness.api.patch(&path, Some(&harness.token), json!({ "title": "Heat (1995)" })).await;
    let after_update = harness.api.get(&path).await;
    assert_eq!(
        (after_update.headers["x-cache"].to_str().ok(), after_update.body["title"].as_str()),
        (Some("MISS"), Some("Heat (1995)"))
    );
    assert_eq!(harness.api.get(&path).await.headers["x-cache"], "HIT");
    harness.api.delete(&path, Some(&harness.token)).await;
    assert_eq!(
        harness.api.get(&path).await.status,
        StatusCode::NOT_FOUND,
        "a deleted movie is not served from the cache"
    );
}

#[tokio::test]
async fn with_redis_down_movies_are_served_from_postgresql_and_health_says_degraded() {
    let harness = spawn().await;
    let id = harness.add("Ran", "Drama", 1985).await;
    let path = format!("/api/movies/{id}");
    harness.api.get(&path).await;
    harness.redis.cut().await;
    let started = std::time::Instant::now();
    let answer = harness.api.get(&path).await;
    assert_eq!((answer.status, answer.body["title"].as_str()), (StatusCode::OK, Some("Ran")));
    assert_eq!(answer.headers["x-cache"], "MISS");
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "a dead cache must not stall reads");
    let health = harness.api.get("/ready").await;
    assert_eq!((health.status, health.body["cache"].as_str()), (StatusCode::OK, Some("degraded")));
    let created =
        harness.api.post("/api/movies", Some(&harness.token), json!({ "title": "Kagemusha", "year": 1980 })).await;
    assert_eq!(created.status, StatusCode::CREATED, "writes work without the cache");
    harness.redis.restore();
    let mut recovered = false;
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        if harness.api.get("/ready").await.body["cache"] == "ok" {
            recovered = true;
            break;
        }
    }
    assert!(recovered, "the cache is used again once Redis is back");
}

#[tokio::test]
async fn search_filters_and_pagination() {
    let harness = spawn().await;
    harness.add("The Thing", "Horror", 1982).await;
    harness.add("Thief", "Crime", 1981).await;
    harness.add("Things to Come", "Science Fiction", 1936).await;
    harness.add("100% Wolf", "Animation", 2020).await;
    let search = harness.api.get("/api/movies?search=thing").await;
    assert_eq!(search.body["total"], 2);
    let genre = harness.api.get("/api/movies?genre=horror").await;
    assert_eq!(genre.body["items"][0]["title"], "The Thing");
    let year = harness.api.get("/api/movies?year=1981").await;
    assert_eq!(year.body["items"][0]["title"], "Thief");
    let percent = harness.api.get("/api/movies?search=%25").await;
    assert_eq!(percent.body["total"], 1, "LIKE wildcards in a search are literal");
    let page = harness.api.get("/api/movies?limit=2&offset=2").await;
    assert_eq!((page.body["items"].as_array().map(Vec::len), page.body["total"].as_i64()), (Some(2), Some(4)));
    for query in ["limit=0", "limit=500", "offset=-1", "year=abc", "year=1500", "colour=red"] {
        let answer = harness.api.get(&format!("/api/movies?{query}")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}: {}", answer.body);
    }
}

#[tokio::test]
async fn bad_input_is_a_4xx_and_injection_strings_are_stored_verbatim() {
    let harness = spawn().await;
    let token = Some(harness.token.as_str());
    for (body, field) in [
        (json!({ "title": "" }), "title"),
        (json!({ "title": "x".repeat(201) }), "title"),
        (json!({ "title": "Ok", "year": 1700 }), "year"),
        (json!({ "title": "Ok", "genre": "g".repeat(51) }), "genre"),
    ] {
        let answer = harness.api.post("/api/movies", token, body).await;
        assert_eq!(
            (answer.status, answer.body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field))
        );
    }
    assert_eq!(
        harness.api.post("/api/movies", token, json!({ "title": "Ok", "rating": 5 })).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        harness.api.post("/api/movies", token, json!({ "title": 12 })).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(harness.api.get("/api/movies/0").await.error_code(), Some("invalid_id"));
    assert_eq!(harness.api.get("/api/movies/1.5").await.error_code(), Some("invalid_id"));
    let injection = "Robert'); DROP TABLE movies;--";
    let id = harness.add(injection, "'; SELECT pg_sleep(10); --", 2000).await;
    let answer = harness.api.get(&format!("/api/movies/{id}")).await;
    assert_eq!(answer.body["title"], injection);
    assert_eq!(harness.api.get("/api/movies").await.body["total"], 1);
}
