//! The screens that mail a link (magic link, password reset), then offer the mail's 6-digit code
//! for when the link cannot open the app.

use altogic_auth_ipc::commands::{EmailArgs, SendMagicLink, SendReset};
use dioxus::prelude::*;

use crate::components::{Card, CodeEntry, Errors, Field, MailNote, SubmitButton, Success};
use crate::hooks::{use_action, Action};
use crate::Route;

/// Which link the form asks for.
#[derive(Clone, Copy, PartialEq)]
enum Mail {
    MagicLink,
    Reset,
}

impl Mail {
    fn send(self, action: Action, email: String, done: impl FnOnce(()) + 'static) {
        let args = EmailArgs { email };
        match self {
            Mail::MagicLink => action.run::<SendMagicLink>(args, done),
            Mail::Reset => action.run::<SendReset>(args, done),
        }
    }
}

#[component]
pub fn MagicLink() -> Element {
    rsx! {
        MailLinkForm {
            title: "Login with magic link",
            mail: Mail::MagicLink,
            sent_message: "Email sent! Check your inbox.",
            button_id: "magic-button",
            button_label: "Send magic link",
            side_link: rsx! { Link { id: "register-link", class: "link", to: Route::Register {}, "Don't have an account? Register now" } },
            footer: rsx! { div { class: "card-footer", Link { class: "link", to: Route::Login {}, "Login with password" } } },
        }
    }
}

#[component]
pub fn ForgotPassword() -> Element {
    rsx! {
        MailLinkForm {
            title: "Forgot your password?",
            subtitle: "We'll e-mail you a link to choose a new one.",
            mail: Mail::Reset,
            sent_message: "Check your inbox for a link to reset your password.",
            button_id: "reset-send-button",
            button_label: "Send reset link",
            side_link: rsx! { Link { class: "link", to: Route::Login {}, "Back to Login" } },
        }
    }
}

#[component]
fn MailLinkForm(
    title: &'static str,
    #[props(default)] subtitle: Option<&'static str>,
    mail: Mail,
    sent_message: &'static str,
    button_id: &'static str,
    button_label: &'static str,
    side_link: Element,
    footer: Option<Element>,
) -> Element {
    let mut email = use_signal(String::new);
    let send = use_action();
    let mut sent_to = use_signal(|| None::<String>);
    let submit = move |e: FormEvent| {
        e.prevent_default();
        let addr = email.peek().trim().to_string();
        if !send.pending() {
            sent_to.set(None);
        }
        // The address stays in the field: the screen says where the mail went, and a second try
        // needs no retyping.
        mail.send(send, addr.clone(), move |()| sent_to.set(Some(addr)));
    };
    rsx! {
        div { class: "center-screen",
            Card { title: title.to_string(), subtitle: subtitle.map(str::to_string),
                form { class: "form", onsubmit: submit, novalidate: true,
                    if let Some(addr) = sent_to() {
                        Success { message: "{sent_message} We sent it to {addr}." }
                        MailNote {}
                    }
                    Errors { messages: send.errors() }
                    Field { id: "email", label: "Email", kind: "email", value: email(), oninput: move |v| email.set(v),
                        placeholder: "you@example.com", autocomplete: "email", autofocus: true, enterkeyhint: "send" }
                    div { class: "form-actions",
                        {side_link}
                        SubmitButton { id: button_id, label: button_label, busy: send.pending() }
                    }
                }
                if let Some(addr) = sent_to() {
                    CodeEntry { email: addr }
                }
                if let Some(footer) = footer {
                    {footer}
                }
            }
        }
    }
}
