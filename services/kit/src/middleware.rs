//! Middleware every service stacks the same way: request ids, access logs, security headers,
//! per-client rate limits, CORS, the 1 MB body limit, and JSON answers for unknown routes.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;

use crate::ApiError;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request id of the current request (taken from `X-Request-Id` when it is sane, else new).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub String);

fn new_request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{:x}-{:x}-{:x}", nanos, std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

fn is_sane_request_id(value: &str) -> bool {
    (1..=128).contains(&value.len()) && value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
}

/// Assigns the request id, logs one JSON line per request, and echoes the id in the response.
pub async fn request_id_and_log(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|value| is_sane_request_id(value))
        .map_or_else(new_request_id, str::to_string);
    request.extensions_mut().insert(RequestId(id.clone()));
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let started = Instant::now();
    let mut response = next.run(request).await;
    let status = response.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::error!(request_id = %id, %method, %path, status, elapsed_ms, "request");
    } else {
        tracing::info!(request_id = %id, %method, %path, status, elapsed_ms, "request");
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// Security headers for a JSON API: no sniffing, no framing, no referrer, no caching, HSTS.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    );
    headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

/// A token bucket per client address: `per_minute` requests, refilled continuously.
#[derive(Clone)]
pub struct RateLimiter {
    per_minute: u32,
    trusted_proxy_hops: usize,
    buckets: Arc<Mutex<HashMap<IpAddr, (f64, Instant)>>>,
}

/// The address a request came from, as the rate limiter decided it: what other services are told
/// when this one calls them on the request's behalf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// The client's address, given the `X-Forwarded-For` chain, the peer's address and how many
/// proxies in front of the service append to the chain. Each trusted proxy appends the address
/// it was called from, so the client is the entry `hops` places left of the peer; everything left
/// of that was written by the client and proves nothing. ALB appends by default
/// (`routing.http.xff_header_processing.mode` = `append`, "Application Load Balancer: HTTP
/// headers"), and so does CloudFront ("If the viewer request includes X-Forwarded-For, CloudFront
/// appends the viewer IP address", "CloudFront: request and response behavior for custom
/// origins"). A chain shorter than `hops` (the request skipped a proxy) gives its leftmost
/// address; an entry that is not an address gives the nearest address right of it.
pub fn client_address(forwarded_for: Option<&str>, peer: Option<IpAddr>, hops: usize) -> Option<IpAddr> {
    let mut chain: Vec<Option<IpAddr>> = forwarded_for
        .map(|header| header.split(',').map(|entry| entry.trim().parse().ok()).collect())
        .unwrap_or_default();
    chain.push(peer);
    let position = chain.len().saturating_sub(1).saturating_sub(hops);
    chain[position..].iter().flatten().next().copied()
}

impl RateLimiter {
    /// `trusted_proxy_hops`: how many proxies in front of the service append to
    /// `X-Forwarded-For` (0: the peer is the client).
    pub fn new(per_minute: u32, trusted_proxy_hops: usize) -> RateLimiter {
        RateLimiter { per_minute: per_minute.max(1), trusted_proxy_hops, buckets: Arc::new(Mutex::new(HashMap::new())) }
    }

    /// Takes one token for `client`; `Err(seconds)` says how long until one is available.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() > 100_000 {
            // Forget idle clients rather than grow without bound.
            buckets.retain(|_, (_, last)| now.duration_since(*last).as_secs() < 60);
        }
        let (tokens, last) = buckets.entry(client).or_insert((capacity, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * per_second).min(capacity);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / per_second).ceil().max(1.0) as u64)
        }
    }

    fn client(&self, request: &Request) -> Option<IpAddr> {
        let forwarded_for = request.headers().get("x-forwarded-for").and_then(|value| value.to_str().ok());
        let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
        client_address(forwarded_for, peer, self.trusted_proxy_hops)
    }
}

pub async fn rate_limit(State(limiter): State<RateLimiter>, mut request: Request, next: Next) -> Response {
    // Health checks come from the load balancer and monitors and must never be throttled.
    let path = request.uri().path();
    if path.ends_with("/health") || path == "/ready" || path.starts_with("/api/health/") {
        return next.run(request).await;
    }
    if let Some(client) = limiter.client(&request) {
        request.extensions_mut().insert(ClientAddress(client));
        if let Err(seconds) = limiter.check(client, Instant::now()) {
            return ApiError {
                retry_after: Some(seconds),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    "too many requests; retry after the delay in Retry-After",
                )
            }
            .into_response();
        }
    }
    next.run(request).await
}

