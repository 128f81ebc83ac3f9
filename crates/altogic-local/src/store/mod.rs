//! Persistence behind one trait, so handlers never see SQL and another database (PostgreSQL) can
//! be added as a second implementation.
//!
//! The trait is made of *flows*, not rows: every method that changes state is one transaction that
//! also re-checks every condition the change depends on (the session is still live, the password
//! hash is still the one the caller verified, the link is unspent, the attempt count is below its
//! limit) and writes only the columns it means to change. A request that authenticated a while
//! ago therefore cannot undo a newer change: it finds its condition gone and gets a typed outcome
//! (`Stale`, `Invalid`, `Taken`) that the handler turns into a 4xx.

mod flow_steps;
mod flows;
mod link_flows;
mod postgres;
mod read_cache;
mod rows;
mod sqlite;

use async_trait::async_trait;
use serde_json::{Map, Value};
pub use postgres::PgStore;
pub use rows::*;
pub use sqlite::SqliteStore;

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
}

pub enum EmailChange {
    Done { user: UserRow, old_email: String },
    SessionEnded,
    Stale,
    Taken,
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
    /// Storing it would take the owner past `quota` bytes.
    OverQuota { used: i64 },
}

/// What the periodic sweep removes.
pub struct PurgePolicy {
    pub now: i64,
    /// Mails captured before this unix time.
    pub mails_before: i64,
    /// Accounts that never verified their address, created before this ISO time (None keeps them:
    /// with verification off they are normal accounts).
    pub unverified_before: Option<String>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// A value kept across restarts (the environment id, generated keys): stores `value` unless
    /// the key has one, and returns the value that is stored.
    async fn meta_or_insert(&self, key: &str, value: &str) -> StoreResult<String>;

    /// The database answers (for a load balancer's readiness check).
    async fn ping(&self) -> StoreResult<()>;

    /// Closes the connections and lets another process open the database (SQLite's data-dir
    /// lock). The server calls it last, at shutdown.
    async fn close(&self) {}

