//! Account rules shared by the handlers: user data, wire conversion, new sessions and mailed links.

use altogic::{Session, User};
use serde_json::{Map, Value};

use crate::crypto::{code_hash, new_code, new_token};
use crate::domain::{validate_name, Email, MAX_EXTRA_BYTES};
use crate::error::{AppError, AppResult};
use crate::mail::MailKind;
use crate::store::{DeviceRow, LinkRow, NewAccessToken, RegistrationRow, SessionRow, UserRow};
use crate::time::{iso_unix, now_iso, unix_now};
use crate::{useragent, AppState};

/// Fields of `users` that only the auth flows may change.
pub const PROTECTED_FIELDS: [&str; 10] =
    ["_id", "password", "email", "emailVerified", "provider", "providerUserId", "signUpAt", "lastLoginAt", "phone", "phoneVerified"];

pub fn user_to_wire(u: &UserRow) -> User {
    User {
        id: u.id.clone(),
        provider: u.provider.clone(),
        provider_user_id: u.id.clone(),
        email: Some(u.email.clone()),
        name: u.name.clone(),
        profile_picture: u.profile_picture.clone(),
        sign_up_at: u.sign_up_at.clone(),
        last_login_at: u.last_login_at.clone(),
        email_verified: u.email_verified,
        extra: u.extra.clone(),
    }
}

/// A pending sign-up looks like a new, unverified user on the wire (its id becomes the account's).
pub fn registration_to_wire(r: &RegistrationRow) -> User {
    User {
        id: r.id.clone(),
        provider: "altogic".into(),
        provider_user_id: r.id.clone(),
        email: Some(r.email.clone()),
        name: r.name.clone(),
        profile_picture: r.profile_picture.clone(),
        sign_up_at: r.created_at.clone(),
        last_login_at: r.created_at.clone(),
        email_verified: false,
        extra: r.extra.clone(),
    }
}

/// `token` is the full credential for the current session and the selector (a revocation handle
/// that cannot authenticate) for the others: the server keeps no raw tokens to give back.
pub fn session_to_wire(s: &SessionRow, token: String, is_current: bool) -> Session {
    Session {
        user_id: s.user_id.clone(),
        token,
        creation_dtm: s.created_at.clone(),
        access_group_keys: vec![],
        user_agent: useragent::parse(&s.user_agent),
        is_current,
    }
}

/// A new session row for `user_id` and the token that goes to the client once.
pub fn new_session(state: &AppState, user_id: &str, user_agent: &str) -> (SessionRow, String) {
    let token = new_token();
    let now = state.clock.now();
    let ends_at = now + state.config.session_max_days * 86_400;
    let row = SessionRow {
        selector: token.selector,
        verifier_hash: token.verifier_hash,
        user_id: user_id.to_string(),
        created_at: iso_unix(now),
        expires_at: ends_at.min(now + state.config.session_idle_days * 86_400),
        user_agent: user_agent.chars().take(512).collect(),
        // Making a session is an authentication of it (for the calls that need a recent one).
        authenticated_at: now,
        used_at: now,
        ends_at,
    };
    (row, token.value)
}

/// How long a device token keeps its device known.
pub const DEVICE_TTL_DAYS: i64 = 365;

/// A device token for a device that just signed in to `user_id` with its password, and the token
/// that goes to the client once (it keeps it in its secret store and sends it as `X-Device-Token`).
pub fn new_device(user_id: &str) -> (DeviceRow, String) {
    let token = new_token();
    let row = DeviceRow { selector: token.selector, verifier_hash: token.verifier_hash, user_id: user_id.to_string(), created_at: now_iso(), expires_at: unix_now() + DEVICE_TTL_DAYS * 86_400 };
    (row, token.value)
}

/// A mail link not stored yet: its row, and the URL and code that go into the mail.
pub struct NewLink {
    pub row: LinkRow,
    pub url: String,
    pub code: String,
}

/// What a mailed link is bound to besides its recipient.
#[derive(Default, Clone, Copy)]
pub struct Binding<'a> {
    /// The address a `change-email` link moves the account to.
    pub new_email: Option<&'a Email>,
    /// The session that asked for a `change-email` link.
    pub session: Option<&'a str>,
    /// PKCE: the challenge of the request (its link, code and access token need the verifier).
    pub challenge: Option<&'a str>,
}

impl<'a> Binding<'a> {
    /// Bound to a device's PKCE challenge only (None: unbound).
    pub fn pkce(challenge: Option<&'a str>) -> Self {
        Binding { challenge, ..Binding::default() }
    }
}

