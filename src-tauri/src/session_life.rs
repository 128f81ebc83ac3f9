//! When this device's session began and when it was last used, so that a session the server ended
//! (`shared/account-security-api.md` §3: 30 days without use, 90 days whatever the use) is
//! explained on Login in plain words instead of a bare "signed out". Kept with the profile (no
//! secret in it), so that it survives the restart after which the ended session is found.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use altogic::account_security::{SESSION_IDLE_DAYS, SESSION_MAX_DAYS};
use altogic::{AltogicClient, SessionStore};
use serde::{Deserialize, Serialize};

/// Profile data: the [`Life`] of the stored session, as JSON.
pub const LIFE_KEY: &str = "sessionLife";
/// Why a session ended when no reason below fits (revoked elsewhere, signed out everywhere, ...).
pub const ENDED: &str = "Your session has ended. Please sign in again.";
/// A use is written at most once a minute, as the server marks them.
const WRITE_EVERY_SECS: i64 = 60;
const DAY_SECS: i64 = 86_400;

/// The session's handle (the part of its token before the '.'): what security events and the
/// session list name it by.
pub fn handle_of(token: &str) -> &str {
    token.split_once('.').map_or(token, |(handle, _)| handle)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Life {
    handle: String,
    /// Unix seconds.
    created_at: i64,
    last_used_at: i64,
}

pub struct SessionLife {
    store: Arc<dyn SessionStore>,
    /// The stored session's life as last written.
    known: Mutex<Option<Life>>,
    /// The reason given when the session ended, for the calls that were under way with it.
    ended: Mutex<Option<(Instant, String)>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

impl SessionLife {
    pub fn new(store: Arc<dyn SessionStore>) -> Self {
        let known = store.get_item(LIFE_KEY).and_then(|json| serde_json::from_str(&json).ok());
        SessionLife { store, known: Mutex::new(known), ended: Mutex::new(None) }
    }

    /// A call with the client's session succeeded: the session was used now.
    pub fn used(&self, client: &AltogicClient) {
        let Some(session) = client.session() else { return };
        let now = unix_now();
        let handle = handle_of(&session.token);
        let mut known = lock(&self.known);
        if known.as_ref().is_some_and(|life| life.handle == handle && now - life.last_used_at < WRITE_EVERY_SECS) {
            return;
        }
        let life = Life { handle: handle.to_string(), created_at: unix_of_iso(&session.creation_dtm).unwrap_or(now), last_used_at: now };
        if let Ok(json) = serde_json::to_string(&life) {
            self.store.set_item(LIFE_KEY, &json);
        }
        *known = Some(life);
    }

    /// This device ended the session itself (sign-out, deletion): there is nothing to explain.
    pub fn forget(&self) {
        lock(&self.known).take();
        self.store.remove_item(LIFE_KEY);
    }

    /// The server ended the session (the client has cleared it): why, in plain words.
    pub fn ended(&self) -> String {
        let mut ended = lock(&self.ended);
        let known = lock(&self.known).take();
        match known {
            Some(life) => {
                self.store.remove_item(LIFE_KEY);
                let why = reason(&life, unix_now());
                *ended = Some((Instant::now(), why.clone()));
                why
            }
            // Another call that was under way with the same session: the same reason.
            None => match ended.as_ref() {
                Some((at, why)) if at.elapsed() < Duration::from_secs(60) => why.clone(),
                _ => ENDED.to_string(),
            },
        }
    }
}

/// Which limit ended the session by `now`: the one reached first, or neither (it was revoked).
fn reason(life: &Life, now: i64) -> String {
    let idle_end = life.last_used_at + SESSION_IDLE_DAYS * DAY_SECS;
    let max_end = life.created_at + SESSION_MAX_DAYS * DAY_SECS;
    if idle_end <= now && idle_end <= max_end {
        format!("You were signed out after {SESSION_IDLE_DAYS} days without use. Please sign in again.")
    } else if max_end <= now {
        format!("You were signed out after {SESSION_MAX_DAYS} days, the longest a session lasts. Please sign in again.")
    } else {
        ENDED.to_string()
    }
}

/// Unix seconds of a wire timestamp (ISO-8601 UTC, `2026-11-26T10:00:00.000Z`).
fn unix_of_iso(iso: &str) -> Option<i64> {
    let b = iso.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let n = |at: usize, len: usize| iso.get(at..at + len).filter(|s| s.bytes().all(|c| c.is_ascii_digit())).and_then(|s| s.parse::<i64>().ok());
    let (year, month, day) = (n(0, 4)?, n(5, 2)?, n(8, 2)?);
    let (hour, minute, second) = (n(11, 2)?, n(14, 2)?, n(17, 2)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some(days_from_civil(year, month, day) * DAY_SECS + hour * 3600 + minute * 60 + second)
}

/// Days since 1970-01-01 of a date of the proleptic Gregorian calendar (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let (era, year_of_era) = (year.div_euclid(400), year.rem_euclid(400));
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_timestamps_become_unix_seconds() {
        assert_eq!(unix_of_iso("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(unix_of_iso("2000-03-01T00:00:00Z"), Some(951_868_800));
        assert_eq!(unix_of_iso("2026-11-26T10:00:01.000Z"), Some(1_795_687_201));
        assert_eq!(unix_of_iso("yesterday"), None);
        assert_eq!(handle_of("selector.verifier"), "selector");
    }

    #[test]
    fn the_limit_reached_first_is_the_reason() {
        let now = 1_000 * DAY_SECS;
        let life = |created_days_ago: i64, used_days_ago: i64| Life { handle: "h".into(), created_at: now - created_days_ago * DAY_SECS, last_used_at: now - used_days_ago * DAY_SECS };
        assert!(reason(&life(40, 31), now).contains("30 days without use"));
        assert!(reason(&life(91, 2), now).contains("90 days, the longest a session lasts"));
        // Unused for 31 days, but 90 days old 10 days ago: the age ended it first.
        assert!(reason(&life(100, 31), now).contains("90 days"));
        assert_eq!(reason(&life(5, 1), now), ENDED);
    }

    #[test]
    fn an_ended_session_is_explained_once_for_every_call_that_finds_it() {
        let store: Arc<dyn SessionStore> = Arc::new(altogic::MemoryStore::default());
        let idle = Life { handle: "h".into(), created_at: unix_now() - 40 * DAY_SECS, last_used_at: unix_now() - 31 * DAY_SECS };
        store.set_item(LIFE_KEY, &serde_json::to_string(&idle).unwrap());
        // After a restart, from the profile.
        let life = SessionLife::new(store.clone());
        assert!(life.ended().contains("without use"));
        assert_eq!(store.get_item(LIFE_KEY), None);
        assert!(life.ended().contains("without use"), "a second call under way with the same session");
        life.forget();
        assert_eq!(SessionLife::new(store).ended(), ENDED);
    }
}
