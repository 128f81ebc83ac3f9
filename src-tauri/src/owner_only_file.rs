//! The secrets' fallback when there is no OS keychain: a JSON file readable by its owner only.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::session_store::Secrets;

/// A JSON file readable by its owner only: created with mode 0600 (never chmod-ed after the
/// fact), replaced atomically on every write.
pub struct OwnerOnlyFile {
    pub(crate) path: PathBuf,
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
        create_new(&tmp, &serde_json::to_vec(items).map_err(std::io::Error::other)?)?;
        std::fs::rename(&tmp, path)
    }
}

/// Writes `bytes` to a new file readable by its owner only (mode 0600 from its creation); fails
/// with `AlreadyExists` rather than replace a file.
pub fn create_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
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
    use crate::session_store::SECRETS_FILE;

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
}
