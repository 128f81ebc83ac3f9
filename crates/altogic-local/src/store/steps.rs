//! The steps the flows are made of: locks, the credential sweep of a password change, inserting a
//! session or a link, redeeming a token, making a pending sign-up the account. Each runs inside
//! the caller's transaction and commits nothing itself.

use super::sql::{sql, On, Tx};
use super::{AccessTokenRow, DeviceRow, EventRow, FactorRow, MailRow, TicketRow, LinkRow, NewAccessToken, Redeemed, RegistrationRow, SessionRow, StoreResult, UserRow};
use crate::crypto::TokenKey;
use crate::domain::skeleton;

/// Takes a transaction-scoped lock on `key`. PostgreSQL needs it (other instances write to the
/// same rows); under SQLite's single writer (`BEGIN IMMEDIATE`) there is nothing to lock.
pub async fn lock(tx: &mut Tx, key: &str) -> StoreResult<()> {
    if let Tx::Pg(_) = tx {
        sql("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))").bind(key).execute(tx).await?;
    }
    Ok(())
}

/// Serializes the flows of one account (or pending sign-up).
pub async fn lock_user(tx: &mut Tx, id: &str) -> StoreResult<()> {
    lock(tx, &format!("user:{id}")).await
}

/// Serializes the flows that give an address to an account; taken after any account lock. The
/// lock is the address's skeleton's: addresses that read alike are given one at a time.
pub async fn lock_email(tx: &mut Tx, email: &str) -> StoreResult<()> {
    lock(tx, &format!("email:{}", skeleton(email))).await
}

/// Whether the session is live and the user's; every flow that acts for a session checks this in
/// its own transaction (under the user's lock, which it takes).
pub async fn session_live(tx: &mut Tx, selector: &str, user_id: &str, now: i64) -> StoreResult<bool> {
    lock_user(tx, user_id).await?;
    sql("SELECT TRUE FROM sessions WHERE selector = ? AND user_id = ? AND expires_at > ?").bind(selector).bind(user_id).bind(now).exists(tx).await
}

/// When the live session `selector` of the user last authenticated; None when it has ended.
/// Takes the user's lock, like [`session_live`].
pub async fn session_authenticated_at(tx: &mut Tx, selector: &str, user_id: &str, now: i64) -> StoreResult<Option<i64>> {
    lock_user(tx, user_id).await?;
    sql("SELECT authenticated_at FROM sessions WHERE selector = ? AND user_id = ? AND expires_at > ?").bind(selector).bind(user_id).bind(now).scalar(tx).await
}

/// Ends every session of the user but `keep`, and the first steps waiting for a code.
pub async fn end_sessions_but(tx: &mut Tx, user_id: &str, keep: &str) -> StoreResult<()> {
    sql("DELETE FROM sessions WHERE user_id = ? AND selector != ?").bind(user_id).bind(keep).execute(&mut *tx).await?;
    sql("DELETE FROM mfa_tickets WHERE user_id = ?").bind(user_id).execute(tx).await?;
    Ok(())
}

/// What a flow that needs a recent authentication found of its session.
#[derive(Debug, PartialEq)]
pub enum Recency {
    /// The session has ended.
    Ended,
    /// It authenticated before the window.
    Stale,
    Recent,
}

/// Whether the live session `selector` authenticated since `window_start` (under the user's
/// lock, which it takes). With `only_with_mfa` the window applies only to an account with
/// two-step verification on: for the others any live session is `Recent`.
pub async fn recency(tx: &mut Tx, selector: &str, user_id: &str, window_start: i64, only_with_mfa: bool, now: i64) -> StoreResult<Recency> {
    let Some(authenticated_at) = session_authenticated_at(&mut *tx, selector, user_id, now).await? else { return Ok(Recency::Ended) };
    if authenticated_at >= window_start || (only_with_mfa && !mfa_on(tx, user_id).await?) {
        return Ok(Recency::Recent);
    }
    Ok(Recency::Stale)
}

