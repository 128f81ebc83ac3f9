//! The client's `session`/`user` storage on tauri-plugin-store: a JSON file in the app's private
//! data dir, written on every change and readable by its owner only.

use std::path::PathBuf;
use std::sync::Arc;

use altogic::SessionStore;
use tauri::{Manager, Runtime};
use tauri_plugin_store::{Store, StoreExt};

pub const STORE_FILE: &str = "session.json";

pub struct PluginSessionStore<R: Runtime> {
    store: Arc<Store<R>>,
    path: Option<PathBuf>,
}

impl<R: Runtime> PluginSessionStore<R> {
    pub fn open<M: Manager<R>>(app: &M) -> Result<Self, String> {
        let store = app.store(STORE_FILE).map_err(|e| format!("cannot open the session store: {e}"))?;
        let path = app.path().app_data_dir().ok().map(|d| d.join(STORE_FILE));
        Ok(PluginSessionStore { store, path })
    }

    fn persist(&self) {
        if let Err(e) = self.store.save() {
            tracing::error!(error = %e, "saving the session store failed");
        }
        #[cfg(unix)]
        if let Some(path) = &self.path {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
    }
}

impl<R: Runtime> SessionStore for PluginSessionStore<R> {
    fn get_item(&self, key: &str) -> Option<String> {
        self.store.get(key).and_then(|v| v.as_str().map(str::to_string))
    }

    fn set_item(&self, key: &str, value: &str) {
        self.store.set(key, serde_json::Value::String(value.to_string()));
        self.persist();
    }

    fn remove_item(&self, key: &str) {
        self.store.delete(key);
        self.persist();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_file_and_is_owner_only() {
        let home = tempfile::tempdir().unwrap();
        // The mock app resolves its data dir from XDG_DATA_HOME: keep the test out of the real home.
        std::env::set_var("XDG_DATA_HOME", home.path());
        let app = tauri::test::mock_builder().plugin(tauri_plugin_store::Builder::default().build()).build(tauri::test::mock_context(tauri::test::noop_assets())).unwrap();
        let store = PluginSessionStore::open(&app).unwrap();
        store.set_item("session", r#"{"token":"t"}"#);
        store.set_item("user", "{}");
        assert_eq!(store.get_item("session").as_deref(), Some(r#"{"token":"t"}"#));
        let path = store.path.clone().unwrap();
        let on_disk: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(on_disk["session"], r#"{"token":"t"}"#);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        store.remove_item("session");
        assert_eq!(store.get_item("session"), None);
        let on_disk: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert!(on_disk.get("session").is_none());
        let _ = std::fs::remove_file(path);
    }
}
