//! altogic-local: an Altogic-compatible backend (the REST paths, JSON shapes and error codes the
//! official `altogic` JS client expects) on SQLite, with a dev mailbox.
//!
//! Run it with the `altogic-local serve …` binary, or embed it with [`start`].

pub mod backup;
mod blobs;
pub mod copy;
pub mod metrics;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod error;
mod accounts;
pub mod events;
mod extract;
pub mod mail;
pub mod net;
pub mod ratelimit;
mod routes;
pub mod seal;
mod server;
mod start_error;
pub mod store;
pub mod time;
pub mod totp;
pub mod two_step;
pub mod useragent;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use config::Config;
pub use start_error::StartError;
use mail::Mailer;
use store::Store;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Shared by every request.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub config: Arc<Config>,
    /// Base of mailed links and file `publicPath`s, without a trailing slash.
    pub public_url: String,
    /// Environment id; also the id of the `root` bucket, as on Altogic.
    pub env_id: String,
    pub client_key: Arc<str>,
    /// Reads the dev mailbox; None when the mailbox is off.
    pub mailbox_token: Option<Arc<str>>,
    pub hasher: crypto::PasswordHasherPool,
    /// Where uploaded files' bytes live.
    pub blobs: Arc<blobs::Blobs>,
    pub mailer: Arc<Mailer>,
    /// Mail-link opens per client network, counted in memory (`GET /auth/verify`).
    pub link_opens: Arc<ratelimit::Flood>,
    /// Password attempts being checked, per throttle key (see [`ratelimit::admit_attempt`]).
    pub pending_signins: Arc<ratelimit::Pending>,
    /// Seals authenticator secrets (the key is never in the database).
    pub sealer: Arc<seal::Sealer>,
    /// The time the two-step and recent-authentication rules read; tests move it forward.
    pub clock: time::Clock,
    /// What `GET /_local/v1/metrics` reports.
    pub metrics: Arc<metrics::Metrics>,
}

/// A running server; dropping it does not stop it, [`RunningServer::shutdown`] does.
pub struct RunningServer {
    pub addr: SocketAddr,
    /// `http://ADDR` (what clients use as envUrl).
    pub url: String,
    pub client_key: String,
    /// The bearer token of the dev mailbox (None when it is off).
    pub mailbox_token: Option<String>,
    /// The file that holds it, unless it was given on the command line.
    pub mailbox_token_file: Option<std::path::PathBuf>,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    sweeper: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    /// Stops accepting, lets in-flight requests finish, and waits.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = self.task.await;
        self.sweeper.abort();
        self.state.store.close().await;
    }
}

/// The configured store: PostgreSQL with `--database-url`, else SQLite in the data dir. `migrate`
/// applies pending migrations; otherwise a schema behind this build is refused.
pub async fn open_store(config: &Config, migrate: bool) -> Result<Arc<Store>, StartError> {
    let failed = |source| StartError::Database { what: "cannot open the database", source };
    let store = match &config.database_url {
        Some(url) => Store::connect_postgres(url, config.database_pool, migrate).await.map_err(failed)?,
        None => {
            prepare_data_dir(config)?;
            Store::open_sqlite(&config.data_dir.join("altogic-local.db"), migrate).await.map_err(failed)?
        }
    };
    // Accounts from before skeletons were kept get theirs (once; then this finds none).
    store.fill_skeletons().await.map_err(|source| StartError::Database { what: "cannot update the database", source })?;
    Ok(Arc::new(store))
}

/// The data dir exists and is owner-only (it holds the SQLite database and key copies).
fn prepare_data_dir(config: &Config) -> Result<(), StartError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|source| StartError::DataDir { path: config.data_dir.clone(), source })?;
    restrict_permissions(&config.data_dir, 0o700);
    Ok(())
}

/// `altogic-local migrate`: brings the database schema up to date.
pub async fn migrate(config: &Config) -> Result<(), StartError> {
    open_store(config, true).await.map(drop)
}

