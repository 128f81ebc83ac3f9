//! [`Store`](super::Store) on PostgreSQL, for more than one instance: every instance on one
//! database behaves as one server. The flows are the same as on SQLite; here only the pool and
//! the spelling of SQL differ (the advisory locks are in [`super::steps::lock`]).

use std::borrow::Cow;
use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use super::{prepare_schema, StoreResult};

pub(super) struct PgDb {
    pub pool: PgPool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl PgDb {
    pub async fn connect(url: &str, pool_size: u32, migrate: bool) -> StoreResult<Self> {
        let pool = PgPoolOptions::new().max_connections(pool_size.max(2)).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
        prepare_schema(&MIGRATOR, &mut *pool.acquire().await?, migrate).await?;
        Ok(PgDb { pool })
    }
}

/// A statement as PostgreSQL spells it: numbered placeholders, and its own `{markers}`.
pub(super) fn spell(text: &'static str) -> Cow<'static, str> {
    let text = text
        .replace("{seq}", "seq")
        .replace("{least}", "LEAST")
        .replace("{created_epoch}", "CAST(EXTRACT(EPOCH FROM CAST(created_at AS TIMESTAMPTZ)) AS BIGINT)")
        // The column's sequence: unique under concurrent inserts.
        .replace("{mail_seq}", "DEFAULT");
    Cow::Owned(numbered_placeholders(&text))
}

/// `?` → `$1, $2, …` in order, `?N` → `$N` (no `?` appears in our SQL's string literals).
fn numbered_placeholders(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut next = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '?' {
            out.push(c);
            continue;
        }
        out.push('$');
        if chars.peek().is_some_and(char::is_ascii_digit) {
            while let Some(d) = chars.next_if(char::is_ascii_digit) {
                out.push(d);
            }
        } else {
            next += 1;
            out.push_str(&next.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered() {
        assert_eq!(super::numbered_placeholders("a = ? AND b = ? OR c = ?"), "a = $1 AND b = $2 OR c = $3");
        assert_eq!(super::numbered_placeholders("?1 IS NULL OR x = ?1"), "$1 IS NULL OR x = $1");
    }
}
