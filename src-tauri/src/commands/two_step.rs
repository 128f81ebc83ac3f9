//! Two-step verification in the app: the second step of a sign-in (its ticket never leaves the
//! Altogic client), setting up an authenticator app (its QR code drawn here, never by a remote
//! service), recovery codes, and re-authentication for the calls that need a recent one.

use altogic::account_security::{ReauthenticateRequest, SecondFactor};
use altogic_auth_ipc::commands::*;
use altogic_auth_ipc::{codes, EnrollmentView, MfaView};
use tauri::{AppHandle, Manager, Runtime, State};

use super::{signed_in_user, Answer};
use crate::errors::{CmdError, CmdResult};
use crate::AppCtx;

#[tauri::command]
pub async fn verify_mfa(ctx: State<'_, AppCtx>, args: SecondFactorArgs) -> Answer<VerifyMfa> {
    let factor = match args {
        SecondFactorArgs::Code(code) => SecondFactor::code(code.trim()),
        SecondFactorArgs::RecoveryCode(code) => SecondFactor::recovery_code(code.trim()),
    };
    let (user, _) = ctx.client.auth().verify_mfa(factor).await?;
    ctx.life.used(&ctx.client);
    Ok(user.into())
}

#[tauri::command]
pub fn cancel_mfa(ctx: State<'_, AppCtx>, args: NoArgs) -> Answer<CancelMfa> {
    let _ = args;
    ctx.client.auth().cancel_mfa();
    Ok(())
}

#[tauri::command]
pub fn mfa_pending(ctx: State<'_, AppCtx>, args: NoArgs) -> Answer<MfaPending> {
    let _ = args;
    Ok(ctx.client.auth().mfa_pending())
}

#[tauri::command]
pub async fn mfa_status(ctx: State<'_, AppCtx>, args: NoArgs) -> Answer<MfaStatus> {
    let _ = args;
    signed_in_user(&ctx)?;
    let status = ctx.client.auth().mfa_status().await?;
    ctx.life.used(&ctx.client);
    Ok(MfaView { enabled: status.enabled, recovery_codes_left: status.recovery_codes_left })
}

#[tauri::command]
pub async fn enroll_totp(ctx: State<'_, AppCtx>, args: NoArgs) -> Answer<EnrollTotp> {
    let _ = args;
    signed_in_user(&ctx)?;
    let enrollment = ctx.client.auth().enroll_totp().await?;
    let view = EnrollmentView { qr_svg: qr_svg(&enrollment.uri)?, secret: grouped(&enrollment.secret) };
    *ctx.enrolling.lock().unwrap_or_else(|e| e.into_inner()) = Some(enrollment.factor_id);
    Ok(view)
}

#[tauri::command]
pub async fn confirm_totp(ctx: State<'_, AppCtx>, args: CodeArgs) -> Answer<ConfirmTotp> {
    let factor_id = ctx.enrolling.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let factor_id = factor_id.ok_or_else(|| CmdError::new(codes::VALIDATION_ERROR, "Start the set-up again: it was not started on this device."))?;
    let codes = ctx.client.auth().confirm_totp(&factor_id, args.code.trim()).await?;
    ctx.enrolling.lock().unwrap_or_else(|e| e.into_inner()).take();
    Ok(codes.recovery_codes)
}

#[tauri::command]
pub async fn disable_mfa(ctx: State<'_, AppCtx>, args: CodeArgs) -> Answer<DisableMfa> {
    Ok(ctx.client.auth().disable_mfa(SecondFactor::code(args.code.trim())).await?)
}

#[tauri::command]
pub async fn new_recovery_codes(ctx: State<'_, AppCtx>, args: CodeArgs) -> Answer<NewRecoveryCodes> {
    Ok(ctx.client.auth().regenerate_recovery_codes(args.code.trim()).await?.recovery_codes)
}

#[tauri::command]
pub async fn reauthenticate(ctx: State<'_, AppCtx>, args: ReauthArgs) -> Answer<Reauthenticate> {
    let proof = match args {
        ReauthArgs::Password(password) => ReauthenticateRequest { password: Some(password), code: None },
        ReauthArgs::Code(code) => ReauthenticateRequest { password: None, code: Some(code.trim().to_string()) },
    };
    ctx.client.auth().reauthenticate(proof).await?;
    Ok(())
}

/// The file the recovery codes are saved to, in the Downloads folder: owner-only (they sign in),
/// never overwriting an earlier one.
#[tauri::command]
pub fn save_recovery_codes<R: Runtime>(app: AppHandle<R>, ctx: State<'_, AppCtx>, args: RecoveryCodesArgs) -> Answer<SaveRecoveryCodes> {
    let user = signed_in_user(&ctx)?;
    let failed = |e: std::io::Error| CmdError::new(codes::UNKNOWN_ERROR, format!("The codes could not be saved: {e}"));
    let dir = app.path().download_dir().or_else(|_| app.path().document_dir()).map_err(|e| CmdError::new(codes::UNKNOWN_ERROR, format!("No folder to save to: {e}")))?;
    std::fs::create_dir_all(&dir).map_err(failed)?;
    let text = recovery_file(user.email.as_deref().unwrap_or(""), &args.codes);
    for n in 1..1000 {
        let name = if n == 1 { "altogic-auth-recovery-codes.txt".to_string() } else { format!("altogic-auth-recovery-codes-{n}.txt") };
        let path = dir.join(name);
        match crate::owner_only_file::create_new(&path, text.as_bytes()) {
            Ok(()) => return Ok(path.to_string_lossy().into_owned()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(failed(e)),
        }
    }
    Err(CmdError::new(codes::UNKNOWN_ERROR, "The Downloads folder has too many recovery-code files."))
}

fn recovery_file(email: &str, codes: &[String]) -> String {
    let mut text = format!("Altogic Auth recovery codes for {email}\n\nEach code signs in once when your authenticator app is not at hand.\nKeep them somewhere safe, apart from your password.\n\n");
    for code in codes {
        text.push_str(code);
        text.push('\n');
    }
    text
}

/// The secret in groups of four, as people copy it into an app by hand.
fn grouped(secret: &str) -> String {
    secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

/// The URI as an inline SVG QR code (no XML declaration: it goes into the page).
fn qr_svg(uri: &str) -> CmdResult<String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(|e| CmdError::new(codes::INVALID_RESPONSE, format!("The set-up link could not be drawn: {e}")))?;
    let svg = code.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).quiet_zone(true).build();
    Ok(svg.find("<svg").map(|i| svg[i..].to_string()).unwrap_or(svg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_is_grouped_and_the_qr_code_is_inline_svg() {
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
        let svg = qr_svg("otpauth://totp/Altogic%20Auth:ada@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Altogic%20Auth&algorithm=SHA1&digits=6&period=30").unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{}", &svg[..60]);
    }
}
