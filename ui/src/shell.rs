//! The layout around every screen: startup, shell events, the guards, banners.

use altogic_auth_ipc::commands::{GetAppState, GetPendingRedirect, NoArgs};
use dioxus::prelude::*;
use dioxus::router::Navigator;

use crate::bridge::{self, ShellEvent};
use crate::components::{AppHeader, StepUpDialog};
use crate::context::{use_app, AppCtx, OFFLINE_TEXT};
use crate::{logic, Route};

#[component]
pub fn Shell() -> Element {
    let ctx = use_app();
    let route = use_route::<Route>();
    let nav = navigator();
    use_hook(move || start(ctx, nav));

    let ready = *ctx.ready.read();
    let signed_in = ctx.user.read().is_some();
    let embedded = *ctx.embedded.read();
    let target = if ready { logic::guard(&route, signed_in).or_else(|| logic::without_dev_tools(&route, embedded)) } else { None };
    // Guarded screens wait for `app_state`; open ones (redirect, mailbox) render at once.
    let waiting = !ready && (logic::is_guest_only(&route) || logic::is_auth_only(&route));
    use_effect(use_reactive((&target,), move |(target,)| {
        if let Some(t) = target {
            nav.replace(t);
        }
    }));
    // Each screen says which it is: a title, and focus on its heading (once it has rendered).
    let shown = !(waiting || target.is_some());
    use_effect(use_reactive((&route, &shown), move |(route, shown)| {
        if shown {
            bridge::screen_changed(&logic::title(&route));
        }
    }));
    rsx! {
        a { class: "skip-link", href: "#content", "Skip to content" }
        Banners {}
        // Home is the start, and Profile (the signed-in start) draws its own, with Logout.
        if !matches!(route, Route::Home {} | Route::Profile {}) {
            AppHeader {}
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
        StepUpDialog {}
    }
}

/// Startup: the stored user, then a mail link that may have opened the app; and from then on the
/// shell's events, handed from JS callbacks to a task inside the Dioxus runtime.
///
/// The first screen is drawn from the state the shell last knew (put in the page before it
/// loaded; see `AppCtx::new`), so it shows at once. `app_state` is asked only once that frame is
/// painted: the shell starts its slow part (the built-in backend, the keychain) on that call (the
/// first screen's own calls wait for it), so that work never competes with the first paint. Its
/// answer then corrects the guards.
fn start(mut ctx: AppCtx, nav: Navigator) {
    spawn(async move {
        bridge::after_paint().await;
        match bridge::invoke::<GetAppState>(&NoArgs {}).await {
            Ok(s) => {
                ctx.user.set(s.user);
                ctx.embedded.set(s.embedded_backend);
                ctx.env_url.set(s.env_url);
            }
            Err(e) => {
                // Start-up failed: no screen may go on from the last known user.
                ctx.user.set(None);
                ctx.fail(e);
            }
        }
        ctx.ready.set(true);
        if let Ok(Some(view)) = bridge::invoke::<GetPendingRedirect>(&NoArgs {}).await {
            ctx.arrived_redirect.set(Some(view));
            nav.replace(Route::AuthRedirect {});
        }
    });
    let (tx, mut rx) = futures_channel::mpsc::unbounded::<ShellEvent>();
    bridge::listen_shell_events(move |ev| {
        let _ = tx.unbounded_send(ev);
    });
    spawn(async move {
        use futures_util::StreamExt;
        while let Some(ev) = rx.next().await {
            match ev {
                ShellEvent::AuthRedirect(view) => ctx.redirect_arrived(view),
                ShellEvent::SignedOut(why) => {
                    ctx.user.set(None);
                    // Login says why (30 days without use, the longest a session lasts, ...).
                    if why.is_some() {
                        ctx.flash.set(why);
                    }
                    nav.replace(Route::Login {});
                }
            }
        }
    });
}

#[component]
fn Banners() -> Element {
    let mut ctx = use_app();
    rsx! {
        div { class: "banners", role: "status", "aria-live": "polite",
            if *ctx.offline.read() {
                div { id: "offline-banner", class: "banner banner-error",
                    span { "{OFFLINE_TEXT}" }
                    button { class: "banner-close", r#type: "button", onclick: move |_| ctx.offline.set(false), "aria-label": "Dismiss", title: "Dismiss", "×" }
                }
            }
            if *ctx.outside_app.read() {
                div { id: "outside-banner", class: "banner banner-info",
                    "Preview mode: open this screen in the Altogic Auth app to sign in."
                }
            }
        }
    }
}
