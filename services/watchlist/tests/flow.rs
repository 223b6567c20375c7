//! The watchlist across the three real services, each with its own PostgreSQL database; the
//! movie service sits behind a relay so a test can stop it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::get;
use reqwest::StatusCode;
use serde_json::json;
use watchlist_kit::middleware::{Layers, RateLimiter};
use watchlist_kit::testing::{self, Api, TcpRelay, TestApp};

const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";

fn layers() -> Layers {
    Layers { cors_origins: vec![], rate_limiter: RateLimiter::new(10_000, 0) }
}

async fn pool(prefix: &str, migrations: &[watchlist_kit::db::Migration]) -> deadpool_postgres::Pool {
    let pool = watchlist_kit::db::pool(testing::fresh_database(prefix).await, 4).expect("a pool");
    watchlist_kit::db::migrate(&pool, migrations).await.expect("migrations apply");
    pool
}

struct Stack {
    _user: TestApp,
    _movie: TestApp,
    _watchlist: TestApp,
    users: Api,
    movies: Api,
    watchlist: Api,
    movie_relay: TcpRelay,
}

async fn spawn_stack() -> Stack {
    let secret = Arc::new(SECRET.to_vec());
    let user_state = watchlist_user::AppState {
        pool: pool("wl_users", watchlist_user::MIGRATIONS).await,
        jwt_secret: secret.clone(),
        token_lifetime_seconds: 600,
    };
    let user = testing::spawn(watchlist_user::app(user_state, layers())).await;
    let movie_state = watchlist_movie::AppState {
        pool: pool("wl_movies", watchlist_movie::MIGRATIONS).await,
        cache: watchlist_movie::Cache::new(None, 60, "unused:").expect("no cache"),
        jwt_secret: secret.clone(),
    };
    let movie = testing::spawn(watchlist_movie::app(movie_state, layers())).await;
    let movie_relay = TcpRelay::start(movie.address).await;
    let upstream = watchlist_watchlist::Upstream::new(
        &user.base_url,
        &format!("http://{}", movie_relay.address),
        Duration::from_millis(500),
    );
    let watchlist_state = watchlist_watchlist::AppState {
        pool: pool("wl_entries", watchlist_watchlist::MIGRATIONS).await,
        upstream,
        jwt_secret: secret,
    };
    let watchlist = testing::spawn(watchlist_watchlist::app(watchlist_state, layers())).await;
    Stack {
        users: Api::new(&user),
        movies: Api::new(&movie),
        watchlist: Api::new(&watchlist),
        _user: user,
        _movie: movie,
        _watchlist: watchlist,
        movie_relay,
    }
}

