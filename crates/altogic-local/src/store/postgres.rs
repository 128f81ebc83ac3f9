//! [`Store`] on PostgreSQL, for more than one instance: every instance on one database behaves as
//! one server. The flows are the same as on SQLite (`flows.rs`); here only the pool, the
//! transaction, the locks (transaction-scoped advisory locks) and the spelling of SQL differ.

use std::borrow::Cow;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use super::flows::{sql_flows, Dialect};
use super::*;

pub struct PgStore {
    pool: PgPool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl PgStore {
    /// Connects with a pool of `pool_size`; `migrate` applies pending migrations (under sqlx's
    /// advisory lock, so instances never race), else a schema behind this build is refused. A
    /// schema newer than this build is always refused.
    pub async fn connect(url: &str, pool_size: u32, migrate: bool) -> StoreResult<Self> {
        let pool = PgPoolOptions::new().max_connections(pool_size.max(2)).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
        prepare_schema(&MIGRATOR, &mut *pool.acquire().await?, migrate).await?;
        Ok(PgStore { pool })
    }

    async fn tx(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Postgres>> {
        Ok(self.pool.begin().await?)
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    async fn close_and_unlock(&self) {
        self.pool.close().await;
    }

    /// None: other instances write to the same database.
    fn read_cache(&self) -> Option<&super::read_cache::ReadCache> {
        None
    }
}

impl Dialect for PgStore {
    fn sql(text: &'static str) -> Cow<'static, str> {
        let text = text
            .replace("{seq}", "seq")
            .replace("{created_epoch}", "CAST(EXTRACT(EPOCH FROM CAST(created_at AS TIMESTAMPTZ)) AS BIGINT)")
            // The column's sequence: unique under concurrent inserts.
            .replace("{mail_seq}", "DEFAULT");
        Cow::Owned(numbered_placeholders(&text))
    }

    const LOCK: Option<&'static str> = Some("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))");
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

sql_flows!(PgStore, sqlx::Postgres);

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered() {
        assert_eq!(super::numbered_placeholders("a = ? AND b = ? OR c = ?"), "a = $1 AND b = $2 OR c = $3");
        assert_eq!(super::numbered_placeholders("?1 IS NULL OR x = ?1"), "$1 IS NULL OR x = $1");
    }
}
