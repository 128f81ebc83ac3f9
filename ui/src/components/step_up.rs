//! The step-up dialog: a call answered `reauthentication_required` (see `hooks::StepUp`). It asks
//! for the password, or with two-step verification on for a code, re-authenticates, and runs the
//! call once more.

use altogic_auth_ipc::commands::{MfaStatus, NoArgs, ReauthArgs, Reauthenticate};
use dioxus::prelude::*;

use crate::components::{Errors, Field, SubmitButton};
use crate::context::use_app;
use crate::hooks::use_action;
use crate::logic;

#[component]
pub fn StepUpDialog() -> Element {
    let ctx = use_app();
    if ctx.step_up.read().is_none() {
        return rsx! {};
    }
    rsx! { StepUpForm {} }
}

#[component]
fn StepUpForm() -> Element {
    let ctx = use_app();
    let mut proof = use_signal(String::new);
    let reauth = use_action();
    // With two-step verification on the password does not re-authenticate: a code does.
    let mfa = use_resource(move || async move { ctx.call::<MfaStatus>(NoArgs {}).await.map(|s| s.enabled).unwrap_or(false) });
    let uses_code = (*mfa.read()).unwrap_or(false);
    let submit = move |e: FormEvent| {
        e.prevent_default();
        let typed = proof.peek().clone();
        let args = if uses_code {
            let Some(c) = logic::normalize_code(&typed) else {
                return reauth.fail(vec!["Enter the 6-digit code from your authenticator app.".into()]);
            };
            ReauthArgs::Code(c)
        } else {
            ReauthArgs::Password(typed)
        };
        reauth.run::<Reauthenticate>(args, move |()| {
            let mut step_up = ctx.step_up;
            let held = step_up.write().take();
            if let Some(held) = held {
                held.retry();
            }
        });
    };
    let cancel = move |_| {
        let mut step_up = ctx.step_up;
        let held = step_up.write().take();
        if let Some(held) = held {
            held.cancel();
        }
    };
    rsx! {
        div { class: "dialog-backdrop",
            div { id: "step-up", class: "dialog panel", role: "dialog", "aria-modal": "true", "aria-labelledby": "step-up-title", "aria-describedby": "step-up-text",
                h2 { id: "step-up-title", class: "panel-title", "Confirm it's you" }
                p { id: "step-up-text", class: "muted",
                    if uses_code { "For your security, enter a code from your authenticator app to continue." } else { "For your security, enter your password to continue." }
                }
                form { class: "form", onsubmit: submit, novalidate: true,
                    Errors { messages: reauth.errors(), id: "step-up-errors" }
                    if mfa.read().is_some() {
                        if uses_code {
                            Field { id: "step-up-code", label: "6-digit code", value: proof(), oninput: move |v| proof.set(v),
                                placeholder: "123456", autocomplete: "one-time-code", inputmode: "numeric", autofocus: true, enterkeyhint: "go" }
                        } else {
                            Field { id: "step-up-password", label: "Password", kind: "password", value: proof(), oninput: move |v| proof.set(v),
                                autocomplete: "current-password", autofocus: true, enterkeyhint: "go" }
                        }
                    }
                    div { class: "form-actions end",
                        button { id: "step-up-cancel", class: "btn btn-outline", r#type: "button", onclick: cancel, "Cancel" }
                        SubmitButton { id: "step-up-confirm", label: "Continue", busy: reauth.pending() }
                    }
                }
            }
        }
    }
}
