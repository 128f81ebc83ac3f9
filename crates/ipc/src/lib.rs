//! The contract between the Dioxus UI (in the webview) and the Tauri commands (in Rust).
//!
//! Every command is invoked as `window.__TAURI__.core.invoke(NAME, ARGS)`; arguments are JSON
//! objects with camelCase keys (Tauri's convention), results are the types below, and failures
//! are an [`UiError`]. No session token ever crosses this boundary: sessions are named by opaque
//! ids, and mail-link access tokens stay in Rust as the "pending redirect".

use serde::{Deserialize, Serialize};

pub use altogic::User;

/// Command names, so UI and shell cannot drift apart.
pub mod cmd {
    /// `()` → [`super::AppState`]: the signed-in user (from the private store, no network) and the backend.
    pub const APP_STATE: &str = "app_state";
    /// `{email, password}` → `User`.
    pub const SIGN_IN: &str = "sign_in";
    /// `{email, name, password}` → [`super::SignUpOutcome`].
    pub const SIGN_UP: &str = "sign_up";
    /// `{email}` → `()`.
    pub const SEND_MAGIC_LINK: &str = "send_magic_link";
    /// `{email}` → `()`.
    pub const RESEND_VERIFICATION: &str = "resend_verification";
    /// `{email}` → `()`.
    pub const SEND_RESET: &str = "send_reset";
    /// `()` → `Option<RedirectView>`: the mail link that opened the app, if any (kept until completed).
    pub const PENDING_REDIRECT: &str = "pending_redirect";
    /// `()` → `User`: trades the pending redirect's access token for a session.
    pub const COMPLETE_REDIRECT: &str = "complete_redirect";
    /// `()` → `()`: drops the pending redirect unused (the user said No to switching accounts).
    pub const DISCARD_REDIRECT: &str = "discard_redirect";
    /// `{newPassword}` → `()`: sets the password with the pending reset-pwd redirect's token.
    pub const COMPLETE_RESET: &str = "complete_reset";
    /// `{email, code}` → `RedirectView`: the mail's 6-digit code, when the link cannot open the app.
    pub const VERIFY_CODE: &str = "verify_code";
    /// `()` → `User` (fresh from the server).
    pub const REFRESH_USER: &str = "refresh_user";
    /// `{name}` → `User`.
    pub const UPDATE_NAME: &str = "update_name";
    /// `{bytes: number[], mimeType}` → `User` (uploaded to bucket `root` as `user_<id>`, then set as profilePicture).
    pub const UPLOAD_AVATAR: &str = "upload_avatar";
    /// `()` → `Vec<SessionView>`.
    pub const LIST_SESSIONS: &str = "list_sessions";
    /// `{id}` → `()`.
    pub const REVOKE_SESSION: &str = "revoke_session";
    /// `()` → `()`.
    pub const SIGN_OUT_OTHERS: &str = "sign_out_others";
    /// `()` → `()`.
    pub const SIGN_OUT: &str = "sign_out";
    /// `{oldPassword, newPassword}` → `()`.
    pub const CHANGE_PASSWORD: &str = "change_password";
    /// `{password, newEmail}` → `User`.
    pub const CHANGE_EMAIL: &str = "change_email";
    /// `()` → `Vec<MailView>` (embedded backend only).
    pub const DEV_MAILBOX: &str = "dev_mailbox";
    /// `{link}` → `()`: opens a dev-mailbox link inside the app, as if it came in as a deep link.
    pub const OPEN_MAIL_LINK: &str = "open_mail_link";
    /// `()` → `()`: leaves the app (Android's back button on a first screen); boot.js calls it.
    pub const LEAVE_APP: &str = "leave_app";
}

/// Events the shell emits to the UI.
pub mod event {
    /// A mail link arrived (deep link or dev mailbox): payload [`super::RedirectView`]. Navigate to the redirect screen.
    pub const AUTH_REDIRECT: &str = "auth-redirect";
    /// The session was found invalid: payload `()`. Navigate to Login.
    pub const SIGNED_OUT: &str = "signed-out";
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppState {
    pub user: Option<User>,
    /// True when the app runs its own altogic-local (then the dev mailbox exists).
    pub embedded_backend: bool,
    pub env_url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignUpOutcome {
    pub user: User,
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
    pub const SESSION_INVALID: &'static str = "session_invalid";
    pub const BACKEND_UNREACHABLE: &'static str = "backend_unreachable";
}

impl std::fmt::Display for UiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.messages.join(" "))
    }
}
