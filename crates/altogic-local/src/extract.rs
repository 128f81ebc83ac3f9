//! Request extractors that answer in the Altogic error form: JSON bodies, the signed-in session,
//! the client key check and the client's address.

use std::net::{IpAddr, SocketAddr};

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use crate::crypto::TokenKey;
use crate::error::{codes, AppError};
use crate::net::{client_ip, limit_key};
use crate::store::{SessionRow, UserRow, USE_RESOLUTION_SECS};
use crate::{ratelimit, AppState};

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
        JsonRejection::JsonDataError(e) => AppError::bad_request(codes::VALIDATION_ERROR, format!("The request body has a wrong or missing field: {}", e.body_text())),
        JsonRejection::JsonSyntaxError(_) => AppError::bad_request(codes::INVALID_REQUEST_BODY_SYNTAX, "The request body is not valid JSON."),
        JsonRejection::MissingJsonContentType(_) => {
            AppError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, codes::UNSUPPORTED_MEDIA_TYPE, "The request body must be JSON (Content-Type: application/json).")
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        other => AppError::bad_request(codes::INVALID_REQUEST_BODY, other.body_text()),
    }
}

pub fn too_large() -> AppError {
    AppError::new(StatusCode::PAYLOAD_TOO_LARGE, codes::REQUEST_BODY_SIZE_TOO_LARGE, "The request body is too large.")
}

/// The signed-in user of a request (`Session` header), or `missing_/invalid_session_token`.
///
/// What it holds is a snapshot taken when the request authenticated: flows that change state pass
/// the session selector and the password hash they checked to the store, which re-checks both in
/// the transaction of the change.
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
        let key = TokenKey::parse(token).ok_or_else(AppError::invalid_session)?;
        let now = state.clock.now();
        let found = state.store.live_session(key, now).await?.ok_or_else(AppError::invalid_session)?;
        // A use moves the session's idle end (contract §3); written at most once a minute, and a
        // failure to write it does not fail the request.
        if found.session.used_at <= now - USE_RESOLUTION_SECS {
            if let Err(e) = state.store.touch_session(&found.session.selector, now, state.config.session_idle_days * 86_400).await {
                tracing::warn!(error = %e, "a session's use was not recorded");
            }
        }
        Ok(AuthSession { user: found.user, session: found.session, token: token.to_string() })
    }
}

/// The client's address (see [`crate::net::client_ip`]): the peer, or behind a trusted proxy the
/// address it forwarded.
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// The rate-limit key of the client's network.
    pub fn key(&self) -> String {
        limit_key(self.0)
    }
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::from([0, 0, 0, 0]));
        // Every X-Forwarded-For line, in order: a proxy may add its own line instead of appending.
        let forwarded: Vec<&str> = parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        let forwarded = (!forwarded.is_empty()).then(|| forwarded.join(","));
        Ok(ClientIp(client_ip(peer, forwarded.as_deref(), &state.config.trusted_proxies)))
    }
}

/// Every REST call must carry the environment's client key (`X-Client-Key`).
pub async fn require_client_key(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let presented = request.headers().get("x-client-key").and_then(|v| v.to_str().ok()).unwrap_or("");
    if presented.is_empty() {
        return AppError::new(StatusCode::UNAUTHORIZED, codes::MISSING_CLIENT_KEY, "No client key provided in the 'X-Client-Key' header.").into_response();
    }
    if !bool::from(presented.as_bytes().ct_eq(state.client_key.as_bytes())) {
        return AppError::new(StatusCode::UNAUTHORIZED, codes::INVALID_CLIENT_KEY, "The client key is not valid for this environment.").into_response();
    }
    next.run(request).await
}

/// The dev mailbox holds live sign-in links: it answers only `Authorization: Bearer <mailbox
/// token>`, a secret of whoever runs the server (never the client key, which ships in apps).
/// Wrong tokens are counted per client network; past `--auth-rate-limit` a minute, the network
/// gets 429 for the rest of the window, for the right token too, so guessing learns nothing.
pub async fn require_mailbox_token(State(state): State<AppState>, ip: ClientIp, request: Request, next: Next) -> Response {
    let Some(expected) = state.mailbox_token.as_deref() else {
        return AppError::not_found(codes::MAILBOX_DISABLED, "The dev mailbox is turned off on this server.").into_response();
    };
    let presented = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::trim);
    let Some(presented) = presented else {
        return AppError::new(StatusCode::UNAUTHORIZED, codes::MISSING_MAILBOX_TOKEN, "The dev mailbox needs 'Authorization: Bearer <mailbox token>'.").into_response();
    };
    let key = format!("ip:mailbox-token:{}", ip.key());
    let limit = state.config.auth_rate_limit;
    if bool::from(presented.as_bytes().ct_eq(expected.as_bytes())) {
        return match ratelimit::still_refused(&state, &key, limit).await {
            Ok(()) => next.run(request).await,
            Err(e) => e.into_response(),
        };
    }
    match ratelimit::counted(&state, &key, limit, ratelimit::CLIENT_WINDOW).await {
        Ok(()) => AppError::new(StatusCode::UNAUTHORIZED, codes::INVALID_MAILBOX_TOKEN, "The mailbox token is not valid.").into_response(),
        Err(e) => e.into_response(),
    }
}
