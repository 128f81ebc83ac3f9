//! The contract between the Dioxus UI (in the webview) and the Tauri commands (in Rust).
//!
//! Every command is declared once in [`commands`] (name, argument struct, answer) and invoked as
//! `window.__TAURI__.core.invoke(NAME, { args })`; failures are an [`UiError`]. No session token ever crosses this boundary: sessions are named by opaque
//! ids, and mail-link access tokens stay in Rust as the "pending redirect".

use serde::{Deserialize, Serialize};


pub mod commands;
pub use commands::{Command, ALL as ALL_COMMANDS};

/// Error codes the UI and the shell agree on (the server's own codes pass through unchanged).
pub mod codes {
    /// The user was signed out (or never signed in): the UI goes to Login.
    pub const SESSION_INVALID: &str = "session_invalid";
    /// The server could not be reached: the UI shows a banner.
    pub const BACKEND_UNREACHABLE: &str = "backend_unreachable";
    pub const VALIDATION_ERROR: &str = "validation_error";
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
    pub const REQUEST_BODY_SIZE_TOO_LARGE: &str = "request_body_size_too_large";
    /// The dev mailbox without the built-in backend (or with its mailbox off).
    pub const NOT_AVAILABLE: &str = "not_available";
    /// No mail link is pending.
    pub const NO_REDIRECT: &str = "no_redirect";
    /// The pending link is for another action than the one asked.
    pub const WRONG_ACTION: &str = "wrong_action";
    pub const MISSING_ACCESS_TOKEN: &str = "missing_access_token";
    /// A failed link without a code of its own.
    pub const REDIRECT_ERROR: &str = "redirect_error";
    /// A sign-in needs its second step: the UI goes to the two-step screen.
    pub const MFA_REQUIRED: &str = altogic::account_security::codes::MFA_REQUIRED;
    /// The sign-in waiting for its second step expired (or took five wrong codes): sign in again.
    pub const INVALID_MFA_TICKET: &str = altogic::account_security::codes::INVALID_MFA_TICKET;
    /// The call needs a recent authentication: the UI asks for the password or a code, then
    /// retries the call once.
    pub const REAUTHENTICATION_REQUIRED: &str = altogic::account_security::codes::REAUTHENTICATION_REQUIRED;
    /// A password the server refused as too weak: the messages are its reasons in plain words.
    pub const WEAK_PASSWORD: &str = altogic::account_security::WEAK_PASSWORD;
    /// An answer (of the server, or of the shell to the UI) that could not be read.
    pub const INVALID_RESPONSE: &str = "invalid_response";
    pub const UNKNOWN_ERROR: &str = "unknown_error";
}

/// A profile picture's rules, checked by the UI before it reads the file and by the shell before
/// it uploads (the server refuses more than 5 MB too).
pub mod avatar {
    use crate::{codes, UiError};

    pub const MAX_BYTES: usize = 5 * 1024 * 1024;
    /// Pictures are scaled so neither side exceeds this many pixels before upload.
    pub const MAX_SIDE: u32 = 512;
    /// The `accept` list of the file input, and what the shell lets through.
    pub const TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

    pub fn check(mime: &str, size: usize) -> Result<(), UiError> {
        if !TYPES.contains(&mime) {
            return Err(UiError::new(codes::UNSUPPORTED_MEDIA_TYPE, "Please choose a PNG, JPEG, GIF or WebP picture."));
        }
        if size == 0 {
            return Err(UiError::new(codes::VALIDATION_ERROR, "That picture is empty."));
        }
        if size > MAX_BYTES {
            return Err(UiError::new(codes::REQUEST_BODY_SIZE_TOO_LARGE, "That picture is too large (at most 5 MB)."));
        }
        Ok(())
    }
}

/// Events the shell emits to the UI.
pub mod event {
    /// A mail link arrived (deep link or dev mailbox): payload [`super::RedirectView`]. Navigate to the redirect screen.
    pub const AUTH_REDIRECT: &str = "auth-redirect";
    /// The server ended the session: payload why, in plain words (a `String`, shown on Login).
    /// Navigate to Login.
    pub const SIGNED_OUT: &str = "signed-out";
}

/// The signed-in user as the UI shows it. Not the whole `users` row: its extra fields are free-form
/// JSON, which the webview has no use for and which would cost the wasm a JSON value type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub profile_picture: Option<String>,
}

impl From<altogic::User> for UserView {
    fn from(u: altogic::User) -> Self {
        UserView { id: u.id, email: u.email, name: u.name, profile_picture: u.profile_picture }
    }
}