    // ---- reads ----
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRow>>;
    async fn user_by_id(&self, id: &str) -> StoreResult<Option<UserRow>>;
    /// The newest unexpired pending sign-up of the address (claimable or not).
    async fn newest_registration(&self, email: &str, now: i64) -> StoreResult<Option<RegistrationRow>>;
    /// The newest unexpired pending sign-up that can still be confirmed.
    async fn claimable_registration(&self, email: &str, now: i64) -> StoreResult<Option<RegistrationRow>>;
    /// The live session a token names, with its user.
    async fn live_session(&self, key: TokenKey<'_>, now: i64) -> StoreResult<Option<SessionUser>>;
    /// Live sessions of the user, newest first.
    async fn sessions_of(&self, user_id: &str, now: i64) -> StoreResult<Vec<SessionRow>>;
    async fn file(&self, id: &str) -> StoreResult<Option<FileRow>>;
    /// A mail link by its selector (the dev mailbox says whether it was used).
    async fn link(&self, selector: &str) -> StoreResult<Option<LinkRow>>;

    // ---- counters ----
    /// Counts one hit of `key` in a fixed window of `window` seconds (atomically: concurrent hits
    /// each get their own count). Returns the count including this hit and when the window ends.
    async fn hit(&self, key: &str, now: i64, window: i64) -> StoreResult<(i64, i64)>;
    /// Counts a code guess for `recipient` (key `code:RECIPIENT` in `window`) and, while the count
    /// is within `limit` (0: none), reserves one attempt on the newest live link mailed there.
    /// Returns the count, and the link when it still had attempts left; the same write happens
    /// whether or not the address has links.
    async fn code_attempt(&self, recipient: &str, now: i64, window: i64, limit: u32) -> StoreResult<(i64, Option<LinkRow>)>;

    // ---- flows: each one transaction ----
    /// Verification off: the account and its first session; false when the address is taken.
    async fn create_user(&self, user: &UserRow, session: &SessionRow) -> StoreResult<bool>;
    /// Verification on: a pending sign-up and, when the address is free, its `confirm` link; when
    /// the address has an account, the `exists` link (a sign-in link for the owner, whose id the
    /// store fills in) instead. Either way one transaction of the same shape.
    async fn register(&self, registration: &RegistrationRow, confirm: &LinkRow, exists: &LinkRow) -> StoreResult<Registered>;
    /// A password sign-in: records the login and stores the session, if the password hash is still
    /// `checked_hash`. Clears the account's sign-in throttle key.
    async fn sign_in(&self, user_id: &str, checked_hash: &str, session: &SessionRow, now_iso: &str, throttle_key: &str) -> StoreResult<Checked<UserRow>>;
    /// Stores a mailed link; `retire` (a resend for a pending sign-up) also spends the live links
    /// of the same sign-up and action, and stores nothing (false) once the sign-up is no longer
    /// pending.
    async fn issue_link(&self, link: &LinkRow, retire: bool) -> StoreResult<bool>;
    /// Opens a link: confirms a sign-up, verifies the address, mints `token` (actions that have
    /// one) or switches the e-mail (`change-email`). With `strict`, an account whose address is
    /// verified this way by anything but its own sign-up link loses its (unproved) password.
    async fn open_link(&self, proof: LinkProof<'_>, now: i64, now_iso: &str, token: &NewAccessToken, strict: bool) -> StoreResult<LinkOpened>;
    /// Trades an access token of `actions` (and its PKCE `verifier`, see [`crate::crypto::pkce_ok`])
    /// for a session: burns the token and its link, records the login and stores `session`.
    /// A bound sign-up confirmation whose link was only opened makes the account here; the bool
    /// says it was contended (see [`LinkOpened::Granted`]).
    async fn grant(&self, key: TokenKey<'_>, verifier: Option<&str>, actions: &[&str], now: i64, now_iso: &str, session: &SessionRow) -> StoreResult<Redeemed<(UserRow, bool)>>;
    /// Redeems a `reset-pwd` token: sets the password and ends every session, link and access token
    /// of the account.
    async fn reset_password(&self, key: TokenKey<'_>, verifier: Option<&str>, new_hash: &str, now: i64) -> StoreResult<Redeemed<()>>;
    /// Sets a new password if the session is live and the hash is still `checked_hash`; ends the
    /// other sessions and every link and access token.
    async fn change_password(&self, session: &str, user_id: &str, checked_hash: &str, new_hash: &str, now: i64) -> StoreResult<Checked<()>>;
    /// Verification off: switches the address at once; ends the other sessions, links and tokens.
    async fn change_email(&self, session: &str, user_id: &str, checked_hash: &str, new_email: &str, now: i64) -> StoreResult<EmailChange>;
    /// Verification on: stores the confirmation link for the new address (retiring older ones).
    async fn request_email_change(&self, session: &str, user_id: &str, checked_hash: &str, link: &LinkRow, now: i64) -> StoreResult<Checked<()>>;
    async fn update_profile(&self, session: &str, user_id: &str, patch: &ProfilePatch, now: i64) -> StoreResult<ProfileUpdate>;
    /// Deletes the session `target` of the user, if the calling `session` is still live; Done(false)
    /// if there was no such session.
    async fn sign_out(&self, session: &str, user_id: &str, target: &str, now: i64) -> StoreResult<Checked<bool>>;
    /// Ends every session of the user (but the caller's with `keep_caller`) and every outstanding
    /// link and access token that signs in, if the calling `session` is still live. Reset links
    /// survive: a thief with a session must not be able to block the owner's recovery.
    async fn sign_out_all(&self, session: &str, user_id: &str, keep_caller: bool, now: i64) -> StoreResult<Checked<u64>>;
    /// Inserts the file, or replaces the owner's file of the same bucket and name (with a new id,
    /// so a file URL's bytes never change), within the owner's `quota` of bytes.
    async fn put_file(&self, session: &str, file: &FileRow, quota: i64, now: i64) -> StoreResult<FilePut>;

    // ---- dev mailbox ----
    async fn insert_mail(&self, mail: &MailRow) -> StoreResult<()>;
    /// Newest first; all recipients when `to` is None.
    async fn mails(&self, to: Option<&str>) -> StoreResult<Vec<MailRow>>;
    async fn clear_mails(&self) -> StoreResult<u64>;

    /// Removes expired sessions, links, tokens, pending sign-ups and counters, old mails, and
    /// accounts that never verified their address. Returns the ids of the files that went with
    /// those accounts (their bytes may live in an object store).
    async fn purge(&self, policy: &PurgePolicy) -> StoreResult<Vec<String>>;
}
