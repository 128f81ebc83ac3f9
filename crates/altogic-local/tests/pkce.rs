//! PKCE for mail links (an altogic-local extension): a link asked for with a code challenge opens
//! only with the verifier of that request, and the Rust client binds every link it asks for.

mod common;

use altogic::{AltogicClient, ClientOptions, RedirectAction};
use common::*;
use serde_json::json;

/// RFC 7636 appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// Another verifier, shaped right.
const OTHER: &str = "Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg";

fn pkce_client(t: &TestServer) -> AltogicClient {
    t.client_with(ClientOptions { pkce: true, ..Default::default() })
}

async fn send_magic(t: &TestServer, email: &str, challenge: Option<&str>, method: Option<&str>) -> reqwest::Response {
    let mut query = vec![("email", email)];
    if let Some(c) = challenge {
        query.push(("codeChallenge", c));
    }
    if let Some(m) = method {
        query.push(("codeChallengeMethod", m));
    }
    t.raw(reqwest::Method::POST, "/_api/rest/v1/auth/send-magic").query(&query).send().await.unwrap()
}

async fn grant(t: &TestServer, token: &str, verifier: Option<&str>) -> (u16, serde_json::Value) {
    let mut query = vec![("key", token)];
    if let Some(v) = verifier {
        query.push(("codeVerifier", v));
    }
    let resp = t.raw(reqwest::Method::GET, "/_api/rest/v1/auth/grant").query(&query).send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn a_bound_token_opens_only_with_its_verifier_and_stays_unspent_until_then() {
    let t = verifying().await;
    let (_, email) = t.signed_in_user("bound").await;
    // A second request with another challenge: its verifier must not open the first one's token.
    assert_eq!(send_magic(&t, &email, Some(CHALLENGE), Some("S256")).await.status(), 200);
    let mail = t.next_mail(&email, 1).await;
    let token = t.open_link(&mail.link).await.access_token.unwrap();
    for wrong in [None, Some(OTHER), Some("short"), Some(CHALLENGE)] {
        let (status, body) = grant(&t, &token, wrong).await;
        assert_eq!((status, error_code(&body)), (400, "invalid_code_verifier"), "{wrong:?}");
    }
    let (status, body) = grant(&t, &token, Some(VERIFIER)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["email"], email.as_str());
    let (status, body) = grant(&t, &token, Some(VERIFIER)).await;
    assert_eq!((status, error_code(&body)), (403, "invalid_access_token"), "single use");
}

#[tokio::test]
async fn an_unbound_token_works_as_before_and_takes_no_verifier() {
    let t = verifying().await;
    let (_, email) = t.signed_in_user("unbound").await;
    assert_eq!(send_magic(&t, &email, None, None).await.status(), 200);
    let token = t.open_link(&t.next_mail(&email, 1).await.link).await.access_token.unwrap();
    // A verifier for an unbound token is refused (unspent): a PKCE client learns from a success
    // that the token was bound to its own request.
    let (status, body) = grant(&t, &token, Some(VERIFIER)).await;
    assert_eq!((status, error_code(&body)), (400, "invalid_code_verifier"));
    assert_eq!(grant(&t, &token, None).await.0, 200);
}

#[tokio::test]
async fn malformed_challenges_are_refused_before_anything_is_sent() {
    let t = verifying().await;
    let (_, email) = t.signed_in_user("challenge").await;
    for (challenge, method) in [(Some(CHALLENGE), Some("plain")), (Some("too-short"), None), (None, Some("S256")), (Some(&"x".repeat(43)[..42]), Some("S256"))] {
        let resp = send_magic(&t, &email, challenge, method).await;
        assert_eq!(resp.status(), 400, "{challenge:?} {method:?}");
        assert_eq!(error_code(&resp.json().await.unwrap()), "invalid_code_challenge");
    }
    let resp = t
        .raw(reqwest::Method::POST, "/_api/rest/v1/auth/signup-email")
        .json(&json!({ "email": common::email("c"), "password": PASSWORD, "codeChallenge": CHALLENGE, "codeChallengeMethod": "S512" }))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(&resp.json().await.unwrap()), "invalid_code_challenge");
    // Nothing was mailed by the refused requests.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(t.mails(&email).await.len(), 1);
}

