//! The HTTP surface: routes, CORS, body limits, and the guarantee that every error is JSON.

mod account;
mod app_links;
mod auth;
mod db;
mod links;
mod local;
mod storage;
mod two_step;

use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue, Method, Request, StatusCode};
use axum::middleware::{from_fn_with_state, map_response};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::error::{codes, AppError};
use crate::extract::{require_client_key, require_mailbox_token};
use crate::AppState;

/// JSON bodies of the API are small; uploads get their own limit.
const JSON_BODY_LIMIT: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    let upload_limit = DefaultBodyLimit::max(state.config.max_upload_bytes + 64 * 1024);
    let rest = Router::new()
        .route("/auth/signup-email", post(auth::signup_email))
        .route("/auth/signin-email", post(auth::signin_email))
        .route("/auth/send-magic", post(links::send_magic))
        .route("/auth/send-reset", post(links::send_reset))
        .route("/auth/resend", post(links::resend))
        .route("/auth/verify-code", post(links::verify_code))
        .route("/auth/grant", get(links::grant))
        .route("/auth/reset-pwd", post(links::reset_pwd))
        .route("/auth/signout", post(auth::signout))
        .route("/auth/signout-all", post(auth::signout_all))
        .route("/auth/signout-all-except", post(auth::signout_all_except))
        .route("/auth/sessions", get(auth::sessions))
        .route("/auth/user", get(auth::user))
        .route("/auth/change-pwd", post(auth::change_pwd))
        .route("/auth/change-email", post(auth::change_email))
        .route("/auth/mfa", get(two_step::status))
        .route("/auth/mfa/totp/enroll", post(two_step::enroll))
        .route("/auth/mfa/totp/confirm", post(two_step::confirm))
        .route("/auth/mfa/verify", post(two_step::verify))
        .route("/auth/mfa/disable", post(two_step::disable))
        .route("/auth/mfa/recovery-codes", post(two_step::recovery_codes))
        .route("/auth/reauthenticate", post(two_step::reauthenticate))
        .route("/auth/delete-account", post(account::delete_account))
        .route("/auth/export", get(account::export))
        .route("/auth/security-events", get(account::security_events))
        .route("/db/object/get", post(db::get_object))
        .route("/db/object/update", post(db::update_object))
        .route("/storage/bucket/upload-formdata", post(storage::upload_formdata).layer(upload_limit))
        .route("/storage/bucket/upload-object", post(storage::upload_object).layer(upload_limit))
        .route_layer(from_fn_with_state(state.clone(), require_client_key))
        // Opened from a mail in a browser: no client key there.
        .route("/auth/verify", get(links::verify_link));

    let local = Router::new()
        .route("/mail", get(local::list_mail).delete(local::clear_mail))
        .route_layer(from_fn_with_state(state.clone(), require_mailbox_token))
        .route("/metrics", get(crate::metrics::scrape))
        .route("/health", get(local::health))
        .route("/ready", get(local::ready));
    // Answers of the API carry sessions, tokens and personal data: never cached.
    let no_store = SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let rest = rest.layer(no_store.clone());
    let local = local.layer(no_store);

    Router::new()
        .nest("/_api/rest/v1", rest)
        .nest("/_local/v1", local)
        .route("/_storage/{env}/{bucket}/{id}", get(storage::public_file))
        .route("/.well-known/assetlinks.json", get(app_links::assetlinks))
        .route("/.well-known/apple-app-site-association", get(app_links::apple_app_site_association))
        .route(crate::config::REDIRECT_PAGE_PATH, get(app_links::redirect_page))
        // The path App Links claim is a prefix: a slash added on the way lands here too.
        .route(&format!("{}/", crate::config::REDIRECT_PAGE_PATH), get(app_links::redirect_page))
        .fallback(|| async { AppError::not_found(codes::RESOURCE_NOT_FOUND, "No such endpoint.") })
        .method_not_allowed_fallback(|| async { AppError::new(StatusCode::METHOD_NOT_ALLOWED, codes::METHOD_NOT_ALLOWED, "This method is not allowed here.") })
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        // Inside the router, where the matched route's template is known.
        .layer(from_fn_with_state(state.clone(), crate::metrics::track))
        .with_state(state.clone())
        .layer(CatchPanicLayer::custom(|_| AppError::internal().into_response()))
        // A request (its body included) must be answered within the timeout: a client trickling a
        // body cannot hold a connection and a stale view of the account open.
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(state.config.request_timeout_secs.max(1))))
        .layer(map_response(ensure_json_error))
        .layer(SetResponseHeaderLayer::if_not_present(HeaderName::from_static("x-content-type-options"), HeaderValue::from_static("nosniff")))
        // Logs method and path only: query strings carry access tokens and link keys.
        // Each request's lines carry its id (a JSON log's `span.request_id`).
        // One line a request at its end (status, latency), which operators expect of a server.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|r: &Request<_>| tracing::info_span!("request", request_id = %crate::crypto::new_id(), method = %r.method(), path = %r.uri().path()))
                .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(cors(&state.config.cors_origins))
        .layer(hsts(&state.public_url))
}

/// Behind https, browsers are told to use nothing else for a year: a later plain-http visit
/// (a typed address, an old bookmark) would otherwise be open to a downgrade.
fn hsts(public_url: &str) -> tower::util::Either<SetResponseHeaderLayer<HeaderValue>, tower::layer::util::Identity> {
    let https = public_url.starts_with("https://");
    tower::util::option_layer(https.then(|| SetResponseHeaderLayer::overriding(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"))))
}

/// altogic-js sends every request with `credentials: "include"`, so a browser reads an answer
/// only when CORS echoes its origin with Allow-Credentials (never `*`). Nothing here rides on
/// cookies (sessions travel in the `Session` header), so the echo grants a page only what its own
/// script already holds. `null` (sandboxed frames, `file:` and `data:` pages, redirects across
/// origins) is never echoed: any page can make its origin `null`.
fn cors(origins: &[String]) -> CorsLayer {
    let allow = if origins.iter().any(|o| o.trim() == "*") {
        AllowOrigin::predicate(|origin: &HeaderValue, _| origin.as_bytes() != b"null")
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o.trim()).ok()))
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE, Method::OPTIONS])
        .allow_headers([
            HeaderName::from_static("x-client"),
            HeaderName::from_static("x-client-key"),
            HeaderName::from_static("session"),
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
        ])
        .max_age(Duration::from_secs(600))
}

/// The last line of defence: an error that some layer produced without a JSON body (a body limit,
/// a bad query string, …) is rewritten into the Altogic form, because altogic-js hangs otherwise.
async fn ensure_json_error(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let code = match status {
        StatusCode::NOT_FOUND => codes::RESOURCE_NOT_FOUND,
        StatusCode::METHOD_NOT_ALLOWED => codes::METHOD_NOT_ALLOWED,
        StatusCode::PAYLOAD_TOO_LARGE => codes::REQUEST_BODY_SIZE_TOO_LARGE,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => codes::UNSUPPORTED_MEDIA_TYPE,
        StatusCode::TOO_MANY_REQUESTS => codes::RATE_LIMIT_EXCEEDED,
        StatusCode::REQUEST_TIMEOUT => codes::REQUEST_TIMEOUT,
        s if s.is_server_error() => codes::INTERNAL_SERVER_ERROR,
        _ => codes::INVALID_REQUEST,
    };
    let message = status.canonical_reason().unwrap_or("Request failed").to_string();
    AppError::new(status, code, message).into_response()
}
