//! The query an e-mail link's redirect carries back to the app (spec §4.2):
//! `…/auth-redirect?action=email-confirm&status=200&access_token=…` or `…&status=400&error=…`.

use serde::{Deserialize, Serialize};
use url::Url;

/// The error code of a mail link that this device did not ask for (PKCE: no request of this device
/// has a verifier that opens it).
pub const NOT_REQUESTED_HERE: &str = "link_not_requested_here";

/// What a person is told about such a link.
pub const NOT_REQUESTED_HERE_MESSAGE: &str = "This link was requested on another device. Open it there, or enter the 6-digit code on the device that asked for it.";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RedirectAction {
    EmailConfirm,
    MagicLink,
    ResetPwd,
    ChangeEmail,
    OauthSignin,
    OauthSignup,
    #[serde(untagged)]
    Other(String),
}

impl RedirectAction {
    pub fn parse(s: &str) -> Self {
        match s {
            "email-confirm" => Self::EmailConfirm,
            "magic-link" => Self::MagicLink,
            "reset-pwd" => Self::ResetPwd,
            "change-email" => Self::ChangeEmail,
            "oauth-signin" => Self::OauthSignin,
            "oauth-signup" => Self::OauthSignup,
            other => Self::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::EmailConfirm => "email-confirm",
            Self::MagicLink => "magic-link",
            Self::ResetPwd => "reset-pwd",
            Self::ChangeEmail => "change-email",
            Self::OauthSignin => "oauth-signin",
            Self::OauthSignup => "oauth-signup",
            Self::Other(s) => s,
        }
    }

    /// Actions whose access token is traded for a session with `getAuthGrant`.
    pub fn grants_session(&self) -> bool {
        matches!(self, Self::EmailConfirm | Self::MagicLink | Self::OauthSignin | Self::OauthSignup)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedirectParams {
    pub action: RedirectAction,
    /// The HTTP-like status the server put in the link (200 on success).
    pub status: u16,
    pub access_token: Option<String>,
    pub error: Option<String>,
    pub code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectParseError {
    #[error("not a valid URL: {0}")]
    InvalidUrl(String),
    #[error("the link has no `action` parameter")]
    MissingAction,
    #[error("the link's `status` is missing or not a number")]
    InvalidStatus,
}

impl RedirectParams {
    /// Parses a redirect URL. Parameters may be in the query or the fragment, as altogic-js accepts.
    pub fn parse(url: &str) -> Result<Self, RedirectParseError> {
        let parsed = Url::parse(url.trim()).map_err(|e| RedirectParseError::InvalidUrl(e.to_string()))?;
        let mut pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
        if let Some(fragment) = parsed.fragment() {
            pairs.extend(url::form_urlencoded::parse(fragment.as_bytes()).into_owned());
        }
        let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).filter(|v| !v.is_empty());
        let action = RedirectAction::parse(&get("action").ok_or(RedirectParseError::MissingAction)?);
        let status = get("status").and_then(|s| s.parse().ok()).ok_or(RedirectParseError::InvalidStatus)?;
        Ok(RedirectParams { action, status, access_token: get("access_token"), error: get("error"), code: get("code") })
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_success_and_error_links() {
        let ok = RedirectParams::parse("altogic-auth://auth-redirect?action=email-confirm&status=200&access_token=abc").unwrap();
        assert_eq!(ok.action, RedirectAction::EmailConfirm);
        assert!(ok.is_success() && ok.action.grants_session());
        assert_eq!(ok.access_token.as_deref(), Some("abc"));

        let err = RedirectParams::parse(
            "http://localhost:3000/?status=400&action=email-confirm&error=Invalid+or+expired+access+token&code=invalid_access_token",
        )
        .unwrap();
        assert!(!err.is_success());
        assert_eq!(err.error.as_deref(), Some("Invalid or expired access token"));
        assert_eq!(err.code.as_deref(), Some("invalid_access_token"));
    }

    #[test]
    fn reads_the_fragment_and_unknown_actions() {
        let p = RedirectParams::parse("https://app.example/r#action=reset-pwd&status=200&access_token=t").unwrap();
        assert_eq!((p.action, p.access_token.as_deref()), (RedirectAction::ResetPwd, Some("t")));
        let q = RedirectParams::parse("altogic-auth://auth-redirect?action=future&status=200").unwrap();
        assert_eq!(q.action.as_str(), "future");
        assert!(!q.action.grants_session());
    }

    #[test]
    fn rejects_malformed_links() {
        assert!(matches!(RedirectParams::parse("not a url"), Err(RedirectParseError::InvalidUrl(_))));
        assert_eq!(RedirectParams::parse("altogic-auth://auth-redirect?status=200"), Err(RedirectParseError::MissingAction));
        assert_eq!(
            RedirectParams::parse("altogic-auth://auth-redirect?action=magic-link&status=x"),
            Err(RedirectParseError::InvalidStatus)
        );
    }
}
