//! The second step of a sign-in (password, magic link or mailed code) of an account with two-step
//! verification on: a code from the authenticator app, or a recovery code. The sign-in's ticket
//! stays in the shell; this screen only sends what the user typed.

use altogic_auth_ipc::commands::{CancelMfa, MfaPending, NoArgs, SecondFactorArgs, VerifyMfa};
use dioxus::prelude::*;

use crate::components::{Card, Errors, Field, SubmitButton};
use crate::context::{use_app, SIGN_IN_EXPIRED};
use crate::hooks::use_action;
use crate::{bridge, logic, Route};

#[component]
pub fn TwoStep() -> Element {
    let ctx = use_app();
    let nav = navigator();
    let mut code = use_signal(String::new);
    let mut recovery = use_signal(|| false);
    let verify = use_action();
    // Reached without a sign-in waiting (a restart, the back button): there is nothing to finish.
    use_hook(move || {
        spawn(async move {
            if !matches!(bridge::invoke::<MfaPending>(&NoArgs {}).await, Ok(true)) {
                let mut flash = ctx.flash;
                flash.set(Some(SIGN_IN_EXPIRED.to_string()));
                nav.replace(Route::Login {});
            }
        });
    });
    let submit = move |e: FormEvent| {
        e.prevent_default();
        let typed = code.peek().trim().to_string();
        let args = if recovery() {
            if typed.chars().filter(char::is_ascii_alphanumeric).count() != 10 {
                return verify.fail(vec!["Enter one of your recovery codes, like ABCDE-12345.".into()]);
            }
            SecondFactorArgs::RecoveryCode(typed)
        } else {
            let Some(c) = logic::normalize_code(&typed) else {
                return verify.fail(vec!["Enter the 6-digit code from your authenticator app.".into()]);
            };
            SecondFactorArgs::Code(c)
        };
        verify.run::<VerifyMfa>(args, move |user| {
            code.set(String::new());
            ctx.set_user(user);
            nav.replace(Route::Profile {});
        });
    };
    let toggle = move |_| {
        recovery.toggle();
        code.set(String::new());
        verify.fail(Vec::new());
        bridge::focus("mfa-code");
    };
    let cancel = move |_| {
        spawn(async move {
            let _ = bridge::invoke::<CancelMfa>(&NoArgs {}).await;
            nav.replace(Route::Login {});
        });
    };
    let (title, label, placeholder, hint) = if recovery() {
        ("Use a recovery code", "Recovery code", "ABCDE-12345", "Each recovery code works once.")
    } else {
        ("Two-step verification", "6-digit code", "123456", "Enter the 6-digit code from your authenticator app.")
    };
    rsx! {
        div { class: "center-screen",
            Card { title: "{title}",
                form { class: "form", onsubmit: submit, novalidate: true,
                    p { id: "mfa-prompt", class: "muted", "{hint}" }
                    Errors { messages: verify.errors() }
                    Field { id: "mfa-code", label: "{label}", value: code(), oninput: move |v| code.set(v),
                        placeholder: "{placeholder}", autocomplete: "one-time-code", autofocus: true,
                        inputmode: if recovery() { "text".to_string() } else { "numeric".to_string() }, enterkeyhint: "go" }
                    div { class: "form-actions",
                        button { id: "mfa-switch", class: "link small", r#type: "button", onclick: toggle,
                            if recovery() { "Use the authenticator app instead" } else { "Use a recovery code instead" }
                        }
                        SubmitButton { id: "mfa-verify", label: "Verify", busy: verify.pending() }
                    }
                }
                div { class: "card-footer",
                    button { id: "mfa-cancel", class: "link", r#type: "button", onclick: cancel, "Cancel and sign in again" }
                }
            }
        }
    }
}
