//! Fixed-window counters per key (client IP, or recipient address for mail). In memory: limits
//! reset on restart, which is acceptable for a single-process server.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::AppError;

pub struct RateLimiter {
    limit: u32,
    window: Duration,
    counters: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// `limit` 0 turns the limiter off.
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimiter { limit, window, counters: Mutex::new(HashMap::new()) }
    }

    /// Counts one hit for `key`; refuses with `rate_limit_exceeded` (and Retry-After) past the limit.
    pub fn check(&self, key: &str) -> Result<(), AppError> {
        if self.limit == 0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        if counters.len() > 50_000 {
            counters.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = counters.entry(key.to_string()).or_insert((now, 0));
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
