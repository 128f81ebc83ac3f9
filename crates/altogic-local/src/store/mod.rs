//! Persistence: every account write of the service, as plain async functions over one
//! transaction, written once for SQLite and PostgreSQL.
//!
//! The store is made of *flows*, not rows: every method that changes state is one transaction
//! that also re-checks every condition the change depends on (the session is still live, the
//! password hash is still the one the caller verified, the link is unspent, the attempt count is
//! below its limit) and writes only the columns it means to change. A request that authenticated a
//! while ago therefore cannot undo a newer change: it finds its condition gone and gets a typed
//! outcome (`Stale`, `Invalid`, `Taken`) that the handler turns into a 4xx.
//!
//! # The shape, and why
//! - [`Store`] is one concrete type. Its flows are `impl Store` blocks grouped by subject
//!   ([`reads`], [`accounts`], [`links`], [`files`], [`upkeep`]); the steps they share ([`steps`]) are
//!   free functions that take `&mut Tx`, as in zero2prod. A flow reads top to bottom as the
//!   transaction it runs, and the compiler points at the line that is wrong.
//! - The two databases differ in only three things, and all three live in [`sql`] and the two
//!   backend modules: how a statement is spelled (placeholders and a few `{markers}`,
//!   [`sqlite::spell`], [`postgres::spell`]), whether a flow takes locks ([`steps::lock`]: an
//!   advisory lock on PostgreSQL, nothing under SQLite's single writer), and the pools.
//! - Not generic over `sqlx::Database`: the bounds a flow needs (`for<'c> &'c mut Connection:
//!   Executor`, `Encode`/`Type`/`FromRow` for every type it touches) are `where` clauses that Rust
//!   does not carry from a trait to its users, so they would be restated on every function. Not
//!   sqlx's `Any` driver: it has no JSON type, loses SQLite's connection settings and the write
//!   pool's hooks that the read cache counts with, and converts every row through its own values.
//!   Instead [`sql::Sql`] binds its values in the database's own argument type and decodes rows
//!   with the database's own driver, at the cost of one `match` per statement.
//!
//! Locking: on SQLite every write runs on one connection under `BEGIN IMMEDIATE`, so a flow sees
//! no other writer. On PostgreSQL, flows take transaction-scoped advisory locks, always the
//! account's (`user:ID`) before an address's (`email:ADDR`), and an account's rows are touched only
//! under its lock: two flows on one account run one after the other, on any instance.

mod account_life;
mod accounts;
mod copy;
mod files;
mod links;
mod postgres;
mod read_cache;
mod reads;
mod rows;
pub(crate) mod sql;
mod sqlite;
mod steps;
mod two_step;
mod upkeep;

use std::path::Path;

use serde_json::{Map, Value};
pub use account_life::{DeleteProof, Deletion, USE_RESOLUTION_SECS};
pub use copy::{CopyTarget, Counts};
pub use rows::*;
pub use two_step::{code_budget_key, password_fingerprint, CodeCheck, Gate, Proof, SecondStep, TICKET_ATTEMPTS};
use sql::{On, Tx};

use crate::crypto::{code_matches, TokenKey};
use crate::error::{codes, AppError};
use crate::domain::MAX_EXTRA_BYTES;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error")]
    Backend(#[from] sqlx::Error),
    /// Another process has the SQLite database open.
    #[error("{0}")]
    Locked(String),
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("the database schema is at version {0}, newer than this altogic-local knows: upgrade altogic-local")]
    SchemaNewer(i64),
    #[error("the database schema is behind this altogic-local: run `altogic-local migrate` first")]
    SchemaBehind,
}

/// Applies pending migrations (`migrate`), or checks that there are none; refuses a schema with
/// migrations this build does not know.
pub(crate) async fn prepare_schema<C: sqlx::migrate::Migrate + Send>(migrator: &sqlx::migrate::Migrator, conn: &mut C, migrate: bool) -> StoreResult<()> {
    conn.ensure_migrations_table().await?;
    let applied = conn.list_applied_migrations().await?;
    let known: std::collections::HashSet<i64> = migrator.iter().map(|m| m.version).collect();
    if let Some(newer) = applied.iter().map(|m| m.version).filter(|v| !known.contains(v)).max() {
        return Err(StoreError::SchemaNewer(newer));
    }
    let behind = migrator.iter().any(|m| !applied.iter().any(|a| a.version == m.version));
    if behind && !migrate {
        return Err(StoreError::SchemaBehind);
    }
    if behind {
        migrator.run_direct(conn).await?;
    }
    Ok(())
}

