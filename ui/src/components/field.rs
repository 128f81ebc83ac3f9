use dioxus::prelude::*;

/// A labelled input (the label may be visually hidden, as the original design shows placeholders only).
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
) -> Element {
    let placeholder = placeholder.unwrap_or_default();
    // Phone keyboards with @ and . for addresses.
    let inputmode = inputmode.or_else(|| (kind == "email").then(|| "email".to_string()));
    rsx! {
        div { class: "field",
            label { r#for: "{id}", class: if hidden_label { "visually-hidden" } else { "field-label" }, "{label}" }
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
                "autocapitalize": if kind == "text" { "sentences" } else { "none" },
                maxlength: maxlength,
                oninput: move |e: FormEvent| oninput.call(e.value()),
            }
        }
    }
}
