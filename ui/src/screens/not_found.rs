use dioxus::prelude::*;

use crate::components::Card;
use crate::Route;

#[component]
pub fn NotFound(segments: Vec<String>) -> Element {
    let _ = segments;
    rsx! {
        div { class: "center-screen",
            Card { title: "Page not found",
                p { class: "muted", "There is nothing here." }
                Link { class: "btn btn-primary", to: Route::Home {}, "Go home" }
            }
        }
    }
}
