//! End-to-end tests of the app through WebDriver (tauri-driver + WebKitWebDriver) against a real
//! altogic-local. Ignored by a plain `cargo test`: they need a display and a D-Bus session, so
//! scripts/test.sh runs them with `xvfb-run dbus-run-session … -- --ignored --test-threads=1`.
//! Screenshots of each screen go to tests/artifacts/.

mod e2e_support;

use std::time::Duration;

use altogic::{AltogicClient, ClientOptions, RedirectParams};
use e2e_support::*;

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
async fn name_changes_inline_and_persists_across_a_restart() {
    let h = Harness::new().await;
    let email = h.account("name").await;
    let app = h.launch().await;
    sign_in_through_the_ui(&app, &email, PASSWORD).await;
    app.click("#change-name").await;
    app.fill("#name-input", &format!("Discarded{ESCAPE}")).await;
    app.text_contains("#hello", "Hello, Robin").await;
    app.click("#change-name").await;
    app.fill("#name-input", &format!("Grace Hopper{ENTER}")).await;
    app.text_contains("#hello", "Hello, Grace Hopper").await;
    app.screenshot("08-name-changed").await;
    app.close().await;

    let c = h.client();
    c.auth().sign_in_with_email(&email, PASSWORD).await.unwrap();
    assert_eq!(c.auth().get_user_from_db().await.unwrap().name.as_deref(), Some("Grace Hopper"));

    // Restarted, the app is still signed in (the session is in its private store).
    let app = h.launch().await;
    app.wait_path("/profile").await;
    app.text_contains("#hello", "Hello, Grace Hopper").await;
    app.close().await;
}

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn a_session_revoked_while_closed_lands_on_login_after_restart() {
    let h = Harness::new().await;
    let email = h.account("revoked").await;
    let app = h.launch().await;
    sign_in_through_the_ui(&app, &email, PASSWORD).await;
    app.close().await;

    let c = h.client();
    c.auth().sign_in_with_email(&email, PASSWORD).await.unwrap();
    c.auth().sign_out_all().await.unwrap();

    let app = h.launch().await;
    app.wait_path("/login").await;
    app.wait_for("#login-button").await;
    app.close().await;
}

