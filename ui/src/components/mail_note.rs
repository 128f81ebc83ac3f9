use dioxus::prelude::*;

use crate::context::use_app;
use crate::Route;

/// On a screen that just sent a mail: with the built-in backend no mail leaves the computer, so
/// say so and lead straight to the dev mailbox.
#[component]
pub fn MailNote() -> Element {
    let ctx = use_app();
    if !ctx.embedded.cloned() {
        return rsx! {};
    }
    rsx! {
        div { id: "mail-note", class: "alert alert-info",
            "The built-in backend keeps its mail on this computer. "
            Link { id: "open-mailbox", class: "link", to: Route::Mailbox {}, "Open the dev mailbox" }
        }
    }
}
