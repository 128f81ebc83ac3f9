//! The two-step verification flows (shared/account-security-api.md §1–2): enrolling and confirming
//! an authenticator, the second step of a sign-in, re-authentication, turning it off, new recovery
//! codes. Codes are checked inside the transaction that records their use, so a code, a recovery
//! code or a ticket works once however many requests present it at the same time.

use super::sql::sql;
use super::sql::Tx;
use super::steps::{accept_code, end_sessions_but, insert_device, insert_session, lock_user, mfa_on, recency, replace_recovery_codes, session_authenticated_at, spend_recovery_code, Recency};
use super::{DeviceRow, FactorRow, SessionRow, Store, StoreResult, TicketRow, UserRow};
use crate::crypto::TokenKey;

/// Wrong codes a ticket takes; the last one ends it.
pub const TICKET_ATTEMPTS: i64 = 5;

/// The throttle key of an account's authenticator codes, from anywhere: what bounds guessing by
/// someone who knows the password (see `routes::two_step::code_budget`). A finished second step
/// clears it.
pub fn code_budget_key(user_id: &str) -> String {
    format!("mfa-code:{user_id}")
}

/// What a ticket keeps of the password hash it was given for: enough to tell that the password
/// changed, and not another copy of the hash.
pub fn password_fingerprint(password_hash: &str) -> String {
    hex::encode(crate::crypto::sha256(password_hash.as_bytes()))
}

/// The check of a code against a factor: opens the factor's secret and finds the step the code is
/// of, newer than the factor's last used one (see [`crate::two_step::code_check`]).
pub type CodeCheck<'a> = Box<dyn FnOnce(&FactorRow) -> Option<i64> + Send + 'a>;

