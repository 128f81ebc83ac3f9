//! The account's whole life over real HTTP (shared/account-security-api.md §3–7): sessions that
//! end, password rules, deleting and exporting an account, its security history, notices — and the
//! attacks on them: a deletion raced by sign-ins, an upload held open across it, a session used a
//! moment later, secrets looked for in the export and the events.

mod common;

use altogic_local::totp::{code_at, parse_base32, step_of, STEP_SECS};
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

const DAY: i64 = 86_400;
const BROWSER_UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
/// Calls made as the browser, unless a test says which device.
async fn call(t: &TestServer, method: Method, path: &str, session: Option<&str>, body: Option<Value>) -> (u16, Value) {
    call_as(t, method, path, session, Some(BROWSER_UA), body).await
}

const PHONE_UA: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";



/// A password sign-in from `ua`; its session token.
async fn sign_in_as(t: &TestServer, email: &str, password: &str, ua: &str) -> String {
    let (status, body) = call_as(t, Method::POST, "/auth/signin-email", None, Some(ua), Some(json!({"email": email, "password": password}))).await;
    assert_eq!(status, 200, "{body}");
    body["session"]["token"].as_str().unwrap().to_string()
}

/// An account made with verification off (its first session, from the browser).
async fn account(t: &TestServer, tag: &str) -> (String, String) {
    let email = email(tag);
    let (status, body) = call(t, Method::POST, "/auth/signup-email", None, Some(json!({"email": email, "password": PASSWORD, "name": "Alice Liddell"}))).await;
    assert_eq!(status, 200, "{body}");
    (email, body["session"]["token"].as_str().unwrap().to_string())
}

/// The account's events, once refusals (recorded off the request's path) have landed: the list
/// read twice, 100 ms apart, the same.
async fn events(t: &TestServer, session: &str) -> Vec<Value> {
    let read = || async {
        let (status, body) = call(t, Method::GET, "/auth/security-events?limit=100", Some(session), None).await;
        assert_eq!(status, 200, "{body}");
        body["events"].as_array().unwrap().clone()
    };
    let mut last = read().await;
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let now = read().await;
        if now == last {
            return now;
        }
        last = now;
    }
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

fn actions(mails: &[altogic::MailMessage]) -> Vec<&str> {
    mails.iter().map(|m| m.action.as_str()).collect()
}

async fn user_status(t: &TestServer, session: &str) -> (u16, String) {
    let (status, body) = call(t, Method::GET, "/auth/user", Some(session), None).await;
    (status, error_code(&body).to_string())
}

fn handle(token: &str) -> &str {
    token.split('.').next().unwrap()
}

// --- §3 sessions ---

#[tokio::test]
async fn a_session_ends_after_its_idle_days_and_its_maximum_days_whatever_its_use() {
    let t = open().await;
    let clock = &t.server.state.clock;
    let (email, used) = account(&t, "lifetime").await;
    let idle = sign_in_as(&t, &email, PASSWORD, BROWSER_UA).await;
    // Used every 29 days, a session lives on past 30 days...
    for _ in 0..3 {
        clock.advance(29 * DAY);
        assert_eq!(user_status(&t, &used).await.0, 200);
    }
    // ...while the one left alone for 31 days (87 now) has ended, like a revoked one.
    assert_eq!(user_status(&t, &idle).await, (401, "invalid_session_token".to_string()));
    // Used or not, none outlives 90 days.
    clock.advance(2 * DAY);
    assert_eq!(user_status(&t, &used).await.0, 200, "89 days");
    clock.advance(DAY + 60);
    assert_eq!(user_status(&t, &used).await, (401, "invalid_session_token".to_string()), "past 90 days");
}

#[tokio::test]
async fn the_limits_are_flags_and_a_use_is_written_at_most_once_a_minute() {
    let t = server(|c| {
        c.email_verification = false;
        c.session_idle_days = 2;
        c.session_max_days = 5;
    })
    .await;
    let clock = &t.server.state.clock;
    let (_, session) = account(&t, "flags").await;
    let last_used = |export: &Value| export["sessions"][0]["lastUsedAt"].as_str().unwrap().to_string();
    let (_, first) = call(&t, Method::GET, "/auth/export", Some(&session), None).await;
    clock.advance(30);
    let (_, second) = call(&t, Method::GET, "/auth/export", Some(&session), None).await;
    assert_eq!(last_used(&first), last_used(&second), "a use within the minute is not written");
    clock.advance(31);
    let (_, third) = call(&t, Method::GET, "/auth/export", Some(&session), None).await;
    assert_ne!(last_used(&second), last_used(&third), "a minute later it is");
    clock.advance(DAY + DAY / 2);
    assert_eq!(user_status(&t, &session).await.0, 200);
    clock.advance(2 * DAY + 60);
    assert_eq!(user_status(&t, &session).await.0, 401, "2 idle days");
}

