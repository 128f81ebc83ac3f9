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
    let cancel = move || {
        let mut step_up = ctx.step_up;
        let held = step_up.write().take();
        if let Some(held) = held {
            held.cancel();
        }
    };
    // WAI-ARIA's modal dialog: the focus stays inside while it is open, Escape cancels, and the
    // control that was focused before gets the focus back when it closes.
    let opener = use_hook(|| std::rc::Rc::new(crate::bridge::remember_focus()));
    // `autofocus` is applied once per page: a dialog opened later puts the focus in itself.
    let loaded = mfa.read().is_some();
    use_effect(use_reactive((&loaded, &uses_code), |(loaded, uses_code)| {
        if loaded {
            crate::bridge::focus(if uses_code { "step-up-code" } else { "step-up-password" });
        }
    }));
    use_drop(move || crate::bridge::restore_focus(&opener));
    let keys = move |e: KeyboardEvent| match e.key() {
        Key::Escape => {
            e.prevent_default();
            cancel();
        }
        Key::Tab if crate::bridge::wrap_tab("step-up", e.modifiers().shift()) => e.prevent_default(),
        _ => {}
    };
    rsx! {
        div { class: "dialog-backdrop",
            div { id: "step-up", class: "dialog panel", role: "dialog", "aria-modal": "true", "aria-labelledby": "step-up-title", "aria-describedby": "step-up-text", onkeydown: keys,
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
                        button { id: "step-up-cancel", class: "btn btn-outline", r#type: "button", onclick: move |_| cancel(), "Cancel" }
                        SubmitButton { id: "step-up-confirm", label: "Continue", busy: reauth.pending() }
                    }
                }
            }
        }
    }
}
