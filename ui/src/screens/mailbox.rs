use altogic_auth_ipc::commands::{DevMailbox, MailLinkArgs, NoArgs, OpenMailLink};
use altogic_auth_ipc::MailView;
use dioxus::prelude::*;

use crate::components::Errors;
use crate::context::use_app;
use crate::hooks::use_action;
use crate::{bridge, logic, Route};

/// The built-in backend's mails, each link openable inside the app.
#[component]
pub fn Mailbox() -> Element {
    let ctx = use_app();
    let mut mails = use_resource(move || async move { ctx.call::<DevMailbox>(NoArgs {}).await.map(logic::sort_mails) });
    let open = use_action();
    let mut opening = use_signal(|| None::<String>);
    let open_link = move |(id, link): (String, String)| {
        opening.set(Some(id));
        open.run::<OpenMailLink>(MailLinkArgs { link }, move |()| {});
    };

    let loading = mails.read().is_none();
    let (list, load_errors) = match mails.read().clone() {
        Some(Ok(list)) => (Some(list), Vec::new()),
        Some(Err(m)) => (None, m),
        None => (None, Vec::new()),
    };
    let signed_in = ctx.user.read().is_some();
    rsx! {
        div { class: "content",
            header { class: "page-header",
                div {
                    h1 { class: "page-title", "Dev mailbox" }
                    p { class: "muted small", "Mail sent by the built-in backend. Nothing leaves this computer." }
                }
                div { class: "row",
                    button { id: "refresh-button", class: "btn btn-outline", r#type: "button", disabled: loading, onclick: move |_| mails.restart(),
                        if loading { span { class: "spinner", "aria-hidden": "true" } }
                        span { "Refresh" }
                    }
                    if signed_in {
                        Link { class: "btn btn-secondary", to: Route::Profile {}, "Profile" }
                    } else {
                        Link { class: "btn btn-secondary", to: Route::Home {}, "Home" }
                    }
                }
            }
            if !ctx.embedded.cloned() && !*ctx.outside_app.read() {
                div { class: "alert alert-info", "The dev mailbox exists only with the built-in backend." }
            }
            Errors { messages: [load_errors, open.errors()].concat() }
            match list {
                None => rsx! {},
                Some(list) if list.is_empty() => rsx! { p { id: "mailbox-empty", class: "empty", "No mail yet." } },
                Some(list) => rsx! {
                    ul { id: "mails", class: "list",
                        for m in list {
                            MailRow { key: "{m.id}", opening: open.pending() && opening().as_deref() == Some(m.id.as_str()), disabled: open.pending(), mail: m, onopen: open_link }
                        }
                    }
                },
            }
        }
    }
}

#[component]
fn MailRow(mail: MailView, opening: bool, disabled: bool, onopen: EventHandler<(String, String)>) -> Element {
    let m = mail;
    rsx! {
        li { class: "list-item mail",
            div { class: "mail-main",
                p { class: "mail-subject", "{m.subject}" }
                p { class: "muted small",
                    span { class: "mail-to", "To: {m.to}" }
                    " · "
                    time { datetime: "{m.created_at}", {bridge::locale_date_time(&m.created_at)} }
                }
                if !m.code.is_empty() {
                    p { class: "small", "Code: " code { class: "mail-code", "{m.code}" } }
                }
            }
            if m.used {
                span { class: "badge badge-muted used", title: "This link was used or has expired", "Used" }
            } else if !m.link.is_empty() {
                button { class: "btn btn-primary open-link", r#type: "button", disabled, "aria-label": "Open link: {m.subject}",
                    onclick: {
                        let (id, link) = (m.id.clone(), m.link.clone());
                        move |_| onopen.call((id.clone(), link.clone()))
                    },
                    if opening { span { class: "spinner", "aria-hidden": "true" } }
                    span { "Open link" }
                }
            }
        }
    }
}