/// A link of `kind` for `user_id` (an account, or a pending sign-up) mailed to `recipient`.
pub fn new_link(state: &AppState, user_id: &str, kind: MailKind, recipient: &Email, binding: Binding<'_>) -> NewLink {
    let token = new_token();
    let code = new_code();
    let action = kind.action().expect("a mail with a link");
    let row = LinkRow {
        selector: token.selector.clone(),
        verifier_hash: token.verifier_hash,
        user_id: user_id.to_string(),
        action: action.as_str().to_string(),
        recipient: recipient.as_str().to_string(),
        new_email: binding.new_email.map(|e| e.as_str().to_string()),
        code_hash: code_hash(&token.selector, &code),
        code_attempts: 0,
        created_at: now_iso(),
        expires_at: state.clock.now() + state.config.link_ttl_secs,
        consumed: false,
        session_selector: binding.session.map(str::to_string),
        code_challenge: binding.challenge.map(str::to_string),
    };
    let mut url = format!("{}/_api/rest/v1/auth/verify?key={}&action={}", state.public_url, token.value, action.as_str());
    // Opened where the app is not installed, the redirect page shows the mail's code to type into
    // the app on the device that asked (the code is in the same mail as the link: nothing new leaks).
    if state.config.codes_in_links(&state.public_url) {
        url.push_str(&format!("&otp={code}"));
    }
    NewLink { row, url, code }
}

/// Mails a stored link. Delivery problems are logged by the mailer, never shown to the caller.
pub async fn mail_link(state: &AppState, kind: MailKind, recipient: &Email, link: &NewLink) -> AppResult<()> {
    state.mailer.send(kind, recipient, Some((&link.url, &link.code))).await?;
    Ok(())
}

/// The short-lived, single-use access token a link's redirect carries; stored by the link's flow.
pub fn new_access_token(state: &AppState) -> (NewAccessToken, String) {
    let token = new_token();
    let row = NewAccessToken { selector: token.selector, verifier_hash: token.verifier_hash, expires_at: state.clock.now() + state.config.access_token_ttl_secs };
    (row, token.value)
}

/// Splits `nameOrUserData` (or the older `name`) into a name, a picture and extra fields.
/// Protected fields, `emailVerified` included, are dropped: a client must not be able to skip
/// verification.
pub fn user_data(value: Option<Value>) -> AppResult<(Option<String>, Option<String>, Map<String, Value>)> {
    match value {
        None | Some(Value::Null) => Ok((None, None, Map::new())),
        Some(Value::String(name)) => Ok((Some(validate_name(&name)?), None, Map::new())),
        Some(Value::Object(mut map)) => {
            let name = match map.remove("name") {
                Some(Value::String(n)) => Some(validate_name(&n)?),
                None | Some(Value::Null) => None,
                Some(_) => return Err(AppError::validation("name", "The name must be a string.")),
            };
            let picture = match map.remove("profilePicture") {
                Some(Value::String(p)) => Some(validate_picture(&p)?),
                None | Some(Value::Null) => None,
                Some(_) => return Err(AppError::validation("profilePicture", "profilePicture must be a URL string.")),
            };
            for field in PROTECTED_FIELDS {
                map.remove(field);
            }
            validate_extra_keys(&map)?;
            if serde_json::to_vec(&map).map(|v| v.len()).unwrap_or(usize::MAX) > MAX_EXTRA_BYTES {
                return Err(extra_too_large());
            }
            Ok((name, picture, map))
        }
        Some(_) => Err(AppError::validation("nameOrUserData", "nameOrUserData must be a name or an object of user fields.")),
    }
}

pub fn validate_picture(url: &str) -> AppResult<String> {
    let ok = url.len() <= 2048 && url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
    if ok {
        Ok(url.to_string())
    } else {
        Err(AppError::validation("profilePicture", "profilePicture must be an http(s) URL of at most 2048 characters."))
    }
}

/// Extra field names: plain identifiers.
pub fn validate_extra_keys(extra: &Map<String, Value>) -> AppResult<()> {
    for key in extra.keys() {
        let ok = !key.is_empty() && key.len() <= 64 && key.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            return Err(AppError::validation(key, format!("'{key}' is not a valid field name.")));
        }
    }
    Ok(())
}

pub fn extra_too_large() -> AppError {
    AppError::validation("values", format!("The user's extra fields may hold at most {} KiB.", MAX_EXTRA_BYTES / 1024))
}
