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
