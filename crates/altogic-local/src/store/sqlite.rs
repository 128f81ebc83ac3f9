//! [`Store`] on SQLite: WAL journal, `synchronous=FULL` so an acknowledged write survives the
//! process being killed, foreign keys on.
//!
//! Reads use a pool of connections; every write runs on one dedicated connection inside
//! `BEGIN IMMEDIATE`, so a flow's reads and writes see no other writer in between (SQLite has one
//! writer at a time anyway; queueing in-process avoids busy-waiting on the file lock).

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use std::borrow::Cow;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use super::flows::{sql_flows, Dialect};
use super::read_cache::{DataDirLock, ReadCache, WriteClock};
use super::*;

pub struct SqliteStore {
    read: SqlitePool,
    write: SqlitePool,
    cache: ReadCache,
    lock: std::sync::Mutex<Option<DataDirLock>>,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

impl SqliteStore {
    /// Opens (creating) the database file; `migrate` applies pending migrations, else a schema
    /// behind this build is refused. A schema newer than this build is always refused.
    pub async fn open(path: &Path, migrate: bool) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let lock = DataDirLock::take(path)?;
        let clock = Arc::new(WriteClock::default());
        // Lazy: an eagerly opened connection would enter the pool without passing the clock's hooks.
        let write = clock.attach(SqlitePoolOptions::new().max_connections(1)).connect_lazy_with(options.clone());
        prepare_schema(&MIGRATOR, &mut *write.acquire().await?, migrate).await?;
        let read = SqlitePoolOptions::new().max_connections(8).connect_with(options.read_only(true)).await?;
        restrict_files(path);
        Ok(SqliteStore { read, write, cache: ReadCache::new(clock), lock: std::sync::Mutex::new(Some(lock)) })
    }

    async fn tx(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.write.begin_with("BEGIN IMMEDIATE").await?)
    }

    fn reader(&self) -> &SqlitePool {
        &self.read
    }

    fn writer(&self) -> &SqlitePool {
        &self.write
    }

    fn read_cache(&self) -> Option<&ReadCache> {
        Some(&self.cache)
    }

    async fn close_and_unlock(&self) {
        self.write.close().await;
        self.read.close().await;
        self.lock.lock().unwrap().take();
    }
}

impl Dialect for SqliteStore {
    fn sql(text: &'static str) -> Cow<'static, str> {
        if !text.contains('{') {
            return Cow::Borrowed(text);
        }
        Cow::Owned(
            text.replace("{seq}", "rowid")
                .replace("{created_epoch}", "CAST(strftime('%s', created_at) AS INTEGER)")
                // One writer: the next number cannot be taken twice.
                .replace("{mail_seq}", "(SELECT COALESCE(MAX(seq), 0) + 1 FROM mails)"),
        )
    }

    // One writer: nothing to lock.
    const LOCK: Option<&'static str> = None;
}

sql_flows!(SqliteStore, sqlx::Sqlite);

/// The database holds password hashes: owner-only on Unix (the WAL and shared-memory files too).
fn restrict_files(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for suffix in ["", "-wal", "-shm"] {
            let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
            let _ = std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

