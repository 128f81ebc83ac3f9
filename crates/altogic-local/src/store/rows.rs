//! The stored rows, as the flows read them (`sqlx::FromRow`): one struct a table.

use serde_json::{Map, Value};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub name: Option<String>,
    pub profile_picture: Option<String>,
    pub email_verified: bool,
    pub provider: String,
    pub sign_up_at: String,
    pub last_login_at: String,
    /// Extra fields of the `users` model.
    #[sqlx(json)]
    pub extra: Map<String, Value>,
}

/// A sign-up of an address that has not proved its mailbox yet. Each sign-up is its own row with
/// its own link; confirming that link turns exactly that row into the account (with its id), and
/// every other pending sign-up of the address is dropped. A password set by someone who cannot
/// read the mailbox therefore never becomes usable.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RegistrationRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub name: Option<String>,
    pub profile_picture: Option<String>,
    #[sqlx(json)]
    pub extra: Map<String, Value>,
    pub created_at: String,
    pub expires_at: i64,
    /// False when the address already had an account at sign-up: the row can never be confirmed,
    /// it exists so that signing in with its password answers as for a free address.
    pub claimable: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub selector: String,
    pub verifier_hash: Vec<u8>,
    pub user_id: String,
    pub created_at: String,
    pub expires_at: i64,
    pub user_agent: String,
    /// When the session last proved who uses it (its sign-in, or a re-authentication), unix seconds.
    pub authenticated_at: i64,
    /// Its last use, unix seconds (written at most once a minute).
    pub used_at: i64,
    /// When it ends whatever its use (`--session-max-days` after it was made), unix seconds.
    pub ends_at: i64,
}

/// A device that signed in to the account with its password (see the `devices` migration).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeviceRow {
    pub selector: String,
    pub verifier_hash: Vec<u8>,
    pub user_id: String,
    pub created_at: String,
    pub expires_at: i64,
}

/// A session with its user, as the authentication of a request loads them (one query).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionUser {
    #[sqlx(flatten)]
    pub session: SessionRow,
    #[sqlx(flatten)]
    pub user: UserRow,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkRow {
    pub selector: String,
    pub verifier_hash: Vec<u8>,
    /// The account's id, or for an `email-confirm` link of a sign-up, the pending registration's
    /// id (which becomes the account's id).
    pub user_id: String,
    /// A [`altogic::RedirectAction`] in its wire spelling.
    pub action: String,
    pub recipient: String,
    pub new_email: Option<String>,
    pub code_hash: Vec<u8>,
    pub code_attempts: i64,
    pub created_at: String,
    pub expires_at: i64,
    pub consumed: bool,
    /// For `change-email`: the session that asked, which survives the change.
    pub session_selector: Option<String>,
    /// PKCE: the challenge of the request that asked for the link (its verifier is never stored).
    pub code_challenge: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccessTokenRow {
    pub selector: String,
    pub verifier_hash: Vec<u8>,
    pub user_id: String,
    pub action: String,
    pub link_selector: Option<String>,
    pub expires_at: i64,
    /// The challenge of the link that minted it: redeeming needs the matching verifier.
    pub code_challenge: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FileRow {
    pub id: String,
    pub bucket: String,
    pub owner_id: Option<String>,
    pub file_name: String,
    pub mime_type: String,
    pub size: i64,
    pub is_public: bool,
    #[sqlx(json)]
    pub tags: Vec<String>,
    pub data: Vec<u8>,
    pub uploaded_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MailRow {
    pub id: String,
    #[sqlx(rename = "to_addr")]
    pub to: String,
    pub subject: String,
    pub action: String,
    pub link: String,
    pub code: String,
    #[sqlx(rename = "text_body")]
    pub text: String,
    #[sqlx(rename = "html_body")]
    pub html: String,
    pub created_at: String,
}

/// An authenticator of an account (see the `two_step` migration). `secret` is sealed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FactorRow {
    pub id: String,
    pub user_id: String,
    pub secret: Vec<u8>,
    pub confirmed: bool,
    pub created_at: String,
    pub expires_at: i64,
    /// The newest step whose code was accepted.
    pub last_step: i64,
}

/// A first step waiting for its second (see the `two_step` migration).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TicketRow {
    pub selector: String,
    pub verifier_hash: Vec<u8>,
    pub user_id: String,
    /// What was proved: `password`, or the action of the spent link.
    pub proof: String,
    /// The fingerprint ([`super::password_fingerprint`]) of the account's password hash when the
    /// proof was given: a change of password voids the ticket.
    pub password_hash: String,
    pub user_agent: String,
    /// The sign-in throttle key the first step was counted on; wrong codes count there too.
    pub throttle_key: String,
    /// A password sign-in from a device without a device token: it gets one with its session.
    pub new_device: bool,
    pub attempts: i64,
    pub expires_at: i64,
}

/// One security event (see the `account_life` migration).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: String,
    pub user_id: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub at: String,
    pub at_unix: i64,
    pub user_agent: String,
    pub network: String,
    pub session_id: Option<String>,
}
