//! The Tauri commands the UI invokes. Each one is declared once in `altogic_auth_ipc::commands`
//! (name, argument struct, answer) and implemented here with those types: thin calls of the
//! Altogic client whose errors convert with `?` into a [`CmdError`].

use altogic::{RedirectAction, RedirectParams, UploadOptions, User};
use altogic_auth_ipc::commands::*;
use altogic_auth_ipc::{avatar, codes, link_error_message, AppState, SessionView, SignUpOutcome};
use serde_json::{json, Map, Value};
use tauri::{AppHandle, Runtime, State};

use crate::errors::{CmdError, CmdResult};
use crate::redirect::{self, PendingRedirect};
use crate::AppCtx;

mod account;
mod after_startup;
#[cfg(test)]
mod ipc_tests;
mod two_step;

use account::*;
pub use after_startup::after_startup;
use two_step::*;

/// A command's answer, as `altogic_auth_ipc` declares it.
pub(crate) type Answer<C> = CmdResult<<C as Command>::Output>;

/// Whether two names are the same, at compile time.
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The handlers, each with the `ipc` command it implements. Tauri registers a handler under its
/// function's name, so one named otherwise than its command (or a command without a handler)
/// fails to compile here.
macro_rules! handlers {
    ($($handler:ident: $command:ty),* $(,)?) => {
        $(const _: () = assert!(same(<$command as Command>::NAME, stringify!($handler)), concat!("`", stringify!($handler), "` is not named as its command"));)*
        const _: () = assert!(ALL.len() == [$(stringify!($handler)),*].len(), "every declared command has a handler");

        /// Every command, for `tauri::Builder::invoke_handler` (the app's and the tests' mock runtime).
        pub fn handlers<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($handler),*]
        }
    };
}

handlers! {
    app_state: GetAppState,
    sign_in: SignIn,
    sign_up: SignUp,
    send_magic_link: SendMagicLink,
    resend_verification: ResendVerification,
    send_reset: SendReset,
    pending_redirect: GetPendingRedirect,
    complete_redirect: CompleteRedirect,
    discard_redirect: DiscardRedirect,
    complete_reset: CompleteReset,
    verify_code: VerifyCode,
    refresh_user: RefreshUser,
    update_name: UpdateName,
    upload_avatar: UploadAvatar,
    list_sessions: ListSessions,
    revoke_session: RevokeSession,
    sign_out_others: SignOutOthers,
    sign_out: SignOut,
    change_password: ChangePassword,
    change_email: ChangeEmail,
    dev_mailbox: DevMailbox,
    open_mail_link: OpenMailLink,
    leave_app: LeaveApp,
    verify_mfa: VerifyMfa,
    cancel_mfa: CancelMfa,
    mfa_pending: MfaPending,
    mfa_status: MfaStatus,
    enroll_totp: EnrollTotp,
    confirm_totp: ConfirmTotp,
    disable_mfa: DisableMfa,
    new_recovery_codes: NewRecoveryCodes,
    save_recovery_codes: SaveRecoveryCodes,
    reauthenticate: Reauthenticate,
    security_events: ListSecurityEvents,
    export_account: ExportAccount,
    delete_account: DeleteAccount,
    password_strength: PasswordStrength,
}

pub(crate) fn signed_in_user(ctx: &AppCtx) -> CmdResult<User> {
    match (ctx.client.session(), ctx.client.user()) {
        (Some(_), Some(user)) => Ok(user),
        _ => Err(CmdError::signed_out()),
    }
}

#[tauri::command]
pub fn app_state(ctx: State<'_, AppCtx>, args: NoArgs) -> Answer<GetAppState> {
    let _ = args;
    Ok(AppState { user: signed_in_user(&ctx).ok().map(Into::into), embedded_backend: ctx.embedded.is_some(), env_url: ctx.env_url.clone() })
}

