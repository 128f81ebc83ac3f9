use altogic_auth_ipc::commands::{EmailArgs, ResendVerification, SignUp, SignUpArgs};
use dioxus::prelude::*;

use crate::components::{BusyButton, Card, CodeEntry, Errors, Field, MailNote, StrengthMeter, SubmitButton, Success};
use crate::context::use_app;
use crate::hooks::use_action;
use crate::Route;

#[component]
pub fn Register() -> Element {
    let ctx = use_app();
    let nav = navigator();
    let mut email = use_signal(String::new);
    let mut name = use_signal(String::new);
    let mut password = use_signal(String::new);
    let sign_up = use_action();
    // Set once the account waits for e-mail verification.
    let mut verify_email = use_signal(|| None::<String>);

    let submit = move |e: FormEvent| {
        e.prevent_default();
        let addr = email.peek().trim().to_string();
        let args = SignUpArgs { email: addr.clone(), name: name.peek().trim().to_string(), password: password.peek().clone() };
        sign_up.run::<SignUp>(args, move |out| {
            email.set(String::new());
            name.set(String::new());
            password.set(String::new());
            if out.signed_in {
                ctx.set_user(out.user);
                nav.push(Route::Profile {});
            } else {
                verify_email.set(Some(out.user.email.clone().unwrap_or(addr)));
            }
        });
    };

    rsx! {
        div { class: "center-screen",
            Card { title: if verify_email().is_some() { "Check your e-mail" } else { "Create an account" },
                if let Some(addr) = verify_email() {
                    CheckInbox { email: addr }
                } else {
                    form { class: "form", onsubmit: submit, novalidate: true,
                        Errors { messages: sign_up.errors() }
                        Field { id: "email", label: "Email", kind: "email", value: email(), oninput: move |v| email.set(v),
                            placeholder: "you@example.com", autocomplete: "email", autofocus: true }
                        Field { id: "name", label: "Name", value: name(), oninput: move |v| name.set(v),
                            placeholder: "Your name", autocomplete: "name" }
                        Field { id: "password", label: "Password", kind: "password", value: password(), oninput: move |v| password.set(v),
                            placeholder: "Choose a password", autocomplete: "new-password", enterkeyhint: "go",
                            hint: "At least 8 characters." }
                        StrengthMeter { password: password(), email: email(), name: name() }
                        div { class: "form-actions",
                            Link { id: "login-link", class: "link", to: Route::Login {}, "Already have an account?" }
                            SubmitButton { id: "register-button", label: "Register", busy: sign_up.pending() }
                        }
                    }
                }
            }
        }
    }
}

/// After signing up with verification on: the mail can be sent again, or its code typed.
#[component]
fn CheckInbox(email: String) -> Element {
    let resend = use_action();
    let mut sent = use_signal(String::new);
    let again = {
        let email = email.clone();
        move |()| {
            sent.set(String::new());
            resend.run::<ResendVerification>(EmailArgs { email: email.clone() }, move |()| sent.set("Email sent! Check your inbox.".into()));
        }
    };
    rsx! {
        Success { message: "Your account has been created. Please check your email to verify your account." }
        Errors { messages: resend.errors() }
        div { class: "stack",
            p { class: "muted", "We sent a verification link to " strong { "{email}" } "." }
            MailNote {}
            div { class: "row",
                BusyButton { id: "resend-button", class: "btn btn-outline", label: "Resend", busy: resend.pending(), onclick: again }
                if !sent().is_empty() {
                    span { id: "resend-status", class: "muted small", role: "status", "{sent}" }
                }
            }
            CodeEntry { email: email.clone() }
            Link { class: "link", to: Route::Login {}, "Back to Login" }
        }
    }
}
