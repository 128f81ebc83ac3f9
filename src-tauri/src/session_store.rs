//! The client's storage behind altogic's `SessionStore` seam. Secrets (the session token and the
//! PKCE verifiers of outstanding link requests) go to the OS keychain: Keychain on macOS/iOS,
//! Credential Manager on Windows, the Secret Service on Linux, Keystore-encrypted preferences on
//! Android. The profile (`user`) stays in tauri-plugin-store's file in the app's data dir. Without
//! a keychain (a headless Linux with no Secret Service) the secrets fall back to an owner-only
//! file, with a warning.

use std::path::Path;
use std::sync::Arc;

use altogic::SessionStore;
use tauri::{Manager, Runtime};
use tauri_plugin_store::{Store, StoreExt};

pub use crate::owner_only_file::OwnerOnlyFile;

/// tauri-plugin-store's file: the profile, and this installation's id.
pub const STORE_FILE: &str = "session.json";
/// The fallback for secrets when there is no keychain.
pub const SECRETS_FILE: &str = "secrets.json";
/// Keychain entries are (KEYCHAIN_SERVICE, "<installation id>/<key>").
pub const KEYCHAIN_SERVICE: &str = "com.altogic.auth";
/// The client's keys that hold secrets; every other key is profile data.
const SECRET_KEYS: [&str; 3] = [altogic::SESSION_KEY, altogic::LINK_REQUESTS_KEY, altogic::DEVICE_TOKENS_KEY];
/// Names this installation's keychain entries: two installs (or test runs) never share a session.
const INSTALL_ID_KEY: &str = "installId";
/// Secrets removed while the keychain could not be reached, to remove there when it is back.
const REMOVED_KEY: &str = "secretsRemovedWhileAway";

/// Where secrets are kept.
pub trait Secrets: Send + Sync {
    fn get(&self, key: &str) -> Result<Option<String>, String>;
    fn set(&self, key: &str, value: &str) -> Result<(), String>;
    fn remove(&self, key: &str) -> Result<(), String>;
}

pub struct AppSessionStore<R: Runtime> {
    /// The OS keychain; None when there is none usable: then every secret is in `file`.
    keychain: Option<Box<dyn Secrets>>,
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
        let keychain: Option<Box<dyn Secrets>> = match Keychain::open(&install_id) {
            Ok(keychain) => Some(Box::new(keychain)),
            Err(e) => {
                tracing::warn!(error = %e, file = %file.path.display(), "no OS keychain: the session is kept in an owner-only file instead");
                None
            }
        };
        Ok(Self::assemble(profile, file, keychain))
    }

    fn assemble(profile: Arc<Store<R>>, file: OwnerOnlyFile, keychain: Option<Box<dyn Secrets>>) -> Self {
        let store = AppSessionStore { keychain, file, profile };
        store.reconcile();
        store.migrate();
        store
    }

    /// Where the secrets go: "keychain" or "file".
    pub fn kind(&self) -> &'static str {
        if self.keychain.is_some() { "keychain" } else { "file" }
    }

    /// With the keychain back after a run without it: what was removed meanwhile is removed from
    /// the keychain too (a sign-out must stick), and what was written to the file meanwhile moves in.
    fn reconcile(&self) {
        let Some(keychain) = &self.keychain else { return };
        for key in self.removed_while_away() {
            if keychain.remove(&key).is_ok() {
                self.mark_removed(&key, false);
            }
        }
        for key in SECRET_KEYS {
            if let Ok(Some(value)) = self.file.get(key) {
                self.set_secret(key, &value);
            }
        }
    }

    /// Sessions of earlier versions sat in the profile file: they move to the secrets once, and
    /// leave the profile only when they are stored.
    fn migrate(&self) {
        for key in SECRET_KEYS {
            if let Some(value) = self.profile.get(key).and_then(|v| v.as_str().map(str::to_string)) {
                if self.set_secret(key, &value) {
                    self.profile.delete(key);
                    save(&self.profile);
                    tracing::info!(key, to = self.kind(), "moved a stored secret out of the profile file");
                }
            }
        }
    }

    /// Stores a secret: in the keychain (and then nowhere else), else in the file. A file entry is
    /// always the newer one, so reads look there first.
    fn set_secret(&self, key: &str, value: &str) -> bool {
        if let Some(keychain) = &self.keychain {
            match keychain.set(key, value) {
                Ok(()) => {
                    self.mark_removed(key, false);
                    return self.file.remove(key).is_ok();
                }
                Err(e) => {
                    tracing::warn!(key, error = %e, "the keychain refused a secret: keeping it in the owner-only file");
                    // The keychain must not keep an older value that a later run would read.
                    let _ = keychain.remove(key);
                }
            }
        }
        match self.file.set(key, value) {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(key, error = %e, "could not store a secret");
                false
            }
        }
    }

    /// The secrets removed while the keychain could not be reached (kept in the profile).
    fn removed_while_away(&self) -> Vec<String> {
        self.profile.get(REMOVED_KEY).and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default()
    }

    fn mark_removed(&self, key: &str, removed: bool) {
        let mut keys = self.removed_while_away();
        let had = keys.iter().any(|k| k == key);
        if had == removed {
            return;
        }
        keys.retain(|k| k != key);
        if removed {
            keys.push(key.to_string());
        }
        self.profile.set(REMOVED_KEY, serde_json::json!(keys));
        save(&self.profile);
    }
}

