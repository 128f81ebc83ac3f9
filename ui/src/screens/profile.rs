//! The signed-in screen: avatar, name, sessions, security (two-step verification, recent activity,
//! password, e-mail, the account's data, deleting it), logout.

use altogic_auth_ipc::commands::{ChangeEmail, ChangeEmailArgs, ChangePassword, ChangePasswordArgs, NameArgs, NoArgs, SignOut, UpdateName};
use altogic_auth_ipc::UserView;
use dioxus::prelude::*;

use crate::components::{AppHeader, Avatar, BusyButton, DangerZone, DownloadData, Errors, Field, MailNote, RecentActivity, Sessions, StrengthMeter, SubmitButton, Success, TwoStepPanel};
use crate::context::use_app;
use crate::hooks::use_action;
use crate::{bridge, Route};

#[component]
pub fn Profile() -> Element {
    let ctx = use_app();
    let nav = navigator();
    let logout = use_action();
    let Some(user) = ctx.user.read().clone() else {
        return rsx! {};
    };
    let sign_out = move |()| {
        logout.run::<SignOut>(NoArgs {}, move |()| {
            let mut u = ctx.user;
            u.set(None);
            nav.replace(Route::Login {});
        });
    };
    rsx! {
        AppHeader { back: false,
            if ctx.embedded.cloned() {
                Link { id: "mailbox-link", class: "btn btn-outline btn-sm", to: Route::Mailbox {}, "Dev mailbox" }
            }
            BusyButton { id: "logout", class: "btn btn-danger btn-sm", label: "Logout", busy: logout.pending(), onclick: sign_out }
        }
        div { class: "content profile",
            Errors { messages: logout.errors(), id: "logout-errors" }
            section { class: "panel profile-head",
                Avatar { user: user.clone() }
                UserInfo { user: user.clone() }
            }
            Sessions {}
            Security { user: user.clone() }
        }
    }
}

/// Two-step verification, recent activity, password and e-mail changes (rarely needed, so closed
/// until asked for), the account's data, and the danger zone.
#[component]
fn Security(user: UserView) -> Element {
    let mut open = use_signal(|| false);
    rsx! {
        section { class: "panel security", "aria-labelledby": "security-title",
            h2 { id: "security-title", class: "panel-title", "Security" }
            TwoStepPanel {}
            RecentActivity {}
            div { class: "panel-header",
                h3 { class: "panel-subtitle", "Password and e-mail" }
                button { id: "security-toggle", class: "btn btn-outline btn-sm", r#type: "button", "aria-expanded": if open() { "true" } else { "false" },
                    "aria-controls": "security-forms", onclick: move |_| open.toggle(),
                    if open() { "Close" } else { "Change password or e-mail" }
                }
            }
            if open() {
                div { id: "security-forms", class: "grid-2",
                    PasswordForm {}
                    EmailForm { user }
                }
            }
            DownloadData {}
            DangerZone {}
        }
    }
}

