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

/// Records an event of `user_id`. A failure to store it is logged, never the caller's error: the
/// decision it records has been made.
pub async fn record(state: &AppState, user_id: &str, kind: EventType, actor: &Actor, session: Option<&str>) {
    let at_unix = state.clock.now();
    let row = EventRow {
        id: new_id(),
        user_id: user_id.to_string(),
        kind: kind.as_str().to_string(),
        at: iso_unix(at_unix),
        at_unix,
        user_agent: actor.user_agent.clone(),
        network: actor.network.clone(),
        session_id: session.map(str::to_string),
    };
    tracing::info!(target: "security", event = kind.as_str(), user_id, network = %actor.network, session_id = session.unwrap_or(""), user_agent = %actor.user_agent, "security event");
    if let Err(e) = state.store.insert_event(&row).await {
        tracing::warn!(error = %e, event = kind.as_str(), "a security event was not stored");
    }
}

/// A successful sign-in (`sign-in`, or `mfa-verified` for a second step) that made `session`.
/// The owner is told when neither the user agent's browser and system nor the network match any
/// earlier successful sign-in; the first sign-in of an account has nothing to differ from.
pub async fn signed_in(state: &AppState, user: &UserRow, kind: EventType, actor: &Actor, session: &str) {
    let history = match state.store.sign_in_history(&user.id).await {
        Ok(history) => history,
        Err(e) => {
            tracing::warn!(error = %e, "the sign-in history was not read");
            Vec::new()
        }
    };
    let family = device_family(&actor.user_agent);
    let new_device = !history.is_empty() && !history.iter().any(|(ua, net)| *net == actor.network && device_family(ua) == family);
    record(state, &user.id, kind, actor, Some(session)).await;
    if new_device {
        notice(state, Notice::NewDevice, &user.email).await;
    }
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
