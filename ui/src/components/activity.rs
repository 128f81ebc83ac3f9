//! Profile → Security → "Recent activity": the account's last 20 security events in plain words,
//! where (device, network) and when, this device's marked.

use altogic_auth_ipc::commands::{ListSecurityEvents, NoArgs};
use altogic_auth_ipc::SecurityEventView;
use dioxus::prelude::*;

use crate::bridge;
use crate::components::Errors;
use crate::context::use_app;

#[component]
pub fn RecentActivity() -> Element {
    let ctx = use_app();
    let events = use_resource(move || async move { ctx.call::<ListSecurityEvents>(NoArgs {}).await });
    let loaded = events.read().clone();
    let body = match loaded {
        Some(Ok(items)) if items.is_empty() => rsx! {
            p { id: "recent-activity-empty", class: "muted", "Nothing has happened yet." }
        },
        Some(Ok(items)) => rsx! {
            ul { id: "recent-activity", class: "list",
                for event in items {
                    ActivityRow { key: "{event.id}", event }
                }
            }
        },
        Some(Err(messages)) => rsx! {
            Errors { messages, id: "activity-errors" }
        },
        None => rsx! {
            p { class: "muted", span { class: "spinner", "aria-hidden": "true" } " Loading activity..." }
        },
    };
    rsx! {
        div { class: "activity", role: "region", "aria-labelledby": "activity-title",
            h3 { id: "activity-title", class: "panel-subtitle", "Recent activity" }
            {body}
        }
    }
}

/// One event: what, then where and when; this device's carries a badge.
#[component]
fn ActivityRow(event: SecurityEventView) -> Element {
    let e = event;
    rsx! {
        li { class: if e.is_current { "list-item activity-item is-current" } else { "list-item activity-item" }, "data-kind": "{e.kind}",
            div { class: "session-main",
                p { class: "activity-what",
                    span { class: "activity-description", "{e.description}" }
                    if e.is_current {
                        span { class: "badge", "This device" }
                    }
                }
                p { class: "muted small",
                    span { class: "activity-device", "{e.device}" }
                    if !e.network.is_empty() {
                        " · "
                        span { class: "activity-network", "{e.network}" }
                    }
                    " · "
                    time { datetime: "{e.at}", {bridge::locale_date_time(&e.at)} }
                }
            }
        }
    }
}
