//! The floor of a Dioxus 0.7 web app (issue 21): the router with two routes, one signal, one
//! button. Built exactly as the UI (scripts/build-ui.sh --crate bench/dioxus-floor), it is what the
//! UI's bundle and first screen are measured against in scripts/bench.sh, in Chromium and, inside
//! the bare Tauri app, in the cold-start benchmark.

use dioxus::prelude::*;

#[derive(Routable, Clone, PartialEq, Debug)]
enum Route {
    #[route("/")]
    Start {},
    #[route("/next")]
    Next {},
}

fn main() {
    #[cfg(target_arch = "wasm32")]
    dioxus::launch(|| rsx! { Router::<Route> {} });
}

#[component]
fn Start() -> Element {
    let mut clicks = use_signal(|| 0);
    rsx! {
        h1 { "Floor" }
        button { id: "floor-button", onclick: move |_| clicks += 1, "Clicked {clicks} times" }
        // What the click shows, for the cold-start benchmark (benches/cold_start.rs).
        if clicks() > 0 {
            p { id: "floor-clicked", "Clicked" }
        }
        Link { to: Route::Next {}, "Next" }
    }
}

#[component]
fn Next() -> Element {
    rsx! { Link { to: Route::Start {}, "Back" } }
}
