//! Composes the auth mails, keeps a copy in the dev mailbox and, when an SMTP URL is set, sends them.

use std::sync::Arc;

use altogic::RedirectAction;
use lettre::message::{Mailbox as Address, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::crypto::new_id;
use crate::metrics::Mail;
use tracing::Instrument;
use crate::domain::Email;
use crate::store::{MailRow, Store, StoreResult};
use crate::time::now_iso;

/// What a mail is about; decides its words. The link's redirect `action` is [`MailKind::action`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    EmailConfirm,
    MagicLink,
    ResetPwd,
    ChangeEmail,
    /// Someone signed up with an address that already has an account: the owner gets a sign-in link.
    AccountExists,
    /// After a contested sign-up was confirmed without a password: a reset link to choose one.
    SetPassword,
    /// A mail with no link that signs in, telling the owner of a change (contract §7).
    Notice(Notice),
}

/// What a notice tells. Its dev-mailbox `action` is `notice:<kind>` ([`Notice::kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    PasswordChanged,
    PasswordReset,
    /// Sent to the previous address after a change of address.
    EmailChanged,
    MfaEnabled,
    MfaDisabled,
    RecoveryCodeUsed,
    RecoveryCodesRegenerated,
    /// A successful sign-in from a user agent and network the account had not signed in from.
    NewDevice,
    AccountDeleted,
}

impl Notice {
    /// The contract's name of the notice.
    pub fn kind(self) -> &'static str {
        match self {
            Notice::PasswordChanged => "password-changed",
            Notice::PasswordReset => "password-reset",
            Notice::EmailChanged => "email-changed",
            Notice::MfaEnabled => "mfa-enabled",
            Notice::MfaDisabled => "mfa-disabled",
            Notice::RecoveryCodeUsed => "recovery-code-used",
            Notice::RecoveryCodesRegenerated => "recovery-codes-regenerated",
            Notice::NewDevice => "new-device",
            Notice::AccountDeleted => "account-deleted",
        }
    }

    fn words(self) -> (&'static str, &'static str) {
        const NOT_YOU: &str = "If this was not you, reset your password from the app at once, and sign out your other devices.";
        match self {
            Notice::PasswordChanged => ("Your password was changed", "The password of your account was changed, and your other devices were signed out. If this was not you, reset your password from the app at once."),
            Notice::PasswordReset => ("Your password was reset", "The password of your account was reset with a link mailed to this address, and every device was signed out. If this was not you, reset it again from the app at once: someone can read your mail."),
            Notice::NewDevice => ("New sign-in to your account", "Your account was just signed in to from a device or network it had not been signed in from before. If this was you, there is nothing to do. If not, reset your password from the app at once, and sign out your other devices."),
            Notice::AccountDeleted => ("Your account was deleted", "Your account and everything it held were deleted, as you asked. This address can sign up again at any time."),
            Notice::EmailChanged => ("Your e-mail address was changed", "The e-mail address of your account was changed and this address no longer signs in. Your other devices were signed out. If you did not do this, reset your password from the app with your new address, or contact support."),
            Notice::MfaEnabled => ("Two-step verification is on", "Two-step verification was turned on for your account: signing in now also asks for a code from your authenticator app. Your other devices were signed out."),
            Notice::MfaDisabled => ("Two-step verification was turned off", NOT_YOU),
            Notice::RecoveryCodeUsed => ("A recovery code was used", NOT_YOU),
            Notice::RecoveryCodesRegenerated => ("New recovery codes were made", NOT_YOU),
        }
    }
}

impl MailKind {
    /// The redirect action of the mail's link; None for a notice, which has no link.
    pub fn action(self) -> Option<RedirectAction> {
        match self {
            MailKind::EmailConfirm => Some(RedirectAction::EmailConfirm),
            MailKind::MagicLink | MailKind::AccountExists => Some(RedirectAction::MagicLink),
            MailKind::ResetPwd | MailKind::SetPassword => Some(RedirectAction::ResetPwd),
            MailKind::ChangeEmail => Some(RedirectAction::ChangeEmail),
            MailKind::Notice(_) => None,
        }
    }

