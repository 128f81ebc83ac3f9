//! Rate limits, counted in the store ([`counted`]): atomically, so concurrent requests cannot
//! slip past a limit; shared by every instance on one database; and the same count for known and
//! unknown addresses. Per client network (`per_client`), per account, per address and per user.
//!
//! One limit is counted in memory instead ([`Flood`]): a flood of link opens must not reach the
//! database at all, where every count is a write on SQLite's one writer.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::{AppError, AppResult};
use crate::time::unix_now;
use crate::AppState;

/// Windows of the stored limits, in seconds.
pub const SIGNIN_WINDOW: i64 = 15 * 60;
pub const CODE_WINDOW: i64 = 24 * 3600;
pub const MAIL_WINDOW: i64 = 3600;
pub const UPLOAD_WINDOW: i64 = 3600;
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