/// Opens the data dir, binds the address and serves in the background.
pub async fn start(config: Config) -> Result<RunningServer, StartError> {
    prepare_data_dir(&config)?;
    // SQLite is one process's database: it migrates on start. PostgreSQL instances do not (they
    // would race); `altogic-local migrate` does it once.
    let store = open_store(&config, config.database_url.is_none()).await?;
    let stored = |key: &'static str, fresh: String| {
        let store = store.clone();
        async move { store.meta_or_insert(key, &fresh).await.map_err(|source| StartError::Database { what: "cannot read the database", source }) }
    };

    let env_id = stored("env_id", crypto::new_id()).await?;
    let client_key = match (&config.client_key, &config.client_key_file) {
        (Some(key), _) if !key.trim().is_empty() => key.trim().to_string(),
        (_, Some(file)) => read_secret_file(file)?,
        _ => stored("client_key", crypto::new_secret()).await?,
    };
    // Generated secrets live in the database, so every instance of one database shares them.
    let mailbox = if config.mailbox_on() { Some(mailbox_token(&config, &stored).await?) } else { None };
    let (mailbox_token, mailbox_token_file) = match mailbox {
        Some((token, file)) => (Some(token), file),
        None => (None, None),
    };

    let sealer = sealer(&config, &store).await?;

    let listen_failed = |source| StartError::Listen { addr: config.listen, source };
    let listener = TcpListener::bind(config.listen).await.map_err(listen_failed)?;
    let addr = listener.local_addr().map_err(listen_failed)?;
    let url = format!("http://{addr}");
    let public_url = config.public_url.clone().unwrap_or_else(|| url.clone()).trim_end_matches('/').to_string();

    let metrics = Arc::new(metrics::Metrics::new());
    let mailer = Mailer::new(store.clone(), metrics.clone(), config.mailbox_on(), &config.mail_from, config.smtp_url.as_deref(), config.smtp_insecure).map_err(StartError::Mail)?;
    let limits = server::ConnLimits {
        header_timeout: Duration::from_secs(config.header_timeout_secs.max(1)),
        idle_timeout: Duration::from_secs(config.idle_timeout_secs.max(1)),
        max_connections: config.max_connections,
        max_per_client: config.max_connections_per_client,
        exempt: config.trusted_proxies.clone(),
    };
    let state = AppState {
        store: store.clone(),
        public_url,
        env_id,
        client_key: client_key.clone().into(),
        mailbox_token: mailbox_token.as_deref().map(Arc::from),
        hasher: crypto::PasswordHasherPool::new(config.hash_queue, Duration::from_secs_f64(config.max_hash_wait.max(0.0))),
        blobs: Arc::new(blobs::Blobs::open(&config).map_err(StartError::Storage)?),
        mailer: Arc::new(mailer),
        metrics,
        link_opens: Arc::default(),
        pending_signins: Arc::default(),
        sealer: Arc::new(sealer),
        clock: time::Clock::default(),
        config: Arc::new(config),
    };

    // Expired sessions, links, tokens, pending sign-ups and counters, old mails and never-verified
    // accounts are swept every few minutes.
    let sweeper = state.clone();
    let sweeper = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(300));
        loop {
            tick.tick().await;
            if let Err(e) = sweep(&sweeper, &purge_policy(&sweeper.config)).await {
                tracing::warn!(error = %e, source = %source_of(&e), "purging expired rows failed");
            }
        }
    });

    let app = routes::router(state.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server::serve(listener, app, limits, rx));
    Ok(RunningServer { addr, url, client_key, mailbox_token, mailbox_token_file, state, shutdown: Some(tx), task, sweeper })
}

/// One sweep: the store's expired and never-verified rows, and the bytes of the files that went
/// with those accounts.
pub async fn sweep(state: &AppState, policy: &store::PurgePolicy) -> store::StoreResult<()> {
    for id in state.store.purge(policy).await? {
        state.blobs.delete(&id).await;
    }
    Ok(())
}

/// What the sweep removes now.
pub fn purge_policy(config: &Config) -> store::PurgePolicy {
    let now = time::unix_now();
    let unverified_before = config.email_verification.then(|| {
        let cutoff = ::time::OffsetDateTime::now_utc() - ::time::Duration::days(config.unverified_ttl_days);
        time::iso(cutoff)
    });
    store::PurgePolicy {
        now,
        mails_before: now - config.mail_ttl_days * 86_400,
        unverified_before,
        session_max_secs: config.session_max_days * 86_400,
        session_idle_secs: config.session_idle_days * 86_400,
        events_before: now - events::RETENTION_DAYS * 86_400,
    }
}

