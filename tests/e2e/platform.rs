//! Phones and the OS: every screen at 390×844, the session in the keychain.

use super::*;

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
