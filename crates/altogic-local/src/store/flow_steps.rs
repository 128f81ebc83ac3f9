//! The steps the flows are made of (locks, the credential sweep of a password change, inserting a
//! session or a link, redeeming a token, activating a sign-up), instantiated by `sql_flows!` next to
//! the flows for each store; the same rules as there: `?` placeholders, locks user before address.

macro_rules! sql_flow_steps {
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

        /// The sweep behind `Store::purge`.
        async fn purge_flow(store: &$store, p: &PurgePolicy) -> StoreResult<Vec<String>> {
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
                sqlx::query(&sql(statement)).bind(p.now).execute(store.writer()).await?;
            }
            sqlx::query(&sql("DELETE FROM mails WHERE {created_epoch} < ?")).bind(p.mails_before).execute(store.writer()).await?;
            if let Some(before) = &p.unverified_before {
                // Each account under its own lock, re-checked: one verifying right now stays.
                let stale: Vec<String> =
                    sqlx::query_scalar(&sql("SELECT id FROM users WHERE email_verified = FALSE AND sign_up_at < ?")).bind(before).fetch_all(store.reader()).await?;
                for id in stale {
                    let mut tx = store.tx().await?;
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
    };
}

pub(crate) use sql_flow_steps;