/// Whether the account has two-step verification on (a confirmed factor).
pub async fn mfa_on(tx: &mut Tx, user_id: &str) -> StoreResult<bool> {
    sql("SELECT TRUE FROM mfa_factors WHERE user_id = ? AND confirmed = TRUE").bind(user_id).exists(tx).await
}

/// The account's confirmed factor.
pub async fn confirmed_factor(tx: &mut Tx, user_id: &str) -> StoreResult<Option<FactorRow>> {
    sql("SELECT * FROM mfa_factors WHERE user_id = ? AND confirmed = TRUE").bind(user_id).fetch_optional(tx).await
}

/// Accepts a code of the account's factor: `check` finds the step the code is of (after the
/// factor's last used one), and the step is recorded in the same statement that tests it is newer,
/// so of concurrent uses of one code exactly one succeeds.
pub async fn accept_code(tx: &mut Tx, user_id: &str, check: impl FnOnce(&FactorRow) -> Option<i64>) -> StoreResult<bool> {
    let Some(factor) = confirmed_factor(&mut *tx, user_id).await? else { return Ok(false) };
    let Some(step) = check(&factor) else { return Ok(false) };
    let recorded = sql("UPDATE mfa_factors SET last_step = ? WHERE id = ? AND last_step < ?").bind(step).bind(&factor.id).bind(step).execute(tx).await?;
    Ok(recorded == 1)
}

/// Spends one recovery code of the account (its hash): true when it was there.
pub async fn spend_recovery_code(tx: &mut Tx, user_id: &str, code_hash: &[u8]) -> StoreResult<bool> {
    let spent = sql("DELETE FROM recovery_codes WHERE user_id = ? AND code_hash = ?").bind(user_id).bind(code_hash).execute(tx).await?;
    Ok(spent == 1)
}

/// Replaces the account's recovery codes with these hashes.
pub async fn replace_recovery_codes(tx: &mut Tx, user_id: &str, hashes: &[Vec<u8>]) -> StoreResult<()> {
    sql("DELETE FROM recovery_codes WHERE user_id = ?").bind(user_id).execute(&mut *tx).await?;
    for hash in hashes {
        sql("INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)").bind(user_id).bind(hash).execute(&mut *tx).await?;
    }
    Ok(())
}

