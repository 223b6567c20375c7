//! The user service over HTTP, against a real PostgreSQL database of its own.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};
use watchlist_kit::jwt::{self, Claims};
use watchlist_kit::middleware::{Layers, RateLimiter};
use watchlist_kit::testing::{self, TcpRelay, TestApp};
use watchlist_user::{app, AppState, MIGRATIONS};

const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";

struct Harness {
    app: TestApp,
    http: reqwest::Client,
    relay: TcpRelay,
}

async fn spawn_with_rate_limit(per_minute: u32) -> Harness {
    spawn_behind_proxies(per_minute, 0).await
}

/// The service behind `trusted_proxy_hops` proxies that append to `X-Forwarded-For`.
async fn spawn_behind_proxies(per_minute: u32, trusted_proxy_hops: usize) -> Harness {
    let database = testing::fresh_database("users").await;
    let relay = TcpRelay::start(testing::database_address(&database)).await;
    let pool = watchlist_kit::db::pool(testing::through_relay(&database, &relay), 4).expect("a pool");
    watchlist_kit::db::migrate(&pool, MIGRATIONS).await.expect("migrations apply");
    let state = AppState { pool, jwt_secret: Arc::new(SECRET.to_vec()), token_lifetime_seconds: 600 };
    let layers = Layers {
        cors_origins: vec!["https://app.example".into()],
        rate_limiter: RateLimiter::new(per_minute, trusted_proxy_hops),
    };
    Harness { app: testing::spawn(app(state, layers)).await, http: reqwest::Client::new(), relay }
}

async fn spawn() -> Harness {
    spawn_with_rate_limit(10_000).await
}

impl Harness {
    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self.http.post(self.app.url(path)).json(&body).send().await.expect("a response");
        (response.status(), response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self.http.get(self.app.url(path)).send().await.expect("a response");
        (response.status(), response.json().await.unwrap_or(Value::Null))
    }

    async fn register(&self, username: &str) -> Value {
        let (status, body) =
            self.post("/api/users", json!({ "username": username, "email": format!("{username}@example.com"), "password": "correct horse" })).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    async fn token(&self, username: &str) -> String {
        let (status, body) =
            self.post("/api/users/login", json!({ "username": username, "password": "correct horse" })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["token"].as_str().expect("a token").to_string()
    }
}

#[tokio::test]
async fn register_read_list_update_delete() {
    let harness = spawn().await;
    let alice = harness.register("alice").await;
    assert_eq!(alice["username"], "alice");
    assert!(alice.get("password_hash").is_none() && alice.get("password").is_none());
    let id = alice["id"].as_i64().expect("an id");
    let (status, read) = harness.get(&format!("/api/users/{id}")).await;
    assert_eq!((status, read["email"].as_str()), (StatusCode::OK, Some("alice@example.com")));

    harness.register("bob").await;
    let (status, page) = harness.get("/api/users?limit=1&offset=1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"][0]["username"], "bob");

    let token = harness.token("alice").await;
    let response = harness
        .http
        .patch(harness.app.url(&format!("/api/users/{id}")))
        .bearer_auth(&token)
        .json(&json!({ "email": "Alice@New.Example" }))
        .send()
        .await
        .expect("a response");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.expect("json")["email"], "alice@new.example");

    let response = harness
        .http
        .delete(harness.app.url(&format!("/api/users/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("a response");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, body) = harness.get(&format!("/api/users/{id}")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
}

#[tokio::test]
async fn usernames_and_emails_are_unique_and_the_conflict_names_the_field() {
    let harness = spawn().await;
    harness.register("carol").await;
    let (status, body) = harness
        .post("/api/users", json!({ "username": "carol", "email": "other@example.com", "password": "12345678" }))
        .await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::CONFLICT, Some("username")));
    let (status, body) = harness
        .post("/api/users", json!({ "username": "carol2", "email": "CAROL@example.com", "password": "12345678" }))
        .await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::CONFLICT, Some("email")));
}

