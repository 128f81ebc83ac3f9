//! `/_api/rest/v1/auth/*`: the e-mail flows of spec §3 and §4.
//!
//! Handlers parse and check what the caller sent, do the slow work (password hashing) outside any
//! transaction, then hand one store flow everything it must re-check when it writes.

use std::collections::HashMap;

use altogic::{AuthGrant, ChangeEmailRequest, ChangePasswordRequest, CodeExchange, RedirectAction, ResetPasswordRequest, Session, SignInRequest, SignOutRequest, SignUpRequest, User, VerifyCodeRequest};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::accounts::*;
use crate::crypto::{new_id, pkce_ok, TokenKey};
use crate::domain::{CodeChallenge, Email, Password};
use crate::error::{codes, AppError, AppResult};
use crate::extract::{ApiJson, AuthSession, ClientIp};
use crate::mail::MailKind;
use crate::ratelimit::{counted, over, per_client, CODE_WINDOW, MAIL_WINDOW, SIGNIN_WINDOW};
use crate::store::{Checked, EmailChange, LinkOpened, LinkProof, Redeemed, Registered, RegistrationRow, SessionRow, UserRow};
use crate::time::{now_iso, unix_now};
use crate::AppState;

/// Wrong password and unknown e-mail answer exactly this, so neither tells which.
fn invalid_credentials() -> AppError {
    AppError::invalid_credentials("Invalid credentials. Email or password provided is invalid.")
}

fn wrong_current_password() -> AppError {
    AppError::invalid_credentials("Invalid credentials. The current password provided is not valid.")
}

fn not_verified() -> AppError {
    AppError::new(StatusCode::UNAUTHORIZED, codes::EMAIL_NOT_VERIFIED, "The email address has not been verified yet.")
}

fn email_not_unique(param: &str, email: &Email) -> AppError {
    AppError::bad_request(codes::EMAIL_NOT_UNIQUE, "A user with the provided email already exists.").with_details(serde_json::json!({ "param": param, "value": email.as_str() }))
}

