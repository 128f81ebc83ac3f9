//! The store's flows, written once for every SQL database: the `sql_flows!` macro instantiates
//! them for a concrete store type and its sqlx database. Each store supplies its pools, how a
//! write transaction begins, its locks ([`Dialect`]) and how SQL is spelled for it ([`Dialect::sql`]:
//! `?` placeholders and a few `{markers}`), so the logic of every flow — what it checks, in which
//! transaction, what it writes — exists once.
//!
//! Locking: on SQLite every write runs on one connection under `BEGIN IMMEDIATE`, so a flow sees
//! no other writer. On PostgreSQL, flows take transaction-scoped advisory locks, always the
//! account's (`user:ID`) before an address's (`email:ADDR`), and an account's rows are touched only
//! under its lock: two flows on one account run one after the other, on any instance.

use std::borrow::Cow;

/// What differs between the SQL databases the flows run on.
pub trait Dialect {
    /// The SQL as this database spells it (placeholders, `{seq}`, `{created_epoch}`).
    fn sql(text: &'static str) -> Cow<'static, str>;
    /// The statement that takes a transaction-scoped lock on a key (bound as `?`), if the
    /// database needs one (SQLite's single writer does not).
    const LOCK: Option<&'static str>;
}

macro_rules! sql_flows {
    ($store:ty, $db:ty) => {
        $crate::store::flow_steps::sql_flow_steps!($store, $db);
        $crate::store::link_flows::sql_link_flows!($store, $db);

        #[async_trait]
        impl Store for $store {
            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(self.reader()).await?;
                Ok(())
            }

            async fn close(&self) {
                self.close_and_unlock().await
            }


            async fn meta_or_insert(&self, key: &str, value: &str) -> StoreResult<String> {
                let mut tx = self.tx().await?;
                sqlx::query(&sql("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING")).bind(key).bind(value).execute(&mut *tx).await?;
                let stored: String = sqlx::query_scalar(&sql("SELECT value FROM meta WHERE key = ?")).bind(key).fetch_one(&mut *tx).await?;
                tx.commit().await?;
                Ok(stored)
            }

            async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRow>> {
                Ok(sqlx::query_as(&sql("SELECT * FROM users WHERE email = ?")).bind(email).fetch_optional(self.reader()).await?)
            }

            async fn user_by_id(&self, id: &str) -> StoreResult<Option<UserRow>> {
                Ok(sqlx::query_as(&sql("SELECT * FROM users WHERE id = ?")).bind(id).fetch_optional(self.reader()).await?)
            }

            async fn newest_registration(&self, email: &str, now: i64) -> StoreResult<Option<RegistrationRow>> {
                Ok(sqlx::query_as(&sql("SELECT * FROM registrations WHERE email = ? AND expires_at > ? ORDER BY {seq} DESC LIMIT 1"))
                    .bind(email)
                    .bind(now)
                    .fetch_optional(self.reader())
                    .await?)
            }

            async fn claimable_registration(&self, email: &str, now: i64) -> StoreResult<Option<RegistrationRow>> {
                Ok(sqlx::query_as(&sql("SELECT * FROM registrations WHERE email = ? AND expires_at > ? AND claimable = TRUE ORDER BY {seq} DESC LIMIT 1"))
                    .bind(email)
                    .bind(now)
                    .fetch_optional(self.reader())
                    .await?)
            }

            async fn live_session(&self, key: TokenKey<'_>, now: i64) -> StoreResult<Option<SessionUser>> {
                let read = async {
                    Ok(sqlx::query_as(&sql("SELECT s.*, u.* FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.selector = ?"))
                        .bind(key.selector)
                        .fetch_optional(self.reader())
                        .await?)
                };
                let found = match self.read_cache() {
                    Some(cache) => cache.session(key.selector, read).await?,
                    None => read.await?,
                };
                Ok(found.filter(|f| key.matches(&f.session.verifier_hash, f.session.expires_at, now)))
            }

            async fn sessions_of(&self, user_id: &str, now: i64) -> StoreResult<Vec<SessionRow>> {
                let read = async {
                    Ok(sqlx::query_as(&sql("SELECT * FROM sessions WHERE user_id = ? AND expires_at > ? ORDER BY created_at DESC"))
                        .bind(user_id)
                        .bind(now)
                        .fetch_all(self.reader())
                        .await?)
                };
                let rows = match self.read_cache() {
                    Some(cache) => cache.sessions_of(user_id, read).await?,
                    None => read.await?,
                };
                // A cached list was read a moment ago: what expired since drops out here.
                Ok(rows.into_iter().filter(|s| s.expires_at > now).collect())
            }

            async fn file(&self, id: &str) -> StoreResult<Option<FileRow>> {
                Ok(sqlx::query_as(&sql("SELECT * FROM files WHERE id = ?")).bind(id).fetch_optional(self.reader()).await?)
            }

            async fn link(&self, selector: &str) -> StoreResult<Option<LinkRow>> {
                Ok(sqlx::query_as(&sql("SELECT * FROM email_links WHERE selector = ?")).bind(selector).fetch_optional(self.reader()).await?)
            }

            async fn hit(&self, key: &str, now: i64, window: i64) -> StoreResult<(i64, i64)> {
                let mut tx = self.tx().await?;
                let counted = hit(&mut tx, key, now, window).await?;
                tx.commit().await?;
                Ok(counted)
            }

            async fn code_attempt(&self, recipient: &str, now: i64, window: i64, limit: u32) -> StoreResult<(i64, Option<LinkRow>)> {
                code_attempt_flow(self, recipient, now, window, limit).await
            }

            async fn create_user(&self, u: &UserRow, session: &SessionRow) -> StoreResult<bool> {
                let mut tx = self.tx().await?;
                lock_email(&mut tx, &u.email).await?;
                let inserted = sqlx::query(&sql("INSERT INTO users (id, email, password_hash, name, profile_picture, email_verified, provider, sign_up_at, last_login_at, extra)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(email) DO NOTHING"),
                )
                .bind(&u.id)
                .bind(&u.email)
                .bind(&u.password_hash)
                .bind(&u.name)
                .bind(&u.profile_picture)
                .bind(u.email_verified)
                .bind(&u.provider)
                .bind(&u.sign_up_at)
                .bind(&u.last_login_at)
                .bind(sqlx::types::Json(&u.extra))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 0 {
                    return Ok(false);
                }
                insert_session(&mut tx, session).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn register(&self, r: &RegistrationRow, confirm: &LinkRow, exists: &LinkRow) -> StoreResult<Registered> {
                let mut tx = self.tx().await?;
                lock_email(&mut tx, &r.email).await?;
                let owner: Option<UserRow> = sqlx::query_as(&sql("SELECT * FROM users WHERE email = ?")).bind(&r.email).fetch_optional(&mut *tx).await?;
                sqlx::query(&sql("INSERT INTO registrations (id, email, password_hash, name, profile_picture, extra, created_at, expires_at, claimable)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                )
                .bind(&r.id)
                .bind(&r.email)
                .bind(&r.password_hash)
                .bind(&r.name)
                .bind(&r.profile_picture)
                .bind(sqlx::types::Json(&r.extra))
                .bind(&r.created_at)
                .bind(r.expires_at)
                .bind(owner.is_none())
                .execute(&mut *tx)
                .await?;
                match &owner {
                    None => insert_link(&mut tx, confirm).await?,
                    Some(owner) => insert_link(&mut tx, &LinkRow { user_id: owner.id.clone(), ..exists.clone() }).await?,
                }
                tx.commit().await?;
                Ok(match owner {
                    Some(owner) => Registered::Taken { owner },
                    None => Registered::Pending,
                })
            }

            async fn sign_in(&self, user_id: &str, checked_hash: &str, session: &SessionRow, now_iso: &str, throttle_key: &str) -> StoreResult<Checked<UserRow>> {
                let mut tx = self.tx().await?;
                lock_user(&mut tx, user_id).await?;
                let user: Option<UserRow> = sqlx::query_as(&sql("UPDATE users SET last_login_at = ? WHERE id = ? AND password_hash = ? RETURNING *"))
                    .bind(now_iso)
                    .bind(user_id)
                    .bind(checked_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(user) = user else { return Ok(Checked::Stale) };
                insert_session(&mut tx, session).await?;
                sqlx::query(&sql("DELETE FROM throttle WHERE key = ?")).bind(throttle_key).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(Checked::Done(user))
            }

            async fn issue_link(&self, link: &LinkRow, retire: bool) -> StoreResult<bool> {
                issue_link_flow(self, link, retire).await
            }

            async fn open_link(&self, proof: LinkProof<'_>, now: i64, now_iso: &str, token: &NewAccessToken, strict: bool) -> StoreResult<LinkOpened> {
                open_link_flow(self, proof, now, now_iso, token, strict).await
            }

            async fn grant(&self, key: TokenKey<'_>, verifier: Option<&str>, actions: &[&str], now: i64, now_iso: &str, session: &SessionRow) -> StoreResult<Redeemed<(UserRow, bool)>> {
                grant_flow(self, key, verifier, actions, now, now_iso, session).await
            }

            async fn reset_password(&self, key: TokenKey<'_>, verifier: Option<&str>, new_hash: &str, now: i64) -> StoreResult<Redeemed<()>> {
                reset_password_flow(self, key, verifier, new_hash, now).await
            }

            async fn change_password(&self, session: &str, user_id: &str, checked_hash: &str, new_hash: &str, now: i64) -> StoreResult<Checked<()>> {
                let mut tx = self.tx().await?;
                if !session_live(&mut tx, session, user_id, now).await? {
                    return Ok(Checked::SessionEnded);
                }
                let updated = sqlx::query(&sql("UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?"))
                    .bind(new_hash)
                    .bind(user_id)
                    .bind(checked_hash)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if updated != 1 {
                    return Ok(Checked::Stale);
                }
                end_credentials(&mut tx, user_id, Some(session), Ending::KeepResets).await?;
                tx.commit().await?;
                Ok(Checked::Done(()))
            }

            async fn change_email(&self, session: &str, user_id: &str, checked_hash: &str, new_email: &str, now: i64) -> StoreResult<EmailChange> {
                let mut tx = self.tx().await?;
                if !session_live(&mut tx, session, user_id, now).await? {
                    return Ok(EmailChange::SessionEnded);
                }
                let Some(before) = user_by_id(&mut tx, user_id).await? else { return Ok(EmailChange::Stale) };
                if before.password_hash != checked_hash {
                    return Ok(EmailChange::Stale);
                }
                if email_taken(&mut tx, new_email, user_id).await? {
                    return Ok(EmailChange::Taken);
                }
                // Nobody proved the new mailbox: the address is not verified.
                let user: UserRow =
                    sqlx::query_as(&sql("UPDATE users SET email = ?, email_verified = FALSE WHERE id = ? RETURNING *")).bind(new_email).bind(user_id).fetch_one(&mut *tx).await?;
                end_credentials(&mut tx, user_id, Some(session), Ending::All).await?;
                tx.commit().await?;
                Ok(EmailChange::Done { user, old_email: before.email })
            }

            async fn request_email_change(&self, session: &str, user_id: &str, checked_hash: &str, link: &LinkRow, now: i64) -> StoreResult<Checked<()>> {
                let mut tx = self.tx().await?;
                if !session_live(&mut tx, session, user_id, now).await? {
                    return Ok(Checked::SessionEnded);
                }
                let unchanged: Option<bool> =
                    sqlx::query_scalar(&sql("SELECT TRUE FROM users WHERE id = ? AND password_hash = ?")).bind(user_id).bind(checked_hash).fetch_optional(&mut *tx).await?;
                if unchanged.is_none() {
                    return Ok(Checked::Stale);
                }
                // Only the newest request counts: an older link must not switch the address back.
                sqlx::query(&sql("UPDATE email_links SET consumed = TRUE WHERE user_id = ? AND action = 'change-email' AND consumed = FALSE")).bind(user_id).execute(&mut *tx).await?;
                insert_link(&mut tx, link).await?;
                tx.commit().await?;
                Ok(Checked::Done(()))
            }

            async fn update_profile(&self, session: &str, user_id: &str, patch: &ProfilePatch, now: i64) -> StoreResult<ProfileUpdate> {
                let mut tx = self.tx().await?;
                if !session_live(&mut tx, session, user_id, now).await? {
                    return Ok(ProfileUpdate::SessionEnded);
                }
                let Some(mut user) = user_by_id(&mut tx, user_id).await? else { return Ok(ProfileUpdate::SessionEnded) };
                if !patch.apply(&mut user) {
                    return Ok(ProfileUpdate::TooLarge);
                }
                sqlx::query(&sql("UPDATE users SET name = ?, profile_picture = ?, extra = ? WHERE id = ?"))
                    .bind(&user.name)
                    .bind(&user.profile_picture)
                    .bind(sqlx::types::Json(&user.extra))
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(ProfileUpdate::Done(user))
            }

            async fn sign_out(&self, session: &str, user_id: &str, target: &str, now: i64) -> StoreResult<Checked<bool>> {
                let mut tx = self.tx().await?;
                if !session_live(&mut tx, session, user_id, now).await? {
                    return Ok(Checked::SessionEnded);
                }
                let done = sqlx::query(&sql("DELETE FROM sessions WHERE user_id = ? AND selector = ?")).bind(user_id).bind(target).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(Checked::Done(done.rows_affected() == 1))
            }

            async fn sign_out_all(&self, session: &str, user_id: &str, keep_caller: bool, now: i64) -> StoreResult<Checked<u64>> {
                let mut tx = self.tx().await?;
                if !session_live(&mut tx, session, user_id, now).await? {
                    return Ok(Checked::SessionEnded);
                }
                let ended = end_credentials(&mut tx, user_id, keep_caller.then_some(session), Ending::KeepResets).await?;
                tx.commit().await?;
                Ok(Checked::Done(ended))
            }

            async fn put_file(&self, session: &str, f: &FileRow, quota: i64, now: i64) -> StoreResult<FilePut> {
                let Some(owner) = f.owner_id.as_deref() else { return Ok(FilePut::SessionEnded) };
                let mut tx = self.tx().await?;
                if !session_live(&mut tx, session, owner, now).await? {
                    return Ok(FilePut::SessionEnded);
                }
                // The file it replaces (same bucket and name) does not count.
                let used: i64 = sqlx::query_scalar(&sql("SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files WHERE owner_id = ? AND NOT (bucket = ? AND file_name = ?)"))
                    .bind(owner)
                    .bind(&f.bucket)
                    .bind(&f.file_name)
                    .fetch_one(&mut *tx)
                    .await?;
                if used + f.size > quota {
                    return Ok(FilePut::OverQuota { used });
                }
                // The id of the file this one replaces: its bytes go, if they live elsewhere.
                let replaced: Option<String> = sqlx::query_scalar(&sql("SELECT id FROM files WHERE bucket = ? AND owner_id = ? AND file_name = ?"))
                    .bind(&f.bucket)
                    .bind(owner)
                    .bind(&f.file_name)
                    .fetch_optional(&mut *tx)
                    .await?;
                let row: FileRow = sqlx::query_as(&sql("INSERT INTO files (id, bucket, owner_id, file_name, mime_type, size, is_public, tags, data, uploaded_at, updated_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                     ON CONFLICT(bucket, owner_id, file_name) DO UPDATE SET
                       id = excluded.id, uploaded_at = excluded.uploaded_at, mime_type = excluded.mime_type, size = excluded.size, is_public = excluded.is_public,
                       tags = excluded.tags, data = excluded.data, updated_at = excluded.updated_at
                     RETURNING *"),
                )
                .bind(&f.id)
                .bind(&f.bucket)
                .bind(owner)
                .bind(&f.file_name)
                .bind(&f.mime_type)
                .bind(f.size)
                .bind(f.is_public)
                .bind(sqlx::types::Json(&f.tags))
                .bind(&f.data)
                .bind(&f.uploaded_at)
                .bind(&f.updated_at)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(FilePut::Stored { file: row, replaced })
            }

            async fn insert_mail(&self, m: &MailRow) -> StoreResult<()> {
                sqlx::query(&sql("INSERT INTO mails (id, to_addr, subject, action, link, code, text_body, html_body, created_at, seq)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, {mail_seq})"),
                )
                .bind(&m.id)
                .bind(&m.to)
                .bind(&m.subject)
                .bind(&m.action)
                .bind(&m.link)
                .bind(&m.code)
                .bind(&m.text)
                .bind(&m.html)
                .bind(&m.created_at)
                .execute(self.writer())
                .await?;
                Ok(())
            }

            async fn mails(&self, to: Option<&str>) -> StoreResult<Vec<MailRow>> {
                Ok(sqlx::query_as(&sql("SELECT * FROM mails WHERE ?1 IS NULL OR to_addr = ?1 ORDER BY seq DESC LIMIT 500")).bind(to).fetch_all(self.reader()).await?)
            }

            async fn clear_mails(&self) -> StoreResult<u64> {
                Ok(sqlx::query(&sql("DELETE FROM mails")).execute(self.writer()).await?.rows_affected())
            }

            async fn purge(&self, p: &PurgePolicy) -> StoreResult<Vec<String>> {
                purge_flow(self, p).await
            }
        }
    };
}

pub(crate) use sql_flows;
