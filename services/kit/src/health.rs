//! Health checks: the database answers within a second (200), or not (503).

use std::time::Duration;

use axum::http::StatusCode;
use axum::Json;
use deadpool_postgres::Pool;
use serde_json::{json, Value};

/// Whether the database answers `SELECT 1` within a second.
pub async fn database_ok(pool: &Pool) -> bool {
    let check = async {
        let client = pool.get().await.ok()?;
        client.query_one("SELECT 1", &[]).await.ok()
    };
    matches!(tokio::time::timeout(Duration::from_secs(1), check).await, Ok(Some(_)))
}

/// The health answer: 200 when the database is up, 503 otherwise; `extra` adds fields such as
/// the cache's state (which degrades the service but does not make it unhealthy).
pub async fn report(service: &str, pool: &Pool, extra: &[(&str, Value)]) -> (StatusCode, Json<Value>) {
    let database = database_ok(pool).await;
    let mut body = json!({
        "service": service,
        "status": if database { "ok" } else { "unavailable" },
        "database": if database { "ok" } else { "unavailable" },
    });
    for (key, value) in extra {
        body[*key] = value.clone();
    }
    (if database { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, Json(body))
}
