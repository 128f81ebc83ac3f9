//! Links only our app can open: the App Links / Universal Links association files, and the
//! https redirect page a mail link lands on where the app is not installed.

mod common;

use altogic::ClientOptions;
use common::*;

const FINGERPRINT: &str = "14:6D:E9:83:C5:73:06:50:D8:EE:B9:95:2F:34:FC:64:16:A0:83:42:E6:1D:BE:A8:8A:04:96:B2:3F:CF:44:E5";
const PAGE: &str = "https://auth.example.test/auth-redirect";

async fn associated() -> TestServer {
    server(|c| {
        c.android_package = Some("com.altogic.auth".into());
        c.android_cert_sha256 = vec![FINGERPRINT.into()];
        c.apple_app_id = vec!["ABCDE12345.com.altogic.auth".into()];
    })
    .await
}

async fn get(t: &TestServer, path: &str) -> (u16, String, String) {
    let resp = t.http.get(t.url(path)).send().await.unwrap();
    let ct = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (resp.status().as_u16(), ct, resp.text().await.unwrap())
}

#[tokio::test]
async fn assetlinks_names_the_package_and_its_signing_certificates() {
    let t = associated().await;
    let (status, ct, body) = get(&t, "/.well-known/assetlinks.json").await;
    assert_eq!((status, ct.as_str()), (200, "application/json"));
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        json,
        serde_json::json!([{
            "relation": ["delegate_permission/common.handle_all_urls"],
            "target": { "namespace": "android_app", "package_name": "com.altogic.auth", "sha256_cert_fingerprints": [FINGERPRINT] }
        }])
    );
}

#[tokio::test]
async fn apple_app_site_association_is_json_and_claims_only_the_redirect_page() {
    let t = associated().await;
    let (status, ct, body) = get(&t, "/.well-known/apple-app-site-association").await;
    assert_eq!((status, ct.as_str()), (200, "application/json"));
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let details = &json["applinks"]["details"][0];
    assert_eq!(details["appIDs"], serde_json::json!(["ABCDE12345.com.altogic.auth"]));
    assert_eq!(details["components"][0]["/"], "/auth-redirect*");
    assert_eq!(details["paths"], serde_json::json!(["/auth-redirect*"]), "iOS 12 and older read `paths`");
}

#[tokio::test]
async fn without_an_app_configured_there_is_no_association() {
    let t = verifying().await;
    for path in ["/.well-known/assetlinks.json", "/.well-known/apple-app-site-association"] {
        let (status, ct, body) = get(&t, path).await;
        assert_eq!((status, ct.as_str()), (404, "application/json"), "{path}");
        assert!(body.contains("resource_not_found"), "{body}");
    }
}

/// Where the app is not installed: the mail link lands on the page, which says what happened and
/// shows the mail's code; the device that asked types it and is signed in. The page itself redeems
/// nothing, and without the asking device's verifier neither the token nor the code is any use.
#[tokio::test]
async fn the_redirect_page_shows_the_code_that_finishes_on_the_device_that_asked() {
    let t = server(|c| c.redirect_url = PAGE.into()).await;
    let phone = t.client_with(ClientOptions { pkce: true, ..Default::default() });
    let email = email("page");
    phone.auth().sign_up_with_name(&email, PASSWORD, "Page").await.unwrap();
    let mail = t.latest_mail(&email).await;

    // A browser opens the link: 302 to the https page, with the code for the page.
    let resp = t.http.get(&mail.link).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(&format!("{PAGE}?")), "{location}");
    let to_page = url::Url::parse(&location).unwrap();
    let query = to_page.query().unwrap();
    let otp = to_page.query_pairs().find(|(k, _)| k == "otp").map(|(_, v)| v.into_owned()).expect("the code for the page");
    assert_eq!(otp, mail.code);

    // The page (served by this server at that path).
    let page = t.http.get(t.url(&format!("/auth-redirect?{query}"))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert!(headers["content-security-policy"].to_str().unwrap().starts_with("default-src 'none'"));
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    let html = page.text().await.unwrap();
    assert!(html.contains("Finish signing in in the app") && html.contains(&otp), "{html}");
    let access_token = to_page.query_pairs().find(|(k, _)| k == "access_token").map(|(_, v)| v.into_owned()).unwrap();
    assert!(!html.contains(&access_token), "the page never shows the access token");

    // Someone else (no verifier) with the code and the token gets nothing.
    let stranger = t.client();
    assert!(stranger.auth().verify_email_code(&email, &otp).await.unwrap_err().has_code("invalid_code_verifier"));
    assert!(stranger.auth().get_auth_grant(&access_token).await.unwrap_err().has_code("invalid_code_verifier"));
    // The device that asked types the code: the account exists and is signed in there.
    let exchange = phone.auth().verify_email_code(&email, &otp).await.unwrap();
    let (user, _) = phone.auth().get_auth_grant(exchange.access_token.as_deref().unwrap()).await.unwrap();
    assert_eq!(user.email.as_deref(), Some(email.as_str()));
}

/// A custom scheme can be claimed by any app: the code is never put into a redirect to one, nor
/// into mail links when links do not go to the page.
#[tokio::test]
async fn the_code_never_travels_to_a_custom_scheme() {
    let t = verifying().await;
    let email = email("scheme");
    t.client().auth().sign_up_with_name(&email, PASSWORD, "Scheme").await.unwrap();
    let mail = t.latest_mail(&email).await;
    assert!(!mail.link.contains("otp="), "{}", mail.link);
    // Even when a link is crafted with one.
    let crafted = format!("{}&otp={}", mail.link, mail.code);
    let resp = t.http.get(&crafted).send().await.unwrap();
    let location = resp.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("altogic-auth://auth-redirect?") && !location.contains("otp"), "{location}");
}

#[tokio::test]
async fn the_redirect_page_says_what_went_wrong_without_echoing_the_query() {
    let t = verifying().await;
    let (status, ct, html) = get(&t, "/auth-redirect?action=magic-link&status=401&code=invalid_access_token&error=%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
    assert_eq!((status, ct.as_str()), (200, "text/html; charset=utf-8"));
    assert!(html.contains("This link did not work"), "{html}");
    assert!(!html.contains("<script") && !html.contains("alert(1)"), "attacker text is never echoed: {html}");
}

/// Plain http to another machine would carry the code in the clear: it is never added there.
#[tokio::test]
async fn the_code_never_travels_in_the_clear() {
    let t = server(|c| c.redirect_url = "http://auth.example.test/auth-redirect".into()).await;
    let email = email("clear");
    t.client().auth().sign_up_with_name(&email, PASSWORD, "Clear").await.unwrap();
    let mail = t.latest_mail(&email).await;
    assert!(!mail.link.contains("otp="), "{}", mail.link);
    let resp = t.http.get(format!("{}&otp={}", mail.link, mail.code)).send().await.unwrap();
    let location = resp.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("http://auth.example.test/auth-redirect?") && !location.contains("otp"), "{location}");
}

#[tokio::test]
async fn the_redirect_page_answers_with_a_trailing_slash_too() {
    let t = verifying().await;
    let (status, ct, html) = get(&t, "/auth-redirect/?action=change-email&status=200").await;
    assert_eq!((status, ct.as_str()), (200, "text/html; charset=utf-8"));
    assert!(html.contains("E-mail address changed"), "{html}");
}
