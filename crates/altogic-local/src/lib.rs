//! altogic-local: an Altogic-compatible backend (the REST paths, JSON shapes and error codes the
//! official `altogic` JS client expects) on SQLite, with a dev mailbox.
//!
//! Run it with the `altogic-local serve …` binary, or embed it with [`start`].

pub mod config;
pub mod crypto;
pub mod error;
mod accounts;
mod extract;
pub mod mail;
pub mod ratelimit;
mod routes;
pub mod store;
pub mod time;
pub mod useragent;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use config::Config;
use mail::Mailer;
use ratelimit::RateLimiter;
use store::{SqliteStore, Store};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Shared by every request.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    /// Base of mailed links and file `publicPath`s, without a trailing slash.
    pub public_url: String,
    /// Environment id; also the id of the `root` bucket, as on Altogic.
    pub env_id: String,
    pub client_key: Arc<str>,
    pub hasher: crypto::PasswordHasherPool,
    pub mailer: Arc<Mailer>,
    pub auth_limiter: Arc<RateLimiter>,
    pub mail_limiter: Arc<RateLimiter>,
}

/// A running server; dropping it does not stop it, [`RunningServer::shutdown`] does.
pub struct RunningServer {
    pub addr: SocketAddr,
    /// `http://ADDR` (what clients use as envUrl).
    pub url: String,
    pub client_key: String,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    /// Stops accepting, lets in-flight requests finish, and waits.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = self.task.await;
    }
}

/// Opens the data dir, binds the address and serves in the background.
pub async fn start(config: Config) -> Result<RunningServer, String> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| format!("cannot create data dir {}: {e}", config.data_dir.display()))?;
    restrict_permissions(&config.data_dir);
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&config.data_dir.join("altogic-local.db")).await.map_err(|e| e.to_string())?);

    let env_id = match store.meta("env_id").await.map_err(|e| e.to_string())? {
        Some(id) => id,
        None => {
            let id = crypto::new_id();
            store.set_meta("env_id", &id).await.map_err(|e| e.to_string())?;
            id
        }
    };
    let client_key = match &config.client_key {
        Some(key) if !key.trim().is_empty() => key.trim().to_string(),
        _ => match store.meta("client_key").await.map_err(|e| e.to_string())? {
            Some(key) => key,
            None => {
                let key = crypto::new_token().value.replace('.', "");
                store.set_meta("client_key", &key).await.map_err(|e| e.to_string())?;
                key
            }
        },
    };

    let listener = TcpListener::bind(config.listen).await.map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let url = format!("http://{addr}");
    let public_url = config.public_url.clone().unwrap_or_else(|| url.clone()).trim_end_matches('/').to_string();

    let mailer = Mailer::new(store.clone(), config.mailbox, &config.mail_from, config.smtp_url.as_deref())?;
    let state = AppState {
        store: store.clone(),
        public_url,
        env_id,
        client_key: client_key.clone().into(),
        hasher: crypto::PasswordHasherPool::new(),
        mailer: Arc::new(mailer),
        auth_limiter: Arc::new(RateLimiter::new(config.auth_rate_limit, Duration::from_secs(60))),
        mail_limiter: Arc::new(RateLimiter::new(config.mail_rate_limit, Duration::from_secs(3600))),
        config: Arc::new(config),
    };

    // Expired sessions, links and tokens are swept every few minutes.
    let sweeper_store = store.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(300));
        loop {
            tick.tick().await;
            if let Err(e) = sweeper_store.purge_expired(time::unix_now()).await {
                tracing::warn!(error = %e, "purging expired rows failed");
            }
        }
    });

    let app = routes::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let graceful = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = rx.await;
        });
        if let Err(e) = graceful.await {
            tracing::error!(error = %e, "server stopped with an error");
        }
    });
    Ok(RunningServer { addr, url, client_key, state, shutdown: Some(tx), task })
}

/// The data dir holds password hashes and the client key: owner-only on Unix.
fn restrict_permissions(dir: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    #[cfg(not(unix))]
    let _ = dir;
}