pub type StoreResult<T> = Result<T, StoreError>;

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        // Flows check their conflicts in their transaction; should a unique index still refuse a
        // write (another process on the same database), it is the caller's conflict, not a 500.
        // Every connection busy for the pool's whole wait: the server is overloaded, not broken.
        if let StoreError::Backend(sqlx::Error::PoolTimedOut) = &e {
            return AppError::busy();
        }
        if let StoreError::Backend(sqlx::Error::Database(db)) = &e {
            // PostgreSQL gave up on a transaction (deadlock, serialization): nothing was written,
            // and trying again works.
            if matches!(db.code().as_deref(), Some("40P01" | "40001")) {
                return AppError::busy();
            }
            if db.is_unique_violation() {
                return AppError::new(axum::http::StatusCode::CONFLICT, codes::CONFLICT, "This conflicts with a change made at the same time. Please try again.");
            }
        }
        // The cause (with its source chain) goes to the log, never to the client.
        let source = std::error::Error::source(&e).map(|s| s.to_string()).unwrap_or_default();
        tracing::error!(error = %e, %source, "store failure");
        AppError::internal()
    }
}



/// How a mail link is proved: by its `selector.verifier` key, or by the 6-digit code of its mail
/// (whose attempt was already counted by [`Store::code_attempt`]).
#[derive(Clone, Copy)]
pub enum LinkProof<'a> {
    Key(TokenKey<'a>),
    Code { selector: &'a str, code: &'a str },
}

/// Wrong codes a mail's code tolerates before it stops working (the link still works).
pub const CODE_ATTEMPTS: i64 = 5;

impl LinkProof<'_> {
    pub fn selector(&self) -> &str {
        match self {
            LinkProof::Key(key) => key.selector,
            LinkProof::Code { selector, .. } => selector,
        }
    }

    /// The one check of a presented link, used by every store.
    pub fn proves(&self, link: &LinkRow, now: i64) -> bool {
        let genuine = match self {
            LinkProof::Key(key) => key.matches(&link.verifier_hash, link.expires_at, now),
            LinkProof::Code { code, .. } => {
                link.expires_at > now && link.code_attempts <= CODE_ATTEMPTS && code.len() == 6 && code_matches(&link.selector, code, &link.code_hash)
            }
        };
        genuine && !link.consumed
    }
}

/// A freshly minted access token, stored by [`Store::open_link`] when the link grants one.
pub struct NewAccessToken {
    pub selector: String,
    pub verifier_hash: Vec<u8>,
    pub expires_at: i64,
}

/// What opening a link (or entering its code) did.
#[derive(Debug)]
pub enum LinkOpened {
    /// Unknown, forged, expired or spent.
    Invalid,
    /// The address was confirmed and/or an access token of `action` was minted for the user.
    /// `contended`: a pending sign-up became the account while others were pending for the same
    /// address, so no sign-up's password was kept (nobody can tell whose it was).
    Granted { action: String, user_id: String, contended: bool, code_challenge: Option<String> },
    /// The account's address is now the link's new address; `old_email` is told.
    EmailChanged { user: UserRow, old_email: Option<String> },
    /// The address became another account's in the meantime.
    EmailTaken { action: String },
}

/// Outcome of redeeming an access token.
#[derive(Debug)]
pub enum Redeemed<T> {
    Done(T),
    /// Unknown, forged, expired, spent, or of another action.
    Invalid,
    /// Bound to a PKCE challenge that the presented verifier (or its absence) does not meet. The
    /// token stays unspent for the right verifier.
    WrongVerifier,
}

/// What a proof of the first step (a password, a mail link) led to.
#[derive(Debug)]
pub enum SignedIn<T> {
    /// A session was stored.
    Session(T),
    /// The account has two-step verification on: no session, the ticket was stored instead.
    SecondStep,
}

/// Outcome of a sign-up with e-mail verification on.
pub enum Registered {
    /// Pending; its link was stored.
    Pending,
    /// The address has an account: nothing of the sign-up can ever apply to it.
    Taken { owner: UserRow },
}

/// Outcome of flows that depend on what the request saw when it authenticated.
#[derive(Debug)]
pub enum Checked<T> {
    Done(T),
    /// The request's session has ended since it authenticated.
    SessionEnded,
    /// The password (or the address) changed since the request checked it.
    Stale,
    /// With two-step verification on, the session must re-authenticate first.
    ReauthRequired,
}

pub enum EmailChange {
    Done { user: UserRow, old_email: String },
    SessionEnded,
    Stale,
    Taken,
    ReauthRequired,
}

