//! Two-step verification and re-authentication (`shared/account-security-api.md` §1–2): the second
//! step of a sign-in, and the calls that manage an authenticator. A sign-in (password or mail
//! link) of an account with two-step verification on answers [`Error::MfaRequired`]; the ticket
//! the server sent stays inside this client until [`Auth::verify_mfa`] spends it.

use reqwest::Method;

use crate::account_security::*;
use crate::client::{Body, PendingMfa, Result};
use crate::types::{AuthGrant, Session, User};
use crate::{Auth, Error};

const NO_BODY: Body<'static, ()> = Body::None;

impl Auth<'_> {
    /// Keeps the ticket of an `mfa_required` answer and turns it into [`Error::MfaRequired`];
    /// other errors pass through.
    pub(crate) fn second_step_needed(&self, error: Error, email: Option<&str>) -> Error {
        let challenge = error
            .api()
            .filter(|e| e.has_code(codes::MFA_REQUIRED))
            .and_then(|e| e.items.iter().find(|i| i.code == codes::MFA_REQUIRED))
            .and_then(|i| i.details.clone())
            .and_then(|d| serde_json::from_value::<MfaChallenge>(d).ok());
        match challenge {
            Some(c) => {
                *self.pending() = Some(PendingMfa { ticket: c.mfa_ticket, email: email.map(str::to_string) });
                Error::MfaRequired { expires_at: c.expires_at }
            }
            None => error,
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Option<PendingMfa>> {
        self.client.inner.pending_mfa.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a sign-in waits for its second step.
    pub fn mfa_pending(&self) -> bool {
        self.pending().is_some()
    }

    /// Forgets a sign-in waiting for its second step.
    pub fn cancel_mfa(&self) {
        *self.pending() = None;
    }

    /// Finishes the waiting sign-in with a code or a recovery code. A wrong code keeps the ticket
    /// for another try (`invalid_code`); an ended ticket (`invalid_mfa_ticket`: expired, or its
    /// fifth wrong code) is forgotten, and the sign-in starts over.
    pub async fn verify_mfa(&self, factor: SecondFactor) -> Result<(User, Session)> {
        let (ticket, email) = match &*self.pending() {
            Some(p) => (p.ticket.clone(), p.email.clone()),
            None => return Err(Error::Client { code: "no_mfa_pending", message: "No sign-in is waiting for a code: sign in again.".into() }),
        };
        let body = MfaVerifyRequest { mfa_ticket: ticket, factor };
        let answer: Result<AuthGrant> = self.client.json(Method::POST, MFA_VERIFY_PATH, &[], Body::Json(&body)).await;
        let grant = match answer {
            Ok(grant) => grant,
            Err(e) => {
                if e.has_code(codes::INVALID_MFA_TICKET) {
                    self.cancel_mfa();
                }
                return Err(e);
            }
        };
        self.cancel_mfa();
        if let (Some(token), Some(email)) = (&grant.device_token, email.or_else(|| grant.user.email.clone())) {
            self.client.remember_device_token(&email, token);
        }
        self.session_from(grant)
    }

    /// `GET /auth/mfa`.
    pub async fn mfa_status(&self) -> Result<MfaStatus> {
        self.client.json(Method::GET, MFA_PATH, &[], NO_BODY).await
    }

    /// Starts setting up an authenticator: a pending factor, its secret and `otpauth://` URI.
    pub async fn enroll_totp(&self) -> Result<TotpEnrollment> {
        self.client.json(Method::POST, MFA_ENROLL_PATH, &[], NO_BODY).await
    }

    /// Confirms the pending factor with its first code; answers the recovery codes, once.
    pub async fn confirm_totp(&self, factor_id: &str, code: &str) -> Result<RecoveryCodes> {
        let body = ConfirmTotpRequest { factor_id: factor_id.into(), code: code.into() };
        self.client.json(Method::POST, MFA_CONFIRM_PATH, &[], Body::Json(&body)).await
    }

    /// Turns two-step verification off (needs a recent authentication).
    pub async fn disable_mfa(&self, factor: SecondFactor) -> Result<()> {
        self.client.send(Method::POST, MFA_DISABLE_PATH, &[], Body::Json(&factor)).await.map(drop)
    }

    /// New recovery codes, replacing the old ones (needs a recent authentication).
    pub async fn regenerate_recovery_codes(&self, code: &str) -> Result<RecoveryCodes> {
        let body = CodeRequest { code: code.into() };
        self.client.json(Method::POST, MFA_RECOVERY_CODES_PATH, &[], Body::Json(&body)).await
    }

    /// Proves again who uses this session: the password, or a code with two-step verification on.
    pub async fn reauthenticate(&self, proof: ReauthenticateRequest) -> Result<Reauthenticated> {
        self.client.json(Method::POST, REAUTHENTICATE_PATH, &[], Body::Json(&proof)).await
    }
}
