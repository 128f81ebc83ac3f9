//! The client's storage behind altogic's `SessionStore` seam. Secrets (the session token and the
//! PKCE verifiers of outstanding link requests) go to the OS keychain: Keychain on macOS/iOS,
//! Credential Manager on Windows, the Secret Service on Linux, Keystore-encrypted preferences on
//! Android. The profile (`user`) stays in tauri-plugin-store's file in the app's data dir. Without
//! a keychain (a headless Linux with no Secret Service) the secrets fall back to an owner-only
//! file, with a warning.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use altogic::SessionStore;
use tauri::{Manager, Runtime};
use tauri_plugin_store::{Store, StoreExt};

/// tauri-plugin-store's file: the profile, and this installation's id.
pub const STORE_FILE: &str = "session.json";
/// The fallback for secrets when there is no keychain.
pub const SECRETS_FILE: &str = "secrets.json";
/// Keychain entries are (KEYCHAIN_SERVICE, "<installation id>/<key>").
pub const KEYCHAIN_SERVICE: &str = "com.altogic.auth";
/// The client's keys that hold secrets; every other key is profile data.
const SECRET_KEYS: [&str; 2] = [altogic::SESSION_KEY, altogic::LINK_REQUESTS_KEY];
/// Names this installation's keychain entries: two installs (or test runs) never share a session.
const INSTALL_ID_KEY: &str = "installId";

/// Where secrets are kept.
pub trait Secrets: Send + Sync {
    fn get(&self, key: &str) -> Result<Option<String>, String>;
    fn set(&self, key: &str, value: &str) -> Result<(), String>;
    fn remove(&self, key: &str) -> Result<(), String>;
}

pub struct AppSessionStore<R: Runtime> {
    /// None when there is no usable keychain: then every secret is in `file`.
    keychain: Option<Keychain>,
    /// The owner-only fallback, also for a secret the keychain refuses (Windows' 2.5 KB limit).
    file: OwnerOnlyFile,
    profile: Arc<Store<R>>,
}

impl<R: Runtime> AppSessionStore<R> {
    /// The store of the app's data dir.
    pub fn open<M: Manager<R>>(app: &M) -> Result<Self, String> {
        let data_dir = app.path().app_data_dir().map_err(|e| format!("no data dir: {e}"))?;
        Self::open_in(app, &data_dir)
    }

    /// The store whose files are in `data_dir`.
    pub fn open_in<M: Manager<R>>(app: &M, data_dir: &Path) -> Result<Self, String> {
        let profile = app.store(data_dir.join(STORE_FILE)).map_err(|e| format!("cannot open the session store: {e}"))?;
        let install_id = match profile.get(INSTALL_ID_KEY).and_then(|v| v.as_str().map(str::to_string)) {
            Some(id) => id,
            None => {
                let id = random_id();
                profile.set(INSTALL_ID_KEY, id.clone());
                save(&profile);
                id
            }
        };
        let file = OwnerOnlyFile::open(data_dir.join(SECRETS_FILE));
        let keychain = match Keychain::open(&install_id) {
            Ok(keychain) => Some(keychain),
            Err(e) => {
                tracing::warn!(error = %e, file = %file.path.display(), "no OS keychain: the session is kept in an owner-only file instead");
                None
            }
        };
        let store = AppSessionStore { keychain, file, profile };
        store.migrate();
        Ok(store)
    }

    /// Where the secrets go: "keychain" or "file".
    pub fn kind(&self) -> &'static str {
        if self.keychain.is_some() { "keychain" } else { "file" }
    }

    /// Sessions of earlier versions sat in the profile file: they move to the secrets once.
    fn migrate(&self) {
        for key in SECRET_KEYS {
            if let Some(value) = self.profile.get(key).and_then(|v| v.as_str().map(str::to_string)) {
                self.set_secret(key, &value);
                self.profile.delete(key);
                save(&self.profile);
                tracing::info!(key, to = self.kind(), "moved a stored secret out of the profile file");
            }
        }
    }

    fn set_secret(&self, key: &str, value: &str) {
        if let Some(keychain) = &self.keychain {
            match keychain.set(key, value) {
                Ok(()) => {
                    let _ = self.file.remove(key);
                    return;
                }
                Err(e) => tracing::warn!(key, error = %e, "the keychain refused a secret: keeping it in the owner-only file"),
            }
        }
        if let Err(e) = self.file.set(key, value) {
            tracing::error!(key, error = %e, "could not store a secret");
        }
    }
}

impl<R: Runtime> SessionStore for AppSessionStore<R> {
    fn get_item(&self, key: &str) -> Option<String> {
        if !SECRET_KEYS.contains(&key) {
            return self.profile.get(key).and_then(|v| v.as_str().map(str::to_string));
        }
        let in_keychain = self.keychain.as_ref().and_then(|k| {
            k.get(key).unwrap_or_else(|e| {
                tracing::warn!(key, error = %e, "reading the keychain failed");
                None
            })
        });
        in_keychain.or_else(|| self.file.get(key).ok().flatten())
    }

    fn set_item(&self, key: &str, value: &str) {
        if SECRET_KEYS.contains(&key) {
            return self.set_secret(key, value);
        }
        self.profile.set(key, serde_json::Value::String(value.to_string()));
        save(&self.profile);
    }

    fn remove_item(&self, key: &str) {
        if !SECRET_KEYS.contains(&key) {
            self.profile.delete(key);
            return save(&self.profile);
        }
        if let Some(Err(e)) = self.keychain.as_ref().map(|k| k.remove(key)) {
            tracing::warn!(key, error = %e, "removing a secret from the keychain failed");
        }
        if let Err(e) = self.file.remove(key) {
            tracing::error!(key, error = %e, "removing a secret from the owner-only file failed");
        }
    }
}

