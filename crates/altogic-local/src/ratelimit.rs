//! Rate limits, all counted in the store ([`counted`]): atomically, so concurrent requests cannot
//! slip past a limit; shared by every instance on one database; and the same count for known and
//! unknown addresses. Per client network (`per_client`), per account, per address and per user.

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
