//! Guest screens, the mail-link redirect and the dev mailbox.

use crate::{bridge, logic, use_app, Route};
use altogic_auth_ipc::{cmd, link_error_message, MailView, RedirectView, SignUpOutcome, User, NOT_REQUESTED_HERE_MESSAGE};
use dioxus::prelude::*;
use serde_json::json;

// ---------------------------------------------------------------- shared pieces

/// API errors, one line each (`#errors`, announced by screen readers).
#[component]
pub fn Errors(messages: Vec<String>, #[props(default = "errors".to_string())] id: String) -> Element {
    if messages.is_empty() {
        return rsx! {};
    }
    rsx! {
        div { id: "{id}", class: "alert alert-error", role: "alert",
            for (i, m) in messages.iter().enumerate() {
                p { key: "{i}", "{m}" }
            }
        }
    }
}

/// A success message (`#success`).
#[component]
pub fn Success(message: String, #[props(default = "success".to_string())] id: String) -> Element {
    if message.is_empty() {
        return rsx! {};
    }
    rsx! {
        div { id: "{id}", class: "alert alert-success", role: "status", "{message}" }
    }
}

/// A submit button that is disabled and shows a spinner while `busy`.
#[component]
pub fn SubmitButton(
    id: String,
    label: String,
    busy: bool,
    #[props(default = "btn btn-primary".to_string())] class: String,
) -> Element {
    rsx! {
        button { id: "{id}", class: "{class}", r#type: "submit", disabled: busy, "aria-busy": if busy { "true" } else { "false" },
            if busy {
                span { class: "spinner", "aria-hidden": "true" }
            }
            span { "{label}" }
        }
    }
}

/// A visually hidden label + input pair, as the original design shows placeholders only.
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

