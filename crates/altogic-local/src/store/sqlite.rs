//! [`Store`](super::Store) on SQLite: WAL journal, `synchronous=FULL` so an acknowledged write survives the
//! process being killed, foreign keys on.
//!
//! Reads use a pool of connections; every write runs on one dedicated connection inside
//! `BEGIN IMMEDIATE`, so a flow's reads and writes see no other writer in between (SQLite has one
//! writer at a time anyway; queueing in-process avoids busy-waiting on the file lock).

use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};

use super::read_cache::{DataDirLock, ReadCache, WriteClock};
use super::{prepare_schema, StoreResult};

pub(super) struct SqliteDb {
    pub read: SqlitePool,
    /// One connection: every write of the process, in order.
    pub write: SqlitePool,
    pub cache: ReadCache,
    lock: Mutex<Option<DataDirLock>>,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

impl SqliteDb {
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
        Ok(SqliteDb { read, write, cache: ReadCache::new(clock), lock: Mutex::new(Some(lock)) })
    }

    /// A write transaction that holds SQLite's write lock from its first statement.
    pub async fn begin(&self) -> StoreResult<sqlx::Transaction<'static, Sqlite>> {
        Ok(self.write.begin_with("BEGIN IMMEDIATE").await?)
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
        self.lock.lock().unwrap().take();
    }
}

/// A statement as SQLite spells it: `?` and `?N` are SQLite's own placeholders.
pub(super) fn spell(text: &'static str) -> Cow<'static, str> {
    if !text.contains('{') {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.replace("{seq}", "rowid")
            .replace("{least}", "MIN")
            .replace("{created_epoch}", "CAST(strftime('%s', created_at) AS INTEGER)")
            // One writer: the next number cannot be taken twice.
            .replace("{mail_seq}", "(SELECT COALESCE(MAX(seq), 0) + 1 FROM mails)"),
    )
}

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

