use altogic_auth_ipc::commands::{ListSessions, NoArgs, RevokeSession, SessionIdArgs, SignOutOthers};
use altogic_auth_ipc::SessionView;
use dioxus::prelude::*;

use crate::components::{BusyButton, Errors};
use crate::context::use_app;
use crate::hooks::use_action;
use crate::{bridge, logic};

/// "All Sessions": this device first, then the others, each of which can be signed out.
#[component]
pub fn Sessions() -> Element {
    let ctx = use_app();
    let mut list = use_resource(move || async move { ctx.call::<ListSessions>(NoArgs {}).await });
    let revoke = use_action();
    let others = use_action();
    let mut note = use_signal(String::new);
    let mut revoking = use_signal(|| None::<String>);

    let sign_out_others = move |_| {
        others.run::<SignOutOthers>(NoArgs {}, move |()| {
            note.set("All other sessions were signed out.".into());
            list.restart();
        });
    };
    let revoke_one = move |id: String| {
        revoking.set(Some(id.clone()));
        revoke.run::<RevokeSession>(SessionIdArgs { id }, move |()| {
            note.set("Session signed out.".into());
            list.restart();
        });
    };

    let sessions = list.read().clone();
    let has_others = matches!(&sessions, Some(Ok(l)) if l.iter().any(|s| !s.is_current));
    let load_errors = match &sessions {
        Some(Err(m)) => m.clone(),
        _ => Vec::new(),
    };
    rsx! {
        section { class: "panel", "aria-labelledby": "sessions-title",
            div { class: "panel-header",
                h2 { id: "sessions-title", class: "panel-title", "All Sessions" }
                if has_others {
                    BusyButton { id: "sign-out-others", class: "btn btn-outline btn-sm", label: "Sign out all other sessions", busy: others.pending(), onclick: sign_out_others }
                }
            }
            Errors { messages: [load_errors, revoke.errors(), others.errors()].concat(), id: "sessions-errors" }
            p { class: "visually-hidden", role: "status", "{note}" }
            match sessions {
                Some(Ok(items)) => rsx! {
                    ul { id: "sessions", class: "list",
                        for s in items {
                            SessionRow { key: "{s.id}", busy: revoke.pending() && revoking().as_deref() == Some(s.id.as_str()), disabled: revoke.pending(), session: s, onrevoke: revoke_one }
                        }
                    }
                },
                Some(Err(_)) => rsx! {},
                None => rsx! {
                    p { class: "muted", span { class: "spinner", "aria-hidden": "true" } " Loading sessions..." }
                },
            }
        }
    }
}

/// One session: this device's is marked; any other can be signed out.
#[component]
fn SessionRow(session: SessionView, busy: bool, disabled: bool, onrevoke: EventHandler<String>) -> Element {
    let s = session;
    let detail = logic::session_detail(&s.os, &s.app);
    rsx! {
        li { class: if s.is_current { "list-item session is-current" } else { "list-item session" }, "data-session-id": "{s.id}",
            div { class: "session-main",
                if s.is_current {
                    p { class: "session-name", span { class: "badge", "Current Session" } }
                } else {
                    p { class: "session-name", strong { "Device name: " } span { class: "session-device", "{s.device}" } }
                }
                p { class: "muted small",
                    if !detail.is_empty() { "{detail} · " }
                    time { datetime: "{s.created_at}", {bridge::locale_date(&s.created_at)} }
                }
            }
            if !s.is_current {
                button { class: "btn btn-icon revoke", r#type: "button", title: "Sign out this session", "aria-label": "Sign out this session", disabled,
                    onclick: {
                        let id = s.id.clone();
                        move |_| onrevoke.call(id.clone())
                    },
                    if busy { span { class: "spinner", "aria-hidden": "true" } } else { "X" }
                }
            }
        }
    }
}
