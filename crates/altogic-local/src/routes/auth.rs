//! `/_api/rest/v1/auth/*`: accounts and sessions (spec §3); the mail links are in `links.rs`.
//!
//! Handlers parse and check what the caller sent, do the slow work (password hashing) outside any
//! transaction, then hand one store flow everything it must re-check when it writes.

use std::collections::HashMap;

use altogic::{AuthGrant, ChangeEmailRequest, ChangePasswordRequest, Session, SignInRequest, SignOutRequest, SignUpRequest, User, DEVICE_TOKEN_HEADER};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;

use crate::accounts::*;
use crate::crypto::{new_id, TokenKey};
use crate::domain::{CodeChallenge, Email, Password};
use crate::error::{codes, AppError, AppResult};
use crate::events::{record, record_refusal, signed_in, Actor};
use crate::extract::{ApiJson, AuthSession, ClientIp};
use altogic::account_security::EventType;
use crate::mail::{notice, MailKind, Notice};
use crate::metrics::SignIn;
use crate::ratelimit::{account_slowdown, admit_attempt, counted, per_client, signin_failed, MAIL_WINDOW, SIGNIN_WINDOW};
use super::two_step::{mfa_required, window_start};
use crate::store::{Checked, EmailChange, Registered, RegistrationRow, SessionRow, SignedIn, UserRow};
use crate::two_step::new_ticket;
use crate::time::now_iso;
use crate::AppState;

/// Wrong password and unknown e-mail answer exactly this, so neither tells which.
pub(super) fn invalid_credentials() -> AppError {
    AppError::invalid_credentials("Invalid credentials. Email or password provided is invalid.")
}

pub(super) fn wrong_current_password() -> AppError {
    AppError::invalid_credentials("Invalid credentials. The current password provided is not valid.")
}

pub(super) fn not_verified() -> AppError {
    AppError::new(StatusCode::UNAUTHORIZED, codes::EMAIL_NOT_VERIFIED, "The email address has not been verified yet.")
}

pub(super) fn email_not_unique(param: &str, email: &Email) -> AppError {
    AppError::bad_request(codes::EMAIL_NOT_UNIQUE, "A user with the provided email already exists.").with_details(serde_json::json!({ "param": param, "value": email.as_str() }))
}

