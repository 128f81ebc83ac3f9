use dioxus::prelude::*;

/// A labelled input. Passwords get a Show/Hide toggle; a `hint` (a rule such as "At least 8
/// characters") is shown under the input before anything is submitted.
#[component]
pub fn Field(
    id: String,
    label: String,
    value: String,
    oninput: EventHandler<String>,
    #[props(default = "text".to_string())] kind: String,
    #[props(default)] placeholder: Option<String>,
    #[props(default)] autocomplete: Option<String>,
    #[props(default)] autofocus: bool,
    #[props(default = true)] required: bool,
    #[props(default)] hidden_label: bool,
    #[props(default)] inputmode: Option<String>,
    #[props(default)] maxlength: Option<String>,
    /// The label of the phone keyboard's Enter key: "next" moves on, the last field says what
    /// submitting does ("go", "send", "done").
    #[props(default = "next".to_string())] enterkeyhint: String,
    #[props(default)] hint: Option<String>,
) -> Element {
    let mut shown = use_signal(|| false);
    let placeholder = placeholder.unwrap_or_default();
    // Phone keyboards with @ and . for addresses.
    let inputmode = inputmode.or_else(|| (kind == "email").then(|| "email".to_string()));
    let secret = kind == "password";
    let kind = if secret && shown() { "text".to_string() } else { kind };
    let hint_id = format!("{id}-hint");
    let described_by = if hint.is_some() { hint_id.clone() } else { String::new() };
    rsx! {
        div { class: "field",
            label { r#for: "{id}", class: if hidden_label { "visually-hidden" } else { "field-label" }, "{label}" }
            div { class: if secret { "input-wrap has-toggle" } else { "input-wrap" },
                input {
                    id: "{id}",
                    name: "{id}",
                    class: "input",
                    r#type: "{kind}",
                    placeholder: "{placeholder}",
                    value: "{value}",
                    required: required,
                    autofocus: autofocus,
                    autocomplete: autocomplete.unwrap_or_else(|| "off".into()),
                    inputmode: inputmode,
                    "enterkeyhint": "{enterkeyhint}",
                    "autocapitalize": if kind == "text" && !secret { "sentences" } else { "none" },
                    "aria-describedby": described_by,
                    maxlength: maxlength,
                    oninput: move |e: FormEvent| oninput.call(e.value()),
                }
                if secret {
                    button { id: "{id}-toggle", class: "input-toggle", r#type: "button", "aria-pressed": if shown() { "true" } else { "false" },
                        "aria-label": if shown() { "Hide password" } else { "Show password" },
                        onclick: move |_| shown.toggle(),
                        if shown() { "Hide" } else { "Show" }
                    }
                }
            }
            if let Some(hint) = hint {
                p { id: "{hint_id}", class: "field-hint", "{hint}" }
            }
        }
    }
}
