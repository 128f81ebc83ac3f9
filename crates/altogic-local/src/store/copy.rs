//! Copying a SQLite store's rows into a PostgreSQL store (`altogic-local copy`), in one
//! transaction of the target: a copy that stops half-way (killed, a lost connection) leaves the
//! target as it was, so running it again works.

use super::sql::{sql, Tx};
use super::steps::{insert_device, insert_event, insert_registration, insert_link, insert_mail, insert_session, insert_ticket, insert_user, lock};
use super::{AccessTokenRow, DeviceRow, EventRow, FactorRow, FileRow, LinkRow, MailRow, RegistrationRow, SessionRow, Store, StoreResult, TicketRow, UserRow};

/// A transaction of the target store that receives a copy.
pub struct CopyTarget {
    tx: Tx,
}

/// Rows copied, per table, in the order they were copied.
pub type Counts = Vec<(&'static str, u64)>;

impl Store {
    /// Opens the copy's transaction on this (target) store, under a lock that keeps two copies
    /// apart; None when the store already holds accounts.
    pub async fn begin_copy(&self) -> StoreResult<Option<CopyTarget>> {
        let mut tx = self.tx().await?;
        lock(&mut tx, "altogic-local:copy").await?;
        let accounts: (i64,) = sql("SELECT COUNT(*) FROM users").fetch_one(&mut tx).await?;
        Ok((accounts.0 == 0).then_some(CopyTarget { tx }))
    }

    /// Copies every row but the files' into `to`, table by table (parents first); returns the
    /// counts.
    pub async fn copy_rows(&self, to: &mut CopyTarget) -> StoreResult<Counts> {
        let tx = &mut to.tx;
        let from = || self.reader();
        let mut counts = Counts::new();

        // The deployment's identity (environment id, client key, two-step key id) comes along:
        // file URLs and sealed secrets depend on it.
        let meta: Vec<(String, String)> = sql("SELECT key, value FROM meta ORDER BY key").fetch_all(from()).await?;
        for (key, value) in &meta {
            sql("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").bind(key).bind(value).execute(&mut *tx).await?;
        }
        counts.push(("meta", meta.len() as u64));

        let users: Vec<UserRow> = sql("SELECT * FROM users ORDER BY id").fetch_all(from()).await?;
        for u in &users {
            insert_user(tx, u).await?;
        }
        counts.push(("users", users.len() as u64));

        let registrations: Vec<RegistrationRow> = sql("SELECT * FROM registrations ORDER BY rowid").fetch_all(from()).await?;
        for r in &registrations {
            insert_registration(tx, r).await?;
        }
        counts.push(("registrations", registrations.len() as u64));

        let sessions: Vec<SessionRow> = sql("SELECT * FROM sessions").fetch_all(from()).await?;
        for s in &sessions {
            insert_session(tx, s).await?;
        }
        counts.push(("sessions", sessions.len() as u64));

        let devices: Vec<DeviceRow> = sql("SELECT * FROM devices").fetch_all(from()).await?;
        for d in &devices {
            insert_device(tx, d).await?;
        }
        counts.push(("devices", devices.len() as u64));

        let links: Vec<LinkRow> = sql("SELECT * FROM email_links ORDER BY rowid").fetch_all(from()).await?;
        for l in &links {
            insert_link(tx, l).await?;
        }
        counts.push(("email_links", links.len() as u64));

        let tokens: Vec<AccessTokenRow> = sql("SELECT * FROM access_tokens").fetch_all(from()).await?;
        for t in &tokens {
            sql("INSERT INTO access_tokens (selector, verifier_hash, user_id, action, link_selector, expires_at, code_challenge) VALUES (?, ?, ?, ?, ?, ?, ?)")
                .bind(&t.selector)
                .bind(&t.verifier_hash)
                .bind(&t.user_id)
                .bind(&t.action)
                .bind(&t.link_selector)
                .bind(t.expires_at)
                .bind(&t.code_challenge)
                .execute(&mut *tx)
                .await?;
        }
        counts.push(("access_tokens", tokens.len() as u64));

        let factors: Vec<FactorRow> = sql("SELECT * FROM mfa_factors").fetch_all(from()).await?;
        for f in &factors {
            sql("INSERT INTO mfa_factors (id, user_id, secret, confirmed, created_at, expires_at, last_step) VALUES (?, ?, ?, ?, ?, ?, ?)")
                .bind(&f.id)
                .bind(&f.user_id)
                .bind(&f.secret)
                .bind(f.confirmed)
                .bind(&f.created_at)
                .bind(f.expires_at)
                .bind(f.last_step)
                .execute(&mut *tx)
                .await?;
        }
        counts.push(("mfa_factors", factors.len() as u64));

        let recovery: Vec<(String, Vec<u8>)> = sql("SELECT user_id, code_hash FROM recovery_codes").fetch_all(from()).await?;
        for (user_id, hash) in &recovery {
            sql("INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)").bind(user_id).bind(hash).execute(&mut *tx).await?;
        }
        counts.push(("recovery_codes", recovery.len() as u64));

        let tickets: Vec<TicketRow> = sql("SELECT * FROM mfa_tickets").fetch_all(from()).await?;
        for t in &tickets {
            insert_ticket(tx, t).await?;
            sql("UPDATE mfa_tickets SET attempts = ? WHERE selector = ?").bind(t.attempts).bind(&t.selector).execute(&mut *tx).await?;
        }
        counts.push(("mfa_tickets", tickets.len() as u64));

        // Throttle counters: a copy must not hand a guesser a fresh budget.
        let throttle: Vec<(String, i64, i64)> = sql("SELECT key, count, expires_at FROM throttle").fetch_all(from()).await?;
        for (key, count, expires_at) in &throttle {
            sql("INSERT INTO throttle (key, count, expires_at) VALUES (?, ?, ?)").bind(key).bind(*count).bind(*expires_at).execute(&mut *tx).await?;
        }
        counts.push(("throttle", throttle.len() as u64));

        // Oldest first: the target numbers them in the same order.
        let mails: Vec<MailRow> = sql("SELECT * FROM mails ORDER BY seq").fetch_all(from()).await?;
        for m in &mails {
            insert_mail(&mut *tx, m).await?;
        }
        counts.push(("mails", mails.len() as u64));

        let events: Vec<EventRow> = sql("SELECT id, user_id, type, at, at_unix, user_agent, network, session_id FROM security_events ORDER BY seq").fetch_all(from()).await?;
        for e in &events {
            insert_event(&mut *tx, e).await?;
        }
        counts.push(("security_events", events.len() as u64));
        Ok(counts)
    }

    /// The ids of the stored files, oldest first.
    pub async fn file_ids(&self) -> StoreResult<Vec<String>> {
        sql("SELECT id FROM files ORDER BY uploaded_at, id").scalars(self.reader()).await
    }
}

impl CopyTarget {
    /// Records a file whose bytes are already in the target's object store (`data` is empty).
    pub async fn insert_file(&mut self, f: &FileRow) -> StoreResult<()> {
        sql("INSERT INTO files (id, bucket, owner_id, file_name, mime_type, size, is_public, tags, data, uploaded_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(&f.id)
            .bind(&f.bucket)
            .bind(&f.owner_id)
            .bind(&f.file_name)
            .bind(&f.mime_type)
            .bind(f.size)
            .bind(f.is_public)
            .bind(&f.tags)
            .bind(&f.data)
            .bind(&f.uploaded_at)
            .bind(&f.updated_at)
            .execute(&mut self.tx)
            .await?;
        Ok(())
    }

    pub async fn commit(self) -> StoreResult<()> {
        self.tx.commit().await
    }
}
