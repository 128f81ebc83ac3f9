//! What keeps the service running beside the account flows: kept settings, rate counters, the dev
//! mailbox's copies, and the periodic sweep of what has expired.

use super::sql::sql;
use super::steps::{self, lock_user};
use super::{MailRow, PurgePolicy, Store, StoreResult};

impl Store {
    /// A value kept across restarts (the environment id, generated keys): stores `value` unless
    /// the key has one, and returns the value that is stored.
    pub async fn meta_or_insert(&self, key: &str, value: &str) -> StoreResult<String> {
        let mut tx = self.tx().await?;
        sql("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING").bind(key).bind(value).execute(&mut tx).await?;
        let stored: (String,) = sql("SELECT value FROM meta WHERE key = ?").bind(key).fetch_one(&mut tx).await?;
        tx.commit().await?;
        Ok(stored.0)
    }

    /// Records `id` as the key that seals the database's authenticator secrets. False when the
    /// database has another key's id: on PostgreSQL always (another instance seals with it), on
    /// SQLite while secrets sealed with it are stored (they would not open). A SQLite database
    /// without any takes the new key.
    pub async fn adopt_seal_key(&self, id: &str) -> StoreResult<bool> {
        let mut tx = self.tx().await?;
        // Of instances starting at once on a fresh database, the first insert wins and the others
        // read its id.
        sql("INSERT INTO meta (key, value) VALUES ('seal_key_id', ?) ON CONFLICT(key) DO NOTHING").bind(id).execute(&mut tx).await?;
        let stored: String = sql("SELECT value FROM meta WHERE key = 'seal_key_id'").fetch_one::<(String,)>(&mut tx).await?.0;
        if stored != id {
            if matches!(tx, super::sql::Tx::Pg(_)) || sql("SELECT TRUE FROM mfa_factors LIMIT 1").exists(&mut tx).await? {
                return Ok(false);
            }
            sql("UPDATE meta SET value = ? WHERE key = 'seal_key_id'").bind(id).execute(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Counts one hit of `key` in a fixed window of `window` seconds (atomically: concurrent hits
    /// each get their own count). Returns the count including this hit and when the window ends.
    pub async fn hit(&self, key: &str, now: i64, window: i64) -> StoreResult<(i64, i64)> {
        let mut tx = self.tx().await?;
        let counted = steps::hit(&mut tx, key, now, window).await?;
        tx.commit().await?;
        Ok(counted)
    }

    /// The count of `key` in its current window and when the window ends, if one is running.
    pub async fn count(&self, key: &str, now: i64) -> StoreResult<Option<(i64, i64)>> {
        sql("SELECT count, expires_at FROM throttle WHERE key = ? AND expires_at > ?").bind(key).bind(now).fetch_optional(self.reader()).await
    }

    /// Gives every account written before skeletons were kept its address's skeleton (each
    /// instance does at start; nothing to do once all have one).
    pub async fn fill_skeletons(&self) -> StoreResult<u64> {
        let missing: Vec<(String, String)> = sql("SELECT id, email FROM users WHERE skeleton IS NULL").fetch_all(self.reader()).await?;
        for (id, email) in &missing {
            sql("UPDATE users SET skeleton = ? WHERE id = ? AND email = ?").bind(crate::domain::skeleton(email).as_str()).bind(id).bind(email).execute(self.writer()).await?;
        }
        Ok(missing.len() as u64)
    }

    /// Keeps a copy of a sent mail for the dev mailbox.
    pub async fn insert_mail(&self, m: &MailRow) -> StoreResult<()> {
        super::steps::insert_mail(self.writer(), m).await
    }

    pub async fn clear_mails(&self) -> StoreResult<u64> {
        sql("DELETE FROM mails").execute(self.writer()).await
    }

    /// Removes expired sessions, links, tokens, pending sign-ups and counters, old mails, and
    /// accounts that never verified their address. Returns the ids of the files that went with
    /// those accounts (their bytes may live in an object store).
    pub async fn purge(&self, p: &PurgePolicy) -> StoreResult<Vec<String>> {
        let mut files = Vec::new();
        sql("UPDATE sessions SET ends_at = {least}(ends_at, {created_epoch} + ?1), expires_at = {least}(expires_at, {created_epoch} + ?1, used_at + ?2)
             WHERE expires_at > {least}({created_epoch} + ?1, used_at + ?2)")
        .bind(p.session_max_secs)
        .bind(p.session_idle_secs)
        .execute(self.writer())
        .await?;
        sql("DELETE FROM security_events WHERE at_unix < ?").bind(p.events_before).execute(self.writer()).await?;
        // Each sweep is its own short statement (no transaction holding locks across tables while
        // flows run), links before the tokens they minted, as flows go.
        for statement in [
            "DELETE FROM sessions WHERE expires_at <= ?",
            "DELETE FROM email_links WHERE expires_at <= ?",
            "DELETE FROM access_tokens WHERE expires_at <= ?",
            "DELETE FROM registrations WHERE expires_at <= ?",
            "DELETE FROM throttle WHERE expires_at <= ?",
            "DELETE FROM devices WHERE expires_at <= ?",
            "DELETE FROM mfa_tickets WHERE expires_at <= ?",
            // Pending factors only: a confirmed one never expires.
            "DELETE FROM mfa_factors WHERE confirmed = FALSE AND expires_at <= ?",
        ] {
            sql(statement).bind(p.now).execute(self.writer()).await?;
        }
        sql("DELETE FROM mails WHERE {created_epoch} < ?").bind(p.mails_before).execute(self.writer()).await?;
        let Some(before) = &p.unverified_before else { return Ok(files) };
        // Each account under its own lock, re-checked: one verifying right now stays.
        let stale: Vec<String> = sql("SELECT id FROM users WHERE email_verified = FALSE AND sign_up_at < ?").bind(before).scalars(self.reader()).await?;
        for id in stale {
            let mut tx = self.tx().await?;
            lock_user(&mut tx, &id).await?;
            // Their file rows go with them (ON DELETE CASCADE): remember whose bytes to drop.
            let owned: Vec<String> = sql("SELECT id FROM files WHERE owner_id = ?").bind(&id).scalars(&mut tx).await?;
            let gone = sql("DELETE FROM users WHERE id = ? AND email_verified = FALSE AND sign_up_at < ?").bind(&id).bind(before).execute(&mut tx).await?;
            if gone == 1 {
                files.extend(owned);
            }
            tx.commit().await?;
        }
        Ok(files)
    }
}
