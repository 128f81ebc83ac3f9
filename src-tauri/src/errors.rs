//! The one error type of the commands: client errors convert with `?` (`#[from]`), app rules are
//! [`UiError`]s, and both cross the IPC as a [`UiError`] — people's messages and the two codes the
//! UI acts on (`session_invalid` → Login, `backend_unreachable` → banner).

use altogic::account_security::WeakPassword;
use altogic::{ApiError, Error};
use altogic_auth_ipc::{codes, UiError};

#[derive(Debug, thiserror::Error)]
pub enum CmdError {
    #[error(transparent)]
    Altogic(#[from] Error),
    #[error("{0}")]
    Ui(#[from] UiError),
}

pub type CmdResult<T> = Result<T, CmdError>;

impl CmdError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        CmdError::Ui(UiError::new(code, message))
    }

    /// Someone must be signed in first.
    pub fn signed_out() -> Self {
        CmdError::new(codes::SESSION_INVALID, "Please sign in first.")
    }

    /// What the UI shows and acts on.
    pub fn to_ui(&self) -> UiError {
        match self {
            CmdError::Ui(e) => e.clone(),
            // The client has already cleared the stored session and fired the signed-out event.
            CmdError::Altogic(Error::Api(api)) if api.invalidates_session() => UiError::new(codes::SESSION_INVALID, crate::session_life::ENDED),
            CmdError::Altogic(Error::Api(api)) if api.has_code(codes::WEAK_PASSWORD) => weak_password(api),
            CmdError::Altogic(Error::Api(api)) => UiError {
                code: api.items.first().map(|e| e.code.clone()).unwrap_or_else(|| codes::UNKNOWN_ERROR.into()),
                messages: api.items.iter().map(|e| e.message.clone()).collect(),
            },
            CmdError::Altogic(Error::Network(detail)) => {
                tracing::warn!(%detail, "backend unreachable");
                UiError::new(codes::BACKEND_UNREACHABLE, "Can't reach the server. Check your connection and try again.")
            }
            CmdError::Altogic(Error::InvalidResponse(detail)) => {
                tracing::warn!(%detail, "invalid response");
                UiError::new(codes::INVALID_RESPONSE, "The server sent an answer the app does not understand. Please try again later.")
            }
            CmdError::Altogic(Error::Client { code, message }) => UiError::new(code, message.clone()),
            // The ticket stays in the client: the UI only learns that a code is needed.
            CmdError::Altogic(Error::MfaRequired { .. }) => UiError::new(codes::MFA_REQUIRED, "Enter the 6-digit code from your authenticator app."),
        }
    }
}

/// A refused password: its reasons in plain words, then what would help (the server's own
/// message only when it gave no reason the app knows).
fn weak_password(api: &ApiError) -> UiError {
    let entry = api.items.iter().find(|e| e.code == codes::WEAK_PASSWORD);
    let details: WeakPassword = entry.and_then(|e| e.details.clone()).and_then(|d| serde_json::from_value(d).ok()).unwrap_or_default();
    let mut messages: Vec<String> = details.reasons.iter().map(|r| r.explain()).collect();
    if messages.is_empty() {
        messages.push(entry.map(|e| e.message.clone()).unwrap_or_else(|| "Please choose a stronger password.".into()));
    }
    messages.extend(details.suggestion);
    UiError { code: codes::WEAK_PASSWORD.into(), messages }
}

impl serde::Serialize for CmdError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_ui().serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_codes_become_session_invalid_and_others_keep_their_messages() {
        let api = |body: &str| CmdError::from(Error::Api(ApiError::from_response(401, "", body.as_bytes())));
        let e = api(r#"{"errors":[{"origin":"client_error","code":"invalid_session_token","message":"x"}]}"#).to_ui();
        assert_eq!(e.code, codes::SESSION_INVALID);
        let e = api(r#"{"errors":[{"origin":"client_error","code":"invalid_credentials","message":"Wrong."},{"origin":"client_error","code":"b","message":"Also."}]}"#).to_ui();
        assert_eq!((e.code.as_str(), e.messages.len()), ("invalid_credentials", 2));
        assert_eq!(CmdError::from(Error::Network("refused".into())).to_ui().code, codes::BACKEND_UNREACHABLE);
        // Across the IPC it is a UiError.
        let json = serde_json::to_value(CmdError::new(codes::VALIDATION_ERROR, "No.")).unwrap();
        assert_eq!(json, serde_json::json!({ "code": "validation_error", "messages": ["No."] }));
    }

    #[test]
    fn a_weak_password_is_refused_in_plain_words() {
        let body = r#"{"errors":[{"origin":"client_error","code":"weak_password","message":"weak","details":{"reasons":["too_short","common"],"suggestion":"Add another word or two."}}]}"#;
        let e = CmdError::from(Error::Api(ApiError::from_response(400, "", body.as_bytes()))).to_ui();
        assert_eq!(e.code, codes::WEAK_PASSWORD);
        assert_eq!(e.messages.len(), 3, "{e:?}");
        assert!(e.messages[0].contains("at least 8 characters") && e.messages[1].contains("commonly used"), "{e:?}");
        assert_eq!(e.messages[2], "Add another word or two.");
        // Without details the server's message stands.
        let bare = r#"{"errors":[{"origin":"client_error","code":"weak_password","message":"Too weak."}]}"#;
        assert_eq!(CmdError::from(Error::Api(ApiError::from_response(400, "", bare.as_bytes()))).to_ui().messages, vec!["Too weak."]);
    }
}
