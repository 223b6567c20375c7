//! Bearer-token authentication shared by the services: which user a request speaks for.

use axum::http::{header, HeaderMap};

use crate::jwt;
use crate::ApiError;

/// The user id in the request's valid `Authorization: Bearer <token>`, or a 401 saying why not.
pub fn bearer_user(headers: &HeaderMap, secret: &[u8]) -> Result<i64, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| ApiError::unauthorized("this request needs a bearer token from POST /api/users/login"))?;
    let token = value
        .strip_prefix("Bearer ")
        .ok_or_else(|| ApiError::unauthorized("the Authorization header must be `Bearer <token>`"))?;
    let claims = jwt::verify(secret, token.trim(), jwt::now_seconds())
        .map_err(|error| ApiError::unauthorized(error.to_string()))?;
    claims.sub.parse().map_err(|_| ApiError::unauthorized("the token names no user"))
}
