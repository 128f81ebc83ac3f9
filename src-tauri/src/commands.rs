//! The Tauri commands the UI invokes (names and shapes: `crates/ipc`). Thin: each one calls the
//! Altogic client and turns its answer into a view or a [`UiError`].

use altogic::{RedirectAction, RedirectParams, UploadOptions, User};
use altogic_auth_ipc::{link_error_message, AppState, MailView, RedirectView, SessionView, SignUpOutcome, UiError};
use serde_json::{json, Map, Value};
use tauri::{AppHandle, State};

use crate::errors::{signed_out, to_ui};
use crate::redirect::{self, PendingRedirect};
use crate::AppCtx;

type CmdResult<T> = Result<T, UiError>;

/// Largest avatar the app sends (the backend refuses more; the UI scales pictures down first).
pub const MAX_AVATAR_BYTES: usize = 5 * 1024 * 1024;
pub const AVATAR_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

fn signed_in_user(ctx: &AppCtx) -> CmdResult<User> {
    match (ctx.client.session(), ctx.client.user()) {
        (Some(_), Some(user)) => Ok(user),
        _ => Err(signed_out()),
    }
}

#[tauri::command]
pub fn app_state(ctx: State<'_, AppCtx>) -> AppState {
    AppState { user: signed_in_user(&ctx).ok(), embedded_backend: ctx.embedded.is_some(), env_url: ctx.env_url.clone() }
}

#[tauri::command]
pub async fn sign_in(ctx: State<'_, AppCtx>, email: String, password: String) -> CmdResult<User> {
    let (user, _) = ctx.client.auth().sign_in_with_email(email.trim(), &password).await.map_err(to_ui)?;
    Ok(user)
}

#[tauri::command]
pub async fn sign_up(ctx: State<'_, AppCtx>, email: String, name: String, password: String) -> CmdResult<SignUpOutcome> {
    let grant = ctx.client.auth().sign_up_with_name(email.trim(), &password, name.trim()).await.map_err(to_ui)?;
    Ok(SignUpOutcome { signed_in: grant.session.is_some(), user: grant.user })
}

#[tauri::command]
pub async fn send_magic_link(ctx: State<'_, AppCtx>, email: String) -> CmdResult<()> {
    ctx.client.auth().send_magic_link_email(email.trim()).await.map_err(to_ui)
}

#[tauri::command]
pub async fn resend_verification(ctx: State<'_, AppCtx>, email: String) -> CmdResult<()> {
    ctx.client.auth().resend_verification_email(email.trim()).await.map_err(to_ui)
}

#[tauri::command]
pub async fn send_reset(ctx: State<'_, AppCtx>, email: String) -> CmdResult<()> {
    ctx.client.auth().send_reset_pwd_email(email.trim()).await.map_err(to_ui)
}

#[tauri::command]
pub fn pending_redirect(ctx: State<'_, AppCtx>, pending: State<'_, PendingRedirect>) -> Option<RedirectView> {
    pending.get().as_ref().map(|p| redirect::view(p, &ctx.client))
}

/// The user would rather not switch accounts: the link is dropped unused.
#[tauri::command]
pub fn discard_redirect(pending: State<'_, PendingRedirect>) {
    pending.take();
}

fn pending_of(pending: &PendingRedirect, want: impl Fn(&RedirectAction) -> bool) -> CmdResult<(RedirectParams, String)> {
    let params = pending.get().ok_or_else(|| UiError::new("no_redirect", "This link has already been used. Please request a new one."))?;
    if !params.is_success() {
        // The link's own text is never shown: anyone can craft one.
        let code = params.code.as_deref();
        return Err(UiError::new(code.unwrap_or("redirect_error"), link_error_message(code)));
    }
    if !want(&params.action) {
        return Err(UiError::new("wrong_action", "This link is not meant for that."));
    }
    let token = params.access_token.clone().ok_or_else(|| UiError::new("missing_access_token", "The link carries no access token."))?;
    Ok((params, token))
}

/// Keeps the redirect only when trying again could help (the server was unreachable).
fn settle<T>(pending: &PendingRedirect, result: Result<T, altogic::Error>) -> CmdResult<T> {
    if !matches!(result, Err(altogic::Error::Network(_))) {
        pending.take();
    }
    result.map_err(to_ui)
}

#[tauri::command]
pub async fn complete_redirect(ctx: State<'_, AppCtx>, pending: State<'_, PendingRedirect>) -> CmdResult<User> {
    let (_, token) = pending_of(&pending, RedirectAction::grants_session)?;
    let result = ctx.client.auth().get_auth_grant(&token).await;
    settle(&pending, result).map(|(user, _)| user)
}

#[tauri::command]
pub async fn complete_reset(ctx: State<'_, AppCtx>, pending: State<'_, PendingRedirect>, new_password: String) -> CmdResult<()> {
    let (_, token) = pending_of(&pending, |a| *a == RedirectAction::ResetPwd)?;
    let result = ctx.client.auth().reset_pwd_with_token(&token, &new_password).await;
    // A refused password (too short) does not spend the token: keep it for the next try.
    if let Err(altogic::Error::Api(api)) = &result {
        if api.has_code("validation_error") {
            return result.map_err(to_ui);
        }
    }
    settle(&pending, result)
}

