//! The commands through the real IPC (tauri::test's mock runtime) against a real altogic-local:
//! argument names, answers and errors exactly as the UI sends and sees them.

use std::sync::Arc;

use altogic_auth_ipc::commands::*;
use altogic_auth_ipc::commands::ARGS_KEY;
use altogic_auth_ipc::{codes, UiError, ALL_COMMANDS};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;

use crate::backend::Backend;
use crate::redirect::PendingRedirect;
use crate::AppCtx;

const PASSWORD: &str = "a long enough password";

struct Harness {
    webview: tauri::WebviewWindow<MockRuntime>,
    _app: tauri::App<MockRuntime>,
    _server: altogic_local::RunningServer,
    _dir: tempfile::TempDir,
}

/// An app on the mock runtime with every command, talking to its own altogic-local (no e-mail
/// verification, no rate limits).
fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let mut config = altogic_local::Config::loopback(dir.path().join("server"));
    config.email_verification = false;
    config.auth_rate_limit = 0;
    let server = tauri::async_runtime::block_on(altogic_local::start(config)).unwrap();
    let backend = Backend { env_url: server.url.clone(), client_key: server.client_key.clone(), embedded: None };
    let ctx = AppCtx::new(backend, Arc::new(altogic::MemoryStore::default()), Arc::new(|_: String| {})).unwrap();
    let app = mock_builder().manage(ctx).manage(PendingRedirect::default()).invoke_handler(super::handlers()).build(mock_context(noop_assets())).unwrap();
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    Harness { webview, _app: app, _server: server, _dir: dir }
}

fn invoke(h: &Harness, cmd: &str, body: serde_json::Value) -> Result<serde_json::Value, serde_json::Value> {
    invoke_on(&h.webview, cmd, body)
}

fn invoke_on(webview: &tauri::WebviewWindow<MockRuntime>, cmd: &str, body: serde_json::Value) -> Result<serde_json::Value, serde_json::Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::Json(body),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(webview, request).map(|b| b.deserialize().unwrap())
}

