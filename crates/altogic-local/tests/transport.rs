//! What crosses a network in the clear: HSTS behind https, SMTP without TLS to another machine,
//! and the mail's code inside links that travel over plain http.

mod common;

use common::*;

const PAGE: &str = "https://auth.example/auth-redirect";

#[tokio::test]
async fn behind_https_browsers_are_told_to_stay_on_https() {
    let t = server(|c| c.public_url = Some("https://auth.example".into())).await;
    let resp = t.http.get(t.url("/_local/v1/health")).send().await.unwrap();
    assert_eq!(resp.headers()["strict-transport-security"], "max-age=31536000");
    let err = t.http.get(t.url("/_api/rest/v1/no-such")).send().await.unwrap();
    assert!(err.headers().contains_key("strict-transport-security"), "errors too");
    // Plain http (this machine, development): a browser would ignore it, and it must not stick.
    let plain = server(|_| {}).await;
    assert!(!plain.http.get(plain.url("/_local/v1/health")).send().await.unwrap().headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn mail_to_another_machine_without_tls_is_refused_unless_allowed() {
    let start = |url: &str, insecure: bool| {
        let url = url.to_string();
        async move {
            let dir = tempfile::tempdir().unwrap();
            let mut config = altogic_local::Config::loopback(dir.path());
            config.smtp_url = Some(url);
            config.smtp_insecure = insecure;
            match altogic_local::start(config).await {
                Ok(server) => Ok(server.shutdown().await),
                Err(e) => Err(e.to_string()),
            }
        }
    };
    for refused in ["smtp://mail.example.com:25", "smtp://user:pass@mail.example.com:587?tls=opportunistic", "smtp://10.0.0.5:25"] {
        let err = start(refused, false).await.unwrap_err();
        assert!(err.contains("without TLS") && err.contains("--smtp-insecure"), "{refused}: {err}");
    }
    for allowed in ["smtps://user:pass@mail.example.com:465", "smtp://mail.example.com:587?tls=required", "smtp://localhost:1025", "smtp://127.0.0.1:1025", "smtp://[::1]:1025"] {
        start(allowed, false).await.unwrap_or_else(|e| panic!("{allowed}: {e}"));
    }
    start("smtp://mail.example.com:25", true).await.expect("--smtp-insecure allows it");
}

#[tokio::test]
async fn the_code_rides_in_links_only_over_https() {
    // The page is https, but the links point at this server over plain http on another machine:
    // anyone on the path would read the code in the link's query.
    let plain = server(|c| {
        c.redirect_url = PAGE.into();
        c.public_url = Some("http://auth.example".into());
    })
    .await;
    let email = email("plain");
    plain.client().auth().sign_up_with_name(&email, PASSWORD, "P").await.unwrap();
    let mail = plain.latest_mail(&email).await;
    assert!(mail.link.starts_with("http://auth.example/") && !mail.link.contains("otp="), "{}", mail.link);

    let secure = server(|c| {
        c.redirect_url = PAGE.into();
        c.public_url = Some("https://auth.example".into());
    })
    .await;
    secure.client().auth().sign_up_with_name(&email, PASSWORD, "S").await.unwrap();
    let mail = secure.latest_mail(&email).await;
    assert!(mail.link.contains(&format!("otp={}", mail.code)), "{}", mail.link);
}
