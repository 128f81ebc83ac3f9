//! Every error leaves the server as `{"errors":[{origin, code, message, details}]}`: altogic-js hangs
//! forever on a non-JSON error body, so nothing else may be sent.

use altogic::{ErrorBody, ErrorEntry};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;


/// Every error code this server sends, in one place (the spec's codes, plus altogic-local's own).
pub mod codes {
    pub const VALIDATION_ERROR: &str = "validation_error";
    pub const INVALID_CREDENTIALS: &str = "invalid_credentials";
    pub const EMAIL_NOT_VERIFIED: &str = "email_not_verified";
    pub const EMAIL_NOT_UNIQUE: &str = "email_not_unique";
    pub const EMAIL_ALREADY_EXISTS: &str = "email_already_exists";
    pub const EMAIL_VERIFICATION_DISABLED: &str = "email_verification_disabled";
    pub const MISSING_SESSION_TOKEN: &str = "missing_session_token";
    pub const INVALID_SESSION_TOKEN: &str = "invalid_session_token";
    pub const SESSION_NOT_FOUND: &str = "session_not_found";
    pub const MISSING_ACCESS_TOKEN: &str = "missing_access_token";
    pub const INVALID_ACCESS_TOKEN: &str = "invalid_access_token";
    pub use altogic::account_security::codes::{INVALID_CODE, INVALID_MFA_TICKET, MFA_NOT_ENABLED, MFA_REQUIRED, REAUTHENTICATION_REQUIRED};
    pub const INVALID_CODE_CHALLENGE: &str = "invalid_code_challenge";
    pub const INVALID_CODE_VERIFIER: &str = "invalid_code_verifier";
    pub const MISSING_CLIENT_KEY: &str = "missing_client_key";
    pub const INVALID_CLIENT_KEY: &str = "invalid_client_key";
    pub const MISSING_MAILBOX_TOKEN: &str = "missing_mailbox_token";
    pub const INVALID_MAILBOX_TOKEN: &str = "invalid_mailbox_token";
    pub const MAILBOX_DISABLED: &str = "mailbox_disabled";
    pub const INVALID_METRICS_TOKEN: &str = "invalid_metrics_token";
    pub const PERMISSION_DENIED: &str = "permission_denied";
    pub const RATE_LIMIT_EXCEEDED: &str = "rate_limit_exceeded";
    pub const STALE_REQUEST: &str = "stale_request";
    pub const STORAGE_QUOTA_EXCEEDED: &str = "storage_quota_exceeded";
    pub const SERVER_BUSY: &str = "server_busy";
    pub const NOT_READY: &str = "not_ready";
    pub const STORAGE_UNAVAILABLE: &str = "storage_unavailable";
    pub const REQUEST_TIMEOUT: &str = "request_timeout";
    pub const INTERNAL_SERVER_ERROR: &str = "internal_server_error";
    pub const INVALID_REQUEST_BODY_SYNTAX: &str = "invalid_request_body_syntax";
    pub const MODEL_NOT_FOUND: &str = "model_not_found";
    pub const RESOURCE_NOT_FOUND: &str = "resource_not_found";
    pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
    pub const REQUEST_BODY_SIZE_TOO_LARGE: &str = "request_body_size_too_large";
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
    pub const INVALID_REQUEST: &str = "invalid_request";
    pub const BUCKET_NOT_FOUND: &str = "bucket_not_found";
    pub const FILE_UPLOAD_ERROR: &str = "file_upload_error";
    pub const FILE_NOT_FOUND: &str = "file_not_found";
    pub const INVALID_REQUEST_BODY: &str = "invalid_request_body";
    pub const CONFLICT: &str = "conflict";
}

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
        Self::bad_request(codes::VALIDATION_ERROR, message).with_details(serde_json::json!({ "param": param }))
    }

    pub fn missing_session() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, codes::MISSING_SESSION_TOKEN, "No valid session token provided in 'Session' header.")
    }

    pub fn invalid_session() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, codes::INVALID_SESSION_TOKEN, "The session token was not authorized or has expired.")
    }

    pub fn invalid_access_token() -> Self {
        Self::new(StatusCode::FORBIDDEN, codes::INVALID_ACCESS_TOKEN, "Invalid or expired access token.")
    }

    pub fn permission_denied(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, codes::PERMISSION_DENIED, message)
    }

    pub fn not_found(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn rate_limited(retry_after: u64) -> Self {
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, codes::RATE_LIMIT_EXCEEDED, "Too many requests. Please wait a moment and try again.")
            .with_details(serde_json::json!({ "retryAfter": retry_after }));
        e.retry_after = Some(retry_after);
        e
    }

    pub fn invalid_code_verifier() -> Self {
        Self::bad_request(codes::INVALID_CODE_VERIFIER, "This link was requested on another device: its code verifier is missing or wrong.")
    }

    /// The request's session or password changed while it was in flight: it must not apply.
    pub fn stale() -> Self {
        Self::new(StatusCode::CONFLICT, codes::STALE_REQUEST, "Your account changed while this request was in progress. Sign in again and retry.")
    }

    pub fn invalid_credentials(message: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, codes::INVALID_CREDENTIALS, message)
    }

    pub fn reauthentication_required() -> Self {
        Self::new(StatusCode::FORBIDDEN, codes::REAUTHENTICATION_REQUIRED, "Please confirm it is you: re-authenticate, then try again.")
    }

    pub fn busy() -> Self {
        let mut e = Self::new(StatusCode::SERVICE_UNAVAILABLE, codes::SERVER_BUSY, "The server is busy. Please try again in a moment.");
        e.retry_after = Some(1);
        e
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, codes::INTERNAL_SERVER_ERROR, "An internal server error occurred. Please try again.")
    }
}

/// The password-hash queue is full (see [`crate::crypto::PasswordHasherPool`]).
#[derive(Debug)]
pub struct Overloaded;

impl From<Overloaded> for AppError {
    fn from(_: Overloaded) -> Self {
        AppError::busy()
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let shed = self.entry.code == codes::SERVER_BUSY;
        let body = ErrorBody { errors: vec![self.entry] };
        let mut response = (self.status, axum::Json(body)).into_response();
        if shed {
            response.extensions_mut().insert(Shed);
        }
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// Marks an answer that refused a request because the server was overloaded (`server_busy`):
/// what `altogic_shed_total` counts, unlike other 503s (not ready, storage unavailable).
#[derive(Clone, Copy)]
pub struct Shed;
