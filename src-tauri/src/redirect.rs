//! Mail links coming back as deep links (`altogic-auth://auth-redirect?action=…`). The access token
//! stays here, as the pending redirect, until the UI asks to complete it.

use std::sync::Mutex;

use altogic::{AltogicClient, LinkPurpose, LinkRequest, RedirectAction, RedirectParams};
use altogic_auth_ipc::{event, RedirectView};
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::AppCtx;

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
    /// Drops the pending link if it is still `done`: one that arrived meanwhile stays.
    pub fn take_if(&self, done: &RedirectParams) {
        let mut pending = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if pending.as_ref() == Some(done) {
            pending.take();
        }
    }
}

/// The redirect page's path on an App Link host (altogic-local serves the page there).
const APP_LINK_PATH: &str = "/auth-redirect";

/// Only our links are accepted: `altogic-auth://auth-redirect` (desktop), and on phones
/// `https://<an App Link host>/auth-redirect`. Anything else handed to the app is ignored.
pub fn parse(url: &str, app_link_hosts: &[String]) -> Option<RedirectParams> {
    let parsed = url::Url::parse(url).ok()?;
    let ours = match parsed.scheme() {
        "altogic-auth" => parsed.host_str() == Some("auth-redirect"),
        "https" => parsed.host_str().is_some_and(|h| app_link_hosts.iter().any(|a| a.eq_ignore_ascii_case(h))) && parsed.path().trim_end_matches('/') == APP_LINK_PATH,
        _ => false,
    };
    if !ours {
        return None;
    }
    RedirectParams::parse(url).ok()
}

/// The https hosts tauri.conf.json declares as App Links (`plugins.deep-link.mobile[]` entries
/// with `appLink: true`): links to them open only this signed app on phones.
pub fn app_link_hosts(config: &tauri::Config) -> Vec<String> {
    let mobile = config.plugins.0.get("deep-link").and_then(|d| d.get("mobile")).and_then(|m| m.as_array()).cloned().unwrap_or_default();
    mobile
        .iter()
        .filter(|e| e.get("appLink").and_then(|v| v.as_bool()) == Some(true))
        .filter(|e| e.get("scheme").and_then(|v| v.as_array()).is_some_and(|s| s.iter().any(|x| x == "https")))
        .filter_map(|e| e.get("host").and_then(|h| h.as_str()).map(str::to_string))
        .collect()
}

/// What the UI may know of a redirect, given what this device asked for.
pub fn view(p: &RedirectParams, client: &AltogicClient) -> RedirectView {
    let signed_in_as = client.session().and(client.user()).and_then(|u| u.email);
    view_for(p, client.pkce().then(|| client.link_requests()), signed_in_as.as_deref())
}

/// `requests`: this device's outstanding link requests, None without PKCE (then nothing is known
/// about where a link came from, and the server alone decides).
pub fn view_for(p: &RedirectParams, requests: Option<Vec<LinkRequest>>, signed_in_as: Option<&str>) -> RedirectView {
    let fits = |purpose: LinkPurpose| match p.action {
        RedirectAction::ResetPwd => purpose.resets_password(),
        ref action if action.grants_session() => purpose.grants_session(),
        // A change of address applies when the link is opened; nothing is redeemed here.
        _ => true,
    };
    let candidates: Option<Vec<LinkRequest>> = requests.map(|list| list.into_iter().filter(|r| fits(r.purpose)).collect());
    let requested_here = candidates.as_ref().is_none_or(|c| !c.is_empty());
    // Signed in as A and the link may be B's: ask before switching.
    let signs_in_as = match (&candidates, signed_in_as) {
        (Some(c), Some(current)) if p.action.grants_session() => c.iter().find(|r| !r.is_for(current)).map(|r| r.email.clone()),
        _ => None,
    };
    RedirectView {
        action: p.action.as_str().to_string(),
        status: p.status,
        error_code: (!p.is_success()).then(|| p.code.clone().unwrap_or_default()),
        has_token: p.access_token.is_some(),
        requested_here,
        signs_in_as,
    }
}

/// Keeps the redirect, tells the UI and brings the window forward.
pub fn deliver<R: Runtime>(app: &AppHandle<R>, urls: impl IntoIterator<Item = String>) {
    let hosts = app_link_hosts(app.config());
    for url in urls {
        let Some(params) = parse(&url, &hosts) else {
            tracing::warn!("ignoring a link that is not an auth redirect");
            continue;
        };
        let view = app.try_state::<AppCtx>().map(|ctx| view(&params, &ctx.client));
        app.state::<PendingRedirect>().set(params);
        // Before setup is done there is no UI to tell: it asks for the pending redirect itself.
        if let Some(view) = view {
            let _ = app.emit(event::AUTH_REDIRECT, view);
        }
        bring_forward(app);
    }
}

