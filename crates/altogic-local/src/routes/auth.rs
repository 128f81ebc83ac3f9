//! `/_api/rest/v1/auth/*`: the e-mail flows of spec §3 and §4.

use std::collections::HashMap;

use altogic::{AuthGrant, ChangeEmailRequest, ChangePasswordRequest, CodeExchange, ResetPasswordRequest, Session, SignInRequest, SignOutRequest, SignUpRequest, User, VerifyCodeRequest};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::accounts::*;
use crate::crypto::{code_matches, new_id, split_token, verifier_matches};
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, AuthSession, ClientIp};
use crate::mail::MailKind;
use crate::store::{StoreError, UserRow};
use crate::time::{now_iso, unix_now};
use crate::AppState;

/// Wrong password and unknown e-mail answer exactly this, so neither tells which.
fn invalid_credentials() -> AppError {
    AppError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "Invalid credentials. Email or password provided is invalid.")
}

fn user_agent(headers: &HeaderMap) -> String {
    headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

fn query_email(query: &HashMap<String, String>) -> AppResult<String> {
    normalize_email(query.get("email").map(String::as_str).unwrap_or(""))
}

pub async fn signup_email(State(state): State<AppState>, ClientIp(ip): ClientIp, headers: HeaderMap, ApiJson(body): ApiJson<SignUpRequest>) -> AppResult<Json<AuthGrant>> {
    state.auth_limiter.check(&format!("signup:{ip}"))?;
    let email = normalize_email(&body.email)?;
    validate_password(&body.password, "password")?;
    let (name, profile_picture, extra) = user_data(body.name_or_user_data.or(body.name))?;
    let verify = state.config.email_verification;
    let now = now_iso();
    let user = UserRow {
        id: new_id(),
        email: email.clone(),
        password_hash: state.hasher.hash(&body.password).await,
        name,
        profile_picture,
        email_verified: false,
        provider: "altogic".into(),
        sign_up_at: now.clone(),
        last_login_at: now,
        extra,
    };
    match state.store.insert_user(&user).await {
        Ok(()) => {}
        Err(StoreError::Conflict) if verify => {
            // Answer as for a new account (no enumeration) and tell the owner instead.
            if state.mail_limiter.check(&email).is_ok() {
                if let Some(owner) = state.store.user_by_email(&email).await? {
                    send_link(&state, &owner, MailKind::AccountExists, &email, None).await?;
                }
            }
            return Ok(Json(AuthGrant { user: user_to_wire(&user), session: None }));
        }
        Err(StoreError::Conflict) => {
            return Err(AppError::bad_request("email_not_unique", "A user with the provided email already exists.")
                .with_details(serde_json::json!({ "param": "email", "value": email })));
        }
        Err(e) => return Err(e.into()),
    }
    if verify {
        if state.mail_limiter.check(&email).is_ok() {
            send_link(&state, &user, MailKind::EmailConfirm, &email, None).await?;
        }
        return Ok(Json(AuthGrant { user: user_to_wire(&user), session: None }));
    }
    let session = issue_session(&state, &user, &user_agent(&headers)).await?;
    Ok(Json(AuthGrant { user: user_to_wire(&user), session: Some(session) }))
}

pub async fn signin_email(State(state): State<AppState>, ClientIp(ip): ClientIp, headers: HeaderMap, ApiJson(body): ApiJson<SignInRequest>) -> AppResult<Json<AuthGrant>> {
    state.auth_limiter.check(&format!("signin:{ip}"))?;
    let Ok(email) = normalize_email(&body.email) else {
        return Err(invalid_credentials());
    };
    let found = state.store.user_by_email(&email).await?;
    if !state.hasher.verify(&body.password, found.as_ref().map(|u| u.password_hash.as_str())).await {
        return Err(invalid_credentials());
    }
    let mut user = found.ok_or_else(invalid_credentials)?;
    if state.config.email_verification && !user.email_verified {
        return Err(AppError::new(StatusCode::UNAUTHORIZED, "email_not_verified", "The email address has not been verified yet."));
    }
    user.last_login_at = now_iso();
    state.store.update_user(&user).await?;
    let session = issue_session(&state, &user, &user_agent(&headers)).await?;
    Ok(Json(AuthGrant { user: user_to_wire(&user), session: Some(session) }))
}

/// Shared by send-magic, send-reset and resend: the same empty 200 whether or not the address has
/// an account; the per-recipient limit is checked first so it cannot tell either.
async fn mail_request(state: &AppState, ip: &str, query: &HashMap<String, String>, kind: MailKind) -> AppResult<StatusCode> {
    state.auth_limiter.check(&format!("mail:{ip}"))?;
    let email = query_email(query)?;
    state.mail_limiter.check(&email)?;
    if let Some(user) = state.store.user_by_email(&email).await? {
        let wanted = kind != MailKind::EmailConfirm || !user.email_verified;
        if wanted {
            send_link(state, &user, kind, &email, None).await?;
        }
    }
    Ok(StatusCode::OK)
}

pub async fn send_magic(State(state): State<AppState>, ClientIp(ip): ClientIp, Query(q): Query<HashMap<String, String>>) -> AppResult<StatusCode> {
    mail_request(&state, &ip, &q, MailKind::MagicLink).await
}

pub async fn send_reset(State(state): State<AppState>, ClientIp(ip): ClientIp, Query(q): Query<HashMap<String, String>>) -> AppResult<StatusCode> {
    mail_request(&state, &ip, &q, MailKind::ResetPwd).await
}

pub async fn resend(State(state): State<AppState>, ClientIp(ip): ClientIp, Query(q): Query<HashMap<String, String>>) -> AppResult<StatusCode> {
    if !state.config.email_verification {
        return Err(AppError::new(StatusCode::UNAUTHORIZED, "email_verification_disabled", "E-mail verification is turned off for this app."));
    }
    mail_request(&state, &ip, &q, MailKind::EmailConfirm).await
}

/// The link in every mail. Opened by a browser (or a mail scanner): answers with a 302 to the
/// app's redirect URL carrying `action`, `status` and `access_token` or `error`.
pub async fn verify_link(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> AppResult<Response> {
    let action = q.get("action").cloned().unwrap_or_default();
    let outcome = match find_link(&state, q.get("key").map(String::as_str).unwrap_or("")).await? {
        Some(link) => open_link(&state, &link).await?,
        None => invalid_link(&action),
    };
    let mut params: Vec<(&str, String)> = Vec::new();
    match outcome {
        LinkOutcome::Done { action, access_token } => {
            params.push(("action", action));
            params.push(("status", "200".into()));
            if let Some(token) = access_token {
                params.push(("access_token", token));
            }
        }
        LinkOutcome::Failed { action, status, code, message } => {
            params.push(("action", action));
            params.push(("status", status.to_string()));
            params.push(("code", code.into()));
            params.push(("error", message.into()));
        }
    }
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str()))).finish();
    let base = &state.config.redirect_url;
    let location = format!("{base}{}{query}", if base.contains('?') { '&' } else { '?' });
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, HeaderValue::from_str(&location).map_err(|_| AppError::internal())?);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    Ok(response)
}