/// A card holding one screen's form.
#[component]
fn Card(title: String, children: Element, #[props(default)] subtitle: Option<String>) -> Element {
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

/// "Have a code instead?": the 6-digit code from the mail, for when the link cannot open the app.
#[component]
pub fn CodeEntry(email: String) -> Element {
    let ctx = use_app();
    let nav = navigator();
    let mut code = use_signal(String::new);
    let mut busy = use_signal(|| false);
    let mut errors = use_signal(Vec::<String>::new);
    let submit = move |e: FormEvent| {
        e.prevent_default();
        let email = email.clone();
        spawn(async move {
            let Some(c) = logic::normalize_code(&code.peek()) else {
                errors.set(vec!["Enter the 6-digit code from the e-mail.".into()]);
                return;
            };
            busy.set(true);
            errors.set(vec![]);
            let r = ctx.call::<RedirectView>(cmd::VERIFY_CODE, json!({ "email": email, "code": c })).await;
            busy.set(false);
            match r {
                Ok(v) if v.status == 200 && v.error_code.is_none() => {
                    let mut n = ctx.redirect_nonce;
                    *n.write() += 1;
                    nav.push(Route::AuthRedirect {});
                }
                Ok(v) => errors.set(vec![link_error_message(v.error_code.as_deref()).into()]),
                Err(m) => errors.set(m),
            }
        });
    };
    rsx! {
        form { class: "code-form", onsubmit: submit, novalidate: true,
            p { class: "muted", "Or enter the 6-digit code from the e-mail:" }
            Errors { messages: errors(), id: "code-errors" }
            div { class: "row",
                Field {
                    id: "code", label: "6-digit code", value: code(), oninput: move |v| code.set(v),
                    placeholder: "123456", autocomplete: "one-time-code", hidden_label: true,
                    inputmode: "numeric", maxlength: "7", enterkeyhint: "go",
                }
                SubmitButton { id: "verify-button", label: "Verify", busy: busy(), class: "btn btn-secondary" }
            }
        }
    }
}

// ---------------------------------------------------------------- screens

#[component]
pub fn Home() -> Element {
    let ctx = use_app();
    rsx! {
        div { class: "center-screen",
            div { class: "hero",
                Logo {}
                h1 { class: "hero-title", "Altogic Auth" }
                p { class: "muted", "Sign in to manage your profile and sessions." }
                nav { class: "home-links", "aria-label": "Get started",
                    Link { id: "home-magic", class: "btn btn-outline", to: Route::MagicLink {}, "Login With Magic Link" }
                    Link { id: "home-login", class: "btn btn-primary", to: Route::Login {}, "Login" }
                    Link { id: "home-register", class: "btn btn-outline", to: Route::Register {}, "Register" }
                }
                if ctx.embedded.cloned() {
                    Link { id: "mailbox-link", class: "link small", to: Route::Mailbox {}, "Dev mailbox" }
                }
            }
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

#[component]
pub fn Login() -> Element {
    let ctx = use_app();
    let nav = navigator();
    let mut email = use_signal(String::new);
    let mut password = use_signal(String::new);
    let mut busy = use_signal(|| false);
    let mut errors = use_signal(Vec::<String>::new);
    let submit = move |e: FormEvent| {
        e.prevent_default();
        if *busy.peek() {
            return;
        }
        spawn(async move {
            busy.set(true);
            errors.set(vec![]);
            let r = ctx
                .call::<User>(cmd::SIGN_IN, json!({ "email": email.peek().trim(), "password": *password.peek() }))
                .await;
            busy.set(false);
            match r {
                Ok(u) => {
                    email.set(String::new());
                    password.set(String::new());
                    ctx.set_user(u);
                    nav.push(Route::Profile {});
                }
                Err(m) => errors.set(m),
            }
        });
    };
    rsx! {
        div { class: "center-screen",
            Card { title: "Login to your account",
                form { class: "form", onsubmit: submit,
                    Errors { messages: errors() }
                    Field { id: "email", label: "Email", kind: "email", value: email(), oninput: move |v| email.set(v),
                        placeholder: "Type your email", autocomplete: "email", autofocus: true, hidden_label: true }
                    Field { id: "password", label: "Password", kind: "password", value: password(), oninput: move |v| password.set(v),
                        placeholder: "Type your password", autocomplete: "current-password", hidden_label: true, enterkeyhint: "go" }
                    div { class: "form-actions",
                        Link { id: "forgot-link", class: "link small", to: Route::ForgotPassword {}, "Forgot password?" }
                        SubmitButton { id: "login-button", label: "Login", busy: busy() }
                    }
                }
                div { class: "card-footer",
                    Link { id: "register-link", class: "link", to: Route::Register {}, "Don't have an account? Register now" }
                    Link { id: "magic-link", class: "link", to: Route::MagicLink {}, "Login with magic link" }
                }
            }
        }
    }
}

#[component]
pub fn Register() -> Element {
    let ctx = use_app();
    let nav = navigator();
    let mut email = use_signal(String::new);
    let mut name = use_signal(String::new);
    let mut password = use_signal(String::new);
    let mut busy = use_signal(|| false);
    let mut errors = use_signal(Vec::<String>::new);
    // Set once the account waits for e-mail verification.
    let mut verify_email = use_signal(|| None::<String>);
    let mut resend_busy = use_signal(|| false);
    let mut resend_msg = use_signal(String::new);

    let submit = move |e: FormEvent| {
        e.prevent_default();
        if *busy.peek() {
            return;
        }
        spawn(async move {
            busy.set(true);
            errors.set(vec![]);
            let addr = email.peek().trim().to_string();
            let r = ctx
                .call::<SignUpOutcome>(
                    cmd::SIGN_UP,
                    json!({ "email": addr, "name": name.peek().trim(), "password": *password.peek() }),
                )
                .await;
            busy.set(false);
            match r {
                Ok(out) => {
                    email.set(String::new());
                    name.set(String::new());
                    password.set(String::new());
                    if out.signed_in {
                        ctx.set_user(out.user);
                        nav.push(Route::Profile {});
                    } else {
                        verify_email.set(Some(out.user.email.clone().unwrap_or(addr)));
                    }
                }
                Err(m) => errors.set(m),
            }
        });
    };
    let resend = move |_| {
        let Some(addr) = verify_email.peek().clone() else { return };
        spawn(async move {
            resend_busy.set(true);
            resend_msg.set(String::new());
            errors.set(vec![]);
            let r = ctx.call::<()>(cmd::RESEND_VERIFICATION, json!({ "email": addr })).await;
            resend_busy.set(false);
            match r {
                Ok(()) => resend_msg.set("Email sent! Check your inbox.".into()),
                Err(m) => errors.set(m),
            }
        });
    };

    rsx! {
        div { class: "center-screen",
            Card { title: "Create an account",
                if let Some(addr) = verify_email() {
                    Success { message: "Your account has been created. Please check your email to verify your account." }
                    Errors { messages: errors() }
                    div { class: "stack",
                        p { class: "muted", "We sent a verification link to " strong { "{addr}" } "." }
                        div { class: "row",
                            button { id: "resend-button", class: "btn btn-outline", r#type: "button", disabled: resend_busy(), onclick: resend,
                                if resend_busy() { span { class: "spinner", "aria-hidden": "true" } }
                                span { "Resend" }
                            }
                            if !resend_msg().is_empty() {
                                span { id: "resend-status", class: "muted small", role: "status", "{resend_msg}" }
                            }
                        }
                        CodeEntry { email: addr.clone() }
                        Link { class: "link", to: Route::Login {}, "Back to Login" }
                    }
                } else {
                    form { class: "form", onsubmit: submit,
                        Errors { messages: errors() }
                        Field { id: "email", label: "Email", kind: "email", value: email(), oninput: move |v| email.set(v),
                            placeholder: "Type your email", autocomplete: "email", autofocus: true, hidden_label: true }
                        Field { id: "name", label: "Name", value: name(), oninput: move |v| name.set(v),
                            placeholder: "Type your name", autocomplete: "name", hidden_label: true }
                        Field { id: "password", label: "Password", kind: "password", value: password(), oninput: move |v| password.set(v),
                            placeholder: "Type your password", autocomplete: "new-password", hidden_label: true, enterkeyhint: "go" }
                        div { class: "form-actions",
                            Link { id: "login-link", class: "link", to: Route::Login {}, "Already have an account?" }
                            SubmitButton { id: "register-button", label: "Register", busy: busy() }
                        }
                    }
                }
            }
        }
    }
}

/// An e-mail form that asks the backend to mail a link (magic link, password reset), then offers
/// the mail's 6-digit code for when the link cannot open the app.
#[component]
fn MailLinkForm(
    title: &'static str,
    #[props(default)] subtitle: Option<&'static str>,
    command: &'static str,
    sent_message: &'static str,
    button_id: &'static str,
    button_label: &'static str,
    side_link: Element,
    footer: Option<Element>,
) -> Element {
    let ctx = use_app();
    let mut email = use_signal(String::new);
    let mut busy = use_signal(|| false);
    let mut errors = use_signal(Vec::<String>::new);
    let mut sent_to = use_signal(|| None::<String>);
    let submit = move |e: FormEvent| {
        e.prevent_default();
        if *busy.peek() {
            return;
        }
        spawn(async move {
            busy.set(true);
            errors.set(vec![]);
            sent_to.set(None);
            let addr = email.peek().trim().to_string();
            let r = ctx.call::<()>(command, json!({ "email": addr })).await;
            busy.set(false);
            match r {
                Ok(()) => {
                    email.set(String::new());
                    sent_to.set(Some(addr));
                }
                Err(m) => errors.set(m),
            }
        });
    };
    rsx! {
        div { class: "center-screen",
            Card { title: title.to_string(), subtitle: subtitle.map(str::to_string),
                form { class: "form", onsubmit: submit,
                    if sent_to().is_some() {
                        Success { message: sent_message }
                    }
                    Errors { messages: errors() }
                    Field { id: "email", label: "Email", kind: "email", value: email(), oninput: move |v| email.set(v),
                        placeholder: "Type your email", autocomplete: "email", autofocus: true, hidden_label: true, enterkeyhint: "send" }
                    div { class: "form-actions",
                        {side_link}
                        SubmitButton { id: button_id, label: button_label, busy: busy() }
                    }
                }
                if let Some(addr) = sent_to() {
                    CodeEntry { email: addr }
                }
                if let Some(footer) = footer {
                    {footer}
                }
            }
        }
    }
}

#[component]
pub fn MagicLink() -> Element {
    rsx! {
        MailLinkForm {
            title: "Login with magic link",
            command: cmd::SEND_MAGIC_LINK,
            sent_message: "Email sent! Check your inbox.",
            button_id: "magic-button",
            button_label: "Send magic link",
            side_link: rsx! { Link { id: "register-link", class: "link", to: Route::Register {}, "Don't have an account? Register now" } },
            footer: rsx! { div { class: "card-footer", Link { class: "link", to: Route::Login {}, "Login with password" } } },
        }
    }
}

#[component]
pub fn ForgotPassword() -> Element {
    rsx! {
        MailLinkForm {
            title: "Forgot your password?",
            subtitle: "We'll e-mail you a link to choose a new one.",
            command: cmd::SEND_RESET,
            sent_message: "Check your inbox for a link to reset your password.",
            button_id: "reset-send-button",
            button_label: "Send reset link",
            side_link: rsx! { Link { class: "link", to: Route::Login {}, "Back to Login" } },
        }
    }
}

/// After a mail link: back to the profile when signed in, else to Login.
#[component]
fn BackLink(signed_in: bool, guest_label: &'static str) -> Element {
    rsx! {
        div { class: "form-actions",
            if signed_in {
                Link { id: "back-link", class: "btn btn-primary", to: Route::Profile {}, "Go to your profile" }
            } else {
                Link { id: "back-link", class: "btn btn-primary", to: Route::Login {}, "{guest_label}" }
            }
        }
    }
}

#[derive(Clone, PartialEq)]
enum Phase {
    Loading,
    Completing,
    Failed(Vec<String>),
    ResetForm,
    ResetDone,
    EmailChanged,
    /// Someone is signed in and the link signs in as this other address.
    ConfirmSwitch(String),
}

#[component]
pub fn AuthRedirect() -> Element {
    let ctx = use_app();
    let nav = navigator();
    let mut phase = use_signal(|| Phase::Loading);
    let mut new_password = use_signal(String::new);
    let mut busy = use_signal(|| false);
    let mut errors = use_signal(Vec::<String>::new);

    // Trades the link for a session and goes to the profile.
    let complete = move || {
        spawn(async move {
            phase.set(Phase::Completing);
            match ctx.call::<User>(cmd::COMPLETE_REDIRECT, json!({})).await {
                Ok(u) => {
                    ctx.set_user(u);
                    nav.replace(Route::Profile {});
                }
                Err(m) => phase.set(Phase::Failed(m)),
            }
        });
    };
    // "No" to switching accounts: the link is dropped and the current session stays.
    let keep_account = move |_| {
        spawn(async move {
            let _ = ctx.call::<()>(cmd::DISCARD_REDIRECT, json!({})).await;
            nav.replace(Route::Profile {});
        });
    };

    use_effect(move || {
        let _nonce = ctx.redirect_nonce.read();
        spawn(async move {
            phase.set(Phase::Loading);
            errors.set(vec![]);
            let view = match ctx.call::<Option<RedirectView>>(cmd::PENDING_REDIRECT, json!({})).await {
                Ok(v) => v,
                Err(m) => return phase.set(Phase::Failed(m)),
            };
            let Some(v) = view else {
                if ctx.user.peek().is_some() {
                    nav.replace(Route::Profile {});
                    return;
                }
                return phase.set(Phase::Failed(vec!["This link has already been used or has expired.".into()]));
            };
            // A link that cannot be used is dropped, so it does not come back at the next start.
            if v.status != 200 {
                let _ = ctx.call::<()>(cmd::DISCARD_REDIRECT, json!({})).await;
                // Never the link's own text: anyone can craft a link.
                return phase.set(Phase::Failed(vec![link_error_message(v.error_code.as_deref()).into()]));
            }
            if !v.requested_here {
                let _ = ctx.call::<()>(cmd::DISCARD_REDIRECT, json!({})).await;
                return phase.set(Phase::Failed(vec![NOT_REQUESTED_HERE_MESSAGE.into()]));
            }
            match v.action.as_str() {
                "reset-pwd" => phase.set(Phase::ResetForm),
                "change-email" => {
                    if ctx.user.peek().is_some() {
                        if let Ok(u) = ctx.call::<User>(cmd::REFRESH_USER, json!({})).await {
                            ctx.set_user(u);
                        }
                    }
                    phase.set(Phase::EmailChanged);
                }
                _ => match v.signs_in_as {
                    Some(other) => phase.set(Phase::ConfirmSwitch(other)),
                    None => complete(),
                },
            }
        });
    });

    let submit_reset = move |e: FormEvent| {
        e.prevent_default();
        if *busy.peek() {
            return;
        }
        spawn(async move {
            busy.set(true);
            errors.set(vec![]);
            let r = ctx.call::<()>(cmd::COMPLETE_RESET, json!({ "newPassword": *new_password.peek() })).await;
            busy.set(false);
            match r {
                Ok(()) => {
                    new_password.set(String::new());
                    phase.set(Phase::ResetDone);
                }
                Err(m) => errors.set(m),
            }
        });
    };

    let signed_in = ctx.user.read().is_some();
    match phase() {
        Phase::Loading | Phase::Completing => rsx! {
            div { class: "center-screen", "aria-busy": "true",
                div { class: "redirect-wait", role: "status",
                    span { class: "spinner spinner-lg", "aria-hidden": "true" }
                    p { class: "wait-title", "Please wait" }
                    p { class: "muted", "You're redirecting to your profile..." }
                }
            }
        },
        Phase::Failed(m) => rsx! {
            div { class: "center-screen",
                Card { title: "This link didn't work",
                    Errors { messages: m }
                    BackLink { signed_in, guest_label: "Back to Login" }
                }
            }
        },
        Phase::ResetForm => rsx! {
            div { class: "center-screen",
                Card { title: "Choose a new password",
                    form { class: "form", onsubmit: submit_reset,
                        Errors { messages: errors() }
                        Field { id: "new-password", label: "New password", kind: "password", value: new_password(),
                            oninput: move |v| new_password.set(v), placeholder: "Type your new password",
                            autocomplete: "new-password", autofocus: true, hidden_label: true, enterkeyhint: "done" }
                        div { class: "form-actions",
                            span {}
                            SubmitButton { id: "reset-button", label: "Change password", busy: busy() }
                        }
                    }
                }
            }
        },
        Phase::ResetDone => rsx! {
            div { class: "center-screen",
                Card { title: "Password changed",
                    Success { message: "Your password has been changed." }
                    BackLink { signed_in, guest_label: "Login" }
                }
            }
        },
        Phase::ConfirmSwitch(other) => rsx! {
            div { class: "center-screen",
                Card { title: "Switch account?",
                    p { id: "switch-question", "This link signs you in as {other}. Switch account?" }
                    div { class: "form-actions",
                        button { id: "switch-yes", class: "btn btn-outline", r#type: "button", onclick: move |_| complete(), "Yes, switch" }
                        button { id: "switch-no", class: "btn btn-primary", r#type: "button", autofocus: true, onclick: keep_account, "No" }
                    }
                }
            }
        },
        Phase::EmailChanged => rsx! {
            div { class: "center-screen",
                Card { title: "E-mail changed",
                    Success { message: "Your e-mail address has been changed." }
                    BackLink { signed_in, guest_label: "Login" }
                }
            }
        },
    }
}

#[component]
pub fn Mailbox() -> Element {
    let ctx = use_app();
    let mut mails = use_signal(|| None::<Vec<MailView>>);
    let mut busy = use_signal(|| false);
    let mut errors = use_signal(Vec::<String>::new);
    let mut opening = use_signal(|| None::<String>);

    let load = move || {
        spawn(async move {
            busy.set(true);
            errors.set(vec![]);
            match ctx.call::<Vec<MailView>>(cmd::DEV_MAILBOX, json!({})).await {
                Ok(v) => mails.set(Some(logic::sort_mails(v))),
                Err(m) => errors.set(m),
            }
            busy.set(false);
        });
    };
    use_hook(load);

    let open = move |id: String, link: String| {
        spawn(async move {
            opening.set(Some(id));
            errors.set(vec![]);
            if let Err(m) = ctx.call::<()>(cmd::OPEN_MAIL_LINK, json!({ "link": link })).await {
                errors.set(m);
            }
            opening.set(None);
        });
    };

    let signed_in = ctx.user.read().is_some();
    rsx! {
        div { class: "content",
            header { class: "page-header",
                div {
                    h1 { class: "page-title", "Dev mailbox" }
                    p { class: "muted small", "Mail sent by the embedded backend. Nothing leaves this computer." }
                }
                div { class: "row",
                    button { id: "refresh-button", class: "btn btn-outline", r#type: "button", disabled: busy(), onclick: move |_| load(),
                        if busy() { span { class: "spinner", "aria-hidden": "true" } }
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
                div { class: "alert alert-info", "The dev mailbox exists only when the app runs its own backend." }
            }
            Errors { messages: errors() }
            match mails() {
                None => rsx! {},
                Some(list) if list.is_empty() => rsx! { p { id: "mailbox-empty", class: "empty", "No mail yet." } },
                Some(list) => rsx! {
                    ul { id: "mails", class: "list",
                        for m in list {
                            li { key: "{m.id}", class: "list-item mail",
                                div { class: "mail-main",
                                    p { class: "mail-subject", "{m.subject}" }
                                    p { class: "muted small",
                                        span { class: "mail-to", "To: {m.to}" }
                                        " · "
                                        time { datetime: "{m.created_at}", {bridge::locale_date(&m.created_at)} }
                                    }
                                    if !m.code.is_empty() {
                                        p { class: "small", "Code: " code { class: "mail-code", "{m.code}" } }
                                    }
                                }
                                if !m.link.is_empty() {
                                    button {
                                        class: "btn btn-primary open-link",
                                        r#type: "button",
                                        disabled: opening().is_some(),
                                        "aria-label": "Open link: {m.subject}",
                                        onclick: {
                                            let (id, link) = (m.id.clone(), m.link.clone());
                                            move |_| open(id.clone(), link.clone())
                                        },
                                        if opening().as_deref() == Some(m.id.as_str()) { span { class: "spinner", "aria-hidden": "true" } }
                                        span { "Open link" }
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
pub fn NotFound(segments: Vec<String>) -> Element {
    let _ = segments;
    rsx! {
        div { class: "center-screen",
            Card { title: "Page not found",
                p { class: "muted", "There is nothing here." }
                Link { class: "btn btn-primary", to: Route::Home {}, "Go home" }
            }
        }
    }
}
