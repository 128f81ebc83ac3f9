//! Rate limits, all counted in the store ([`counted`]): atomically, so concurrent requests cannot
//! slip past a limit; shared by every instance on one database; and the same count for known and
//! unknown addresses. Per client network (`per_client`), per account, per address and per user.
//! [`RateLimiter`] is an in-memory counter for embedders that want one.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

/// The refusal for a count past its limit.
pub fn over(count: i64, limit: u32, ends: i64, now: i64) -> AppResult<()> {
    if limit > 0 && count > i64::from(limit) {
        return Err(AppError::rate_limited((ends - now).max(1) as u64));
    }
    Ok(())
}

pub struct RateLimiter {
    limit: u32,
    window: Duration,
    counters: Mutex<Counters>,
}

struct Counters {
    by_key: HashMap<String, (Instant, u32)>,
    pruned: Instant,
}

impl RateLimiter {
    /// `limit` 0 turns the limiter off.
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimiter { limit, window, counters: Mutex::new(Counters { by_key: HashMap::new(), pruned: Instant::now() }) }
    }

    /// Counts one hit for `key`; refuses with `rate_limit_exceeded` (and Retry-After) past the limit.
    pub fn check(&self, key: &str) -> Result<(), AppError> {
        if self.limit == 0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        // Ended windows are dropped at most once a second, so a flood of new keys costs no scan per call.
        if counters.by_key.len() > 10_000 && now.duration_since(counters.pruned) >= Duration::from_secs(1) {
            let window = self.window;
            counters.by_key.retain(|_, (start, _)| now.duration_since(*start) < window);
            counters.pruned = now;
        }
        let entry = counters.by_key.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            let retry = self.window.saturating_sub(now.duration_since(entry.0)).as_secs().max(1);
            return Err(AppError::rate_limited(retry));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_and_disables_at_zero() {
        let limiter = RateLimiter::new(2, Duration::from_secs(60));
        assert!(limiter.check("a").is_ok() && limiter.check("a").is_ok());
        let refused = limiter.check("a").unwrap_err();
        assert_eq!(refused.entry.code, "rate_limit_exceeded");
        assert!(refused.retry_after.unwrap() >= 1);
        assert!(limiter.check("b").is_ok());
        let off = RateLimiter::new(0, Duration::from_secs(60));
        assert!((0..100).all(|_| off.check("a").is_ok()));
    }
}
