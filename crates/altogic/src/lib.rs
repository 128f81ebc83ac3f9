//! Rust client for the Altogic REST API, behaving like the official `altogic` JS client (2.3.9).
//!
//! The wire types ([`types`], [`error`], [`redirect`]) are always built; the server (`altogic-local`)
//! reuses them with `default-features = false`, so each JSON shape is defined exactly once.
//! The HTTP client itself sits behind the default `client` feature.

pub mod account_security;
#[cfg(feature = "password-policy")]
pub mod password_policy;
pub mod error;
pub mod redirect;
pub mod types;

#[cfg(feature = "client")]
mod auth;
#[cfg(feature = "client")]
mod client;
#[cfg(feature = "client")]
mod db;
#[cfg(feature = "client")]
pub mod pkce;
#[cfg(feature = "client")]
pub mod session_store;
#[cfg(feature = "client")]
mod storage;
#[cfg(feature = "client")]
mod account;
#[cfg(feature = "client")]
mod two_step;
#[cfg(feature = "client")]
pub mod user_agent;

pub use error::{ApiError, ErrorBody, ErrorEntry};
pub use redirect::{RedirectAction, RedirectParams};
pub use types::*;

#[cfg(feature = "client")]
pub use auth::Auth;
#[cfg(feature = "client")]
pub use client::{AltogicClient, ClientOptions, Error, Result};
#[cfg(feature = "client")]
pub use db::{DbObject, Model};
#[cfg(feature = "client")]
pub use pkce::{LinkPurpose, LinkRequest, LINK_REQUESTS_KEY};
#[cfg(feature = "client")]
pub use session_store::{MemoryStore, SessionStore, DEVICE_TOKENS_KEY, SESSION_KEY, USER_KEY};
#[cfg(feature = "client")]
pub use storage::Bucket;
