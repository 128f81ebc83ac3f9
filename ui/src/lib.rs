//! Altogic Auth UI: Dioxus (web renderer, compiled to WebAssembly) inside the Tauri webview.
//! All data comes from the shell's commands (see `altogic-auth-ipc`); no network access here.
//!
//! `screens/` holds one file a screen, `components/` the pieces they share, `hooks` the one way
//! to act (`use_action`), `context` the app-wide state and the call of a command, `shell` the
//! layout around every screen (startup, guards, banners).

use dioxus::prelude::*;

pub mod bridge;
mod components;
mod context;
mod hooks;
pub mod logic;
mod screens;
mod shell;

use screens::{AuthRedirect, ForgotPassword, Home, Login, MagicLink, Mailbox, NotFound, Profile, Register, TwoStep};
use shell::Shell;

#[derive(Routable, Clone, PartialEq, Debug)]
#[rustfmt::skip]
pub enum Route {
    #[layout(Shell)]
        #[route("/")]
        Home {},
        #[route("/login")]
        Login {},
        #[route("/register")]
        Register {},
        #[route("/login-with-magic-link")]
        MagicLink {},
        #[route("/two-step")]
        TwoStep {},
        #[route("/auth-redirect")]
        AuthRedirect {},
        #[route("/profile")]
        Profile {},
        #[route("/forgot-password")]
        ForgotPassword {},
        #[route("/mailbox")]
        Mailbox {},
        #[route("/:..segments")]
        NotFound { segments: Vec<String> },
}

/// Entry point of the wasm binary.
pub fn run() {
    #[cfg(target_arch = "wasm32")]
    dioxus::launch(App);
}

#[component]
pub fn App() -> Element {
    use_context_provider(context::AppCtx::new);
    rsx! { Router::<Route> {} }
}
