//! Mail links (spec §4 and the altogic-local extensions): asking for one (magic link, reset,
//! resend), opening it (the 302 to the app), its 6-digit code, and redeeming its access token.

use std::collections::HashMap;

use altogic::{AuthGrant, CodeExchange, RedirectAction, ResetPasswordRequest, VerifyCodeRequest};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::auth::{mail_budget, query_email, session_out, user_agent};
use crate::accounts::*;
use crate::crypto::{pkce_ok, TokenKey};
use crate::domain::{CodeChallenge, Email, Password};
use crate::error::{codes, AppError, AppResult};
use crate::events::{record, signed_in, Actor};
use crate::extract::{ApiJson, ClientIp};
use altogic::account_security::EventType;
use crate::mail::{notice, MailKind, Notice};
use crate::ratelimit::{counted, over, per_client, CLIENT_WINDOW, CODE_ADDRESS_FACTOR, CODE_WINDOW};
use super::two_step::mfa_required;
use crate::store::{LinkOpened, LinkProof, Redeemed, SignedIn};
use crate::two_step::new_ticket;
use crate::time::now_iso;
use crate::AppState;

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
            if !state.store.issue_link(&link.row, false).await? {
                return Ok(());
            }
            link
        }
        // Resending the confirmation of a sign-up: a new link for the newest pending one, which
        // replaces its older links.
        None if kind == MailKind::EmailConfirm => {
            let Some(pending) = state.store.claimable_registration(email.as_str(), state.clock.now()).await? else { return Ok(()) };
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
    /// `user_id`: the account (or pending sign-up) a minted access token is for.
    Done { action: RedirectAction, access_token: Option<String>, user_id: Option<String> },
    Failed { action: RedirectAction, status: u16, code: &'static str, message: &'static str },
}

fn invalid_link(action: RedirectAction) -> LinkOutcome {
    LinkOutcome::Failed { action, status: 400, code: codes::INVALID_ACCESS_TOKEN, message: "Invalid or expired access token" }
}

