//! Security events (shared/account-security-api.md §6) and the new-device notice (§7).
//!
//! An event is recorded once its decision is made (for a change, after its transaction commits),
//! as a row of the account and as one structured log line (`target: "security"`). It holds no
//! secret: the type, the time, the user agent as sent, the client's network with its host part
//! hidden, and the handle of the session involved.

use std::net::IpAddr;

use altogic::account_security::{EventType, SecurityEvent};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
// Spawned work keeps the request's span: its lines carry the request's id.
use tracing::Instrument;

use crate::crypto::new_id;
use crate::error::AppError;
use crate::extract::ClientIp;
use crate::mail::{notice, Notice};
use crate::store::{EventRow, UserRow};
use crate::time::iso_unix;
use crate::{useragent, AppState};

/// Who made a request, as an event keeps it.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_agent: String,
    /// [`network`] of the client's address.
    pub network: String,
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let ip = ClientIp::from_request_parts(parts, state).await?;
        let user_agent = parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
        Ok(Actor { user_agent: user_agent.chars().take(512).collect(), network: network(ip.0) })
    }
}

/// The client's network with its host part hidden: the IPv4 /24, the IPv6 /48.
pub fn network(ip: IpAddr) -> String {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{}/48", std::net::Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0))
        }
    }
}

/// Events are kept this long (the sweep removes older ones).
pub const RETENTION_DAYS: i64 = 400;

fn row(state: &AppState, user_id: &str, kind: EventType, actor: &Actor, session: Option<&str>) -> EventRow {
    let at_unix = state.clock.now();
    EventRow {
        id: new_id(),
        user_id: user_id.to_string(),
        kind: kind.as_str().to_string(),
        at: iso_unix(at_unix),
        at_unix,
        user_agent: actor.user_agent.clone(),
        network: actor.network.clone(),
        session_id: session.map(str::to_string),
    }
}

async fn store(state: &AppState, row: &EventRow) {
    tracing::info!(target: "security", event = %row.kind, user_id = %row.user_id, network = %row.network, session_id = row.session_id.as_deref().unwrap_or(""), user_agent = %row.user_agent, "security event");
    if let Err(e) = state.store.insert_event(row).await {
        tracing::warn!(error = %e, event = %row.kind, "a security event was not stored");
    }
}

/// Records an event of `user_id`. A failure to store it is logged, never the caller's error: the
/// decision it records has been made. The write runs to its end even if the request is dropped
/// (a client hanging up right after a change must not erase its trace).
pub async fn record(state: &AppState, user_id: &str, kind: EventType, actor: &Actor, session: Option<&str>) {
    let row = row(state, user_id, kind, actor, session);
    let state = state.clone();
    let _ = tokio::spawn(async move { store(&state, &row).await }.in_current_span()).await;
}

/// Records a refusal (`sign-in-failed`, `sign-in-throttled`) off the request's path: it exists
/// only for addresses that have an account, and its write must not make their answers slower
/// than an unknown address's. A throttled network is recorded once per window, not per request,
/// so a flood of refused guesses cannot bury the account's history.
pub fn record_refusal(state: &AppState, user_id: &str, kind: EventType, actor: &Actor) {
    let row = row(state, user_id, kind, actor, None);
    let state = state.clone();
    if kind == EventType::SignInThrottled && !first_refusal_in_window(&row) {
        return;
    }
    tokio::spawn(async move {
        if kind == EventType::SignInThrottled {
            let since = row.at_unix - crate::ratelimit::SIGNIN_WINDOW;
            match state.store.recent_event(&row.user_id, kind.as_str(), &row.network, since).await {
                Ok(false) => {}
                Ok(true) => return,
                Err(e) => tracing::warn!(error = %e, "the security history was not read"),
            }
        }
        store(&state, &row).await;
    }
    .in_current_span());
}

/// Whether this is the first throttled refusal of the account from its network in this window,
/// in this process (decided under a lock: refusals come in floods, and their tasks would all find
/// no event yet); other instances are held back by the stored events.
fn first_refusal_in_window(row: &EventRow) -> bool {
    static SEEN: std::sync::Mutex<Option<std::collections::HashMap<String, i64>>> = std::sync::Mutex::new(None);
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    let seen = seen.get_or_insert_with(Default::default);
    if seen.len() > 10_000 {
        seen.retain(|_, until| *until > row.at_unix);
    }
    let key = format!("{}|{}", row.user_id, row.network);
    match seen.get(&key) {
        Some(until) if *until > row.at_unix => false,
        _ => {
            seen.insert(key, row.at_unix + crate::ratelimit::SIGNIN_WINDOW);
            true
        }
    }
}

/// Runs work that follows a committed change (its notice, its files' bytes) to its end, even if
/// the request is dropped meanwhile (a timeout, a client hanging up).
pub async fn after_commit<F: std::future::Future<Output = ()> + Send + 'static>(work: F) {
    let _ = tokio::spawn(work.in_current_span()).await;
}

/// A successful sign-in (`sign-in`, or `mfa-verified` for a second step) that made `session`.
/// The owner is told when neither the user agent's browser and system nor the network match any
/// earlier successful sign-in. `first`: the sign-in that comes with making the account (its
/// sign-up, or its address's confirmation), which has nothing to differ from. Otherwise an account
/// without any recorded sign-in (from before events were kept), or a history that cannot be
/// read, counts as a new device: the notice errs on the side of telling.
pub async fn signed_in(state: &AppState, user: &UserRow, kind: EventType, actor: &Actor, session: &str, first: bool) {
    let (state, user, actor, session) = (state.clone(), user.clone(), actor.clone(), session.to_string());
    let _ = tokio::spawn(async move {
        let new_device = match state.store.sign_in_history(&user.id).await {
            Ok(history) => !first && !history.iter().any(|(ua, net)| *net == actor.network && device_family(ua) == device_family(&actor.user_agent)),
            Err(e) => {
                tracing::warn!(error = %e, "the sign-in history was not read");
                !first
            }
        };
        store(&state, &row(&state, &user.id, kind, &actor, Some(&session))).await;
        if new_device {
            notice(&state, Notice::NewDevice, &user.email).await;
        }
    }
    .in_current_span())
    .await;
}

/// What "the same device" means for the new-device notice: the browser (or app) and the system.
fn device_family(user_agent: &str) -> (String, String) {
    let parsed = useragent::parse(user_agent);
    (parsed.family, parsed.os.family)
}

/// An event as the wire carries it.
pub fn to_wire(row: EventRow) -> Option<SecurityEvent> {
    Some(SecurityEvent { id: row.id, kind: EventType::parse(&row.kind)?, at: row.at, user_agent: row.user_agent, network: row.network, session_id: row.session_id })
}

#[cfg(test)]
mod tests {
    use super::network;

    #[test]
    fn the_host_part_is_hidden() {
        assert_eq!(network("203.0.113.77".parse().unwrap()), "203.0.113.0/24");
        assert_eq!(network("::ffff:10.1.2.3".parse().unwrap()), "10.1.2.0/24");
        assert_eq!(network("2001:db8:abcd:12:1::9".parse().unwrap()), "2001:db8:abcd::/48");
    }
}
