//! The account's own data (`shared/account-security-api.md` §5–6): deleting it, exporting it, and
//! its security history.

use reqwest::Method;

use crate::account_security::*;
use crate::client::{Body, Result};
use crate::Auth;

impl Auth<'_> {
    /// Deletes the account for good (the password, or a code with two-step verification on).
    /// Afterwards this device keeps nothing of it: session, user, device token, link requests.
    pub async fn delete_account(&self, proof: DeleteAccountRequest) -> Result<()> {
        let email = self.client.user().and_then(|u| u.email);
        self.client.send(Method::POST, DELETE_ACCOUNT_PATH, &[], Body::Json(&proof)).await?;
        match email {
            Some(email) => self.client.forget_account(&email),
            None => self.client.clear_local_data(),
        }
        Ok(())
    }

    /// Everything the service holds about the caller, as `GET /auth/export` answers it.
    pub async fn export_account(&self) -> Result<serde_json::Value> {
        self.client.json(Method::GET, EXPORT_PATH, &[], Body::<()>::None).await
    }

    /// The newest `limit` security events (1–100).
    pub async fn security_events(&self, limit: u32) -> Result<Vec<SecurityEvent>> {
        let limit = limit.to_string();
        let answer: SecurityEvents = self.client.json(Method::GET, SECURITY_EVENTS_PATH, &[("limit", limit.as_str())], Body::<()>::None).await?;
        Ok(answer.events)
    }
}
