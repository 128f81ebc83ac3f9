//! Altogic Auth UI: Dioxus (web renderer, compiled to WebAssembly) inside the Tauri webview.
//! All data comes from the shell's commands (see `altogic-auth-ipc`); no network access here.

use altogic_auth_ipc::{cmd, AppState, RedirectView, UiError, User};
use dioxus::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

pub mod bridge;
pub mod logic;
mod pages;
mod profile;

use pages::{AuthRedirect, ForgotPassword, Home, Login, Mailbox, MagicLink, NotFound, Register};
use profile::Profile;

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

/// App-wide state, provided as context above the router.
#[derive(Clone, Copy)]
pub struct AppCtx {
    pub user: Signal<Option<User>>,
    /// The app runs its own backend: the dev mailbox exists.
    pub embedded: Signal<bool>,
    /// `app_state` has answered (or failed): guards may run.
    pub ready: Signal<bool>,
    /// The last command could not reach the server.
    pub offline: Signal<bool>,
    /// Bumped on every `auth-redirect` event so an open redirect screen reloads.
    pub redirect_nonce: Signal<u32>,
    /// Not inside the Tauri shell (a plain browser): shown as a banner.
    pub outside_app: Signal<bool>,
}

pub const GENERIC_ERROR: &str = "Something went wrong. Please try again.";
pub const OFFLINE_TEXT: &str = "Can't reach the server. Check your connection and try again.";

impl AppCtx {
    /// Invokes a command; on failure applies the app-wide rules (`session_invalid` → Login,
    /// `backend_unreachable` → banner) and returns the messages to show.
    pub async fn call<T: DeserializeOwned>(mut self, name: &str, args: Value) -> Result<T, Vec<String>> {
        match bridge::invoke::<T>(name, args).await {
            Ok(v) => {
                if *self.offline.peek() {
                    self.offline.set(false);
                }
                Ok(v)
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    pub fn fail(&mut self, e: UiError) -> Vec<String> {
        if e.code == UiError::SESSION_INVALID {
            self.user.set(None);
            if let Some(r) = dioxus::router::root_router() {
                r.replace(Route::Login {});
            }
        } else if e.code == UiError::BACKEND_UNREACHABLE {
            if *self.outside_app.peek() {
                return e.messages;
            }
            self.offline.set(true);
            return vec![OFFLINE_TEXT.to_string()];
        }
        let msgs: Vec<String> = e.messages.into_iter().filter(|m| !m.trim().is_empty()).collect();
        if msgs.is_empty() {
            vec![GENERIC_ERROR.to_string()]
        } else {
            msgs
        }
    }

    pub fn set_user(mut self, u: User) {
        self.user.set(Some(u));
    }
}

pub fn use_app() -> AppCtx {
    use_context::<AppCtx>()
}

/// Entry point of the wasm binary.
pub fn run() {
    #[cfg(target_arch = "wasm32")]
    dioxus::launch(App);
}

#[component]
pub fn App() -> Element {
    let ctx = use_context_provider(|| AppCtx {
        user: Signal::new(None),
        embedded: Signal::new(false),
        ready: Signal::new(false),
        offline: Signal::new(false),
        redirect_nonce: Signal::new(0),
        outside_app: Signal::new(!bridge::in_tauri()),
    });
    let _ = ctx;
    rsx! { Router::<Route> {} }
}

/// The layout around every screen: startup, shell events, the guards, banners.
#[component]
fn Shell() -> Element {
    let mut ctx = use_app();
    let route = use_route::<Route>();
    let nav = navigator();

    // Startup: the stored user, then a mail link that may have opened the app.
    use_hook(move || {
        spawn(async move {
            match bridge::invoke::<AppState>(cmd::APP_STATE, json!({})).await {
                Ok(s) => {
                    ctx.user.set(s.user);
                    ctx.embedded.set(s.embedded_backend);
                }
                Err(e) => {
                    ctx.fail(e);
                }
            }
            ctx.ready.set(true);
            if let Ok(Some(_)) = bridge::invoke::<Option<RedirectView>>(cmd::PENDING_REDIRECT, json!({})).await {
                nav.replace(Route::AuthRedirect {});
            }
        });
        // Shell events come from JS callbacks; hand them to a task inside the Dioxus runtime.
        let (tx, mut rx) = futures_channel::mpsc::unbounded::<bridge::ShellEvent>();
        bridge::listen_shell_events(move |ev| {
            let _ = tx.unbounded_send(ev);
        });
        spawn(async move {
            use futures_util::StreamExt;
            while let Some(ev) = rx.next().await {
                match ev {
                    bridge::ShellEvent::AuthRedirect => {
                        *ctx.redirect_nonce.write() += 1;
                        nav.push(Route::AuthRedirect {});
                    }
                    bridge::ShellEvent::SignedOut => {
                        ctx.user.set(None);
                        nav.replace(Route::Login {});
                    }
                }
            }
        });
    });

    let ready = *ctx.ready.read();
    let signed_in = ctx.user.read().is_some();
    let target = if ready { logic::guard(&route, signed_in) } else { None };
    // Guarded screens wait for `app_state`; open ones (redirect, mailbox) render at once.
    let waiting = !ready && (logic::is_guest_only(&route) || logic::is_auth_only(&route));
    use_effect(use_reactive((&target,), move |(target,)| {
        if let Some(t) = target {
            nav.replace(t);
        }
    }));

    let offline = *ctx.offline.read();
    let outside = *ctx.outside_app.read();
    rsx! {
        a { class: "skip-link", href: "#content", "Skip to content" }
        div { class: "banners", role: "status", "aria-live": "polite",
            if offline {
                div { id: "offline-banner", class: "banner banner-error",
                    span { "{OFFLINE_TEXT}" }
                    button { class: "banner-close", r#type: "button", onclick: move |_| ctx.offline.set(false), "aria-label": "Dismiss", title: "Dismiss", "×" }
                }
            }
            if outside {
                div { id: "outside-banner", class: "banner banner-info",
                    "Preview mode: open this screen in the Altogic Auth app to sign in."
                }
            }
        }
        main { id: "content", class: "page", tabindex: "-1",
            if waiting || target.is_some() {
                div { class: "center-screen", "aria-busy": "true",
                    span { class: "spinner spinner-lg", "aria-hidden": "true" }
                    span { class: "visually-hidden", "Loading" }
                }
            } else {
                Outlet::<Route> {}
            }
        }
    }
}