// --- §4 passwords ---

fn weak(answer: &(u16, Value)) -> Vec<String> {
    assert_eq!((answer.0, error_code(&answer.1)), (400, "weak_password"), "{}", answer.1);
    answer.1["errors"][0]["details"]["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn sign_up_change_and_reset_refuse_weak_passwords_with_reasons() {
    let t = verifying().await;
    let address = email("weak");
    let sign_up = |password: String| {
        let address = address.clone();
        let t = &t;
        async move { call(t, Method::POST, "/auth/signup-email", None, Some(json!({"email": address, "password": password, "name": "Zebedee Quill"}))).await }
    };
    let refused = sign_up("password1".into()).await;
    assert_eq!(weak(&refused), ["common"]);
    assert!(refused.1["errors"][0]["details"]["suggestion"].as_str().is_some_and(|s| !s.is_empty()), "{}", refused.1);
    assert_eq!(weak(&sign_up("Tr0ub4".into()).await)[0], "too_short");
    assert_eq!(weak(&sign_up("x".repeat(257)).await)[0], "too_long");
    assert_eq!(weak(&sign_up("qwertyuiop".into()).await), ["common"]);
    // The account's own words are guessable.
    let local = address.split('@').next().unwrap().to_string();
    assert_eq!(weak(&sign_up(format!("{local}1")).await), ["guessable"]);
    assert_eq!(weak(&sign_up("zebedeequill".into()).await), ["guessable"]);
    assert!(t.mails(&address).await.is_empty(), "a refused sign-up sends nothing");

    let (client, email) = t.signed_in_user("weakchange").await;
    let session = client.session().unwrap().token;
    let change = call(&t, Method::POST, "/auth/change-pwd", Some(&session), Some(json!({"oldPassword": PASSWORD, "newPassword": "iloveyou1"}))).await;
    assert_eq!(weak(&change), ["common"]);
    assert_eq!(user_status(&t, &session).await.0, 200, "a refused change ends nothing");
    sign_in_as(&t, &email, PASSWORD, BROWSER_UA).await;

    // Reset: refused before the token is spent, so the link still works with a good password.
    let seen = t.mails(&email).await.len();
    client.auth().send_reset_pwd_email(&email).await.unwrap();
    let mail = t.next_mail(&email, seen).await;
    assert_eq!(mail.action, "reset-pwd");
    let redirect = t.open_link(&mail.link).await;
    let token = redirect.access_token.unwrap();
    let reset = |password: &'static str| {
        let t = &t;
        let token = token.clone();
        async move { call(t, Method::POST, &format!("/auth/reset-pwd?key={token}"), None, Some(json!({"newPassword": password}))).await }
    };
    assert_eq!(weak(&reset("123456789").await), ["common"]);
    assert_eq!(reset("tangerine mosaic lantern").await.0, 200);
    sign_in_as(&t, &email, "tangerine mosaic lantern", BROWSER_UA).await;
}

// --- §5 deleting ---

/// A server whose files' bytes live in `dir` (verification off).
async fn folder_server(dir: &std::path::Path) -> TestServer {
    let url = format!("file://{}", dir.display());
    server(|c| {
        c.email_verification = false;
        c.storage_url = Some(url);
    })
    .await
}

fn stored_objects(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir.join("files")).map(|d| d.count()).unwrap_or(0)
}

