//! Every error leaves the server as `{"errors":[{origin, code, message, details}]}`: altogic-js hangs
//! forever on a non-JSON error body, so nothing else may be sent.

use altogic::{ErrorBody, ErrorEntry};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::store::StoreError;

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub entry: ErrorEntry,
    pub retry_after: Option<u64>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        let origin = if status.is_server_error() { "server_error" } else { "client_error" };
        AppError { status, entry: ErrorEntry::new(origin, code, message), retry_after: None }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.entry.details = Some(details);
        self
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn validation(param: &str, message: impl Into<String>) -> Self {
        Self::bad_request("validation_error", message).with_details(serde_json::json!({ "param": param }))
    }

    pub fn missing_session() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "missing_session_token", "No valid session token provided in 'Session' header.")
    }

    pub fn invalid_session() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_session_token", "The session token was not authorized or has expired.")
    }

    pub fn invalid_access_token() -> Self {
        Self::new(StatusCode::FORBIDDEN, "invalid_access_token", "Invalid or expired access token.")
    }

    pub fn permission_denied(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "permission_denied", message)
    }

    pub fn not_found(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn rate_limited(retry_after: u64) -> Self {
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limit_exceeded", "Too many requests. Please wait a moment and try again.")
            .with_details(serde_json::json!({ "retryAfter": retry_after }));
        e.retry_after = Some(retry_after);
        e
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_server_error", "An internal server error occurred. Please try again.")
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        // The cause goes to the log, never to the client.
        tracing::error!(error = %e, "store failure");
        AppError::internal()
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = ErrorBody { errors: vec![self.entry] };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
