//! The account's own life in the app (`shared/account-security-api.md` §4–6): its security history
//! in plain words, its data saved to a file, deleting it (after which this device forgets it), and
//! the strength of a new password, computed here so that the UI carries no dictionary.

use altogic::account_security::{DeleteAccountRequest, SecurityEvent, EVENTS_LIMIT_DEFAULT, MIN_PASSWORD_SCORE};
use altogic::password_policy::{assess, Assessment};
use altogic_auth_ipc::commands::*;
use altogic_auth_ipc::{codes, PasswordStrengthView, SecurityEventView};
use tauri::{AppHandle, Runtime, State};

use super::{signed_in_user, Answer};
use crate::errors::{CmdError, CmdResult};
use crate::redirect::PendingRedirect;
use crate::session_life::handle_of;
use crate::AppCtx;

/// The name the save dialog offers.
const EXPORT_FILE: &str = "altogic-account-export.json";

#[tauri::command]
pub async fn security_events(ctx: State<'_, AppCtx>, args: NoArgs) -> Answer<ListSecurityEvents> {
    let _ = args;
    signed_in_user(&ctx)?;
    let events = ctx.client.auth().security_events(EVENTS_LIMIT_DEFAULT).await?;
    ctx.life.used(&ctx.client);
    let current = ctx.client.session().map(|s| handle_of(&s.token).to_string());
    Ok(events.into_iter().map(|e| event_view(e, current.as_deref())).collect())
}

fn event_view(e: SecurityEvent, current: Option<&str>) -> SecurityEventView {
    SecurityEventView {
        is_current: current.is_some() && e.session_id.as_deref() == current,
        kind: e.kind.as_str().to_string(),
        description: e.kind.describe().to_string(),
        device: device_name(&e.user_agent),
        at: e.at,
        network: e.network,
        id: e.id,
    }
}

