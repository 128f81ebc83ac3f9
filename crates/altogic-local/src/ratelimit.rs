//! Rate limits, counted in the store ([`counted`]): atomically, so concurrent requests cannot
//! slip past a limit; shared by every instance on one database; and the same count for known and
//! unknown addresses. Per client network (`per_client`), per account, per address and per user.
//!
//! One limit is counted in memory instead ([`Flood`]): a flood of link opens must not reach the
//! database at all, where every count is a write on SQLite's one writer.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::domain::Email;
use crate::error::{AppError, AppResult};
use crate::time::unix_now;
use crate::AppState;

/// Windows of the stored limits, in seconds.
pub const SIGNIN_WINDOW: i64 = 15 * 60;
pub const CODE_WINDOW: i64 = 24 * 3600;
pub const MAIL_WINDOW: i64 = 3600;
pub const UPLOAD_WINDOW: i64 = 3600;
/// Code guesses per address from anywhere, as a multiple of the per-network `--code-attempts`.
pub const CODE_ADDRESS_FACTOR: u32 = 10;
/// Window of the per-client-network limit on auth endpoints.
pub const CLIENT_WINDOW: i64 = 60;

/// Counts a request of `what` from a client network (or for an account: `pwd:ID`) against
/// `--auth-rate-limit` per minute.
pub async fn per_client(state: &AppState, what: &str, key: &str) -> AppResult<()> {
    counted(state, &format!("ip:{what}:{key}"), state.config.auth_rate_limit, CLIENT_WINDOW).await
}

/// Counts one hit of `key` in the store; refuses with 429 + Retry-After past `limit` (0 = none).
pub async fn counted(state: &AppState, key: &str, limit: u32, window: i64) -> AppResult<()> {
    if limit == 0 {
        return Ok(());
    }
    let now = unix_now();
    let (count, ends) = state.store.hit(key, now, window).await?;
    over(count, limit, ends, now)
}

/// Refuses (429) while the count of `key` is past `limit` in its current window, without counting
/// this request: for the right answer after too many wrong ones.
pub async fn still_refused(state: &AppState, key: &str, limit: u32) -> AppResult<()> {
    if limit == 0 {
        return Ok(());
    }
    let now = unix_now();
    match state.store.count(key, now).await? {
        Some((count, ends)) => over(count, limit, ends, now),
        None => Ok(()),
    }
}

/// The refusal for a count past its limit.
pub fn over(count: i64, limit: u32, ends: i64, now: i64) -> AppResult<()> {
    if limit > 0 && count > i64::from(limit) {
        return Err(AppError::rate_limited((ends - now).max(1) as u64));
    }
    Ok(())
}

/// Networks a [`Flood`] tracks before it forgets the ones whose window has ended.
const FLOOD_TRACKED: usize = 100_000;

/// A per-process fixed-window count per client network, refused before any database work. Each
/// instance counts on its own: a flood spread over N instances gets N budgets, which is what a
/// load limit needs (each instance protects its own database work).
#[derive(Default)]
pub struct Flood {
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

impl Flood {
    /// Counts a request of `network`; 429 with Retry-After past `limit` a `window` (0 = none).
    pub fn hit(&self, network: &str, limit: u32, window: i64) -> AppResult<()> {
        if limit == 0 {
            return Ok(());
        }
        let now = unix_now();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= FLOOD_TRACKED && !windows.contains_key(network) {
            windows.retain(|_, (ends, _)| *ends > now);
        }
        let entry = windows.entry(network.to_string()).or_insert((now + window, 0));
        if entry.0 <= now {
            *entry = (now + window, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        over(i64::from(entry.1), limit, entry.0, now)
    }
}

/// How long a password attempt past its limit waits for the others on its key to be decided.
const PENDING_WAIT: Duration = Duration::from_secs(5);
/// The account-wide slowdown: this much per failure past one network's budget, at most the max.
const SLOWDOWN_STEP: Duration = Duration::from_millis(100);
const SLOWDOWN_MAX: Duration = Duration::from_secs(3);

/// Password attempts admitted on each throttle key and still being checked, in this process.
#[derive(Default)]
pub struct Pending {
    counts: Mutex<HashMap<String, usize>>,
    decided: tokio::sync::Notify,
}

/// One admitted attempt; decided when dropped (after its sign-in was written, or refused).
pub struct PendingAttempt<'a> {
    pending: &'a Pending,
    key: String,
}

impl Pending {
    fn enter(&self, key: &str) -> PendingAttempt<'_> {
        *self.counts.lock().unwrap_or_else(|e| e.into_inner()).entry(key.to_string()).or_insert(0) += 1;
        PendingAttempt { pending: self, key: key.to_string() }
    }

    fn count(&self, key: &str) -> usize {
        self.counts.lock().unwrap_or_else(|e| e.into_inner()).get(key).copied().unwrap_or(0)
    }

    /// Until no attempt on `key` is being checked, or `deadline`.
    async fn settled(&self, key: &str, deadline: Instant) {
        while self.count(key) > 0 && Instant::now() < deadline {
            let _ = tokio::time::timeout(Duration::from_millis(50), self.decided.notified()).await;
        }
    }
}

impl Drop for PendingAttempt<'_> {
    fn drop(&mut self) {
        let mut counts = self.pending.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = counts.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.key);
            }
        }
        drop(counts);
        self.pending.decided.notify_waiters();
    }
}

/// Counts a password attempt on `key` (a network's or a device's budget for one account) before
/// the password is checked, so that concurrent guesses cannot outrun `limit`. An attempt past the
/// limit while others on the key are still being checked here waits for them instead of being
/// refused at once: a right password among them clears the count and lets it in (twenty parallel
/// right sign-ins all succeed), wrong ones leave it refused.
pub async fn admit_attempt<'a>(state: &'a AppState, key: &str, limit: u32) -> AppResult<PendingAttempt<'a>> {
    let deadline = Instant::now() + PENDING_WAIT;
    loop {
        let attempt = state.pending_signins.enter(key);
        match counted(state, key, limit, SIGNIN_WINDOW).await {
            Ok(()) => return Ok(attempt),
            Err(refused) => {
                drop(attempt);
                if state.pending_signins.count(key) == 0 || Instant::now() >= deadline {
                    return Err(refused);
                }
                state.pending_signins.settled(key, deadline).await;
            }
        }
    }
}

/// The key that counts failed sign-ins of an address from anywhere.
fn failures_key(email: &Email) -> String {
    format!("signin-failed:{email}")
}

/// Counts a failed password sign-in of an address (known or not: the same write either way).
pub async fn signin_failed(state: &AppState, email: &Email) -> AppResult<()> {
    state.store.hit(&failures_key(email), unix_now(), SIGNIN_WINDOW).await?;
    Ok(())
}

/// Past one network's budget of failures from anywhere, an attempt from a device the account does
/// not know waits a little, longer with every failure up to a few seconds. The account is slowed,
/// never refused: its owner, on a new network, still gets in.
pub async fn account_slowdown(state: &AppState, email: &Email) -> AppResult<()> {
    let limit = i64::from(state.config.signin_attempts);
    if limit == 0 {
        return Ok(());
    }
    let failures = state.store.count(&failures_key(email), unix_now()).await?.map_or(0, |(n, _)| n);
    let excess = u32::try_from(failures - limit).unwrap_or(0);
    if excess > 0 {
        tokio::time::sleep(SLOWDOWN_STEP.saturating_mul(excess).min(SLOWDOWN_MAX)).await;
    }
    Ok(())
}
