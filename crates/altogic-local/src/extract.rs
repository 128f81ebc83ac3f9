//! Request extractors that answer in the Altogic error form: JSON bodies, the signed-in session,
//! the client key check and the client's address.

use std::net::SocketAddr;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use crate::crypto::{split_token, verifier_matches};
use crate::error::AppError;
use crate::store::{SessionRow, UserRow};
use crate::time::unix_now;
use crate::AppState;

/// `axum::Json`, but a bad body is a 4xx in the Altogic form.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> AppError {
    match rejection {
        JsonRejection::JsonDataError(e) => AppError::bad_request("validation_error", format!("The request body has a wrong or missing field: {}", e.body_text())),
        JsonRejection::JsonSyntaxError(_) => AppError::bad_request("invalid_request_body_syntax", "The request body is not valid JSON."),
        JsonRejection::MissingJsonContentType(_) => {
            AppError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "The request body must be JSON (Content-Type: application/json).")
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        other => AppError::bad_request("invalid_request_body", other.body_text()),
    }
}

pub fn too_large() -> AppError {
    AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "request_body_size_too_large", "The request body is too large.")
}

/// The signed-in user of a request (`Session` header), or `missing_/invalid_session_token`.
pub struct AuthSession {
    pub user: UserRow,
    pub session: SessionRow,
    /// The token as presented: it is the current session's `token` on the wire.
    pub token: String,
}

impl FromRequestParts<AppState> for AuthSession {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = parts.headers.get("session").and_then(|v| v.to_str().ok()).map(str::trim).unwrap_or("");
        if token.is_empty() {
            return Err(AppError::missing_session());
        }
        let (selector, verifier) = split_token(token).ok_or_else(AppError::invalid_session)?;
        let session = state.store.session(selector).await?.ok_or_else(AppError::invalid_session)?;
        if !verifier_matches(verifier, &session.verifier_hash) || session.expires_at <= unix_now() {
            return Err(AppError::invalid_session());
        }
        let user = state.store.user_by_id(&session.user_id).await?.ok_or_else(AppError::invalid_session)?;
        Ok(AuthSession { user, session, token: token.to_string() })
    }
}

/// The client's IP, for rate limits.
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let ip = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_else(|| "unknown".into());
        Ok(ClientIp(ip))
    }
}

/// Every REST call must carry the environment's client key (`X-Client-Key`).
pub async fn require_client_key(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let presented = request.headers().get("x-client-key").and_then(|v| v.to_str().ok()).unwrap_or("");
    if presented.is_empty() {
        return AppError::new(StatusCode::UNAUTHORIZED, "missing_client_key", "No client key provided in the 'X-Client-Key' header.").into_response();
    }
    if !bool::from(presented.as_bytes().ct_eq(state.client_key.as_bytes())) {
        return AppError::new(StatusCode::UNAUTHORIZED, "invalid_client_key", "The client key is not valid for this environment.").into_response();
    }
    next.run(request).await
}
