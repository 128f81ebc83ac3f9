use altogic_auth_ipc::commands::{SignIn, SignInArgs};
use dioxus::prelude::*;

use crate::components::{Card, Errors, Field, SubmitButton};
use crate::context::use_app;
use crate::hooks::use_action;
use crate::Route;

#[component]
pub fn Login() -> Element {
    let ctx = use_app();
    let nav = navigator();
    let mut email = use_signal(String::new);
    let mut password = use_signal(String::new);
    let sign_in = use_action();
    // Why the user is here again (an expired two-step sign-in), shown until the next try.
    let flash = ctx.flash.read().clone().unwrap_or_default();
    let submit = move |e: FormEvent| {
        e.prevent_default();
        let mut f = ctx.flash;
        f.set(None);
        let args = SignInArgs { email: email.peek().trim().to_string(), password: password.peek().clone() };
        sign_in.run::<SignIn>(args, move |user| {
            email.set(String::new());
            password.set(String::new());
            ctx.set_user(user);
            nav.push(Route::Profile {});
        });
    };
    rsx! {
        div { class: "center-screen",
            Card { title: "Login to your account",
                form { class: "form", onsubmit: submit, novalidate: true,
                    if !flash.is_empty() {
                        div { id: "login-notice", class: "alert alert-info", role: "status", "{flash}" }
                    }
                    Errors { messages: sign_in.errors() }
                    Field { id: "email", label: "Email", kind: "email", value: email(), oninput: move |v| email.set(v),
                        placeholder: "you@example.com", autocomplete: "email", autofocus: true }
                    Field { id: "password", label: "Password", kind: "password", value: password(), oninput: move |v| password.set(v),
                        placeholder: "Your password", autocomplete: "current-password", enterkeyhint: "go" }
                    div { class: "form-actions",
                        Link { id: "forgot-link", class: "link small", to: Route::ForgotPassword {}, "Forgot password?" }
                        SubmitButton { id: "login-button", label: "Login", busy: sign_in.pending() }
                    }
                }
                div { class: "card-footer",
                    Link { id: "register-link", class: "link", to: Route::Register {}, "Don't have an account? Register now" }
                    Link { id: "magic-link", class: "link", to: Route::MagicLink {}, "Login with magic link" }
                }
            }
        }
    }
}