/// A live link for a presented `selector.verifier` key.
async fn find_link(state: &AppState, key: &str) -> AppResult<Option<crate::store::LinkRow>> {
    let Some((selector, verifier)) = split_token(key) else { return Ok(None) };
    let Some(link) = state.store.link(selector).await? else { return Ok(None) };
    let live = verifier_matches(verifier, &link.verifier_hash) && !link.consumed && link.expires_at > unix_now();
    Ok(live.then_some(link))
}

/// altogic-local extension: the 6-digit code of a mail does what opening its link does, for when
/// the link cannot open the app. Five wrong codes disable a mail's code.
pub async fn verify_code(State(state): State<AppState>, ClientIp(ip): ClientIp, ApiJson(body): ApiJson<VerifyCodeRequest>) -> AppResult<Json<CodeExchange>> {
    state.auth_limiter.check(&format!("code:{ip}"))?;
    let invalid = || AppError::bad_request("invalid_code", "The code is invalid or has expired.");
    let Ok(email) = normalize_email(&body.email) else { return Err(invalid()) };
    let code = body.code.trim();
    let links = state.store.live_links_for(&email, unix_now()).await?;
    let usable: Vec<_> = links.into_iter().filter(|l| l.code_attempts < 5).collect();
    if let Some(link) = usable.iter().find(|l| code.len() == 6 && code_matches(&l.selector, code, &l.code_hash)) {
        return match open_link(&state, link).await? {
            LinkOutcome::Done { action, access_token } => Ok(Json(CodeExchange { action, access_token })),
            LinkOutcome::Failed { status, code, message, .. } => Err(AppError::new(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), code, message)),
        };
    }
    for link in &usable {
        state.store.add_code_attempt(&link.selector).await?;
    }
    Err(invalid())
}

