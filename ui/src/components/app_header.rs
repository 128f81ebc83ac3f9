use dioxus::prelude::*;

use crate::components::Logo;
use crate::Route;

/// The bar at the top of every screen but Home: Back (to the previous screen, or Home when there
/// is none), the app's name, and the screen's own actions on the right.
#[component]
pub fn AppHeader(#[props(default = true)] back: bool, #[props(default)] children: Element) -> Element {
    let nav = navigator();
    let go_back = move |_| {
        if nav.can_go_back() {
            nav.go_back();
        } else {
            nav.replace(Route::Home {});
        }
    };
    rsx! {
        header { class: "app-header",
            if back {
                button { id: "back", class: "btn btn-ghost back", r#type: "button", "aria-label": "Back", onclick: go_back,
                    span { "aria-hidden": "true", "←" }
                    span { class: "back-label", "Back" }
                }
            }
            div { class: "app-bar",
                Logo {}
                span { class: "app-name", "Altogic Auth" }
            }
            div { class: "app-header-actions", {children} }
        }
    }
}