/// A second factor as a flow checks it.
pub enum Proof<'a> {
    /// A code of the authenticator.
    Code(CodeCheck<'a>),
    /// The hash of a recovery code (see [`crate::two_step::recovery_code_hash`]).
    Recovery(&'a [u8]),
}

/// What a flow that needs a recently authenticated session found.
#[derive(Debug, PartialEq)]
pub enum Gate<T> {
    Done(T),
    SessionEnded,
    /// The session authenticated before the window.
    ReauthRequired,
    /// The code (or recovery code) was wrong or used.
    WrongCode,
    /// No such pending factor, or two-step verification is not on.
    NotApplicable,
}

/// What the second step of a sign-in did.
#[derive(Debug)]
pub enum SecondStep {
    /// The session (and, for a new device, its device token) is stored.
    Done { user: UserRow, used_recovery_code: bool, new_device: bool, throttle_key: String },
    /// Wrong; `ended` when that was the ticket's last attempt.
    Wrong { ended: bool, throttle_key: String },
    /// Unknown, forged, expired, used, or void (the password changed since).
    InvalidTicket,
}

impl Store {
    /// The account's confirmed factors and the number of recovery codes left.
    pub async fn mfa_status(&self, user_id: &str) -> StoreResult<(Vec<FactorRow>, i64)> {
        let factors: Vec<FactorRow> = sql("SELECT * FROM mfa_factors WHERE user_id = ? AND confirmed = TRUE ORDER BY created_at").bind(user_id).fetch_all(self.reader()).await?;
        let left: (i64,) = sql("SELECT COUNT(*) FROM recovery_codes WHERE user_id = ?").bind(user_id).fetch_one(self.reader()).await?;
        Ok((factors, left.0))
    }

    /// Stores a pending factor, replacing the account's other pending ones. The session must have
    /// authenticated since `window_start`: a stolen session must not be able to put its own
    /// authenticator on the account (it would lock the owner out).
    pub async fn enroll_factor(&self, session: &str, factor: &FactorRow, window_start: i64, now: i64) -> StoreResult<Gate<()>> {
        let mut tx = self.tx().await?;
        if let Some(refused) = recent_or(&mut tx, session, &factor.user_id, window_start, now).await? {
            return Ok(refused);
        }
        sql("DELETE FROM mfa_factors WHERE user_id = ? AND confirmed = FALSE").bind(&factor.user_id).execute(&mut tx).await?;
        sql("INSERT INTO mfa_factors (id, user_id, secret, confirmed, created_at, expires_at, last_step) VALUES (?, ?, ?, FALSE, ?, ?, 0)")
            .bind(&factor.id)
            .bind(&factor.user_id)
            .bind(&factor.secret)
            .bind(&factor.created_at)
            .bind(factor.expires_at)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(Gate::Done(()))
    }

    /// Confirms the pending factor `factor_id` with its first code (`check`, as for
    /// [`Proof::Code`]): it becomes the account's one factor, `recovery_hashes` its recovery codes,
    /// and every other session of the account ends. Like enrolling, it needs a session
    /// authenticated since `window_start`.
    pub async fn confirm_factor(&self, session: &str, user_id: &str, factor_id: &str, check: CodeCheck<'_>, recovery_hashes: &[Vec<u8>], window_start: i64, now: i64) -> StoreResult<Gate<()>> {
        let mut tx = self.tx().await?;
        if let Some(refused) = recent_or(&mut tx, session, user_id, window_start, now).await? {
            return Ok(refused);
        }
        let pending: Option<FactorRow> = sql("SELECT * FROM mfa_factors WHERE id = ? AND user_id = ? AND confirmed = FALSE AND expires_at > ?").bind(factor_id).bind(user_id).bind(now).fetch_optional(&mut tx).await?;
        let Some(pending) = pending else { return Ok(Gate::NotApplicable) };
        let Some(step) = check(&pending) else { return Ok(Gate::WrongCode) };
        // One authenticator at a time: a new one replaces the old.
        sql("DELETE FROM mfa_factors WHERE user_id = ? AND id != ?").bind(user_id).bind(factor_id).execute(&mut tx).await?;
        sql("UPDATE mfa_factors SET confirmed = TRUE, expires_at = ?, last_step = ? WHERE id = ?").bind(i64::MAX).bind(step).bind(factor_id).execute(&mut tx).await?;
        replace_recovery_codes(&mut tx, user_id, recovery_hashes).await?;
        end_sessions_but(&mut tx, user_id, session).await?;
        tx.commit().await?;
        Ok(Gate::Done(()))
    }

    /// The second step of a sign-in: spends the ticket with a right code or recovery code and
    /// stores `session` (with the ticket's user agent) and, if the first step came from a device
    /// without a device token, `device`. A wrong one counts on the ticket, whose last attempt
    /// ends it.
    pub async fn second_step(&self, key: TokenKey<'_>, proof: Proof<'_>, now: i64, now_iso: &str, session: &SessionRow, device: &DeviceRow) -> StoreResult<SecondStep> {
        let mut tx = self.tx().await?;
        let owner: Option<String> = sql("SELECT user_id FROM mfa_tickets WHERE selector = ?").bind(key.selector).scalar(&mut tx).await?;
        let Some(owner) = owner else { return Ok(SecondStep::InvalidTicket) };
        lock_user(&mut tx, &owner).await?;
        let ticket: Option<TicketRow> = sql("SELECT * FROM mfa_tickets WHERE selector = ?").bind(key.selector).fetch_optional(&mut tx).await?;
        let Some(ticket) = ticket.filter(|t| key.matches(&t.verifier_hash, t.expires_at, now) && t.attempts < TICKET_ATTEMPTS) else { return Ok(SecondStep::InvalidTicket) };
        let user: Option<UserRow> = sql("SELECT * FROM users WHERE id = ?").bind(&ticket.user_id).fetch_optional(&mut tx).await?;
        let Some(user) = user.filter(|u| password_fingerprint(&u.password_hash) == ticket.password_hash) else {
            sql("DELETE FROM mfa_tickets WHERE selector = ?").bind(&ticket.selector).execute(&mut tx).await?;
            tx.commit().await?;
            return Ok(SecondStep::InvalidTicket);
        };
        let (right, used_recovery_code) = match proof {
            Proof::Code(check) => (accept_code(&mut tx, &user.id, check).await?, false),
            Proof::Recovery(hash) => (spend_recovery_code(&mut tx, &user.id, hash).await?, true),
        };
        if !right {
            let ended = ticket.attempts + 1 >= TICKET_ATTEMPTS;
            if ended {
                sql("DELETE FROM mfa_tickets WHERE selector = ?").bind(&ticket.selector).execute(&mut tx).await?;
            } else {
                sql("UPDATE mfa_tickets SET attempts = attempts + 1 WHERE selector = ?").bind(&ticket.selector).execute(&mut tx).await?;
            }
            tx.commit().await?;
            return Ok(SecondStep::Wrong { ended, throttle_key: ticket.throttle_key });
        }
        sql("DELETE FROM mfa_tickets WHERE selector = ?").bind(&ticket.selector).execute(&mut tx).await?;
        let user: UserRow = sql("UPDATE users SET last_login_at = ? WHERE id = ? RETURNING *").bind(now_iso).bind(&user.id).fetch_one(&mut tx).await?;
        insert_session(&mut tx, &SessionRow { user_id: user.id.clone(), user_agent: ticket.user_agent.clone(), ..session.clone() }).await?;
        if ticket.new_device {
            insert_device(&mut tx, &DeviceRow { user_id: user.id.clone(), ..device.clone() }).await?;
        }
        sql("DELETE FROM throttle WHERE key = ? OR key = ?").bind(&ticket.throttle_key).bind(code_budget_key(&user.id).as_str()).execute(&mut tx).await?;
        tx.commit().await?;
        Ok(SecondStep::Done { user, used_recovery_code, new_device: ticket.new_device, throttle_key: ticket.throttle_key })
    }

    /// Marks the session as authenticated `now`, if the password hash is still `checked_hash`
    /// (a password proof, checked by the caller) or `code` is a right code (with two-step
    /// verification on). Either way `Gate::WrongCode` when the proof fails here. A success clears
    /// the sign-in throttle key the attempt was counted on.
    pub async fn reauthenticate(&self, session: &str, user_id: &str, checked_hash: Option<&str>, code: Option<CodeCheck<'_>>, throttle_key: &str, now: i64) -> StoreResult<Gate<()>> {
        let mut tx = self.tx().await?;
        if session_authenticated_at(&mut tx, session, user_id, now).await?.is_none() {
            return Ok(Gate::SessionEnded);
        }
        let proved = match (checked_hash, code) {
            (Some(hash), None) => !mfa_on(&mut tx, user_id).await? && sql("SELECT TRUE FROM users WHERE id = ? AND password_hash = ?").bind(user_id).bind(hash).exists(&mut tx).await?,
            (None, Some(check)) => accept_code(&mut tx, user_id, check).await?,
            _ => false,
        };
        if !proved {
            // A used code's step stays recorded only when it was accepted: nothing to keep.
            return Ok(Gate::WrongCode);
        }
        sql("UPDATE sessions SET authenticated_at = ? WHERE selector = ?").bind(now).bind(session).execute(&mut tx).await?;
        sql("DELETE FROM throttle WHERE key = ?").bind(throttle_key).execute(&mut tx).await?;
        tx.commit().await?;
        Ok(Gate::Done(()))
    }

    /// Turns two-step verification off (factors, recovery codes and waiting tickets go), for a
    /// session authenticated since `window_start` that presents a right code or recovery code.
    pub async fn disable_mfa(&self, session: &str, user_id: &str, proof: Proof<'_>, window_start: i64, now: i64) -> StoreResult<Gate<()>> {
        let mut tx = self.tx().await?;
        match self.fresh_session_with_mfa(&mut tx, session, user_id, window_start, now).await? {
            Gate::Done(()) => {}
            other => return Ok(other),
        }
        let right = match proof {
            Proof::Code(check) => accept_code(&mut tx, user_id, check).await?,
            Proof::Recovery(hash) => spend_recovery_code(&mut tx, user_id, hash).await?,
        };
        if !right {
            tx.commit().await?;
            return Ok(Gate::WrongCode);
        }
        sql("DELETE FROM mfa_factors WHERE user_id = ?").bind(user_id).execute(&mut tx).await?;
        sql("DELETE FROM recovery_codes WHERE user_id = ?").bind(user_id).execute(&mut tx).await?;
        sql("DELETE FROM mfa_tickets WHERE user_id = ?").bind(user_id).execute(&mut tx).await?;
        tx.commit().await?;
        Ok(Gate::Done(()))
    }

    /// Replaces the recovery codes, for a session authenticated since `window_start` that presents
    /// a right code.
    pub async fn regenerate_recovery_codes(&self, session: &str, user_id: &str, check: CodeCheck<'_>, hashes: &[Vec<u8>], window_start: i64, now: i64) -> StoreResult<Gate<()>> {
        let mut tx = self.tx().await?;
        match self.fresh_session_with_mfa(&mut tx, session, user_id, window_start, now).await? {
            Gate::Done(()) => {}
            other => return Ok(other),
        }
        if !accept_code(&mut tx, user_id, check).await? {
            return Ok(Gate::WrongCode);
        }
        replace_recovery_codes(&mut tx, user_id, hashes).await?;
        tx.commit().await?;
        Ok(Gate::Done(()))
    }

    /// The gate of the calls that need two-step verification on and a recent authentication.
    async fn fresh_session_with_mfa(&self, tx: &mut Tx, session: &str, user_id: &str, window_start: i64, now: i64) -> StoreResult<Gate<()>> {
        if let Some(refused) = recent_or(tx, session, user_id, window_start, now).await? {
            return Ok(refused);
        }
        if !mfa_on(tx, user_id).await? {
            return Ok(Gate::NotApplicable);
        }
        Ok(Gate::Done(()))
    }
}

/// None when the session is live and authenticated since `window_start`; else the refusal.
async fn recent_or<T>(tx: &mut Tx, session: &str, user_id: &str, window_start: i64, now: i64) -> StoreResult<Option<Gate<T>>> {
    Ok(match recency(tx, session, user_id, window_start, false, now).await? {
        Recency::Ended => Some(Gate::SessionEnded),
        Recency::Stale => Some(Gate::ReauthRequired),
        Recency::Recent => None,
    })
}
