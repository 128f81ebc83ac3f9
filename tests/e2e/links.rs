//! Mail links as the app receives them: deep links, cold starts, links it did not ask for.

use super::*;

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn magic_link_through_a_deep_link() {
    let h = Harness::new().await;
    let email = h.account("magic").await;
    let app = h.launch().await;
    app.click("#home-magic").await;
    app.fill("#email", &email).await;
    app.click("#magic-button").await;
    app.text_contains("#success", "Email sent! Check your inbox.").await;
    app.screenshot("06-magic-link-sent").await;
    let mail = h.latest_mail(&email, "magic-link").await;
    assert_eq!(mail.action, "magic-link");
    h.deep_link(&h.follow(&mail.link).await);
    app.wait_path("/profile").await;
    app.text_contains("#hello", "Hello, Robin").await;
    app.close().await;
}

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn a_failed_link_shows_the_apps_words_never_the_links_text() {
    let h = Harness::new().await;
    let app = h.launch().await;
    app.wait_for("#home-login").await;
    h.deep_link("altogic-auth://auth-redirect?action=magic-link&status=400&code=invalid_access_token&error=Invalid+or+expired+access+token");
    app.wait_path("/auth-redirect").await;
    app.text_contains("#errors", "This link has expired or has already been used. Please request a new one.").await;
    app.wait_for("#back-link").await;
    app.screenshot("07-redirect-error").await;
    // A crafted link's text never reaches the screen, whatever its code.
    app.click("#back-link").await;
    app.wait_path("/login").await;
    h.deep_link("altogic-auth://auth-redirect?action=magic-link&status=401&code=account_locked&error=Your+account+is+locked,+call+555-0100");
    app.text_contains("#errors", "This link could not be used. Please request a new one.").await;
    let page = app.text("main").await;
    assert!(!page.contains("locked") && !page.contains("555"), "the link's text is on screen: {page}");
    app.close().await;
}

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn a_link_this_device_did_not_ask_for_never_signs_in() {
    let h = Harness::new().await;
    let email = h.account("injected").await;
    // Another device (a PKCE client of its own) asks for a magic link; its link reaches this app.
    let other_device = AltogicClient::new(&h.server.url, &h.server.client_key, ClientOptions { pkce: true, ..Default::default() }).unwrap();
    other_device.auth().send_magic_link_email(&email).await.unwrap();
    let link = h.follow(&h.latest_mail(&email, "magic-link").await.link).await;
    let app = h.launch().await;
    app.wait_for("#home-login").await;
    h.deep_link(&link);
    app.wait_path("/auth-redirect").await;
    app.text_contains("#errors", "This link was requested on another device. Open it there, or enter the 6-digit code on the device that asked for it.").await;
    app.screenshot("07b-link-from-another-device").await;
    app.click("#back-link").await;
    app.wait_path("/login").await;
    // An unbound link (asked for without PKCE, say by an attacker mailing his own) is refused too.
    let first = h.latest_mail(&email, "magic-link").await.id;
    h.client().auth().send_magic_link_email(&email).await.unwrap();
    let mut mail = h.latest_mail(&email, "magic-link").await;
    while mail.id == first {
        tokio::time::sleep(Duration::from_millis(100)).await;
        mail = h.latest_mail(&email, "magic-link").await;
    }
    let link = h.follow(&mail.link).await;
    h.deep_link(&link);
    app.wait_path("/auth-redirect").await;
    app.text_contains("#errors", "requested on another device").await;
    // Nobody was signed in by either link.
    app.go("/profile").await;
    app.wait_path("/login").await;
    app.close().await;
}

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn a_link_for_another_account_asks_before_switching() {
    let h = Harness::new().await;
    let mine = h.account("mine").await;
    let theirs = h.account("theirs").await;
    let app = h.launch().await;
    // Signed out, this device asks a magic link for `theirs`; then it signs in as `mine`.
    app.wait_for("#home-magic").await;
    app.click("#home-magic").await;
    app.fill("#email", &theirs).await;
    app.click("#magic-button").await;
    app.text_contains("#success", "Email sent!").await;
    app.go("/").await;
    sign_in_through_the_ui(&app, &mine, PASSWORD).await;
    let link = h.follow(&h.latest_mail(&theirs, "magic-link").await.link).await;
    h.deep_link(&link);
    app.text_contains("#switch-question", &format!("This link signs you in as {theirs}. Switch account?")).await;
    app.screenshot("07c-switch-account").await;
    // No keeps the current session (and is the focused default).
    app.click("#switch-no").await;
    app.wait_path("/profile").await;
    app.text_contains("#hello", "Hello, Robin").await;
    let me = app.text("#user-email").await;
    assert!(me.contains(&mine), "still signed in as {mine}: {me}");
    app.close().await;
}

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn reset_password_through_the_deep_link() {
    let h = Harness::new().await;
    let email = h.account("reset").await;
    let app = h.launch().await;
    app.click("#home-login").await;
    app.click("#forgot-link").await;
    app.fill("#email", &email).await;
    app.click("#reset-send-button").await;
    app.wait_for("#success").await;
    let mail = h.latest_mail(&email, "reset-pwd").await;
    assert_eq!(mail.action, "reset-pwd");
    let link = h.follow(&mail.link).await;
    assert_eq!(RedirectParams::parse(&link).unwrap().action, altogic::RedirectAction::ResetPwd);
    h.deep_link(&link);
    app.wait_path("/auth-redirect").await;
    app.fill("#new-password", "a brand new password").await;
    app.screenshot("11-reset-password").await;
    app.click("#reset-button").await;
    app.text_contains("#success", "password").await;
    h.client().auth().sign_in_with_email(&email, "a brand new password").await.expect("the new password works");
    app.close().await;
}

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn a_mail_link_that_starts_the_app_signs_in_on_cold_start() {
    let h = Harness::new().await;
    let email = format!("cold-{}@example.com", std::process::id());
    // The app asks for the link, then is closed: the request (its PKCE verifier) survives.
    let app = h.launch().await;
    register_through_the_ui(&app, &email, "Cold Start", false).await;
    app.close().await;
    let link = h.follow(&h.latest_mail(&email, "email-confirm").await.link).await;
    // The OS starts the app with the link as its argument (get_current on Linux).
    let app = h.launch_with_args(&[&link]).await;
    app.wait_path("/profile").await;
    app.text_contains("#hello", "Hello, Cold Start").await;
    app.close().await;
}