/// Opens a link in one store flow, then tells the old address when the link changed it.
async fn apply_link(state: &AppState, actor: &Actor, proof: LinkProof<'_>, fallback: RedirectAction) -> AppResult<LinkOutcome> {
    let (token, token_value) = new_access_token(state);
    let opened = state.store.open_link(proof, state.clock.now(), &now_iso(), &token, state.config.email_verification).await?;
    Ok(match opened {
        LinkOpened::Invalid => invalid_link(fallback),
        LinkOpened::Granted { action, user_id, contended, code_challenge } => {
            if contended {
                mail_choose_password(state, &user_id, code_challenge.as_deref()).await?;
            }
            LinkOutcome::Done { action: RedirectAction::parse(&action), access_token: Some(token_value), user_id: Some(user_id) }
        }
        LinkOpened::EmailChanged { old_email, user } => {
            // None: the link had changed it already (opened twice).
            if old_email.is_some() {
                record(state, &user.id, EventType::EmailChanged, actor, None).await;
            }
            if let Some(old) = old_email.as_deref() {
                notice(state, Notice::EmailChanged, old).await;
            }
            LinkOutcome::Done { action: RedirectAction::ChangeEmail, access_token: None, user_id: None }
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
        if state.store.issue_link(&link.row, false).await? {
            mail_link(state, MailKind::SetPassword, &address, &link).await?;
        }
    }
    Ok(())
}

/// The link in every mail. Opened by a browser (or a mail scanner): answers with a 302 to the
/// app's redirect URL carrying `action`, `status` and `access_token` or `error`.
/// Opens per client network are limited (`--auth-rate-limit` a minute), in memory: a flood of
/// forged keys is refused before it costs the database anything.
pub async fn verify_link(State(state): State<AppState>, ip: ClientIp, actor: Actor, Query(q): Query<HashMap<String, String>>) -> AppResult<Response> {
    state.link_opens.hit(&ip.key(), state.config.auth_rate_limit, CLIENT_WINDOW)?;
    let action = RedirectAction::parse(q.get("action").map(String::as_str).unwrap_or(""));
    let outcome = match TokenKey::parse(q.get("key").map(String::as_str).unwrap_or("")) {
        Some(key) => apply_link(&state, &actor, LinkProof::Key(key), action).await?,
        None => invalid_link(action),
    };
    let mut params: Vec<(&str, String)> = Vec::new();
    match outcome {
        LinkOutcome::Done { action, access_token, .. } => {
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
/// it is compared) on the mail, whose code stops working after 5 wrong ones, per address and
/// network (`--code-attempts` a day), and per address from anywhere (ten times that): guesses from
/// other networks cannot use up the owner's budget, and all of them together stay bounded.
pub async fn verify_code(State(state): State<AppState>, ip: ClientIp, actor: Actor, headers: HeaderMap, ApiJson(body): ApiJson<VerifyCodeRequest>) -> AppResult<Json<CodeExchange>> {
    per_client(&state, "code", &ip.key()).await?;
    let invalid = || AppError::bad_request(codes::INVALID_CODE, "The code is invalid or has expired.");
    let Ok(email) = Email::parse(&body.email) else { return Err(invalid()) };
    let now = state.clock.now();
    let limit = state.config.code_attempts;
    counted(&state, &format!("code:{email}"), limit.saturating_mul(CODE_ADDRESS_FACTOR), CODE_WINDOW).await?;
    let (count, link) = state.store.code_attempt(email.as_str(), &format!("code:{email}:{}", ip.key()), now, CODE_WINDOW, limit).await?;
    over(count, limit, now + CODE_WINDOW, now)?;
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
    match apply_link(&state, &actor, proof, RedirectAction::parse(&link.action)).await? {
        LinkOutcome::Done { action, access_token: Some(token), user_id: Some(user_id) } if action.grants_session() && state.store.mfa_on(&user_id).await? => {
            // The code is a way in: for an account with two-step verification on it answers, like
            // `grant`, the second step's ticket instead of a token that would sign in.
            second_step_of_code(&state, &ip, &actor, &user_id, &user_agent(&headers), action, &token, body.code_verifier.as_deref()).await
        }
        LinkOutcome::Done { action, access_token, .. } => Ok(Json(CodeExchange { action: action.as_str().to_string(), access_token })),
        LinkOutcome::Failed { status, code, message, .. } => Err(AppError::new(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), code, message)),
    }
}

/// Spends the access token a mailed code just minted for an account with two-step verification
/// on, and answers `mfa_required` with the ticket (or the token, should the account have turned
/// two-step verification off meanwhile).
#[allow(clippy::too_many_arguments)]
async fn second_step_of_code(state: &AppState, ip: &ClientIp, actor: &Actor, user_id: &str, user_agent: &str, action: RedirectAction, token: &str, verifier: Option<&str>) -> AppResult<Json<CodeExchange>> {
    let key = TokenKey::parse(token).ok_or_else(AppError::internal)?;
    let (session, _) = new_session(state, "", user_agent);
    let (mut ticket, ticket_token) = new_ticket("mail-code", user_agent, &format!("mfa-link:{}", ip.key()), false, state.clock.now());
    if let Some(email) = state.store.access_token_owner(key.selector).await? {
        ticket.throttle_key = format!("signin:{email}:{}", ip.key());
    }
    match state.store.grant(key, verifier, &["email-confirm", "magic-link"], state.clock.now(), &now_iso(), &session, &ticket, true).await? {
        Redeemed::Done((SignedIn::SecondStep, _)) => {
            record(state, user_id, EventType::MfaRequired, actor, None).await;
            Err(mfa_required(ticket_token, ticket.expires_at))
        }
        Redeemed::Done((SignedIn::Session(_), _)) | Redeemed::Invalid => Ok(Json(CodeExchange { action: action.as_str().to_string(), access_token: Some(token.to_string()) })),
        Redeemed::WrongVerifier => Err(AppError::invalid_code_verifier()),
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

pub async fn grant(State(state): State<AppState>, ip: ClientIp, actor: Actor, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> AppResult<Json<AuthGrant>> {
    per_client(&state, "grant", &ip.key()).await?;
    let key = access_key(&q)?;
    let key = TokenKey::parse(&key).ok_or_else(AppError::invalid_access_token)?;
    let (mut session, token) = new_session(&state, "", &user_agent(&headers));
    let verifier = q.get("codeVerifier").map(String::as_str);
    // Used instead of the session when the account has two-step verification on; wrong codes are
    // then counted on the sign-in throttle of the account from this network.
    // A mail link's sign-in gets no device token (the device proved a mailbox, not the password).
    let (mut ticket, ticket_token) = new_ticket("mail-link", &user_agent(&headers), &format!("mfa-link:{}", ip.key()), false, state.clock.now());
    let owner = state.store.access_token_owner(key.selector).await?;
    // The confirmation of a sign-up is the account's first sign-in (see `events::signed_in`).
    let first = state.store.access_token_action(key.selector).await?.as_deref() == Some(RedirectAction::EmailConfirm.as_str());
    if let Some(email) = owner.as_deref() {
        ticket.throttle_key = format!("signin:{email}:{}", ip.key());
    }
    let user = match state.store.grant(key, verifier, &["email-confirm", "magic-link"], state.clock.now(), &now_iso(), &session, &ticket, false).await? {
        Redeemed::Done((SignedIn::Session(user), contended)) => {
            if contended {
                mail_choose_password(&state, &user.id, verifier.map(crate::crypto::challenge_of).as_deref()).await?;
            }
            user
        }
        Redeemed::Done((SignedIn::SecondStep, _)) => {
            if let Some(user) = state.store.user_by_email(owner.as_deref().unwrap_or_default()).await? {
                record(&state, &user.id, EventType::MfaRequired, &actor, None).await;
            }
            return Err(mfa_required(ticket_token, ticket.expires_at));
        }
        Redeemed::Invalid => return Err(AppError::invalid_access_token()),
        Redeemed::WrongVerifier => return Err(AppError::invalid_code_verifier()),
    };
    session.user_id = user.id.clone();
    signed_in(&state, &user, EventType::SignIn, &actor, &session.selector, first).await;
    Ok(Json(AuthGrant { user: user_to_wire(&user), session: session_out(&session, token), device_token: None }))
}

pub async fn reset_pwd(State(state): State<AppState>, ip: ClientIp, actor: Actor, Query(q): Query<HashMap<String, String>>, ApiJson(body): ApiJson<altogic::ResetPasswordRequest>) -> AppResult<StatusCode> {
    per_client(&state, "reset", &ip.key()).await?;
    let ResetPasswordRequest { new_password } = body;
    let key = access_key(&q)?;
    let key = TokenKey::parse(&key).ok_or_else(AppError::invalid_access_token)?;
    // An unknown token is refused before the password is judged; the account's address makes a
    // password guessable too.
    let owner = state.store.access_token_owner(key.selector).await?.ok_or_else(AppError::invalid_access_token)?;
    let password = Password::new(new_password, &[owner.as_str()], state.config.min_password_score)?;
    let hash = state.hasher.hash(&password).await?;
    match state.store.reset_password(key, q.get("codeVerifier").map(String::as_str), &hash, state.clock.now()).await? {
        Redeemed::Done(user_id) => {
            record(&state, &user_id, EventType::PasswordReset, &actor, None).await;
            if let Some(user) = state.store.user_by_id(&user_id).await? {
                notice(&state, Notice::PasswordReset, &user.email).await;
            }
            Ok(StatusCode::OK)
        }
        Redeemed::Invalid => Err(AppError::invalid_access_token()),
        Redeemed::WrongVerifier => Err(AppError::invalid_code_verifier()),
    }
}

