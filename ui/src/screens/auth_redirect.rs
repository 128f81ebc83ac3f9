//! Where a mail link lands (deep link, dev mailbox or typed code): it signs in, asks for a new
//! password, confirms a change of address, or says why the link cannot be used.

use altogic_auth_ipc::commands::{CompleteRedirect, CompleteReset, DiscardRedirect, GetPendingRedirect, NewPasswordArgs, NoArgs, RefreshUser};
use altogic_auth_ipc::{link_error_message, RedirectView, NOT_REQUESTED_HERE_MESSAGE};
use dioxus::prelude::*;
use dioxus::core::Task;
use dioxus::router::Navigator;

use crate::components::{Card, Errors, Field, StrengthMeter, SubmitButton, Success};
use crate::context::{use_app, AppCtx};
use crate::hooks::use_action;
use crate::Route;

#[derive(Clone, PartialEq)]
enum Phase {
    Loading,
    Failed(Vec<String>),
    ResetForm,
    ResetDone,
    EmailChanged,
    /// Someone is signed in and the link signs in as this other address.
    ConfirmSwitch(String),
}

#[component]
pub fn AuthRedirect() -> Element {
    let ctx = use_app();
    let nav = navigator();
    let mut phase = use_signal(|| Phase::Loading);
    // The pending link, loaded again whenever another one arrives.
    let pending = use_resource(move || async move {
        // Subscribes (a new link reloads) without holding the signal across the await: a link
        // arriving meanwhile writes it.
        let _arrived = ctx.arrived_redirect.cloned();
        ctx.call::<GetPendingRedirect>(NoArgs {}).await
    });
    // One decision at a time: a newer link cancels the decision about the one before.
    let mut deciding = use_signal(|| None::<Task>);
    use_effect(move || {
        let Some(found) = pending.read().clone() else { return phase.set(Phase::Loading) };
        if let Some(earlier) = deciding.peek().as_ref() {
            earlier.cancel();
        }
        deciding.set(Some(spawn(async move { phase.set(decide(ctx, nav, found).await) })));
    });
    let switch = move |()| {
        phase.set(Phase::Loading);
        spawn(async move { phase.set(complete(ctx, nav).await) });
    };
    // "No" to switching accounts: the link is dropped and the current session stays.
    let keep = move |()| {
        spawn(async move {
            let _ = ctx.call::<DiscardRedirect>(NoArgs {}).await;
            nav.replace(Route::Profile {});
        });
    };
    let signed_in = ctx.user.read().is_some();
    match phase() {
        Phase::Loading => rsx! { Waiting {} },
        Phase::Failed(m) => rsx! { Outcome { title: "This link didn't work", errors: m, signed_in, guest_label: "Back to Login" } },
        Phase::ResetForm => rsx! { NewPasswordForm { ondone: move |()| phase.set(Phase::ResetDone) } },
        Phase::ResetDone => rsx! { Outcome { title: "Password changed", message: "Your password has been changed.", signed_in, guest_label: "Login" } },
        Phase::EmailChanged => rsx! { Outcome { title: "E-mail changed", message: "Your e-mail address has been changed.", signed_in, guest_label: "Login" } },
        Phase::ConfirmSwitch(other) => rsx! { ConfirmSwitch { other, onswitch: switch, onkeep: keep } },
    }
}

