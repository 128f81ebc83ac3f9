//! The profile: name, avatar, sessions, and a session ended elsewhere.

use super::*;

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
    // Said in plain words, not as an error.
    app.text_contains("#login-notice", "Your session has ended. Please sign in again.").await;
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
    let src = upload_avatar(&app).await;
    assert!(src.starts_with(&h.server.url) && src.contains("/_storage/"), "avatar src: {src}");
    assert!(avatar_loaded(&app).await, "the picture loads in the webview");
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

/// Picks a 1×1 PNG in the avatar's file input; returns the picture's URL once it is shown.
pub async fn upload_avatar(app: &App) -> String {
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
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    src
}

/// Whether the profile picture (an `<img>`, not the initials) has loaded in the webview.
pub async fn avatar_loaded(app: &App) -> bool {
    for _ in 0..50 {
        let loaded = app.client.execute("const i = document.querySelector('img#avatar-img'); return !!i && i.complete && i.naturalWidth > 0;", vec![]).await.unwrap();
        if loaded == serde_json::json!(true) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}
