//! Wire timestamps: ISO-8601 UTC with milliseconds, like `2022-03-16T16:53:06.237Z`.

use time::format_description::well_known::Iso8601;
use time::OffsetDateTime;

pub fn now_iso() -> String {
    iso(OffsetDateTime::now_utc())
}

pub fn iso(t: OffsetDateTime) -> String {
    let t = t.replace_nanosecond(t.millisecond() as u32 * 1_000_000).unwrap_or(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// A unix time as a wire timestamp.
pub fn iso_unix(unix: i64) -> String {
    iso(OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH))
}

pub fn unix_now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Unix seconds as the two-step and recent-authentication rules read them: the system clock plus
/// an offset that only tests move (`advance`), so that they can cross a 30-second step or a
/// re-authentication window without waiting. Every clone shares the offset.
#[derive(Clone, Default)]
pub struct Clock {
    offset: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> i64 {
        unix_now() + self.offset.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Moves this server's clock `secs` forward.
    pub fn advance(&self, secs: i64) {
        self.offset.fetch_add(secs, std::sync::atomic::Ordering::Relaxed);
    }
}

/// True when `s` parses as an ISO-8601 time (used by tests and validation).
pub fn is_iso(s: &str) -> bool {
    OffsetDateTime::parse(s, &Iso8601::DEFAULT).is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_like_altogic() {
        let s = super::now_iso();
        assert_eq!(s.len(), 24, "{s}");
        assert!(s.ends_with('Z') && super::is_iso(&s));
    }
}
