//! Turns client errors into what the UI shows: people's messages, and two codes it acts on.

use altogic::Error;
use altogic_auth_ipc::UiError;

pub fn to_ui(error: Error) -> UiError {
    match error {
        // The client has already cleared the stored session and fired the signed-out event.
        Error::Api(api) if api.invalidates_session() => UiError::new(UiError::SESSION_INVALID, "Your session has ended. Please sign in again."),
        Error::Api(api) => UiError {
            code: api.items.first().map(|e| e.code.clone()).unwrap_or_else(|| "unknown_error".into()),
            messages: api.items.iter().map(|e| e.message.clone()).collect(),
        },
        Error::Network(detail) => {
            tracing::warn!(%detail, "backend unreachable");
            UiError::new(UiError::BACKEND_UNREACHABLE, "Can't reach the server. Check your connection and try again.")
        }
        Error::InvalidResponse(detail) => {
            tracing::warn!(%detail, "invalid response");
            UiError::new("invalid_response", "The server sent an answer the app does not understand. Please try again later.")
        }
        Error::Client { code, message } => UiError::new(code, message),
    }
}

pub fn signed_out() -> UiError {
    UiError::new(UiError::SESSION_INVALID, "Please sign in first.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use altogic::ApiError;

    #[test]
    fn session_codes_become_session_invalid_and_others_keep_their_messages() {
        let api = |body: &str| Error::Api(ApiError::from_response(401, "", body.as_bytes()));
        let e = to_ui(api(r#"{"errors":[{"origin":"client_error","code":"invalid_session_token","message":"x"}]}"#));
        assert_eq!(e.code, UiError::SESSION_INVALID);
        let e = to_ui(api(r#"{"errors":[{"origin":"client_error","code":"invalid_credentials","message":"Wrong."},{"origin":"client_error","code":"b","message":"Also."}]}"#));
        assert_eq!((e.code.as_str(), e.messages.len()), ("invalid_credentials", 2));
        assert_eq!(to_ui(Error::Network("refused".into())).code, UiError::BACKEND_UNREACHABLE);
    }
}