/// Stores a device token's row (see the `devices` migration).
pub async fn insert_device(tx: &mut Tx, d: &DeviceRow) -> StoreResult<()> {
    sql("INSERT INTO devices (selector, verifier_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
        .bind(&d.selector)
        .bind(&d.verifier_hash)
        .bind(&d.user_id)
        .bind(&d.created_at)
        .bind(d.expires_at)
        .execute(tx)
        .await?;
    Ok(())
}

/// Stores a first step's ticket.
pub async fn insert_ticket(tx: &mut Tx, t: &TicketRow) -> StoreResult<()> {
    sql("INSERT INTO mfa_tickets (selector, verifier_hash, user_id, proof, password_hash, user_agent, throttle_key, new_device, attempts, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)")
    .bind(&t.selector)
    .bind(&t.verifier_hash)
    .bind(&t.user_id)
    .bind(&t.proof)
    .bind(&t.password_hash)
    .bind(&t.user_agent)
    .bind(&t.throttle_key)
    .bind(t.new_device)
    .bind(t.expires_at)
    .execute(tx)
    .await?;
    Ok(())
}

/// Which outstanding links and access tokens a change ends besides sessions.
#[derive(Clone, Copy, PartialEq)]
pub enum Ending {
    /// Everything: a reset, or a move to another address (the old mailbox no longer owns it).
    All,
    /// All but `reset-pwd`: password change and sign-out-all end what signs in, but must not let a
    /// thief with a session kill the owner's recovery link again and again.
    KeepResets,
}

/// Ends what a change of credentials must end: sessions but `keep`, unspent links, access tokens.
/// Returns the number of sessions ended.
pub async fn end_credentials(tx: &mut Tx, user_id: &str, keep: Option<&str>, ending: Ending) -> StoreResult<u64> {
    let ended = sql("DELETE FROM sessions WHERE user_id = ? AND selector IS DISTINCT FROM ?").bind(user_id).bind(keep).execute(&mut *tx).await?;
    let spare = if ending == Ending::KeepResets { "reset-pwd" } else { "" };
    sql("UPDATE email_links SET consumed = TRUE WHERE user_id = ? AND consumed = FALSE AND action != ?").bind(user_id).bind(spare).execute(&mut *tx).await?;
    sql("DELETE FROM access_tokens WHERE user_id = ? AND action != ?").bind(user_id).bind(spare).execute(&mut *tx).await?;
    // A first step waiting for its code was given to the old credentials.
    sql("DELETE FROM mfa_tickets WHERE user_id = ?").bind(user_id).execute(tx).await?;
    Ok(ended)
}

/// Stores an account (with its address's skeleton); false when the address has one already.
pub async fn insert_user(tx: &mut Tx, u: &UserRow) -> StoreResult<bool> {
    let inserted = sql("INSERT INTO users (id, email, skeleton, password_hash, name, profile_picture, email_verified, provider, sign_up_at, last_login_at, extra)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(email) DO NOTHING")
    .bind(&u.id)
    .bind(&u.email)
    .bind(skeleton(&u.email).as_str())
    .bind(&u.password_hash)
    .bind(&u.name)
    .bind(&u.profile_picture)
    .bind(u.email_verified)
    .bind(&u.provider)
    .bind(&u.sign_up_at)
    .bind(&u.last_login_at)
    .bind(&u.extra)
    .execute(tx)
    .await?;
    Ok(inserted == 1)
}

/// Stores a pending sign-up (`claimable` as given: false when the address had an account).
pub async fn insert_registration(tx: &mut Tx, r: &RegistrationRow) -> StoreResult<()> {
    sql("INSERT INTO registrations (id, email, password_hash, name, profile_picture, extra, created_at, expires_at, claimable)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
    .bind(&r.id)
    .bind(&r.email)
    .bind(&r.password_hash)
    .bind(&r.name)
    .bind(&r.profile_picture)
    .bind(&r.extra)
    .bind(&r.created_at)
    .bind(r.expires_at)
    .bind(r.claimable)
    .execute(tx)
    .await?;
    Ok(())
}

/// Keeps a copy of a mail for the dev mailbox (numbered after the others).
pub async fn insert_mail<'c>(on: impl Into<On<'c>>, m: &MailRow) -> StoreResult<()> {
    sql("INSERT INTO mails (id, to_addr, subject, action, link, code, text_body, html_body, created_at, seq)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, {mail_seq})")
    .bind(&m.id)
    .bind(&m.to)
    .bind(&m.subject)
    .bind(&m.action)
    .bind(&m.link)
    .bind(&m.code)
    .bind(&m.text)
    .bind(&m.html)
    .bind(&m.created_at)
    .execute(on)
    .await?;
    Ok(())
}

/// Appends a security event, if its account exists (an event of a request that raced the
/// account's deletion is not kept: nothing of the account may outlive it).
pub async fn insert_event<'c>(on: impl Into<On<'c>>, e: &EventRow) -> StoreResult<()> {
    sql("INSERT INTO security_events (id, user_id, type, at, at_unix, user_agent, network, session_id)
         SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM users WHERE id = ?)")
    .bind(&e.id)
    .bind(&e.user_id)
    .bind(&e.kind)
    .bind(&e.at)
    .bind(e.at_unix)
    .bind(&e.user_agent)
    .bind(&e.network)
    .bind(&e.session_id)
    .bind(&e.user_id)
    .execute(on)
    .await?;
    Ok(())
}

