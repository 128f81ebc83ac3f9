//! Pure UI logic: no Dioxus rendering, no browser APIs. Unit-tested natively.

use crate::Route;
use altogic_auth_ipc::MailView;

/// Which routes a signed-in user may not see (they go to Profile).
pub fn is_guest_only(route: &Route) -> bool {
    matches!(
        route,
        Route::Home {} | Route::Login {} | Route::Register {} | Route::MagicLink {} | Route::ForgotPassword {} | Route::TwoStep {}
    )
}

/// Which routes a guest may not see (they go to Login).
pub fn is_auth_only(route: &Route) -> bool {
    matches!(route, Route::Profile {})
}

/// The original app's `router.beforeEach`: `requiresAuth` without a user → `/login`,
/// `requiresGuest` with a user → `/profile`; everything else stays where it is.
pub fn guard(route: &Route, signed_in: bool) -> Option<Route> {
    if is_auth_only(route) && !signed_in {
        return Some(Route::Login {});
    }
    if is_guest_only(route) && signed_in {
        return Some(Route::Profile {});
    }
    None
}

/// The document title of a screen (WCAG 2.4.2): what a screen reader says first, and what a window
/// list shows.
pub fn title(route: &Route) -> String {
    let screen = match route {
        Route::Home {} => return "Altogic Auth".into(),
        Route::Login {} => "Login",
        Route::Register {} => "Register",
        Route::MagicLink {} => "Login with magic link",
        Route::TwoStep {} => "Two-step verification",
        Route::AuthRedirect {} => "Signing you in",
        Route::Profile {} => "Profile",
        Route::ForgotPassword {} => "Forgot password",
        Route::Mailbox {} => "Dev mailbox",
        Route::NotFound { .. } => "Page not found",
    };
    format!("{screen} · Altogic Auth")
}

/// The Dev mailbox exists only beside the built-in backend: elsewhere (a distribution build, a
/// configured backend) its route leads Home.
pub fn without_dev_tools(route: &Route, embedded: bool) -> Option<Route> {
    (matches!(route, Route::Mailbox {}) && !embedded).then_some(Route::Home {})
}

/// Up to two initials of a name ("Ada Lovelace" → "AL", "ada" → "A"); "?" when there is nothing.
pub fn initials(name: &str) -> String {
    let name = name.split('@').next().unwrap_or("");
    let s: String = name
        .split(|c: char| c.is_whitespace() || c == '.' || c == '_' || c == '-')
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .flat_map(|c| c.to_uppercase())
        .collect();
    if s.is_empty() {
        "?".into()
    } else {
        s
    }
}

/// A stable hue (0..360) for a key (FNV-1a): the user id, so each person keeps "their" colour
/// whatever they are called.
pub fn hue_of(key: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in key.trim().to_lowercase().bytes() {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h % 360
}

/// Background colour of the initials avatar: dark enough for white text (WCAG AA at this size).
pub fn avatar_color(user_id: &str) -> String {
    format!("hsl({}, 55%, 38%)", hue_of(user_id))
}

/// A picture URL of the built-in backend on its current address (`env_url`): pictures stored in
/// an earlier run name that run's port, which may have had to change. None while that address is
/// not known yet (the first screen is drawn before the backend starts). Other URLs stay as they are.
pub fn on_backend(picture: &str, env_url: &str, embedded: bool) -> Option<String> {
    const LOOPBACK: &str = "http://127.0.0.1:";
    let Some(rest) = picture.strip_prefix(LOOPBACK).filter(|_| embedded) else {
        return Some(picture.to_string());
    };
    if env_url.is_empty() {
        return None;
    }
    match rest.find('/') {
        Some(path) => Some(format!("{}{}", env_url.trim_end_matches('/'), &rest[path..])),
        None => Some(picture.to_string()),
    }
}

/// `2024-05-01T10:20:30.000Z` → `2024-05-01 10:20`: the fallback when the locale formatter is unavailable.
pub fn iso_date_time_part(iso: &str) -> String {
    match iso.get(11..16) {
        Some(time) if iso.as_bytes().get(10) == Some(&b'T') => format!("{} {time}", iso_date_part(iso)),
        _ => iso_date_part(iso),
    }
}

/// `2024-05-01T10:20:30.000Z` → `2024-05-01`: the fallback when the locale formatter is unavailable.
pub fn iso_date_part(iso: &str) -> String {
    let d = iso.get(..10).unwrap_or(iso);
    let ok = d.len() == 10
        && d.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if ok {
        d.to_string()
    } else {
        iso.to_string()
    }
}

/// The size to draw an image at so its longer side is at most `max` (never scaled up).
pub fn scaled_size(w: u32, h: u32, max: u32) -> (u32, u32) {
    if w == 0 || h == 0 || (w <= max && h <= max) {
        return (w, h);
    }
    if w >= h {
        (max, ((h as u64 * max as u64 + w as u64 / 2) / w as u64).max(1) as u32)
    } else {
        (((w as u64 * max as u64 + h as u64 / 2) / h as u64).max(1) as u32, max)
    }
}

/// The type to re-encode a scaled avatar as: JPEG stays JPEG, the rest become PNG (keeps alpha).
pub fn reencode_type(mime: &str) -> &'static str {
    if mime == "image/jpeg" {
        "image/jpeg"
    } else {
        "image/png"
    }
}

