//! `/auth/mfa/*` and `/auth/reauthenticate` (shared/account-security-api.md §1–2): two-step
//! verification with an authenticator app, its recovery codes, the second step of a sign-in, and
//! recent re-authentication.
//!
//! Every code is checked inside the store flow that records its use, so one code, recovery code or
//! ticket works once, whatever the number of requests presenting it at the same time.

use altogic::account_security::{CodeRequest, ConfirmTotpRequest, MfaChallenge, MfaFactor, MfaStatus, MfaVerifyRequest, Reauthenticated, ReauthenticateRequest, RecoveryCodes, SecondFactor, TotpEnrollment};
use altogic::AuthGrant;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::auth::session_out;
use crate::accounts::{new_device, new_session, user_to_wire};
use crate::crypto::TokenKey;
use crate::domain::{Email, Password};
use crate::error::{codes, AppError, AppResult};
use crate::events::{record, signed_in, Actor};
use crate::extract::{ApiJson, AuthSession, ClientIp};
use altogic::account_security::EventType;
use crate::mail::{notice as notify, Notice};
use crate::metrics::SignIn;
use crate::ratelimit::{account_slowdown, admit_attempt, counted, per_client, signin_failed, CODE_WINDOW};
use crate::store::{code_budget_key, Gate, Proof, SecondStep};
use crate::time::{iso_unix, now_iso};
use crate::two_step::{code_check, new_factor, new_recovery_codes, recovery_code_hash};
use crate::{totp, AppState};

/// The 401 of a first step that needs its second: the ticket goes to the caller, once.
pub(super) fn mfa_required(ticket: String, expires_at: i64) -> AppError {
    let challenge = MfaChallenge { mfa_ticket: ticket, expires_at: iso_unix(expires_at) };
    AppError::new(StatusCode::UNAUTHORIZED, codes::MFA_REQUIRED, "Two-step verification is on: enter the code from your authenticator app.")
        .with_details(serde_json::to_value(challenge).unwrap_or_default())
}

fn invalid_ticket() -> AppError {
    AppError::new(StatusCode::UNAUTHORIZED, codes::INVALID_MFA_TICKET, "This sign-in has expired or was already finished. Please sign in again.")
}

pub(super) fn invalid_code() -> AppError {
    AppError::bad_request(codes::INVALID_CODE, "The code is not valid. Each code works once: enter the next code your authenticator app shows.")
}

pub(super) fn not_enabled() -> AppError {
    AppError::bad_request(codes::MFA_NOT_ENABLED, "Two-step verification is not on for this account.")
}

/// The answer of a flow behind the recent-authentication gate.
fn gate<T>(outcome: Gate<T>) -> AppResult<T> {
    match outcome {
        Gate::Done(value) => Ok(value),
        Gate::SessionEnded => Err(AppError::invalid_session()),
        Gate::ReauthRequired => Err(AppError::reauthentication_required()),
        Gate::WrongCode => Err(invalid_code()),
        Gate::NotApplicable => Err(not_enabled()),
    }
}

/// The start of the recent-authentication window.
pub(super) fn window_start(state: &AppState) -> i64 {
    state.clock.now() - state.config.reauth_window_secs
}

/// Exactly one of `code` and `recoveryCode`.
enum Presented<'a> {
    Code(&'a str),
    Recovery(&'a str),
}

fn presented(factor: &SecondFactor) -> AppResult<Presented<'_>> {
    match (factor.code.as_deref(), factor.recovery_code.as_deref()) {
        (Some(code), None) => Ok(Presented::Code(code)),
        (None, Some(recovery)) => Ok(Presented::Recovery(recovery)),
        _ => Err(AppError::validation("code", "Send either a code or a recovery code.")),
    }
}

impl Presented<'_> {
    fn proof<'a>(&'a self, state: &'a AppState, user_id: &str, now: i64, hash: &'a mut Vec<u8>) -> Proof<'a> {
        match self {
            Presented::Code(code) => Proof::Code(code_check(&state.sealer, code, now)),
            Presented::Recovery(typed) => {
                *hash = recovery_code_hash(&state.sealer, user_id, typed);
                Proof::Recovery(hash)
            }
        }
    }
}

/// Every authenticator code presented for an account, from anywhere and through any call, is
/// counted on one budget: `--code-attempts` a day, as for mailed codes. Someone who knows the
/// password can spread guesses over networks and tickets, but not past this (a code matches one
/// of three steps: at 30 a day, about one chance in 30,000 a year). A finished second step clears
/// it, so the owner's own sign-ins never use it up; recovery codes (50 bits) are not counted
/// here, so guesses cannot lock the owner out of them.
pub(super) async fn code_budget(state: &AppState, user_id: &str) -> AppResult<()> {
    counted(state, &code_budget_key(user_id), state.config.code_attempts, CODE_WINDOW).await
}

