use dioxus::prelude::*;

/// A card holding one screen's form.
#[component]
pub fn Card(title: String, children: Element, #[props(default)] subtitle: Option<String>) -> Element {
    rsx! {
        section { class: "card",
            h1 { class: "card-title", "{title}" }
            if let Some(s) = subtitle {
                p { class: "card-subtitle", "{s}" }
            }
            {children}
        }
    }
}

#[component]
pub fn Logo() -> Element {
    rsx! {
        svg { class: "logo", view_box: "0 0 48 48", width: "48", height: "48", "aria-hidden": "true",
            rect { x: "0", y: "0", width: "48", height: "48", rx: "12", fill: "var(--accent)" }
            path { d: "M24 11l10 4v8c0 7-4.3 12.2-10 14-5.7-1.8-10-7-10-14v-8z", fill: "none", stroke: "#fff", stroke_width: "3", stroke_linejoin: "round" }
            path { d: "M19.5 24.5l3.2 3.2 6-6.2", fill: "none", stroke: "#fff", stroke_width: "3", stroke_linecap: "round", stroke_linejoin: "round" }
        }
    }
}
