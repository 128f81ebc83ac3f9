//! The account's whole life in the app (issue 18): a weak password refused at Register with its
//! reason, the security history on Profile, and deleting the account, after which the device keeps
//! nothing of it (the keychain included).

use super::*;

/// This installation's id: its keychain entries are `<id>/<key>` (src-tauri/src/session_store.rs).
fn install_id(h: &Harness) -> String {
    let file = h.home.path().join("data/com.altogic.auth/session.json");
    let profile: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    profile["installId"].as_str().unwrap_or_else(|| panic!("no installId in {profile}")).to_string()
}

/// The Secret Service's items of the app (`secret-tool search --all`) as (entry name, secret), and
/// the whole listing. Items are read from stdout, where each is a block that starts with its id in
/// brackets; keyring-core labels them `keyring:<entry name>@<service>` (their attributes go to
/// stderr, in no order with the blocks).
fn keychain() -> (Vec<(String, String)>, String) {
    let found = std::process::Command::new("secret-tool").args(["search", "--all", "--unlock", "service", "com.altogic.auth"]).output().expect("secret-tool runs");
    let stdout = String::from_utf8_lossy(&found.stdout).into_owned();
    let listing = stdout.clone() + &String::from_utf8_lossy(&found.stderr);
    let mut items = Vec::new();
    let (mut name, mut secret) = (None::<String>, String::new());
    for line in stdout.lines().chain(std::iter::once("[end]")) {
        if line.starts_with('[') {
            if let Some(done) = name.take() {
                items.push((done, std::mem::take(&mut secret)));
            }
            secret.clear();
        } else if let Some(s) = line.strip_prefix("secret = ") {
            secret = s.to_string();
        } else if let Some(label) = line.strip_prefix("label = keyring:") {
            name = Some(label.strip_suffix("@com.altogic.auth").unwrap_or(label).to_string());
        }
    }
    (items, listing)
}

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn a_weak_password_is_refused_at_register_with_its_reason() {
    let h = Harness::new().await;
    let app = h.launch().await;
    let email = format!("weak-{}@example.com", std::process::id());
    app.wait_for("#home-register").await;
    app.click("#home-register").await;
    app.fill("#email", &email).await;
    app.fill("#name", "Wendy").await;
    app.fill("#password", "password1").await;
    // The meter says why while it is typed (the shell applies the server's rules)...
    app.text_contains("#password-strength", "commonly used").await;
    app.screenshot("30-weak-password").await;
    // ...and the server refuses it, in the same words.
    app.click("#register-button").await;
    app.text_contains("#errors", "commonly used").await;
    assert_eq!(app.path().await, "/register");
    assert!(h.client().auth().sign_in_with_email(&email, "password1").await.is_err(), "no account was made");

    // A long phrase passes: the meter shows no reason against it.
    app.fill("#password", PASSWORD).await;
    let mut passes = false;
    for _ in 0..100 {
        let shown = app.client.find(fantoccini::Locator::Css("#password-strength")).await.is_ok();
        if shown && app.client.find(fantoccini::Locator::Css("#password-strength .strength-reasons")).await.is_err() {
            passes = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(passes, "{}", app.text("#password-strength").await);
    app.click("#register-button").await;
    app.text_contains("#success", "Your account has been created").await;
    app.close().await;
}

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn recent_activity_shows_the_sign_in_of_this_device() {
    let h = Harness::new().await;
    let email = h.account("activity").await;
    let app = h.launch().await;
    sign_in_through_the_ui(&app, &email, PASSWORD).await;
    let row = app.text_contains("#recent-activity li.is-current", "Signed in").await;
    assert!(row.contains("This device"), "{row}");
    assert!(row.contains("AltogicAuth on "), "the device is named from its user agent: {row}");
    // The newest first: this sign-in heads the list.
    let first = app.wait_for("#recent-activity li:first-child").await;
    assert!(first.attr("class").await.unwrap().unwrap_or_default().contains("is-current"), "this sign-in heads the list");
    assert_eq!(first.attr("data-kind").await.unwrap().as_deref(), Some("sign-in"));
    app.screenshot("31-recent-activity").await;
    app.close().await;
}

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn deleting_the_account_lands_on_home_and_the_device_keeps_nothing_of_it() {
    let h = Harness::new().await;
    let email = h.account("delete").await;
    let app = h.launch().await;
    sign_in_through_the_ui(&app, &email, PASSWORD).await;
    let install = install_id(&h);
    let (before, listing) = keychain();
    let session = before
        .iter()
        .find(|(name, _)| *name == format!("{install}/session"))
        .map(|(_, secret)| serde_json::from_str::<serde_json::Value>(secret).unwrap()["token"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("signed in, the session is in the keychain:\n{listing}"));

    app.click("#delete-account").await;
    app.text_contains("#danger-zone", "It cannot be undone.").await;
    app.text_contains("#danger-zone", "every session on every device, your files and your security history").await;
    // A wrong password deletes nothing.
    app.fill("#delete-account-password", "not the password").await;
    app.click("#delete-account-confirm").await;
    app.text_contains("#delete-account-errors", "Invalid credentials").await;
    app.fill("#delete-account-password", PASSWORD).await;
    app.screenshot("32-delete-account").await;
    app.click("#delete-account-confirm").await;
    app.wait_path("/").await;
    app.text_contains("#home-notice", "Your account was deleted").await;
    app.screenshot("33-account-deleted").await;
    assert!(h.latest_mail(&email, "notice:account-deleted").await.link.is_empty());

    // The device keeps nothing of it: no keychain entry of this installation (session, device
    // token, link requests), nothing with its token or address, no cached profile.
    let (after, listing) = keychain();
    let left: Vec<&String> = after.iter().map(|(name, _)| name).filter(|name| name.starts_with(&format!("{install}/"))).collect();
    assert!(left.is_empty() && !listing.contains(&format!("{install}/")), "keychain entries left: {left:?}\n{listing}");
    assert!(!listing.contains(&session) && !listing.to_lowercase().contains(&email.to_lowercase()), "{listing}");
    let profile = std::fs::read_to_string(h.home.path().join("data/com.altogic.auth/session.json")).unwrap();
    assert!(!profile.to_lowercase().contains(&email.to_lowercase()), "the cached profile is gone: {profile}");

    // Signing in again fails, in the app and anywhere.
    app.click("#home-login").await;
    app.fill("#email", &email).await;
    app.fill("#password", PASSWORD).await;
    app.click("#login-button").await;
    app.text_contains("#errors", "Invalid credentials").await;
    assert_eq!(app.path().await, "/login");
    assert!(h.client().auth().sign_in_with_email(&email, PASSWORD).await.is_err());
    app.close().await;
}

#[tokio::test]
#[ignore = "needs a display and D-Bus: run through scripts/test.sh"]
async fn a_session_ended_by_30_days_without_use_lands_on_login_saying_so() {
    let h = Harness::new().await;
    let email = h.account("idle").await;
    let app = h.launch().await;
    sign_in_through_the_ui(&app, &email, PASSWORD).await;
    app.close().await;
    // 31 days pass without the app: the server ends the session, and the app's record of its last
    // use is as old.
    let file = h.home.path().join("data/com.altogic.auth/session.json");
    let mut profile: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let mut life: serde_json::Value = serde_json::from_str(profile["sessionLife"].as_str().unwrap_or_else(|| panic!("no sessionLife in {profile}"))).unwrap();
    const DAYS_31: i64 = 31 * 86_400;
    for key in ["createdAt", "lastUsedAt"] {
        life[key] = serde_json::json!(life[key].as_i64().unwrap() - DAYS_31);
    }
    profile["sessionLife"] = serde_json::json!(life.to_string());
    std::fs::write(&file, profile.to_string()).unwrap();
    h.server.state.clock.advance(DAYS_31);

    let app = h.launch().await;
    app.wait_path("/login").await;
    app.text_contains("#login-notice", "You were signed out after 30 days without use").await;
    app.screenshot("34-idle-session").await;
    app.close().await;
}