/// Checks and burns an access token of one of `actions`, and the link it came from.
async fn redeem_access_token(state: &AppState, key: &str, actions: &[&str]) -> AppResult<UserRow> {
    if key.is_empty() {
        return Err(AppError::bad_request("missing_access_token", "No access token was provided."));
    }
    let (selector, verifier) = split_token(key).ok_or_else(AppError::invalid_access_token)?;
    let token = state.store.access_token(selector).await?.ok_or_else(AppError::invalid_access_token)?;
    if !verifier_matches(verifier, &token.verifier_hash) || token.expires_at <= unix_now() || !actions.contains(&token.action.as_str()) {
        return Err(AppError::invalid_access_token());
    }
    if !state.store.burn_access_token(selector).await? {
        return Err(AppError::invalid_access_token());
    }
    if let Some(link) = &token.link_selector {
        // A second token of the same link (from an earlier open) loses here.
        if !state.store.consume_link(link).await? {
            return Err(AppError::invalid_access_token());
        }
    }
    state.store.user_by_id(&token.user_id).await?.ok_or_else(AppError::invalid_access_token)
}

pub async fn grant(State(state): State<AppState>, ClientIp(ip): ClientIp, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> AppResult<Json<AuthGrant>> {
    state.auth_limiter.check(&format!("grant:{ip}"))?;
    let key = q.get("key").map(|k| k.trim().replace(' ', "+")).unwrap_or_default();
    let mut user = redeem_access_token(&state, &key, &["email-confirm", "magic-link"]).await?;
    user.last_login_at = now_iso();
    state.store.update_user(&user).await?;
    let session = issue_session(&state, &user, &user_agent(&headers)).await?;
    Ok(Json(AuthGrant { user: user_to_wire(&user), session: Some(session) }))
}

pub async fn reset_pwd(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>, ApiJson(body): ApiJson<ResetPasswordRequest>) -> AppResult<StatusCode> {
    validate_password(&body.new_password, "newPassword")?;
    let key = q.get("key").map(|k| k.trim().to_string()).unwrap_or_default();
    let mut user = redeem_access_token(&state, &key, &["reset-pwd"]).await?;
    user.password_hash = state.hasher.hash(&body.new_password).await;
    state.store.update_user(&user).await?;
    // A reset means the old password may be known to someone else: end every session.
    state.store.delete_sessions_of(&user.id, None).await?;
    Ok(StatusCode::OK)
}

pub async fn signout(State(state): State<AppState>, auth: AuthSession, body: axum::body::Bytes) -> AppResult<StatusCode> {
    // altogic-js sends `{}` or `{"token": …}`; an empty body means the current session too.
    let request: SignOutRequest = if body.iter().all(u8::is_ascii_whitespace) {
        SignOutRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|_| AppError::bad_request("invalid_request_body_syntax", "The request body is not valid JSON."))?
    };
    let token = request.token.filter(|t| !t.trim().is_empty());
    let selector = match token.as_deref().map(str::trim) {
        None => auth.session.selector.clone(),
        // A full token: it must be genuine, not just carry a known selector.
        Some(t) if t.contains('.') => {
            let (selector, verifier) = split_token(t).ok_or_else(session_not_found)?;
            let row = state.store.session(selector).await?.ok_or_else(session_not_found)?;
            if !verifier_matches(verifier, &row.verifier_hash) {
                return Err(session_not_found());
            }
            selector.to_string()
        }
        // A handle from `GET /auth/sessions`.
        Some(handle) => handle.to_string(),
    };
    if !state.store.delete_session(&auth.user.id, &selector).await? {
        return Err(session_not_found());
    }
    Ok(StatusCode::OK)
}

