//! The account's own data (shared/account-security-api.md §5–6): deleting it, exporting it, and
//! its security history.

use std::collections::HashMap;

use altogic::account_security::{AccountExport, DeleteAccountRequest, EventType, ExportedFile, ExportedSession, SecurityEvents, EVENTS_LIMIT_DEFAULT, EVENTS_LIMIT_MAX};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;

use super::auth::{current_password_budget, wrong_current_password};
use super::storage::public_path;
use super::two_step::{code_budget, invalid_code, not_enabled, window_start};
use crate::accounts::user_to_wire;
use crate::domain::Password;
use crate::error::{AppError, AppResult};
use crate::events::{after_commit, record, to_wire, Actor};
use crate::extract::{ApiJson, AuthSession};
use crate::mail::{notice, Notice};
use crate::ratelimit::per_client;
use crate::store::{DeleteProof, Deletion};
use crate::time::iso_unix;
use crate::two_step::code_check;
use crate::{useragent, AppState};

/// Security events an export carries, newest first.
const EXPORTED_EVENTS: i64 = 10_000;

fn code_needed() -> AppError {
    AppError::invalid_credentials("Two-step verification is on: confirm with a code from your authenticator app, not your password.")
}

/// `POST /auth/delete-account`: the password, or a code when two-step verification is on. The
/// account and everything of it go in one transaction; the bytes of its files kept outside the
/// database go right after; the address gets a notice, and can sign up again.
pub async fn delete_account(State(state): State<AppState>, actor: Actor, auth: AuthSession, ApiJson(body): ApiJson<DeleteAccountRequest>) -> AppResult<StatusCode> {
    per_client(&state, "delete-account", &auth.user.id).await?;
    let now = state.clock.now();
    let two_step = state.store.mfa_on(&auth.user.id).await?;
    let outcome = match (body.password, body.code) {
        (Some(_), None) if two_step => return Err(code_needed()),
        (None, Some(_)) if !two_step => return Err(not_enabled()),
        (Some(password), None) => {
            current_password_budget(&state, &auth).await?;
            if !state.hasher.verify(&Password::presented(password), Some(&auth.user.password_hash)).await? {
                return Err(wrong_current_password());
            }
            state.store.delete_account(&auth.session.selector, &auth.user.id, DeleteProof::Password { checked_hash: &auth.user.password_hash }, window_start(&state), now).await?
        }
        (None, Some(code)) => {
            code_budget(&state, &auth.user.id).await?;
            state.store.delete_account(&auth.session.selector, &auth.user.id, DeleteProof::Code(code_check(&state.sealer, &code, now)), window_start(&state), now).await?
        }
        _ => return Err(AppError::validation("password", "Send either your password or a code from your authenticator app.")),
    };
    match outcome {
        Deletion::Done { user, file_ids } => {
            // The account's events went with it: the log keeps the last line.
            tracing::info!(target: "security", event = "account-deleted", user_id = %user.id, network = %actor.network, files = file_ids.len(), "security event");
            let blobs = state.blobs.clone();
            after_commit(async move {
                for id in &file_ids {
                    blobs.delete(id).await;
                }
            })
            .await;
            notice(&state, Notice::AccountDeleted, &user.email).await;
            Ok(StatusCode::OK)
        }
        Deletion::SessionEnded => Err(AppError::invalid_session()),
        Deletion::ReauthRequired => Err(AppError::reauthentication_required()),
        // The password changed since it was checked here.
        Deletion::WrongProof if !two_step => Err(AppError::stale()),
        Deletion::WrongProof => Err(invalid_code()),
        Deletion::CodeNeeded => Err(code_needed()),
        Deletion::PasswordNeeded => Err(not_enabled()),
    }
}

/// `GET /auth/export`: what the service holds about the caller, and no secret. The export is
/// itself an event, recorded first so that it lists itself.
pub async fn export(State(state): State<AppState>, actor: Actor, auth: AuthSession) -> AppResult<Json<AccountExport>> {
    per_client(&state, "export", &auth.user.id).await?;
    record(&state, &auth.user.id, EventType::AccountExported, &actor, Some(&auth.session.selector)).await;
    let now = state.clock.now();
    let sessions = state
        .store
        .sessions_of(&auth.user.id, now)
        .await?
        .into_iter()
        .map(|s| ExportedSession {
            is_current: s.selector == auth.session.selector,
            creation_dtm: s.created_at,
            last_used_at: iso_unix(s.used_at),
            expires_at: iso_unix(s.expires_at),
            user_agent: useragent::parse(&s.user_agent),
            id: s.selector,
        })
        .collect();
    let security_events = state.store.events_of(&auth.user.id, EXPORTED_EVENTS).await?.into_iter().filter_map(to_wire).collect();
    let files = state
        .store
        .files_of(&auth.user.id)
        .await?
        .into_iter()
        .map(|(id, name, size, created_at)| ExportedFile { url: public_path(&state, &id), name, size, created_at })
        .collect();
    Ok(Json(AccountExport { user: user_to_wire(&auth.user), sessions, security_events, files }))
}

/// `GET /auth/security-events?limit=N` (1–100, default 20), newest first.
pub async fn security_events(State(state): State<AppState>, auth: AuthSession, Query(q): Query<HashMap<String, String>>) -> AppResult<Json<SecurityEvents>> {
    let limit = match q.get("limit") {
        None => EVENTS_LIMIT_DEFAULT,
        Some(raw) => raw
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=EVENTS_LIMIT_MAX).contains(n))
            .ok_or_else(|| AppError::validation("limit", format!("limit must be a whole number from 1 to {EVENTS_LIMIT_MAX}.")))?,
    };
    let events = state.store.events_of(&auth.user.id, i64::from(limit)).await?.into_iter().filter_map(to_wire).collect();
    Ok(Json(SecurityEvents { events }))
}
