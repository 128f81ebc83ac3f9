//! The Altogic error form: `{"errors":[{origin, code, message, details}]}` on the wire, and the
//! `APIError {status, statusText, items}` the JS client builds from it (spec §1.6, §1.7).

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorEntry {
    pub origin: String,
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

impl ErrorEntry {
    pub fn new(origin: &str, code: &str, message: impl Into<String>) -> Self {
        ErrorEntry { origin: origin.into(), code: code.into(), message: message.into(), details: None }
    }
}

/// The wire body of every error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub errors: Vec<ErrorEntry>,
}

/// An error answered by the server, normalized like altogic-js does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiError {
    pub status: u16,
    pub status_text: String,
    pub items: Vec<ErrorEntry>,
}

/// Codes after which altogic-js drops the stored session and calls `signInRedirect`.
pub const SESSION_INVALIDATING_CODES: [&str; 2] = ["invalid_session_token", "missing_session_token"];

impl ApiError {
    /// Builds the error from a non-2xx answer. Accepts what altogic-js accepts (`errors` as an array or
    /// a single object, a bare array, a bare object); anything else, including non-JSON, becomes one
    /// `server_error` item that says what came back, instead of hanging like the JS client.
    pub fn from_response(status: u16, status_text: &str, body: &[u8]) -> Self {
        let status_text = if status_text.is_empty() { "Bad Request".to_string() } else { status_text.to_string() };
        let items = match serde_json::from_slice::<Value>(body) {
            Ok(value) => Self::items_from_value(value),
            Err(_) => None,
        }
        .unwrap_or_else(|| {
            let snippet: String = String::from_utf8_lossy(&body[..body.len().min(200)]).chars().take(200).collect();
            vec![ErrorEntry {
                origin: "server_error".into(),
                code: "invalid_response".into(),
                message: format!("The server answered {status} {status_text} without a JSON error body."),
                details: Some(serde_json::json!({ "body": snippet })),
            }]
        });
        ApiError { status, status_text, items }
    }

    fn items_from_value(value: Value) -> Option<Vec<ErrorEntry>> {
        let raw: Vec<Value> = match value {
            Value::Object(mut map) => match map.remove("errors") {
                Some(Value::Array(list)) => list,
                Some(Value::Null) | None => vec![Value::Object(map)],
                Some(single) => vec![single],
            },
            Value::Array(list) => list,
            _ => return None,
        };
        let items: Vec<ErrorEntry> = raw.into_iter().map(Self::entry_from_value).collect();
        (!items.is_empty()).then_some(items)
    }

    /// Lenient: a server may leave out fields or send other types; we keep what is usable.
    fn entry_from_value(value: Value) -> ErrorEntry {
        let text = |v: Option<&Value>| match v {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Null) | None => None,
            Some(other) => Some(other.to_string()),
        };
        ErrorEntry {
            origin: text(value.get("origin")).unwrap_or_else(|| "server_error".into()),
            code: text(value.get("code")).unwrap_or_else(|| "unknown_error".into()),
            message: text(value.get("message"))
                .or_else(|| text(value.get("error")))
                .unwrap_or_else(|| "The server reported an error.".into()),
            details: value.get("details").cloned().filter(|d| !d.is_null()),
        }
    }

    pub fn has_code(&self, code: &str) -> bool {
        self.items.iter().any(|e| e.code == code)
    }

    /// True when the JS client would invalidate the session for this error.
    pub fn invalidates_session(&self) -> bool {
        SESSION_INVALIDATING_CODES.iter().any(|c| self.has_code(c))
    }

    /// The first message, for showing to a person.
    pub fn message(&self) -> &str {
        self.items.first().map(|e| e.message.as_str()).unwrap_or("Unknown error")
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let codes: Vec<&str> = self.items.iter().map(|e| e.code.as_str()).collect();
        write!(f, "{} {}: {} ({})", self.status, self.status_text, self.message(), codes.join(", "))
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_every_shape_altogic_js_accepts() {
        let a = ApiError::from_response(401, "", br#"{"errors":[{"origin":"client_error","code":"invalid_session_token","message":"m"}]}"#);
        assert_eq!(a.status_text, "Bad Request");
        assert!(a.invalidates_session());
        let b = ApiError::from_response(400, "Bad Request", br#"{"errors":{"code":"x","message":"y"}}"#);
        assert_eq!(b.items[0].code, "x");
        assert!(!b.invalidates_session());
        let c = ApiError::from_response(400, "Bad Request", br#"[{"code":"a"},{"code":"b"}]"#);
        assert_eq!(c.items.len(), 2);
        let d = ApiError::from_response(400, "Bad Request", br#"{"error":"Invalid Input","code":"validation_error"}"#);
        assert_eq!((d.items[0].code.as_str(), d.items[0].message.as_str()), ("validation_error", "Invalid Input"));
    }

    #[test]
    fn non_json_bodies_become_typed_errors() {
        for body in [&b""[..], b"<html>502</html>", b"{\"errors\":[", b"\"just a string\"", b"[]"] {
            let e = ApiError::from_response(502, "Bad Gateway", body);
            assert_eq!(e.items[0].code, "invalid_response", "{body:?}");
        }
    }
}
