//! Start-up: the first screen is drawn at once from what the shell last knew, the slow part
//! (backend, keychain) begins only after it, and no command answers before that part is done.

use std::time::{Duration, Instant};

use super::*;

/// How long start-up is held back (`ALTOGIC_AUTH_START_DELAY_MS`, debug builds only).
const HELD: Duration = Duration::from_secs(8);

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn the_first_screen_shows_before_start_up_and_no_command_answers_until_it_is_done() {
    let mut h = Harness::with(AppBackend::TestServer).await;
    let email = h.account("startup").await;
    h.set_env("ALTOGIC_AUTH_START_DELAY_MS", &HELD.as_millis().to_string()).await;

    // A first run knows no user: Home, interactive, while start-up is held back.
    let launched = Instant::now();
    let app = h.launch().await;
    app.click("#home-login").await;
    app.fill("#email", &email).await;
    app.fill("#password", PASSWORD).await;
    assert!(launched.elapsed() < HELD, "Home and Login answered input before start-up ({:?})", launched.elapsed());
    app.click("#login-button").await;
    // The sign-in waits for start-up: still on Login, busy, until then.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(launched.elapsed() < HELD, "checked before start-up");
    assert_eq!(app.path().await, "/login", "no answer before start-up");
    app.wait_path("/profile").await;
    assert!(launched.elapsed() >= HELD, "the sign-in answered after start-up ({:?})", launched.elapsed());
    app.text_contains("#hello", "Hello, Robin").await;
    app.close().await;

    // The next run draws Profile from the last known state on its first frame, the user's name
    // included; what needs the backend (the session list) comes only after start-up.
    let launched = Instant::now();
    let app = h.launch().await;
    app.wait_path("/profile").await;
    app.text_contains("#hello", "Hello, Robin").await;
    assert_eq!(app.text("#user-email").await, email);
    assert!(launched.elapsed() < HELD, "Profile before start-up ({:?})", launched.elapsed());
    assert!(app.client.find(fantoccini::Locator::Css("#sessions li")).await.is_err(), "no session list before start-up");
    app.screenshot("startup-profile-before-start-up").await;
    app.wait_for("#sessions li").await;
    assert!(launched.elapsed() >= HELD, "the session list answered after start-up ({:?})", launched.elapsed());

    // A session ended while the app was closed: the last known Profile shows, then Login says so.
    let other = h.client();
    other.auth().sign_in_with_email(&email, PASSWORD).await.unwrap();
    other.auth().sign_out_all_except_current().await.unwrap();
    app.close().await;
    let launched = Instant::now();
    let app = h.launch().await;
    app.wait_path("/profile").await;
    app.text_contains("#hello", "Hello, Robin").await;
    assert!(launched.elapsed() < HELD, "the last known Profile before start-up ({:?})", launched.elapsed());
    app.wait_path("/login").await;
    app.text_contains("#login-notice", "Your session has ended. Please sign in again.").await;
    app.close().await;
}
