//! Profile → Security: "Download my data" (the export, saved where the user chooses) and the
//! danger zone, "Delete account" (the password, or a code with two-step verification on).

use altogic_auth_ipc::commands::{DeleteAccount, ExportAccount, MfaStatus, NoArgs, ReauthArgs};
use dioxus::prelude::*;

use crate::components::{BusyButton, Errors, Field, SubmitButton};
use crate::context::{use_app, ACCOUNT_DELETED};
use crate::hooks::use_action;
use crate::{logic, Route};

#[component]
pub fn DownloadData() -> Element {
    let export = use_action();
    let mut note = use_signal(String::new);
    let download = move |()| {
        note.set(String::new());
        export.run::<ExportAccount>(NoArgs {}, move |saved| {
            note.set(match saved {
                Some(path) => format!("Saved to {path}"),
                None => "Nothing was saved.".to_string(),
            })
        });
    };
    rsx! {
        div { class: "account-data", role: "region", "aria-labelledby": "data-title",
            div { class: "panel-header",
                h3 { id: "data-title", class: "panel-subtitle", "Your data" }
                BusyButton { id: "download-data", class: "btn btn-outline btn-sm", label: "Download my data", busy: export.pending(), onclick: download }
            }
            p { class: "muted small", "A JSON file of what the service holds about you: your profile, your sessions, your security history and your files." }
            p { id: "download-note", class: "muted small", role: "status", "{note}" }
            Errors { messages: export.errors(), id: "download-errors" }
        }
    }
}

/// What deleting removes, said before anything is asked; the form opens on request.
#[component]
pub fn DangerZone() -> Element {
    let mut open = use_signal(|| false);
    rsx! {
        div { id: "danger-zone", class: "danger-zone", role: "region", "aria-labelledby": "danger-title",
            div { class: "panel-header",
                h3 { id: "danger-title", class: "panel-subtitle", "Delete account" }
                if !open() {
                    button { id: "delete-account", class: "btn btn-danger btn-sm", r#type: "button", onclick: move |_| open.set(true), "Delete account" }
                }
            }
            p { id: "delete-account-text", class: "small",
                "Deleting your account removes your account, every session on every device, your files and your security history. "
                strong { "It cannot be undone." }
            }
            if open() {
                DeleteAccountForm { oncancel: move |_| open.set(false) }
            }
        }
    }
}

/// The password (or, with two-step verification on, a code), then the deletion; Home says so.
#[component]
fn DeleteAccountForm(oncancel: EventHandler<()>) -> Element {
    let ctx = use_app();
    let nav = navigator();
    let mut proof = use_signal(String::new);
    let delete = use_action();
    // With two-step verification on, a code confirms it, not the password.
    let mfa = use_resource(move || async move { ctx.call::<MfaStatus>(NoArgs {}).await.map(|s| s.enabled).unwrap_or(false) });
    let uses_code = (*mfa.read()).unwrap_or(false);
    let submit = move |e: FormEvent| {
        e.prevent_default();
        let typed = proof.peek().clone();
        let args = if uses_code {
            let Some(c) = logic::normalize_code(&typed) else {
                return delete.fail(vec!["Enter the 6-digit code from your authenticator app.".into()]);
            };
            ReauthArgs::Code(c)
        } else {
            if typed.is_empty() {
                return delete.fail(vec!["Enter your password.".into()]);
            }
            ReauthArgs::Password(typed)
        };
        delete.run::<DeleteAccount>(args, move |()| {
            let (mut flash, mut user) = (ctx.flash, ctx.user);
            flash.set(Some(ACCOUNT_DELETED.to_string()));
            nav.replace(Route::Home {});
            user.set(None);
        });
    };
    rsx! {
        form { class: "form", onsubmit: submit, novalidate: true,
            Errors { messages: delete.errors(), id: "delete-account-errors" }
            if mfa.read().is_some() {
                if uses_code {
                    Field { id: "delete-account-code", label: "To delete your account, enter a code from your authenticator app", value: proof(), oninput: move |v| proof.set(v),
                        placeholder: "123456", autocomplete: "one-time-code", inputmode: "numeric", autofocus: true, enterkeyhint: "done" }
                } else {
                    Field { id: "delete-account-password", label: "To delete your account, enter your password", kind: "password", value: proof(), oninput: move |v| proof.set(v),
                        autocomplete: "current-password", autofocus: true, enterkeyhint: "done" }
                }
            }
            div { class: "form-actions end",
                button { id: "delete-account-cancel", class: "btn btn-outline", r#type: "button", onclick: move |_| oncancel.call(()), "Cancel" }
                SubmitButton { id: "delete-account-confirm", label: "Delete my account for good", busy: delete.pending(), class: "btn btn-danger" }
            }
        }
    }
}