    /// How the dev mailbox files the mail: its link's action, or `notice:<kind>`.
    pub fn mailbox_action(self) -> String {
        match (self, self.action()) {
            (MailKind::Notice(notice), _) => format!("notice:{}", notice.kind()),
            (_, Some(action)) => action.as_str().to_string(),
            (_, None) => String::new(),
        }
    }

    fn words(self) -> (&'static str, &'static str, &'static str) {
        match self {
            MailKind::EmailConfirm => ("Confirm your e-mail address", "Someone signed up with this address. If it was you, confirm it to finish creating your account. If it was not, ignore this mail: no account exists until the address is confirmed.", "Confirm e-mail"),
            MailKind::SetPassword => ("Choose your password", "Your account is confirmed. Someone else also tried to sign up with this address, so to be safe no password chosen at sign-up was kept. Choose your password with this link; until then, sign in with a magic link.", "Choose password"),
            MailKind::MagicLink => ("Your sign-in link", "Use this link to sign in. If you did not ask for it, you can ignore this mail.", "Sign in"),
            MailKind::ResetPwd => ("Reset your password", "Someone asked to reset the password of your account. If it was you, choose a new password with this link.", "Reset password"),
            MailKind::ChangeEmail => ("Confirm your new e-mail address", "Confirm that this is the new e-mail address of your account.", "Confirm new address"),
            MailKind::AccountExists => ("You already have an account", "Someone tried to create an account with this address, which already has one. If it was you, sign in with this link, or reset your password from the app.", "Sign in"),
            MailKind::Notice(notice) => {
                let (subject, intro) = notice.words();
                (subject, intro, "")
            }
        }
    }
}

pub struct Mailer {
    store: Arc<Store>,
    metrics: Arc<crate::metrics::Metrics>,
    keep_copy: bool,
    from: Address,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
}

/// Whether mail sent through `url` is encrypted on the way, or never leaves this machine:
/// `smtps://`, `smtp://…?tls=required` (STARTTLS, refused without it), or plain SMTP to loopback.
/// lettre's default for `smtp://` is no TLS, and `tls=opportunistic` falls back to plain text for
/// anyone who can strip the STARTTLS offer.
pub fn smtp_is_private(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else { return true };
    let required = parsed.query_pairs().any(|(k, v)| k == "tls" && v == "required");
    match parsed.scheme() {
        "smtps" => true,
        "smtp" => required || crate::config::is_loopback_host(&parsed),
        _ => true,
    }
}

