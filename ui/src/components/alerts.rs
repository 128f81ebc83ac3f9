use dioxus::prelude::*;

/// Errors, one line each (`#errors` by default), announced by screen readers. When they appear
/// (a failed submit), focus moves to them, as GOV.UK's error summary does: the next Tab goes on
/// from there, and nobody has to hunt for what went wrong.
#[component]
pub fn Errors(messages: Vec<String>, #[props(default = "errors".to_string())] id: String) -> Element {
    let focus_id = id.clone();
    use_effect(use_reactive((&messages,), move |(messages,)| {
        if !messages.is_empty() {
            crate::bridge::focus(&focus_id);
        }
    }));
    if messages.is_empty() {
        return rsx! {};
    }
    rsx! {
        div { id: "{id}", class: "alert alert-error", role: "alert", tabindex: "-1",
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
