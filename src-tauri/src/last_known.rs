//! The first frame without waiting for start-up. Before the window opens the shell reads what it
//! knew when the app last ran (the profile its store kept) and puts it in the page ahead of the
//! UI's scripts (`altogic_auth_ipc::LAST_KNOWN_GLOBAL`): the UI draws Home, or Profile, on its
//! first frame, and `app_state` corrects it once start-up is done (a session ended meanwhile lands
//! on Login then). Nothing secret is in it: the session stays in the keychain.

use std::path::Path;

use altogic_auth_ipc::{AppState, LAST_KNOWN_GLOBAL};
use tauri::window::Color;

use crate::session_store::STORE_FILE;

/// The state of the app's data dir `data_dir`: the stored profile, if any. `env_url` is left
/// empty: the built-in backend's address is known only once it runs.
pub fn read(data_dir: &Path, embedded_backend: bool) -> AppState {
    AppState { user: stored_user(data_dir).map(Into::into), embedded_backend, env_url: String::new() }
}

/// The profile tauri-plugin-store's file holds (a JSON object whose `user` is the client's JSON
/// text of the user). Anything unreadable is no user: the UI then waits for `app_state` as before.
fn stored_user(data_dir: &Path) -> Option<altogic::User> {
    let bytes = std::fs::read(data_dir.join(STORE_FILE)).ok()?;
    let store: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&bytes).ok()?;
    serde_json::from_str(store.get(altogic::USER_KEY)?.as_str()?).ok()
}

/// The page's first script: `window.<LAST_KNOWN_GLOBAL> = <state>;`. JSON is a JS expression.
pub fn script(state: &AppState) -> String {
    let json = serde_json::to_string(state).unwrap_or_else(|_| "null".into());
    format!("window.{LAST_KNOWN_GLOBAL} = {json};")
}

/// The window's colour before the page paints: the page's own background (`--bg` in
/// ui/assets/style.css) in the system's theme, so nothing flashes white in the dark.
pub fn background(dark: bool) -> Color {
    if dark {
        Color(0x0f, 0x11, 0x17, 0xff)
    } else {
        Color(0xf6, 0xf7, 0xfb, 0xff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_profile_is_the_last_known_user_and_nothing_else_is() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path(), true).user, None, "no store yet");
        std::fs::write(dir.path().join(STORE_FILE), "{not json").unwrap();
        assert_eq!(read(dir.path(), true).user, None, "an unreadable store");
        let user = serde_json::json!({ "_id": "u1", "provider": "altogic", "providerUserId": "u1", "email": "ada@example.com", "name": "Ada", "signUpAt": "2026-01-01T00:00:00Z", "lastLoginAt": "2026-01-01T00:00:00Z" }).to_string();
        std::fs::write(dir.path().join(STORE_FILE), serde_json::json!({ "installId": "x", "user": user }).to_string()).unwrap();
        let state = read(dir.path(), false);
        assert_eq!(state.user.as_ref().map(|u| (u.id.as_str(), u.name.as_deref())), Some(("u1", Some("Ada"))));
        assert!(!state.embedded_backend);
        let script = script(&state);
        assert!(script.starts_with(&format!("window.{LAST_KNOWN_GLOBAL} = {{")) && script.ends_with("};"), "{script}");
        assert!(script.contains("\"email\":\"ada@example.com\""), "{script}");
    }
}
