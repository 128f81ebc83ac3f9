//! The first frame without waiting for start-up. Before the window opens the shell reads what it
//! knew when the app last ran (the profile its store kept) and puts it in the page ahead of the
//! UI's scripts (`altogic_auth_ipc::LAST_KNOWN_GLOBAL`): the UI draws Home, or Profile, on its
//! first frame, and `app_state` corrects it once start-up is done (a session ended meanwhile lands
//! on Login then). Nothing secret is in it: the session stays in the keychain.

use std::path::Path;

use altogic_auth_ipc::{AppState, LAST_KNOWN_GLOBAL};
use tauri::window::Color;

use crate::session_store::STORE_FILE;

/// The state of the app's data dir `data_dir`: the stored profile, or none when there is no store
/// (a first run) or it holds no user. None when the store cannot be read: then nothing is put in
/// the page and the UI waits for `app_state`. `env_url` is left empty: the built-in backend's
/// address is known only once it runs.
pub fn read(data_dir: &Path, embedded_backend: bool) -> Option<AppState> {
    let user = match std::fs::read(data_dir.join(STORE_FILE)) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(_) => return None,
        Ok(bytes) => stored_user(&bytes)?,
    };
    Some(AppState { user: user.map(Into::into), embedded_backend, env_url: String::new() })
}

/// The profile in tauri-plugin-store's file (a JSON object whose `user` is the client's JSON text
/// of the user): Some(None) when it holds none, None when it cannot be read.
fn stored_user(bytes: &[u8]) -> Option<Option<altogic::User>> {
    let store: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(bytes).ok()?;
    match store.get(altogic::USER_KEY) {
        None => Some(None),
        Some(user) => Some(Some(serde_json::from_str(user.as_str()?).ok()?)),
    }
}

/// The page's first script: `window.<LAST_KNOWN_GLOBAL> = <state>;`. JSON is a JS expression; `<`,
/// `>` and `&` are escaped too (as `\u003c`…, still the same JSON), because a webview that cannot
/// run scripts at document start (old Android WebViews) pastes this into the HTML as a <script>,
/// where a name holding `</script>` would end it. U+2028/9 are escaped for older JS parsers.
pub fn script(state: &AppState) -> String {
    let json = serde_json::to_string(state).unwrap_or_else(|_| "null".into());
    let mut safe = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => safe.push_str(&format!("\\u{:04x}", c as u32)),
            c => safe.push(c),
        }
    }
    format!("window.{LAST_KNOWN_GLOBAL} = {safe};")
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
        assert_eq!(read(dir.path(), true).map(|s| s.user), Some(None), "no store yet: a first run, signed out");
        std::fs::write(dir.path().join(STORE_FILE), "{not json").unwrap();
        assert_eq!(read(dir.path(), true), None, "an unreadable store: nothing to show before app_state");
        std::fs::write(dir.path().join(STORE_FILE), serde_json::json!({ "installId": "x" }).to_string()).unwrap();
        assert_eq!(read(dir.path(), true).map(|s| s.user), Some(None), "a store without a user: signed out");
        let user = serde_json::json!({ "_id": "u1", "provider": "altogic", "providerUserId": "u1", "email": "ada@example.com", "name": "Ada", "signUpAt": "2026-01-01T00:00:00Z", "lastLoginAt": "2026-01-01T00:00:00Z" }).to_string();
        std::fs::write(dir.path().join(STORE_FILE), serde_json::json!({ "installId": "x", "user": user }).to_string()).unwrap();
        let state = read(dir.path(), false).unwrap();
        assert_eq!(state.user.as_ref().map(|u| (u.id.as_str(), u.name.as_deref())), Some(("u1", Some("Ada"))));
        assert!(!state.embedded_backend);
        let script = script(&state);
        assert!(script.starts_with(&format!("window.{LAST_KNOWN_GLOBAL} = {{")) && script.ends_with("};"), "{script}");
        assert!(script.contains("\"email\":\"ada@example.com\""), "{script}");
    }

    #[test]
    fn a_name_cannot_end_the_script_or_the_html_around_it() {
        let name = "</script><script>alert(1)</script><!-- & \u{2028}";
        let state = AppState { user: Some(altogic_auth_ipc::UserView { id: "u".into(), email: None, name: Some(name.into()), profile_picture: None }), embedded_backend: false, env_url: String::new() };
        let script = script(&state);
        for bad in ['<', '>', '&', '\u{2028}'] {
            assert!(!script.contains(bad), "{bad:?} in {script}");
        }
        // Still the same JSON: the page reads back the very name.
        let json = script.trim_start_matches(&format!("window.{LAST_KNOWN_GLOBAL} = ")).trim_end_matches(';');
        let back: AppState = serde_json::from_str(json).unwrap();
        assert_eq!(back.user.unwrap().name.as_deref(), Some(name));
    }
}