/// The global (`window.<name>`) where the shell puts, before the page loads, the [`AppState`] it
/// knew when the app last ran: the UI draws its first screen from it instead of waiting for
/// start-up (the built-in backend, the keychain). `env_url` is empty in it: the built-in backend's
/// address is known only once it has started.
pub const LAST_KNOWN_GLOBAL: &str = "__ALTOGIC_LAST_KNOWN__";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppState {
    pub user: Option<UserView>,
    /// True when the app runs its own altogic-local (then the dev mailbox exists).
    pub embedded_backend: bool,
    pub env_url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignUpOutcome {
    pub user: UserView,
    /// False while the e-mail waits for verification ("check your inbox").
    pub signed_in: bool,
}

/// A mail link's redirect as the UI may see it: no access token, and no text from the link (anyone
/// can craft a link; the UI shows [`link_error_message`] for its error code instead).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedirectView {
    /// `email-confirm`, `magic-link`, `reset-pwd`, `change-email`, …
    pub action: String,
    pub status: u16,
    /// The link's error code when `status` is not 200.
    pub error_code: Option<String>,
    pub has_token: bool,
    /// False when this device asked for no link that this one could be (PKCE): it was requested
    /// elsewhere, or crafted. Such a link never signs in.
    pub requested_here: bool,
    /// Set when someone is signed in and the link would sign in as this other address: ask first.
    pub signs_in_as: Option<String>,
}

pub use altogic::redirect::{NOT_REQUESTED_HERE, NOT_REQUESTED_HERE_MESSAGE};

/// The app's own words for a link's error code (unknown codes get a generic message).
pub fn link_error_message(code: Option<&str>) -> &'static str {
    match code {
        Some("invalid_access_token" | "missing_access_token") => "This link has expired or has already been used. Please request a new one.",
        Some("email_already_exists" | "email_not_unique") => "That e-mail address already belongs to another account.",
        Some("invalid_code_verifier" | NOT_REQUESTED_HERE) => NOT_REQUESTED_HERE_MESSAGE,
        _ => "This link could not be used. Please request a new one.",
    }
}

/// Two-step verification of the signed-in account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MfaView {
    pub enabled: bool,
    pub recovery_codes_left: u32,
}

/// An authenticator app to set up: scan the QR code, or type the secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentView {
    /// The `otpauth://` URI as an SVG QR code, drawn by the shell (no remote service).
    pub qr_svg: String,
    /// The base32 secret in groups of four, for typing.
    pub secret: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    /// Opaque; pass to `revoke_session`.
    pub id: String,
    pub is_current: bool,
    /// e.g. "Pixel 8", or "Other" when the client did not say.
    pub device: String,
    /// e.g. "Linux", "Android 14".
    pub os: String,
    /// e.g. "AltogicAuth 0.1", "Chrome 120".
    pub app: String,
    /// ISO-8601.
    pub created_at: String,
}

/// One event of the account's security history, as Profile → Security → Recent activity lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityEventView {
    pub id: String,
    /// The contract's type: `sign-in`, `password-changed`, …
    pub kind: String,
    /// What happened, in plain words ("Signed in").
    pub description: String,
    /// ISO-8601.
    pub at: String,
    /// From the user agent: "AltogicAuth on ann-laptop", "Chrome on macOS".
    pub device: String,
    /// The address with its host part hidden ("203.0.113.0/24").
    pub network: String,
    /// Made by, or done for, this device's session.
    pub is_current: bool,
}

/// How strong a password being typed is, by the server's rules (computed in the shell: the wasm
/// carries no dictionary).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordStrengthView {
    /// zxcvbn's 0 (guessed at once) to 4.
    pub score: u8,
    /// Why the server would refuse it, in plain words; empty when it would not.
    pub reasons: Vec<String>,
    pub suggestion: Option<String>,
    pub passes: bool,
}

/// A captured mail of the dev mailbox: the wire type of altogic-local's `GET /_local/v1/mail`.
pub use altogic::MailMessage as MailView;

/// A failed command. `messages` are for people (the Altogic error items' messages); `code` is the
/// first item's code. `session_invalid` means the user was signed out and the UI should go to Login;
/// `backend_unreachable` means the server could not be reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UiError {
    pub code: String,
    pub messages: Vec<String>,
}

impl UiError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        UiError { code: code.into(), messages: vec![message.into()] }
    }
}

impl std::error::Error for UiError {}

impl std::fmt::Display for UiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.messages.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avatar_rules_say_what_is_wrong() {
        assert!(avatar::check("image/png", 1).is_ok());
        assert_eq!(avatar::check("image/svg+xml", 1).unwrap_err().code, codes::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(avatar::check("image/png", 0).unwrap_err().code, codes::VALIDATION_ERROR);
        assert_eq!(avatar::check("image/png", avatar::MAX_BYTES + 1).unwrap_err().code, codes::REQUEST_BODY_SIZE_TOO_LARGE);
    }

    #[test]
    fn command_names_are_unique() {
        let mut names = ALL_COMMANDS.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL_COMMANDS.len());
    }
}