pub(super) fn user_agent(headers: &HeaderMap) -> String {
    headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

pub(super) fn query_email(query: &HashMap<String, String>) -> AppResult<Email> {
    Email::parse(query.get("email").map(String::as_str).unwrap_or(""))
}

/// The mail budget of a recipient: per requesting network first (so one anonymous caller cannot
/// use up the address's whole budget), then per recipient. Counted the same whether or not the
/// address has an account.
pub(super) async fn mail_budget(state: &AppState, recipient: &Email, requester: &str) -> AppResult<()> {
    counted(state, &format!("mail:{recipient}:{requester}"), state.config.mail_rate_limit_per_client, MAIL_WINDOW).await?;
    counted(state, &format!("mail:{recipient}"), state.config.mail_rate_limit, MAIL_WINDOW).await
}

pub(super) fn session_out(row: &SessionRow, token: String) -> Option<Session> {
    Some(session_to_wire(row, token, true))
}

pub async fn signup_email(State(state): State<AppState>, ip: ClientIp, actor: Actor, headers: HeaderMap, ApiJson(body): ApiJson<SignUpRequest>) -> AppResult<Json<AuthGrant>> {
    per_client(&state, "signup", &ip.key()).await?;
    let email = Email::parse(&body.email)?;
    let (name, profile_picture, extra) = user_data(body.name_or_user_data.or(body.name))?;
    let password = Password::new(body.password, &[email.as_str(), name.as_deref().unwrap_or("")], state.config.min_password_score)?;
    let challenge = CodeChallenge::from_body(&body.pkce)?;
    let id = new_id();
    let now = now_iso();

    if !state.config.email_verification {
        let password_hash = state.hasher.hash(&password).await?;
        let user = UserRow {
            id,
            email: email.to_string(),
            password_hash,
            name,
            profile_picture,
            email_verified: false,
            provider: "altogic".into(),
            sign_up_at: now.clone(),
            last_login_at: now,
            extra,
        };
        let (session, token) = new_session(&state, &user.id, &user_agent(&headers));
        if !state.store.create_user(&user, &session).await? {
            return Err(email_not_unique("email", &email));
        }
        signed_in(&state, &user, EventType::SignIn, &actor, &session.selector, true).await;
        return Ok(Json(AuthGrant { user: user_to_wire(&user), session: session_out(&session, token), device_token: None }));
    }

    // With verification, a sign-up is only a pending registration until its link is opened, and
    // the answer is the same whether the address was free or taken (no enumeration).
    mail_budget(&state, &email, &ip.key()).await?;
    let password_hash = state.hasher.hash(&password).await?;
    let registration = RegistrationRow {
        id,
        email: email.to_string(),
        password_hash,
        name,
        profile_picture,
        extra,
        created_at: now,
        expires_at: state.clock.now() + state.config.unverified_ttl_days * 86_400,
        claimable: true,
    };
    // Both links are bound to the sign-up's device (PKCE), if it asked for that.
    let bound = Binding::pkce(challenge.as_ref().map(CodeChallenge::as_str));
    let confirm = new_link(&state, &registration.id, MailKind::EmailConfirm, &email, bound);
    // For a taken address the owner is told instead, with a sign-in link (the store fills in the
    // owner's id); nothing of this sign-up touches the account.
    let exists = new_link(&state, "", MailKind::AccountExists, &email, bound);
    match state.store.register(&registration, &confirm.row, &exists.row).await? {
        Registered::Pending => mail_link(&state, MailKind::EmailConfirm, &email, &confirm).await?,
        Registered::Taken { .. } => mail_link(&state, MailKind::AccountExists, &email, &exists).await?,
    }
    Ok(Json(AuthGrant { user: registration_to_wire(&registration), session: None, device_token: None }))
}

/// A password sign-in. Throttled so that nobody else can lock the owner out:
/// - a device that signed in to this account before presents its device token (`X-Device-Token`,
///   OWASP's device cookie) and is counted on its own budget;
/// - any other attempt is counted on its network's budget for the account, and past a number of
///   failures from anywhere it is slowed by up to a few seconds, never refused for the account.
///
/// A successful sign-in without a known device answers a new device token (`deviceToken`).
pub async fn signin_email(State(state): State<AppState>, ip: ClientIp, actor: Actor, headers: HeaderMap, ApiJson(body): ApiJson<SignInRequest>) -> AppResult<Json<AuthGrant>> {
    per_client(&state, "signin", &ip.key()).await?;
    let password = Password::presented(body.password);
    let Ok(email) = Email::parse(&body.email) else {
        return Err(invalid_credentials());
    };
    let found = state.store.user_by_email(email.as_str()).await?;
    // Looked up whenever one is presented, known address or not: the same work either way.
    let presented = match headers.get(DEVICE_TOKEN_HEADER).and_then(|v| v.to_str().ok()).and_then(TokenKey::parse) {
        Some(key) => state.store.device(key, state.clock.now()).await?,
        None => None,
    };
    // Another account's device token is no device of this one.
    let device = presented.filter(|d| found.as_ref().is_some_and(|u| u.id == d.user_id));
    let throttle_key = match &device {
        Some(d) => format!("signin-device:{}", d.selector),
        None => format!("signin:{email}:{}", ip.key()),
    };
    // Counted before the password is checked; decided (and the count cleared by a success) when
    // this function returns.
    let _attempt = match admit_attempt(&state, &throttle_key, state.config.signin_attempts).await {
        Ok(attempt) => attempt,
        Err(refused) => {
            state.metrics.sign_in(SignIn::Throttled);
            if let Some(user) = &found {
                record_refusal(&state, &user.id, EventType::SignInThrottled, &actor);
            }
            return Err(refused);
        }
    };
    if device.is_none() {
        account_slowdown(&state, &email).await?;
    }

    let matches = state.hasher.verify(&password, found.as_ref().map(|u| u.password_hash.as_str())).await?;
    let Some(user) = found.as_ref().filter(|_| matches).cloned() else {
        state.metrics.sign_in(SignIn::Failed);
        if let Some(user) = &found {
            record_refusal(&state, &user.id, EventType::SignInFailed, &actor);
        }
        signin_failed(&state, &email).await?;
        // The password of a pending sign-up answers "not verified", whether or not the address
        // also has an account: signing in after signing up tells nothing about the address.
        if state.config.email_verification {
            if let Some(pending) = state.store.newest_registration(email.as_str(), state.clock.now()).await? {
                if state.hasher.verify(&password, Some(&pending.password_hash)).await? {
                    return Err(not_verified());
                }
            }
        }
        return Err(invalid_credentials());
    };
    if state.config.email_verification && !user.email_verified {
        return Err(not_verified());
    }
    let (session, token) = new_session(&state, &user.id, &user_agent(&headers));
    let new_device = device.is_none().then(|| new_device(&user.id));
    // Used instead of the session when the account has two-step verification on.
    let (ticket, ticket_token) = new_ticket("password", &user_agent(&headers), &throttle_key, device.is_none(), state.clock.now());
    match state.store.sign_in(&user.id, &user.password_hash, &session, new_device.as_ref().map(|(row, _)| row), &ticket, &now_iso(), &throttle_key).await? {
        Checked::Done(SignedIn::Session(user)) => {
            state.metrics.sign_in(SignIn::Ok);
            signed_in(&state, &user, EventType::SignIn, &actor, &session.selector, false).await;
            Ok(Json(AuthGrant { user: user_to_wire(&user), session: session_out(&session, token), device_token: new_device.map(|(_, token)| token) }))
        }
        Checked::Done(SignedIn::SecondStep) => {
            state.metrics.sign_in(SignIn::MfaRequired);
            record(&state, &user.id, EventType::MfaRequired, &actor, None).await;
            Err(mfa_required(ticket_token, ticket.expires_at))
        }
        // The password changed while this request was checking the old one.
        _ => Err(invalid_credentials()),
    }
}

pub async fn signout(State(state): State<AppState>, actor: Actor, auth: AuthSession, body: axum::body::Bytes) -> AppResult<StatusCode> {
    // altogic-js sends `{}` or `{"token": …}`; an empty body means the current session too.
    let request: SignOutRequest = if body.iter().all(u8::is_ascii_whitespace) {
        SignOutRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|_| AppError::bad_request(codes::INVALID_REQUEST_BODY_SYNTAX, "The request body is not valid JSON."))?
    };
    let token = request.token.filter(|t| !t.trim().is_empty());
    let selector = match token.as_deref().map(str::trim) {
        None => auth.session.selector.clone(),
        // A full token: it must be genuine, not just carry a known selector.
        Some(t) if t.contains('.') => {
            let key = TokenKey::parse(t).ok_or_else(session_not_found)?;
            let found = state.store.live_session(key, state.clock.now()).await?.ok_or_else(session_not_found)?;
            found.session.selector
        }
        // A handle from `GET /auth/sessions`.
        Some(handle) => handle.to_string(),
    };
    if !not_applied(state.store.sign_out(&auth.session.selector, &auth.user.id, &selector, state.clock.now()).await?)? {
        return Err(session_not_found());
    }
    record(&state, &auth.user.id, EventType::SessionRevoked, &actor, Some(&selector)).await;
    Ok(StatusCode::OK)
}

