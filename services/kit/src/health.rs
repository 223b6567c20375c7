//! Health checks, in two kinds. Liveness (`/health`: the process answers) is what the load
//! balancer and the container health check call: a slow or failing-over database must not make
//! ECS replace every task. Readiness (`/ready`, `/api/health/<name>`: the database answers within
//! a second, 200, or not, 503) is reported, for people, monitors and alarms.

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

/// The liveness answer: the process is up and serving, whatever its dependencies do.
pub fn alive(service: &str) -> (StatusCode, Json<Value>) {
    (StatusCode::OK, Json(json!({ "service": service, "status": "ok" })))
}

/// The readiness answer: 200 when the database is up, 503 otherwise; `extra` adds fields such as
/// the cache's state (which degrades the service but does not make it unready). A database that
/// stops answering is logged as a warning, so the log shows it even when nobody asks.
pub async fn report(service: &str, pool: &Pool, extra: &[(&str, Value)]) -> (StatusCode, Json<Value>) {
    let database = database_ok(pool).await;
    if !database {
        tracing::warn!(service, "not ready: the database does not answer within a second");
    }
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