impl Stack {
    /// Registers and logs in a user; returns (id, token).
    async fn user(&self, name: &str) -> (i64, String) {
        let created = self
            .users
            .post(
                "/api/users",
                None,
                json!({ "username": name, "email": format!("{name}@example.com"), "password": "correct horse" }),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let login =
            self.users.post("/api/users/login", None, json!({ "username": name, "password": "correct horse" })).await;
        (created.body["id"].as_i64().expect("id"), login.body["token"].as_str().expect("token").to_string())
    }

    async fn movie(&self, token: &str, title: &str) -> i64 {
        let created = self.movies.post("/api/movies", Some(token), json!({ "title": title, "year": 1999 })).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        created.body["id"].as_i64().expect("id")
    }
}

#[tokio::test]
async fn the_full_flow_across_the_three_services() {
    let stack = spawn_stack().await;
    let (user_id, token) = stack.user("gina").await;
    let movie_id = stack.movie(&token, "The Matrix").await;
    let list_path = format!("/api/watchlist/{user_id}");
    let added =
        stack.watchlist.post(&list_path, Some(&token), json!({ "movie_id": movie_id, "notes": "with popcorn" })).await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    assert_eq!(added.body["movie"]["title"], "The Matrix");
    assert_eq!(added.body["watched"], false);
    let again = stack.watchlist.post(&list_path, Some(&token), json!({ "movie_id": movie_id })).await;
    assert_eq!((again.status, again.body["error"]["field"].as_str()), (StatusCode::CONFLICT, Some("movie_id")));

    let entry_path = format!("/api/watchlist/{user_id}/{movie_id}");
    let watched = stack.watchlist.patch(&entry_path, Some(&token), json!({ "watched": true, "rating": 4 })).await;
    assert_eq!((watched.status, watched.body["rating"].as_i64()), (StatusCode::OK, Some(4)));
    assert_eq!(watched.body["notes"], "with popcorn", "fields not sent are kept");
    let listed = stack.watchlist.call(reqwest::Method::GET, &list_path, Some(&token), None).await;
    assert_eq!(listed.body["total"], 1);
    assert_eq!(listed.body["items"][0]["movie"]["title"], "The Matrix");
    assert_eq!(listed.body["items"][0]["watched"], true);

    for (body, field) in [
        (json!({ "rating": 6 }), "rating"),
        (json!({ "rating": 0 }), "rating"),
        (json!({ "notes": "n".repeat(2001) }), "notes"),
    ] {
        let answer = stack.watchlist.patch(&entry_path, Some(&token), body).await;
        assert_eq!(
            (answer.status, answer.body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field))
        );
    }
    assert_eq!(
        stack.watchlist.patch(&entry_path, Some(&token), json!({ "rating": "five" })).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let cleared = stack.watchlist.patch(&entry_path, Some(&token), json!({ "rating": null })).await;
    assert_eq!((cleared.status, cleared.body["rating"].is_null()), (StatusCode::OK, true));

    assert_eq!(stack.watchlist.delete(&entry_path, Some(&token)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(stack.watchlist.delete(&entry_path, Some(&token)).await.status, StatusCode::NOT_FOUND);
    let empty = stack.watchlist.call(reqwest::Method::GET, &list_path, Some(&token), None).await;
    assert_eq!(empty.body["total"], 0);
}

#[tokio::test]
async fn a_missing_user_or_movie_is_a_404_naming_which() {
    let stack = spawn_stack().await;
    let (user_id, token) = stack.user("hank").await;
    let missing_movie =
        stack.watchlist.post(&format!("/api/watchlist/{user_id}"), Some(&token), json!({ "movie_id": 424242 })).await;
    assert_eq!(
        (missing_movie.status, missing_movie.body["error"]["field"].as_str()),
        (StatusCode::NOT_FOUND, Some("movie_id"))
    );
    let movie_id = stack.movie(&token, "Brazil").await;
    // A valid token for a user the user service does not know (deleted after login, say).
    let ghost = testing::token_for(SECRET, 9_999);
    let missing_user = stack.watchlist.post("/api/watchlist/9999", Some(&ghost), json!({ "movie_id": movie_id })).await;
    assert_eq!(
        (missing_user.status, missing_user.body["error"]["field"].as_str()),
        (StatusCode::NOT_FOUND, Some("user_id"))
    );
}

#[tokio::test]
async fn with_the_movie_service_stopped_adding_is_a_503_and_nothing_is_written() {
    let stack = spawn_stack().await;
    let (user_id, token) = stack.user("iris").await;
    let movie_id = stack.movie(&token, "Stalker").await;
    stack.movie_relay.cut().await;
    let started = std::time::Instant::now();
    let answer =
        stack.watchlist.post(&format!("/api/watchlist/{user_id}"), Some(&token), json!({ "movie_id": movie_id })).await;
    assert_eq!((answer.status, answer.error_code()), (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable")));
    assert!(answer.headers.contains_key("retry-after"));
    assert!(started.elapsed() < Duration::from_secs(3), "dependencies are called with short timeouts");
    stack.movie_relay.restore();
    let listed =
        stack.watchlist.call(reqwest::Method::GET, &format!("/api/watchlist/{user_id}"), Some(&token), None).await;
    assert_eq!(listed.body["total"], 0, "nothing was written");
}

#[tokio::test]
async fn only_the_owner_may_read_or_change_a_watchlist() {
    let stack = spawn_stack().await;
    let (jack, jack_token) = stack.user("jack").await;
    let (_, kate_token) = stack.user("kate").await;
    let path = format!("/api/watchlist/{jack}");
    assert_eq!(stack.watchlist.call(reqwest::Method::GET, &path, None, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        stack.watchlist.call(reqwest::Method::GET, &path, Some(&kate_token), None).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        stack.watchlist.post(&path, Some(&kate_token), json!({ "movie_id": 1 })).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(stack.watchlist.call(reqwest::Method::GET, &path, Some(&jack_token), None).await.status, StatusCode::OK);
    assert_eq!(stack.watchlist.get("/api/watchlist/abc").await.error_code(), Some("invalid_id"));
    assert_eq!(
        stack.watchlist.post(&path, Some(&jack_token), json!({ "movie_id": -1 })).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn the_request_id_and_the_client_address_are_passed_to_the_services_it_calls() {
    let seen: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let record = |seen: Arc<Mutex<Vec<String>>>| {
        move |headers: axum::http::HeaderMap| {
            let seen = seen.clone();
            async move {
                let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                seen.lock().expect("lock").push(format!(
                    "{} via {}",
                    header("x-request-id"),
                    header("x-forwarded-for")
                ));
                axum::Json(json!({ "id": 1, "title": "Recorded" }))
            }
        }
    };
    // A recording stand-in for both dependencies: it only answers 200 and notes the header.
    let recorder = testing::spawn(
        axum::Router::new()
            .route("/api/users/{id}", get(record(seen.clone())))
            .route("/api/movies/{id}", get(record(seen.clone()))),
    )
    .await;
    let upstream =
        watchlist_watchlist::Upstream::new(&recorder.base_url, &recorder.base_url, Duration::from_millis(500));
    let state = watchlist_watchlist::AppState {
        pool: pool("wl_entries", watchlist_watchlist::MIGRATIONS).await,
        upstream,
        jwt_secret: Arc::new(SECRET.to_vec()),
    };
    // One trusted proxy in front (the gateway), and a client that wrote its own chain before it.
    let behind_one_proxy = Layers { cors_origins: vec![], rate_limiter: RateLimiter::new(10_000, 1) };
    let watchlist = testing::spawn(watchlist_watchlist::app(state, behind_one_proxy)).await;
    let api = Api::new(&watchlist);
    let response = api
        .http
        .post(watchlist.url("/api/watchlist/1"))
        .bearer_auth(testing::token_for(SECRET, 1))
        .header("x-request-id", "req-from-gateway-42")
        .header("x-forwarded-for", "10.9.9.9, 203.0.113.9")
        .json(&json!({ "movie_id": 1 }))
        .send()
        .await
        .expect("a response");
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["x-request-id"], "req-from-gateway-42");
    // The callee sees the request id and the client the gateway saw, not what the client wrote.
    let expected = "req-from-gateway-42 via 203.0.113.9".to_string();
    assert_eq!(*seen.lock().expect("lock"), vec![expected.clone(), expected]);
}