#[tokio::test]
async fn deleting_an_account_removes_everything_of_it_and_frees_the_address() {
    let dir = tempfile::tempdir().unwrap();
    let t = folder_server(dir.path()).await;
    let (email, session) = account(&t, "delete").await;
    let other = sign_in_as(&t, &email, PASSWORD, PHONE_UA).await;
    let file = upload_png(&t, &session, "avatar.png").await;
    let url = file["publicPath"].as_str().unwrap().to_string();
    assert_eq!(stored_objects(dir.path()), 1);
    t.client().auth().send_magic_link_email(&email).await.unwrap();
    t.wait_mails(&email, 1).await;
    // A bystander's account is untouched.
    let (bystander, bystander_session) = account(&t, "bystander").await;
    upload_png(&t, &bystander_session, "avatar.png").await;

    // The wrong password deletes nothing.
    let wrong = call(&t, Method::POST, "/auth/delete-account", Some(&session), Some(json!({"password": "not the password"}))).await;
    assert_eq!((wrong.0, error_code(&wrong.1)), (401, "invalid_credentials"), "{}", wrong.1);
    assert_eq!(user_status(&t, &session).await.0, 200);
    let neither = call(&t, Method::POST, "/auth/delete-account", Some(&session), Some(json!({}))).await;
    assert_eq!((neither.0, error_code(&neither.1)), (400, "validation_error"));

    let done = call(&t, Method::POST, "/auth/delete-account", Some(&session), Some(json!({"password": PASSWORD}))).await;
    assert_eq!(done.0, 200, "{}", done.1);
    for token in [&session, &other] {
        assert_eq!(user_status(&t, token).await, (401, "invalid_session_token".to_string()));
    }
    assert_eq!(t.http.get(&url).send().await.unwrap().status(), 404, "the file is gone");
    assert_eq!(stored_objects(dir.path()), 1, "only the bystander's bytes are left");
    // The dev mailbox kept nothing of the account's mail but the notice of its deletion.
    let mails = t.mails(&email).await;
    assert_eq!(actions(&mails), ["notice:account-deleted"]);
    assert!(mails[0].link.is_empty() && mails[0].code.is_empty());
    let failed = call(&t, Method::POST, "/auth/signin-email", None, Some(json!({"email": email, "password": PASSWORD}))).await;
    assert_eq!((failed.0, error_code(&failed.1)), (401, "invalid_credentials"));
    // Every row of the account is gone, in every table.
    let store = &t.server.state.store;
    assert!(store.user_by_email(&email).await.unwrap().is_none());
    // The address signs up again, as a new account with no past.
    let (status, body) = call(&t, Method::POST, "/auth/signup-email", None, Some(json!({"email": email, "password": PASSWORD}))).await;
    assert_eq!(status, 200, "{body}");
    let fresh = body["session"]["token"].as_str().unwrap();
    assert_eq!(types(&events(&t, fresh).await), ["sign-in"], "no event of the deleted account survives");
    let (_, export) = call(&t, Method::GET, "/auth/export", Some(fresh), None).await;
    assert!(export["files"].as_array().unwrap().is_empty());
    assert_eq!(user_status(&t, &bystander_session).await.0, 200, "{bystander}");
}

#[tokio::test]
async fn with_two_step_on_deleting_takes_a_code_not_the_password() {
    let t = open().await;
    let (email, session) = account(&t, "delete2fa").await;
    let (status, enrollment) = call(&t, Method::POST, "/auth/mfa/totp/enroll", Some(&session), None).await;
    assert_eq!(status, 200);
    let secret = parse_base32(enrollment["secret"].as_str().unwrap()).unwrap();
    let clock = &t.server.state.clock;
    let code = |advance: bool| {
        if advance {
            clock.advance(STEP_SECS);
        }
        code_at(&secret, step_of(clock.now()))
    };
    let (status, _) = call(&t, Method::POST, "/auth/mfa/totp/confirm", Some(&session), Some(json!({"factorId": enrollment["factorId"], "code": code(true)}))).await;
    assert_eq!(status, 200);
    let with_password = call(&t, Method::POST, "/auth/delete-account", Some(&session), Some(json!({"password": PASSWORD}))).await;
    assert_eq!((with_password.0, error_code(&with_password.1)), (401, "invalid_credentials"), "{}", with_password.1);
    let used = call(&t, Method::POST, "/auth/delete-account", Some(&session), Some(json!({"code": code(false)}))).await;
    assert_eq!((used.0, error_code(&used.1)), (400, "invalid_code"), "the confirming code was used");
    assert_eq!(user_status(&t, &session).await.0, 200);
    let done = call(&t, Method::POST, "/auth/delete-account", Some(&session), Some(json!({"code": code(true)}))).await;
    assert_eq!(done.0, 200, "{}", done.1);
    assert_eq!(user_status(&t, &session).await.0, 401);
    // Its factor and recovery codes went with it: the address starts without two-step verification.
    let (status, body) = call(&t, Method::POST, "/auth/signup-email", None, Some(json!({"email": email, "password": PASSWORD}))).await;
    assert_eq!(status, 200, "{body}");
    let (_, mfa) = call(&t, Method::GET, "/auth/mfa", body["session"]["token"].as_str(), None).await;
    assert_eq!(mfa["enabled"], false);
}

