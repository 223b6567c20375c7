//! Extractors that answer bad input with a 4xx JSON error instead of axum's plain-text rejections.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::ApiError;

/// A JSON body; unknown fields and wrong types are 422, malformed JSON 400, a missing JSON
/// content type 415, a body over the limit 413.
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(error) => {
            // serde's message names the field and the problem, e.g. "unknown field `x`".
            let detail =
                std::error::Error::source(&error).map(ToString::to_string).unwrap_or_else(|| error.body_text());
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("the JSON body does not fit: {detail}"),
            )
        }
        JsonRejection::JsonSyntaxError(_) => ApiError::bad_request("malformed_json", "the body is not valid JSON"),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with Content-Type: application/json",
        ),
        JsonRejection::BytesRejection(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the body is larger than 1 MB")
        }
        other => ApiError::bad_request("invalid_body", other.body_text()),
    }
}

/// Query parameters; bad ones are 400.
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state).await.map(|query| Query(query.0)).map_err(
            |rejection: QueryRejection| {
                let detail = std::error::Error::source(&rejection).map(ToString::to_string).unwrap_or_default();
                ApiError::bad_request("invalid_query", format!("the query string does not fit: {detail}"))
            },
        )
    }
}

/// Path ids: every segment must be a positive integer that fits in 64 bits, or the answer is 400.
pub struct Ids<const N: usize>(pub [i64; N]);

impl<S, const N: usize> FromRequestParts<S> for Ids<N>
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let raw = axum::extract::Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|rejection: PathRejection| ApiError::bad_request("invalid_path", rejection.body_text()))?;
        let mut ids = [0i64; N];
        if raw.len() != N {
            return Err(ApiError::bad_request("invalid_path", "unexpected path parameters"));
        }
        for (slot, (name, value)) in ids.iter_mut().zip(raw.0.iter()) {
            *slot = value.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
                ApiError::bad_request("invalid_id", format!("{name} must be a positive integer"))
                    .with_field(name.clone())
            })?;
        }
        Ok(Ids(ids))
    }
}

/// Pagination parameters shared by list endpoints: `limit` 1–100 (default 20), `offset` ≥ 0.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
pub struct Page {
    #[serde(default = "default_limit")]
    pub limit: i64,
    #[serde(default)]
    pub offset: i64,
}

fn default_limit() -> i64 {
    20
}

impl Page {
    pub fn validated(limit: Option<i64>, offset: Option<i64>) -> Result<Page, ApiError> {
        let limit = limit.unwrap_or_else(default_limit);
        let offset = offset.unwrap_or(0);
        if !(1..=100).contains(&limit) {
            return Err(ApiError::bad_request("invalid_query", "limit must be between 1 and 100").with_field("limit"));
        }
        if offset < 0 {
            return Err(ApiError::bad_request("invalid_query", "offset must be 0 or more").with_field("offset"));
        }
        Ok(Page { limit, offset })
    }
}
