//! Profile → Security → "Two-step verification": set up an authenticator app (QR code, or the
//! secret typed by hand), confirm it with a first code, keep the recovery codes (shown once); when
//! on, turn it off or make new recovery codes, each with a code.

use altogic_auth_ipc::commands::{CodeArgs, ConfirmTotp, DisableMfa, EnrollTotp, MfaStatus, NewRecoveryCodes, NoArgs, RecoveryCodesArgs, SaveRecoveryCodes};
use altogic_auth_ipc::{EnrollmentView, MfaView};
use dioxus::prelude::*;

use crate::components::{BusyButton, Errors, Field, SubmitButton, Success};
use crate::hooks::{use_action, Action};
use crate::{bridge, logic};

#[derive(Clone, PartialEq)]
enum Phase {
    Idle,
    /// Scanning the QR code, then typing the first code.
    Enrolling(EnrollmentView),
    /// The recovery codes, shown this once.
    Codes(Vec<String>),
    /// Asking for a code to turn it off, or to make new recovery codes.
    Asking(Ask),
}

#[derive(Clone, Copy, PartialEq)]
enum Ask {
    Disable,
    NewCodes,
}

#[component]
pub fn TwoStepPanel() -> Element {
    let mut status = use_signal(|| None::<MfaView>);
    let mut phase = use_signal(|| Phase::Idle);
    let mut note = use_signal(String::new);
    let load = use_action();
    let reload = move || load.run::<MfaStatus>(NoArgs {}, move |v| status.set(Some(v)));
    use_hook(reload);
    let setup = use_action();
    let start = move |()| {
        note.set(String::new());
        setup.run::<EnrollTotp>(NoArgs {}, move |view| phase.set(Phase::Enrolling(view)));
    };
    let mut finished = move |message: &'static str| {
        note.set(message.into());
        phase.set(Phase::Idle);
        reload();
    };

    let summary = match status() {
        Some(MfaView { enabled: true, recovery_codes_left }) => format!("On. {recovery_codes_left} recovery codes left."),
        Some(_) => "Off. Add a code from an authenticator app to every sign-in.".to_string(),
        None => "Checking...".to_string(),
    };
    let enabled = status().is_some_and(|s| s.enabled);
    rsx! {
        div { id: "two-step", class: "two-step", "aria-labelledby": "two-step-title",
            div { class: "panel-header",
                h3 { id: "two-step-title", class: "panel-subtitle", "Two-step verification" }
                if phase() == Phase::Idle && status().is_some() {
                    if enabled {
                        div { class: "row",
                            button { id: "mfa-new-codes", class: "btn btn-outline btn-sm", r#type: "button", onclick: move |_| { note.set(String::new()); phase.set(Phase::Asking(Ask::NewCodes)) }, "New recovery codes" }
                            button { id: "mfa-disable", class: "btn btn-danger btn-sm", r#type: "button", onclick: move |_| { note.set(String::new()); phase.set(Phase::Asking(Ask::Disable)) }, "Turn off" }
                        }
                    } else {
                        BusyButton { id: "mfa-setup", class: "btn btn-primary btn-sm", label: "Set up", busy: setup.pending(), onclick: start }
                    }
                }
            }
            p { id: "mfa-state", class: "muted", "{summary}" }
            Success { message: note(), id: "mfa-success" }
            Errors { messages: [load.errors(), setup.errors()].concat(), id: "mfa-errors" }
            match phase() {
                Phase::Idle => rsx! {},
                Phase::Enrolling(view) => rsx! {
                    Enroll { view, oncodes: move |codes| phase.set(Phase::Codes(codes)), oncancel: move |_| phase.set(Phase::Idle) }
                },
                Phase::Codes(codes) => rsx! {
                    RecoveryCodes { codes, ondone: move |_| finished("Two-step verification is on. Keep your recovery codes safe.") }
                },
                Phase::Asking(ask) => rsx! {
                    AskCode { ask,
                        ondisabled: move |_| finished("Two-step verification is off."),
                        oncodes: move |codes| phase.set(Phase::Codes(codes)),
                        oncancel: move |_| phase.set(Phase::Idle) }
                },
            }
        }
    }
}

/// The QR code, the secret for typing, and the first code.
#[component]
fn Enroll(view: EnrollmentView, oncodes: EventHandler<Vec<String>>, oncancel: EventHandler<()>) -> Element {
    let mut code = use_signal(String::new);
    let confirm = use_action();
    let mut copied = use_signal(String::new);
    let secret = view.secret.clone();
    let copy = move |_| {
        let secret = secret.replace(' ', "");
        spawn(async move {
            copied.set(if bridge::copy_text(&secret).await { "Copied.".into() } else { "Select the key and copy it.".into() });
        });
    };
    let submit = move |e: FormEvent| {
        e.prevent_default();
        let Some(c) = logic::normalize_code(&code.peek()) else {
            return confirm.fail(vec!["Enter the 6-digit code your authenticator app shows.".into()]);
        };
        confirm.run::<ConfirmTotp>(CodeArgs { code: c }, move |codes| oncodes.call(codes));
    };
    rsx! {
        // The set-up opens below the fold of a phone: bring it into view.
        div { class: "enroll", onmounted: move |e: MountedEvent| async move { let _ = e.scroll_to(ScrollBehavior::Smooth).await; },
            ol { class: "steps",
                li { "Open your authenticator app (Google Authenticator, 1Password, Authy, ...) and scan this QR code." }
            }
            div { id: "totp-qr", class: "qr", role: "img", "aria-label": "QR code to scan with your authenticator app", dangerous_inner_html: "{view.qr_svg}" }
            p { class: "muted small", "Can't scan it? Type this key into the app:" }
            div { class: "row",
                code { id: "totp-secret", class: "secret", "{view.secret}" }
                button { id: "totp-copy", class: "btn btn-outline btn-sm", r#type: "button", onclick: copy, "Copy" }
            }
            p { class: "visually-hidden", role: "status", "{copied}" }
            form { class: "form", onsubmit: submit, novalidate: true,
                Errors { messages: confirm.errors(), id: "totp-errors" }
                Field { id: "totp-code", label: "Then enter the 6-digit code it shows", value: code(), oninput: move |v| code.set(v),
                    placeholder: "123456", autocomplete: "one-time-code", inputmode: "numeric", enterkeyhint: "done" }
                div { class: "form-actions end",
                    button { id: "totp-cancel", class: "btn btn-outline", r#type: "button", onclick: move |_| oncancel.call(()), "Cancel" }
                    SubmitButton { id: "totp-confirm", label: "Turn on", busy: confirm.pending() }
                }
            }
        }
    }
}

/// The recovery codes, shown once: copy them, save them to a file, and say so before leaving.
#[component]
fn RecoveryCodes(codes: Vec<String>, ondone: EventHandler<()>) -> Element {
    let mut saved = use_signal(|| false);
    let mut note = use_signal(String::new);
    let save = use_action();
    let text = codes.join("\n");
    let copy = move |_| {
        let text = text.clone();
        spawn(async move {
            note.set(if bridge::copy_text(&text).await { "Copied to the clipboard.".into() } else { "Select the codes and copy them.".into() });
        });
    };
    let keep = {
        let codes = codes.clone();
        move |()| save.run::<SaveRecoveryCodes>(RecoveryCodesArgs { codes: codes.clone() }, move |path| note.set(format!("Saved to {path}")))
    };
    rsx! {
        div { class: "recovery", onmounted: move |e: MountedEvent| async move { let _ = e.scroll_to(ScrollBehavior::Smooth).await; },
            p { "Each of these codes signs you in once when your authenticator app is not at hand. They are shown only now: keep them somewhere safe." }
            ol { id: "recovery-codes", class: "codes",
                for c in codes.iter() {
                    li { key: "{c}", code { "{c}" } }
                }
            }
            div { class: "row",
                button { id: "codes-copy", class: "btn btn-outline btn-sm", r#type: "button", onclick: copy, "Copy" }
                BusyButton { id: "codes-save", class: "btn btn-outline btn-sm", label: "Save to file", busy: save.pending(), onclick: keep }
            }
            p { id: "codes-note", class: "muted small", role: "status", "{note}" }
            Errors { messages: save.errors(), id: "codes-errors" }
            label { class: "checkbox",
                input { id: "codes-saved", r#type: "checkbox", checked: saved(), onchange: move |e: FormEvent| saved.set(e.checked()) }
                span { "I saved them" }
            }
            div { class: "form-actions end",
                button { id: "codes-done", class: "btn btn-primary", r#type: "button", disabled: !saved(), onclick: move |_| ondone.call(()), "Done" }
            }
        }
    }
}

/// A code for turning two-step verification off, or for new recovery codes.
#[component]
fn AskCode(ask: Ask, ondisabled: EventHandler<()>, oncodes: EventHandler<Vec<String>>, oncancel: EventHandler<()>) -> Element {
    let mut code = use_signal(String::new);
    let act: Action = use_action();
    let (label, button) = match ask {
        Ask::Disable => ("To turn two-step verification off, enter a code from your authenticator app", "Turn off"),
        Ask::NewCodes => ("To make new recovery codes (the old ones stop working), enter a code from your authenticator app", "Make new codes"),
    };
    let submit = move |e: FormEvent| {
        e.prevent_default();
        let Some(c) = logic::normalize_code(&code.peek()) else {
            return act.fail(vec!["Enter the 6-digit code from your authenticator app.".into()]);
        };
        match ask {
            Ask::Disable => act.run::<DisableMfa>(CodeArgs { code: c }, move |()| ondisabled.call(())),
            Ask::NewCodes => act.run::<NewRecoveryCodes>(CodeArgs { code: c }, move |codes| oncodes.call(codes)),
        }
    };
    rsx! {
        form { class: "form", onsubmit: submit, novalidate: true,
            Errors { messages: act.errors(), id: "mfa-action-errors" }
            Field { id: "mfa-action-code", label: "{label}", value: code(), oninput: move |v| code.set(v),
                placeholder: "123456", autocomplete: "one-time-code", inputmode: "numeric", autofocus: true, enterkeyhint: "done" }
            div { class: "form-actions end",
                button { id: "mfa-action-cancel", class: "btn btn-outline", r#type: "button", onclick: move |_| oncancel.call(()), "Cancel" }
                SubmitButton { id: "mfa-action-submit", label: button.to_string(), busy: act.pending(), class: if ask == Ask::Disable { "btn btn-danger".to_string() } else { "btn btn-primary".to_string() } }
            }
        }
    }
}
