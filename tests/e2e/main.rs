//! End-to-end tests of the app through WebDriver (tauri-driver + WebKitWebDriver) against a real
//! altogic-local. Ignored by a plain `cargo test`: they need a display and a D-Bus session, so
//! scripts/test.sh runs them with `xvfb-run dbus-run-session … -- --ignored --test-threads=1`.
//! Screenshots of each screen go to tests/artifacts/.

mod a11y;
mod account;
mod distribution;
mod links;
mod newcomer;
mod platform;
mod profile;
mod startup;
mod support;
mod two_step;

use std::time::Duration;

use altogic::{AltogicClient, ClientOptions, RedirectParams};
use support::*;

const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";

async fn sign_in_through_the_ui(app: &App, email: &str, password: &str) {
    app.wait_for("#home-login").await;
    app.click("#home-login").await;
    app.fill("#email", email).await;
    app.fill("#password", password).await;
    app.click("#login-button").await;
    app.wait_path("/profile").await;
}

/// From Home, signs up through the Register screen (screenshots under `shots`, if given).
async fn register_through_the_ui(app: &App, email: &str, name: &str, shots: bool) {
    app.wait_for("#home-register").await;
    if shots {
        app.screenshot("01-home").await;
    }
    app.click("#home-register").await;
    app.fill("#email", email).await;
    app.fill("#name", name).await;
    app.fill("#password", PASSWORD).await;
    if shots {
        app.screenshot("02-register").await;
    }
    app.click("#register-button").await;
    app.text_contains("#success", "Your account has been created. Please check your email to verify your account.").await;
}

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn register_then_the_mail_link_as_a_deep_link_opens_the_profile() {
    let h = Harness::new().await;
    let app = h.launch().await;
    let email = format!("new-{}@example.com", std::process::id());
    register_through_the_ui(&app, &email, "Ada Lovelace", true).await;
    app.screenshot("03-register-check-inbox").await;

    let mail = h.latest_mail(&email, "email-confirm").await;
    assert_eq!(mail.action, "email-confirm");
    h.deep_link(&h.follow(&mail.link).await);
    app.wait_path("/profile").await;
    app.text_contains("#hello", "Hello, Ada Lovelace").await;
    app.wait_for("#sessions li.is-current").await;
    app.screenshot("04-profile").await;
    app.close().await;
}

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn login_shows_api_errors_then_signs_in_and_out() {
    let h = Harness::new().await;
    let email = h.account("login").await;
    let app = h.launch().await;
    app.wait_for("#home-login").await;
    app.click("#home-login").await;
    app.fill("#email", &email).await;
    app.fill("#password", "not the password").await;
    app.click("#login-button").await;
    app.text_contains("#errors", "Invalid credentials").await;
    app.screenshot("05-login-error").await;
    assert_eq!(app.path().await, "/login");

    app.fill("#password", PASSWORD).await;
    app.click("#login-button").await;
    app.wait_path("/profile").await;
    app.text_contains("#hello", "Hello, Robin").await;
    app.click("#logout").await;
    app.gone("#logout").await;
    assert_ne!(app.path().await, "/profile");
    // The server session is gone too.
    let sessions = {
        let c = h.client();
        c.auth().sign_in_with_email(&email, PASSWORD).await.unwrap();
        c.auth().get_all_sessions().await.unwrap()
    };
    assert_eq!(sessions.len(), 2, "the Rust client's two sign-ins only (setup and now); the app's session ended");
    app.close().await;
}

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn guarded_routes_redirect_like_the_original() {
    let h = Harness::new().await;
    let email = h.account("guard").await;
    let app = h.launch().await;
    app.wait_for("#home-login").await;
    app.go("/profile").await;
    app.wait_path("/login").await;
    app.fill("#email", &email).await;
    app.fill("#password", PASSWORD).await;
    app.click("#login-button").await;
    app.wait_path("/profile").await;
    for guest_only in ["/login", "/register", "/login-with-magic-link", "/"] {
        app.go(guest_only).await;
        app.wait_path("/profile").await;
    }
    app.close().await;
}

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn the_dev_mailbox_completes_sign_up_inside_the_app_on_the_built_in_backend() {
    let h = Harness::with(AppBackend::Embedded).await;
    let app = h.launch().await;
    app.wait_for("#mailbox-link").await;
    app.click("#home-register").await;
    app.fill("#email", "mailbox@example.com").await;
    app.fill("#name", "Mia").await;
    app.fill("#password", PASSWORD).await;
    app.click("#register-button").await;
    app.wait_for("#success").await;
    app.go("/mailbox").await;
    app.text_contains("#mails", "Confirm your e-mail address").await;
    app.text_contains("#mails", "mailbox@example.com").await;
    app.screenshot("12-dev-mailbox").await;
    app.click("#mails li .open-link").await;
    app.wait_path("/profile").await;
    app.text_contains("#hello", "Hello, Mia").await;
    app.close().await;
}

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn a_backend_that_is_down_gets_a_clear_message() {
    let h = Harness::with(AppBackend::Down).await;
    let app = h.launch().await;
    app.click("#home-login").await;
    app.fill("#email", "someone@example.com").await;
    app.fill("#password", PASSWORD).await;
    app.click("#login-button").await;
    app.text_contains("#offline-banner", "Can't reach the server").await;
    app.screenshot("13-backend-down").await;
    assert_eq!(app.path().await, "/login");
    app.close().await;
}