/// Counts a presented authenticator code; recovery codes pass.
async fn count_code(state: &AppState, user_id: &str, factor: &Presented<'_>) -> AppResult<()> {
    match factor {
        Presented::Code(_) => code_budget(state, user_id).await,
        Presented::Recovery(_) => Ok(()),
    }
}

pub async fn status(State(state): State<AppState>, auth: AuthSession) -> AppResult<Json<MfaStatus>> {
    let (factors, left) = state.store.mfa_status(&auth.user.id).await?;
    Ok(Json(MfaStatus {
        enabled: !factors.is_empty(),
        factors: factors.into_iter().map(|f| MfaFactor { id: f.id, kind: "totp".into(), created_at: f.created_at }).collect(),
        recovery_codes_left: u32::try_from(left).unwrap_or(0),
    }))
}

pub async fn enroll(State(state): State<AppState>, auth: AuthSession) -> AppResult<Json<TotpEnrollment>> {
    per_client(&state, "mfa", &auth.user.id).await?;
    let now = state.clock.now();
    let (factor, secret) = new_factor(&state.sealer, &auth.user.id, now, &now_iso());
    gate(state.store.enroll_factor(&auth.session.selector, &factor, window_start(&state), now).await?)?;
    Ok(Json(TotpEnrollment { factor_id: factor.id, secret: totp::base32(&secret), uri: totp::uri(&state.config.mfa_issuer, &auth.user.email, &secret) }))
}

pub async fn confirm(State(state): State<AppState>, actor: Actor, auth: AuthSession, ApiJson(body): ApiJson<ConfirmTotpRequest>) -> AppResult<Json<RecoveryCodes>> {
    per_client(&state, "mfa", &auth.user.id).await?;
    let now = state.clock.now();
    let (recovery_codes, hashes) = new_recovery_codes(&state.sealer, &auth.user.id);
    let outcome = state.store.confirm_factor(&auth.session.selector, &auth.user.id, &body.factor_id, code_check(&state.sealer, &body.code, now), &hashes, window_start(&state), now).await?;
    if outcome == Gate::NotApplicable {
        return Err(AppError::bad_request(codes::INVALID_CODE, "This setup has expired or was replaced. Start again."));
    }
    gate(outcome)?;
    record(&state, &auth.user.id, EventType::MfaEnabled, &actor, Some(&auth.session.selector)).await;
    notify(&state, Notice::MfaEnabled, &auth.user.email).await;
    Ok(Json(RecoveryCodes { recovery_codes }))
}

/// The second step of a sign-in. Wrong codes count on the ticket (its fifth ends it) and on the
/// sign-in throttle the first step was counted on, and slow the account down like wrong passwords.
pub async fn verify(State(state): State<AppState>, ip: ClientIp, actor: Actor, ApiJson(body): ApiJson<MfaVerifyRequest>) -> AppResult<Json<AuthGrant>> {
    per_client(&state, "mfa-verify", &ip.key()).await?;
    let factor = presented(&body.factor)?;
    let key = TokenKey::parse(&body.mfa_ticket).ok_or_else(invalid_ticket)?;
    let now = state.clock.now();
    let ticket = state.store.ticket(key.selector).await?.filter(|t| key.matches(&t.verifier_hash, t.expires_at, now)).ok_or_else(invalid_ticket)?;
    let user = state.store.user_by_id(&ticket.user_id).await?.ok_or_else(invalid_ticket)?;
    let email = Email::parse(&user.email).map_err(|_| invalid_ticket())?;
    let _attempt = admit_attempt(&state, &ticket.throttle_key, state.config.signin_attempts).await?;
    if !ticket.throttle_key.starts_with("signin-device:") {
        account_slowdown(&state, &email).await?;
    }
    count_code(&state, &ticket.user_id, &factor).await?;

    let (session, token) = new_session(&state, &ticket.user_id, "");
    let (device, device_token) = new_device(&ticket.user_id);
    let mut hash = Vec::new();
    let proof = factor.proof(&state, &ticket.user_id, now, &mut hash);
    match state.store.second_step(key, proof, now, &now_iso(), &session, &device).await? {
        SecondStep::Done { user, used_recovery_code, new_device, .. } => {
            state.metrics.sign_in(SignIn::Ok);
            signed_in(&state, &user, EventType::MfaVerified, &actor, &session.selector, false).await;
            if used_recovery_code {
                record(&state, &user.id, EventType::RecoveryCodeUsed, &actor, Some(&session.selector)).await;
                notify(&state, Notice::RecoveryCodeUsed, &user.email).await;
            }
            let session = crate::store::SessionRow { user_agent: ticket.user_agent, ..session };
            Ok(Json(AuthGrant { user: user_to_wire(&user), session: session_out(&session, token), device_token: new_device.then_some(device_token) }))
        }
        SecondStep::Wrong { .. } => {
            state.metrics.sign_in(SignIn::Failed);
            record(&state, &ticket.user_id, EventType::MfaFailed, &actor, None).await;
            signin_failed(&state, &email).await?;
            Err(invalid_code())
        }
        SecondStep::InvalidTicket => Err(invalid_ticket()),
    }
}