impl<R: Runtime> SessionStore for AppSessionStore<R> {
    fn get_item(&self, key: &str) -> Option<String> {
        if !SECRET_KEYS.contains(&key) {
            return self.profile.get(key).and_then(|v| v.as_str().map(str::to_string));
        }
        if let Ok(Some(newer)) = self.file.get(key) {
            return Some(newer);
        }
        if self.removed_while_away().iter().any(|k| k == key) {
            return None;
        }
        self.keychain.as_ref().and_then(|k| {
            k.get(key).unwrap_or_else(|e| {
                tracing::warn!(key, error = %e, "reading the keychain failed");
                None
            })
        })
    }

    fn set_item(&self, key: &str, value: &str) {
        if SECRET_KEYS.contains(&key) {
            // An empty list or map holds no secret: its entry goes, so that the keychain keeps
            // nothing of an account whose last device token or link request was forgotten.
            if matches!(value.trim(), "[]" | "{}") {
                return self.remove_item(key);
            }
            self.set_secret(key, value);
            return;
        }
        self.profile.set(key, serde_json::Value::String(value.to_string()));
        save(&self.profile);
    }

    fn remove_item(&self, key: &str) {
        if !SECRET_KEYS.contains(&key) {
            self.profile.delete(key);
            return save(&self.profile);
        }
        let in_keychain = self.keychain.as_ref().map(|k| k.remove(key));
        if !matches!(in_keychain, Some(Ok(()))) {
            // No keychain now (or it refused): remember to remove it there when it is back.
            if let Some(Err(e)) = in_keychain {
                tracing::warn!(key, error = %e, "removing a secret from the keychain failed");
            }
            self.mark_removed(key, true);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    /// A keychain in memory that refuses values over `max` bytes (Windows refuses over 2.5 KB).
    #[derive(Clone)]
    struct FakeKeychain(Arc<Mutex<BTreeMap<String, String>>>, usize);

    impl Secrets for FakeKeychain {
        fn get(&self, key: &str) -> Result<Option<String>, String> {
            Ok(self.0.lock().unwrap().get(key).cloned())
        }
        fn set(&self, key: &str, value: &str) -> Result<(), String> {
            if value.len() > self.1 {
                return Err("too long".into());
            }
            self.0.lock().unwrap().insert(key.into(), value.into());
            Ok(())
        }
        fn remove(&self, key: &str) -> Result<(), String> {
            self.0.lock().unwrap().remove(key);
            Ok(())
        }
    }

    fn run_of(app: &tauri::App<tauri::test::MockRuntime>, dir: &Path, keychain: Option<&FakeKeychain>) -> AppSessionStore<tauri::test::MockRuntime> {
        let profile = app.store(dir.join(STORE_FILE)).unwrap();
        AppSessionStore::assemble(profile, OwnerOnlyFile::open(dir.join(SECRETS_FILE)), keychain.map(|k| Box::new(k.clone()) as Box<dyn Secrets>))
    }

    #[test]
    fn a_sign_out_while_the_keychain_was_away_sticks_and_a_refused_secret_never_reads_stale() {
        let dir = tempfile::tempdir().unwrap();
        let app = tauri::test::mock_builder().plugin(tauri_plugin_store::Builder::default().build()).build(tauri::test::mock_context(tauri::test::noop_assets())).unwrap();
        let keychain = FakeKeychain(Arc::default(), 40);
        run_of(&app, dir.path(), Some(&keychain)).set_item(altogic::SESSION_KEY, "session of A");
        // A run without the keychain (locked): sign out, then sign in as B.
        let away = run_of(&app, dir.path(), None);
        assert_eq!(away.get_item(altogic::SESSION_KEY), None, "the keychain is not reachable");
        away.remove_item(altogic::SESSION_KEY);
        // The keychain is back: A's old session must not come back.
        let back = run_of(&app, dir.path(), Some(&keychain));
        assert_eq!(back.get_item(altogic::SESSION_KEY), None, "signed out stays signed out");
        assert_eq!(keychain.get(altogic::SESSION_KEY).unwrap(), None);
        back.set_item(altogic::SESSION_KEY, "session of B");
        assert_eq!(run_of(&app, dir.path(), Some(&keychain)).get_item(altogic::SESSION_KEY).as_deref(), Some("session of B"));
        // A value the keychain refuses goes to the file, and the older keychain value is gone.
        let store = run_of(&app, dir.path(), Some(&keychain));
        let long = "x".repeat(100);
        store.set_item(altogic::LINK_REQUESTS_KEY, "short");
        store.set_item(altogic::LINK_REQUESTS_KEY, &long);
        assert_eq!(store.get_item(altogic::LINK_REQUESTS_KEY).as_deref(), Some(long.as_str()));
        assert_eq!(keychain.get(altogic::LINK_REQUESTS_KEY).unwrap(), None);
        // A secret written to the file while the keychain was away moves in when it is back.
        run_of(&app, dir.path(), None).set_item(altogic::SESSION_KEY, "session of C");
        let reunited = run_of(&app, dir.path(), Some(&keychain));
        assert_eq!(keychain.get(altogic::SESSION_KEY).unwrap().as_deref(), Some("session of C"));
        assert_eq!(reunited.get_item(altogic::SESSION_KEY).as_deref(), Some("session of C"));
        assert_eq!(OwnerOnlyFile::open(dir.path().join(SECRETS_FILE)).get(altogic::SESSION_KEY).unwrap(), None, "not left in the file");
    }

    #[test]
    fn an_emptied_list_of_secrets_leaves_no_keychain_entry() {
        let dir = tempfile::tempdir().unwrap();
        let app = tauri::test::mock_builder().plugin(tauri_plugin_store::Builder::default().build()).build(tauri::test::mock_context(tauri::test::noop_assets())).unwrap();
        let keychain = FakeKeychain(Arc::default(), 4096);
        let store = run_of(&app, dir.path(), Some(&keychain));
        store.set_item(altogic::DEVICE_TOKENS_KEY, r#"{"a@x.io":"token"}"#);
        store.set_item(altogic::LINK_REQUESTS_KEY, "[]");
        assert_eq!(keychain.get(altogic::LINK_REQUESTS_KEY).unwrap(), None, "nothing written for an empty list");
        store.set_item(altogic::DEVICE_TOKENS_KEY, "{}");
        assert_eq!(keychain.get(altogic::DEVICE_TOKENS_KEY).unwrap(), None, "the last token forgotten, its entry went");
        assert_eq!(store.get_item(altogic::DEVICE_TOKENS_KEY), None);
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
