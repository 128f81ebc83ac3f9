//! Mail links coming back as deep links (`altogic-auth://auth-redirect?action=…`). The access token
//! stays here, as the pending redirect, until the UI asks to complete it.

use std::sync::Mutex;

use altogic::RedirectParams;
use altogic_auth_ipc::{event, RedirectView};
use tauri::{AppHandle, Emitter, Manager, Runtime};

#[derive(Default)]
pub struct PendingRedirect(Mutex<Option<RedirectParams>>);

impl PendingRedirect {
    pub fn set(&self, params: RedirectParams) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(params);
    }
    pub fn get(&self) -> Option<RedirectParams> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
    pub fn take(&self) -> Option<RedirectParams> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// Only our scheme and host are accepted; anything else handed to the app is ignored.
pub fn parse(url: &str) -> Option<RedirectParams> {
    let parsed = url::Url::parse(url).ok()?;
    if parsed.scheme() != "altogic-auth" || parsed.host_str() != Some("auth-redirect") {
        return None;
    }
    RedirectParams::parse(url).ok()
}

pub fn view(p: &RedirectParams) -> RedirectView {
    RedirectView { action: p.action.as_str().to_string(), status: p.status, error: p.error.clone(), has_token: p.access_token.is_some() }
}

/// Keeps the redirect, tells the UI and brings the window forward.
pub fn deliver<R: Runtime>(app: &AppHandle<R>, urls: impl IntoIterator<Item = String>) {
    for url in urls {
        let Some(params) = parse(&url) else {
            tracing::warn!("ignoring a link that is not an auth redirect");
            continue;
        };
        let view = view(&params);
        app.state::<PendingRedirect>().set(params);
        let _ = app.emit(event::AUTH_REDIRECT, view);
        if let Some(window) = app.get_webview_window("main") {
            let _ = window.unminimize();
            let _ = window.set_focus();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_auth_redirects_of_our_scheme() {
        let p = parse("altogic-auth://auth-redirect?action=magic-link&status=200&access_token=abc").unwrap();
        assert_eq!(view(&p), RedirectView { action: "magic-link".into(), status: 200, error: None, has_token: true });
        let e = parse("altogic-auth://auth-redirect?action=email-confirm&status=400&error=Invalid+or+expired+access+token").unwrap();
        assert_eq!(view(&e).error.as_deref(), Some("Invalid or expired access token"));
        assert!(!view(&e).has_token);
        assert!(parse("https://auth-redirect/?action=magic-link&status=200").is_none());
        assert!(parse("altogic-auth://elsewhere?action=magic-link&status=200").is_none());
        assert!(parse("altogic-auth://auth-redirect?status=200").is_none());
        assert!(parse("not a url").is_none());
    }

    #[test]
    fn the_pending_redirect_is_kept_until_taken() {
        let pending = PendingRedirect::default();
        pending.set(parse("altogic-auth://auth-redirect?action=reset-pwd&status=200&access_token=t").unwrap());
        assert!(pending.get().is_some());
        assert_eq!(pending.take().unwrap().access_token.as_deref(), Some("t"));
        assert!(pending.get().is_none());
    }
}