/// Dev mailbox order: newest first.
pub fn sort_mails(mut mails: Vec<MailView>) -> Vec<MailView> {
    mails.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.id.cmp(&a.id)));
    mails
}

/// A 6-digit mail code with spaces or dashes the user may have typed removed; None if not 6 digits.
pub fn normalize_code(code: &str) -> Option<String> {
    let c: String = code.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    (c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())).then_some(c)
}

/// "OS · app" for a session line, skipping empty parts and "Other".
pub fn session_detail(os: &str, app: &str) -> String {
    [os, app]
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty() && *s != "Other")
        .collect::<Vec<_>>()
        .join(" · ")
}

#[cfg(test)]
mod tests {

    #[test]
    fn every_screen_has_its_own_title() {
        let routes = [Route::Home {}, Route::Login {}, Route::Register {}, Route::MagicLink {}, Route::TwoStep {}, Route::AuthRedirect {}, Route::Profile {}, Route::ForgotPassword {}, Route::Mailbox {}, Route::NotFound { segments: vec![] }];
        let titles: std::collections::HashSet<String> = routes.iter().map(title).collect();
        assert_eq!(titles.len(), routes.len());
        assert!(titles.iter().all(|t| t.ends_with("Altogic Auth")));
    }
    use super::*;

    fn all_routes() -> Vec<Route> {
        vec![
            Route::Home {},
            Route::Login {},
            Route::Register {},
            Route::MagicLink {},
            Route::AuthRedirect {},
            Route::Profile {},
            Route::ForgotPassword {},
            Route::Mailbox {},
            Route::TwoStep {},
            Route::NotFound { segments: vec!["x".into()] },
        ]
    }

    #[test]
    fn the_dev_mailbox_is_there_only_with_the_built_in_backend() {
        for r in all_routes() {
            let expected = (r == Route::Mailbox {}).then_some(Route::Home {});
            assert_eq!(without_dev_tools(&r, false), expected, "{r:?}");
            assert_eq!(without_dev_tools(&r, true), None, "{r:?}");
        }
    }

    #[test]
    fn guests_are_sent_to_login_from_profile_only() {
        for r in all_routes() {
            let expected = if r == (Route::Profile {}) { Some(Route::Login {}) } else { None };
            assert_eq!(guard(&r, false), expected, "{r:?}");
        }
    }

    #[test]
    fn signed_in_users_are_sent_to_profile_from_guest_routes() {
        for r in all_routes() {
            let guest_only = matches!(
                r,
                Route::Home {} | Route::Login {} | Route::Register {} | Route::MagicLink {} | Route::ForgotPassword {} | Route::TwoStep {}
            );
            let expected = guest_only.then_some(Route::Profile {});
            assert_eq!(guard(&r, true), expected, "{r:?}");
        }
    }

    #[test]
    fn open_routes_have_no_guard() {
        for r in [Route::AuthRedirect {}, Route::Mailbox {}] {
            assert_eq!(guard(&r, true), None);
            assert_eq!(guard(&r, false), None);
        }
    }

    #[test]
    fn route_paths_match_the_original() {
        assert_eq!(Route::Home {}.to_string(), "/");
        assert_eq!(Route::Login {}.to_string(), "/login");
        assert_eq!(Route::Register {}.to_string(), "/register");
        assert_eq!(Route::MagicLink {}.to_string(), "/login-with-magic-link");
        assert_eq!(Route::AuthRedirect {}.to_string(), "/auth-redirect");
        assert_eq!(Route::Profile {}.to_string(), "/profile");
        assert_eq!(Route::ForgotPassword {}.to_string(), "/forgot-password");
        assert_eq!(Route::Mailbox {}.to_string(), "/mailbox");
        assert_eq!("/login-with-magic-link".parse::<Route>().ok(), Some(Route::MagicLink {}));
    }

