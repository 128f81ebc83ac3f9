//! Links only our app can open: the association files that let Android (App Links) and iOS
//! (Universal Links) hand `https://HOST/auth-redirect` to the signed app alone, and the page that
//! URL shows where the app is not installed.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::config::REDIRECT_PAGE_PATH;
use crate::error::{codes, AppError, AppResult};
use crate::AppState;

/// `/.well-known/assetlinks.json`: the package and signing certificates allowed to open our links.
pub async fn assetlinks(State(state): State<AppState>) -> AppResult<Response> {
    let Some(package) = &state.config.android_package else {
        return Err(AppError::not_found(codes::RESOURCE_NOT_FOUND, "No Android app is associated with this server (--android-package)."));
    };
    let body = serde_json::json!([{
        "relation": ["delegate_permission/common.handle_all_urls"],
        "target": {
            "namespace": "android_app",
            "package_name": package,
            "sha256_cert_fingerprints": state.config.android_cert_sha256,
        }
    }]);
    Ok(json_file(body))
}

/// `/.well-known/apple-app-site-association` (no extension, served as JSON): the apps that may
/// open the redirect page's path.
pub async fn apple_app_site_association(State(state): State<AppState>) -> AppResult<Response> {
    let ids = &state.config.apple_app_id;
    if ids.is_empty() {
        return Err(AppError::not_found(codes::RESOURCE_NOT_FOUND, "No iOS app is associated with this server (--apple-app-id)."));
    }
    let pattern = format!("{REDIRECT_PAGE_PATH}*");
    let body = serde_json::json!({
        "applinks": {
            // `components` for iOS 13+, `appID`/`paths` for older systems.
            "details": ids.iter().map(|id| serde_json::json!({
                "appIDs": [id],
                "components": [{ "/": pattern, "comment": "mail links of Altogic Auth" }],
                "appID": id,
                "paths": [pattern],
            })).collect::<Vec<_>>()
        }
    });
    Ok(json_file(body))
}

fn json_file(body: serde_json::Value) -> Response {
    let mut response = axum::Json(body).into_response();
    // Fetched by the OS's verifier, not by apps: may be cached, but not for long (keys rotate).
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    response
}

/// `GET /auth-redirect`: where a mail link lands when no app took it. Says what happened, and for a
/// link the app must finish (sign-in, reset) shows the mail's 6-digit code to type into the app on
/// the device that asked. It never redeems anything: the access token is left for that device.
pub async fn redirect_page(Query(q): Query<HashMap<String, String>>) -> Response {
    let page = RedirectPage::from_query(&q);
    let mut response = (StatusCode::OK, page.html()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    // No script, no outside resource, never framed, never cached, the URL (it carries the access
    // token) never sent onwards.
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// What the page says, decided from the redirect's query alone.
#[derive(Debug, PartialEq)]
struct RedirectPage {
    title: &'static str,
    text: &'static str,
    /// The mail's code, when the app still has to finish the link.
    code: Option<String>,
}

impl RedirectPage {
    fn from_query(q: &HashMap<String, String>) -> Self {
        let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
        let code = q.get("otp").filter(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())).cloned();
        if get("status") != "200" {
            let text = match get("code") {
                codes::EMAIL_ALREADY_EXISTS => "Another account uses this e-mail address now, so the link could not be applied.",
                _ => "This link has expired or was already used. Ask the app for a new e-mail.",
            };
            return RedirectPage { title: "This link did not work", text, code: None };
        }
        let has_token = q.contains_key("access_token");
        let finish = "Open Altogic Auth on the device where you asked for this e-mail and enter this code where it asks for the 6-digit code from the e-mail:";
        let finish_without_code = "Open this link on the device where you asked for it, with Altogic Auth installed, or type the code from the e-mail into the app.";
        let (title, text) = match get("action") {
            "change-email" => ("E-mail address changed", "Your account now uses the new address. Sign in with it in the app."),
            "reset-pwd" if has_token => ("Choose a new password in the app", if code.is_some() { finish } else { finish_without_code }),
            "magic-link" | "email-confirm" | "sign-up" if has_token => ("Finish signing in in the app", if code.is_some() { finish } else { finish_without_code }),
            "email-confirm" | "sign-up" => ("E-mail address confirmed", "You can sign in in the app now."),
            _ => ("Altogic Auth", "Open the app to continue."),
        };
        let code = if has_token { code } else { None };
        RedirectPage { title, text, code }
    }

    fn html(&self) -> String {
        let code = self.code.as_deref().map(|c| format!("<p class=\"code\" aria-label=\"code\">{c}</p><p class=\"small\">The code works for one hour, once.</p>")).unwrap_or_default();
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1, viewport-fit=cover\">\
             <meta name=\"referrer\" content=\"no-referrer\"><title>{title}</title><style>\
             body{{font-family:system-ui,sans-serif;max-width:28rem;margin:0 auto;padding:max(2rem,env(safe-area-inset-top)) 1.25rem 2rem;color:#1d2330;line-height:1.45}}\
             h1{{font-size:1.4rem}}.code{{font-size:2.2rem;font-weight:700;letter-spacing:.4rem;margin:1rem 0}}.small{{color:#5b6475;font-size:.9rem}}\
             </style></head><body><h1>{title}</h1><p>{text}</p>{code}</body></html>",
            title = self.title,
            text = self.text,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(pairs: &[(&str, &str)]) -> RedirectPage {
        RedirectPage::from_query(&pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn shows_the_code_only_when_the_app_has_something_to_finish() {
        let p = page(&[("action", "magic-link"), ("status", "200"), ("access_token", "t"), ("otp", "123456")]);
        assert_eq!(p.code.as_deref(), Some("123456"));
        assert!(p.html().contains("123456"));
        assert!(!p.html().contains(">t<"), "the access token is never shown");
        assert_eq!(page(&[("action", "change-email"), ("status", "200"), ("otp", "123456")]).code, None);
        assert_eq!(page(&[("action", "magic-link"), ("status", "400"), ("code", "invalid_access_token"), ("otp", "123456")]).code, None);
        assert_eq!(page(&[("action", "magic-link"), ("status", "200"), ("access_token", "t"), ("otp", "<b>x</b>")]).code, None, "only 6 digits");
    }
}
