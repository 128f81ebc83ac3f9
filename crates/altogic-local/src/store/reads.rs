//! What the handlers read outside a flow: accounts, sign-ups, the session a request presents (through
//! SQLite's read cache), files, links and the dev mailbox.

use super::sql::sql;
use super::{DeviceRow, FileRow, LinkRow, MailRow, RegistrationRow, SessionRow, SessionUser, Store, StoreResult, TicketRow, UserRow};
use crate::crypto::TokenKey;

impl Store {
    /// The database answers (for a load balancer's readiness check).
    pub async fn ping(&self) -> StoreResult<()> {
        sql("SELECT 1").execute(self.reader()).await?;
        Ok(())
    }

    pub async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRow>> {
        sql("SELECT * FROM users WHERE email = ?").bind(email).fetch_optional(self.reader()).await
    }

    pub async fn user_by_id(&self, id: &str) -> StoreResult<Option<UserRow>> {
        sql("SELECT * FROM users WHERE id = ?").bind(id).fetch_optional(self.reader()).await
    }

    /// The newest unexpired pending sign-up of the address (claimable or not).
    pub async fn newest_registration(&self, email: &str, now: i64) -> StoreResult<Option<RegistrationRow>> {
        sql("SELECT * FROM registrations WHERE email = ? AND expires_at > ? ORDER BY {seq} DESC LIMIT 1").bind(email).bind(now).fetch_optional(self.reader()).await
    }

    /// The newest unexpired pending sign-up that can still be confirmed.
    pub async fn claimable_registration(&self, email: &str, now: i64) -> StoreResult<Option<RegistrationRow>> {
        sql("SELECT * FROM registrations WHERE email = ? AND expires_at > ? AND claimable = TRUE ORDER BY {seq} DESC LIMIT 1")
            .bind(email)
            .bind(now)
            .fetch_optional(self.reader())
            .await
    }

    /// The live session a token names, with its user.
    pub async fn live_session(&self, key: TokenKey<'_>, now: i64) -> StoreResult<Option<SessionUser>> {
        // Built only on a miss: a hit runs no statement.
        let read = async { sql("SELECT s.*, u.* FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.selector = ?").bind(key.selector).fetch_optional(self.reader()).await };
        let found = match self.read_cache() {
            Some(cache) => cache.session(key.selector, read).await?,
            None => read.await?,
        };
        // The key's verifier and the expiry are checked on every hit, cached or not.
        Ok(found.filter(|f| key.matches(&f.session.verifier_hash, f.session.expires_at, now)))
    }

    /// A first step's ticket, by its selector (the caller checks the key and the expiry).
    pub async fn ticket(&self, selector: &str) -> StoreResult<Option<TicketRow>> {
        sql("SELECT * FROM mfa_tickets WHERE selector = ?").bind(selector).fetch_optional(self.reader()).await
    }

    /// The address of the account an access token would sign in to (None for a sign-up's).
    pub async fn access_token_owner(&self, selector: &str) -> StoreResult<Option<String>> {
        sql("SELECT u.email FROM access_tokens a JOIN users u ON u.id = a.user_id WHERE a.selector = ?").bind(selector).scalar(self.reader()).await
    }

    /// The redirect action an access token was minted for.
    pub async fn access_token_action(&self, selector: &str) -> StoreResult<Option<String>> {
        sql("SELECT action FROM access_tokens WHERE selector = ?").bind(selector).scalar(self.reader()).await
    }

    /// The number of live sessions (the metrics' gauge).
    pub async fn live_sessions(&self, now: i64) -> StoreResult<i64> {
        Ok(sql("SELECT COUNT(*) FROM sessions WHERE expires_at > ?").bind(now).fetch_one::<(i64,)>(self.reader()).await?.0)
    }

    /// Whether the account has two-step verification on.
    pub async fn mfa_on(&self, user_id: &str) -> StoreResult<bool> {
        sql("SELECT TRUE FROM mfa_factors WHERE user_id = ? AND confirmed = TRUE").bind(user_id).exists(self.reader()).await
    }

    /// Live sessions of the user, newest first.
    pub async fn sessions_of(&self, user_id: &str, now: i64) -> StoreResult<Vec<SessionRow>> {
        let read = async { sql("SELECT * FROM sessions WHERE user_id = ? AND expires_at > ? ORDER BY created_at DESC").bind(user_id).bind(now).fetch_all(self.reader()).await };
        let rows = match self.read_cache() {
            Some(cache) => cache.sessions_of(user_id, read).await?,
            None => read.await?,
        };
        // A cached list was read a moment ago: what expired since drops out here.
        Ok(rows.into_iter().filter(|s| s.expires_at > now).collect())
    }

    /// The live device a token names, whoever's it is (the caller compares the account).
    pub async fn device(&self, key: TokenKey<'_>, now: i64) -> StoreResult<Option<DeviceRow>> {
        let found: Option<DeviceRow> = sql("SELECT * FROM devices WHERE selector = ?").bind(key.selector).fetch_optional(self.reader()).await?;
        Ok(found.filter(|d| key.matches(&d.verifier_hash, d.expires_at, now)))
    }

    pub async fn file(&self, id: &str) -> StoreResult<Option<FileRow>> {
        sql("SELECT * FROM files WHERE id = ?").bind(id).fetch_optional(self.reader()).await
    }

    /// A mail link by its selector (the dev mailbox says whether it was used).
    pub async fn link(&self, selector: &str) -> StoreResult<Option<LinkRow>> {
        sql("SELECT * FROM email_links WHERE selector = ?").bind(selector).fetch_optional(self.reader()).await
    }

    /// The dev mailbox, newest first; all recipients when `to` is None.
    pub async fn mails(&self, to: Option<&str>) -> StoreResult<Vec<MailRow>> {
        sql("SELECT * FROM mails WHERE ?1 IS NULL OR to_addr = ?1 ORDER BY seq DESC LIMIT 500").bind(to).fetch_all(self.reader()).await
    }
}