pub async fn insert_session(tx: &mut Tx, s: &SessionRow) -> StoreResult<()> {
    sql("INSERT INTO sessions (selector, verifier_hash, user_id, created_at, expires_at, user_agent, authenticated_at, used_at, ends_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(&s.selector)
        .bind(&s.verifier_hash)
        .bind(&s.user_id)
        .bind(&s.created_at)
        .bind(s.expires_at)
        .bind(&s.user_agent)
        .bind(s.authenticated_at)
        .bind(s.used_at)
        .bind(s.ends_at)
        .execute(tx)
        .await?;
    Ok(())
}

pub async fn insert_link(tx: &mut Tx, l: &LinkRow) -> StoreResult<()> {
    sql("INSERT INTO email_links (selector, verifier_hash, user_id, action, recipient, new_email, code_hash, code_attempts, created_at, expires_at, consumed, session_selector, code_challenge)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
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
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn user_by_id(tx: &mut Tx, id: &str) -> StoreResult<Option<UserRow>> {
    sql("SELECT * FROM users WHERE id = ?").bind(id).fetch_optional(tx).await
}

/// Whether another account has the address, or one that reads like it (the same skeleton); takes
/// the address's lock first.
pub async fn email_taken(tx: &mut Tx, email: &str, except_user: &str) -> StoreResult<bool> {
    lock_email(tx, email).await?;
    sql("SELECT TRUE FROM users WHERE (email = ? OR skeleton = ?) AND id != ?").bind(email).bind(skeleton(email).as_str()).bind(except_user).exists(tx).await
}

/// Gives the account its address (and the address's skeleton, with it).
pub async fn set_email(tx: &mut Tx, user_id: &str, email: &str, verified: bool) -> StoreResult<UserRow> {
    sql("UPDATE users SET email = ?, skeleton = ?, email_verified = ? WHERE id = ? RETURNING *").bind(email).bind(skeleton(email).as_str()).bind(verified).bind(user_id).fetch_one(tx).await
}

/// Whether `id` is a pending sign-up that can still be confirmed.
pub async fn claimable(tx: &mut Tx, id: &str) -> StoreResult<bool> {
    sql("SELECT TRUE FROM registrations WHERE id = ? AND claimable = TRUE").bind(id).exists(tx).await
}

/// Drops every pending sign-up of an address and their links (the address now has its owner).
pub async fn drop_registrations(tx: &mut Tx, email: &str) -> StoreResult<()> {
    sql("DELETE FROM email_links WHERE user_id IN (SELECT id FROM registrations WHERE email = ?)").bind(email).execute(&mut *tx).await?;
    sql("DELETE FROM registrations WHERE email = ?").bind(email).execute(tx).await?;
    Ok(())
}

pub async fn insert_token(tx: &mut Tx, token: &NewAccessToken, user_id: &str, link: &LinkRow) -> StoreResult<()> {
    sql("INSERT INTO access_tokens (selector, verifier_hash, user_id, action, link_selector, expires_at, code_challenge) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .bind(&token.selector)
        .bind(&token.verifier_hash)
        .bind(user_id)
        .bind(&link.action)
        .bind(&link.selector)
        .bind(token.expires_at)
        .bind(&link.code_challenge)
        .execute(tx)
        .await?;
    Ok(())
}

/// Burns a live access token of one of `actions` and spends its link (a second token of the same
/// link, from an earlier open, loses here). Returns the token's user and link. Any refusal happens
/// before the transaction commits, so a refused token stays as it was.
pub async fn redeem(tx: &mut Tx, key: TokenKey<'_>, verifier: Option<&str>, actions: &[&str], now: i64) -> StoreResult<Redeemed<(String, Option<String>)>> {
    // The token's user is locked before the token is touched (locks go user first, then rows).
    let owner: Option<String> = sql("SELECT user_id FROM access_tokens WHERE selector = ?").bind(key.selector).scalar(&mut *tx).await?;
    let Some(owner) = owner else { return Ok(Redeemed::Invalid) };
    lock_user(tx, &owner).await?;
    let token: Option<AccessTokenRow> = sql("DELETE FROM access_tokens WHERE selector = ? RETURNING *").bind(key.selector).fetch_optional(&mut *tx).await?;
    let Some(token) = token else { return Ok(Redeemed::Invalid) };
    if !key.matches(&token.verifier_hash, token.expires_at, now) || !actions.contains(&token.action.as_str()) {
        return Ok(Redeemed::Invalid);
    }
    if !crate::crypto::pkce_ok(token.code_challenge.as_deref(), verifier) {
        return Ok(Redeemed::WrongVerifier);
    }
    if let Some(link) = &token.link_selector {
        let spent = sql("UPDATE email_links SET consumed = TRUE WHERE selector = ? AND consumed = FALSE").bind(link).execute(&mut *tx).await?;
        if spent != 1 {
            return Ok(Redeemed::Invalid);
        }
        sql("DELETE FROM access_tokens WHERE link_selector = ?").bind(link).execute(tx).await?;
    }
    Ok(Redeemed::Done((token.user_id, token.link_selector)))
}

/// What making a pending sign-up the account did.
pub enum Activation {
    /// `contended`: other sign-ups of the address were pending, so no password was kept.
    Done { contended: bool },
    /// The address became another account's meanwhile.
    Taken,
    /// No such (claimable) sign-up any more.
    Gone,
}

/// Makes the pending sign-up `id` the account (keeping its id), and voids every other pending
/// sign-up of the address and their links except `keep_link`. The caller holds `user:ID`.
pub async fn activate_registration(tx: &mut Tx, id: &str, keep_link: &str, now: i64, now_iso: &str) -> StoreResult<Activation> {
    let registration: Option<RegistrationRow> = sql("SELECT * FROM registrations WHERE id = ? AND claimable = TRUE").bind(id).fetch_optional(&mut *tx).await?;
    let Some(r) = registration else { return Ok(Activation::Gone) };
    if email_taken(tx, &r.email, &r.id).await? {
        return Ok(Activation::Taken);
    }
    // Several people signed up with this address: the mailbox owner opened one of the links, but
    // nothing tells whose password it carries. The account is made without a usable password; the
    // handler mails the owner a link to choose one.
    let pending: i64 = sql("SELECT COUNT(*) FROM registrations WHERE email = ? AND claimable = TRUE AND expires_at > ?")
        .bind(&r.email)
        .bind(now)
        .fetch_one::<(i64,)>(&mut *tx)
        .await?
        .0;
    let contended = pending > 1;
    let password_hash = if contended { crate::crypto::UNUSABLE_PASSWORD } else { r.password_hash.as_str() };
    sql("INSERT INTO users (id, email, skeleton, password_hash, name, profile_picture, email_verified, provider, sign_up_at, last_login_at, extra)
         VALUES (?, ?, ?, ?, ?, ?, TRUE, 'altogic', ?, ?, ?)")
    .bind(&r.id)
    .bind(&r.email)
    .bind(skeleton(&r.email).as_str())
    .bind(password_hash)
    .bind(&r.name)
    .bind(&r.profile_picture)
    .bind(&r.created_at)
    .bind(now_iso)
    .bind(&r.extra)
    .execute(&mut *tx)
    .await?;
    sql("DELETE FROM email_links WHERE selector != ? AND user_id IN (SELECT id FROM registrations WHERE email = ?)").bind(keep_link).bind(&r.email).execute(&mut *tx).await?;
    sql("DELETE FROM registrations WHERE email = ?").bind(&r.email).execute(tx).await?;
    Ok(Activation::Done { contended })
}

/// The counter upsert: a new window starts when the old one has ended. Returns the count including
/// this hit and when the window ends.
pub async fn hit(tx: &mut Tx, key: &str, now: i64, window: i64) -> StoreResult<(i64, i64)> {
    sql("INSERT INTO throttle (key, count, expires_at) VALUES (?1, 1, ?2 + ?3)
         ON CONFLICT(key) DO UPDATE SET
           count = CASE WHEN throttle.expires_at <= ?2 THEN 1 ELSE throttle.count + 1 END,
           expires_at = CASE WHEN throttle.expires_at <= ?2 THEN ?2 + ?3 ELSE throttle.expires_at END
         RETURNING count, expires_at")
    .bind(key)
    .bind(now)
    .bind(window)
    .fetch_one(tx)
    .await
}
