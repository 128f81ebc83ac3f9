//! Wire types of the account-security calls (`shared/account-security-api.md` §1–2): two-step
//! verification (TOTP), recovery codes, and recent re-authentication. Defined once, for the server
//! and the client.

use serde::{Deserialize, Serialize};

/// Error codes of these calls (the contract's names).
pub mod codes {
    /// 401 from a call that would have made a session: `details` is [`super::MfaChallenge`].
    pub const MFA_REQUIRED: &str = "mfa_required";
    /// 401: the ticket is unknown, expired, used, or ended by its fifth wrong code.
    pub const INVALID_MFA_TICKET: &str = "invalid_mfa_ticket";
    /// 403: the session must re-authenticate (`POST /auth/reauthenticate`) first.
    pub const REAUTHENTICATION_REQUIRED: &str = "reauthentication_required";
    /// 400: a wrong (or already used) code or recovery code.
    pub const INVALID_CODE: &str = "invalid_code";
    /// 400: the call needs two-step verification on (altogic-local's code; the contract is silent).
    pub const MFA_NOT_ENABLED: &str = "mfa_not_enabled";
}

pub const MFA_PATH: &str = "/_api/rest/v1/auth/mfa";
pub const MFA_ENROLL_PATH: &str = "/_api/rest/v1/auth/mfa/totp/enroll";
pub const MFA_CONFIRM_PATH: &str = "/_api/rest/v1/auth/mfa/totp/confirm";
pub const MFA_VERIFY_PATH: &str = "/_api/rest/v1/auth/mfa/verify";
pub const MFA_DISABLE_PATH: &str = "/_api/rest/v1/auth/mfa/disable";
pub const MFA_RECOVERY_CODES_PATH: &str = "/_api/rest/v1/auth/mfa/recovery-codes";
pub const REAUTHENTICATE_PATH: &str = "/_api/rest/v1/auth/reauthenticate";

/// How many recovery codes a confirmation or a regeneration hands out.
pub const RECOVERY_CODE_COUNT: usize = 10;

/// `GET /auth/mfa`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MfaStatus {
    pub enabled: bool,
    pub factors: Vec<MfaFactor>,
    pub recovery_codes_left: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MfaFactor {
    pub id: String,
    /// Always `totp`.
    #[serde(rename = "type")]
    pub kind: String,
    pub created_at: String,
}

/// `POST /auth/mfa/totp/enroll`: a pending factor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TotpEnrollment {
    pub factor_id: String,
    /// Base32, at least 160 bits.
    pub secret: String,
    /// `otpauth://totp/<issuer>:<email>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
    pub uri: String,
}

/// Body of `POST /auth/mfa/totp/confirm`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmTotpRequest {
    pub factor_id: String,
    pub code: String,
}

/// Answer of confirm and of `POST /auth/mfa/recovery-codes`: shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

/// A second step: a code of the authenticator, or one recovery code (exactly one of them).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecondFactor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
}

impl SecondFactor {
    pub fn code(code: &str) -> Self {
        SecondFactor { code: Some(code.into()), recovery_code: None }
    }

    pub fn recovery_code(code: &str) -> Self {
        SecondFactor { code: None, recovery_code: Some(code.into()) }
    }
}

/// Body of `POST /auth/mfa/verify`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MfaVerifyRequest {
    pub mfa_ticket: String,
    #[serde(flatten)]
    pub factor: SecondFactor,
}

/// Body of `POST /auth/mfa/recovery-codes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeRequest {
    pub code: String,
}

/// Body of `POST /auth/reauthenticate`: the password, or a code when two-step verification is on.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReauthenticateRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reauthenticated {
    pub reauthenticated_at: String,
}

/// `details` of an `mfa_required` error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MfaChallenge {
    /// Opaque, single use, at least 128 bits.
    pub mfa_ticket: String,
    pub expires_at: String,
}

// --- §3–7: sessions, passwords, deleting and exporting an account, its history, notices ---

/// 400 from sign-up, change and reset: `details` is [`WeakPassword`].
pub const WEAK_PASSWORD: &str = "weak_password";

pub const DELETE_ACCOUNT_PATH: &str = "/_api/rest/v1/auth/delete-account";
pub const EXPORT_PATH: &str = "/_api/rest/v1/auth/export";
pub const SECURITY_EVENTS_PATH: &str = "/_api/rest/v1/auth/security-events";

/// Defaults of `--session-idle-days` and `--session-max-days` (§3).
pub const SESSION_IDLE_DAYS: i64 = 30;
pub const SESSION_MAX_DAYS: i64 = 90;

/// Password length bounds (§4), in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 256;
/// Default of `--min-password-score` (zxcvbn's 0–4).
pub const MIN_PASSWORD_SCORE: u8 = 2;

/// Why a password was refused (§4), in the contract's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeakReason {
    TooShort,
    TooLong,
    /// One of the commonly used passwords.
    Common,
    /// Its zxcvbn score is below the server's minimum.
    Guessable,
}

