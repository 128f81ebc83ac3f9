//! Which Altogic backend the app talks to: one named by the environment or a config file, or else
//! altogic-local started in-process on a free loopback port (e-mail verification and mailbox on),
//! so the app works with no account and no network.

use std::path::Path;

use serde::Deserialize;

/// Where the built-in backend's mail links lead: the app's deep link.
#[cfg(feature = "embedded-backend")]
pub const REDIRECT_URL: &str = "altogic-auth://auth-redirect";

pub struct Backend {
    pub env_url: String,
    pub client_key: String,
    /// Set when the app runs its own altogic-local.
    pub embedded: Option<Embedded>,
}

/// The built-in altogic-local, running in this process.
pub struct Embedded {
    pub url: String,
    /// Reads the dev mailbox; stays in the shell.
    pub mailbox_token: Option<String>,
    /// Keeps the server alive as long as the app.
    #[cfg(feature = "embedded-backend")]
    server: altogic_local::RunningServer,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BackendFile {
    env_url: String,
    client_key: String,
}

/// The process environment, as [`configured`] reads it.
pub fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// The backend a distribution build was made for (`scripts/build-release.sh`, or
/// `ALTOGIC_ENV_URL`/`ALTOGIC_CLIENT_KEY` set at `cargo tauri build` with `--features
/// distribution`): baked in by build.rs. `locked`: the environment and backend.json are ignored.
#[derive(Debug, Clone, PartialEq)]
pub struct Baked {
    pub env_url: &'static str,
    pub client_key: &'static str,
    pub locked: bool,
}

/// This build's baked backend, if it is a distribution build.
#[cfg(feature = "distribution")]
pub fn baked() -> Option<Baked> {
    Some(Baked { env_url: env!("ALTOGIC_BAKED_ENV_URL"), client_key: env!("ALTOGIC_BAKED_CLIENT_KEY"), locked: env!("ALTOGIC_BAKED_LOCKED") == "1" })
}

/// The default build bakes nothing (whatever the build's environment holds).
#[cfg(not(feature = "distribution"))]
pub fn baked() -> Option<Baked> {
    None
}

/// The backend to use: a locked baked one; else `ALTOGIC_ENV_URL` + `ALTOGIC_CLIENT_KEY` (looked
/// up with `env`), else `backend.json` (`{"envUrl", "clientKey"}`) in the app's config dir, else
/// the baked one, else None (the built-in backend).
pub fn configured(config_dir: Option<&Path>, env: impl Fn(&str) -> Option<String>, baked: Option<&Baked>) -> Option<(String, String)> {
    if let Some(b) = baked.filter(|b| b.locked) {
        return Some((b.env_url.to_string(), b.client_key.to_string()));
    }
    let own = baked.map(|b| (b.env_url.to_string(), b.client_key.to_string()));
    overridden(config_dir, env).or(own)
}

/// What the environment or backend.json name.
fn overridden(config_dir: Option<&Path>, env: impl Fn(&str) -> Option<String>) -> Option<(String, String)> {
    let env = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    if let (Some(url), Some(key)) = (env("ALTOGIC_ENV_URL"), env("ALTOGIC_CLIENT_KEY")) {
        return Some((url, key));
    }
    let text = std::fs::read_to_string(config_dir?.join("backend.json")).ok()?;
    match serde_json::from_str::<BackendFile>(&text) {
        Ok(file) => Some((file.env_url, file.client_key)),
        Err(e) => {
            tracing::warn!(error = %e, "ignoring an unreadable backend.json");
            None
        }
    }
}

pub use crate::transport::check_transport;

impl Embedded {
    /// A mail link of this backend, on its current address: links of an earlier run name the port
    /// that run had, which may have had to change. None for any other link.
    pub fn own_link(&self, link: &str) -> Option<String> {
        let parsed = url::Url::parse(link).ok()?;
        let ours = parsed.scheme() == "http" && parsed.host_str() == Some("127.0.0.1") && parsed.path() == VERIFY_PATH;
        ours.then(|| format!("{}{VERIFY_PATH}?{}", self.url, parsed.query().unwrap_or("")))
    }
}

/// Where altogic-local's mail links point.
const VERIFY_PATH: &str = "/_api/rest/v1/auth/verify";

/// A build without the built-in backend (`--no-default-features`, as the no-C platform checks use)
/// needs one configured.
#[cfg(not(feature = "embedded-backend"))]
pub async fn start_embedded(_data_dir: &Path) -> Result<Backend, String> {
    Err("This build has no built-in backend: set ALTOGIC_ENV_URL and ALTOGIC_CLIENT_KEY, or write backend.json.".into())
}

/// The built-in backend's port, kept in its data dir: links in its mails and the pictures it
/// stores name it, so they keep working after a restart.
#[cfg(feature = "embedded-backend")]
const PORT_FILE: &str = "port";

/// Starts altogic-local in `data_dir` on 127.0.0.1, on the port of the last run (a free one the
/// first time, or when that one is taken now).
#[cfg(feature = "embedded-backend")]
pub async fn start_embedded(data_dir: &Path) -> Result<Backend, String> {
    let dir = data_dir.join("altogic-local");
    let port_file = dir.join(PORT_FILE);
    let remembered = std::fs::read_to_string(&port_file).ok().and_then(|p| p.trim().parse::<u16>().ok()).filter(|p| *p != 0);
    let mut config = altogic_local::Config::loopback(&dir);
    config.redirect_url = REDIRECT_URL.into();
    config.email_verification = true;
    config.mailbox = Some(true);
    config.listen.set_port(remembered.unwrap_or(0));
    let server = match altogic_local::start(config.clone()).await {
        Err(altogic_local::StartError::Listen { .. }) if remembered.is_some() => {
            tracing::warn!(port = remembered, "the built-in backend's port is taken: starting on another one");
            config.listen.set_port(0);
            altogic_local::start(config).await
        }
        started => started,
    }
    .map_err(|e| e.to_string())?;
    if remembered != Some(server.addr.port()) {
        if let Err(e) = std::fs::write(&port_file, server.addr.port().to_string()) {
            tracing::warn!(error = %e, "could not remember the built-in backend's port");
        }
    }
    let embedded = Embedded { url: server.url.clone(), mailbox_token: server.mailbox_token.clone(), server };
    Ok(Backend { env_url: embedded.url.clone(), client_key: embedded.server.client_key.clone(), embedded: Some(embedded) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "embedded-backend")]
    #[tokio::test]
    async fn links_of_an_earlier_run_are_recognised_on_the_current_address() {
        let dir = tempfile::tempdir().unwrap();
        let backend = start_embedded(dir.path()).await.unwrap();
        let embedded = backend.embedded.unwrap();
        let now = embedded.url.clone();
        assert_eq!(embedded.own_link("http://127.0.0.1:1/_api/rest/v1/auth/verify?key=k&action=magic-link").as_deref(), Some(format!("{now}/_api/rest/v1/auth/verify?key=k&action=magic-link").as_str()));
        for foreign in ["http://evil.example/_api/rest/v1/auth/verify?key=k", "https://127.0.0.1:1/_api/rest/v1/auth/verify?key=k", "http://127.0.0.1:1/_storage/x", "not a url"] {
            assert_eq!(embedded.own_link(foreign), None, "{foreign}");
        }
        embedded.server.shutdown().await;
    }

    #[test]
    fn the_environment_wins_over_backend_json_which_wins_over_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let silent = |_: &str| None;
        assert_eq!(configured(Some(dir.path()), silent, None), None);
        std::fs::write(dir.path().join("backend.json"), r#"{"envUrl":"https://x.example","clientKey":"k"}"#).unwrap();
        assert_eq!(configured(Some(dir.path()), silent, None), Some(("https://x.example".into(), "k".into())));
        let env = |k: &str| match k {
            "ALTOGIC_ENV_URL" => Some("https://env.example".to_string()),
            "ALTOGIC_CLIENT_KEY" => Some("env-key".to_string()),
            _ => None,
        };
        assert_eq!(configured(Some(dir.path()), env, None), Some(("https://env.example".into(), "env-key".into())));
        // Half a configuration (or a blank one) is none.
        assert_eq!(configured(None, |k: &str| (k == "ALTOGIC_ENV_URL").then(|| "https://env.example".to_string()), None), None);
        assert_eq!(configured(None, |_: &str| Some("  ".to_string()), None), None);
        std::fs::write(dir.path().join("backend.json"), "not json").unwrap();
        assert_eq!(configured(Some(dir.path()), silent, None), None, "an unreadable file is ignored");
    }

    #[test]
    fn a_distribution_build_uses_its_baked_backend_unless_told_otherwise_and_never_when_locked() {
        let dir = tempfile::tempdir().unwrap();
        let baked = Baked { env_url: "https://auth.example.com", client_key: "baked-key", locked: false };
        let ours = Some(("https://auth.example.com".to_string(), "baked-key".to_string()));
        assert_eq!(configured(Some(dir.path()), |_: &str| None, Some(&baked)), ours, "no built-in backend to fall back to");
        std::fs::write(dir.path().join("backend.json"), r#"{"envUrl":"https://staging.example","clientKey":"k"}"#).unwrap();
        assert_eq!(configured(Some(dir.path()), |_: &str| None, Some(&baked)), Some(("https://staging.example".into(), "k".into())), "testers can point it elsewhere");
        let locked = Baked { locked: true, ..baked };
        assert_eq!(configured(Some(dir.path()), |_: &str| Some("https://evil.example".into()), Some(&locked)), ours, "a locked build ignores both");
        // The default build bakes nothing.
        #[cfg(not(feature = "distribution"))]
        assert_eq!(super::baked(), None);
    }

    #[cfg(feature = "embedded-backend")]
    #[tokio::test]
    async fn the_built_in_backend_keeps_its_port_and_moves_only_when_it_is_taken() {
        let dir = tempfile::tempdir().unwrap();
        let first = start_embedded(dir.path()).await.unwrap();
        let url = first.env_url.clone();
        first.embedded.unwrap().server.shutdown().await;
        let again = start_embedded(dir.path()).await.unwrap();
        assert_eq!(again.env_url, url, "the same address after a restart");
        // Someone else holds it now (our own running instance): another port, remembered.
        let other = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(other.path().join("altogic-local")).unwrap();
        std::fs::copy(dir.path().join("altogic-local").join(PORT_FILE), other.path().join("altogic-local").join(PORT_FILE)).unwrap();
        let moved = start_embedded(other.path()).await.unwrap();
        assert_ne!(moved.env_url, url);
        let port = std::fs::read_to_string(other.path().join("altogic-local").join(PORT_FILE)).unwrap();
        assert!(moved.env_url.ends_with(&format!(":{port}")), "{} vs {port}", moved.env_url);
        again.embedded.unwrap().server.shutdown().await;
        moved.embedded.unwrap().server.shutdown().await;
    }

    #[cfg(feature = "embedded-backend")]
    #[tokio::test]
    async fn the_embedded_backend_answers() {
        let dir = tempfile::tempdir().unwrap();
        let backend = start_embedded(dir.path()).await.unwrap();
        let client = altogic::AltogicClient::new(&backend.env_url, &backend.client_key, Default::default()).unwrap();
        let grant = client.auth().sign_up_with_name("embedded@example.com", "embedded password", "E").await.unwrap();
        assert!(grant.session.is_none(), "verification is on in the embedded backend");
        backend.embedded.unwrap().server.shutdown().await;
    }
}
