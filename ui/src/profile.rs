//! The signed-in screen: avatar, name, sessions, password, e-mail, logout.

use crate::pages::{Errors, Field, SubmitButton, Success};
use crate::{bridge, logic, use_app, Route};
use altogic_auth_ipc::{cmd, SessionView, User};
use dioxus::prelude::*;
use serde_json::json;

#[component]
pub fn Profile() -> Element {
    let ctx = use_app();
    let nav = navigator();
    let mut logging_out = use_signal(|| false);
    let mut errors = use_signal(Vec::<String>::new);
    let Some(user) = ctx.user.read().clone() else {
        return rsx! {};
    };
    let logout = move |_| {
        spawn(async move {
            logging_out.set(true);
            errors.set(vec![]);
            let r = ctx.call::<()>(cmd::SIGN_OUT, json!({})).await;
            logging_out.set(false);
            match r {
                Ok(()) => {
                    let mut u = ctx.user;
                    u.set(None);
                    nav.replace(Route::Login {});
                }
                Err(m) => errors.set(m),
            }
        });
    };
    rsx! {
        div { class: "content profile",
            div { class: "app-bar",
                crate::pages::Logo {}
                span { class: "app-name", "Altogic Auth" }
            }
            section { class: "panel profile-head",
                Avatar { user: user.clone() }
                UserInfo { user: user.clone() }
            }
            Sessions {}
            div { class: "grid-2",
                ChangePassword {}
                ChangeEmail { user: user.clone() }
            }
            Errors { messages: errors(), id: "logout-errors" }
            div { class: "profile-actions",
                if ctx.embedded.cloned() {
                    Link { id: "mailbox-link", class: "btn btn-outline", to: Route::Mailbox {}, "Dev mailbox" }
                }
                button { id: "logout", class: "btn btn-danger", r#type: "button", disabled: logging_out(), onclick: logout,
                    if logging_out() { span { class: "spinner", "aria-hidden": "true" } }
                    span { "Logout" }
                }
            }
        }
    }
}

#[component]
fn Avatar(user: User) -> Element {
    let ctx = use_app();
    let mut busy = use_signal(|| false);
    let mut error = use_signal(String::new);
    let name = user.name.clone().filter(|n| !n.trim().is_empty()).or(user.email.clone()).unwrap_or_default();
    let initials = logic::initials(&name);
    let color = logic::avatar_color(&name);
    let mut broken = use_signal(|| None::<String>);
    let picture = user.profile_picture.clone().filter(|p| !p.is_empty() && broken().as_deref() != Some(p.as_str()));

    let change = move |_e: FormEvent| {
        if *busy.peek() {
            return;
        }
        spawn(async move {
            error.set(String::new());
            let file = match bridge::read_avatar("avatar-input").await {
                Ok(Some(f)) => f,
                Ok(None) => return,
                Err(m) => return error.set(m),
            };
            busy.set(true);
            let r = ctx
                .call::<User>(cmd::UPLOAD_AVATAR, json!({ "bytes": file.bytes, "mimeType": file.mime }))
                .await;
            busy.set(false);
            match r {
                Ok(u) => ctx.set_user(u),
                Err(m) => error.set(m.join(" ")),
            }
        });
    };

    rsx! {
        figure { class: "avatar-wrap",
            div { class: if busy() { "avatar is-busy" } else { "avatar" },
                if let Some(src) = picture {
                    img {
                        id: "avatar-img",
                        src: "{src}",
                        alt: "{name}",
                        width: "96",
                        height: "96",
                        onerror: {
                            let src = src.clone();
                            move |_| broken.set(Some(src.clone()))
                        },
                    }
                } else {
                    svg { id: "avatar-img", view_box: "0 0 96 96", width: "96", height: "96", role: "img", "aria-label": "{name}",
                        circle { cx: "48", cy: "48", r: "48", fill: "{color}" }
                        text {
                            x: "48", y: "50", text_anchor: "middle", dominant_baseline: "central",
                            fill: "#fff", font_size: "36", font_weight: "600", font_family: "system-ui, sans-serif",
                            "{initials}"
                        }
                    }
                }
            }
            figcaption {
                label { class: if busy() { "btn btn-outline btn-sm is-disabled" } else { "btn btn-outline btn-sm" }, r#for: "avatar-input",
                    if busy() {
                        span { class: "spinner", "aria-hidden": "true" }
                        span { id: "avatar-status", "Uploading..." }
                    } else {
                        span { "Change Avatar" }
                    }
                }
                input {
                    id: "avatar-input",
                    class: "visually-hidden",
                    r#type: "file",
                    accept: logic::AVATAR_TYPES.join(","),
                    disabled: busy(),
                    onchange: change,
                }
            }
            if !error().is_empty() {
                div { id: "avatar-errors", class: "alert alert-error", role: "alert", "{error}" }
            }
        }
    }
}