#[tauri::command]
pub async fn sign_in(ctx: State<'_, AppCtx>, args: SignInArgs) -> Answer<SignIn> {
    let (user, _) = ctx.client.auth().sign_in_with_email(args.email.trim(), &args.password).await?;
    ctx.life.used(&ctx.client);
    Ok(user.into())
}

#[tauri::command]
pub async fn sign_up(ctx: State<'_, AppCtx>, args: SignUpArgs) -> Answer<SignUp> {
    let grant = ctx.client.auth().sign_up_with_name(args.email.trim(), &args.password, args.name.trim()).await?;
    ctx.life.used(&ctx.client);
    Ok(SignUpOutcome { signed_in: grant.session.is_some(), user: grant.user.into() })
}

#[tauri::command]
pub async fn send_magic_link(ctx: State<'_, AppCtx>, args: EmailArgs) -> Answer<SendMagicLink> {
    Ok(ctx.client.auth().send_magic_link_email(args.email.trim()).await?)
}

#[tauri::command]
pub async fn resend_verification(ctx: State<'_, AppCtx>, args: EmailArgs) -> Answer<ResendVerification> {
    Ok(ctx.client.auth().resend_verification_email(args.email.trim()).await?)
}

#[tauri::command]
pub async fn send_reset(ctx: State<'_, AppCtx>, args: EmailArgs) -> Answer<SendReset> {
    Ok(ctx.client.auth().send_reset_pwd_email(args.email.trim()).await?)
}

#[tauri::command]
pub fn pending_redirect(ctx: State<'_, AppCtx>, pending: State<'_, PendingRedirect>, args: NoArgs) -> Answer<GetPendingRedirect> {
    let _ = args;
    Ok(pending.get().as_ref().map(|p| redirect::view(p, &ctx.client)))
}

/// The user would rather not switch accounts: the link is dropped unused.
#[tauri::command]
pub fn discard_redirect(pending: State<'_, PendingRedirect>, args: NoArgs) -> Answer<DiscardRedirect> {
    let _ = args;
    pending.take();
    Ok(())
}

/// The pending link and its access token, when it succeeded and is for `want`.
fn pending_of(pending: &PendingRedirect, want: impl Fn(&RedirectAction) -> bool) -> CmdResult<(RedirectParams, String)> {
    let params = pending.get().ok_or_else(|| CmdError::new(codes::NO_REDIRECT, "This link has already been used. Please request a new one."))?;
    if !params.is_success() {
        // The link's own text is never shown: anyone can craft one.
        let code = params.code.as_deref();
        return Err(CmdError::new(code.unwrap_or(codes::REDIRECT_ERROR), link_error_message(code)));
    }
    if !want(&params.action) {
        return Err(CmdError::new(codes::WRONG_ACTION, "This link is not meant for that."));
    }
    let token = params.access_token.clone().ok_or_else(|| CmdError::new(codes::MISSING_ACCESS_TOKEN, "The link carries no access token."))?;
    Ok((params, token))
}

/// Drops the link that was used, unless trying again could help (the server was unreachable);
/// a newer link that arrived meanwhile is kept either way.
fn settle<T>(pending: &PendingRedirect, used: &RedirectParams, result: Result<T, altogic::Error>) -> CmdResult<T> {
    if !matches!(result, Err(altogic::Error::Network(_))) {
        pending.take_if(used);
    }
    Ok(result?)
}

#[tauri::command]
pub async fn complete_redirect(ctx: State<'_, AppCtx>, pending: State<'_, PendingRedirect>, args: NoArgs) -> Answer<CompleteRedirect> {
    let _ = args;
    let (used, token) = pending_of(&pending, RedirectAction::grants_session)?;
    let result = ctx.client.auth().get_auth_grant(&token).await;
    let (user, _) = settle(&pending, &used, result)?;
    ctx.life.used(&ctx.client);
    Ok(user.into())
}