/// Not `invalid_session_token`: that code would make clients drop their own, valid session.
fn session_not_found() -> AppError {
    AppError::not_found(codes::SESSION_NOT_FOUND, "No such session of this user.")
}

pub async fn signout_all(State(state): State<AppState>, actor: Actor, auth: AuthSession) -> AppResult<StatusCode> {
    not_applied(state.store.sign_out_all(&auth.session.selector, &auth.user.id, false, state.clock.now()).await?)?;
    record(&state, &auth.user.id, EventType::SignedOutAll, &actor, Some(&auth.session.selector)).await;
    Ok(StatusCode::OK)
}

pub async fn signout_all_except(State(state): State<AppState>, actor: Actor, auth: AuthSession) -> AppResult<StatusCode> {
    not_applied(state.store.sign_out_all(&auth.session.selector, &auth.user.id, true, state.clock.now()).await?)?;
    record(&state, &auth.user.id, EventType::SignedOutAll, &actor, Some(&auth.session.selector)).await;
    Ok(StatusCode::OK)
}

pub async fn sessions(State(state): State<AppState>, auth: AuthSession) -> AppResult<Json<Vec<Session>>> {
    let rows = state.store.sessions_of(&auth.user.id, state.clock.now()).await?;
    let list = rows
        .iter()
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

/// Guessing the current password through a stolen session is held to `--signin-attempts` per
/// account (it needs a session already: only the account's own sessions share this budget).
pub(super) async fn current_password_budget(state: &AppState, auth: &AuthSession) -> AppResult<()> {
    counted(state, &format!("current-password:{}", auth.user.id), state.config.signin_attempts, SIGNIN_WINDOW).await
}

/// The answer for a flow that found its condition gone.
fn not_applied<T>(outcome: Checked<T>) -> AppResult<T> {
    match outcome {
        Checked::Done(value) => Ok(value),
        Checked::SessionEnded => Err(AppError::invalid_session()),
        Checked::Stale => Err(AppError::stale()),
        Checked::ReauthRequired => Err(AppError::reauthentication_required()),
    }
}

pub async fn change_pwd(State(state): State<AppState>, actor: Actor, auth: AuthSession, ApiJson(body): ApiJson<ChangePasswordRequest>) -> AppResult<StatusCode> {
    per_client(&state, "pwd", &auth.user.id).await?;
    let new_password = Password::new(body.new_password, &[auth.user.email.as_str(), auth.user.name.as_deref().unwrap_or("")], state.config.min_password_score)?;
    current_password_budget(&state, &auth).await?;
    if !state.hasher.verify(&Password::presented(body.old_password), Some(&auth.user.password_hash)).await? {
        return Err(wrong_current_password());
    }
    let hash = state.hasher.hash(&new_password).await?;
    // Applies only if the session is live and the password is still the one just checked; the
    // other devices, links and access tokens end with it.
    not_applied(state.store.change_password(&auth.session.selector, &auth.user.id, &auth.user.password_hash, &hash, window_start(&state), state.clock.now()).await?)?;
    record(&state, &auth.user.id, EventType::PasswordChanged, &actor, Some(&auth.session.selector)).await;
    notice(&state, Notice::PasswordChanged, &auth.user.email).await;
    Ok(StatusCode::OK)
}

pub async fn change_email(State(state): State<AppState>, ip: ClientIp, actor: Actor, auth: AuthSession, ApiJson(body): ApiJson<ChangeEmailRequest>) -> AppResult<Json<User>> {
    per_client(&state, "email", &auth.user.id).await?;
    let new_email = Email::parse(&body.new_email)?;
    let challenge = CodeChallenge::from_body(&body.pkce)?;
    current_password_budget(&state, &auth).await?;
    if !state.hasher.verify(&Password::presented(body.current_password), Some(&auth.user.password_hash)).await? {
        return Err(wrong_current_password());
    }
    if new_email.as_str() == auth.user.email {
        return Err(AppError::validation("newEmail", "This is already the e-mail address of your account."));
    }
    let now = state.clock.now();
    if state.config.email_verification {
        // The change happens when the new address confirms. Whether it is taken is told only then,
        // on the link, so this call cannot be used to probe for accounts.
        mail_budget(&state, &new_email, &ip.key()).await?;
        let bound = Binding { new_email: Some(&new_email), session: Some(&auth.session.selector), challenge: challenge.as_ref().map(CodeChallenge::as_str) };
        let link = new_link(&state, &auth.user.id, MailKind::ChangeEmail, &new_email, bound);
        not_applied(state.store.request_email_change(&auth.session.selector, &auth.user.id, &auth.user.password_hash, &link.row, window_start(&state), now).await?)?;
        mail_link(&state, MailKind::ChangeEmail, &new_email, &link).await?;
        return Ok(Json(user_to_wire(&auth.user)));
    }
    match state.store.change_email(&auth.session.selector, &auth.user.id, &auth.user.password_hash, new_email.as_str(), window_start(&state), now).await? {
        EmailChange::Done { user, old_email } => {
            record(&state, &user.id, EventType::EmailChanged, &actor, Some(&auth.session.selector)).await;
            notice(&state, Notice::EmailChanged, &old_email).await;
            Ok(Json(user_to_wire(&user)))
        }
        EmailChange::Taken => Err(email_not_unique("newEmail", &new_email)),
        EmailChange::SessionEnded => Err(AppError::invalid_session()),
        EmailChange::Stale => Err(AppError::stale()),
        EmailChange::ReauthRequired => Err(AppError::reauthentication_required()),
    }
}
