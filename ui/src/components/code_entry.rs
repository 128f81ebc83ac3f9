use altogic_auth_ipc::commands::{VerifyCode, VerifyCodeArgs};
use altogic_auth_ipc::link_error_message;
use dioxus::prelude::*;

use crate::components::{Errors, Field, SubmitButton};
use crate::context::use_app;
use crate::hooks::use_action;
use crate::logic;

/// "Or enter the code": the 6-digit code from the mail, for when the link cannot open the app.
#[component]
pub fn CodeEntry(email: String) -> Element {
    let ctx = use_app();
    let mut code = use_signal(String::new);
    let verify = use_action();
    let submit = move |e: FormEvent| {
        e.prevent_default();
        let Some(c) = logic::normalize_code(&code.peek()) else {
            return verify.fail(vec!["Enter the 6-digit code from the e-mail.".into()]);
        };
        verify.run::<VerifyCode>(VerifyCodeArgs { email: email.clone(), code: c }, move |view| {
            if view.status == 200 && view.error_code.is_none() {
                ctx.redirect_arrived(Some(view));
            } else {
                verify.fail(vec![link_error_message(view.error_code.as_deref()).into()]);
            }
        });
    };
    rsx! {
        form { class: "code-form", onsubmit: submit, novalidate: true,
            p { class: "muted", "Or enter the 6-digit code from the e-mail:" }
            Errors { messages: verify.errors(), id: "code-errors" }
            div { class: "row",
                Field {
                    id: "code", label: "6-digit code", value: code(), oninput: move |v| code.set(v),
                    placeholder: "123456", autocomplete: "one-time-code", hidden_label: true,
                    inputmode: "numeric", maxlength: "7", enterkeyhint: "go",
                }
                SubmitButton { id: "verify-button", label: "Verify", busy: verify.pending(), class: "btn btn-secondary" }
            }
        }
    }
}
