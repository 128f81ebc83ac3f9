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

/// `ALTOGIC_ENV_URL` + `ALTOGIC_CLIENT_KEY` (looked up with `env`), else `backend.json`
/// (`{"envUrl", "clientKey"}`) in the app's config dir, else None.
pub fn configured(config_dir: Option<&Path>, env: impl Fn(&str) -> Option<String>) -> Option<(String, String)> {
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

/// A build without the built-in backend (`--no-default-features`, as the no-C platform checks use)
/// needs one configured.
#[cfg(not(feature = "embedded-backend"))]
pub async fn start_embedded(_data_dir: &Path) -> Result<Backend, String> {
    Err("This build has no built-in backend: set ALTOGIC_ENV_URL and ALTOGIC_CLIENT_KEY, or write backend.json.".into())
}

/// Starts altogic-local in `data_dir` on 127.0.0.1 with a free port.
#[cfg(feature = "embedded-backend")]
pub async fn start_embedded(data_dir: &Path) -> Result<Backend, String> {
    let mut config = altogic_local::Config::loopback(data_dir.join("altogic-local"));
    config.redirect_url = REDIRECT_URL.into();
    config.email_verification = true;
    config.mailbox = Some(true);
    let server = altogic_local::start(config).await.map_err(|e| e.to_string())?;
    let embedded = Embedded { url: server.url.clone(), mailbox_token: server.mailbox_token.clone(), server };
    Ok(Backend { env_url: embedded.url.clone(), client_key: embedded.server.client_key.clone(), embedded: Some(embedded) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_wins_over_backend_json_which_wins_over_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let silent = |_: &str| None;
        assert_eq!(configured(Some(dir.path()), silent), None);
        std::fs::write(dir.path().join("backend.json"), r#"{"envUrl":"https://x.example","clientKey":"k"}"#).unwrap();
        assert_eq!(configured(Some(dir.path()), silent), Some(("https://x.example".into(), "k".into())));
        let env = |k: &str| match k {
            "ALTOGIC_ENV_URL" => Some("https://env.example".to_string()),
            "ALTOGIC_CLIENT_KEY" => Some("env-key".to_string()),
            _ => None,
        };
        assert_eq!(configured(Some(dir.path()), env), Some(("https://env.example".into(), "env-key".into())));
        // Half a configuration (or a blank one) is none.
        assert_eq!(configured(None, |k: &str| (k == "ALTOGIC_ENV_URL").then(|| "https://env.example".to_string())), None);
        assert_eq!(configured(None, |_: &str| Some("  ".to_string())), None);
        std::fs::write(dir.path().join("backend.json"), "not json").unwrap();
        assert_eq!(configured(Some(dir.path()), silent), None, "an unreadable file is ignored");
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
