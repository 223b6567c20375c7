//! The one error type of every service: a status and a stable JSON body
//! `{ "error": { "code", "message", "field"? } }`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    /// A stable, machine-readable code such as `not_found` or `validation_failed`.
    pub code: &'static str,
    pub message: String,
    /// The request field the error is about, when there is one.
    pub field: Option<String>,
    /// Seconds to wait before retrying (429 and 503).
    pub retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), field: None, retry_after: None }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    pub fn validation(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", message).with_field(field)
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn conflict(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "already_exists", message).with_field(field)
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError { retry_after: Some(5), ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message) }
    }

    pub fn internal() -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; the request id is in the logs")
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body { error: Inner { code: self.code, message: &self.message, field: self.field.as_deref() } };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// A database error as an API error: unique violations are 409 naming the field (from the
/// constraint name `<table>_<field>_key`), lost connections 503, anything else 500 (logged).
impl From<tokio_postgres::Error> for ApiError {
    fn from(error: tokio_postgres::Error) -> ApiError {
        if let Some(database_error) = error.as_db_error() {
            if database_error.code() == &tokio_postgres::error::SqlState::UNIQUE_VIOLATION {
                let field = database_error
                    .constraint()
                    .and_then(|constraint| constraint.strip_suffix("_key"))
                    .and_then(|rest| rest.split_once('_').map(|(_, field)| field.to_string()))
                    .unwrap_or_else(|| "unknown".into());
                return ApiError::conflict(&field, format!("{field} is already taken"));
            }
            if database_error.code() == &tokio_postgres::error::SqlState::CHECK_VIOLATION {
                return ApiError::validation("body", "a value is outside its allowed range");
            }
        }
        if error.is_closed() || error.as_db_error().is_none() {
            tracing::warn!(error = %error, "database unavailable");
            return ApiError::unavailable("the database is unavailable; try again shortly");
        }
        tracing::error!(error = %error, "database error");
        ApiError::internal()
    }
}

impl From<deadpool_postgres::PoolError> for ApiError {
    fn from(error: deadpool_postgres::PoolError) -> ApiError {
        match error {
            deadpool_postgres::PoolError::Backend(error) => ApiError::from(error),
            other => {
                tracing::warn!(error = %other, "database pool unavailable");
                ApiError::unavailable("the database is unavailable; try again shortly")
            }
        }
    }
}
