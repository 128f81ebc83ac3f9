use dioxus::prelude::*;

/// A submit button that is disabled and shows a spinner while `busy`.
#[component]
pub fn SubmitButton(id: String, label: String, busy: bool, #[props(default = "btn btn-primary".to_string())] class: String) -> Element {
    rsx! {
        button { id: "{id}", class: "{class}", r#type: "submit", disabled: busy, "aria-busy": if busy { "true" } else { "false" },
            if busy {
                span { class: "spinner", "aria-hidden": "true" }
            }
            span { "{label}" }
        }
    }
}

/// A plain button with the same busy state.
#[component]
pub fn BusyButton(id: String, label: String, busy: bool, class: String, onclick: EventHandler<()>, #[props(default)] disabled: bool) -> Element {
    rsx! {
        button { id: "{id}", class: "{class}", r#type: "button", disabled: busy || disabled, "aria-busy": if busy { "true" } else { "false" },
            onclick: move |_| onclick.call(()),
            if busy {
                span { class: "spinner", "aria-hidden": "true" }
            }
            span { "{label}" }
        }
    }
}
