//! Two-step verification in the app: setting it up from the screen (the test reads the secret the
//! way a person types it into an authenticator app, and computes the codes itself), signing in
//! with a password, a magic link and a recovery code, and turning it off through the step-up dialog.

use super::*;
use altogic_local::totp::parse_base32;

/// Sets two-step verification up through Profile → Security; returns the secret and the
/// recovery codes the screen showed.
async fn set_up(h: &Harness, app: &App) -> (Vec<u8>, Vec<String>) {
    app.click("#mfa-setup").await;
    app.wait_for("#totp-qr svg").await;
    let secret = parse_base32(&app.text("#totp-secret").await).expect("the key on screen is base32");
    assert!(secret.len() >= 20, "at least 160 bits");
    app.screenshot("20-two-step-set-up").await;
    // A wrong first code is refused, and the set-up stays open.
    app.fill("#totp-code", "000000").await;
    app.click("#totp-confirm").await;
    app.text_contains("#totp-errors", "not valid").await;
    app.fill("#totp-code", &h.next_code(&secret)).await;
    app.click("#totp-confirm").await;
    app.wait_for("#recovery-codes li").await;
    let mut codes = Vec::new();
    for item in app.client.find_all(fantoccini::Locator::Css("#recovery-codes li")).await.unwrap() {
        codes.push(item.text().await.unwrap().trim().to_string());
    }
    assert_eq!(codes.len(), 10, "{codes:?}");
    app.screenshot("21-recovery-codes").await;
    // Done only after saying they are kept.
    assert_eq!(app.wait_for("#codes-done").await.prop("disabled").await.unwrap().as_deref(), Some("true"));
    app.click("#codes-save").await;
    let note = app.text_contains("#codes-note", "Saved to").await;
    let path = note.trim_start_matches("Saved to ").trim();
    assert!(path.starts_with(h.home.path().join("downloads").to_str().unwrap()), "{path}");
    let saved = std::fs::read_to_string(path).unwrap();
    assert!(codes.iter().all(|c| saved.contains(c.as_str())), "{saved}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(path).unwrap().permissions().mode() & 0o777, 0o600, "recovery codes sign in: owner-only");
    app.click("#codes-saved").await;
    app.click("#codes-done").await;
    app.text_contains("#mfa-state", "On. 10 recovery codes left").await;
    (secret, codes)
}

async fn log_out(app: &App) {
    app.click("#logout").await;
    app.wait_path("/login").await;
}

/// From Login, the password: the first step.
async fn password_step(app: &App, email: &str) {
    app.fill("#email", email).await;
    app.fill("#password", PASSWORD).await;
    app.click("#login-button").await;
}

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn two_step_verification_guards_the_password_the_magic_link_and_takes_a_recovery_code_once() {
    let h = Harness::new().await;
    let email = h.account("two-step").await;
    let app = h.launch().await;
    sign_in_through_the_ui(&app, &email, PASSWORD).await;
    let (secret, codes) = set_up(&h, &app).await;
    assert!(h.latest_mail(&email, "notice:mfa-enabled").await.link.is_empty());

    // The password: then the code screen; a wrong code says so; the right one signs in.
    log_out(&app).await;
    password_step(&app, &email).await;
    app.wait_path("/two-step").await;
    app.text_contains("#mfa-prompt", "Enter the 6-digit code from your authenticator app").await;
    app.screenshot("22-two-step-sign-in").await;
    app.fill("#mfa-code", "000000").await;
    app.click("#mfa-verify").await;
    app.text_contains("#errors", "not valid").await;
    app.fill("#mfa-code", &h.next_code(&secret)).await;
    app.click("#mfa-verify").await;
    app.wait_path("/profile").await;
    app.text_contains("#hello", "Hello, Robin").await;

    // A magic link: the mailbox alone is not enough either. A recovery code finishes it.
    log_out(&app).await;
    app.click("#magic-link").await;
    app.fill("#email", &email).await;
    app.click("#magic-button").await;
    app.text_contains("#success", "Check your inbox").await;
    let mail = h.latest_mail(&email, "magic-link").await;
    h.deep_link(&h.follow(&mail.link).await);
    app.wait_path("/two-step").await;
    app.click("#mfa-switch").await;
    app.text_contains("#mfa-prompt", "Each recovery code works once").await;
    app.fill("#mfa-code", &codes[0].to_lowercase()).await;
    app.click("#mfa-verify").await;
    app.wait_path("/profile").await;
    app.text_contains("#mfa-state", "On. 9 recovery codes left").await;
    assert!(h.latest_mail(&email, "notice:recovery-code-used").await.link.is_empty());

    // The same recovery code again: refused. Giving up goes back to Login.
    log_out(&app).await;
    password_step(&app, &email).await;
    app.wait_path("/two-step").await;
    app.click("#mfa-switch").await;
    app.fill("#mfa-code", &codes[0]).await;
    app.click("#mfa-verify").await;
    app.text_contains("#errors", "not valid").await;
    app.click("#mfa-cancel").await;
    app.wait_path("/login").await;
    // Without a sign-in waiting, the code screen has nothing to finish.
    app.go("/two-step").await;
    app.wait_path("/login").await;
    app.text_contains("#login-notice", "sign in again").await;
    app.close().await;
}

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn an_expired_second_step_goes_back_to_login_with_a_message() {
    let h = Harness::new().await;
    let email = h.account("two-step-expiry").await;
    let app = h.launch().await;
    sign_in_through_the_ui(&app, &email, PASSWORD).await;
    let (secret, _) = set_up(&h, &app).await;
    log_out(&app).await;
    password_step(&app, &email).await;
    app.wait_path("/two-step").await;
    // Five minutes go by.
    h.server.state.clock.advance(5 * 60 + 1);
    app.fill("#mfa-code", &h.next_code(&secret)).await;
    app.click("#mfa-verify").await;
    app.wait_path("/login").await;
    app.text_contains("#login-notice", "Your sign-in expired").await;
    app.close().await;
}

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn turning_two_step_verification_off_asks_to_confirm_it_is_you() {
    let h = Harness::new().await;
    let email = h.account("two-step-off").await;
    let app = h.launch().await;
    sign_in_through_the_ui(&app, &email, PASSWORD).await;
    let (secret, _) = set_up(&h, &app).await;
    // Past the re-authentication window (5 minutes) since this session signed in.
    h.server.state.clock.advance(301);
    app.click("#mfa-disable").await;
    app.fill("#mfa-action-code", &h.next_code(&secret)).await;
    app.click("#mfa-action-submit").await;
    // The server wants a recent authentication: the dialog asks for a code (two-step is on).
    app.wait_for("#step-up-code").await;
    app.screenshot("23-step-up").await;
    app.fill("#step-up-code", "000000").await;
    app.click("#step-up-confirm").await;
    app.text_contains("#step-up-errors", "Invalid credentials").await;
    app.fill("#step-up-code", &h.next_code(&secret)).await;
    app.click("#step-up-confirm").await;
    app.gone("#step-up").await;
    // Retried once with the code typed before, which is older than the one that just confirmed
    // it is you (a code works once): the form asks for the next code.
    app.text_contains("#mfa-action-errors", "next code").await;
    app.fill("#mfa-action-code", &h.next_code(&secret)).await;
    app.click("#mfa-action-submit").await;
    app.text_contains("#mfa-success", "Two-step verification is off.").await;
    app.text_contains("#mfa-state", "Off.").await;
    assert!(h.latest_mail(&email, "notice:mfa-disabled").await.link.is_empty());
    // The password alone signs in again.
    log_out(&app).await;
    password_step(&app, &email).await;
    app.wait_path("/profile").await;
    app.close().await;
}