impl WeakReason {
    /// The reason in plain words, for people.
    pub fn explain(self) -> String {
        match self {
            WeakReason::TooShort => format!("Use at least {MIN_PASSWORD_CHARS} characters."),
            WeakReason::TooLong => format!("Use at most {MAX_PASSWORD_CHARS} characters."),
            WeakReason::Common => "This is one of the most commonly used passwords: it is among the first that attackers try.".into(),
            WeakReason::Guessable => "This password would be easy to guess. Add more words or characters that do not follow a pattern.".into(),
        }
    }
}

/// `details` of a `weak_password` error.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WeakPassword {
    pub reasons: Vec<WeakReason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

/// Body of `POST /auth/delete-account`: the password, or a code when two-step verification is on.
pub type DeleteAccountRequest = ReauthenticateRequest;

/// A security event's type (§6), in the contract's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventType {
    SignIn,
    SignInFailed,
    SignInThrottled,
    MfaRequired,
    MfaVerified,
    MfaFailed,
    PasswordChanged,
    PasswordReset,
    EmailChanged,
    MfaEnabled,
    MfaDisabled,
    RecoveryCodeUsed,
    RecoveryCodesRegenerated,
    SessionRevoked,
    SignedOutAll,
    Reauthenticated,
    AccountExported,
}

impl EventType {
    pub const ALL: [EventType; 17] = [
        EventType::SignIn,
        EventType::SignInFailed,
        EventType::SignInThrottled,
        EventType::MfaRequired,
        EventType::MfaVerified,
        EventType::MfaFailed,
        EventType::PasswordChanged,
        EventType::PasswordReset,
        EventType::EmailChanged,
        EventType::MfaEnabled,
        EventType::MfaDisabled,
        EventType::RecoveryCodeUsed,
        EventType::RecoveryCodesRegenerated,
        EventType::SessionRevoked,
        EventType::SignedOutAll,
        EventType::Reauthenticated,
        EventType::AccountExported,
    ];

    /// The contract's name (`sign-in`, `mfa-verified`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::SignIn => "sign-in",
            EventType::SignInFailed => "sign-in-failed",
            EventType::SignInThrottled => "sign-in-throttled",
            EventType::MfaRequired => "mfa-required",
            EventType::MfaVerified => "mfa-verified",
            EventType::MfaFailed => "mfa-failed",
            EventType::PasswordChanged => "password-changed",
            EventType::PasswordReset => "password-reset",
            EventType::EmailChanged => "email-changed",
            EventType::MfaEnabled => "mfa-enabled",
            EventType::MfaDisabled => "mfa-disabled",
            EventType::RecoveryCodeUsed => "recovery-code-used",
            EventType::RecoveryCodesRegenerated => "recovery-codes-regenerated",
            EventType::SessionRevoked => "session-revoked",
            EventType::SignedOutAll => "signed-out-all",
            EventType::Reauthenticated => "reauthenticated",
            EventType::AccountExported => "account-exported",
        }
    }

    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// What happened, in plain words, for people.
    pub fn describe(self) -> &'static str {
        match self {
            EventType::SignIn => "Signed in",
            EventType::SignInFailed => "Wrong password entered",
            EventType::SignInThrottled => "Sign-in blocked after too many attempts",
            EventType::MfaRequired => "Password accepted, code asked for",
            EventType::MfaVerified => "Signed in with two-step verification",
            EventType::MfaFailed => "Wrong two-step code entered",
            EventType::PasswordChanged => "Password changed",
            EventType::PasswordReset => "Password reset",
            EventType::EmailChanged => "E-mail address changed",
            EventType::MfaEnabled => "Two-step verification turned on",
            EventType::MfaDisabled => "Two-step verification turned off",
            EventType::RecoveryCodeUsed => "Recovery code used",
            EventType::RecoveryCodesRegenerated => "New recovery codes made",
            EventType::SessionRevoked => "A device was signed out",
            EventType::SignedOutAll => "Signed out everywhere",
            EventType::Reauthenticated => "Identity confirmed",
            EventType::AccountExported => "Account data downloaded",
        }
    }
}

/// Bounds of `GET /auth/security-events?limit=N`.
pub const EVENTS_LIMIT_DEFAULT: u32 = 20;
pub const EVENTS_LIMIT_MAX: u32 = 100;

/// One security event (§6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub at: String,
    /// The request's user agent, as sent.
    pub user_agent: String,
    /// The client address with its host part hidden (IPv4 /24, IPv6 /48).
    pub network: String,
    /// The handle (as in `GET /auth/sessions`) of the session the event made or acted for.
    pub session_id: Option<String>,
}

/// `GET /auth/security-events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityEvents {
    pub events: Vec<SecurityEvent>,
}

/// A session as the export lists it: no token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportedSession {
    pub id: String,
    pub creation_dtm: String,
    pub last_used_at: String,
    pub expires_at: String,
    pub user_agent: crate::types::UserAgent,
    pub is_current: bool,
}

/// A stored file as the export lists it (its bytes are at `url`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportedFile {
    pub name: String,
    pub url: String,
    pub size: i64,
    pub created_at: String,
}

/// `GET /auth/export` (§5): what the service holds about the caller, and no secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountExport {
    pub user: crate::types::User,
    pub sessions: Vec<ExportedSession>,
    pub security_events: Vec<SecurityEvent>,
    pub files: Vec<ExportedFile>,
}