/// The CORS layer: only the configured origins; none means same-origin only.
pub fn cors(origins: &[String]) -> tower_http::cors::CorsLayer {
    let origins: Vec<HeaderValue> = origins.iter().filter_map(|origin| HeaderValue::from_str(origin).ok()).collect();
    tower_http::cors::CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, REQUEST_ID])
        .expose_headers([REQUEST_ID, HeaderName::from_static("x-cache")])
        .max_age(std::time::Duration::from_secs(600))
}

async fn route_not_found(request: Request) -> ApiError {
    ApiError::not_found(format!("no route for {} {}", request.method(), request.uri().path()))
}

async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{} is not allowed on {}", request.method(), request.uri().path()),
    )
}

/// The settings the shared stack of layers needs.
#[derive(Clone)]
pub struct Layers {
    pub cors_origins: Vec<String>,
    pub rate_limiter: RateLimiter,
}

/// Wraps a service's routes in the shared layers, outermost first: request id and log, security
/// headers, CORS, rate limit, 1 MB body limit; unknown routes and methods answer JSON.
pub fn wrap(router: Router, layers: Layers) -> Router {
    router
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(1024 * 1024))
        .layer(axum::middleware::from_fn_with_state(layers.rate_limiter, rate_limit))
        .layer(cors(&layers.cors_origins))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(axum::middleware::from_fn(request_id_and_log))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_client_is_the_address_the_trusted_proxies_saw_and_a_spoofed_chain_changes_nothing() {
        let ip = |text: &str| Some(text.parse::<IpAddr>().expect("an address"));
        let alb = ip("10.0.1.5");
        // Browser -> ALB -> service: the ALB appends the browser's address.
        assert_eq!(client_address(Some("198.51.100.7"), alb, 1), ip("198.51.100.7"));
        // Browser -> CloudFront -> ALB -> service, with a chain the browser wrote itself.
        let spoofed = "1.2.3.4, 5.6.7.8, 198.51.100.7, 130.176.1.1";
        assert_eq!(client_address(Some(spoofed), alb, 2), ip("198.51.100.7"));
        assert_eq!(client_address(Some("9.9.9.9, 198.51.100.7, 130.176.1.1"), alb, 2), ip("198.51.100.7"));
        // A request that skipped CloudFront has a shorter chain: its leftmost entry.
        assert_eq!(client_address(Some("198.51.100.7"), alb, 2), ip("198.51.100.7"));
        assert_eq!(client_address(None, alb, 2), alb);
        // No trusted proxy: the peer, whatever the header says.
        assert_eq!(client_address(Some("1.2.3.4"), alb, 0), alb);
        // Garbage where the client should be: the nearest address a proxy wrote.
        assert_eq!(client_address(Some("not-an-ip, 198.51.100.7"), alb, 2), ip("198.51.100.7"));
        assert_eq!(client_address(Some("2001:db8::1"), alb, 1), ip("2001:db8::1"));
        assert_eq!(client_address(None, None, 1), None);
    }

    #[test]
    fn the_bucket_empties_then_refills() {
        let limiter = RateLimiter::new(2, 0);
        let client: IpAddr = "127.0.0.1".parse().expect("an address");
        let start = Instant::now();
        assert!(limiter.check(client, start).is_ok());
        assert!(limiter.check(client, start).is_ok());
        assert_eq!(limiter.check(client, start), Err(30));
        assert!(limiter.check(client, start + Duration::from_secs(31)).is_ok());
        let other: IpAddr = "127.0.0.2".parse().expect("an address");
        assert!(limiter.check(other, start).is_ok());
    }

    #[test]
    fn request_ids_from_clients_are_checked() {
        assert!(is_sane_request_id("abc-123"));
        assert!(!is_sane_request_id("abc 123\n"));
        assert!(!is_sane_request_id(""));
    }
}

/// Who a request came from, to pass on when calling other services: its request id, and the
/// client's address as this service's rate limiter decided it (never the client-written part of
/// the chain), sent as `X-Forwarded-For`. The callee's own proxies append to it as to any client's
/// request, so the callee counts the same client at the same number of hops.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Caller {
    pub request_id: String,
    pub forwarded_for: String,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let request_id = parts.extensions.get::<RequestId>().map(|id| id.0.clone()).unwrap_or_else(new_request_id);
        let client = parts.extensions.get::<ClientAddress>().map(|client| client.0);
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
        let forwarded_for = client.or(peer).map(|address| address.to_string()).unwrap_or_default();
        Ok(Caller { request_id, forwarded_for })
    }
}
