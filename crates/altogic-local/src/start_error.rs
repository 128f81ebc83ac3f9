//! Why `altogic-local` did not start (or migrate): one variant per thing a person must fix.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create data dir {}: {source}", path.display())]
    DataDir { path: PathBuf, source: std::io::Error },
    /// Opening, migrating or reading the database; the message says which and what to do.
    #[error("{what}: {source}{}", cause(source))]
    Database { what: &'static str, source: StoreError },
    /// A secret file given on the command line, or kept in the data dir.
    #[error("{}: {reason}", path.display())]
    SecretFile { path: PathBuf, reason: String },
    /// A secret too short to resist guessing.
    #[error("{what} must be at least {min} characters")]
    ShortSecret { what: &'static str, min: usize },
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    /// This instance's --mfa-key is not the one the database's authenticator secrets are sealed with.
    #[error("the MFA key (--mfa-key, --mfa-key-file or the data dir's mfa-key) is not the one this database's authenticator secrets were sealed with: give every instance of one database the same key")]
    MfaKeyMismatch,
    /// The SMTP URL.
    #[error("{0}")]
    Mail(String),
    /// The storage URL or its bucket.
    #[error("{0}")]
    Storage(String),
}

/// The store error's own cause, which says what actually failed (a refused connection, a schema).
fn cause(e: &StoreError) -> String {
    std::error::Error::source(e).map(|s| format!(": {s}")).unwrap_or_default()
}
