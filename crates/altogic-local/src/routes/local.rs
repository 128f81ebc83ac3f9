//! `/_local/v1/*`: altogic-local's own endpoints (dev mailbox, health and readiness). The mailbox is a developer's
//! tool: it needs the mailbox token (see [`crate::extract::require_mailbox_token`]).

use std::collections::HashMap;

use altogic::{MailMessage, Mailbox};
use axum::extract::{Query, State};
use axum::Json;

use crate::domain::Email;
use crate::error::AppResult;
use crate::AppState;

/// `GET /_local/v1/mail?to=ADDR`: captured mails, newest first.
pub async fn list_mail(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> AppResult<Json<Mailbox>> {
    // The same canonical form the mails were sent to (a malformed address matches nothing).
    let to = q.get("to").filter(|t| !t.trim().is_empty()).map(|t| Email::parse(t).map(|e| e.to_string()).unwrap_or_default());
    let rows = state.store.mails(to.as_deref()).await?;
    let mut messages = Vec::with_capacity(rows.len());
    for m in rows {
        let used = link_used(&state, &m.link).await?;
        messages.push(MailMessage { id: m.id, to: m.to, subject: m.subject, action: m.action, link: m.link, code: m.code, text: m.text, html: m.html, created_at: m.created_at, used });
    }
    Ok(Json(Mailbox { messages }))
}

/// Whether a mail's link can no longer be used: redeemed, expired, or gone (swept, or retired by a
/// newer mail). A mail without a link (a notice) is never "used".
async fn link_used(state: &AppState, link: &str) -> AppResult<bool> {
    let Some(selector) = url::Url::parse(link).ok().and_then(|u| u.query_pairs().find(|(k, _)| k == "key").and_then(|(_, v)| v.split('.').next().map(str::to_string))) else {
        return Ok(false);
    };
    let row = state.store.link(&selector).await?;
    Ok(row.is_none_or(|l| l.consumed || l.expires_at <= state.clock.now()))
}

/// `DELETE /_local/v1/mail`.
pub async fn clear_mail(State(state): State<AppState>) -> AppResult<Json<serde_json::Value>> {
    let deleted = state.store.clear_mails().await?;
    Ok(Json(serde_json::json!({ "deleted": deleted })))
}

pub async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// `GET /_local/v1/ready`: 200 when the database answers, 503 otherwise (for a load balancer).
pub async fn ready(State(state): State<AppState>) -> Result<Json<serde_json::Value>, crate::error::AppError> {
    match state.store.ping().await {
        Ok(()) => Ok(Json(serde_json::json!({ "status": "ready" }))),
        Err(e) => {
            tracing::warn!(error = %e, "the database does not answer");
            Err(crate::error::AppError::new(axum::http::StatusCode::SERVICE_UNAVAILABLE, crate::error::codes::NOT_READY, "The database cannot be reached."))
        }
    }
}