/// A 1×1 PNG.
const PNG_B64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn an_uploaded_avatar_is_shown() {
    let h = Harness::new().await;
    let email = h.account("avatar").await;
    let app = h.launch().await;
    sign_in_through_the_ui(&app, &email, PASSWORD).await;
    let initials = app.wait_for("#avatar-img").await;
    assert_eq!(initials.tag_name().await.unwrap().to_lowercase(), "svg", "initials drawn locally without a picture");
    app.wait_for("#avatar-input").await;
    app.client
        .execute(
            "const bin = atob(arguments[0]); const bytes = new Uint8Array(bin.length);
             for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
             const dt = new DataTransfer(); dt.items.add(new File([bytes], 'me.png', {type: 'image/png'}));
             const input = document.querySelector('#avatar-input'); input.files = dt.files;
             input.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![serde_json::json!(PNG_B64)],
        )
        .await
        .unwrap();
    let mut src = String::new();
    for _ in 0..100 {
        if let Ok(img) = app.client.find(fantoccini::Locator::Css("img#avatar-img")).await {
            src = img.attr("src").await.unwrap().unwrap_or_default();
            if src.contains("/_storage/") {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(src.starts_with(&h.server.url) && src.contains("/_storage/"), "avatar src: {src}");
    let loaded = app.client.execute("const i = document.querySelector('img#avatar-img'); return i.complete && i.naturalWidth > 0;", vec![]).await.unwrap();
    assert_eq!(loaded, serde_json::json!(true), "the picture loads in the webview");
    app.screenshot("09-avatar").await;
    let c = h.client();
    c.auth().sign_in_with_email(&email, PASSWORD).await.unwrap();
    assert_eq!(c.auth().get_user_from_db().await.unwrap().profile_picture.as_deref(), Some(src.as_str()));
    app.close().await;
}

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn another_session_is_listed_with_its_device_and_can_be_revoked() {
    let h = Harness::new().await;
    let email = h.account("sessions").await;
    let phone = altogic::AltogicClient::new(
        &h.server.url,
        &h.server.client_key,
        ClientOptions { user_agent: altogic::user_agent::build("AltogicAuth", "0.1.0", "Pixel 8"), ..Default::default() },
    )
    .unwrap();
    phone.auth().sign_in_with_email(&email, PASSWORD).await.unwrap();

    let app = h.launch().await;
    sign_in_through_the_ui(&app, &email, PASSWORD).await;
    app.wait_for("#sessions li.is-current").await;
    app.text_contains("#sessions", "Pixel 8").await;
    app.screenshot("10-sessions").await;
    let rows = app.client.find_all(fantoccini::Locator::Css("#sessions li")).await.unwrap();
    let mut revoked = false;
    for row in rows {
        if row.text().await.unwrap().contains("Pixel 8") {
            row.find(fantoccini::Locator::Css(".revoke")).await.unwrap().click().await.unwrap();
            revoked = true;
            break;
        }
    }
    assert!(revoked);
    for _ in 0..100 {
        if !app.text("#sessions").await.contains("Pixel 8") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!app.text("#sessions").await.contains("Pixel 8"), "the revoked session vanished");
    assert!(phone.auth().get_user_from_db().await.unwrap_err().has_code("invalid_session_token"));
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

/// What overflows the viewport sideways, and which controls are smaller than a fingertip (44 px),
/// on the current screen.
async fn phone_layout_faults(app: &App) -> (f64, Vec<String>, Vec<String>) {
    let js = r#"
        const vw = document.documentElement.clientWidth;
        const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : '');
        const visible = e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e); return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'; };
        const wide = Array.from(document.querySelectorAll('body *')).filter(e => visible(e) && e.getBoundingClientRect().right > vw + 0.5).map(name);
        const small = Array.from(document.querySelectorAll('button, .btn, input:not([type=file]):not(.visually-hidden)')).filter(visible)
            .filter(e => e.getBoundingClientRect().height < 43.5).map(e => name(e) + ' ' + Math.round(e.getBoundingClientRect().height) + 'px');
        return [vw, document.documentElement.scrollWidth, wide, small];
    "#;
    let v = app.client.execute(js, vec![]).await.unwrap();
    let list = |i: usize| v[i].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect::<Vec<_>>();
    let (vw, scroll_width) = (v[0].as_f64().unwrap(), v[1].as_f64().unwrap());
    let mut wide = list(2);
    if scroll_width > vw {
        wide.insert(0, format!("the page scrolls sideways: {scroll_width} > {vw}"));
    }
    (vw, wide, list(3))
}

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn every_screen_fits_a_phone_at_390_by_844() {
    let h = Harness::new().await;
    let email = h.account("phone").await;
    let app = h.launch().await;
    app.client.set_window_size(390, 844).await.unwrap();
    app.wait_for("#home-login").await;
    let screens = [
        ("/", "#home-login"),
        ("/login", "#login-button"),
        ("/register", "#register-button"),
        ("/login-with-magic-link", "#magic-button"),
        ("/forgot-password", "#reset-send-button"),
    ];
    let mut faults = Vec::new();
    let mut check = |name: &str, (vw, wide, small): (f64, Vec<String>, Vec<String>)| {
        assert!(vw <= 390.0, "the window is phone-sized: {vw}");
        if !wide.is_empty() || !small.is_empty() {
            faults.push(format!("{name}: wider than the screen {wide:?}; under 44 px {small:?}"));
        }
    };
    for (path, ready) in screens {
        app.go(path).await;
        app.wait_for(ready).await;
        app.screenshot(&format!("phone{}", path.replace('/', "-"))).await;
        check(path, phone_layout_faults(&app).await);
    }
    // Signed in: the profile, with its longest content (the session list, the security forms).
    app.go("/login").await;
    app.fill("#email", &email).await;
    app.fill("#password", PASSWORD).await;
    app.click("#login-button").await;
    app.wait_path("/profile").await;
    app.wait_for("#sessions li.is-current").await;
    app.screenshot("phone-profile").await;
    check("/profile", phone_layout_faults(&app).await);
    assert!(faults.is_empty(), "{faults:#?}");
    app.close().await;
}

/// The session token is in the OS keychain (the Secret Service of the test's D-Bus session), in
/// no file of the app's, and a restart still finds it.
#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn the_session_lives_in_the_keychain_and_in_no_file() {
    let h = Harness::new().await;
    let email = h.account("keychain").await;
    let app = h.launch().await;
    sign_in_through_the_ui(&app, &email, PASSWORD).await;
    app.close().await;

    let found = std::process::Command::new("secret-tool").args(["search", "--all", "--unlock", "service", "com.altogic.auth"]).output().expect("secret-tool runs");
    let listing = String::from_utf8_lossy(&found.stdout).into_owned() + &String::from_utf8_lossy(&found.stderr);
    let token = listing
        .lines()
        .filter_map(|l| l.strip_prefix("secret = "))
        .filter_map(|s| serde_json::from_str::<serde_json::Value>(s).ok())
        .find_map(|v| v.get("token").and_then(|t| t.as_str()).map(str::to_string))
        .unwrap_or_else(|| panic!("no session in the keychain:\n{listing}"));
    assert!(token.len() > 20, "a real token: {token}");
    let mut files = Vec::new();
    // The app's own XDG dirs (the server's data dir sits beside them).
    let mut dirs: Vec<_> = ["data", "config", "cache"].iter().map(|d| h.home.path().join(d)).filter(|d| d.exists()).collect();
    assert!(!dirs.is_empty());
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if std::fs::read(&path).is_ok_and(|bytes| bytes.windows(token.len()).any(|w| w == token.as_bytes())) {
                files.push(path);
            }
        }
    }
    assert!(files.is_empty(), "the token is on disk in {files:?}");

    let app = h.launch().await;
    app.wait_path("/profile").await;
    app.wait_for("#sessions li.is-current").await;
    app.close().await;
}