/// "Hello, NAME", the address, and the name edited in place (Enter saves, Esc cancels).
#[component]
fn UserInfo(user: UserView) -> Element {
    let ctx = use_app();
    let mut editing = use_signal(|| false);
    let mut draft = use_signal(String::new);
    let rename = use_action();
    let name = user.name.clone().unwrap_or_default();
    let email = user.email.clone().unwrap_or_default();
    let open = {
        let name = name.clone();
        move |_| {
            draft.set(name.clone());
            rename.fail(Vec::new());
            editing.set(true);
        }
    };
    let save = move |e: FormEvent| {
        e.prevent_default();
        let n = draft.peek().trim().to_string();
        if n.is_empty() {
            return rename.fail(vec!["Please type your name.".into()]);
        }
        rename.run::<UpdateName>(NameArgs { name: n }, move |u| {
            ctx.set_user(u);
            editing.set(false);
            bridge::focus("change-name");
        });
    };
    let mut cancel = move || {
        editing.set(false);
        rename.fail(Vec::new());
        bridge::focus("change-name");
    };
    rsx! {
        div { class: "user-info",
            if editing() {
                // The screen keeps its heading while the name is edited in its place.
                h1 { class: "visually-hidden", "Profile of {name}" }
                form { class: "name-form", onsubmit: save, novalidate: true,
                    label { r#for: "name-input", class: "visually-hidden", "Your name" }
                    input { id: "name-input", class: "input input-lg", r#type: "text", value: "{draft}", autocomplete: "name",
                        "autocapitalize": "words", "enterkeyhint": "done", disabled: rename.pending(), "aria-describedby": "name-hint",
                        oninput: move |e: FormEvent| draft.set(e.value()),
                        onkeydown: move |e: KeyboardEvent| if e.key() == Key::Escape { e.prevent_default(); cancel(); },
                        onmounted: move |e: MountedEvent| async move { let _ = e.set_focus(true).await; },
                    }
                    div { class: "row name-actions",
                        SubmitButton { id: "name-save", label: "Save", busy: rename.pending(), class: "btn btn-primary btn-sm" }
                        button { id: "name-cancel", class: "btn btn-outline btn-sm", r#type: "button", onclick: move |_| cancel(), "Cancel" }
                    }
                    p { id: "name-hint", class: "muted small", "Enter saves, Esc cancels." }
                }
            } else {
                h1 { id: "hello", class: "hello", "Hello, {name}" }
                p { id: "user-email", class: "muted", "{email}" }
                button { id: "change-name", class: "btn btn-secondary btn-sm", r#type: "button", onclick: open, "Change name" }
            }
            if !rename.errors().is_empty() {
                div { id: "name-errors", class: "alert alert-error", role: "alert", {rename.errors().join(" ")} }
            }
        }
    }
}

#[component]
fn PasswordForm() -> Element {
    let mut old = use_signal(String::new);
    let mut new = use_signal(String::new);
    let change = use_action();
    let mut done = use_signal(String::new);
    let submit = move |e: FormEvent| {
        e.prevent_default();
        done.set(String::new());
        let args = ChangePasswordArgs { old_password: old.peek().clone(), new_password: new.peek().clone() };
        change.run::<ChangePassword>(args, move |()| {
            old.set(String::new());
            new.set(String::new());
            done.set("Your password has been changed.".into());
        });
    };
    rsx! {
        PanelForm { id: "password", title: "Change password", done: done(), errors: change.errors(), busy: change.pending(), button_label: "Change password", onsubmit: submit,
            Field { id: "old-password", label: "Current password", kind: "password", value: old(), oninput: move |v| old.set(v), autocomplete: "current-password" }
            Field { id: "new-password", label: "New password", kind: "password", value: new(), oninput: move |v| new.set(v), autocomplete: "new-password", enterkeyhint: "done" }
            StrengthMeter { password: new() }
        }
    }
}

#[component]
fn EmailForm(user: UserView) -> Element {
    let ctx = use_app();
    let mut password = use_signal(String::new);
    let mut new_email = use_signal(String::new);
    let change = use_action();
    let mut done = use_signal(String::new);
    let submit = move |e: FormEvent| {
        e.prevent_default();
        done.set(String::new());
        let old_email = user.email.clone();
        let args = ChangeEmailArgs { password: password.peek().clone(), new_email: new_email.peek().trim().to_string() };
        change.run::<ChangeEmail>(args, move |u| {
            let unchanged = u.email == old_email;
            password.set(String::new());
            new_email.set(String::new());
            ctx.set_user(u);
            done.set(if unchanged { "Check your new inbox to confirm the change.".into() } else { "Your e-mail address has been changed.".into() });
        });
    };
    rsx! {
        PanelForm { id: "email", title: "Change e-mail", done: done(), errors: change.errors(), busy: change.pending(), button_label: "Change e-mail", onsubmit: submit,
            Field { id: "new-email", label: "New e-mail", kind: "email", value: new_email(), oninput: move |v| new_email.set(v), autocomplete: "email" }
            Field { id: "email-password", label: "Password", kind: "password", value: password(), oninput: move |v| password.set(v), autocomplete: "current-password", enterkeyhint: "done" }
            if done().starts_with("Check") {
                MailNote {}
            }
        }
    }
}

/// A panel of the profile holding one form: `#ID-success`, `#ID-errors`, `#change-ID-button`.
#[component]
fn PanelForm(id: &'static str, title: &'static str, done: String, errors: Vec<String>, busy: bool, button_label: &'static str, onsubmit: EventHandler<FormEvent>, children: Element) -> Element {
    rsx! {
        section { class: "panel", "aria-labelledby": "{id}-title",
            h2 { id: "{id}-title", class: "panel-title", "{title}" }
            form { class: "form", onsubmit: move |e| onsubmit.call(e), novalidate: true,
                Success { message: done, id: "{id}-success" }
                Errors { messages: errors, id: "{id}-errors" }
                {children}
                div { class: "form-actions end",
                    SubmitButton { id: "change-{id}-button", label: button_label, busy, class: "btn btn-secondary" }
                }
            }
        }
    }
}
