//! The account's life (shared/account-security-api.md §3, §5, §6): a session's use, its security
//! events, what an export reads, and deleting the account with everything that belongs to it.

use super::sql::sql;
use super::steps::{accept_code, lock_email, mfa_on, recency, user_by_id, Recency};
use super::{CodeCheck, EventRow, Store, StoreResult, UserRow};

/// A session's use is written at most this often (contract §3: once a minute).
pub const USE_RESOLUTION_SECS: i64 = 60;

/// How an account deletion was proved.
pub enum DeleteProof<'a> {
    /// The password, already checked against this hash (it must still be the account's).
    Password { checked_hash: &'a str },
    /// A code of the authenticator (two-step verification on).
    Code(CodeCheck<'a>),
}

/// What deleting an account did.
pub enum Deletion {
    /// Gone; the stored bytes of these files are the caller's to remove (object store).
    Done { user: UserRow, file_ids: Vec<String> },
    SessionEnded,
    /// The session authenticated before the window (contract §2).
    ReauthRequired,
    /// The password changed since it was checked, or the code was wrong or used.
    WrongProof,
    /// A password was sent but two-step verification is on: it takes a code.
    CodeNeeded,
    /// A code was sent but two-step verification is off.
    PasswordNeeded,
}

impl Store {
    /// Records a use of the session now, if its last recorded use is a minute old or older: its
    /// idle end moves to `now + idle_secs`, never past its maximum end. One statement whose
    /// condition makes concurrent requests write once.
    pub async fn touch_session(&self, selector: &str, now: i64, idle_secs: i64) -> StoreResult<()> {
        sql("UPDATE sessions SET used_at = ?1, expires_at = {least}(ends_at, ?1 + ?2) WHERE selector = ?3 AND used_at <= ?1 - ?4 AND expires_at > ?1")
            .bind(now)
            .bind(idle_secs)
            .bind(selector)
            .bind(USE_RESOLUTION_SECS)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    /// Appends a security event (see [`super::steps::insert_event`]).
    pub async fn insert_event(&self, e: &EventRow) -> StoreResult<()> {
        super::steps::insert_event(self.writer(), e).await
    }

    /// Whether the account has an event of `kind` from `network` since `since`.
    pub async fn recent_event(&self, user_id: &str, kind: &str, network: &str, since: i64) -> StoreResult<bool> {
        sql("SELECT TRUE FROM security_events WHERE user_id = ? AND type = ? AND network = ? AND at_unix >= ?").bind(user_id).bind(kind).bind(network).bind(since).exists(self.reader()).await
    }

    /// The account's newest `limit` events, newest first.
    pub async fn events_of(&self, user_id: &str, limit: i64) -> StoreResult<Vec<EventRow>> {
        sql("SELECT id, user_id, type, at, at_unix, user_agent, network, session_id FROM security_events WHERE user_id = ? ORDER BY seq DESC LIMIT ?").bind(user_id).bind(limit).fetch_all(self.reader()).await
    }

    /// The user agents and networks of the account's successful sign-ins (the newest 500).
    pub async fn sign_in_history(&self, user_id: &str) -> StoreResult<Vec<(String, String)>> {
        sql("SELECT user_agent, network FROM security_events WHERE user_id = ? AND type IN ('sign-in', 'mfa-verified') ORDER BY seq DESC LIMIT 500")
            .bind(user_id)
            .fetch_all(self.reader())
            .await
    }

    /// The user's files as `(id, file_name, size, uploaded_at)`, without their bytes, oldest first.
    pub async fn files_of(&self, user_id: &str) -> StoreResult<Vec<(String, String, i64, String)>> {
        sql("SELECT id, file_name, size, uploaded_at FROM files WHERE owner_id = ? ORDER BY uploaded_at")
            .bind(user_id)
            .fetch_all(self.reader())
            .await
    }

    /// Deletes the account of the live `session` with everything that belongs to it, in one
    /// transaction under the account's lock: its rows in every table, its files' rows (and bytes
    /// kept in the database), its security events, the dev mailbox's copies of mail to its
    /// address, and the pending sign-ups its address refused. A sign-in, link or upload racing it
    /// finds the account (or its session) gone in its own transaction.
    /// The session must have authenticated since `window_start`; the proof does not replace that.
    pub async fn delete_account(&self, session: &str, user_id: &str, proof: DeleteProof<'_>, window_start: i64, now: i64) -> StoreResult<Deletion> {
        let mut tx = self.tx().await?;
        match recency(&mut tx, session, user_id, window_start, false, now).await? {
            Recency::Ended => return Ok(Deletion::SessionEnded),
            Recency::Stale => return Ok(Deletion::ReauthRequired),
            Recency::Recent => {}
        }
        let Some(user) = user_by_id(&mut tx, user_id).await? else { return Ok(Deletion::SessionEnded) };
        let two_step = mfa_on(&mut tx, user_id).await?;
        let proved = match proof {
            DeleteProof::Password { .. } if two_step => return Ok(Deletion::CodeNeeded),
            DeleteProof::Code(_) if !two_step => return Ok(Deletion::PasswordNeeded),
            DeleteProof::Password { checked_hash } => user.password_hash == checked_hash,
            DeleteProof::Code(check) => accept_code(&mut tx, user_id, check).await?,
        };
        if !proved {
            return Ok(Deletion::WrongProof);
        }
        lock_email(&mut tx, &user.email).await?;
        let file_ids: Vec<String> = sql("SELECT id FROM files WHERE owner_id = ?").bind(user_id).scalars(&mut tx).await?;
        // Mail to the addresses it was moving to goes too.
        sql("DELETE FROM mails WHERE to_addr IN (SELECT recipient FROM email_links WHERE user_id = ?)").bind(user_id).execute(&mut tx).await?;
        // Every table that names the account, explicitly (not left to ON DELETE CASCADE, so a
        // table added later without one fails the deletion test rather than keeping rows).
        for statement in [
            "DELETE FROM sessions WHERE user_id = ?",
            "DELETE FROM devices WHERE user_id = ?",
            "DELETE FROM access_tokens WHERE user_id = ?",
            "DELETE FROM email_links WHERE user_id = ?",
            "DELETE FROM mfa_tickets WHERE user_id = ?",
            "DELETE FROM recovery_codes WHERE user_id = ?",
            "DELETE FROM mfa_factors WHERE user_id = ?",
            "DELETE FROM files WHERE owner_id = ?",
            "DELETE FROM security_events WHERE user_id = ?",
        ] {
            sql(statement).bind(user_id).execute(&mut tx).await?;
        }
        // Counters keyed by the account (its code budget, its current-password guesses).
        sql("DELETE FROM throttle WHERE key = ? OR key = ?").bind(super::code_budget_key(user_id).as_str()).bind(format!("current-password:{user_id}").as_str()).execute(&mut tx).await?;
        sql("DELETE FROM email_links WHERE recipient = ?").bind(&user.email).execute(&mut tx).await?;
        sql("DELETE FROM registrations WHERE email = ? AND claimable = FALSE").bind(&user.email).execute(&mut tx).await?;
        sql("DELETE FROM mails WHERE to_addr = ?").bind(&user.email).execute(&mut tx).await?;
        sql("DELETE FROM users WHERE id = ?").bind(user_id).execute(&mut tx).await?;
        tx.commit().await?;
        Ok(Deletion::Done { user, file_ids })
    }
}