impl Mailer {
    /// `insecure` allows plain SMTP to another machine (see [`smtp_is_private`]).
    pub fn new(store: Arc<Store>, metrics: Arc<crate::metrics::Metrics>, keep_copy: bool, from: &str, smtp_url: Option<&str>, insecure: bool) -> anyhow_like::Result<Self> {
        let from: Address = from.parse().map_err(|e| format!("invalid --mail-from: {e}"))?;
        let smtp = match smtp_url {
            Some(url) => {
                if !insecure && !smtp_is_private(url) {
                    return Err("--smtp-url would send sign-in links and codes to another machine without TLS: use smtps://, or smtp://…?tls=required, or allow it with --smtp-insecure".into());
                }
                Some(AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| format!("invalid --smtp-url: {e}"))?.build())
            }
            None => None,
        };
        Ok(Mailer { store, metrics, keep_copy, from, smtp })
    }

    /// A notice to `to` (no link). Like every mail, a delivery problem is logged, not returned.
    pub async fn notify(&self, notice: Notice, to: &str) -> StoreResult<()> {
        match Email::parse(to) {
            Ok(address) => self.send(MailKind::Notice(notice), &address, None).await,
            Err(_) => Ok(()),
        }
    }

    /// Composes and delivers one mail; `link` is the URL and the 6-digit code, None for a notice.
    /// SMTP runs in the background: a slow mail server must not slow the request, and its failure
    /// is logged (without the link, which is a credential).
    pub async fn send(&self, kind: MailKind, to: &Email, link: Option<(&str, &str)>) -> StoreResult<()> {
        let (subject, intro, button) = kind.words();
        let esc = |s: &str| html_escape::encode_double_quoted_attribute(s).into_owned();
        let (text, html) = match link {
            Some((link, code)) => (
                format!("{intro}\n\n{button}: {link}\n\nIf the link does not open the app, enter this code instead: {code}\n\nThe link and the code expire in one hour.\n"),
                format!(
                    "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;max-width:480px;margin:auto;padding:24px\">\
                     <h1 style=\"font-size:20px\">{subject}</h1><p>{intro}</p>\
                     <p><a href=\"{href}\" style=\"display:inline-block;padding:12px 20px;background:#3b5bdb;color:#fff;border-radius:8px;text-decoration:none\">{button}</a></p>\
                     <p>If the link does not open the app, enter this code instead:</p>\
                     <p style=\"font-size:28px;letter-spacing:6px;font-weight:bold\">{code}</p>\
                     <p style=\"color:#666;font-size:13px\">The link and the code expire in one hour.</p></body></html>",
                    subject = esc(subject),
                    intro = esc(intro),
                    href = esc(link),
                    button = esc(button),
                    code = esc(code),
                ),
            ),
            None => (
                format!("{intro}\n"),
                format!(
                    "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;max-width:480px;margin:auto;padding:24px\">\
                     <h1 style=\"font-size:20px\">{subject}</h1><p>{intro}</p></body></html>",
                    subject = esc(subject),
                    intro = esc(intro),
                ),
            ),
        };
        let (link, code) = link.unwrap_or(("", ""));
        if self.keep_copy {
            self.store
                .insert_mail(&MailRow {
                    id: new_id(),
                    to: to.as_str().to_string(),
                    subject: subject.to_string(),
                    action: kind.mailbox_action(),
                    link: link.to_string(),
                    code: code.to_string(),
                    text: text.clone(),
                    html: html.clone(),
                    created_at: now_iso(),
                })
                .await?;
        }
        let Some(smtp) = &self.smtp else {
            self.metrics.mail(Mail::Captured);
            return Ok(());
        };
        let message = match to.as_str().parse::<Address>() {
            Ok(recipient) => Message::builder()
                .from(self.from.clone())
                .to(recipient)
                .subject(subject)
                .multipart(MultiPart::alternative_plain_html(text, html)),
            Err(e) => {
                tracing::warn!(error = %e, "recipient address refused by the mail builder");
                return Ok(());
            }
        };
        match message {
            Ok(message) => {
                let (smtp, metrics) = (smtp.clone(), self.metrics.clone());
                tokio::spawn(tracing::Instrument::in_current_span(async move {
                    match smtp.send(message).await {
                        Ok(_) => metrics.mail(Mail::Sent),
                        Err(e) => {
                            metrics.mail(Mail::Failed);
                            tracing::warn!(error = %e, "SMTP delivery failed");
                        }
                    }
                }));
            }
            Err(e) => {
                self.metrics.mail(Mail::Failed);
                tracing::warn!(error = %e, "could not build the mail");
            }
        }
        Ok(())
    }
}

/// A notice after a change that is already written: a failure to store or send it is logged, and
/// the caller still gets its answer.
/// It runs to its end even if the request is dropped meanwhile (a client hanging up right after a
/// change must not be able to keep the owner from hearing of it).
pub async fn notice(state: &crate::AppState, notice: Notice, to: &str) {
    let (mailer, to) = (state.mailer.clone(), to.to_string());
    let _ = tokio::spawn(async move {
        if let Err(e) = mailer.notify(notice, &to).await {
            tracing::warn!(error = %e, notice = notice.kind(), "a notice was not sent");
        }
    }
    .in_current_span())
    .await;
}

/// Setup errors are plain strings: they are printed and the process exits.
pub mod anyhow_like {
    pub type Result<T> = std::result::Result<T, String>;
}