/// A change of the profile fields a user may edit themselves. Fields left `None` are not touched.
#[derive(Debug, Default, Clone)]
pub struct ProfilePatch {
    pub name: Option<Option<String>>,
    pub profile_picture: Option<Option<String>>,
    /// Extra fields to set (a `null` removes the field).
    pub extra: Map<String, Value>,
}

impl ProfilePatch {
    /// Applies the patch to `user`; false when the extra fields would outgrow their limit.
    pub fn apply(&self, user: &mut UserRow) -> bool {
        if let Some(name) = &self.name {
            user.name = name.clone();
        }
        if let Some(picture) = &self.profile_picture {
            user.profile_picture = picture.clone();
        }
        for (key, value) in &self.extra {
            if value.is_null() {
                user.extra.remove(key);
            } else {
                user.extra.insert(key.clone(), value.clone());
            }
        }
        serde_json::to_vec(&user.extra).map(|v| v.len()).unwrap_or(usize::MAX) <= MAX_EXTRA_BYTES
    }
}

pub enum ProfileUpdate {
    Done(UserRow),
    SessionEnded,
    TooLarge,
}

pub enum FilePut {
    Stored { file: FileRow, replaced: Option<String> },
    SessionEnded,
    /// Storing it would take the owner past their quota of bytes.
    OverQuota { used: i64 },
    /// The owner has their quota's number of files already (the file it replaces not counted).
    TooManyFiles { count: i64 },
}

/// What one user may store: bytes and files in all (a file it replaces does not count).
#[derive(Debug, Clone, Copy)]
pub struct FileQuota {
    pub bytes: i64,
    pub files: i64,
}

/// What the periodic sweep removes.
pub struct PurgePolicy {
    pub now: i64,
    /// Mails captured before this unix time.
    pub mails_before: i64,
    /// Accounts that never verified their address, created before this ISO time (None keeps them:
    /// with verification off they are normal accounts).
    pub unverified_before: Option<String>,
    /// `--session-max-days` and `--session-idle-days`, in seconds: sessions made under longer
    /// limits (before an upgrade, or a change of the flags) are brought within them.
    pub session_max_secs: i64,
    pub session_idle_secs: i64,
    /// Security events from before this unix time.
    pub events_before: i64,
}

/// The service's database: SQLite in the data dir, or PostgreSQL shared by every instance.
pub struct Store {
    db: Db,
}

enum Db {
    Sqlite(sqlite::SqliteDb),
    Pg(postgres::PgDb),
}

impl Store {
    /// Opens (creating) the SQLite database file and locks its data dir; `migrate` applies pending
    /// migrations, else a schema behind this build is refused. A schema newer than this build is
    /// always refused.
    pub async fn open_sqlite(path: &Path, migrate: bool) -> StoreResult<Self> {
        Ok(Store { db: Db::Sqlite(sqlite::SqliteDb::open(path, migrate).await?) })
    }

    /// Connects to PostgreSQL with a pool of `pool_size`; `migrate` as for SQLite (under sqlx's
    /// advisory lock, so instances never race).
    pub async fn connect_postgres(url: &str, pool_size: u32, migrate: bool) -> StoreResult<Self> {
        Ok(Store { db: Db::Pg(postgres::PgDb::connect(url, pool_size, migrate).await?) })
    }

    /// Begins a flow's write transaction.
    async fn tx(&self) -> StoreResult<Tx> {
        Ok(match &self.db {
            Db::Sqlite(db) => Tx::Sqlite(db.begin().await?),
            Db::Pg(db) => Tx::Pg(db.pool.begin().await?),
        })
    }

    /// Where reads outside a flow run.
    fn reader(&self) -> On<'_> {
        match &self.db {
            Db::Sqlite(db) => On::SqlitePool(&db.read),
            Db::Pg(db) => On::PgPool(&db.pool),
        }
    }

    /// Where single-statement writes outside a flow run (on SQLite, the one writer).
    fn writer(&self) -> On<'_> {
        match &self.db {
            Db::Sqlite(db) => On::SqlitePool(&db.write),
            Db::Pg(db) => On::PgPool(&db.pool),
        }
    }

    /// SQLite's cache of what authenticating a request reads; none on PostgreSQL, where other
    /// instances write to the same database.
    fn read_cache(&self) -> Option<&read_cache::ReadCache> {
        match &self.db {
            Db::Sqlite(db) => Some(&db.cache),
            Db::Pg(_) => None,
        }
    }

    /// Closes the connections and lets another process open the database (SQLite's data-dir
    /// lock). The server calls it last, at shutdown.
    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite(db) => db.close().await,
            Db::Pg(db) => db.pool.close().await,
        }
    }
}