/// On desktop the window may be minimized or behind others; on phones the OS has already brought
/// the app to the front to deliver the link.
fn bring_forward<R: Runtime>(app: &AppHandle<R>) {
    #[cfg(desktop)]
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
    #[cfg(mobile)]
    let _ = app;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Option<RedirectParams> {
        super::parse(url, &["auth.altogic-auth.app".to_string()])
    }

    fn no_pkce(p: &RedirectParams) -> RedirectView {
        view_for(p, None, None)
    }

    #[test]
    fn accepts_only_auth_redirects_of_our_scheme() {
        let p = parse("altogic-auth://auth-redirect?action=magic-link&status=200&access_token=abc").unwrap();
        let v = no_pkce(&p);
        assert_eq!((v.action.as_str(), v.status, v.has_token, v.requested_here, v.error_code), ("magic-link", 200, true, true, None));
        let e = parse("altogic-auth://auth-redirect?action=email-confirm&status=400&code=invalid_access_token&error=Call+555-0100").unwrap();
        let v = no_pkce(&e);
        assert_eq!(v.error_code.as_deref(), Some("invalid_access_token"));
        assert!(!v.has_token);
        assert!(parse("https://auth-redirect/?action=magic-link&status=200").is_none());
        assert!(parse("altogic-auth://elsewhere?action=magic-link&status=200").is_none());
        assert!(parse("altogic-auth://auth-redirect?status=200").is_none());
        assert!(parse("not a url").is_none());
        // App Links: https on a declared host and the page's path only.
        assert!(parse("https://auth.altogic-auth.app/auth-redirect?action=magic-link&status=200&access_token=t&otp=123456").is_some());
        assert!(parse("https://auth.altogic-auth.app/auth-redirect/?action=magic-link&status=200&access_token=t").is_some(), "a trailing slash added on the way");
        assert!(parse("https://evil.example/auth-redirect?action=magic-link&status=200&access_token=t").is_none());
        assert!(parse("https://auth.altogic-auth.app/elsewhere?action=magic-link&status=200").is_none());
        assert!(parse("http://auth.altogic-auth.app/auth-redirect?action=magic-link&status=200").is_none(), "never cleartext");
    }

    #[test]
    fn the_app_link_hosts_come_from_tauri_conf() {
        let config: tauri::Config = serde_json::from_str(include_str!("../../tauri.conf.json")).unwrap();
        assert_eq!(app_link_hosts(&config), ["auth.altogic-auth.app"]);
    }

    #[test]
    fn a_link_is_known_here_only_when_this_device_asked_for_one_like_it() {
        let json = |list: serde_json::Value| -> Vec<LinkRequest> { serde_json::from_value(list).unwrap() };
        let magic = parse("altogic-auth://auth-redirect?action=magic-link&status=200&access_token=t").unwrap();
        let reset = parse("altogic-auth://auth-redirect?action=reset-pwd&status=200&access_token=t").unwrap();
        let asked = |purpose: &str, email: &str| json(serde_json::json!([{ "purpose": purpose, "email": email, "verifier": "v", "createdAt": 1 }]));
        assert!(!view_for(&magic, Some(vec![]), None).requested_here, "nothing asked for");
        assert!(!view_for(&magic, Some(asked("reset-pwd", "a@x.io")), None).requested_here, "a reset is not a sign-in");
        assert!(view_for(&magic, Some(asked("sign-up", "a@x.io")), None).requested_here);
        assert!(view_for(&reset, Some(asked("reset-pwd", "a@x.io")), None).requested_here);
        // Signed in as a@: a sign-in link asked for b@ asks first; one asked for a@ does not.
        assert_eq!(view_for(&magic, Some(asked("magic-link", "b@x.io")), Some("a@x.io")).signs_in_as.as_deref(), Some("b@x.io"));
        assert_eq!(view_for(&magic, Some(asked("magic-link", "A@x.io")), Some("a@x.io")).signs_in_as, None);
    }

    #[test]
    fn the_pending_redirect_is_kept_until_taken() {
        let pending = PendingRedirect::default();
        let first = parse("altogic-auth://auth-redirect?action=magic-link&status=200&access_token=a").unwrap();
        pending.set(first.clone());
        // A newer link arrived while the first was being completed: completing the first keeps it.
        let newer = parse("altogic-auth://auth-redirect?action=reset-pwd&status=200&access_token=b").unwrap();
        pending.set(newer.clone());
        pending.take_if(&first);
        assert_eq!(pending.get(), Some(newer.clone()));
        pending.take_if(&newer);
        assert!(pending.get().is_none());
        pending.set(parse("altogic-auth://auth-redirect?action=reset-pwd&status=200&access_token=t").unwrap());
        assert!(pending.get().is_some());
        assert_eq!(pending.take().unwrap().access_token.as_deref(), Some("t"));
        assert!(pending.get().is_none());
    }
}
