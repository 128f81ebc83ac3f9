use dioxus::prelude::*;

use crate::components::Logo;
use crate::context::use_app;
use crate::Route;

#[component]
pub fn Home() -> Element {
    let ctx = use_app();
    // A message for this visit (the account was deleted): shown here, then dropped.
    let notice = use_signal(|| ctx.flash.peek().clone());
    use_effect(move || {
        let mut flash = ctx.flash;
        if flash.peek().is_some() {
            flash.set(None);
        }
    });
    rsx! {
        div { class: "center-screen",
            div { class: "hero",
                Logo {}
                h1 { class: "hero-title", "Altogic Auth" }
                if let Some(message) = notice() {
                    div { id: "home-notice", class: "alert alert-success", role: "status", "{message}" }
                }
                p { class: "muted", "Sign in to manage your profile and sessions." }
                nav { class: "home-links", "aria-label": "Get started",
                    Link { id: "home-magic", class: "btn btn-outline", to: Route::MagicLink {}, "Login With Magic Link" }
                    Link { id: "home-login", class: "btn btn-primary", to: Route::Login {}, "Login" }
                    Link { id: "home-register", class: "btn btn-outline", to: Route::Register {}, "Register" }
                }
                if ctx.embedded.cloned() {
                    Link { id: "mailbox-link", class: "link small", to: Route::Mailbox {}, "Dev mailbox" }
                }
            }
        }
    }
}
