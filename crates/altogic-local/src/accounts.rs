//! Account rules shared by the handlers: input validation, wire conversion, sessions, mailed links.

use altogic::{Session, User};
use serde_json::{Map, Value};

use crate::crypto::{code_hash, new_code, new_token};
use crate::error::{AppError, AppResult};
use crate::mail::MailKind;
use crate::store::{AccessTokenRow, LinkRow, SessionRow, UserRow};
use crate::time::{now_iso, unix_now};
use crate::{useragent, AppState};

pub const MIN_PASSWORD: usize = 8;
pub const MAX_PASSWORD: usize = 256;
pub const MAX_NAME: usize = 100;

/// Fields of `users` that only the auth flows may change.
pub const PROTECTED_FIELDS: [&str; 10] =
    ["_id", "password", "email", "emailVerified", "provider", "providerUserId", "signUpAt", "lastLoginAt", "phone", "phoneVerified"];

/// Trims and lowercases an address and checks its shape. A space becomes `+`: altogic-js puts
/// e-mails into query strings unencoded, so `a+b@x.io` arrives as `a b@x.io`.
pub fn normalize_email(raw: &str) -> AppResult<String> {
    let email = raw.trim().replace(' ', "+").to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && local.len() <= 64
                && !domain.is_empty()
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
                && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-')
                && !local.contains('@')
                && local.chars().all(|c| !c.is_control() && !c.is_whitespace() && !"<>()[],;:\\\"".contains(c))
        });
    if valid {
        Ok(email)
    } else {
        Err(AppError::validation("email", "Please enter a valid e-mail address."))
    }
}

pub fn validate_password(password: &str, param: &str) -> AppResult<()> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Err(AppError::validation(param, format!("The password must be at least {MIN_PASSWORD} characters long.")));
    }
    if n > MAX_PASSWORD {
        return Err(AppError::validation(param, format!("The password must be at most {MAX_PASSWORD} characters long.")));
    }
    Ok(())
}

pub fn validate_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::validation("name", "The name cannot be empty."));
    }
    if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(AppError::validation("name", format!("The name must be at most {MAX_NAME} characters, without control characters.")));
    }
    Ok(name.to_string())
}

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

/// Creates a session for `user` and returns it as sent to the client.
pub async fn issue_session(state: &AppState, user: &UserRow, user_agent: &str) -> AppResult<Session> {
    let token = new_token();
    let row = SessionRow {
        selector: token.selector,
        verifier_hash: token.verifier_hash,
        user_id: user.id.clone(),
        created_at: now_iso(),
        expires_at: unix_now() + state.config.session_ttl_days * 86_400,
        user_agent: user_agent.chars().take(512).collect(),
    };
    state.store.insert_session(&row).await?;
    Ok(session_to_wire(&row, token.value, true))
}

/// Mails a link (and its 6-digit code) for `kind` to `recipient`. Counts against the recipient's
/// mail limit, which callers check first so the answer does not depend on whether an account exists.
pub async fn send_link(state: &AppState, user: &UserRow, kind: MailKind, recipient: &str, new_email: Option<&str>) -> AppResult<()> {
    let token = new_token();
    let code = new_code();
    let link = LinkRow {
        selector: token.selector.clone(),
        verifier_hash: token.verifier_hash,
        user_id: user.id.clone(),
        action: kind.action().to_string(),
        recipient: recipient.to_string(),
        new_email: new_email.map(str::to_string),
        code_hash: code_hash(&token.selector, &code),
        code_attempts: 0,
        created_at: now_iso(),
        expires_at: unix_now() + state.config.link_ttl_secs,
        consumed: false,
    };
    state.store.insert_link(&link).await?;
    let url = format!("{}/_api/rest/v1/auth/verify?key={}&action={}", state.public_url, token.value, kind.action());
    state.mailer.send(kind, recipient, &url, &code).await?;
    Ok(())
}

/// Mints the short-lived, single-use access token a link's redirect carries.
pub async fn mint_access_token(state: &AppState, link: &LinkRow) -> AppResult<String> {
    let token = new_token();
    state
        .store
        .insert_access_token(&AccessTokenRow {
            selector: token.selector,
            verifier_hash: token.verifier_hash,
            user_id: link.user_id.clone(),
            action: link.action.clone(),
            link_selector: Some(link.selector.clone()),
            expires_at: unix_now() + state.config.access_token_ttl_secs,
        })
        .await?;
    Ok(token.value)
}

/// What opening a link (or entering its code) led to.
pub enum LinkOutcome {
    /// Redirect with status 200 and, for actions with one, an access token.
    Done { action: String, access_token: Option<String> },
    Failed { action: String, status: u16, code: &'static str, message: &'static str },
}

/// Applies a link: verifies the address, then mints an access token (email-confirm, magic-link,
/// reset-pwd) or switches the e-mail (change-email). The link itself stays usable until its token is
/// granted, so a mail scanner opening it first does not lock the user out.
pub async fn open_link(state: &AppState, link: &LinkRow) -> AppResult<LinkOutcome> {
    let Some(mut user) = state.store.user_by_id(&link.user_id).await? else {
        return Ok(invalid_link(&link.action));
    };
    if link.action == "change-email" {
        let new_email = link.new_email.clone().unwrap_or_default();
        if user.email != new_email {
            if state.store.user_by_email(&new_email).await?.is_some() {
                return Ok(LinkOutcome::Failed {
                    action: link.action.clone(),
                    status: 401,
                    code: "email_already_exists",
                    message: "A user with the provided email already exists.",
                });
            }
            user.email = new_email;
            user.email_verified = true;
            match state.store.update_user(&user).await {
                Ok(()) => {}
                Err(crate::store::StoreError::Conflict) => {
                    return Ok(LinkOutcome::Failed {
                        action: link.action.clone(),
                        status: 401,
                        code: "email_already_exists",
                        message: "A user with the provided email already exists.",
                    })
                }
                Err(e) => return Err(e.into()),
            }
        }
        return Ok(LinkOutcome::Done { action: link.action.clone(), access_token: None });
    }
    // Opening any link proves the mailbox is the user's.
    if !user.email_verified && user.email == link.recipient {
        user.email_verified = true;
        state.store.update_user(&user).await?;
    }
    let access_token = mint_access_token(state, link).await?;
    Ok(LinkOutcome::Done { action: link.action.clone(), access_token: Some(access_token) })
}

pub fn invalid_link(action: &str) -> LinkOutcome {
    LinkOutcome::Failed { action: action.to_string(), status: 400, code: "invalid_access_token", message: "Invalid or expired access token" }
}

/// Splits `nameOrUserData` (or the older `name`) into a name and extra fields. Protected fields,
/// `emailVerified` included, are dropped: a client must not be able to skip verification.
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
            validate_extra(&map)?;
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

/// Extra fields: plain names, 16 KiB of JSON at most.
pub fn validate_extra(extra: &Map<String, Value>) -> AppResult<()> {
    for key in extra.keys() {
        let ok = !key.is_empty() && key.len() <= 64 && key.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            return Err(AppError::validation(key, format!("'{key}' is not a valid field name.")));
        }
    }
    if serde_json::to_vec(extra).map(|v| v.len()).unwrap_or(usize::MAX) > 16 * 1024 {
        return Err(AppError::validation("values", "The user's extra fields may hold at most 16 KiB."));
    }
    Ok(())
}
