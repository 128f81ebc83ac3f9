use dioxus::prelude::*;

/// Errors, one line each (`#errors` by default), announced by screen readers.
#[component]
pub fn Errors(messages: Vec<String>, #[props(default = "errors".to_string())] id: String) -> Element {
    if messages.is_empty() {
        return rsx! {};
    }
    rsx! {
        div { id: "{id}", class: "alert alert-error", role: "alert",
            for (i, m) in messages.iter().enumerate() {
                p { key: "{i}", "{m}" }
            }
        }
    }
}

/// A success message (`#success` by default).
#[component]
pub fn Success(message: String, #[props(default = "success".to_string())] id: String) -> Element {
    if message.is_empty() {
        return rsx! {};
    }
    rsx! {
        div { id: "{id}", class: "alert alert-success", role: "status", "{message}" }
    }
}
