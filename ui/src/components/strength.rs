//! The strength meter under a new-password field: the server's password rules, applied by the
//! shell (`password_strength`) a moment after typing stops. The wasm carries no dictionary.

use altogic_auth_ipc::commands::{PasswordStrength, PasswordStrengthArgs};
use dioxus::prelude::*;

use crate::bridge;

/// How long typing must pause before the password is assessed.
const PAUSE_MS: i32 = 250;

/// `#password-strength` by default. `email` and `name` are the account's own words (left empty,
/// the shell takes the signed-in account's).
#[component]
pub fn StrengthMeter(password: String, #[props(default)] email: String, #[props(default)] name: String, #[props(default = "password-strength".to_string())] id: String) -> Element {
    // A newer password restarts the resource, which cancels the wait of the one before.
    let strength = use_resource(use_reactive((&password, &email, &name), |(password, email, name)| async move {
        if password.is_empty() {
            return None;
        }
        bridge::sleep_ms(PAUSE_MS).await;
        bridge::invoke::<PasswordStrength>(&PasswordStrengthArgs { password, email, name }).await.ok()
    }));
    if password.is_empty() {
        return rsx! {};
    }
    let Some(Some(view)) = strength.read().clone() else {
        return rsx! {};
    };
    let label = match view.score {
        0 => "Very weak",
        1 => "Weak",
        2 => "Fair",
        3 => "Strong",
        _ => "Very strong",
    };
    rsx! {
        div { id: "{id}", class: if view.passes { "strength" } else { "strength is-weak" }, "aria-live": "polite",
            div { class: "strength-head",
                meter { class: "strength-meter", min: "0", max: "4", low: "2", high: "3", optimum: "4", value: "{view.score}", "aria-label": "Password strength" }
                span { class: "strength-label", "{label}" }
            }
            if !view.reasons.is_empty() {
                ul { class: "strength-reasons",
                    for (i, reason) in view.reasons.iter().enumerate() {
                        li { key: "{i}", "{reason}" }
                    }
                }
                if let Some(suggestion) = view.suggestion.clone() {
                    p { class: "field-hint strength-suggestion", "{suggestion}" }
                }
            }
        }
    }
}