#[tokio::test]
async fn sign_ins_racing_a_deletion_cannot_bring_the_account_back() {
    let t = server(|c| {
        c.email_verification = false;
        c.signin_attempts = 0;
    })
    .await;
    let (email, session) = account(&t, "race").await;
    let sign_ins = (0..20).map(|_| call(&t, Method::POST, "/auth/signin-email", None, Some(json!({"email": email, "password": PASSWORD}))));
    let delete = call(&t, Method::POST, "/auth/delete-account", Some(&session), Some(json!({"password": PASSWORD})));
    let (answers, deleted) = tokio::join!(join_all(sign_ins), delete);
    assert_eq!(deleted.0, 200, "{}", deleted.1);
    for (status, body) in answers {
        if status == 200 {
            // A sign-in that won the race made a session of the old account: it ended with it.
            let token = body["session"]["token"].as_str().unwrap();
            assert_eq!(user_status(&t, token).await, (401, "invalid_session_token".to_string()));
        } else {
            assert_eq!((status, error_code(&body)), (401, "invalid_credentials"), "{body}");
        }
    }
    assert!(t.server.state.store.user_by_email(&email).await.unwrap().is_none());
    let again = call(&t, Method::POST, "/auth/signin-email", None, Some(json!({"email": email, "password": PASSWORD}))).await;
    assert_eq!(again.0, 401);
}

/// A request sent over a raw connection with its body's last byte held back.
async fn hold_upload(t: &TestServer, session: &str) -> Held {
    use tokio::io::AsyncWriteExt;
    let head = format!(
        "POST /_api/rest/v1/storage/bucket/upload-object?bucket=root&fileName=held.png HTTP/1.1\r\nHost: {}\r\nX-Client-Key: {}\r\nSession: {session}\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        t.server.addr,
        t.server.client_key,
        PNG.len()
    );
    let mut stream = tokio::net::TcpStream::connect(t.server.addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&PNG[..PNG.len() - 1]).await.unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    Held::from_parts(stream, PNG[PNG.len() - 1..].to_vec())
}

#[tokio::test]
async fn an_upload_or_a_change_held_open_across_the_deletion_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let t = folder_server(dir.path()).await;
    let (email, session) = account(&t, "held").await;
    let (_, me) = call(&t, Method::GET, "/auth/user", Some(&session), None).await;
    let held_upload = hold_upload(&t, &session).await;
    let held_change = t.hold("/_api/rest/v1/auth/change-pwd", &session, &json!({"oldPassword": PASSWORD, "newPassword": "tangerine mosaic lantern"})).await;
    let held_name = t.hold("/_api/rest/v1/db/object/update", &session, &json!({"model": "users", "id": me["_id"], "values": {"name": "Back again"}})).await;
    let done = call(&t, Method::POST, "/auth/delete-account", Some(&session), Some(json!({"password": PASSWORD}))).await;
    assert_eq!(done.0, 200, "{}", done.1);
    for (what, held) in [("upload", held_upload), ("change", held_change), ("rename", held_name)] {
        let (status, body) = held.finish().await;
        assert_eq!((status, error_code(&body)), (401, "invalid_session_token"), "{what}: {body}");
    }
    assert_eq!(stored_objects(dir.path()), 0, "the held upload's bytes were removed");
    assert!(t.server.state.store.user_by_email(&email).await.unwrap().is_none());
    let failed = call(&t, Method::POST, "/auth/signin-email", None, Some(json!({"email": email, "password": "tangerine mosaic lantern"}))).await;
    assert_eq!(failed.0, 401);
}

// --- §5 export, §6 history ---

/// Every secret a test can see, to look for in what the server hands out.
fn assert_no_secret(text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!secret.is_empty() && !text.contains(secret), "a secret leaked: {secret} in {text}");
    }
    assert!(!text.contains("$argon2"), "a password hash leaked");
}

