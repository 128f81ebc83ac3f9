//! PKCE (RFC 7636, S256) for mail links: an altogic-local extension that binds every link the
//! client asks for to this device. Each mail request gets a fresh 32-byte verifier; its SHA-256
//! (the challenge) goes to the server, the verifier stays in the client's [`SessionStore`] (so it
//! survives a restart between asking and clicking) and is sent only when the link's token is
//! redeemed. A link nobody on this device asked for, or one bound to another device, is refused
//! before anything signs in.
//!
//! [`SessionStore`]: crate::SessionStore

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The storage key of the outstanding requests (a JSON array).
pub const LINK_REQUESTS_KEY: &str = "linkRequests";

pub use crate::redirect::{NOT_REQUESTED_HERE, NOT_REQUESTED_HERE_MESSAGE};

/// How long a request is kept: longer than any link lives.
const KEEP_SECS: u64 = 24 * 3600;
/// Outstanding requests kept at most (the newest).
const KEEP_AT_MOST: usize = 16;

/// Why a link was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkPurpose {
    SignUp,
    Resend,
    MagicLink,
    ResetPwd,
    ChangeEmail,
}

impl LinkPurpose {
    /// Whether the request's link carries a token that signs in (`getAuthGrant`). A sign-up to a
    /// taken address mails the owner a sign-in link bound the same way.
    pub fn grants_session(self) -> bool {
        matches!(self, LinkPurpose::SignUp | LinkPurpose::Resend | LinkPurpose::MagicLink)
    }

    /// Whether the request's link may carry a reset-pwd token (a contested sign-up is confirmed
    /// with a "choose your password" link bound to the sign-up).
    pub fn resets_password(self) -> bool {
        matches!(self, LinkPurpose::ResetPwd | LinkPurpose::SignUp | LinkPurpose::Resend)
    }
}

/// One outstanding request of this device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkRequest {
    pub purpose: LinkPurpose,
    /// The address the link was mailed to, as given.
    pub email: String,
    pub(crate) verifier: String,
    /// Unix seconds.
    pub created_at: u64,
}

impl LinkRequest {
    pub(crate) fn new(purpose: LinkPurpose, email: &str) -> LinkRequest {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        LinkRequest { purpose, email: email.trim().to_string(), verifier: URL_SAFE_NO_PAD.encode(bytes), created_at: unix_now() }
    }

    /// base64url(SHA-256(verifier)): what the server keeps.
    pub fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.verifier.as_bytes()))
    }

    pub(crate) fn verifier(&self) -> &str {
        &self.verifier
    }

    /// Same address, as the server would compare them (case aside).
    pub fn is_for(&self, email: &str) -> bool {
        self.email.to_lowercase() == email.trim().to_lowercase()
    }
}

pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The stored list, without expired entries, newest first.
pub(crate) fn parse_requests(stored: Option<String>) -> Vec<LinkRequest> {
    let now = unix_now();
    let mut list: Vec<LinkRequest> = stored.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default();
    list.retain(|r| r.created_at + KEEP_SECS > now);
    list.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    list.truncate(KEEP_AT_MOST);
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verifier_is_32_random_bytes_and_its_challenge_is_s256() {
        let a = LinkRequest::new(LinkPurpose::MagicLink, " A@Example.com ");
        let b = LinkRequest::new(LinkPurpose::MagicLink, "a@example.com");
        assert_eq!(a.verifier.len(), 43);
        assert_ne!(a.verifier, b.verifier);
        assert_eq!(a.challenge().len(), 43);
        assert!(a.is_for("a@example.COM"));
        // RFC 7636 appendix B.
        let rfc = LinkRequest { verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into(), ..a };
        assert_eq!(rfc.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn old_requests_expire_and_the_newest_come_first() {
        let mut old = LinkRequest::new(LinkPurpose::ResetPwd, "x@example.com");
        old.created_at -= KEEP_SECS + 1;
        let mut newer = LinkRequest::new(LinkPurpose::SignUp, "y@example.com");
        newer.created_at += 5;
        let fresh = LinkRequest::new(LinkPurpose::MagicLink, "z@example.com");
        let list = parse_requests(Some(serde_json::to_string(&vec![old, fresh.clone(), newer.clone()]).unwrap()));
        assert_eq!(list, vec![newer, fresh]);
        assert!(parse_requests(Some("garbage".into())).is_empty());
    }
}
