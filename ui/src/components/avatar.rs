use altogic_auth_ipc::commands::{AvatarArgs, UploadAvatar};
use altogic_auth_ipc::{avatar, UserView};
use dioxus::prelude::*;

use crate::context::use_app;
use crate::hooks::use_action;
use crate::{bridge, logic};

/// The profile picture (or initials on a colour), and "Change Avatar", which checks, scales and
/// uploads a picture.
#[component]
pub fn Avatar(user: UserView) -> Element {
    let ctx = use_app();
    let upload = use_action();
    let name = user.name.clone().filter(|n| !n.trim().is_empty()).or(user.email.clone()).unwrap_or_default();
    let broken = use_signal(|| None::<String>);
    // A picture the built-in backend stored in an earlier run names that run's address.
    let picture = user.profile_picture.as_deref().filter(|p| !p.is_empty()).and_then(|p| logic::on_backend(p, &ctx.env_url.read(), ctx.embedded.cloned()));
    let picture = picture.filter(|p| broken().as_deref() != Some(p.as_str()));

    let change = move |_: FormEvent| {
        if upload.pending() {
            return;
        }
        spawn(async move {
            match bridge::read_avatar("avatar-input").await {
                Ok(Some(file)) => upload.run::<UploadAvatar>(AvatarArgs { bytes: file.bytes, mime_type: file.mime }, move |u| ctx.set_user(u)),
                Ok(None) => {}
                Err(m) => upload.fail(vec![m]),
            }
        });
    };
    let busy = upload.pending();
    rsx! {
        figure { class: "avatar-wrap",
            div { class: if busy { "avatar is-busy" } else { "avatar" },
                Picture { src: picture, name: name.clone(), color: logic::avatar_color(&user.id), broken }
            }
            figcaption {
                label { class: if busy { "btn btn-outline btn-sm is-disabled" } else { "btn btn-outline btn-sm" }, r#for: "avatar-input",
                    if busy {
                        span { class: "spinner", "aria-hidden": "true" }
                        span { id: "avatar-status", "Uploading..." }
                    } else {
                        span { "Change Avatar" }
                    }
                }
                input { id: "avatar-input", class: "visually-hidden", r#type: "file", accept: avatar::TYPES.join(","), disabled: busy, onchange: change }
            }
            if !upload.errors().is_empty() {
                div { id: "avatar-errors", class: "alert alert-error", role: "alert", {upload.errors().join(" ")} }
            }
        }
    }
}

/// The uploaded picture, or the initials on `color` (the user id's: a new name keeps it) when
/// there is none or it does not load.
#[component]
fn Picture(src: Option<String>, name: String, color: String, broken: Signal<Option<String>>) -> Element {
    let Some(src) = src else {
        let initials = logic::initials(&name);
        return rsx! {
            svg { id: "avatar-img", view_box: "0 0 96 96", width: "96", height: "96", role: "img", "aria-label": "{name}",
                circle { cx: "48", cy: "48", r: "48", fill: "{color}" }
                text { x: "48", y: "50", text_anchor: "middle", dominant_baseline: "central",
                    fill: "#fff", font_size: "36", font_weight: "600", font_family: "system-ui, sans-serif", "{initials}" }
            }
        };
    };
    rsx! {
        img { id: "avatar-img", src: "{src}", alt: "{name}", width: "96", height: "96",
            onerror: {
                let (src, mut broken) = (src.clone(), broken);
                move |_| broken.set(Some(src.clone()))
            },
        }
    }
}