#[tauri::command]
pub async fn verify_code(ctx: State<'_, AppCtx>, pending: State<'_, PendingRedirect>, email: String, code: String) -> CmdResult<RedirectView> {
    let exchange = ctx.client.auth().verify_email_code(email.trim(), code.trim()).await.map_err(to_ui)?;
    let params = RedirectParams { action: RedirectAction::parse(&exchange.action), status: 200, access_token: exchange.access_token, error: None, code: None };
    let view = redirect::view(&params, &ctx.client);
    pending.set(params);
    Ok(view)
}

#[tauri::command]
pub async fn refresh_user(ctx: State<'_, AppCtx>) -> CmdResult<User> {
    signed_in_user(&ctx)?;
    let user = ctx.client.auth().get_user_from_db().await.map_err(to_ui)?;
    ctx.client.set_user(&user);
    Ok(user)
}

async fn update_user(ctx: &AppCtx, values: Map<String, Value>) -> CmdResult<User> {
    let me = signed_in_user(ctx)?;
    let user: User = ctx.client.model("users").object(&me.id).update(values).await.map_err(to_ui)?;
    ctx.client.set_user(&user);
    Ok(user)
}

#[tauri::command]
pub async fn update_name(ctx: State<'_, AppCtx>, name: String) -> CmdResult<User> {
    let name = name.trim();
    if name.is_empty() {
        return Err(UiError::new("validation_error", "Please enter a name."));
    }
    update_user(&ctx, Map::from_iter([("name".to_string(), json!(name))])).await
}

/// Checks a picture before it is sent: a known image type by its bytes, within the size limit.
pub fn check_avatar(bytes: &[u8], mime_type: &str) -> CmdResult<()> {
    if bytes.is_empty() {
        return Err(UiError::new("validation_error", "The picture is empty."));
    }
    if bytes.len() > MAX_AVATAR_BYTES {
        return Err(UiError::new("request_body_size_too_large", "The picture is larger than 5 MB."));
    }
    if !AVATAR_TYPES.contains(&mime_type) {
        return Err(UiError::new("unsupported_media_type", "Please choose a PNG, JPEG, GIF or WebP picture."));
    }
    Ok(())
}

#[tauri::command]
pub async fn upload_avatar(ctx: State<'_, AppCtx>, bytes: Vec<u8>, mime_type: String) -> CmdResult<User> {
    let me = signed_in_user(&ctx)?;
    check_avatar(&bytes, &mime_type)?;
    let file = ctx.client.bucket("root").upload(&format!("user_{}", me.id), bytes, UploadOptions::with_content_type(mime_type)).await.map_err(to_ui)?;
    update_user(&ctx, Map::from_iter([("profilePicture".to_string(), json!(file.public_path))])).await
}

fn version(major: &str, minor: &str) -> String {
    match (major, minor) {
        ("0", _) | ("", _) => String::new(),
        (m, "0") | (m, "") => format!(" {m}"),
        (m, n) => format!(" {m}.{n}"),
    }
}

pub fn session_view(s: &altogic::Session) -> SessionView {
    let ua = &s.user_agent;
    SessionView {
        // The current session is never named by its token: the token stays in Rust.
        id: if s.is_current { "current".into() } else { s.token.clone() },
        is_current: s.is_current,
        device: ua.device.family.clone(),
        os: format!("{}{}", ua.os.family, version(&ua.os.major, &ua.os.minor)),
        app: format!("{}{}", ua.family, version(&ua.major, &ua.minor)),
        created_at: s.creation_dtm.clone(),
    }
}

#[tauri::command]
pub async fn list_sessions(ctx: State<'_, AppCtx>) -> CmdResult<Vec<SessionView>> {
    signed_in_user(&ctx)?;
    let current = ctx.client.session().map(|s| s.token);
    let mut sessions = ctx.client.auth().get_all_sessions().await.map_err(to_ui)?;
    for s in &mut sessions {
        // Servers that do not set isCurrent (Altogic) are matched by token, like the original app.
        s.is_current = s.is_current || Some(&s.token) == current.as_ref();
    }
    sessions.sort_by(|a, b| b.is_current.cmp(&a.is_current).then(b.creation_dtm.cmp(&a.creation_dtm)));
    Ok(sessions.iter().map(session_view).collect())
}

#[tauri::command]
pub async fn revoke_session(ctx: State<'_, AppCtx>, id: String) -> CmdResult<()> {
    signed_in_user(&ctx)?;
    if id == "current" {
        return Err(UiError::new("validation_error", "Use Logout to end this session."));
    }
    ctx.client.auth().sign_out(Some(&id)).await.map_err(to_ui)
}

