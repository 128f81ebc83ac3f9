//! Every command the UI may invoke, declared once: its name, its arguments and its answer. The UI
//! calls `ctx.call::<SignIn>(SignInArgs { .. })`; the shell's handler takes `SignInArgs` and
//! returns `Output`. A renamed field or command fails to compile on both sides, and the shell's
//! test invokes every name in [`ALL`] through the real IPC.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::{AppState, EnrollmentView, MailView, MfaView, PasswordStrengthView, RedirectView, SecurityEventView, SessionView, SignUpOutcome, UserView};

/// One command: `window.__TAURI__.core.invoke(NAME, { args })` → `Output`, or a [`crate::UiError`].
pub trait Command {
    const NAME: &'static str;
    type Args: Serialize + DeserializeOwned;
    type Output: Serialize + DeserializeOwned;
}

/// The one parameter every command handler takes: Tauri names invoke arguments after it.
pub const ARGS_KEY: &str = "args";

/// For commands that take nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NoArgs {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInArgs {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignUpArgs {
    pub email: String,
    pub name: String,
    pub password: String,
}

/// An address to mail a link to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailArgs {
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewPasswordArgs {
    pub new_password: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyCodeArgs {
    pub email: String,
    pub code: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NameArgs {
    pub name: String,
}

/// A picture already checked and scaled by the UI (the shell checks again).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AvatarArgs {
    pub bytes: Vec<u8>,
    pub mime_type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionIdArgs {
    /// A [`SessionView::id`].
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangePasswordArgs {
    pub old_password: String,
    pub new_password: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeEmailArgs {
    pub password: String,
    pub new_email: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailLinkArgs {
    /// A link of a [`MailView`] of the built-in backend.
    pub link: String,
}

/// The second step of a sign-in: a code of the authenticator app, or a recovery code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SecondFactorArgs {
    Code(String),
    RecoveryCode(String),
}

/// A code of the authenticator app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeArgs {
    pub code: String,
}

/// Recovery codes to keep in a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryCodesArgs {
    pub codes: Vec<String>,
}

/// A proof for a step-up: the password, or (with two-step verification on) a code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ReauthArgs {
    Password(String),
    Code(String),
}

/// A password being typed, and the account's own words (which make it easier to guess). Empty
/// `email` and `name` stand for the signed-in account's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordStrengthArgs {
    pub password: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
}

macro_rules! commands {
    ($( $(#[doc = $doc:literal])* $ty:ident = $name:literal, $args:ty => $out:ty; )*) => {
        $(
            $(#[doc = $doc])*
            pub struct $ty;
            impl Command for $ty {
                const NAME: &'static str = $name;
                type Args = $args;
                type Output = $out;
            }
        )*
        /// Every command's name: the shell registers each one (tested).
        pub const ALL: &[&str] = &[$($name),*];
    };
}

commands! {
    /// The signed-in user (from the private store, no network) and the backend.
    GetAppState = "app_state", NoArgs => AppState;
    SignIn = "sign_in", SignInArgs => UserView;
    SignUp = "sign_up", SignUpArgs => SignUpOutcome;
    SendMagicLink = "send_magic_link", EmailArgs => ();
    ResendVerification = "resend_verification", EmailArgs => ();
    SendReset = "send_reset", EmailArgs => ();
    /// The mail link that opened the app, if any (kept until completed or discarded).
    GetPendingRedirect = "pending_redirect", NoArgs => Option<RedirectView>;
    /// Trades the pending redirect's access token for a session.
    CompleteRedirect = "complete_redirect", NoArgs => UserView;
    /// Drops the pending redirect unused (the user said No to switching accounts).
    DiscardRedirect = "discard_redirect", NoArgs => ();
    /// Sets the password with the pending reset-pwd redirect's token.
    CompleteReset = "complete_reset", NewPasswordArgs => ();
    /// The mail's 6-digit code, when the link cannot open the app: becomes the pending redirect.
    VerifyCode = "verify_code", VerifyCodeArgs => RedirectView;
    /// The user, fresh from the server.
    RefreshUser = "refresh_user", NoArgs => UserView;
    UpdateName = "update_name", NameArgs => UserView;
    /// Uploaded to bucket `root` as `user_<id>`, then set as the profile picture.
    UploadAvatar = "upload_avatar", AvatarArgs => UserView;
    /// Current session first, then newest first.
    ListSessions = "list_sessions", NoArgs => Vec<SessionView>;
    RevokeSession = "revoke_session", SessionIdArgs => ();
    SignOutOthers = "sign_out_others", NoArgs => ();
    /// Always signs out locally, even when the server cannot be told.
    SignOut = "sign_out", NoArgs => ();
    ChangePassword = "change_password", ChangePasswordArgs => ();
    ChangeEmail = "change_email", ChangeEmailArgs => UserView;
    /// The built-in backend's mails.
    DevMailbox = "dev_mailbox", NoArgs => Vec<MailView>;
    /// Opens a dev-mailbox link inside the app, as if it came in as a deep link.
    OpenMailLink = "open_mail_link", MailLinkArgs => ();
    /// Leaves the app (Android's back button on a first screen; ui/assets/boot.js calls it).
    LeaveApp = "leave_app", NoArgs => ();
    /// Finishes a sign-in that answered `mfa_required` (its ticket stays in the shell).
    VerifyMfa = "verify_mfa", SecondFactorArgs => UserView;
    /// Gives up a sign-in waiting for its second step.
    CancelMfa = "cancel_mfa", NoArgs => ();
    /// Whether a sign-in waits for its second step (the two-step screen's guard).
    MfaPending = "mfa_pending", NoArgs => bool;
    MfaStatus = "mfa_status", NoArgs => MfaView;
    /// Starts setting up an authenticator app: its QR code and secret (the factor id stays here).
    EnrollTotp = "enroll_totp", NoArgs => EnrollmentView;
    /// Confirms the set-up with the app's first code: answers the recovery codes, shown once.
    ConfirmTotp = "confirm_totp", CodeArgs => Vec<String>;
    /// Turns two-step verification off (needs a recent authentication).
    DisableMfa = "disable_mfa", CodeArgs => ();
    /// New recovery codes, replacing the old ones (needs a recent authentication).
    NewRecoveryCodes = "new_recovery_codes", CodeArgs => Vec<String>;
    /// Writes recovery codes to an owner-only file in the Downloads folder; answers its path.
    SaveRecoveryCodes = "save_recovery_codes", RecoveryCodesArgs => String;
    /// Proves again who uses the session, for a call that answered `reauthentication_required`.
    Reauthenticate = "reauthenticate", ReauthArgs => ();
    /// The newest 20 security events, newest first, this device's marked.
    ListSecurityEvents = "security_events", NoArgs => Vec<SecurityEventView>;
    /// Saves what the service holds about the account, as JSON, where the user chooses (a save
    /// dialog; on phones the Downloads folder): answers the file's path, or None when cancelled.
    ExportAccount = "export_account", NoArgs => Option<String>;
    /// Deletes the account for good (the password, or a code with two-step verification on);
    /// this device then forgets it: session, keychain entries, profile, pending links.
    DeleteAccount = "delete_account", ReauthArgs => ();
    /// How strong a new password is, by the server's rules.
    PasswordStrength = "password_strength", PasswordStrengthArgs => PasswordStrengthView;
}