fn save<R: Runtime>(store: &Store<R>) {
    if let Err(e) = store.save() {
        tracing::error!(error = %e, "saving the profile store failed");
    }
}

/// 128 random bits, hex: names this installation's keychain entries.
fn random_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS has randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The platform's keychain through keyring-core.
pub struct Keychain {
    install_id: String,
    store: Arc<keyring_core::CredentialStore>,
}

impl Keychain {
    /// The platform store, tried once: an unusable keychain is found here, not on the first sign-in.
    pub fn open(install_id: &str) -> Result<Self, String> {
        let store = platform_store().map_err(|e| e.to_string())?;
        let keychain = Keychain { install_id: install_id.to_string(), store };
        keychain.get("probe")?;
        Ok(keychain)
    }

    fn entry(&self, key: &str) -> Result<keyring_core::Entry, String> {
        keyring_core::Entry::new_in_store(&self.store, KEYCHAIN_SERVICE, &format!("{}/{key}", self.install_id)).map_err(|e| e.to_string())
    }
}

impl Secrets for Keychain {
    fn get(&self, key: &str) -> Result<Option<String>, String> {
        match self.entry(key)?.get_password() {
            Ok(v) => Ok(Some(v)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }
    fn set(&self, key: &str, value: &str) -> Result<(), String> {
        self.entry(key)?.set_password(value).map_err(|e| e.to_string())
    }
    fn remove(&self, key: &str) -> Result<(), String> {
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn platform_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    Ok(zbus_secret_service_keyring_store::Store::new()?)
}
#[cfg(target_os = "macos")]
fn platform_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}
#[cfg(target_os = "ios")]
fn platform_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    Ok(apple_native_keyring_store::protected::Store::new()?)
}
#[cfg(windows)]
fn platform_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new()?)
}
#[cfg(target_os = "android")]
fn platform_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    // The JNI context comes from ndk-context, which Tauri's activity initialises before setup.
    Ok(android_native_keyring_store::Store::new()?)
}

/// A JSON file readable by its owner only: created with mode 0600 (never chmod-ed after the
/// fact), replaced atomically on every write.
pub struct OwnerOnlyFile {
    path: PathBuf,
    items: Mutex<Option<BTreeMap<String, String>>>,
}

impl OwnerOnlyFile {
    pub fn open(path: PathBuf) -> Self {
        OwnerOnlyFile { path, items: Mutex::new(None) }
    }

    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<String, String>) -> T) -> T {
        let mut items = self.items.lock().unwrap_or_else(|e| e.into_inner());
        let items = items.get_or_insert_with(|| std::fs::read(&self.path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default());
        f(items)
    }

    fn write(path: &Path, items: &BTreeMap<String, String>) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("tmp");
        let _ = std::fs::remove_file(&tmp);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp)?;
        file.write_all(&serde_json::to_vec(items).map_err(std::io::Error::other)?)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    }
}

impl Secrets for OwnerOnlyFile {
    fn get(&self, key: &str) -> Result<Option<String>, String> {
        Ok(self.with(|items| items.get(key).cloned()))
    }
    fn set(&self, key: &str, value: &str) -> Result<(), String> {
        self.with(|items| {
            items.insert(key.to_string(), value.to_string());
            Self::write(&self.path, items).map_err(|e| e.to_string())
        })
    }
    fn remove(&self, key: &str) -> Result<(), String> {
        self.with(|items| {
            if items.remove(key).is_none() {
                return Ok(());
            }
            Self::write(&self.path, items).map_err(|e| e.to_string())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fallback_file_is_owner_only_from_its_creation_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join(SECRETS_FILE);
        let file = OwnerOnlyFile::open(path.clone());
        assert_eq!(file.get("session").unwrap(), None);
        file.set("session", r#"{"token":"t"}"#).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        // A second reader (the next launch) sees it.
        assert_eq!(OwnerOnlyFile::open(path.clone()).get("session").unwrap().as_deref(), Some(r#"{"token":"t"}"#));
        file.remove("session").unwrap();
        assert_eq!(OwnerOnlyFile::open(path).get("session").unwrap(), None);
    }

    #[test]
    fn secrets_leave_the_profile_file_and_survive_a_reopen() {
        let data_dir = tempfile::tempdir().unwrap();
        let data_dir = data_dir.path();
        let app = tauri::test::mock_builder().plugin(tauri_plugin_store::Builder::default().build()).build(tauri::test::mock_context(tauri::test::noop_assets())).unwrap();
        // A session of an earlier version, in the profile file.
        let old = app.store(data_dir.join(STORE_FILE)).unwrap();
        old.set(altogic::SESSION_KEY, r#"{"token":"old-secret-token"}"#);
        old.save().unwrap();

        let store = AppSessionStore::open_in(&app, data_dir).unwrap();
        assert_eq!(store.get_item(altogic::SESSION_KEY).as_deref(), Some(r#"{"token":"old-secret-token"}"#), "migrated, via {}", store.kind());
        store.set_item("user", r#"{"email":"a@x.io"}"#);
        let profile = std::fs::read_to_string(data_dir.join(STORE_FILE)).unwrap();
        assert!(!profile.contains("old-secret-token"), "the profile file keeps no secret: {profile}");
        assert!(profile.contains("a@x.io"));
        let reopened = AppSessionStore::open_in(&app, data_dir).unwrap();
        assert_eq!(reopened.get_item(altogic::SESSION_KEY).as_deref(), Some(r#"{"token":"old-secret-token"}"#));
        reopened.remove_item(altogic::SESSION_KEY);
        assert_eq!(AppSessionStore::open_in(&app, data_dir).unwrap().get_item(altogic::SESSION_KEY), None);
    }
}