/// Not `invalid_session_token`: that code would make clients drop their own, valid session.
fn session_not_found() -> AppError {
    AppError::not_found("session_not_found", "No such session of this user.")
}

pub async fn signout_all(State(state): State<AppState>, auth: AuthSession) -> AppResult<StatusCode> {
    state.store.delete_sessions_of(&auth.user.id, None).await?;
    Ok(StatusCode::OK)
}

pub async fn signout_all_except(State(state): State<AppState>, auth: AuthSession) -> AppResult<StatusCode> {
    state.store.delete_sessions_of(&auth.user.id, Some(&auth.session.selector)).await?;
    Ok(StatusCode::OK)
}

pub async fn sessions(State(state): State<AppState>, auth: AuthSession) -> AppResult<Json<Vec<Session>>> {
    let now = unix_now();
    let rows = state.store.sessions_of(&auth.user.id).await?;
    let list = rows
        .iter()
        .filter(|s| s.expires_at > now)
        .map(|s| {
            let current = s.selector == auth.session.selector;
            session_to_wire(s, if current { auth.token.clone() } else { s.selector.clone() }, current)
        })
        .collect();
    Ok(Json(list))
}

pub async fn user(auth: AuthSession) -> Json<User> {
    Json(user_to_wire(&auth.user))
}

pub async fn change_pwd(State(state): State<AppState>, auth: AuthSession, ApiJson(body): ApiJson<ChangePasswordRequest>) -> AppResult<StatusCode> {
    state.auth_limiter.check(&format!("pwd:{}", auth.user.id))?;
    validate_password(&body.new_password, "newPassword")?;
    if !state.hasher.verify(&body.old_password, Some(&auth.user.password_hash)).await {
        return Err(AppError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "Invalid credentials. The current password provided is not valid."));
    }
    let mut user = auth.user;
    user.password_hash = state.hasher.hash(&body.new_password).await;
    state.store.update_user(&user).await?;
    // Other devices signed in with the old password are signed out; this one stays.
    state.store.delete_sessions_of(&user.id, Some(&auth.session.selector)).await?;
    Ok(StatusCode::OK)
}

pub async fn change_email(State(state): State<AppState>, auth: AuthSession, ApiJson(body): ApiJson<ChangeEmailRequest>) -> AppResult<Json<User>> {
    state.auth_limiter.check(&format!("email:{}", auth.user.id))?;
    let new_email = normalize_email(&body.new_email)?;
    if !state.hasher.verify(&body.current_password, Some(&auth.user.password_hash)).await {
        return Err(AppError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "Invalid credentials. The current password provided is not valid."));
    }
    if new_email == auth.user.email {
        return Err(AppError::validation("newEmail", "This is already the e-mail address of your account."));
    }
    let mut user = auth.user;
    if state.config.email_verification {
        // The change happens when the new address confirms. Whether it is taken is told only then,
        // on the link, so this call cannot be used to probe for accounts.
        state.mail_limiter.check(&new_email)?;
        // Only the newest request counts: an older link must not switch the address back.
        state.store.consume_links_of(&user.id, "change-email").await?;
        send_link(&state, &user, MailKind::ChangeEmail, &new_email, Some(&new_email)).await?;
        return Ok(Json(user_to_wire(&user)));
    }
    user.email = new_email.clone();
    match state.store.update_user(&user).await {
        Ok(()) => Ok(Json(user_to_wire(&user))),
        Err(StoreError::Conflict) => Err(AppError::bad_request("email_not_unique", "A user with the provided email already exists.")
            .with_details(serde_json::json!({ "param": "newEmail", "value": new_email }))),
        Err(e) => Err(e.into()),
    }
}