#[tauri::command]
pub async fn complete_reset(ctx: State<'_, AppCtx>, pending: State<'_, PendingRedirect>, args: NewPasswordArgs) -> Answer<CompleteReset> {
    let (used, token) = pending_of(&pending, |a| *a == RedirectAction::ResetPwd)?;
    let result = ctx.client.auth().reset_pwd_with_token(&token, &args.new_password).await;
    // A refused password (too short, too weak) does not spend the token: keep it for the next try.
    if let Err(altogic::Error::Api(api)) = &result {
        if api.has_code(codes::VALIDATION_ERROR) || api.has_code(codes::WEAK_PASSWORD) {
            return Ok(result?);
        }
    }
    settle(&pending, &used, result)
}

#[tauri::command]
pub async fn verify_code(ctx: State<'_, AppCtx>, pending: State<'_, PendingRedirect>, args: VerifyCodeArgs) -> Answer<VerifyCode> {
    let exchange = ctx.client.auth().verify_email_code(args.email.trim(), args.code.trim()).await?;
    let params = RedirectParams { action: RedirectAction::parse(&exchange.action), status: 200, access_token: exchange.access_token, error: None, code: None };
    let view = redirect::view(&params, &ctx.client);
    pending.set(params);
    Ok(view)
}

#[tauri::command]
pub async fn refresh_user(ctx: State<'_, AppCtx>, args: NoArgs) -> Answer<RefreshUser> {
    let _ = args;
    signed_in_user(&ctx)?;
    let user = ctx.client.auth().get_user_from_db().await?;
    ctx.life.used(&ctx.client);
    ctx.client.set_user(&user);
    Ok(user.into())
}

async fn update_user(ctx: &AppCtx, field: &str, value: Value) -> CmdResult<User> {
    let me = signed_in_user(ctx)?;
    let user: User = ctx.client.model("users").object(&me.id).update(Map::from_iter([(field.to_string(), value)])).await?;
    ctx.client.set_user(&user);
    Ok(user.into())
}

#[tauri::command]
pub async fn update_name(ctx: State<'_, AppCtx>, args: NameArgs) -> Answer<UpdateName> {
    let name = args.name.trim();
    if name.is_empty() {
        return Err(CmdError::new(codes::VALIDATION_ERROR, "Please enter a name."));
    }
    update_user(&ctx, "name", json!(name)).await.map(Into::into)
}