/// Browsers by a token of their user agent, the more specific first (Edge and Opera say Chrome
/// too, and Chrome says Safari).
const BROWSERS: [(&str, &str); 5] = [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari")];
/// Systems likewise (an iPhone says "like Mac OS X", Android says Linux).
const SYSTEMS: [(&str, &str); 8] = [("Windows", "Windows"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Mac OS X", "macOS"), ("Macintosh", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux")];

/// A device as people name it, from a request's user agent: the app's own names the machine
/// (`AltogicAuth/0.1.0 (Linux; x86_64; Device "ann-laptop")` → "AltogicAuth on ann-laptop"), a
/// browser's its family and system ("Chrome on macOS"), a tool's its name.
fn device_name(ua: &str) -> String {
    let ua: String = ua.chars().take(512).collect();
    // Apps and tools: "Name/1.2.3 (…)"; browsers all start with "Mozilla/".
    let app = ua.split_whitespace().next().and_then(|first| first.split_once('/')).map(|(name, _)| name).filter(|name| !name.is_empty() && *name != "Mozilla");
    let machine = ua.find("Device \"").map(|start| &ua[start + 8..]).and_then(|rest| rest.split('"').next()).filter(|d| !d.trim().is_empty());
    if let Some(machine) = machine {
        return match app {
            Some(app) => format!("{app} on {machine}"),
            None => machine.to_string(),
        };
    }
    let browser = BROWSERS.iter().find(|(token, _)| ua.contains(token)).map(|(_, name)| *name);
    let system = SYSTEMS.iter().find(|(token, _)| ua.contains(token)).map(|(_, name)| *name);
    match (browser.or(app), system) {
        (Some(what), Some(system)) => format!("{what} on {system}"),
        (Some(what), None) => what.to_string(),
        (None, Some(system)) => system.to_string(),
        (None, None) => "Unknown device".to_string(),
    }
}

/// Asks where to save (a save dialog), then saves the export there, pretty-printed. The export
/// is fetched only once a place is chosen: a cancelled download makes none (it is a security
/// event).
#[tauri::command]
pub async fn export_account<R: Runtime>(app: AppHandle<R>, ctx: State<'_, AppCtx>, args: NoArgs) -> Answer<ExportAccount> {
    let _ = args;
    signed_in_user(&ctx)?;
    let Some(target) = choose_target(&app).await? else { return Ok(None) };
    let export = ctx.client.auth().export_account().await?;
    ctx.life.used(&ctx.client);
    let text = serde_json::to_string_pretty(&export).map_err(|e| CmdError::new(codes::INVALID_RESPONSE, format!("The export could not be written: {e}")))?;
    target.write(text.as_bytes()).map(Some)
}

/// Where the export goes.
enum Target {
    /// Chosen in the save dialog (which has asked before replacing a file).
    #[cfg_attr(mobile, allow(dead_code))]
    Chosen(std::path::PathBuf),
    /// A new file in this folder.
    #[cfg_attr(desktop, allow(dead_code))]
    NewIn(std::path::PathBuf),
}

fn save_failed(e: std::io::Error) -> CmdError {
    CmdError::new(codes::UNKNOWN_ERROR, format!("Your data could not be saved: {e}"))
}

impl Target {
    /// Writes the file; answers its path.
    fn write(self, bytes: &[u8]) -> CmdResult<String> {
        match self {
            Target::Chosen(path) => {
                std::fs::write(&path, bytes).map_err(save_failed)?;
                Ok(path.to_string_lossy().into_owned())
            }
            Target::NewIn(dir) => {
                std::fs::create_dir_all(&dir).map_err(save_failed)?;
                let (stem, ext) = EXPORT_FILE.rsplit_once('.').unwrap_or((EXPORT_FILE, "json"));
                for n in 1..1000 {
                    let name = if n == 1 { EXPORT_FILE.to_string() } else { format!("{stem}-{n}.{ext}") };
                    let path = dir.join(name);
                    // Personal data: readable by its owner only, never over an earlier file.
                    match crate::owner_only_file::create_new(&path, bytes) {
                        Ok(()) => return Ok(path.to_string_lossy().into_owned()),
                        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                        Err(e) => return Err(save_failed(e)),
                    }
                }
                Err(CmdError::new(codes::UNKNOWN_ERROR, "The Downloads folder has too many export files."))
            }
        }
    }
}

/// The save dialog, starting in Downloads with [`EXPORT_FILE`]; None when it was cancelled.
#[cfg(desktop)]
async fn choose_target<R: Runtime>(app: &AppHandle<R>) -> CmdResult<Option<Target>> {
    use tauri::Manager;
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut dialog = app.dialog().file().set_title("Download my data").set_file_name(EXPORT_FILE).add_filter("JSON", &["json"]);
    if let Ok(dir) = app.path().download_dir() {
        dialog = dialog.set_directory(dir);
    }
    dialog.save_file(move |path| {
        let _ = tx.send(path);
    });
    let Some(chosen) = rx.await.ok().flatten() else { return Ok(None) };
    let path = chosen.into_path().map_err(|e| CmdError::new(codes::UNKNOWN_ERROR, format!("That place cannot be saved to: {e}")))?;
    Ok(Some(Target::Chosen(path)))
}

/// Phones: the dialog hands back a content URI, not a path; the file goes to Downloads, as the
/// recovery codes do.
#[cfg(mobile)]
async fn choose_target<R: Runtime>(app: &AppHandle<R>) -> CmdResult<Option<Target>> {
    use tauri::Manager;
    let dir = app.path().download_dir().or_else(|_| app.path().document_dir()).map_err(|e| CmdError::new(codes::UNKNOWN_ERROR, format!("No folder to save to: {e}")))?;
    Ok(Some(Target::NewIn(dir)))
}

/// Deletes the account; the client has forgotten its session, profile, device token and link
/// requests by then (their keychain entries go with them), and the shell forgets what it holds.
#[tauri::command]
pub async fn delete_account(ctx: State<'_, AppCtx>, pending: State<'_, PendingRedirect>, args: ReauthArgs) -> Answer<DeleteAccount> {
    signed_in_user(&ctx)?;
    let proof = match args {
        ReauthArgs::Password(password) => DeleteAccountRequest { password: Some(password), code: None },
        ReauthArgs::Code(code) => DeleteAccountRequest { password: None, code: Some(code.trim().to_string()) },
    };
    ctx.client.auth().delete_account(proof).await?;
    pending.take();
    ctx.enrolling.lock().unwrap_or_else(|e| e.into_inner()).take();
    ctx.life.forget();
    Ok(())
}

/// The server's password rules applied as the password is typed. Empty `email` and `name` stand
/// for the signed-in account's (a new password on Profile).
#[tauri::command]
pub async fn password_strength(ctx: State<'_, AppCtx>, args: PasswordStrengthArgs) -> Answer<PasswordStrength> {
    let me = ctx.client.user();
    let or_mine = |typed: &str, mine: Option<String>| if typed.trim().is_empty() { mine.unwrap_or_default() } else { typed.trim().to_string() };
    let email = or_mine(&args.email, me.as_ref().and_then(|u| u.email.clone()));
    let name = or_mine(&args.name, me.as_ref().and_then(|u| u.name.clone()));
    let password = args.password;
    // zxcvbn takes milliseconds: not on the async runtime's threads.
    let assessment = tauri::async_runtime::spawn_blocking(move || {
        let inputs: Vec<&str> = [email.as_str(), name.as_str()].into_iter().filter(|s| !s.is_empty()).collect();
        assess(&password, &inputs, MIN_PASSWORD_SCORE)
    })
    .await
    .map_err(|e| CmdError::new(codes::UNKNOWN_ERROR, format!("The password could not be checked: {e}")))?;
    Ok(strength_view(&assessment))
}

fn strength_view(a: &Assessment) -> PasswordStrengthView {
    PasswordStrengthView { score: a.score, reasons: a.reasons.iter().map(|r| r.explain()).collect(), suggestion: a.suggestion.clone(), passes: a.passes() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_named_from_their_user_agents() {
        assert_eq!(device_name("AltogicAuth/0.1.0 (Linux; x86_64; Device \"ann-laptop\")"), "AltogicAuth on ann-laptop");
        assert_eq!(device_name("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"), "Chrome on macOS");
        assert_eq!(device_name("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"), "Safari on iPhone");
        assert_eq!(device_name("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36"), "Chrome on Android");
        assert_eq!(device_name("curl/8.5.0"), "curl");
        assert_eq!(device_name(""), "Unknown device");
    }

    #[test]
    fn events_say_what_happened_and_mark_this_session() {
        let event = |session: Option<&str>| SecurityEvent {
            id: "e1".into(),
            kind: altogic::account_security::EventType::SignIn,
            at: "2026-11-26T10:00:00.000Z".into(),
            user_agent: "AltogicAuth/0.1.0 (Linux; x86_64; Device \"ann-laptop\")".into(),
            network: "203.0.113.0/24".into(),
            session_id: session.map(str::to_string),
        };
        let mine = event_view(event(Some("handle")), Some("handle"));
        assert_eq!((mine.kind.as_str(), mine.description.as_str(), mine.is_current), ("sign-in", "Signed in", true));
        assert!(!event_view(event(Some("other")), Some("handle")).is_current);
        assert!(!event_view(event(None), None).is_current, "no session on either side is no match");
    }

    #[test]
    fn a_common_password_is_explained_and_a_long_phrase_passes() {
        let weak = strength_view(&assess("password1", &[], MIN_PASSWORD_SCORE));
        assert!(!weak.passes && weak.reasons.iter().any(|r| r.contains("commonly used")), "{weak:?}");
        let fine = strength_view(&assess("tangerine mosaic lantern", &[], MIN_PASSWORD_SCORE));
        assert!(fine.passes && fine.reasons.is_empty(), "{fine:?}");
    }
}