/// What to do with the pending link.
async fn decide(ctx: AppCtx, nav: Navigator, found: Result<Option<RedirectView>, Vec<String>>) -> Phase {
    let view = match found {
        Ok(view) => view,
        Err(m) => return Phase::Failed(m),
    };
    let Some(v) = view else {
        if ctx.user.peek().is_some() {
            nav.replace(Route::Profile {});
            return Phase::Loading;
        }
        return Phase::Failed(vec!["This link has already been used or has expired.".into()]);
    };
    // A link that cannot be used is dropped, so it does not come back at the next start; its own
    // text is never shown (anyone can craft a link).
    if v.status != 200 || !v.requested_here {
        let _ = ctx.call::<DiscardRedirect>(NoArgs {}).await;
        let message = if v.status != 200 { link_error_message(v.error_code.as_deref()) } else { NOT_REQUESTED_HERE_MESSAGE };
        return Phase::Failed(vec![message.into()]);
    }
    match v.action.as_str() {
        "reset-pwd" => Phase::ResetForm,
        "change-email" => {
            if ctx.user.peek().is_some() {
                if let Ok(u) = ctx.call::<RefreshUser>(NoArgs {}).await {
                    ctx.set_user(u);
                }
            }
            Phase::EmailChanged
        }
        _ => match v.signs_in_as {
            Some(other) => Phase::ConfirmSwitch(other),
            None => complete(ctx, nav).await,
        },
    }
}

/// Trades the link for a session and goes to the profile.
async fn complete(ctx: AppCtx, nav: Navigator) -> Phase {
    match ctx.call::<CompleteRedirect>(NoArgs {}).await {
        Ok(u) => {
            ctx.set_user(u);
            nav.replace(Route::Profile {});
            Phase::Loading
        }
        Err(m) => Phase::Failed(m),
    }
}

#[component]
fn Waiting() -> Element {
    rsx! {
        div { class: "center-screen", "aria-busy": "true",
            div { class: "redirect-wait", role: "status",
                span { class: "spinner spinner-lg", "aria-hidden": "true" }
                p { class: "wait-title", "Please wait" }
                p { class: "muted", "You're redirecting to your profile..." }
            }
        }
    }
}

/// A result, and the way on: the profile when signed in, else Login.
#[component]
fn Outcome(title: &'static str, #[props(default)] message: String, #[props(default)] errors: Vec<String>, signed_in: bool, guest_label: &'static str) -> Element {
    rsx! {
        div { class: "center-screen",
            Card { title,
                Success { message }
                Errors { messages: errors }
                div { class: "form-actions",
                    if signed_in {
                        Link { id: "back-link", class: "btn btn-primary", to: Route::Profile {}, "Go to your profile" }
                    } else {
                        Link { id: "back-link", class: "btn btn-primary", to: Route::Login {}, "{guest_label}" }
                    }
                }
            }
        }
    }
}

#[component]
fn NewPasswordForm(ondone: EventHandler<()>) -> Element {
    let mut new_password = use_signal(String::new);
    let reset = use_action();
    let submit = move |e: FormEvent| {
        e.prevent_default();
        reset.run::<CompleteReset>(NewPasswordArgs { new_password: new_password.peek().clone() }, move |()| {
            new_password.set(String::new());
            ondone.call(());
        });
    };
    rsx! {
        div { class: "center-screen",
            Card { title: "Choose a new password",
                form { class: "form", onsubmit: submit, novalidate: true,
                    Errors { messages: reset.errors() }
                    Field { id: "new-password", label: "New password", kind: "password", value: new_password(),
                        oninput: move |v| new_password.set(v), placeholder: "Type your new password",
                        autocomplete: "new-password", autofocus: true, hidden_label: true, enterkeyhint: "done" }
                    StrengthMeter { password: new_password() }
                    div { class: "form-actions",
                        span {}
                        SubmitButton { id: "reset-button", label: "Change password", busy: reset.pending() }
                    }
                }
            }
        }
    }
}

#[component]
fn ConfirmSwitch(other: String, onswitch: EventHandler<()>, onkeep: EventHandler<()>) -> Element {
    rsx! {
        div { class: "center-screen",
            Card { title: "Switch account?",
                p { id: "switch-question", "This link signs you in as {other}. Switch account?" }
                div { class: "form-actions",
                    button { id: "switch-yes", class: "btn btn-outline", r#type: "button", onclick: move |_| onswitch.call(()), "Yes, switch" }
                    button { id: "switch-no", class: "btn btn-primary", r#type: "button", autofocus: true, onclick: move |_| onkeep.call(()), "No" }
                }
            }
        }
    }
}
