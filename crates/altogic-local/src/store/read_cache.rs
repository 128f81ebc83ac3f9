//! SQLite's cache of what authenticating a request reads: the session with its user, and a user's
//! session list. Every authenticated request needs the first; without the cache each costs a round
//! trip to a reader thread of sqlx-sqlite, whose thread hand-offs were most of the server's time
//! under load.
//!
//! Correctness rests on one fact: on SQLite this process is the only writer. Every write, of any
//! flow, runs on the one-connection write pool, and the data dir's lock ([`DataDirLock`]) keeps
//! other processes out. The write pool counts the times it hands its connection out (`started`)
//! and the times the connection came back after its work had finished on the database thread
//! (`finished`). An answer is cached only if no write was in progress or began while it was read,
//! and it is served only while the counters still show the same quiet moment: any write, even one
//! that fails, empties the cache for all. A connection that never comes back (closed on an error)
//! leaves the counters apart for good, which switches the cache off rather than serve stale rows.
//!
//! Time-dependent rules (expiry) are checked again on every hit by the caller.
//! PostgreSQL has no such cache: other instances write to the same database.

use std::collections::HashMap;
use std::fs::File;
use std::future::Future;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

use sqlx::sqlite::SqlitePoolOptions;
use sqlx::Connection;

use super::{SessionRow, SessionUser, StoreError, StoreResult};

/// Entries kept before the cache starts over (a bound on memory, not a tuning knob).
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub struct WriteClock {
    started: AtomicU64,
    finished: AtomicU64,
}

impl WriteClock {
    /// The number of writes so far, if none is in progress.
    fn quiet(&self) -> Option<u64> {
        // `finished` first: if both reads agree, no write was running at the first or began
        // before the second.
        let finished = self.finished.load(SeqCst);
        let started = self.started.load(SeqCst);
        (started == finished).then_some(started)
    }

    /// Hooks the clock into the write pool.
    pub fn attach(self: &Arc<Self>, options: SqlitePoolOptions) -> SqlitePoolOptions {
        let (on_connect, on_acquire, on_release) = (self.clone(), self.clone(), self.clone());
        options
            // Fresh connections are handed out at once (no minimum is kept open).
            .after_connect(move |_, _| {
                on_connect.started.fetch_add(1, SeqCst);
                Box::pin(async { Ok(()) })
            })
            .before_acquire(move |_, _| {
                on_acquire.started.fetch_add(1, SeqCst);
                Box::pin(async { Ok(true) })
            })
            .after_release(move |conn, _| {
                let clock = on_release.clone();
                Box::pin(async move {
                    // The ping queues behind whatever the database thread still runs (a COMMIT
                    // whose caller went away), so the write is visible before it counts as done.
                    conn.ping().await?;
                    clock.finished.fetch_add(1, SeqCst);
                    Ok(true)
                })
            })
            // A connection closed for age or idleness would skip `after_release`.
            .max_lifetime(None)
            .idle_timeout(None)
    }
}

#[derive(Default)]
struct Entries {
    /// By session selector.
    sessions: HashMap<String, (u64, SessionUser)>,
    /// By user id: the live sessions at the time they were read, newest first.
    lists: HashMap<String, (u64, Vec<SessionRow>)>,
}

pub struct ReadCache {
    clock: Arc<WriteClock>,
    entries: Mutex<Entries>,
}

impl ReadCache {
    pub fn new(clock: Arc<WriteClock>) -> Self {
        ReadCache { clock, entries: Mutex::default() }
    }

    /// Reads through the cache: `read` runs only on a miss, and its answer is kept only if no
    /// write overlapped it.
    async fn through<T: Clone, F: Future<Output = StoreResult<Option<T>>>>(&self, pick: fn(&mut Entries) -> &mut HashMap<String, (u64, T)>, key: &str, read: F) -> StoreResult<Option<T>> {
        let before = self.clock.quiet();
        if let Some(epoch) = before {
            if let Some((at, value)) = pick(&mut self.entries.lock().unwrap()).get(key) {
                if *at == epoch {
                    return Ok(Some(value.clone()));
                }
            }
        }
        let value = read.await?;
        if let (Some(epoch), Some(v)) = (before, &value) {
            if self.clock.quiet() == Some(epoch) {
                let mut entries = self.entries.lock().unwrap();
                let map = pick(&mut entries);
                if map.len() >= MAX_ENTRIES {
                    map.clear();
                }
                map.insert(key.to_string(), (epoch, v.clone()));
            }
        }
        Ok(value)
    }

    pub async fn session(&self, selector: &str, read: impl Future<Output = StoreResult<Option<SessionUser>>>) -> StoreResult<Option<SessionUser>> {
        self.through(|e| &mut e.sessions, selector, read).await
    }

    /// A user's sessions (unexpired at the time they were read; the caller filters by now).
    pub async fn sessions_of(&self, user_id: &str, read: impl Future<Output = StoreResult<Vec<SessionRow>>>) -> StoreResult<Vec<SessionRow>> {
        let found = self.through(|e| &mut e.lists, user_id, async { read.await.map(Some) }).await?;
        Ok(found.unwrap_or_default())
    }
}

/// An exclusive lock on the data dir's database, held while the store is open: a second process
/// on the same SQLite file would write behind this one's cache.
pub struct DataDirLock(#[allow(dead_code)] File);

impl DataDirLock {
    pub fn take(db: &Path) -> StoreResult<Self> {
        let path = db.with_extension("lock");
        let file = File::options().create(true).truncate(false).write(true).open(&path).map_err(|e| StoreError::Locked(format!("{}: {e}", path.display())))?;
        match file.try_lock() {
            Ok(()) => Ok(DataDirLock(file)),
            Err(_) => Err(StoreError::Locked(format!("{} is in use by another altogic-local process", db.display()))),
        }
    }
}