#[tauri::command]
pub async fn upload_avatar(ctx: State<'_, AppCtx>, args: AvatarArgs) -> Answer<UploadAvatar> {
    let me = signed_in_user(&ctx)?;
    avatar::check(&args.mime_type, args.bytes.len())?;
    let file = ctx.client.bucket("root").upload(&format!("user_{}", me.id), args.bytes, UploadOptions::with_content_type(args.mime_type)).await?;
    update_user(&ctx, "profilePicture", json!(file.public_path)).await.map(Into::into)
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
pub async fn list_sessions(ctx: State<'_, AppCtx>, args: NoArgs) -> Answer<ListSessions> {
    let _ = args;
    signed_in_user(&ctx)?;
    let current = ctx.client.session().map(|s| s.token);
    let mut sessions = ctx.client.auth().get_all_sessions().await?;
    ctx.life.used(&ctx.client);
    for s in &mut sessions {
        // Servers that do not set isCurrent (Altogic) are matched by token, like the original app.
        s.is_current = s.is_current || Some(&s.token) == current.as_ref();
    }
    sessions.sort_by(|a, b| b.is_current.cmp(&a.is_current).then(b.creation_dtm.cmp(&a.creation_dtm)));
    Ok(sessions.iter().map(session_view).collect())
}

#[tauri::command]
pub async fn revoke_session(ctx: State<'_, AppCtx>, args: SessionIdArgs) -> Answer<RevokeSession> {
    signed_in_user(&ctx)?;
    if args.id == "current" {
        return Err(CmdError::new(codes::VALIDATION_ERROR, "Use Logout to end this session."));
    }
    Ok(ctx.client.auth().sign_out(Some(&args.id)).await?)
}

#[tauri::command]
pub async fn sign_out_others(ctx: State<'_, AppCtx>, args: NoArgs) -> Answer<SignOutOthers> {
    let _ = args;
    signed_in_user(&ctx)?;
    Ok(ctx.client.auth().sign_out_all_except_current().await?)
}

#[tauri::command]
pub async fn sign_out(ctx: State<'_, AppCtx>, args: NoArgs) -> Answer<SignOut> {
    let _ = args;
    ctx.life.forget();
    if let Err(e) = ctx.client.auth().sign_out(None).await {
        tracing::warn!(error = %e, "server sign-out failed; signing out locally");
        ctx.client.clear_local_data();
    }
    Ok(())
}

#[tauri::command]
pub async fn change_password(ctx: State<'_, AppCtx>, args: ChangePasswordArgs) -> Answer<ChangePassword> {
    signed_in_user(&ctx)?;
    Ok(ctx.client.auth().change_password(&args.new_password, &args.old_password).await?)
}

#[tauri::command]
pub async fn change_email(ctx: State<'_, AppCtx>, args: ChangeEmailArgs) -> Answer<ChangeEmail> {
    signed_in_user(&ctx)?;
    let user = ctx.client.auth().change_email(&args.password, args.new_email.trim()).await?;
    ctx.client.set_user(&user);
    Ok(user.into())
}

fn embedded(ctx: &AppCtx) -> CmdResult<&crate::backend::Embedded> {
    ctx.embedded.as_ref().ok_or_else(|| CmdError::new(codes::NOT_AVAILABLE, "The dev mailbox exists only with the built-in backend."))
}

fn unreachable_backend(_: reqwest::Error) -> CmdError {
    CmdError::new(codes::BACKEND_UNREACHABLE, "Can't reach the built-in backend.")
}

#[tauri::command]
pub async fn dev_mailbox(ctx: State<'_, AppCtx>, args: NoArgs) -> Answer<DevMailbox> {
    let _ = args;
    let server = embedded(&ctx)?;
    // The mailbox token stays in the shell, like the session: the webview never sees it.
    let token = server.mailbox_token.as_deref().ok_or_else(|| CmdError::new(codes::NOT_AVAILABLE, "The built-in backend's mailbox is off."))?;
    let response = ctx.http.get(format!("{}/_local/v1/mail", server.url)).bearer_auth(token).send().await.map_err(unreachable_backend)?;
    let mailbox: altogic::Mailbox = response.json().await.map_err(unreachable_backend)?;
    Ok(mailbox.messages)
}

/// Follows a dev-mailbox link (only ones of the built-in backend) and delivers where it redirects
/// as if the OS had opened the deep link.
#[tauri::command]
pub async fn open_mail_link<R: Runtime>(app: AppHandle<R>, ctx: State<'_, AppCtx>, args: MailLinkArgs) -> Answer<OpenMailLink> {
    let server = embedded(&ctx)?;
    let link = server.own_link(&args.link).ok_or_else(|| CmdError::new(codes::VALIDATION_ERROR, "Only links of the built-in backend can be opened here."))?;
    let response = ctx.http.get(&link).send().await.map_err(unreachable_backend)?;
    let location = response.headers().get("location").and_then(|v| v.to_str().ok());
    let location = location.ok_or_else(|| CmdError::new(codes::INVALID_RESPONSE, "The link did not redirect."))?;
    redirect::deliver(&app, [location.to_string()]);
    Ok(())
}

/// Android's back button on a screen with nothing behind it: the app closes its activity (Tauri's
/// exit finishes it gracefully on phones), as every Android app does.
#[tauri::command]
pub fn leave_app<R: Runtime>(app: AppHandle<R>, args: NoArgs) -> Answer<LeaveApp> {
    let _ = args;
    app.exit(0);
    Ok(())
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
}