#[component]
fn UserInfo(user: User) -> Element {
    let ctx = use_app();
    let mut editing = use_signal(|| false);
    let mut draft = use_signal(String::new);
    let mut busy = use_signal(|| false);
    let mut error = use_signal(String::new);
    let name = user.name.clone().unwrap_or_default();
    let email = user.email.clone().unwrap_or_default();

    let open = {
        let name = name.clone();
        move |_| {
            draft.set(name.clone());
            error.set(String::new());
            editing.set(true);
        }
    };
    let save = move || {
        if *busy.peek() {
            return;
        }
        spawn(async move {
            let n = draft.peek().trim().to_string();
            if n.is_empty() {
                error.set("Please type your name.".into());
                return;
            }
            busy.set(true);
            error.set(String::new());
            let r = ctx.call::<User>(cmd::UPDATE_NAME, json!({ "name": n })).await;
            busy.set(false);
            match r {
                Ok(u) => {
                    ctx.set_user(u);
                    editing.set(false);
                    bridge::focus("change-name");
                }
                Err(m) => error.set(m.join(" ")),
            }
        });
    };

    rsx! {
        div { class: "user-info",
            if editing() {
                form { class: "name-form", onsubmit: move |e: FormEvent| { e.prevent_default(); save(); },
                    label { r#for: "name-input", class: "visually-hidden", "Your name" }
                    input {
                        id: "name-input",
                        class: "input input-lg",
                        r#type: "text",
                        value: "{draft}",
                        autocomplete: "name",
                        "autocapitalize": "words",
                        "enterkeyhint": "done",
                        disabled: busy(),
                        "aria-describedby": "name-hint",
                        oninput: move |e: FormEvent| draft.set(e.value()),
                        onkeydown: move |e: KeyboardEvent| {
                            if e.key() == Key::Escape {
                                e.prevent_default();
                                editing.set(false);
                                error.set(String::new());
                                bridge::focus("change-name");
                            }
                        },
                        onmounted: move |e: MountedEvent| async move {
                            let _ = e.set_focus(true).await;
                        },
                    }
                    p { id: "name-hint", class: "muted small",
                        if busy() { span { class: "spinner", "aria-hidden": "true" } " Saving..." } else { "Press Enter to save, Esc to cancel." }
                    }
                }
            } else {
                h1 { id: "hello", class: "hello", "Hello, {name}" }
                p { id: "user-email", class: "muted", "{email}" }
                button { id: "change-name", class: "btn btn-secondary btn-sm", r#type: "button", onclick: open, "Change name" }
            }
            if !error().is_empty() {
                div { id: "name-errors", class: "alert alert-error", role: "alert", "{error}" }
            }
        }
    }
}

#[component]
fn Sessions() -> Element {
    let ctx = use_app();
    let mut sessions = use_signal(|| None::<Vec<SessionView>>);
    let mut errors = use_signal(Vec::<String>::new);
    let mut busy_id = use_signal(|| None::<String>);
    let mut others_busy = use_signal(|| false);
    let mut note = use_signal(String::new);

    let load = move || {
        spawn(async move {
            match ctx.call::<Vec<SessionView>>(cmd::LIST_SESSIONS, json!({})).await {
                Ok(mut v) => {
                    // Current session first, then newest first.
                    v.sort_by(|a, b| b.is_current.cmp(&a.is_current).then_with(|| b.created_at.cmp(&a.created_at)));
                    sessions.set(Some(v));
                }
                Err(m) => errors.set(m),
            }
        });
    };
    use_hook(load);

    let revoke = move |id: String| {
        spawn(async move {
            busy_id.set(Some(id.clone()));
            errors.set(vec![]);
            note.set(String::new());
            let r = ctx.call::<()>(cmd::REVOKE_SESSION, json!({ "id": id })).await;
            busy_id.set(None);
            match r {
                Ok(()) => {
                    if let Some(list) = sessions.write().as_mut() {
                        list.retain(|s| s.id != id);
                    }
                    note.set("Session signed out.".into());
                }
                Err(m) => errors.set(m),
            }
        });
    };
    let sign_out_others = move |_| {
        spawn(async move {
            others_busy.set(true);
            errors.set(vec![]);
            note.set(String::new());
            let r = ctx.call::<()>(cmd::SIGN_OUT_OTHERS, json!({})).await;
            others_busy.set(false);
            match r {
                Ok(()) => {
                    if let Some(list) = sessions.write().as_mut() {
                        list.retain(|s| s.is_current);
                    }
                    note.set("All other sessions were signed out.".into());
                }
                Err(m) => errors.set(m),
            }
        });
    };

    let has_others = sessions().map(|l| l.iter().any(|s| !s.is_current)).unwrap_or(false);
    rsx! {
        section { class: "panel", "aria-labelledby": "sessions-title",
            div { class: "panel-header",
                h2 { id: "sessions-title", class: "panel-title", "All Sessions" }
                if has_others {
                    button { id: "sign-out-others", class: "btn btn-outline btn-sm", r#type: "button", disabled: others_busy(), onclick: sign_out_others,
                        if others_busy() { span { class: "spinner", "aria-hidden": "true" } }
                        span { "Sign out all other sessions" }
                    }
                }
            }
            Errors { messages: errors(), id: "sessions-errors" }
            p { class: "visually-hidden", role: "status", "{note}" }
            match sessions() {
                None => rsx! {
                    p { class: "muted", span { class: "spinner", "aria-hidden": "true" } " Loading sessions..." }
                },
                Some(list) => rsx! {
                    ul { id: "sessions", class: "list",
                        for s in list {
                            li { key: "{s.id}", class: if s.is_current { "list-item session is-current" } else { "list-item session" },
                                "data-session-id": "{s.id}",
                                div { class: "session-main",
                                    if s.is_current {
                                        p { class: "session-name", span { class: "badge", "Current Session" } }
                                    } else {
                                        p { class: "session-name", strong { "Device name: " } span { class: "session-device", "{s.device}" } }
                                    }
                                    p { class: "muted small",
                                        {
                                            let d = logic::session_detail(&s.os, &s.app);
                                            if d.is_empty() { String::new() } else { format!("{d} · ") }
                                        }
                                        time { datetime: "{s.created_at}", {bridge::locale_date(&s.created_at)} }
                                    }
                                }
                                if !s.is_current {
                                    button {
                                        class: "btn btn-icon revoke",
                                        r#type: "button",
                                        title: "Sign out this session",
                                        "aria-label": "Sign out this session",
                                        disabled: busy_id().is_some(),
                                        onclick: {
                                            let id = s.id.clone();
                                            move |_| revoke(id.clone())
                                        },
                                        if busy_id().as_deref() == Some(s.id.as_str()) { span { class: "spinner", "aria-hidden": "true" } } else { "X" }
                                    }
                                }
                            }
                        }
                    }
                },
            }
        }
    }
}

#[component]
fn ChangePassword() -> Element {
    let ctx = use_app();
    let mut old = use_signal(String::new);
    let mut new = use_signal(String::new);
    let mut busy = use_signal(|| false);
    let mut errors = use_signal(Vec::<String>::new);
    let mut done = use_signal(String::new);
    let submit = move |e: FormEvent| {
        e.prevent_default();
        if *busy.peek() {
            return;
        }
        spawn(async move {
            busy.set(true);
            errors.set(vec![]);
            done.set(String::new());
            let r = ctx
                .call::<()>(cmd::CHANGE_PASSWORD, json!({ "oldPassword": *old.peek(), "newPassword": *new.peek() }))
                .await;
            busy.set(false);
            match r {
                Ok(()) => {
                    old.set(String::new());
                    new.set(String::new());
                    done.set("Your password has been changed.".into());
                }
                Err(m) => errors.set(m),
            }
        });
    };
    rsx! {
        section { class: "panel", "aria-labelledby": "pw-title",
            h2 { id: "pw-title", class: "panel-title", "Change password" }
            form { class: "form", onsubmit: submit,
                Success { message: done(), id: "password-success" }
                Errors { messages: errors(), id: "password-errors" }
                Field { id: "old-password", label: "Current password", kind: "password", value: old(), oninput: move |v| old.set(v), autocomplete: "current-password" }
                Field { id: "new-password", label: "New password", kind: "password", value: new(), oninput: move |v| new.set(v), autocomplete: "new-password", enterkeyhint: "done" }
                div { class: "form-actions end",
                    SubmitButton { id: "change-password-button", label: "Change password", busy: busy(), class: "btn btn-secondary" }
                }
            }
        }
    }
}

#[component]
fn ChangeEmail(user: User) -> Element {
    let ctx = use_app();
    let mut password = use_signal(String::new);
    let mut new_email = use_signal(String::new);
    let mut busy = use_signal(|| false);
    let mut errors = use_signal(Vec::<String>::new);
    let mut done = use_signal(String::new);
    let old_email = user.email.clone();
    let submit = move |e: FormEvent| {
        e.prevent_default();
        if *busy.peek() {
            return;
        }
        let old_email = old_email.clone();
        spawn(async move {
            busy.set(true);
            errors.set(vec![]);
            done.set(String::new());
            let r = ctx
                .call::<User>(cmd::CHANGE_EMAIL, json!({ "password": *password.peek(), "newEmail": new_email.peek().trim() }))
                .await;
            busy.set(false);
            match r {
                Ok(u) => {
                    let unchanged = u.email == old_email;
                    password.set(String::new());
                    new_email.set(String::new());
                    ctx.set_user(u);
                    done.set(if unchanged {
                        "Check your new inbox to confirm the change.".into()
                    } else {
                        "Your e-mail address has been changed.".into()
                    });
                }
                Err(m) => errors.set(m),
            }
        });
    };
    rsx! {
        section { class: "panel", "aria-labelledby": "email-title",
            h2 { id: "email-title", class: "panel-title", "Change e-mail" }
            form { class: "form", onsubmit: submit,
                Success { message: done(), id: "email-success" }
                Errors { messages: errors(), id: "email-errors" }
                Field { id: "new-email", label: "New e-mail", kind: "email", value: new_email(), oninput: move |v| new_email.set(v), autocomplete: "email" }
                Field { id: "email-password", label: "Password", kind: "password", value: password(), oninput: move |v| password.set(v), autocomplete: "current-password", enterkeyhint: "done" }
                div { class: "form-actions end",
                    SubmitButton { id: "change-email-button", label: "Change e-mail", busy: busy(), class: "btn btn-secondary" }
                }
            }
        }
    }
}
