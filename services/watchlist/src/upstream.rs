//! Calls to the user and movie services: short timeouts, the request id passed on, and answers
//! turned into "exists", "missing" or "unavailable".

use std::time::Duration;

use watchlist_kit::middleware::{Caller, REQUEST_ID};
use watchlist_kit::ApiError;

#[derive(Clone)]
pub struct Upstream {
    http: reqwest::Client,
    pub user_service_url: String,
    pub movie_service_url: String,
}

impl Upstream {
    pub fn new(user_service_url: &str, movie_service_url: &str, timeout: Duration) -> Upstream {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(1)))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        Upstream {
            http,
            user_service_url: user_service_url.trim_end_matches('/').to_string(),
            movie_service_url: movie_service_url.trim_end_matches('/').to_string(),
        }
    }

    /// GETs `url`: `Some(body)` on 200, `None` on 404, 503 when the service cannot answer.
    async fn fetch(&self, service: &str, url: &str, caller: &Caller) -> Result<Option<serde_json::Value>, ApiError> {
        let unavailable = || ApiError::unavailable(format!("the {service} service is unavailable; try again shortly"));
        let request_id = caller.request_id.as_str();
        let mut request = self.http.get(url).header(REQUEST_ID, request_id);
        if !caller.forwarded_for.is_empty() {
            request = request.header("x-forwarded-for", &caller.forwarded_for);
        }
        let response = request.send().await.map_err(|error| {
            tracing::warn!(request_id, service, %error, "upstream call failed");
            unavailable()
        })?;
        match response.status() {
            reqwest::StatusCode::OK => response.json().await.map(Some).map_err(|_| unavailable()),
            reqwest::StatusCode::NOT_FOUND => Ok(None),
            status => {
                tracing::warn!(request_id, service, status = status.as_u16(), "upstream answered with an error");
                Err(unavailable())
            }
        }
    }

    pub async fn user(&self, id: i64, caller: &Caller) -> Result<Option<serde_json::Value>, ApiError> {
        self.fetch("user", &format!("{}/api/users/{id}", self.user_service_url), caller).await
    }

    pub async fn movie(&self, id: i64, caller: &Caller) -> Result<Option<serde_json::Value>, ApiError> {
        self.fetch("movie", &format!("{}/api/movies/{id}", self.movie_service_url), caller).await
    }
}
