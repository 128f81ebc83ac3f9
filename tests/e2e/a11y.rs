//! Accessibility (issue 22): axe-core, pinned in tests/a11y/package.json, injected into the
//! app's webview through WebDriver and run on every screen and state, in the light and the dark
//! theme. A violation of WCAG 2.0/2.1/2.2 A or AA fails the test, which prints the rule, the
//! elements and the help URL of each.

use super::*;

/// Walks every screen and state of the app on its built-in backend (the Dev mailbox is one of
/// them), collecting axe's violations.
async fn every_screen(h: &Harness, theme: &str) {
    let app = h.launch().await;
    let dark = app.client.execute("return matchMedia('(prefers-color-scheme: dark)').matches;", vec![]).await.unwrap();
    assert_eq!(dark, serde_json::Value::Bool(theme == "dark"), "the app runs in the {theme} theme");
    let mut found = Vec::new();
    let mut check = |v: Vec<String>| found.extend(v);

    app.wait_for("#home-login").await;
    check(app.axe(&format!("{theme}-home")).await);

    app.click("#home-login").await;
    app.wait_for("#login-button").await;
    check(app.axe(&format!("{theme}-login")).await);
    app.fill("#email", "nobody@example.com").await;
    app.fill("#password", "not the password").await;
    app.click("#login-button").await;
    app.wait_for("#errors").await;
    check(app.axe(&format!("{theme}-login-error")).await);

    app.click("#forgot-link").await;
    app.wait_for("#reset-send-button").await;
    check(app.axe(&format!("{theme}-forgot-password")).await);

    app.go("/").await;
    app.wait_for("#home-magic").await;
    app.click("#home-magic").await;
    app.wait_for("#magic-button").await;
    check(app.axe(&format!("{theme}-magic-link")).await);
    app.fill("#email", "someone@example.com").await;
    app.click("#magic-button").await;
    app.text_contains("main", "Email sent").await;
    check(app.axe(&format!("{theme}-magic-link-sent")).await);

    app.go("/").await;
    app.wait_for("#home-register").await;
    app.click("#home-register").await;
    app.wait_for("#register-button").await;
    check(app.axe(&format!("{theme}-register")).await);
    let email = format!("a11y-{theme}-{}@example.com", std::process::id());
    app.fill("#email", &email).await;
    app.fill("#name", "Ada Lovelace").await;
    app.fill("#password", "weak").await;
    app.wait_for("#password-strength").await;
    check(app.axe(&format!("{theme}-register-weak-password")).await);
    app.fill("#password", PASSWORD).await;
    app.click("#register-button").await;
    app.text_contains("#success", "Your account has been created").await;
    check(app.axe(&format!("{theme}-register-check-inbox")).await);

    // The Dev mailbox (the built-in backend's), and its confirmation link: Profile.
    app.go("/mailbox").await;
    app.text_contains("#mails", &email).await;
    check(app.axe(&format!("{theme}-mailbox")).await);
    app.click("#mails li .open-link").await;
    app.wait_path("/profile").await;
    app.wait_for("#hello").await;
    check(app.axe(&format!("{theme}-profile")).await);

    app.click("#change-name").await;
    app.wait_for("#name-input").await;
    check(app.axe(&format!("{theme}-profile-editing-name")).await);
    app.click("#name-cancel").await;

    app.click("#security-toggle").await;
    app.wait_for("#security-forms").await;
    app.wait_for("#recent-activity li").await;
    check(app.axe(&format!("{theme}-profile-security")).await);
    app.click("#mfa-setup").await;
    app.wait_for("#totp-confirm").await;
    check(app.axe(&format!("{theme}-two-step-set-up")).await);
    app.click("#delete-account").await;
    app.wait_for("#delete-account-confirm").await;
    check(app.axe(&format!("{theme}-delete-account")).await);
    app.close().await;

    assert!(found.is_empty(), "{} accessibility violations:\n{}", found.len(), found.join("\n"));
}

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn every_screen_passes_axe_in_the_light_theme() {
    every_screen(&Harness::with(AppBackend::Embedded).await, "light").await;
}

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn every_screen_passes_axe_in_the_dark_theme() {
    every_screen(&Harness::dark(AppBackend::Embedded).await, "dark").await;
}

// --- keyboard only ---

const TAB: &str = "\u{E004}";

/// Presses Tab until `css` has the focus (at most 40 times), checking at every stop that the
/// focus can be seen (an outline or a ring) and that it moved forward.
async fn tab_to(app: &App, css: &str) {
    let script = r#"
        const a = document.activeElement;
        if (!a || a === document.body) return { here: false, visible: true, what: 'body' };
        const s = getComputedStyle(a);
        const visible = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
        return { here: a.matches(arguments[0]), visible, what: a.outerHTML.slice(0, 120) };
    "#;
    for _ in 0..40 {
        let now = app.client.execute(script, vec![serde_json::json!(css)]).await.unwrap();
        assert!(now["visible"] == true, "the focus cannot be seen on {}", now["what"]);
        if now["here"] == true {
            return;
        }
        press(app, TAB).await;
    }
    app.screenshot("keyboard-failure").await;
    panic!("Tab never reached {css}");
}

