//! JSON shapes of the Altogic wire protocol (`shared/altogic-api.md` §2, §3, §8).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A row of the `users` model as the auth and db endpoints return it. Never carries `password`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    #[serde(rename = "_id")]
    pub id: String,
    pub provider: String,
    pub provider_user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_picture: Option<String>,
    pub sign_up_at: String,
    pub last_login_at: String,
    #[serde(default)]
    pub email_verified: bool,
    /// Extra fields of the app's `users` model (what `nameOrUserData` or `db/object/update` set).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One signed-in session. `token` is the credential for the current session; for the other
/// sessions of `GET /auth/sessions` it is a revocation handle that only `signOut(token)` accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub user_id: String,
    pub token: String,
    pub creation_dtm: String,
    #[serde(default)]
    pub access_group_keys: Vec<String>,
    pub user_agent: UserAgent,
    /// Not in Altogic's type: set by altogic-local on the session that made the request.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_current: bool,
}

/// The `toJSON()` shape of the npm `useragent` package, all strings; unknown parts are "Other"/"0".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAgent {
    pub family: String,
    pub major: String,
    pub minor: String,
    pub patch: String,
    pub device: UaPart,
    pub os: UaPart,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UaPart {
    pub family: String,
    pub major: String,
    pub minor: String,
    pub patch: String,
}

impl UaPart {
    pub fn other() -> Self {
        UaPart::new("Other", "0", "0", "0")
    }
    pub fn new(family: &str, major: &str, minor: &str, patch: &str) -> Self {
        UaPart { family: family.into(), major: major.into(), minor: minor.into(), patch: patch.into() }
    }
}

impl Default for UserAgent {
    fn default() -> Self {
        UserAgent {
            family: "Other".into(),
            major: "0".into(),
            minor: "0".into(),
            patch: "0".into(),
            device: UaPart::other(),
            os: UaPart::other(),
        }
    }
}

/// `{user, session}` from sign-up, sign-in and grant. Sign-up has `session: null` while the
/// e-mail waits for verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthGrant {
    pub user: User,
    pub session: Option<Session>,
    /// altogic-local extension: after a password sign-in from a device that presented no device
    /// token, a token that makes the device known to the account (sent back as
    /// [`DEVICE_TOKEN_HEADER`] on later sign-ins, it is counted on a budget of its own, so others'
    /// wrong guesses never lock it out). Other clients ignore it.
    #[serde(rename = "deviceToken", default, skip_serializing_if = "Option::is_none")]
    pub device_token: Option<String>,
}

/// The header that presents a device token on `signin-email`.
pub const DEVICE_TOKEN_HEADER: &str = "X-Device-Token";

/// Body of `POST /auth/signup-email`. altogic-js ≥ 2 sends `nameOrUserData`, older clients and the
/// Dart client send `name` (possibly a whole user object).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignUpRequest {
    pub email: String,
    pub password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_or_user_data: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Value>,
    /// altogic-local extension (PKCE, RFC 7636): binds the confirmation link to this device.
    #[serde(default, flatten)]
    pub pkce: PkceChallenge,
}

/// `codeChallenge` (base64url SHA-256 of a verifier) and `codeChallengeMethod` (`S256`): an
/// altogic-local extension that binds the mailed link and code to whoever holds the verifier. In
/// request bodies of sign-up and change-email, and in the query of the body-less mail requests.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PkceChallenge {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge_method: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignInRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SignOutRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangePasswordRequest {
    pub new_password: String,
    pub old_password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeEmailRequest {
    pub current_password: String,
    pub new_email: String,
    #[serde(default, flatten)]
    pub pkce: PkceChallenge,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetPasswordRequest {
    pub new_password: String,
}

/// Body of the altogic-local extension `POST /auth/verify-code`: the 6-digit code printed in
/// every mail, for when the link cannot open the app. Answers a [`CodeExchange`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyCodeRequest {
    pub email: String,
    pub code: String,
    /// The PKCE verifier of the request that mailed the code, if it was bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_verifier: Option<String>,
}

/// What a mail link's redirect would have carried, returned by `POST /auth/verify-code`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeExchange {
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
}

/// Body of `POST /db/object/get` and `/db/object/update`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DbObjectRequest {
    pub model: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookups: Option<Value>,
}

/// The `options` query parameter of storage uploads (JSON, url-encoded).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadOptions {
    #[serde(default = "default_content_type")]
    pub content_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_public: Option<bool>,
    #[serde(default)]
    pub create_bucket: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Value>,
}

fn default_content_type() -> String {
    "text/plain;charset=UTF-8".into()
}

impl Default for UploadOptions {
    fn default() -> Self {
        UploadOptions { content_type: default_content_type(), is_public: None, create_bucket: false, tags: None }
    }
}

impl UploadOptions {
    pub fn with_content_type(content_type: impl Into<String>) -> Self {
        UploadOptions { content_type: content_type.into(), ..Default::default() }
    }
}

/// File metadata answered by uploads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileInfo {
    #[serde(rename = "_id")]
    pub id: String,
    pub bucket_id: String,
    pub file_name: String,
    pub size: u64,
    pub encoding: String,
    pub mime_type: String,
    pub public_path: String,
    pub is_public: bool,
    pub uploaded_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// One captured mail of altogic-local's dev mailbox (`GET /_local/v1/mail`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailMessage {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub action: String,
    pub link: String,
    pub code: String,
    pub text: String,
    pub html: String,
    pub created_at: String,
    /// altogic-local: the link was redeemed, has expired, or is gone; opening it again does nothing.
    #[serde(default)]
    pub used: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mailbox {
    pub messages: Vec<MailMessage>,
}