#[tauri::command]
pub async fn sign_out_others(ctx: State<'_, AppCtx>) -> CmdResult<()> {
    signed_in_user(&ctx)?;
    ctx.client.auth().sign_out_all_except_current().await.map_err(to_ui)
}

/// Always signs out locally, even when the server cannot be told.
#[tauri::command]
pub async fn sign_out(ctx: State<'_, AppCtx>) -> CmdResult<()> {
    if let Err(e) = ctx.client.auth().sign_out(None).await {
        tracing::warn!(error = %e, "server sign-out failed; signing out locally");
        ctx.client.clear_local_data();
    }
    Ok(())
}

#[tauri::command]
pub async fn change_password(ctx: State<'_, AppCtx>, old_password: String, new_password: String) -> CmdResult<()> {
    signed_in_user(&ctx)?;
    ctx.client.auth().change_password(&new_password, &old_password).await.map_err(to_ui)
}

#[tauri::command]
pub async fn change_email(ctx: State<'_, AppCtx>, password: String, new_email: String) -> CmdResult<User> {
    signed_in_user(&ctx)?;
    let user = ctx.client.auth().change_email(&password, new_email.trim()).await.map_err(to_ui)?;
    ctx.client.set_user(&user);
    Ok(user)
}

fn embedded(ctx: &AppCtx) -> CmdResult<&crate::backend::Embedded> {
    ctx.embedded.as_ref().ok_or_else(|| UiError::new("not_available", "The dev mailbox exists only with the built-in backend."))
}

#[tauri::command]
pub async fn dev_mailbox(ctx: State<'_, AppCtx>) -> CmdResult<Vec<MailView>> {
    let server = embedded(&ctx)?;
    let unreachable = |_| UiError::new(UiError::BACKEND_UNREACHABLE, "Can't reach the built-in backend.");
    // The mailbox token stays in the shell, like the session: the webview never sees it.
    let token = server.mailbox_token.as_deref().ok_or_else(|| UiError::new("not_available", "The built-in backend's mailbox is off."))?;
    let mailbox: altogic::Mailbox = ctx
        .http
        .get(format!("{}/_local/v1/mail", server.url))
        .bearer_auth(token)
        .send()
        .await
        .map_err(unreachable)?
        .json()
        .await
        .map_err(unreachable)?;
    Ok(mailbox.messages)
}

/// Follows a dev-mailbox link (only ones of the built-in backend) and delivers where it redirects
/// as if the OS had opened the deep link.
#[tauri::command]
pub async fn open_mail_link(app: AppHandle, ctx: State<'_, AppCtx>, link: String) -> CmdResult<()> {
    let server = embedded(&ctx)?;
    if !link.starts_with(&format!("{}/_api/rest/v1/auth/verify?", server.url)) {
        return Err(UiError::new("validation_error", "Only links of the built-in backend can be opened here."));
    }
    let response = ctx.http.get(&link).send().await.map_err(|_| UiError::new(UiError::BACKEND_UNREACHABLE, "Can't reach the built-in backend."))?;
    let location = response.headers().get("location").and_then(|v| v.to_str().ok()).ok_or_else(|| UiError::new("invalid_response", "The link did not redirect."))?;
    redirect::deliver(&app, [location.to_string()]);
    Ok(())
}

/// Android's back button on a screen with nothing behind it: the app closes its activity (Tauri's
/// exit finishes it gracefully on phones), as every Android app does.
#[tauri::command]
pub fn leave_app(app: AppHandle) {
    app.exit(0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use altogic::{UaPart, UserAgent};

    #[test]
    fn sessions_show_device_os_and_app_but_not_the_current_token() {
        let mut s = altogic::Session {
            user_id: "u".into(),
            token: "secret.token".into(),
            creation_dtm: "2026-11-26T10:00:00.000Z".into(),
            access_group_keys: vec![],
            user_agent: UserAgent {
                family: "AltogicAuth".into(),
                major: "0".into(),
                minor: "1".into(),
                patch: "0".into(),
                device: UaPart::new("Pixel 8", "0", "0", "0"),
                os: UaPart::new("Android", "14", "0", "0"),
            },
            is_current: true,
        };
        let v = session_view(&s);
        assert_eq!((v.id.as_str(), v.device.as_str(), v.os.as_str(), v.app.as_str()), ("current", "Pixel 8", "Android 14", "AltogicAuth"));
        s.is_current = false;
        s.token = "handle".into();
        assert_eq!(session_view(&s).id, "handle");
    }

    #[test]
    fn avatars_are_checked_before_upload() {
        assert!(check_avatar(b"x", "image/png").is_ok());
        assert_eq!(check_avatar(b"", "image/png").unwrap_err().code, "validation_error");
        assert_eq!(check_avatar(b"x", "image/svg+xml").unwrap_err().code, "unsupported_media_type");
        assert_eq!(check_avatar(&vec![0; MAX_AVATAR_BYTES + 1], "image/png").unwrap_err().code, "request_body_size_too_large");
    }
}