#[tokio::test]
async fn every_bad_input_is_a_4xx_json_error() {
    let harness = spawn().await;
    let cases = [
        (
            json!({ "username": "Al", "email": "a@example.com", "password": "12345678" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "username",
        ),
        (
            json!({ "username": "has space", "email": "a@example.com", "password": "12345678" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "username",
        ),
        (
            json!({ "username": "dave", "email": "not-an-email", "password": "12345678" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "email",
        ),
        (
            json!({ "username": "dave", "email": "d@example.com", "password": "short" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "password",
        ),
    ];
    for (body, status, field) in cases {
        let (got, answer) = harness.post("/api/users", body.clone()).await;
        assert_eq!((got, answer["error"]["field"].as_str()), (status, Some(field)), "{body}");
    }
    let (status, body) = harness
        .post(
            "/api/users",
            json!({ "username": "dave", "email": "d@example.com", "password": "12345678", "admin": true }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "unknown fields are rejected: {body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("admin")), "{body}");
    let (status, _) =
        harness.post("/api/users", json!({ "username": 5, "email": "d@example.com", "password": "12345678" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "wrong types are rejected");
    let malformed = harness
        .http
        .post(harness.app.url("/api/users"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .expect("a response");
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let not_json =
        harness.http.post(harness.app.url("/api/users")).body("username=x").send().await.expect("a response");
    assert_eq!(not_json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = format!("{{\"username\":\"{}\"}}", "x".repeat(1024 * 1024 + 10));
    let too_large = harness
        .http
        .post(harness.app.url("/api/users"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .expect("a response");
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.json::<Value>().await.expect("json")["error"]["code"], "payload_too_large");
    for path in ["/api/users/abc", "/api/users/0", "/api/users/-3", "/api/users/99999999999999999999"] {
        let (status, body) = harness.get(path).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_id")), "{path}");
    }
    for query in ["limit=0", "limit=101", "offset=-1", "limit=ten"] {
        let (status, _) = harness.get(&format!("/api/users?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
    }
    let (status, body) = harness.get("/api/nothing-here").await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let put = harness.http.put(harness.app.url("/api/users")).send().await.expect("a response");
    assert_eq!(put.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn only_the_user_may_change_their_account_with_a_valid_token() {
    let harness = spawn().await;
    let erin = harness.register("erin").await["id"].as_i64().expect("id");
    harness.register("frank").await;
    let frank_token = harness.token("frank").await;
    let url = harness.app.url(&format!("/api/users/{erin}"));
    let change = json!({ "email": "x@example.com" });
    let missing = harness.http.patch(&url).json(&change).send().await.expect("a response");
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    let garbage = harness.http.patch(&url).bearer_auth("garbage").json(&change).send().await.expect("a response");
    assert_eq!(garbage.status(), StatusCode::UNAUTHORIZED);
    let expired = jwt::sign(SECRET, &Claims { sub: erin.to_string(), iat: 1, exp: 2 });
    let response = harness.http.patch(&url).bearer_auth(expired).json(&change).send().await.expect("a response");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.json::<Value>().await.expect("json")["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("expired")));
    let forged = jwt::sign(
        b"another-secret-another-secret-another",
        &Claims { sub: erin.to_string(), iat: 1, exp: u64::MAX / 2 },
    );
    let response = harness.http.patch(&url).bearer_auth(forged).json(&change).send().await.expect("a response");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let other = harness.http.patch(&url).bearer_auth(&frank_token).json(&change).send().await.expect("a response");
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
    let delete = harness.http.delete(&url).bearer_auth(&frank_token).send().await.expect("a response");
    assert_eq!(delete.status(), StatusCode::FORBIDDEN);
    let (status, _) =
        harness.post("/api/users/login", json!({ "username": "erin", "password": "wrong password" })).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = harness.post("/api/users/login", json!({ "username": "nobody", "password": "whatever1" })).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sql_injection_strings_are_stored_verbatim() {
    let harness = spawn().await;
    let email = "o'brien+x@example.com";
    let password = "'; DROP TABLE users; --";
    let (status, body) =
        harness.post("/api/users", json!({ "username": "obrien", "email": email, "password": password })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["email"], email);
    let (status, _) = harness.post("/api/users/login", json!({ "username": "obrien", "password": password })).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) =
        harness.post("/api/users/login", json!({ "username": "' OR '1'='1", "password": "' OR '1'='1" })).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, page) = harness.get("/api/users").await;
    assert_eq!(page["total"], 1);
}

#[tokio::test]
async fn a_client_over_its_rate_limit_gets_429_with_retry_after() {
    let harness = spawn_with_rate_limit(3).await;
    for _ in 0..3 {
        assert_eq!(harness.get("/api/users").await.0, StatusCode::OK);
    }
    let limited = harness.http.get(harness.app.url("/api/users")).send().await.expect("a response");
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = limited.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=60).contains(&retry_after));
    assert_eq!(harness.get("/health").await.0, StatusCode::OK, "health checks are never throttled");
}

#[tokio::test]
async fn a_client_writing_its_own_forwarded_for_is_still_limited() {
    // Behind CloudFront and the load balancer (2 hops, as the task definitions set): each request
    // claims another leftmost address, but the address CloudFront saw is the same.
    let harness = spawn_behind_proxies(3, 2).await;
    let from = |client: &str, spoofed: usize| {
        let chain = format!("203.0.113.{spoofed}, {client}, 130.176.1.1");
        harness.http.get(harness.app.url("/api/users")).header("x-forwarded-for", chain).send()
    };
    for spoofed in 0..3 {
        assert_eq!(from("198.51.100.7", spoofed).await.expect("a response").status(), StatusCode::OK);
    }
    let limited = from("198.51.100.7", 99).await.expect("a response");
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS, "a new leftmost address is not a new client");
    // Another client behind the same edge has its own allowance.
    assert_eq!(from("198.51.100.8", 0).await.expect("a response").status(), StatusCode::OK);
}

#[tokio::test]
async fn health_follows_the_database_and_headers_are_set() {
    let harness = spawn().await;
    let response = harness
        .http
        .get(harness.app.url("/api/health/users"))
        .header("x-request-id", "trace-me-123")
        .header("origin", "https://app.example")
        .send()
        .await
        .expect("a response");
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["x-request-id"], "trace-me-123");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["access-control-allow-origin"], "https://app.example");
    let foreign = harness
        .http
        .get(harness.app.url("/health"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("a response");
    assert!(foreign.headers().get("access-control-allow-origin").is_none());

    harness.relay.cut().await;
    for path in ["/ready", "/api/health/users"] {
        let (status, body) = harness.get(path).await;
        assert_eq!(
            (status, body["database"].as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable")),
            "{path}"
        );
    }
    // Liveness stays up: a database failover must not make the load balancer and ECS replace
    // every task.
    let (status, body) = harness.get("/health").await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("ok")));
    let (status, body) = harness.get("/api/users").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    harness.relay.restore();
    let mut healthy = false;
    for _ in 0..50 {
        if harness.get("/ready").await.0 == StatusCode::OK {
            healthy = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(healthy, "readiness returns to 200 when the database is back");
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let harness = spawn().await;
    let (status, document) = harness.get("/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    for path in ["/api/users", "/api/users/login", "/api/users/{id}", "/health", "/ready", "/api/health/users"] {
        assert!(document["paths"].get(path).is_some(), "{path} is documented");
    }
}