/// Presses keys on the keyboard: WebDriver's key actions go to whatever has the focus (an
/// element's "send keys" would first put the focus on that element).
async fn press(app: &App, keys: &str) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let mut actions = KeyActions::new("keyboard".into());
    for key in keys.chars() {
        actions = actions.then(KeyAction::Down { value: key }).then(KeyAction::Up { value: key });
    }
    app.client.perform_actions(actions).await.unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;
}

async fn title_is(app: &App, want: &str) {
    let mut last = String::new();
    for _ in 0..30 {
        last = app.client.execute("return document.title;", vec![]).await.unwrap().as_str().unwrap_or("").to_string();
        if last == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the title is {last:?}, not {want:?}");
}

async fn focused_is(app: &App, css: &str) -> bool {
    app.client.execute("return document.activeElement && document.activeElement.matches(arguments[0]);", vec![serde_json::json!(css)]).await.unwrap() == true
}

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn sign_up_verify_rename_and_sign_out_with_the_keyboard_alone() {
    let h = Harness::with(AppBackend::Embedded).await;
    let app = h.launch().await;
    app.wait_for("#home-register").await;
    title_is(&app, "Altogic Auth").await;
    tab_to(&app, "#home-register").await;
    press(&app, ENTER).await;
    app.wait_path("/register").await;
    title_is(&app, "Register · Altogic Auth").await;
    app.wait_for("#register-button").await;
    // A failed submit puts the focus on the error summary.
    tab_to(&app, "#email").await;
    press(&app, "not an address").await;
    tab_to(&app, "#register-button").await;
    press(&app, ENTER).await;
    app.wait_for("#errors").await;
    for _ in 0..20 {
        if focused_is(&app, "#errors").await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(focused_is(&app, "#errors").await, "the focus moved to the errors");

    let email = format!("keys-{}@example.com", std::process::id());
    tab_to(&app, "#email").await;
    press(&app, &"\u{E003}".repeat(20)).await; // Backspace
    press(&app, &email).await;
    tab_to(&app, "#name").await;
    press(&app, "Kay Board").await;
    tab_to(&app, "#password").await;
    press(&app, PASSWORD).await;
    press(&app, ENTER).await;
    app.text_contains("#success", "Your account has been created").await;

    // The Dev mailbox, and the confirmation link in it.
    tab_to(&app, "#open-mailbox").await;
    press(&app, ENTER).await;
    app.wait_path("/mailbox").await;
    app.text_contains("#mails", &email).await;
    assert!(focused_is(&app, "main h1").await, "on a new screen the focus is on its heading");
    tab_to(&app, "#mails li .open-link").await;
    press(&app, ENTER).await;
    app.wait_path("/profile").await;
    app.text_contains("#hello", "Hello, Kay Board").await;

    // Rename inline: Enter opens the field, Enter saves; Escape would cancel.
    tab_to(&app, "#change-name").await;
    press(&app, ENTER).await;
    app.wait_for("#name-input").await;
    tab_to(&app, "#name-input").await;
    press(&app, &"\u{E003}".repeat(20)).await;
    press(&app, "Kay Keys").await;
    press(&app, ENTER).await;
    app.text_contains("#hello", "Hello, Kay Keys").await;

    tab_to(&app, "#logout").await;
    press(&app, ENTER).await;
    app.wait_path("/login").await;
    title_is(&app, "Login · Altogic Auth").await;
    app.close().await;
}


async fn focus_inside(app: &App, css: &str) -> bool {
    app.client.execute("const c = document.querySelector(arguments[0]); return !!c && c.contains(document.activeElement);", vec![serde_json::json!(css)]).await.unwrap() == true
}

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn the_step_up_dialog_keeps_the_focus_and_gives_it_back() {
    let h = Harness::new().await;
    let email = h.account("dialog").await;
    let app = h.launch().await;
    sign_in_through_the_ui(&app, &email, PASSWORD).await;
    // Past the re-authentication window: deleting the account asks to confirm it is you.
    h.server.state.clock.advance(301);
    app.click("#security-toggle").await;
    app.click("#delete-account").await;
    app.fill("#delete-account-password", PASSWORD).await;
    app.click("#delete-account-confirm").await;
    app.wait_for("#step-up-password").await;
    for _ in 0..20 {
        if focused_is(&app, "#step-up-password").await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let active = app.client.execute("return document.activeElement ? document.activeElement.outerHTML.slice(0, 100) : 'none';", vec![]).await.unwrap();
    assert!(focused_is(&app, "#step-up-password").await, "the dialog opens with the focus in it, not on {active}");
    app.assert_accessible("step-up-dialog").await;
    for key in [TAB, TAB, TAB, TAB, TAB, "\u{E008}\u{E004}", "\u{E008}\u{E004}", "\u{E008}\u{E004}"] {
        press(&app, key).await;
        assert!(focus_inside(&app, "#step-up").await, "Tab and Shift-Tab stay in the dialog");
    }
    press(&app, ESCAPE).await;
    app.gone("#step-up").await;
    // The focus goes back to the form that opened it: to the message saying it was not done.
    for _ in 0..20 {
        if focused_is(&app, "#delete-account-errors").await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let active = app.client.execute("return document.activeElement ? document.activeElement.outerHTML.slice(0, 100) : 'none';", vec![]).await.unwrap();
    assert!(focused_is(&app, "#delete-account-errors").await, "Escape closes it and the focus goes back to its form, not to {active}");
    app.text_contains("#delete-account-errors", "confirm").await;
    // Nothing was deleted.
    assert!(h.client().auth().sign_in_with_email(&email, PASSWORD).await.is_ok());
    app.close().await;
}


/// Whether the page scrolls sideways, or puts a control outside the viewport, at the zoom set now.
async fn reflow_problems(app: &App, state: &str) -> Vec<String> {
    let script = r#"
        const root = document.documentElement;
        const out = [];
        if (root.scrollWidth > root.clientWidth + 1) out.push('the page scrolls sideways (' + root.scrollWidth + ' > ' + root.clientWidth + ')');
        for (const el of document.querySelectorAll('main button, main a, main input, main label, main p, main h1, main h2, main li')) {
            const r = el.getBoundingClientRect();
            if (r.width > 0 && (r.right > root.clientWidth + 1 || r.left < -1)) out.push('outside the viewport: ' + el.outerHTML.slice(0, 80));
        }
        return out;
    "#;
    let found = app.client.execute(script, vec![]).await.unwrap();
    let problems: Vec<String> = found.as_array().cloned().unwrap_or_default().iter().filter_map(|v| v.as_str()).map(|p| format!("[{state}] {p}")).collect();
    if !problems.is_empty() {
        app.screenshot(&format!("reflow-{state}")).await;
    }
    problems
}

/// WCAG 1.4.10 and 1.4.4: at 320 CSS px wide, and with everything twice as large on a 640 px
/// window (what 200 % zoom is), nothing scrolls sideways and no control leaves the viewport.
/// (Shown to fail at 120 CSS px.)
#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn every_screen_reflows_at_320_css_px_and_at_200_percent() {
    const ZOOMS: [(&str, &str); 2] = [("innerWidth / 320", "320px"), ("2 * innerWidth / 640", "200pct")];
    let h = Harness::with(AppBackend::Embedded).await;
    let app = h.launch().await;
    app.wait_for("#home-login").await;
    let mut found = Vec::new();
    for (zoom, label) in ZOOMS {
        // CSS zoom lays the page out as a browser's zoom does: fewer CSS pixels across.
        app.client.execute(&format!("document.documentElement.style.zoom = String({zoom}); return true;"), vec![]).await.unwrap();
        for (path, ready) in [("/", "#home-login"), ("/login", "#login-button"), ("/register", "#register-button"), ("/login-with-magic-link", "#magic-button"), ("/forgot-password", "#reset-send-button"), ("/mailbox", "#refresh-button")] {
            app.go(path).await;
            app.wait_for(ready).await;
            found.extend(reflow_problems(&app, &format!("{label}{path}")).await);
        }
    }
    app.client.execute("document.documentElement.style.zoom = ''; return true;", vec![]).await.unwrap();
    // Signed in: Profile with its Security section open.
    app.go("/register").await;
    let email = format!("reflow-{}@example.com", std::process::id());
    app.fill("#email", &email).await;
    app.fill("#name", "Rea Flow").await;
    app.fill("#password", PASSWORD).await;
    app.click("#register-button").await;
    app.wait_for("#success").await;
    app.go("/mailbox").await;
    app.text_contains("#mails", &email).await;
    app.click("#mails li .open-link").await;
    app.wait_path("/profile").await;
    app.click("#security-toggle").await;
    app.wait_for("#recent-activity li").await;
    for (zoom, label) in ZOOMS {
        app.client.execute(&format!("document.documentElement.style.zoom = String({zoom}); return true;"), vec![]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        found.extend(reflow_problems(&app, &format!("{label}/profile")).await);
    }
    app.close().await;
    assert!(found.is_empty(), "{}", found.join("\n"));
}