#[tokio::test]
async fn the_code_of_a_bound_mail_needs_the_verifier_too() {
    let t = verifying().await;
    let email = common::email("bound-code");
    let resp = t
        .raw(reqwest::Method::POST, "/_api/rest/v1/auth/signup-email")
        .json(&json!({ "email": email, "password": PASSWORD, "nameOrUserData": "B", "codeChallenge": CHALLENGE, "codeChallengeMethod": "S256" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let code = t.latest_mail(&email).await.code;
    let verify = |verifier: Option<&str>| {
        let mut body = json!({ "email": email, "code": code });
        if let Some(v) = verifier {
            body["codeVerifier"] = json!(v);
        }
        t.raw(reqwest::Method::POST, "/_api/rest/v1/auth/verify-code").json(&body).send()
    };
    for wrong in [None, Some(OTHER)] {
        let resp = verify(wrong).await.unwrap();
        assert_eq!((resp.status().as_u16(), error_code(&resp.json().await.unwrap())), (400, "invalid_code_verifier"));
    }
    let resp = verify(Some(VERIFIER)).await.unwrap();
    assert_eq!(resp.status(), 200);
    let exchange: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(exchange["action"], "email-confirm");
    // The token the code gave is bound the same way.
    let token = exchange["accessToken"].as_str().or(exchange["access_token"].as_str()).unwrap().to_string();
    assert_eq!(grant(&t, &token, None).await.0, 400);
    assert_eq!(grant(&t, &token, Some(VERIFIER)).await.0, 200);
}

#[tokio::test]
async fn a_bound_reset_needs_its_verifier() {
    let t = verifying().await;
    let (_, email) = t.signed_in_user("bound-reset").await;
    let resp = t.raw(reqwest::Method::POST, "/_api/rest/v1/auth/send-reset").query(&[("email", email.as_str()), ("codeChallenge", CHALLENGE)]).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let token = t.open_link(&t.next_mail(&email, 1).await.link).await.access_token.unwrap();
    let reset = |verifier: Option<&str>| {
        let mut query = vec![("key", token.clone())];
        if let Some(v) = verifier {
            query.push(("codeVerifier", v.to_string()));
        }
        t.raw(reqwest::Method::POST, "/_api/rest/v1/auth/reset-pwd").query(&query).json(&json!({ "newPassword": "a reset password" })).send()
    };
    assert_eq!(reset(Some(OTHER)).await.unwrap().status(), 400);
    assert_eq!(reset(None).await.unwrap().status(), 400);
    assert_eq!(reset(Some(VERIFIER)).await.unwrap().status(), 200);
    t.client().auth().sign_in_with_email(&email, "a reset password").await.unwrap();
}

#[tokio::test]
async fn the_rust_client_binds_its_links_and_refuses_links_it_did_not_ask_for() {
    let t = verifying().await;
    let (_, email) = t.signed_in_user("client").await;
    let phone = pkce_client(&t);
    let laptop = pkce_client(&t);
    // The phone asks; the laptop (another device, no request) and a plain client cannot use it.
    phone.auth().send_magic_link_email(&email).await.unwrap();
    assert_eq!(phone.link_requests().len(), 1);
    let token = t.open_link(&t.next_mail(&email, 1).await.link).await.access_token.unwrap();
    let err = laptop.auth().get_auth_grant(&token).await.unwrap_err();
    assert!(matches!(err, altogic::Error::Client { code: "link_not_requested_here", .. }), "{err}");
    assert!(laptop.session().is_none());
    assert!(t.client().auth().get_auth_grant(&token).await.unwrap_err().has_code("invalid_code_verifier"));
    // The laptop has a request of its own for another address: its verifier does not fit either.
    laptop.auth().send_magic_link_email(&common::email("elsewhere")).await.unwrap();
    let err = laptop.auth().get_auth_grant(&token).await.unwrap_err();
    assert!(matches!(err, altogic::Error::Client { code: "link_not_requested_here", .. }), "{err}");
    // An unbound link (asked for by a plain client) is refused by a PKCE client: no silent sign-in.
    t.client().auth().send_magic_link_email(&email).await.unwrap();
    let unbound = t.open_link(&t.next_mail(&email, 2).await.link).await.access_token.unwrap();
    assert!(phone.auth().get_auth_grant(&unbound).await.is_err());
    assert!(phone.session().is_none());
    // The phone's own link works, after all that, and its request is spent.
    let (user, _) = phone.auth().get_auth_grant(&token).await.unwrap();
    assert_eq!(user.email.as_deref(), Some(email.as_str()));
    assert!(phone.link_requests().is_empty());
}

#[tokio::test]
async fn the_rust_client_binds_sign_up_reset_and_code() {
    let t = verifying().await;
    let store = std::sync::Arc::new(altogic::MemoryStore::default());
    let device = |store: &std::sync::Arc<altogic::MemoryStore>| t.client_with(ClientOptions { pkce: true, storage: store.clone(), ..Default::default() });
    let phone = device(&store);
    let email = common::email("pkce-signup");
    phone.auth().sign_up_with_name(&email, PASSWORD, "P").await.unwrap();
    // The app restarts between asking and clicking: the request is in its store.
    let restarted = device(&store);
    let code = t.latest_mail(&email).await.code;
    let exchange = restarted.auth().verify_email_code(&email, &code).await.unwrap();
    assert_eq!(exchange.action, RedirectAction::EmailConfirm.as_str());
    restarted.auth().get_auth_grant(exchange.access_token.as_deref().unwrap()).await.unwrap();

    restarted.auth().send_reset_pwd_email(&email).await.unwrap();
    let token = t.open_link(&t.next_mail(&email, 1).await.link).await.access_token.unwrap();
    assert!(pkce_client(&t).auth().reset_pwd_with_token(&token, "stolen reset 1").await.is_err());
    restarted.auth().reset_pwd_with_token(&token, "owner's reset 1").await.unwrap();
    t.client().auth().sign_in_with_email(&email, "owner's reset 1").await.unwrap();
}

#[tokio::test]
async fn a_bound_sign_up_becomes_an_account_only_on_the_device_that_asked() {
    let t = verifying().await;
    let victim = common::email("bound-victim");
    // The attacker signs the victim's address up, bound to his device.
    let resp = t
        .raw(reqwest::Method::POST, "/_api/rest/v1/auth/signup-email")
        .json(&json!({ "email": victim, "password": "attacker's password", "codeChallenge": CHALLENGE, "codeChallengeMethod": "S256" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // The victim's mail scanner (or the victim) opens the link: that alone makes no account.
    let token = t.open_link(&t.latest_mail(&victim).await.link).await.access_token.unwrap();
    assert!(t.server.state.store.user_by_email(&victim).await.unwrap().is_none(), "opening a bound link confirms nothing");
    assert!(t.client().auth().sign_in_with_email(&victim, "attacker's password").await.unwrap_err().has_code("email_not_verified"));
    // The token went to the victim's browser, not to the attacker; without the verifier it does nothing.
    assert_eq!(grant(&t, &token, None).await.0, 400);
    assert!(t.server.state.store.user_by_email(&victim).await.unwrap().is_none());
    // Had it reached the device that asked, it would confirm the sign-up there and sign in.
    let (status, body) = grant(&t, &token, Some(VERIFIER)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["emailVerified"], true);
}