pub async fn disable(State(state): State<AppState>, actor: Actor, auth: AuthSession, ApiJson(body): ApiJson<SecondFactor>) -> AppResult<StatusCode> {
    per_client(&state, "mfa", &auth.user.id).await?;
    let factor = presented(&body)?;
    count_code(&state, &auth.user.id, &factor).await?;
    let now = state.clock.now();
    let mut hash = Vec::new();
    let proof = factor.proof(&state, &auth.user.id, now, &mut hash);
    gate(state.store.disable_mfa(&auth.session.selector, &auth.user.id, proof, window_start(&state), now).await?)?;
    record(&state, &auth.user.id, EventType::MfaDisabled, &actor, Some(&auth.session.selector)).await;
    notify(&state, Notice::MfaDisabled, &auth.user.email).await;
    Ok(StatusCode::OK)
}

pub async fn recovery_codes(State(state): State<AppState>, actor: Actor, auth: AuthSession, ApiJson(body): ApiJson<CodeRequest>) -> AppResult<Json<RecoveryCodes>> {
    per_client(&state, "mfa", &auth.user.id).await?;
    code_budget(&state, &auth.user.id).await?;
    let now = state.clock.now();
    let (recovery_codes, hashes) = new_recovery_codes(&state.sealer, &auth.user.id);
    gate(state.store.regenerate_recovery_codes(&auth.session.selector, &auth.user.id, code_check(&state.sealer, &body.code, now), &hashes, window_start(&state), now).await?)?;
    record(&state, &auth.user.id, EventType::RecoveryCodesRegenerated, &actor, Some(&auth.session.selector)).await;
    notify(&state, Notice::RecoveryCodesRegenerated, &auth.user.email).await;
    Ok(Json(RecoveryCodes { recovery_codes }))
}

/// Proves again who uses the session: its password, or with two-step verification on, a code
/// (the password alone then proves nothing new). Wrong proofs count on the sign-in throttle of the
/// account from this network, which a success clears.
pub async fn reauthenticate(State(state): State<AppState>, ip: ClientIp, actor: Actor, auth: AuthSession, ApiJson(body): ApiJson<ReauthenticateRequest>) -> AppResult<Json<Reauthenticated>> {
    per_client(&state, "reauth", &auth.user.id).await?;
    let email = Email::parse(&auth.user.email)?;
    let wrong = || AppError::invalid_credentials("Invalid credentials. The password or code provided is not valid.");
    let (password, code) = match (body.password, body.code) {
        (Some(password), None) => (Some(password), None),
        (None, Some(code)) => (None, Some(code)),
        _ => return Err(AppError::validation("password", "Send either your password or a code from your authenticator app.")),
    };
    let sent_password = password.is_some();
    let throttle_key = format!("signin:{email}:{}", ip.key());
    let _attempt = admit_attempt(&state, &throttle_key, state.config.signin_attempts).await?;
    let mfa_on = state.store.mfa_on(&auth.user.id).await?;
    let now = state.clock.now();
    let outcome = match (password, code) {
        (Some(password), _) if !mfa_on => {
            if state.hasher.verify(&Password::presented(password), Some(&auth.user.password_hash)).await? {
                state.store.reauthenticate(&auth.session.selector, &auth.user.id, Some(&auth.user.password_hash), None, &throttle_key, now).await?
            } else {
                Gate::WrongCode
            }
        }
        (None, Some(code)) if mfa_on => {
            code_budget(&state, &auth.user.id).await?;
            state.store.reauthenticate(&auth.session.selector, &auth.user.id, None, Some(code_check(&state.sealer, &code, now)), &throttle_key, now).await?
        }
        // The other kind of proof than the account takes.
        _ => Gate::WrongCode,
    };
    match outcome {
        Gate::WrongCode => {
            let kind = if sent_password { EventType::SignInFailed } else { EventType::MfaFailed };
            record(&state, &auth.user.id, kind, &actor, Some(&auth.session.selector)).await;
            signin_failed(&state, &email).await?;
            Err(if mfa_on && sent_password { AppError::invalid_credentials("Invalid credentials. Two-step verification is on: enter a code from your authenticator app.") } else { wrong() })
        }
        other => {
            gate(other)?;
            record(&state, &auth.user.id, EventType::Reauthenticated, &actor, Some(&auth.session.selector)).await;
            Ok(Json(Reauthenticated { reauthenticated_at: iso_unix(now) }))
        }
    }
}