    #[test]
    fn initials_of_names() {
        assert_eq!(initials("Ada Lovelace"), "AL");
        assert_eq!(initials("ada"), "A");
        assert_eq!(initials("  grace  brewster murray hopper "), "GB");
        assert_eq!(initials("jane.doe@example.com"), "JD");
        assert_eq!(initials("élodie dupont"), "ÉD");
        assert_eq!(initials(""), "?");
        assert_eq!(initials("   "), "?");
        assert_eq!(initials("!!"), "?");
    }

    #[test]
    fn colours_are_stable_and_vary() {
        assert_eq!(avatar_color("Ada"), avatar_color("ada "));
        assert!(hue_of("Ada") < 360);
        let hues: std::collections::HashSet<_> = ["Ada", "Grace", "Linus", "Ken", "Barbara"].iter().map(|n| hue_of(n)).collect();
        assert!(hues.len() >= 4);
        assert!(avatar_color("x").starts_with("hsl("));
    }

    #[test]
    fn pictures_of_an_earlier_run_follow_the_built_in_backend() {
        let now = "http://127.0.0.1:7001";
        assert_eq!(on_backend("http://127.0.0.1:5555/_storage/e/root/f", now, true).as_deref(), Some("http://127.0.0.1:7001/_storage/e/root/f"));
        assert_eq!(on_backend("http://127.0.0.1:5555/_storage/e/root/f", now, false).as_deref(), Some("http://127.0.0.1:5555/_storage/e/root/f"), "a remote backend's URLs are its own");
        assert_eq!(on_backend("https://cdn.example/f.png", now, true).as_deref(), Some("https://cdn.example/f.png"));
        assert_eq!(on_backend("http://127.0.0.1:5555/x", "", true), None, "the built-in backend's address is not known yet: no request to an old port");
        assert_eq!(iso_date_time_part("2024-05-01T10:20:30.000Z"), "2024-05-01 10:20");
        assert_eq!(iso_date_time_part("2024-05-01"), "2024-05-01");
    }

    #[test]
    fn iso_dates() {
        assert_eq!(iso_date_part("2024-05-01T10:20:30.000Z"), "2024-05-01");
        assert_eq!(iso_date_part("2024-05-01"), "2024-05-01");
        assert_eq!(iso_date_part("yesterday"), "yesterday");
        assert_eq!(iso_date_part(""), "");
    }

    #[test]
    fn scaling_keeps_aspect_and_never_upscales() {
        assert_eq!(scaled_size(4000, 3000, 512), (512, 384));
        assert_eq!(scaled_size(3000, 4000, 512), (384, 512));
        assert_eq!(scaled_size(512, 512, 512), (512, 512));
        assert_eq!(scaled_size(100, 50, 512), (100, 50));
        assert_eq!(scaled_size(10000, 1, 512), (512, 1));
        assert_eq!(scaled_size(0, 0, 512), (0, 0));
        assert_eq!(reencode_type("image/jpeg"), "image/jpeg");
        assert_eq!(reencode_type("image/webp"), "image/png");
    }

    #[test]
    fn mails_newest_first() {
        let m = |id: &str, at: &str| MailView {
            id: id.into(),
            to: "a@b.c".into(),
            subject: "s".into(),
            action: "magic-link".into(),
            link: "l".into(),
            code: "123456".into(),
            text: "t".into(),
            html: "<p>t</p>".into(),
            created_at: at.into(),
            used: false,
        };
        let sorted = sort_mails(vec![m("1", "2024-01-01T00:00:00Z"), m("3", "2024-03-01T00:00:00Z"), m("2", "2024-02-01T00:00:00Z")]);
        let ids: Vec<_> = sorted.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["3", "2", "1"]);
    }

    #[test]
    fn codes() {
        assert_eq!(normalize_code("123456").as_deref(), Some("123456"));
        assert_eq!(normalize_code(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(normalize_code("123-456").as_deref(), Some("123456"));
        assert_eq!(normalize_code("12345"), None);
        assert_eq!(normalize_code("12345a"), None);
    }

    #[test]
    fn session_details() {
        assert_eq!(session_detail("Linux", "AltogicAuth 0.1"), "Linux · AltogicAuth 0.1");
        assert_eq!(session_detail("Other", "Chrome 120"), "Chrome 120");
        assert_eq!(session_detail("", ""), "");
    }
}
