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
        type Tx = sqlx::Transaction<'static, $db>;

        fn sql(text: &'static str) -> std::borrow::Cow<'static, str> {
            <$store as $crate::store::flows::Dialect>::sql(text)
        }

        async fn lock(tx: &mut Tx, key: &str) -> StoreResult<()> {
            if let Some(statement) = <$store as $crate::store::flows::Dialect>::LOCK {
                sqlx::query(&sql(statement)).bind(key).execute(&mut **tx).await?;
            }
            Ok(())
        }

        /// Serializes the flows of one account (or pending sign-up).
        async fn lock_user(tx: &mut Tx, id: &str) -> StoreResult<()> {
            lock(tx, &format!("user:{id}")).await
        }

        /// Serializes the flows that give an address to an account; taken after any account lock.
        async fn lock_email(tx: &mut Tx, email: &str) -> StoreResult<()> {
            lock(tx, &format!("email:{email}")).await
        }

        /// Whether the session is live and the user's; every flow that acts for a session checks this in
        /// its own transaction.
        async fn session_live(tx: &mut Tx, selector: &str, user_id: &str, now: i64) -> StoreResult<bool> {
            lock_user(tx, user_id).await?;
            let found: Option<bool> = sqlx::query_scalar(&sql("SELECT TRUE FROM sessions WHERE selector = ? AND user_id = ? AND expires_at > ?"))
                .bind(selector)
                .bind(user_id)
                .bind(now)
                .fetch_optional(&mut **tx)
                .await?;
            Ok(found.is_some())
        }

        /// Which outstanding links and access tokens a change ends besides sessions.
        #[derive(Clone, Copy, PartialEq)]
        enum Ending {
            /// Everything: a reset, or a move to another address (the old mailbox no longer owns it).
            All,
            /// All but `reset-pwd`: password change and sign-out-all end what signs in, but must not let a
            /// thief with a session kill the owner's recovery link again and again.
            KeepResets,
        }

        /// Ends what a change of credentials must end: sessions but `keep`, unspent links, access tokens.
        async fn end_credentials(tx: &mut Tx, user_id: &str, keep: Option<&str>, ending: Ending) -> StoreResult<u64> {
            let ended = sqlx::query(&sql("DELETE FROM sessions WHERE user_id = ? AND selector IS DISTINCT FROM ?")).bind(user_id).bind(keep).execute(&mut **tx).await?.rows_affected();
            let spare = if ending == Ending::KeepResets { "reset-pwd" } else { "" };
            sqlx::query(&sql("UPDATE email_links SET consumed = TRUE WHERE user_id = ? AND consumed = FALSE AND action != ?")).bind(user_id).bind(spare).execute(&mut **tx).await?;
            sqlx::query(&sql("DELETE FROM access_tokens WHERE user_id = ? AND action != ?")).bind(user_id).bind(spare).execute(&mut **tx).await?;
            Ok(ended)
        }

        async fn insert_session(tx: &mut Tx, s: &SessionRow) -> StoreResult<()> {
            sqlx::query(&sql("INSERT INTO sessions (selector, verifier_hash, user_id, created_at, expires_at, user_agent) VALUES (?, ?, ?, ?, ?, ?)"))
                .bind(&s.selector)
                .bind(&s.verifier_hash)
                .bind(&s.user_id)
                .bind(&s.created_at)
                .bind(s.expires_at)
                .bind(&s.user_agent)
                .execute(&mut **tx)
                .await?;
            Ok(())
        }

        async fn insert_link(tx: &mut Tx, l: &LinkRow) -> StoreResult<()> {
            sqlx::query(&sql("INSERT INTO email_links (selector, verifier_hash, user_id, action, recipient, new_email, code_hash, code_attempts, created_at, expires_at, consumed, session_selector, code_challenge)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            )
            .bind(&l.selector)
            .bind(&l.verifier_hash)
            .bind(&l.user_id)
            .bind(&l.action)
            .bind(&l.recipient)
            .bind(&l.new_email)
            .bind(&l.code_hash)
            .bind(l.code_attempts)
            .bind(&l.created_at)
            .bind(l.expires_at)
            .bind(l.consumed)
            .bind(&l.session_selector)
            .bind(&l.code_challenge)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }

        async fn user_by_id(tx: &mut Tx, id: &str) -> StoreResult<Option<UserRow>> {
            Ok(sqlx::query_as(&sql("SELECT * FROM users WHERE id = ?")).bind(id).fetch_optional(&mut **tx).await?)
        }

        async fn email_taken(tx: &mut Tx, email: &str, except_user: &str) -> StoreResult<bool> {
            lock_email(tx, email).await?;
            let found: Option<bool> = sqlx::query_scalar(&sql("SELECT TRUE FROM users WHERE email = ? AND id != ?")).bind(email).bind(except_user).fetch_optional(&mut **tx).await?;
            Ok(found.is_some())
        }

        /// Drops every pending sign-up of an address and their links (the address now has its owner).
        async fn drop_registrations(tx: &mut Tx, email: &str) -> StoreResult<()> {
            sqlx::query(&sql("DELETE FROM email_links WHERE user_id IN (SELECT id FROM registrations WHERE email = ?)")).bind(email).execute(&mut **tx).await?;
            sqlx::query(&sql("DELETE FROM registrations WHERE email = ?")).bind(email).execute(&mut **tx).await?;
            Ok(())
        }

        async fn insert_token(tx: &mut Tx, token: &NewAccessToken, user_id: &str, link: &LinkRow) -> StoreResult<()> {
            sqlx::query(&sql("INSERT INTO access_tokens (selector, verifier_hash, user_id, action, link_selector, expires_at, code_challenge) VALUES (?, ?, ?, ?, ?, ?, ?)"))
                .bind(&token.selector)
                .bind(&token.verifier_hash)
                .bind(user_id)
                .bind(&link.action)
                .bind(&link.selector)
                .bind(token.expires_at)
                .bind(&link.code_challenge)
                .execute(&mut **tx)
                .await?;
            Ok(())
        }

        /// Burns a live access token of one of `actions` and spends its link (a second token of the same
        /// link, from an earlier open, loses here). Returns the token's user. Any refusal happens before
        /// the transaction commits, so a refused token stays as it was.
        async fn redeem(tx: &mut Tx, key: TokenKey<'_>, verifier: Option<&str>, actions: &[&str], now: i64) -> StoreResult<Redeemed<(String, Option<String>)>> {
            // The token's user is locked before the token is touched (locks go user first, then rows).
            let owner: Option<String> = sqlx::query_scalar(&sql("SELECT user_id FROM access_tokens WHERE selector = ?")).bind(key.selector).fetch_optional(&mut **tx).await?;
            let Some(owner) = owner else { return Ok(Redeemed::Invalid) };
            lock_user(tx, &owner).await?;
            let token: Option<AccessTokenRow> = sqlx::query_as(&sql("DELETE FROM access_tokens WHERE selector = ? RETURNING *")).bind(key.selector).fetch_optional(&mut **tx).await?;
            let Some(token) = token else { return Ok(Redeemed::Invalid) };
            if !key.matches(&token.verifier_hash, token.expires_at, now) || !actions.contains(&token.action.as_str()) {
                return Ok(Redeemed::Invalid);
            }
            if !crate::crypto::pkce_ok(token.code_challenge.as_deref(), verifier) {
                return Ok(Redeemed::WrongVerifier);
            }
            if let Some(link) = &token.link_selector {
                let spent = sqlx::query(&sql("UPDATE email_links SET consumed = TRUE WHERE selector = ? AND consumed = FALSE")).bind(link).execute(&mut **tx).await?.rows_affected();
                if spent != 1 {
                    return Ok(Redeemed::Invalid);
                }
                sqlx::query(&sql("DELETE FROM access_tokens WHERE link_selector = ?")).bind(link).execute(&mut **tx).await?;
            }
            Ok(Redeemed::Done((token.user_id, token.link_selector)))
        }

        /// What making a pending sign-up the account did.
        enum Activation {
            /// `contended`: other sign-ups of the address were pending, so no password was kept.
            Done { contended: bool },
            /// The address became another account's meanwhile.
            Taken,
            /// No such (claimable) sign-up any more.
            Gone,
        }

        /// Makes the pending sign-up `id` the account (keeping its id), and voids every other pending
        /// sign-up of the address and their links except `keep_link`. The caller holds `user:ID`.
        async fn activate_registration(tx: &mut Tx, id: &str, keep_link: &str, now: i64, now_iso: &str) -> StoreResult<Activation> {
            let registration: Option<RegistrationRow> =
                sqlx::query_as(&sql("SELECT * FROM registrations WHERE id = ? AND claimable = TRUE")).bind(id).fetch_optional(&mut **tx).await?;
            let Some(r) = registration else { return Ok(Activation::Gone) };
            if email_taken(tx, &r.email, &r.id).await? {
                return Ok(Activation::Taken);
            }
            // Several people signed up with this address: the mailbox owner opened one of the
            // links, but nothing tells whose password it carries. The account is made without
            // a usable password; the handler mails the owner a link to choose one.
            let pending: i64 = sqlx::query_scalar(&sql("SELECT COUNT(*) FROM registrations WHERE email = ? AND claimable = TRUE AND expires_at > ?"))
                .bind(&r.email)
                .bind(now)
                .fetch_one(&mut **tx)
                .await?;
            let contended = pending > 1;
            let password_hash = if contended { crate::crypto::UNUSABLE_PASSWORD } else { r.password_hash.as_str() };
            sqlx::query(&sql("INSERT INTO users (id, email, password_hash, name, profile_picture, email_verified, provider, sign_up_at, last_login_at, extra)
                 VALUES (?, ?, ?, ?, ?, TRUE, 'altogic', ?, ?, ?)"))
            .bind(&r.id)
            .bind(&r.email)
            .bind(password_hash)
            .bind(&r.name)
            .bind(&r.profile_picture)
            .bind(&r.created_at)
            .bind(now_iso)
            .bind(sqlx::types::Json(&r.extra))
            .execute(&mut **tx)
            .await?;
            sqlx::query(&sql("DELETE FROM email_links WHERE selector != ? AND user_id IN (SELECT id FROM registrations WHERE email = ?)"))
                .bind(keep_link)
                .bind(&r.email)
                .execute(&mut **tx)
                .await?;
            sqlx::query(&sql("DELETE FROM registrations WHERE email = ?")).bind(&r.email).execute(&mut **tx).await?;
            Ok(Activation::Done { contended })
        }

        #[async_trait]
        impl Store for $store {
            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(self.reader()).await?;
                Ok(())
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
                let found: Option<SessionUser> = sqlx::query_as(&sql("SELECT s.*, u.* FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.selector = ?"))
                    .bind(key.selector)
                    .fetch_optional(self.reader())
                    .await?;
                Ok(found.filter(|f| key.matches(&f.session.verifier_hash, f.session.expires_at, now)))
            }

            async fn sessions_of(&self, user_id: &str, now: i64) -> StoreResult<Vec<SessionRow>> {
                Ok(sqlx::query_as(&sql("SELECT * FROM sessions WHERE user_id = ? AND expires_at > ? ORDER BY created_at DESC"))
                    .bind(user_id)
                    .bind(now)
                    .fetch_all(self.reader())
                    .await?)
            }

            async fn file(&self, id: &str) -> StoreResult<Option<FileRow>> {
                Ok(sqlx::query_as(&sql("SELECT * FROM files WHERE id = ?")).bind(id).fetch_optional(self.reader()).await?)
            }

            async fn hit(&self, key: &str, now: i64, window: i64) -> StoreResult<(i64, i64)> {
                let mut tx = self.tx().await?;
                let counted = hit(&mut tx, key, now, window).await?;
                tx.commit().await?;
                Ok(counted)
            }

            async fn code_attempt(&self, recipient: &str, now: i64, window: i64, limit: u32) -> StoreResult<(i64, Option<LinkRow>)> {
                let mut tx = self.tx().await?;
                let (count, _) = hit(&mut tx, &format!("code:{recipient}"), now, window).await?;
                // Past the address's limit no attempt is taken from the mail: the caller is refused anyway.
                let allowed = if limit == 0 { i64::MAX } else { i64::from(limit) };
                // Only the newest mail's code is accepted: one guess tests one code.
                let link: Option<LinkRow> = sqlx::query_as(&sql("UPDATE email_links SET code_attempts = code_attempts + 1
                     WHERE selector = (SELECT selector FROM email_links WHERE recipient = ? AND consumed = FALSE AND expires_at > ? ORDER BY {seq} DESC LIMIT 1)
                       AND code_attempts < ? AND ? <= ?
                     RETURNING *"),
                )
                .bind(recipient)
                .bind(now)
                .bind(CODE_ATTEMPTS)
                .bind(count)
                .bind(allowed)
                .fetch_optional(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok((count, link))
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
                let mut tx = self.tx().await?;
                lock_user(&mut tx, &link.user_id).await?;
                if retire {
                    // A resend: only while the pending sign-up can still be confirmed (it may have
                    // become the account, or been voided, since it was looked up).
                    let pending: Option<bool> = sqlx::query_scalar(&sql("SELECT TRUE FROM registrations WHERE id = ? AND claimable = TRUE"))
                        .bind(&link.user_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    if pending.is_none() {
                        return Ok(false);
                    }
                    sqlx::query(&sql("UPDATE email_links SET consumed = TRUE WHERE user_id = ? AND action = ? AND consumed = FALSE"))
                        .bind(&link.user_id)
                        .bind(&link.action)
                        .execute(&mut *tx)
                        .await?;
                }
                insert_link(&mut tx, link).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn open_link(&self, proof: LinkProof<'_>, now: i64, now_iso: &str, token: &NewAccessToken, strict: bool) -> StoreResult<LinkOpened> {
                let mut tx = self.tx().await?;
                let owner: Option<String> = sqlx::query_scalar(&sql("SELECT user_id FROM email_links WHERE selector = ?")).bind(proof.selector()).fetch_optional(&mut *tx).await?;
                let Some(owner) = owner else { return Ok(LinkOpened::Invalid) };
                // Its account (or pending sign-up) is locked first, then the link is read as it is now.
                lock_user(&mut tx, &owner).await?;
                let link: Option<LinkRow> = sqlx::query_as(&sql("SELECT * FROM email_links WHERE selector = ?")).bind(proof.selector()).fetch_optional(&mut *tx).await?;
                let Some(link) = link else { return Ok(LinkOpened::Invalid) };
                let user = user_by_id(&mut tx, &link.user_id).await?;

                if link.action == "change-email" {
                    let (Some(user), Some(new_email)) = (user, link.new_email.clone()) else { return Ok(LinkOpened::Invalid) };
                    // Opening the link again after it applied (a mail scanner was first) answers the same.
                    let unspent = proof.proves(&link, now);
                    let reopened = link.consumed && user.email == new_email && proof.proves(&LinkRow { consumed: false, ..link.clone() }, now);
                    if reopened {
                        return Ok(LinkOpened::EmailChanged { user, old_email: None });
                    }
                    if !unspent {
                        return Ok(LinkOpened::Invalid);
                    }
                    // The change was asked by a session: once it has ended (signed out, password changed),
                    // its request is void.
                    let asker_live = match link.session_selector.as_deref() {
                        Some(asker) => session_live(&mut tx, asker, &user.id, now).await?,
                        None => false,
                    };
                    if !asker_live {
                        return Ok(LinkOpened::Invalid);
                    }
                    if email_taken(&mut tx, &new_email, &user.id).await? {
                        return Ok(LinkOpened::EmailTaken { action: link.action });
                    }
                    let changed: UserRow = sqlx::query_as(&sql("UPDATE users SET email = ?, email_verified = TRUE WHERE id = ? RETURNING *"))
                        .bind(&new_email)
                        .bind(&user.id)
                        .fetch_one(&mut *tx)
                        .await?;
                    drop_registrations(&mut tx, &new_email).await?;
                    // The old address's links and the other devices end with the change.
                    end_credentials(&mut tx, &user.id, link.session_selector.as_deref(), Ending::All).await?;
                    sqlx::query(&sql("UPDATE email_links SET consumed = TRUE WHERE selector = ?")).bind(&link.selector).execute(&mut *tx).await?;
                    tx.commit().await?;
                    return Ok(LinkOpened::EmailChanged { user: changed, old_email: Some(user.email) });
                }

                if !proof.proves(&link, now) {
                    return Ok(LinkOpened::Invalid);
                }
                let mut contended = false;
                match user {
                    // A link proves only the mailbox it was sent to: one mailed to an address the account
                    // has left since (even one issued in the same instant as the move) opens nothing.
                    Some(user) if user.email != link.recipient => return Ok(LinkOpened::Invalid),
                    Some(user) => {
                        if !user.email_verified {
                            // The mailbox is proved now. Under verification, a password nobody proved the
                            // mailbox for (an account made before verification was turned on) stops working.
                            sqlx::query(&sql("UPDATE users SET email_verified = TRUE, password_hash = CASE WHEN ? THEN password_hash ELSE ? END WHERE id = ?"))
                                .bind(!strict)
                                .bind(crate::crypto::UNUSABLE_PASSWORD)
                                .bind(&user.id)
                                .execute(&mut *tx)
                                .await?;
                            drop_registrations(&mut tx, &user.email).await?;
                        }
                    }
                    None => {
                        // An `email-confirm` link of a pending sign-up: that sign-up becomes the account,
                        // unless the link is bound to a device (PKCE) and was only opened: then the
                        // token is minted, and the sign-up becomes the account when that device
                        // redeems it with its verifier (a code's verifier was checked already).
                        if link.action != "email-confirm" {
                            return Ok(LinkOpened::Invalid);
                        }
                        let deferred = link.code_challenge.is_some() && matches!(proof, LinkProof::Key(_));
                        if deferred {
                            let pending: Option<bool> = sqlx::query_scalar(&sql("SELECT TRUE FROM registrations WHERE id = ? AND claimable = TRUE"))
                                .bind(&link.user_id)
                                .fetch_optional(&mut *tx)
                                .await?;
                            if pending.is_none() {
                                return Ok(LinkOpened::Invalid);
                            }
                        } else {
                            match activate_registration(&mut tx, &link.user_id, &link.selector, now, now_iso).await? {
                                Activation::Done { contended: c } => contended = c,
                                Activation::Taken => return Ok(LinkOpened::EmailTaken { action: link.action }),
                                Activation::Gone => return Ok(LinkOpened::Invalid),
                            }
                        }
                    }
                }
                insert_token(&mut tx, token, &link.user_id, &link).await?;
                tx.commit().await?;
                Ok(LinkOpened::Granted { action: link.action, user_id: link.user_id, contended, code_challenge: link.code_challenge })
            }

            async fn grant(&self, key: TokenKey<'_>, verifier: Option<&str>, actions: &[&str], now: i64, now_iso: &str, session: &SessionRow) -> StoreResult<Redeemed<(UserRow, bool)>> {
                let mut tx = self.tx().await?;
                let (user_id, link) = match redeem(&mut tx, key, verifier, actions, now).await? {
                    Redeemed::Done(found) => found,
                    Redeemed::Invalid => return Ok(Redeemed::Invalid),
                    Redeemed::WrongVerifier => return Ok(Redeemed::WrongVerifier),
                };
                // A bound sign-up whose link was only opened becomes the account now, on the device
                // that proved it asked for it.
                let mut contended = false;
                let exists: Option<bool> = sqlx::query_scalar(&sql("SELECT TRUE FROM users WHERE id = ?")).bind(&user_id).fetch_optional(&mut *tx).await?;
                if exists.is_none() {
                    match activate_registration(&mut tx, &user_id, link.as_deref().unwrap_or(""), now, now_iso).await? {
                        Activation::Done { contended: c } => contended = c,
                        Activation::Taken | Activation::Gone => return Ok(Redeemed::Invalid),
                    }
                }
                let user: Option<UserRow> =
                    sqlx::query_as(&sql("UPDATE users SET last_login_at = ? WHERE id = ? RETURNING *")).bind(now_iso).bind(&user_id).fetch_optional(&mut *tx).await?;
                let Some(user) = user else { return Ok(Redeemed::Invalid) };
                insert_session(&mut tx, &SessionRow { user_id, ..session.clone() }).await?;
                tx.commit().await?;
                Ok(Redeemed::Done((user, contended)))
            }

            async fn reset_password(&self, key: TokenKey<'_>, verifier: Option<&str>, new_hash: &str, now: i64) -> StoreResult<Redeemed<()>> {
                let mut tx = self.tx().await?;
                let user_id = match redeem(&mut tx, key, verifier, &["reset-pwd"], now).await? {
                    Redeemed::Done((user_id, _)) => user_id,
                    Redeemed::Invalid => return Ok(Redeemed::Invalid),
                    Redeemed::WrongVerifier => return Ok(Redeemed::WrongVerifier),
                };
                let updated = sqlx::query(&sql("UPDATE users SET password_hash = ? WHERE id = ?")).bind(new_hash).bind(&user_id).execute(&mut *tx).await?.rows_affected();
                if updated != 1 {
                    return Ok(Redeemed::Invalid);
                }
                // The old password may be known to someone else: everything it let anyone obtain ends.
                end_credentials(&mut tx, &user_id, None, Ending::All).await?;
                tx.commit().await?;
                Ok(Redeemed::Done(()))
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
                let mut files = Vec::new();
                // Each sweep is its own short statement (no transaction holding locks across
                // tables while flows run), links before the tokens they minted, as flows go.
                for statement in [
                    "DELETE FROM sessions WHERE expires_at <= ?",
                    "DELETE FROM email_links WHERE expires_at <= ?",
                    "DELETE FROM access_tokens WHERE expires_at <= ?",
                    "DELETE FROM registrations WHERE expires_at <= ?",
                    "DELETE FROM throttle WHERE expires_at <= ?",
                ] {
                    sqlx::query(&sql(statement)).bind(p.now).execute(self.writer()).await?;
                }
                sqlx::query(&sql("DELETE FROM mails WHERE {created_epoch} < ?")).bind(p.mails_before).execute(self.writer()).await?;
                if let Some(before) = &p.unverified_before {
                    // Each account under its own lock, re-checked: one verifying right now stays.
                    let stale: Vec<String> =
                        sqlx::query_scalar(&sql("SELECT id FROM users WHERE email_verified = FALSE AND sign_up_at < ?")).bind(before).fetch_all(self.reader()).await?;
                    for id in stale {
                        let mut tx = self.tx().await?;
                        lock_user(&mut tx, &id).await?;
                        // Their file rows go with them (ON DELETE CASCADE): remember whose bytes to drop.
                        let owned: Vec<String> = sqlx::query_scalar(&sql("SELECT id FROM files WHERE owner_id = ?")).bind(&id).fetch_all(&mut *tx).await?;
                        let gone = sqlx::query(&sql("DELETE FROM users WHERE id = ? AND email_verified = FALSE AND sign_up_at < ?"))
                            .bind(&id)
                            .bind(before)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                        if gone == 1 {
                            files.extend(owned);
                        }
                        tx.commit().await?;
                    }
                }
                Ok(files)
            }
        }

        /// The counter upsert: a new window starts when the old one has ended.
        async fn hit(tx: &mut Tx, key: &str, now: i64, window: i64) -> StoreResult<(i64, i64)> {
            Ok(sqlx::query_as(&sql("INSERT INTO throttle (key, count, expires_at) VALUES (?1, 1, ?2 + ?3)
                 ON CONFLICT(key) DO UPDATE SET
                   count = CASE WHEN throttle.expires_at <= ?2 THEN 1 ELSE throttle.count + 1 END,
                   expires_at = CASE WHEN throttle.expires_at <= ?2 THEN ?2 + ?3 ELSE throttle.expires_at END
                 RETURNING count, expires_at"),
            )
            .bind(key)
            .bind(now)
            .bind(window)
            .fetch_one(&mut **tx)
            .await?)
        }

    };
}

pub(crate) use sql_flows;