/// What the UI's `ctx.call::<C>(args)` does.
fn call<C: Command>(h: &Harness, args: C::Args) -> Result<C::Output, UiError> {
    match invoke(h, C::NAME, serde_json::json!({ ARGS_KEY: args })) {
        Ok(v) => Ok(serde_json::from_value(v).unwrap_or_else(|e| panic!("{} answered what the UI cannot read: {e}", C::NAME))),
        Err(v) => Err(serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{} failed with a non-UiError {v}: {e}", C::NAME))),
    }
}

#[test]
fn every_declared_command_is_registered_and_takes_its_args() {
    let h = harness();
    for name in ALL_COMMANDS {
        // Without `args` the handler is found but refuses the call (it never runs: leave_app stays).
        let err = invoke(&h, name, serde_json::json!({})).unwrap_err().to_string();
        assert!(!err.contains("not found"), "{name} is not registered: {err}");
        assert!(err.contains(ARGS_KEY), "{name} takes `{ARGS_KEY}`: {err}");
    }
}

#[test]
fn a_session_through_the_ipc() {
    let h = harness();
    let email = format!("ipc{}@example.com", std::process::id());
    let out = call::<SignUp>(&h, SignUpArgs { email: email.clone(), name: "Ipc".into(), password: PASSWORD.into() }).unwrap();
    assert!(out.signed_in);
    assert_eq!(call::<GetAppState>(&h, NoArgs {}).unwrap().user.and_then(|u| u.email).as_deref(), Some(email.as_str()));

    let wrong = call::<SignIn>(&h, SignInArgs { email: email.clone(), password: "not the password".into() }).unwrap_err();
    assert_eq!(wrong.code, "invalid_credentials", "{wrong:?}");
    call::<SignIn>(&h, SignInArgs { email: format!("  {email} "), password: PASSWORD.into() }).unwrap();

    let renamed = call::<UpdateName>(&h, NameArgs { name: "  Grace  ".into() }).unwrap();
    assert_eq!(renamed.name.as_deref(), Some("Grace"));
    assert_eq!(call::<UpdateName>(&h, NameArgs { name: " ".into() }).unwrap_err().code, codes::VALIDATION_ERROR);

    let sessions = call::<ListSessions>(&h, NoArgs {}).unwrap();
    assert_eq!(sessions.iter().filter(|s| s.is_current).count(), 1);
    assert!(sessions.iter().all(|s| s.is_current || s.id != "current"));
    assert_eq!(call::<RevokeSession>(&h, SessionIdArgs { id: "current".into() }).unwrap_err().code, codes::VALIDATION_ERROR);

    let svg = AvatarArgs { bytes: b"<svg/>".to_vec(), mime_type: "image/svg+xml".into() };
    assert_eq!(call::<UploadAvatar>(&h, svg).unwrap_err().code, codes::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(call::<DevMailbox>(&h, NoArgs {}).unwrap_err().code, codes::NOT_AVAILABLE, "no built-in backend here");
    assert_eq!(call::<CompleteRedirect>(&h, NoArgs {}).unwrap_err().code, codes::NO_REDIRECT);

    call::<SignOut>(&h, NoArgs {}).unwrap();
    assert!(call::<GetAppState>(&h, NoArgs {}).unwrap().user.is_none());
    assert_eq!(call::<ListSessions>(&h, NoArgs {}).unwrap_err().code, codes::SESSION_INVALID);
}

/// The app as `run` builds it before start-up has finished: no `AppCtx` yet, commands gated.
/// `wanted` is what the gate notifies when a command asks for start-up.
fn starting_app() -> (tauri::App<MockRuntime>, tauri::WebviewWindow<MockRuntime>, tokio::sync::watch::Sender<Option<Result<(), String>>>, Arc<tokio::sync::Notify>) {
    let (ready_tx, ready_rx) = tokio::sync::watch::channel(None);
    let wanted = Arc::new(tokio::sync::Notify::new());
    let app = mock_builder().manage(PendingRedirect::default()).invoke_handler(super::after_startup(ready_rx, wanted.clone(), super::handlers())).build(mock_context(noop_assets())).unwrap();
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    (app, webview, ready_tx, wanted)
}

/// Whether `wanted` holds a notification (taken if so).
fn notified(wanted: &tokio::sync::Notify) -> bool {
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    rt.block_on(async { tokio::time::timeout(std::time::Duration::from_millis(50), wanted.notified()).await.is_ok() })
}

#[test]
fn a_command_sent_during_start_up_waits_for_it_then_answers() {
    let (app, webview, ready, wanted) = starting_app();
    // Tauri's own calls (the UI's event subscriptions) do not start the slow part, nor do the
    // first screen's lists (sent before the first paint); `app_state` (sent after it) does.
    let _ = invoke_on(&webview, "no_such_command", serde_json::json!({}));
    let early = webview.clone();
    std::thread::spawn(move || invoke_on(&early, ListSessions::NAME, serde_json::json!({ ARGS_KEY: {} })));
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert!(!notified(&wanted), "only app_state asks for start-up");
    let (answered_tx, answered) = std::sync::mpsc::channel();
    let early = webview.clone();
    std::thread::spawn(move || answered_tx.send(invoke_on(&early, GetAppState::NAME, serde_json::json!({ ARGS_KEY: {} }))).unwrap());
    assert!(answered.recv_timeout(std::time::Duration::from_millis(300)).is_err(), "no answer before start-up has finished");
    assert!(notified(&wanted), "app_state asked for start-up");
    // Start-up finishes: the context appears, then the outcome is told.
    let backend = Backend { env_url: "http://127.0.0.1:9".into(), client_key: "k".into(), embedded: None };
    tauri::Manager::manage(&app, AppCtx::new(backend, Arc::new(altogic::MemoryStore::default()), Arc::new(|_: String| {})).unwrap());
    ready.send(Some(Ok(()))).unwrap();
    let state = answered.recv_timeout(std::time::Duration::from_secs(10)).expect("answered once started").expect("app_state succeeds");
    assert_eq!(state["user"], serde_json::Value::Null);
    // Later commands run at once.
    assert!(invoke_on(&webview, GetAppState::NAME, serde_json::json!({ ARGS_KEY: {} })).is_ok());
}

#[test]
fn a_failed_start_up_is_the_answer_of_every_command_and_unknown_commands_stay_unknown() {
    let (_app, webview, ready, _) = starting_app();
    let unknown = invoke_on(&webview, "no_such_command", serde_json::json!({})).unwrap_err().to_string();
    assert!(unknown.contains("not found"), "{unknown}");
    ready.send(Some(Err("the data dir is not writable".into()))).unwrap();
    let err: UiError = serde_json::from_value(invoke_on(&webview, GetAppState::NAME, serde_json::json!({ ARGS_KEY: {} })).unwrap_err()).unwrap();
    assert!(err.messages.iter().any(|m| m.contains("could not start: the data dir is not writable")), "{err:?}");
}

#[test]
fn two_step_verification_through_the_ipc_never_hands_the_ticket_to_the_webview() {
    use altogic_local::totp::{code_at, parse_base32, step_of, STEP_SECS};
    let h = harness();
    let clock = h._server.state.clock.clone();
    let next_code = |secret: &[u8]| {
        clock.advance(STEP_SECS);
        code_at(secret, step_of(clock.now()))
    };
    let email = format!("ipc-mfa{}@example.com", std::process::id());
    call::<SignUp>(&h, SignUpArgs { email: email.clone(), name: "Ipc".into(), password: PASSWORD.into() }).unwrap();
    assert!(!call::<MfaStatus>(&h, NoArgs {}).unwrap().enabled);
    let view = call::<EnrollTotp>(&h, NoArgs {}).unwrap();
    assert!(view.qr_svg.starts_with("<svg"), "drawn here, inline");
    let secret = parse_base32(&view.secret).unwrap();
    let codes = call::<ConfirmTotp>(&h, CodeArgs { code: next_code(&secret) }).unwrap();
    assert_eq!(codes.len(), 10);
    assert_eq!(call::<MfaStatus>(&h, NoArgs {}).unwrap().recovery_codes_left, 10);

    call::<SignOut>(&h, NoArgs {}).unwrap();
    let raw = invoke(&h, SignIn::NAME, serde_json::json!({ ARGS_KEY: SignInArgs { email: email.clone(), password: PASSWORD.into() } })).unwrap_err();
    assert!(!raw.to_string().to_lowercase().contains("ticket"), "the ticket stays in the shell: {raw}");
    let err: UiError = serde_json::from_value(raw).unwrap();
    assert_eq!(err.code, codes::MFA_REQUIRED);
    assert!(call::<MfaPending>(&h, NoArgs {}).unwrap());
    assert_eq!(call::<VerifyMfa>(&h, SecondFactorArgs::Code("000000".into())).unwrap_err().code, "invalid_code");
    let user = call::<VerifyMfa>(&h, SecondFactorArgs::RecoveryCode(codes[0].clone())).unwrap();
    assert_eq!(user.email.as_deref(), Some(email.as_str()));
    assert!(!call::<MfaPending>(&h, NoArgs {}).unwrap());
    assert_eq!(call::<MfaStatus>(&h, NoArgs {}).unwrap().recovery_codes_left, 9);

    // Turning it off from a fresh session needs no step-up; a wrong code is refused.
    assert_eq!(call::<DisableMfa>(&h, CodeArgs { code: "000000".into() }).unwrap_err().code, "invalid_code");
    call::<DisableMfa>(&h, CodeArgs { code: next_code(&secret) }).unwrap();
    assert!(!call::<MfaStatus>(&h, NoArgs {}).unwrap().enabled);
}

#[test]
fn the_account_through_the_ipc_strength_history_and_deletion() {
    let h = harness();
    let email = format!("ipc-life{}@example.com", std::process::id());
    let strong = "tangerine mosaic lantern";
    // A common password: the meter and the server give the same reason, in plain words.
    let meter = call::<PasswordStrength>(&h, PasswordStrengthArgs { password: "password1".into(), email: email.clone(), name: "Ipc".into() }).unwrap();
    assert!(!meter.passes && meter.reasons.iter().any(|r| r.contains("commonly used")), "{meter:?}");
    let refused = call::<SignUp>(&h, SignUpArgs { email: email.clone(), name: "Ipc".into(), password: "password1".into() }).unwrap_err();
    assert_eq!(refused.code, codes::WEAK_PASSWORD);
    assert!(refused.messages.iter().any(|m| m.contains("commonly used")), "{refused:?}");
    assert!(call::<PasswordStrength>(&h, PasswordStrengthArgs { password: strong.into(), email: String::new(), name: String::new() }).unwrap().passes);

    call::<SignUp>(&h, SignUpArgs { email: email.clone(), name: "Ipc".into(), password: strong.into() }).unwrap();
    call::<SignIn>(&h, SignInArgs { email: email.clone(), password: strong.into() }).unwrap();
    let events = call::<ListSecurityEvents>(&h, NoArgs {}).unwrap();
    let newest = events.first().expect("the sign-in is an event");
    assert_eq!((newest.kind.as_str(), newest.description.as_str(), newest.is_current), ("sign-in", "Signed in", true), "{events:?}");
    assert!(newest.device.starts_with("AltogicAuth on "), "{newest:?}");

    // Deleting needs the password; then this device has nothing of the account.
    assert_eq!(call::<DeleteAccount>(&h, ReauthArgs::Password("not the password".into())).unwrap_err().code, "invalid_credentials");
    call::<DeleteAccount>(&h, ReauthArgs::Password(strong.into())).unwrap();
    assert!(call::<GetAppState>(&h, NoArgs {}).unwrap().user.is_none());
    assert_eq!(call::<ListSecurityEvents>(&h, NoArgs {}).unwrap_err().code, codes::SESSION_INVALID);
    assert_eq!(call::<SignIn>(&h, SignInArgs { email, password: strong.into() }).unwrap_err().code, "invalid_credentials");
}