fn source_of(e: &dyn std::error::Error) -> String {
    e.source().map(|s| s.to_string()).unwrap_or_default()
}

/// A secret from a file given on the command line (its first line, trimmed).
/// The dev mailbox reads every user's sign-in links and codes: its token must resist guessing.
pub const MIN_MAILBOX_TOKEN_LEN: usize = 32;

/// The mailbox token, and the file it is kept in: given on the command line, read from
/// `--mailbox-token-file`, or else the data dir's `mailbox-token` (the one shared in the database
/// by every instance, generated by the first).
async fn mailbox_token<F, Fut>(config: &Config, stored: F) -> Result<(String, Option<std::path::PathBuf>), StartError>
where
    F: Fn(&'static str, String) -> Fut,
    Fut: std::future::Future<Output = Result<String, StartError>>,
{
    let (token, file) = match (&config.mailbox_token, &config.mailbox_token_file) {
        (Some(token), _) if !token.trim().is_empty() => (token.trim().to_string(), None),
        (_, Some(file)) => (read_secret_file(file)?, Some(file.clone())),
        _ => {
            let file = config.data_dir.join("mailbox-token");
            let local = if file.exists() { read_secret_file(&file)? } else { crypto::new_secret() };
            let shared = stored("mailbox_token", local).await?;
            write_secret_file(&file, &shared)?;
            (shared, Some(file))
        }
    };
    if token.chars().count() < MIN_MAILBOX_TOKEN_LEN {
        return Err(StartError::ShortSecret { what: "the mailbox token", min: MIN_MAILBOX_TOKEN_LEN });
    }
    Ok((token, file))
}

/// The key that seals authenticator secrets: given on the command line, read from
/// `--mfa-key-file`, or else the data dir's `mfa-key` (created on first start). It is never kept in
/// the database; only its id is, so that an instance with another key refuses to start while the
/// database holds secrets sealed with the first.
async fn sealer(config: &Config, store: &Store) -> Result<seal::Sealer, StartError> {
    let secret = match (&config.mfa_key, &config.mfa_key_file) {
        (Some(key), _) if !key.trim().is_empty() => key.trim().to_string(),
        (_, Some(file)) => read_secret_file(file)?,
        _ => {
            let file = config.data_dir.join("mfa-key");
            if file.exists() {
                read_secret_file(&file)?
            } else {
                let fresh = crypto::new_secret();
                write_secret_file(&file, &fresh)?;
                fresh
            }
        }
    };
    if secret.chars().count() < MIN_MFA_KEY_LEN {
        return Err(StartError::ShortSecret { what: "the MFA key", min: MIN_MFA_KEY_LEN });
    }
    let sealer = seal::Sealer::new(&secret);
    let failed = |source| StartError::Database { what: "cannot read the database", source };
    if !store.adopt_seal_key(sealer.id()).await.map_err(failed)? {
        return Err(StartError::MfaKeyMismatch);
    }
    Ok(sealer)
}

/// The MFA key seals every authenticator secret: as long as a generated key.
pub const MIN_MFA_KEY_LEN: usize = 32;

fn read_secret_file(path: &std::path::Path) -> Result<String, StartError> {
    let failed = |reason: String| StartError::SecretFile { path: path.to_path_buf(), reason };
    let text = std::fs::read_to_string(path).map_err(|e| failed(format!("cannot be read: {e}")))?;
    let secret = text.lines().next().unwrap_or("").trim().to_string();
    if secret.is_empty() {
        return Err(failed("is empty".into()));
    }
    Ok(secret)
}

/// Keeps `secret` in a file of the data dir, created owner-only (never chmod-ed after writing).
fn write_secret_file(path: &std::path::Path, secret: &str) -> Result<(), StartError> {
    let failed = |e: std::io::Error| StartError::SecretFile { path: path.to_path_buf(), reason: format!("cannot be written: {e}") };
    if path.exists() && read_secret_file(path).is_ok_and(|s| s == secret) {
        return Ok(());
    }
    let _ = std::fs::remove_file(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(failed)?;
    std::io::Write::write_all(&mut file, format!("{secret}\n").as_bytes()).map_err(failed)
}

/// The data dir holds password hashes and keys: owner-only on Unix.
fn restrict_permissions(path: &std::path::Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}