fn user_agent(headers: &HeaderMap) -> String {
    headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

fn query_email(query: &HashMap<String, String>) -> AppResult<Email> {
    Email::parse(query.get("email").map(String::as_str).unwrap_or(""))
}

/// The mail budget of a recipient: per requesting network first (so one anonymous caller cannot
/// use up the address's whole budget), then per recipient. Counted the same whether or not the
/// address has an account.
async fn mail_budget(state: &AppState, recipient: &Email, requester: &str) -> AppResult<()> {
    counted(state, &format!("mail:{recipient}:{requester}"), state.config.mail_rate_limit_per_client, MAIL_WINDOW).await?;
    counted(state, &format!("mail:{recipient}"), state.config.mail_rate_limit, MAIL_WINDOW).await
}

fn session_out(row: &SessionRow, token: String) -> Option<Session> {
    Some(session_to_wire(row, token, true))
}

pub async fn signup_email(State(state): State<AppState>, ip: ClientIp, headers: HeaderMap, ApiJson(body): ApiJson<SignUpRequest>) -> AppResult<Json<AuthGrant>> {
    per_client(&state, "signup", &ip.key()).await?;
    let email = Email::parse(&body.email)?;
    let password = Password::parse(body.password, "password")?;
    let (name, profile_picture, extra) = user_data(body.name_or_user_data.or(body.name))?;
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
        return Ok(Json(AuthGrant { user: user_to_wire(&user), session: session_out(&session, token) }));
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
        expires_at: unix_now() + state.config.unverified_ttl_days * 86_400,
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
    Ok(Json(AuthGrant { user: registration_to_wire(&registration), session: None }))
}

pub async fn signin_email(State(state): State<AppState>, ip: ClientIp, headers: HeaderMap, ApiJson(body): ApiJson<SignInRequest>) -> AppResult<Json<AuthGrant>> {
    per_client(&state, "signin", &ip.key()).await?;
    let password = Password::presented(body.password);
    let Ok(email) = Email::parse(&body.email) else {
        return Err(invalid_credentials());
    };
    // Per account, from anywhere, counted before the password is checked: concurrent guesses
    // cannot outrun the limit. A successful sign-in resets it.
    let throttle_key = format!("signin:{email}");
    counted(&state, &throttle_key, state.config.signin_attempts, SIGNIN_WINDOW).await?;

    let found = state.store.user_by_email(email.as_str()).await?;
    let matches = state.hasher.verify(&password, found.as_ref().map(|u| u.password_hash.as_str())).await?;
    let Some(user) = found.filter(|_| matches) else {
        // The password of a pending sign-up answers "not verified", whether or not the address
        // also has an account: signing in after signing up tells nothing about the address.
        if state.config.email_verification {
            if let Some(pending) = state.store.newest_registration(email.as_str(), unix_now()).await? {
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
    match state.store.sign_in(&user.id, &user.password_hash, &session, &now_iso(), &throttle_key).await? {
        Checked::Done(user) => Ok(Json(AuthGrant { user: user_to_wire(&user), session: session_out(&session, token) })),
        // The password changed while this request was checking the old one.
        _ => Err(invalid_credentials()),
    }
}

/// Shared by send-magic, send-reset and resend: the same empty 200, after the same work, whether
/// or not the address has an account. The lookup and the mail happen after the answer.
async fn mail_request(state: &AppState, ip: &ClientIp, query: &HashMap<String, String>, kind: MailKind) -> AppResult<StatusCode> {
    per_client(state, "mail", &ip.key()).await?;
    let email = query_email(query)?;
    let challenge = CodeChallenge::parse(query.get("codeChallenge").map(String::as_str), query.get("codeChallengeMethod").map(String::as_str))?;
    mail_budget(state, &email, &ip.key()).await?;
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(e) = send_requested(&state, kind, &email, challenge.as_ref()).await {
            tracing::warn!(code = %e.entry.code, "a requested mail was not sent");
        }
    });
    Ok(StatusCode::OK)
}

async fn send_requested(state: &AppState, kind: MailKind, email: &Email, challenge: Option<&CodeChallenge>) -> AppResult<()> {
    let bound = Binding::pkce(challenge.map(CodeChallenge::as_str));
    let link = match state.store.user_by_email(email.as_str()).await? {
        Some(user) if kind == MailKind::EmailConfirm && user.email_verified => return Ok(()),
        Some(user) => {
            let link = new_link(state, &user.id, kind, email, bound);
            state.store.issue_link(&link.row, false).await?;
            link
        }
        // Resending the confirmation of a sign-up: a new link for the newest pending one, which
        // replaces its older links.
        None if kind == MailKind::EmailConfirm => {
            let Some(pending) = state.store.claimable_registration(email.as_str(), unix_now()).await? else { return Ok(()) };
            let link = new_link(state, &pending.id, kind, email, bound);
            if !state.store.issue_link(&link.row, true).await? {
                return Ok(());
            }
            link
        }
        None => return Ok(()),
    };
    mail_link(state, kind, email, &link).await
}

pub async fn send_magic(State(state): State<AppState>, ip: ClientIp, Query(q): Query<HashMap<String, String>>) -> AppResult<StatusCode> {
    mail_request(&state, &ip, &q, MailKind::MagicLink).await
}

pub async fn send_reset(State(state): State<AppState>, ip: ClientIp, Query(q): Query<HashMap<String, String>>) -> AppResult<StatusCode> {
    mail_request(&state, &ip, &q, MailKind::ResetPwd).await
}

pub async fn resend(State(state): State<AppState>, ip: ClientIp, Query(q): Query<HashMap<String, String>>) -> AppResult<StatusCode> {
    if !state.config.email_verification {
        return Err(AppError::new(StatusCode::UNAUTHORIZED, codes::EMAIL_VERIFICATION_DISABLED, "E-mail verification is turned off for this app."));
    }
    mail_request(&state, &ip, &q, MailKind::EmailConfirm).await
}

/// What opening a link (or entering its code) led to, for the redirect or the code answer.
enum LinkOutcome {
    Done { action: RedirectAction, access_token: Option<String> },
    Failed { action: RedirectAction, status: u16, code: &'static str, message: &'static str },
}

fn invalid_link(action: RedirectAction) -> LinkOutcome {
    LinkOutcome::Failed { action, status: 400, code: codes::INVALID_ACCESS_TOKEN, message: "Invalid or expired access token" }
}

/// Opens a link in one store flow, then tells the old address when the link changed it.
async fn apply_link(state: &AppState, proof: LinkProof<'_>, fallback: RedirectAction) -> AppResult<LinkOutcome> {
    let (token, token_value) = new_access_token(state);
    let opened = state.store.open_link(proof, unix_now(), &now_iso(), &token, state.config.email_verification).await?;
    Ok(match opened {
        LinkOpened::Invalid => invalid_link(fallback),
        LinkOpened::Granted { action, user_id, contended, code_challenge } => {
            if contended {
                mail_choose_password(state, &user_id, code_challenge.as_deref()).await?;
            }
            LinkOutcome::Done { action: RedirectAction::parse(&action), access_token: Some(token_value) }
        }
        LinkOpened::EmailChanged { old_email, .. } => {
            if let Some(old) = old_email.as_deref().and_then(|e| Email::parse(e).ok()) {
                state.mailer.send(MailKind::EmailChanged, &old, None).await?;
            }
            LinkOutcome::Done { action: RedirectAction::ChangeEmail, access_token: None }
        }
        LinkOpened::EmailTaken { action } => LinkOutcome::Failed {
            action: RedirectAction::parse(&action),
            status: 401,
            code: codes::EMAIL_ALREADY_EXISTS,
            message: "A user with the provided email already exists.",
        },
    })
}

/// A contested sign-up became the account without a password: its mailbox's owner chooses one,
/// on the device whose sign-up was confirmed (`challenge`).
async fn mail_choose_password(state: &AppState, user_id: &str, challenge: Option<&str>) -> AppResult<()> {
    let email = state.store.user_by_id(user_id).await?.map(|u| u.email).unwrap_or_default();
    if let Ok(address) = Email::parse(&email) {
        let bound = Binding::pkce(challenge);
        let link = new_link(state, user_id, MailKind::SetPassword, &address, bound);
        state.store.issue_link(&link.row, false).await?;
        mail_link(state, MailKind::SetPassword, &address, &link).await?;
    }
    Ok(())
}

/// The link in every mail. Opened by a browser (or a mail scanner): answers with a 302 to the
/// app's redirect URL carrying `action`, `status` and `access_token` or `error`.
pub async fn verify_link(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> AppResult<Response> {
    let action = RedirectAction::parse(q.get("action").map(String::as_str).unwrap_or(""));
    let outcome = match TokenKey::parse(q.get("key").map(String::as_str).unwrap_or("")) {
        Some(key) => apply_link(&state, LinkProof::Key(key), action).await?,
        None => invalid_link(action),
    };
    let mut params: Vec<(&str, String)> = Vec::new();
    match outcome {
        LinkOutcome::Done { action, access_token } => {
            params.push(("action", action.as_str().to_string()));
            params.push(("status", "200".into()));
            if let Some(token) = access_token {
                params.push(("access_token", token));
                if let Some(otp) = q.get("otp").filter(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())) {
                    if state.config.redirects_to_page() {
                        params.push(("otp", otp.clone()));
                    }
                }
            }
        }
        LinkOutcome::Failed { action, status, code, message } => {
            params.push(("action", action.as_str().to_string()));
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
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    Ok(response)
}

/// altogic-local extension: the 6-digit code of the newest mail to an address does what opening
/// its link does, for when the link cannot open the app. Each guess is counted (atomically, before
/// it is compared) per address and on the mail, whose code stops working after 5 wrong ones.
pub async fn verify_code(State(state): State<AppState>, ip: ClientIp, ApiJson(body): ApiJson<VerifyCodeRequest>) -> AppResult<Json<CodeExchange>> {
    per_client(&state, "code", &ip.key()).await?;
    let invalid = || AppError::bad_request(codes::INVALID_CODE, "The code is invalid or has expired.");
    let Ok(email) = Email::parse(&body.email) else { return Err(invalid()) };
    let now = unix_now();
    let (count, link) = state.store.code_attempt(email.as_str(), now, CODE_WINDOW, state.config.code_attempts).await?;
    over(count, state.config.code_attempts, now + CODE_WINDOW, now)?;
    let code = body.code.trim();
    let Some(link) = link else { return Err(invalid()) };
    let proof = LinkProof::Code { selector: &link.selector, code };
    if !proof.proves(&link, now) {
        return Err(invalid());
    }
    // The right code of a bound mail still needs the device that asked for it.
    if !pkce_ok(link.code_challenge.as_deref(), body.code_verifier.as_deref()) {
        return Err(AppError::invalid_code_verifier());
    }
    match apply_link(&state, proof, RedirectAction::parse(&link.action)).await? {
        LinkOutcome::Done { action, access_token } => Ok(Json(CodeExchange { action: action.as_str().to_string(), access_token })),
        LinkOutcome::Failed { status, code, message, .. } => Err(AppError::new(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), code, message)),
    }
}

fn access_key(query: &HashMap<String, String>) -> AppResult<String> {
    // altogic-js puts the key into the query unencoded: a `+` may arrive as a space.
    let key = query.get("key").map(|k| k.trim().replace(' ', "+")).unwrap_or_default();
    if key.is_empty() {
        return Err(AppError::bad_request(codes::MISSING_ACCESS_TOKEN, "No access token was provided."));
    }
    Ok(key)
}

pub async fn grant(State(state): State<AppState>, ip: ClientIp, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> AppResult<Json<AuthGrant>> {
    per_client(&state, "grant", &ip.key()).await?;
    let key = access_key(&q)?;
    let key = TokenKey::parse(&key).ok_or_else(AppError::invalid_access_token)?;
    let (mut session, token) = new_session(&state, "", &user_agent(&headers));
    let verifier = q.get("codeVerifier").map(String::as_str);
    let user = match state.store.grant(key, verifier, &["email-confirm", "magic-link"], unix_now(), &now_iso(), &session).await? {
        Redeemed::Done((user, contended)) => {
            if contended {
                mail_choose_password(&state, &user.id, verifier.map(crate::crypto::challenge_of).as_deref()).await?;
            }
            user
        }
        Redeemed::Invalid => return Err(AppError::invalid_access_token()),
        Redeemed::WrongVerifier => return Err(AppError::invalid_code_verifier()),
    };
    session.user_id = user.id.clone();
    Ok(Json(AuthGrant { user: user_to_wire(&user), session: session_out(&session, token) }))
}

pub async fn reset_pwd(State(state): State<AppState>, ip: ClientIp, Query(q): Query<HashMap<String, String>>, ApiJson(body): ApiJson<altogic::ResetPasswordRequest>) -> AppResult<StatusCode> {
    per_client(&state, "reset", &ip.key()).await?;
    let ResetPasswordRequest { new_password } = body;
    let password = Password::parse(new_password, "newPassword")?;
    let key = access_key(&q)?;
    let key = TokenKey::parse(&key).ok_or_else(AppError::invalid_access_token)?;
    let hash = state.hasher.hash(&password).await?;
    match state.store.reset_password(key, q.get("codeVerifier").map(String::as_str), &hash, unix_now()).await? {
        Redeemed::Done(()) => Ok(StatusCode::OK),
        Redeemed::Invalid => Err(AppError::invalid_access_token()),
        Redeemed::WrongVerifier => Err(AppError::invalid_code_verifier()),
    }
}

pub async fn signout(State(state): State<AppState>, auth: AuthSession, body: axum::body::Bytes) -> AppResult<StatusCode> {
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
            let found = state.store.live_session(key, unix_now()).await?.ok_or_else(session_not_found)?;
            found.session.selector
        }
        // A handle from `GET /auth/sessions`.
        Some(handle) => handle.to_string(),
    };
    if !not_applied(state.store.sign_out(&auth.session.selector, &auth.user.id, &selector, unix_now()).await?)? {
        return Err(session_not_found());
    }
    Ok(StatusCode::OK)
}

/// Not `invalid_session_token`: that code would make clients drop their own, valid session.
fn session_not_found() -> AppError {
    AppError::not_found(codes::SESSION_NOT_FOUND, "No such session of this user.")
}

pub async fn signout_all(State(state): State<AppState>, auth: AuthSession) -> AppResult<StatusCode> {
    not_applied(state.store.sign_out_all(&auth.session.selector, &auth.user.id, false, unix_now()).await?)?;
    Ok(StatusCode::OK)
}

pub async fn signout_all_except(State(state): State<AppState>, auth: AuthSession) -> AppResult<StatusCode> {
    not_applied(state.store.sign_out_all(&auth.session.selector, &auth.user.id, true, unix_now()).await?)?;
    Ok(StatusCode::OK)
}

pub async fn sessions(State(state): State<AppState>, auth: AuthSession) -> AppResult<Json<Vec<Session>>> {
    let rows = state.store.sessions_of(&auth.user.id, unix_now()).await?;
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

/// Guessing the current password through a stolen session counts against the same per-account
/// budget as guessing it at sign-in.
async fn current_password_budget(state: &AppState, auth: &AuthSession) -> AppResult<()> {
    counted(state, &format!("signin:{}", auth.user.email), state.config.signin_attempts, SIGNIN_WINDOW).await
}

/// The answer for a flow that found its condition gone.
fn not_applied<T>(outcome: Checked<T>) -> AppResult<T> {
    match outcome {
        Checked::Done(value) => Ok(value),
        Checked::SessionEnded => Err(AppError::invalid_session()),
        Checked::Stale => Err(AppError::stale()),
    }
}

pub async fn change_pwd(State(state): State<AppState>, auth: AuthSession, ApiJson(body): ApiJson<ChangePasswordRequest>) -> AppResult<StatusCode> {
    per_client(&state, "pwd", &auth.user.id).await?;
    let new_password = Password::parse(body.new_password, "newPassword")?;
    current_password_budget(&state, &auth).await?;
    if !state.hasher.verify(&Password::presented(body.old_password), Some(&auth.user.password_hash)).await? {
        return Err(wrong_current_password());
    }
    let hash = state.hasher.hash(&new_password).await?;
    // Applies only if the session is live and the password is still the one just checked; the
    // other devices, links and access tokens end with it.
    not_applied(state.store.change_password(&auth.session.selector, &auth.user.id, &auth.user.password_hash, &hash, unix_now()).await?)?;
    Ok(StatusCode::OK)
}

pub async fn change_email(State(state): State<AppState>, ip: ClientIp, auth: AuthSession, ApiJson(body): ApiJson<ChangeEmailRequest>) -> AppResult<Json<User>> {
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
    let now = unix_now();
    if state.config.email_verification {
        // The change happens when the new address confirms. Whether it is taken is told only then,
        // on the link, so this call cannot be used to probe for accounts.
        mail_budget(&state, &new_email, &ip.key()).await?;
        let bound = Binding { new_email: Some(&new_email), session: Some(&auth.session.selector), challenge: challenge.as_ref().map(CodeChallenge::as_str) };
        let link = new_link(&state, &auth.user.id, MailKind::ChangeEmail, &new_email, bound);
        not_applied(state.store.request_email_change(&auth.session.selector, &auth.user.id, &auth.user.password_hash, &link.row, now).await?)?;
        mail_link(&state, MailKind::ChangeEmail, &new_email, &link).await?;
        return Ok(Json(user_to_wire(&auth.user)));
    }
    match state.store.change_email(&auth.session.selector, &auth.user.id, &auth.user.password_hash, new_email.as_str(), now).await? {
        EmailChange::Done { user, old_email } => {
            if let Ok(old) = Email::parse(&old_email) {
                state.mailer.send(MailKind::EmailChanged, &old, None).await?;
            }
            Ok(Json(user_to_wire(&user)))
        }
        EmailChange::Taken => Err(email_not_unique("newEmail", &new_email)),
        EmailChange::SessionEnded => Err(AppError::invalid_session()),
        EmailChange::Stale => Err(AppError::stale()),
    }
}
