//! Where the client keeps `"session"` and `"user"` (JSON strings), like altogic-js's `localStorage`
//! option. The app backs this with its private store; tests use [`MemoryStore`].

use std::collections::HashMap;
use std::sync::Mutex;

pub const SESSION_KEY: &str = "session";
pub const USER_KEY: &str = "user";
/// The device tokens this client was given, by address (JSON): a secret, like the session.
pub const DEVICE_TOKENS_KEY: &str = "deviceTokens";

pub trait SessionStore: Send + Sync {
    fn get_item(&self, key: &str) -> Option<String>;
    fn set_item(&self, key: &str, value: &str);
    fn remove_item(&self, key: &str);
}

#[derive(Default)]
pub struct MemoryStore {
    items: Mutex<HashMap<String, String>>,
}

impl SessionStore for MemoryStore {
    fn get_item(&self, key: &str) -> Option<String> {
        self.items.lock().unwrap_or_else(|e| e.into_inner()).get(key).cloned()
    }
    fn set_item(&self, key: &str, value: &str) {
        self.items.lock().unwrap_or_else(|e| e.into_inner()).insert(key.into(), value.into());
    }
    fn remove_item(&self, key: &str) {
        self.items.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }
}