#[tokio::test]
async fn the_export_holds_what_the_service_knows_and_no_secret() {
    let t = open().await;
    let (email, session) = account(&t, "export").await;
    let phone = sign_in_as(&t, &email, PASSWORD, PHONE_UA).await;
    upload_png(&t, &session, "avatar.png").await;
    let (status, enrollment) = call(&t, Method::POST, "/auth/mfa/totp/enroll", Some(&session), None).await;
    assert_eq!(status, 200);
    let secret = enrollment["secret"].as_str().unwrap().to_string();
    let raw = parse_base32(&secret).unwrap();
    t.server.state.clock.advance(STEP_SECS);
    let code = code_at(&raw, step_of(t.server.state.clock.now()));
    let (_, codes) = call(&t, Method::POST, "/auth/mfa/totp/confirm", Some(&session), Some(json!({"factorId": enrollment["factorId"], "code": code}))).await;
    let recovery: Vec<String> = codes["recoveryCodes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();

    let (status, export) = call(&t, Method::GET, "/auth/export", Some(&session), None).await;
    assert_eq!(status, 200, "{export}");
    assert_eq!(export["user"]["email"], email.as_str());
    assert_eq!(export["user"]["name"], "Alice Liddell");
    let sessions = export["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "confirming ended the phone's session: {export}");
    assert_eq!(sessions[0]["isCurrent"], true);
    assert_eq!(sessions[0]["id"], handle(&session));
    let files = export["files"].as_array().unwrap();
    assert_eq!((files.len(), files[0]["name"].as_str(), files[0]["size"].as_i64()), (1, Some("avatar.png"), Some(PNG.len() as i64)));
    let file_url = files[0]["url"].as_str().unwrap();
    assert_eq!(t.http.get(file_url).send().await.unwrap().status(), 200);
    let kinds = types(export["securityEvents"].as_array().unwrap());
    assert_eq!(kinds[0], "account-exported", "the export lists itself first: {kinds:?}");
    assert!(kinds.contains(&"mfa-enabled") && kinds.contains(&"sign-in"));

    let text = export.to_string();
    let (session_verifier, phone_verifier) = (session.split('.').nth(1).unwrap(), phone.split('.').nth(1).unwrap());
    let mut secrets = vec![PASSWORD, session.as_str(), session_verifier, phone_verifier, secret.as_str(), code.as_str()];
    secrets.extend(recovery.iter().map(String::as_str));
    assert_no_secret(&text, &secrets);
    let (_, history) = call(&t, Method::GET, "/auth/security-events?limit=100", Some(&session), None).await;
    assert_no_secret(&history.to_string(), &secrets);
}

#[tokio::test]
async fn every_decision_is_one_event_newest_first_with_the_network_not_the_address() {
    let t = server(|c| {
        c.email_verification = false;
        c.signin_attempts = 3;
    })
    .await;
    let (email, session) = account(&t, "history").await;
    let (status, _) = call(&t, Method::POST, "/auth/reauthenticate", Some(&session), Some(json!({"password": PASSWORD}))).await;
    assert_eq!(status, 200);
    let (status, body) = call(&t, Method::POST, "/auth/change-pwd", Some(&session), Some(json!({"oldPassword": PASSWORD, "newPassword": "tangerine mosaic lantern"}))).await;
    assert_eq!(status, 200, "{body}");
    let phone = sign_in_as(&t, &email, "tangerine mosaic lantern", PHONE_UA).await;
    let (status, _) = call(&t, Method::POST, "/auth/signout", Some(&session), Some(json!({"token": handle(&phone)}))).await;
    assert_eq!(status, 200);
    let (status, _) = call(&t, Method::POST, "/auth/signout-all-except", Some(&session), None).await;
    assert_eq!(status, 200);
    // Wrong passwords, then the throttle refusing this network.
    for _ in 0..3 {
        let (status, _) = call(&t, Method::POST, "/auth/signin-email", None, Some(json!({"email": email, "password": "not the password"}))).await;
        assert_eq!(status, 401);
    }
    // Refused again and again: one event a window, not one a request.
    for _ in 0..5 {
        let (status, _) = call(&t, Method::POST, "/auth/signin-email", None, Some(json!({"email": email, "password": "not the password"}))).await;
        assert_eq!(status, 429);
    }
    // An address without an account makes no event anywhere.
    let (status, _) = call(&t, Method::POST, "/auth/signin-email", None, Some(json!({"email": "nobody@example.com", "password": "not the password"}))).await;
    assert_eq!(status, 401);

    let list = events(&t, &session).await;
    assert_eq!(
        types(&list),
        ["sign-in-throttled", "sign-in-failed", "sign-in-failed", "sign-in-failed", "signed-out-all", "session-revoked", "sign-in", "password-changed", "reauthenticated", "sign-in"],
    );
    for event in &list {
        assert_eq!(event["network"], "127.0.0.0/24", "{event}");
        assert!(event["id"].as_str().is_some_and(|id| !id.is_empty()) && altogic_local::time::is_iso(event["at"].as_str().unwrap()));
    }
    assert_eq!(list[5]["sessionId"], handle(&phone), "the revoked session's handle");
    assert_eq!(list[6]["userAgent"], PHONE_UA);
    assert_eq!(list[9]["sessionId"], handle(&session), "the sign-up's session");
    assert_eq!(list[1]["sessionId"], Value::Null);

    let (_, two) = call(&t, Method::GET, "/auth/security-events?limit=2", Some(&session), None).await;
    let (status, _) = call(&t, Method::POST, "/auth/signin-email", None, Some(json!({"email": email, "password": "not the password"}))).await;
    assert_eq!(status, 429);
    assert_eq!(types(two["events"].as_array().unwrap()), ["sign-in-throttled", "sign-in-failed"]);
    let (_, default) = call(&t, Method::GET, "/auth/security-events", Some(&session), None).await;
    assert_eq!(default["events"].as_array().unwrap().len(), 10);
    for bad in ["0", "101", "-1", "ten", ""] {
        let (status, body) = call(&t, Method::GET, &format!("/auth/security-events?limit={bad}"), Some(&session), None).await;
        assert_eq!((status, error_code(&body)), (400, "validation_error"), "limit={bad}");
    }
    // One account's history is its own.
    let (_, stranger) = account(&t, "stranger").await;
    assert_eq!(types(&events(&t, &stranger).await), ["sign-in"]);
    let (status, _) = call(&t, Method::GET, "/auth/security-events", None, None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn two_step_decisions_are_events_too() {
    let t = open().await;
    let (email, session) = account(&t, "mfaevents").await;
    let (_, enrollment) = call(&t, Method::POST, "/auth/mfa/totp/enroll", Some(&session), None).await;
    let secret = parse_base32(enrollment["secret"].as_str().unwrap()).unwrap();
    let clock = &t.server.state.clock;
    let code = || {
        clock.advance(STEP_SECS);
        code_at(&secret, step_of(clock.now()))
    };
    let (status, codes) = call(&t, Method::POST, "/auth/mfa/totp/confirm", Some(&session), Some(json!({"factorId": enrollment["factorId"], "code": code()}))).await;
    assert_eq!(status, 200);
    let first = call(&t, Method::POST, "/auth/signin-email", None, Some(json!({"email": email, "password": PASSWORD}))).await;
    let ticket = first.1["errors"][0]["details"]["mfaTicket"].as_str().unwrap().to_string();
    let (status, _) = call(&t, Method::POST, "/auth/mfa/verify", None, Some(json!({"mfaTicket": ticket, "code": "000000"}))).await;
    assert_eq!(status, 400);
    let (status, _) = call(&t, Method::POST, "/auth/mfa/verify", None, Some(json!({"mfaTicket": ticket, "recoveryCode": codes["recoveryCodes"][0]}))).await;
    assert_eq!(status, 200);
    let (status, _) = call(&t, Method::POST, "/auth/mfa/recovery-codes", Some(&session), Some(json!({"code": code()}))).await;
    assert_eq!(status, 200);
    let (status, _) = call(&t, Method::POST, "/auth/mfa/disable", Some(&session), Some(json!({"code": code()}))).await;
    assert_eq!(status, 200);
    assert_eq!(
        types(&events(&t, &session).await),
        ["mfa-disabled", "recovery-codes-regenerated", "recovery-code-used", "mfa-verified", "mfa-failed", "mfa-required", "mfa-enabled", "sign-in"]
    );
}

// --- §7 notices ---

#[tokio::test]
async fn notices_tell_the_owner_of_every_change_and_of_new_devices() {
    let t = verifying().await;
    let (client, email) = t.signed_in_user("notices").await;
    let session = client.session().unwrap().token;
    let notices = |mails: Vec<altogic::MailMessage>| mails.into_iter().filter(|m| m.action.starts_with("notice:")).map(|m| m.action).collect::<Vec<_>>();
    // The first sign-in after sign-up is not a new device; the same device again is not either.
    let ua = altogic::user_agent::default_user_agent();
    sign_in_as(&t, &email, PASSWORD, &ua).await;
    assert!(notices(t.mails(&email).await).is_empty(), "{:?}", actions(&t.mails(&email).await));
    // Another browser and system: a new device, told once.
    sign_in_as(&t, &email, PASSWORD, PHONE_UA).await;
    sign_in_as(&t, &email, PASSWORD, PHONE_UA).await;
    assert_eq!(notices(t.mails(&email).await), ["notice:new-device"]);

    let (status, _) = call_as(&t, Method::POST, "/auth/change-pwd", Some(&session), Some(&ua), Some(json!({"oldPassword": PASSWORD, "newPassword": "tangerine mosaic lantern"}))).await;
    assert_eq!(status, 200);
    t.reset_password(&email, "orchid velvet harbour").await;
    let mails = t.mails(&email).await;
    assert_eq!(notices(mails.clone()), ["notice:password-reset", "notice:password-changed", "notice:new-device"]);
    for mail in mails.iter().filter(|m| m.action.starts_with("notice:")) {
        assert!(mail.link.is_empty() && mail.code.is_empty() && !mail.text.contains("http"), "{mail:?}");
    }
}

#[tokio::test]
async fn a_changed_address_tells_the_old_one_and_is_an_event() {
    let t = open().await;
    let (email, session) = account(&t, "moved").await;
    let new = common::email("movedto");
    let (status, body) = call(&t, Method::POST, "/auth/change-email", Some(&session), Some(json!({"currentPassword": PASSWORD, "newEmail": new}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(actions(&t.mails(&email).await), ["notice:email-changed"]);
    assert_eq!(types(&events(&t, &session).await), ["email-changed", "sign-in"]);
}

#[tokio::test]
async fn deleting_needs_a_recent_authentication_which_the_password_in_the_body_does_not_replace() {
    let t = open().await;
    let (_, session) = account(&t, "stale").await;
    t.server.state.clock.advance(301);
    let stale = call(&t, Method::POST, "/auth/delete-account", Some(&session), Some(json!({"password": PASSWORD}))).await;
    assert_eq!((stale.0, error_code(&stale.1)), (403, "reauthentication_required"), "{}", stale.1);
    assert_eq!(user_status(&t, &session).await.0, 200);
    let (status, _) = call(&t, Method::POST, "/auth/reauthenticate", Some(&session), Some(json!({"password": PASSWORD}))).await;
    assert_eq!(status, 200);
    let done = call(&t, Method::POST, "/auth/delete-account", Some(&session), Some(json!({"password": PASSWORD}))).await;
    assert_eq!(done.0, 200, "{}", done.1);
}

#[tokio::test]
async fn an_account_without_a_recorded_sign_in_hears_of_the_next_one() {
    let t = open().await;
    let (email, _) = account(&t, "nohistory").await;
    // As for an account from before events were kept: its history is empty.
    let mut policy = altogic_local::purge_policy(&t.server.state.config);
    policy.events_before = i64::MAX;
    altogic_local::sweep(&t.server.state, &policy).await.unwrap();
    sign_in_as(&t, &email, PASSWORD, BROWSER_UA).await;
    assert_eq!(actions(&t.wait_mails(&email, 1).await), ["notice:new-device"]);
}

#[tokio::test]
async fn the_sweep_brings_older_sessions_within_shorter_limits() {
    let t = open().await;
    let (_, session) = account(&t, "shorter").await;
    // As if the session were made under longer limits (before an upgrade, or a change of flags).
    let mut policy = altogic_local::purge_policy(&t.server.state.config);
    policy.session_max_secs = 120;
    altogic_local::sweep(&t.server.state, &policy).await.unwrap();
    assert_eq!(user_status(&t, &session).await.0, 200);
    t.server.state.clock.advance(121);
    assert_eq!(user_status(&t, &session).await, (401, "invalid_session_token".to_string()));
}
