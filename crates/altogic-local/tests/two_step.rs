//! Two-step verification and recent authentication over real HTTP
//! (shared/account-security-api.md §1–2): every row of the contract, and the attacks on it — a
//! stolen password alone, a read mailbox alone, replayed codes, guessed codes, raced tickets and
//! recovery codes, a database dump.

mod common;

use altogic::account_security::{ReauthenticateRequest, SecondFactor};
use altogic::Error;
use altogic_local::totp::{code_at, parse_base32, step_of, STEP_SECS};
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

/// The authenticator app of a test: the secret read from the enrollment.
struct Authenticator {
    secret: Vec<u8>,
}

impl Authenticator {
    /// The code of the server's current step, after moving its clock to a step no code was used in.
    fn fresh_code(&self, t: &TestServer) -> String {
        t.server.state.clock.advance(STEP_SECS);
        self.code_now(t)
    }

    fn code_now(&self, t: &TestServer) -> String {
        code_at(&self.secret, step_of(t.server.state.clock.now()))
    }
}

/// First steps that are never finished keep counting on the sign-in throttle (see
/// `wrong_codes_count_in_the_accounts_sign_in_throttle`): tests that make many switch it off.
async fn many_sign_ins() -> TestServer {
    server(|c| c.signin_attempts = 0).await
}


/// Signs a verified user up; returns its address and a session token.
async fn account(t: &TestServer, tag: &str) -> (String, String) {
    let (client, email) = t.signed_in_user(tag).await;
    (email, client.session().unwrap().token)
}

/// Turns two-step verification on for the session's account; returns the authenticator and the
/// recovery codes.
async fn enable(t: &TestServer, session: &str) -> (Authenticator, Vec<String>) {
    let (status, enrollment) = call(t, Method::POST, "/auth/mfa/totp/enroll", Some(session), None).await;
    assert_eq!(status, 200, "{enrollment}");
    let authenticator = Authenticator { secret: parse_base32(enrollment["secret"].as_str().unwrap()).unwrap() };
    let code = authenticator.fresh_code(t);
    let (status, body) = call(t, Method::POST, "/auth/mfa/totp/confirm", Some(session), Some(json!({"factorId": enrollment["factorId"], "code": code}))).await;
    assert_eq!(status, 200, "{body}");
    let codes = body["recoveryCodes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
    (authenticator, codes)
}

/// A password sign-in's answer.
async fn sign_in(t: &TestServer, email: &str) -> (u16, Value) {
    call(t, Method::POST, "/auth/signin-email", None, Some(json!({"email": email, "password": PASSWORD}))).await
}

/// The ticket of an `mfa_required` answer.
fn ticket(answer: &(u16, Value)) -> String {
    assert_eq!((answer.0, error_code(&answer.1)), (401, "mfa_required"), "{}", answer.1);
    answer.1["errors"][0]["details"]["mfaTicket"].as_str().unwrap().to_string()
}

async fn verify(t: &TestServer, ticket: &str, factor: Value) -> (u16, Value) {
    let mut body = factor;
    body["mfaTicket"] = json!(ticket);
    call(t, Method::POST, "/auth/mfa/verify", None, Some(body)).await
}

async fn session_count(t: &TestServer, session: &str) -> usize {
    let (status, list) = call(t, Method::GET, "/auth/sessions", Some(session), None).await;
    assert_eq!(status, 200, "{list}");
    list.as_array().unwrap().len()
}

#[tokio::test]
async fn enrolling_shows_a_secret_and_uri_and_does_nothing_until_confirmed() {
    // A window long enough for the pending factor to expire inside it.
    let t = server(|c| c.reauth_window_secs = 3600).await;
    let (email, session) = account(&t, "enroll").await;
    let (status, off) = call(&t, Method::GET, "/auth/mfa", Some(&session), None).await;
    assert_eq!((status, off), (200, json!({"enabled": false, "factors": [], "recoveryCodesLeft": 0})));

    let (status, enrollment) = call(&t, Method::POST, "/auth/mfa/totp/enroll", Some(&session), None).await;
    assert_eq!(status, 200);
    let secret = enrollment["secret"].as_str().unwrap();
    assert!(parse_base32(secret).unwrap().len() * 8 >= 160, "at least 160 bits: {secret}");
    let uri = enrollment["uri"].as_str().unwrap();
    assert_eq!(uri, format!("otpauth://totp/Altogic%20Auth:{email}?secret={secret}&issuer=Altogic%20Auth&algorithm=SHA1&digits=6&period=30"));
    // Pending: the password alone still signs in, and the status says off.
    assert_eq!(sign_in(&t, &email).await.0, 200);
    assert_eq!(call(&t, Method::GET, "/auth/mfa", Some(&session), None).await.1["enabled"], false);

    // A new enroll replaces the pending factor: the first one's code no longer confirms.
    let (_, second) = call(&t, Method::POST, "/auth/mfa/totp/enroll", Some(&session), None).await;
    let first = Authenticator { secret: parse_base32(secret).unwrap() };
    let (status, body) = call(&t, Method::POST, "/auth/mfa/totp/confirm", Some(&session), Some(json!({"factorId": enrollment["factorId"], "code": first.fresh_code(&t)}))).await;
    assert_eq!((status, error_code(&body)), (400, "invalid_code"), "{body}");
    // A wrong code: 400 invalid_code, and nothing changes.
    let (status, body) = call(&t, Method::POST, "/auth/mfa/totp/confirm", Some(&session), Some(json!({"factorId": second["factorId"], "code": "000000"}))).await;
    assert_eq!((status, error_code(&body)), (400, "invalid_code"), "{body}");
    // It expires after 15 minutes.
    t.server.state.clock.advance(15 * 60 + 1);
    let current = Authenticator { secret: parse_base32(second["secret"].as_str().unwrap()).unwrap() };
    let (status, body) = call(&t, Method::POST, "/auth/mfa/totp/confirm", Some(&session), Some(json!({"factorId": second["factorId"], "code": current.fresh_code(&t)}))).await;
    assert_eq!((status, error_code(&body)), (400, "invalid_code"), "expired: {body}");
    assert_eq!(sign_in(&t, &email).await.0, 200);
}

#[tokio::test]
async fn confirming_turns_it_on_ends_other_sessions_and_mails_a_notice() {
    let t = verifying().await;
    let (email, session) = account(&t, "confirm").await;
    let (_, laptop) = sign_in(&t, &email).await;
    let laptop = laptop["session"]["token"].as_str().unwrap().to_string();
    let (_, codes) = enable(&t, &session).await;
    assert_eq!(codes.len(), 10);
    let mut unique = codes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 10, "{codes:?}");

    let (status, on) = call(&t, Method::GET, "/auth/mfa", Some(&session), None).await;
    assert_eq!(status, 200);
    assert_eq!((on["enabled"].clone(), on["recoveryCodesLeft"].clone()), (json!(true), json!(10)));
    assert_eq!(on["factors"][0]["type"], "totp");
    assert!(altogic_local::time::is_iso(on["factors"][0]["createdAt"].as_str().unwrap()));
    assert_eq!(session_count(&t, &session).await, 1, "the other sessions ended");
    let (status, body) = call(&t, Method::GET, "/auth/user", Some(&laptop), None).await;
    assert_eq!((status, error_code(&body)), (401, "invalid_session_token"));
    let notice = t.latest_mail(&email).await;
    assert_eq!(notice.action, "notice:mfa-enabled");
    assert!(notice.link.is_empty() && notice.code.is_empty());
}

#[tokio::test]
async fn a_stolen_password_alone_gets_no_session() {
    let t = verifying().await;
    let (email, session) = account(&t, "password-only").await;
    let (authenticator, _) = enable(&t, &session).await;

    let answer = sign_in(&t, &email).await;
    let first = ticket(&answer);
    assert!(first.len() >= 22, "at least 128 bits: {first}");
    assert!(answer.1.get("session").is_none() && answer.1["errors"][0]["details"].get("session").is_none(), "{}", answer.1);
    let expires = answer.1["errors"][0]["details"]["expiresAt"].as_str().unwrap();
    assert!(altogic_local::time::is_iso(expires), "{expires}");
    assert_eq!(session_count(&t, &session).await, 1, "no session was made");
    // A forged or truncated ticket is nobody's.
    // The last character changed (never to itself).
    let altered = format!("{}{}", &first[..first.len() - 1], if first.ends_with('A') { 'B' } else { 'A' });
    for forged in ["", "nonsense", &first[..first.len() - 1], &altered] {
        let (status, body) = verify(&t, forged, json!({"code": authenticator.code_now(&t)})).await;
        assert_eq!((status, error_code(&body)), (401, "invalid_mfa_ticket"), "{forged}: {body}");
    }
    // With the code: exactly what signin-email answers.
    let (status, grant) = verify(&t, &first, json!({"code": authenticator.fresh_code(&t)})).await;
    assert_eq!(status, 200, "{grant}");
    assert_eq!(grant["user"]["email"], email.as_str());
    let token = grant["session"]["token"].as_str().unwrap();
    assert_eq!(call(&t, Method::GET, "/auth/user", Some(token), None).await.0, 200);
    assert!(grant["deviceToken"].is_string(), "a new device gets its device token with its session");
    // The ticket is single use.
    let (status, body) = verify(&t, &first, json!({"code": authenticator.fresh_code(&t)})).await;
    assert_eq!((status, error_code(&body)), (401, "invalid_mfa_ticket"), "{body}");
}

#[tokio::test]
async fn a_read_mailbox_alone_gets_no_session() {
    let t = verifying().await;
    let (email, session) = account(&t, "mailbox-only").await;
    let (authenticator, _) = enable(&t, &session).await;
    let thief = t.client();

    // The magic link (mailed after the answer: wait for it).
    let seen = t.mails(&email).await.len();
    thief.auth().send_magic_link_email(&email).await.unwrap();
    let mail = t.next_mail(&email, seen).await;
    assert_eq!(mail.action, "magic-link");
    let redirect = t.open_link(&mail.link).await;
    let token = redirect.access_token.unwrap();
    let (status, body) = call(&t, Method::GET, &format!("/auth/grant?key={token}"), None, None).await;
    let link_ticket = ticket(&(status, body));
    assert_eq!(session_count(&t, &session).await, 1);
    // The token is spent: trading it again gives nothing, not even another ticket.
    let (status, body) = call(&t, Method::GET, &format!("/auth/grant?key={token}"), None, None).await;
    assert_eq!((status, error_code(&body)), (403, "invalid_access_token"));

    // The mailed code (verify-code), traded by the Rust client: a second step, no session.
    let seen = t.mails(&email).await.len();
    thief.auth().send_magic_link_email(&email).await.unwrap();
    let mail = t.next_mail(&email, seen).await;
    let err = thief.auth().verify_email_code(&email, &mail.code).await.unwrap_err();
    assert!(matches!(err, Error::MfaRequired { .. }), "the code answers the second step, not a token: {err:?}");
    assert!(thief.session().is_none() && thief.auth().mfa_pending());
    assert_eq!(session_count(&t, &session).await, 1);

    // Over the wire: 401 mfa_required with a ticket, no access token.
    let seen = t.mails(&email).await.len();
    t.client().auth().send_magic_link_email(&email).await.unwrap();
    let mail = t.next_mail(&email, seen).await;
    let answer = call(&t, Method::POST, "/auth/verify-code", None, Some(json!({"email": email, "code": mail.code}))).await;
    assert!(answer.1.get("accessToken").is_none() && answer.1.get("access_token").is_none(), "{}", answer.1);
    let code_ticket = ticket(&answer);
    assert_eq!(verify(&t, &code_ticket, json!({"code": authenticator.fresh_code(&t)})).await.0, 200);

    // The owner, with the authenticator, finishes the link's sign-in.
    let (status, grant) = verify(&t, &link_ticket, json!({"code": authenticator.fresh_code(&t)})).await;
    assert_eq!(status, 200, "{grant}");
    assert!(grant.get("deviceToken").is_none(), "a mailbox proves no device");
}

#[tokio::test]
async fn a_code_works_once_and_the_fifth_wrong_code_ends_the_ticket() {
    let t = many_sign_ins().await;
    let (email, session) = account(&t, "replay").await;
    let (authenticator, _) = enable(&t, &session).await;
    let code = authenticator.fresh_code(&t);
    assert_eq!(verify(&t, &ticket(&sign_in(&t, &email).await), json!({"code": code})).await.0, 200);
    // The same code on another ticket, within its step: refused.
    let second = ticket(&sign_in(&t, &email).await);
    let (status, body) = verify(&t, &second, json!({"code": code})).await;
    assert_eq!((status, error_code(&body)), (400, "invalid_code"), "a replay: {body}");
    // So is the code of an earlier step (a later one was used).
    let (status, _) = verify(&t, &second, json!({"code": code_at(&authenticator.secret, step_of(t.server.state.clock.now()) - 1)})).await;
    assert_eq!(status, 400);
    for _ in 0..2 {
        let (status, body) = verify(&t, &second, json!({"code": "123456"})).await;
        assert_eq!((status, error_code(&body)), (400, "invalid_code"));
    }
    // The fifth wrong answer is still `invalid_code`, and ends the ticket: the right code is too late.
    let (status, body) = verify(&t, &second, json!({"recoveryCode": "AAAAA-AAAAA"})).await;
    assert_eq!((status, error_code(&body)), (400, "invalid_code"));
    let (status, body) = verify(&t, &second, json!({"code": authenticator.fresh_code(&t)})).await;
    assert_eq!((status, error_code(&body)), (401, "invalid_mfa_ticket"), "{body}");
    // Neither or both of code and recoveryCode: a clear 400.
    let third = ticket(&sign_in(&t, &email).await);
    let (status, body) = verify(&t, &third, json!({})).await;
    assert_eq!((status, error_code(&body)), (400, "validation_error"), "{body}");
    let (status, _) = verify(&t, &third, json!({"code": "123456", "recoveryCode": "AAAAA-AAAAA"})).await;
    assert_eq!(status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_verifies_with_one_code_make_exactly_one_session() {
    let t = many_sign_ins().await;
    let (email, session) = account(&t, "race").await;
    let (authenticator, _) = enable(&t, &session).await;
    let code = authenticator.fresh_code(&t);
    // One ticket, twenty presentations.
    let one = ticket(&sign_in(&t, &email).await);
    let answers = join_all((0..20).map(|_| verify(&t, &one, json!({"code": code})))).await;
    assert_eq!(answers.iter().filter(|(s, _)| *s == 200).count(), 1, "{answers:?}");
    assert!(answers.iter().all(|(s, b)| *s == 200 || error_code(b) == "invalid_mfa_ticket"), "{answers:?}");
    // Twenty tickets, one fresh code: still one session.
    let tickets: Vec<String> = join_all((0..20).map(|_| sign_in(&t, &email))).await.iter().map(ticket).collect();
    let code = authenticator.fresh_code(&t);
    let answers = join_all(tickets.iter().map(|tk| verify(&t, tk, json!({"code": code})))).await;
    assert_eq!(answers.iter().filter(|(s, _)| *s == 200).count(), 1, "{answers:?}");
    assert_eq!(session_count(&t, &session).await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_uses_of_one_recovery_code_make_exactly_one_session() {
    let t = many_sign_ins().await;
    let (email, session) = account(&t, "recovery").await;
    let (_, codes) = enable(&t, &session).await;
    let tickets: Vec<String> = join_all((0..10).map(|_| sign_in(&t, &email))).await.iter().map(ticket).collect();
    // Typed the way people type: lower case, a space for the dash.
    let typed = codes[0].to_lowercase().replace('-', " ");
    let answers = join_all(tickets.iter().map(|tk| verify(&t, tk, json!({"recoveryCode": typed})))).await;
    assert_eq!(answers.iter().filter(|(s, _)| *s == 200).count(), 1, "{answers:?}");
    assert_eq!(call(&t, Method::GET, "/auth/mfa", Some(&session), None).await.1["recoveryCodesLeft"], 9);
    let notice = t.latest_mail(&email).await;
    assert_eq!(notice.action, "notice:recovery-code-used");
    // Used: never again.
    let (status, _) = verify(&t, &ticket(&sign_in(&t, &email).await), json!({"recoveryCode": codes[0]})).await;
    assert_eq!(status, 400);
    // Another account's recovery code is no code of this one.
    let (other_email, other_session) = account(&t, "recovery-other").await;
    let (_, other_codes) = enable(&t, &other_session).await;
    let (status, _) = verify(&t, &ticket(&sign_in(&t, &email).await), json!({"recoveryCode": other_codes[0]})).await;
    assert_eq!(status, 400);
    assert_eq!(verify(&t, &ticket(&sign_in(&t, &other_email).await), json!({"recoveryCode": other_codes[0]})).await.0, 200);
}

#[tokio::test]
async fn wrong_codes_count_in_the_accounts_sign_in_throttle() {
    let t = server(|c| c.signin_attempts = 4).await;
    let (email, session) = account(&t, "throttle").await;
    let (authenticator, _) = enable(&t, &session).await;
    // A thief with the password: each sign-in gives a ticket, but every attempt, password or
    // code, counts on one budget that a right password does not reset.
    let mut refused = false;
    for _ in 0..4 {
        let answer = sign_in(&t, &email).await;
        if answer.0 == 429 {
            refused = true;
            break;
        }
        let (status, body) = verify(&t, &ticket(&answer), json!({"code": "000000"})).await;
        if status == 429 {
            refused = true;
            break;
        }
        assert_eq!((status, error_code(&body)), (400, "invalid_code"));
    }
    assert!(refused, "alternating right passwords and wrong codes ran into the throttle");
    let (status, body) = sign_in(&t, &email).await;
    assert_eq!((status, error_code(&body)), (429, "rate_limit_exceeded"), "{body}");
    let _ = authenticator;
}

#[tokio::test]
async fn turning_it_off_needs_a_recent_authentication_and_a_code() {
    let t = server(|c| c.reauth_window_secs = 300).await;
    let (email, session) = account(&t, "disable").await;
    let (authenticator, codes) = enable(&t, &session).await;
    t.server.state.clock.advance(301);
    // Outside the window the proof in the body does not replace re-authentication.
    let (status, body) = call(&t, Method::POST, "/auth/mfa/disable", Some(&session), Some(json!({"code": authenticator.fresh_code(&t)}))).await;
    assert_eq!((status, error_code(&body)), (403, "reauthentication_required"), "{body}");
    let (status, body) = call(&t, Method::POST, "/auth/mfa/recovery-codes", Some(&session), Some(json!({"code": authenticator.fresh_code(&t)}))).await;
    assert_eq!((status, error_code(&body)), (403, "reauthentication_required"), "{body}");
    // With two-step verification on, the password does not re-authenticate; a wrong code is
    // invalid_credentials.
    let (status, body) = call(&t, Method::POST, "/auth/reauthenticate", Some(&session), Some(json!({"password": PASSWORD}))).await;
    assert_eq!((status, error_code(&body)), (401, "invalid_credentials"), "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("code"), "{body}");
    let (status, body) = call(&t, Method::POST, "/auth/reauthenticate", Some(&session), Some(json!({"code": "000000"}))).await;
    assert_eq!((status, error_code(&body)), (401, "invalid_credentials"), "{body}");
    let (status, body) = call(&t, Method::POST, "/auth/reauthenticate", Some(&session), Some(json!({"code": authenticator.fresh_code(&t)}))).await;
    assert_eq!(status, 200, "{body}");
    assert!(altogic_local::time::is_iso(body["reauthenticatedAt"].as_str().unwrap()));
    // Inside the window: a wrong code is refused, a right one turns it off.
    let (status, body) = call(&t, Method::POST, "/auth/mfa/disable", Some(&session), Some(json!({"code": "000000"}))).await;
    assert_eq!((status, error_code(&body)), (400, "invalid_code"), "{body}");
    let (status, body) = call(&t, Method::POST, "/auth/mfa/disable", Some(&session), Some(json!({"recoveryCode": codes[3]}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(t.latest_mail(&email).await.action, "notice:mfa-disabled");
    assert_eq!(call(&t, Method::GET, "/auth/mfa", Some(&session), None).await.1, json!({"enabled": false, "factors": [], "recoveryCodesLeft": 0}));
    assert_eq!(sign_in(&t, &email).await.0, 200, "the password alone signs in again");
    let (status, body) = call(&t, Method::POST, "/auth/mfa/disable", Some(&session), Some(json!({"code": authenticator.fresh_code(&t)}))).await;
    assert_eq!((status, error_code(&body)), (400, "mfa_not_enabled"), "{body}");
}

#[tokio::test]
async fn new_recovery_codes_replace_the_old_ones() {
    let t = verifying().await;
    let (email, session) = account(&t, "regenerate").await;
    let (authenticator, old) = enable(&t, &session).await;
    let (status, body) = call(&t, Method::POST, "/auth/mfa/recovery-codes", Some(&session), Some(json!({"code": "000000"}))).await;
    assert_eq!((status, error_code(&body)), (400, "invalid_code"));
    let (status, body) = call(&t, Method::POST, "/auth/mfa/recovery-codes", Some(&session), Some(json!({"code": authenticator.fresh_code(&t)}))).await;
    assert_eq!(status, 200, "{body}");
    let new: Vec<String> = body["recoveryCodes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
    assert_eq!(new.len(), 10);
    assert!(new.iter().all(|c| !old.contains(c)));
    assert_eq!(t.latest_mail(&email).await.action, "notice:recovery-codes-regenerated");
    let (status, _) = verify(&t, &ticket(&sign_in(&t, &email).await), json!({"recoveryCode": old[0]})).await;
    assert_eq!(status, 400, "the old codes stopped working");
    assert_eq!(verify(&t, &ticket(&sign_in(&t, &email).await), json!({"recoveryCode": new[0]})).await.0, 200);
}

#[tokio::test]
async fn password_and_email_changes_need_the_window_only_with_two_step_on() {
    let t = server(|c| c.reauth_window_secs = 60).await;
    let (_, session) = account(&t, "change").await;
    t.server.state.clock.advance(120);
    let change = json!({"oldPassword": PASSWORD, "newPassword": "another long password"});
    let (status, body) = call(&t, Method::POST, "/auth/change-pwd", Some(&session), Some(change)).await;
    assert_eq!(status, 200, "without two-step verification, as today: {body}");

    let (_, session) = account(&t, "change-mfa").await;
    let (authenticator, _) = enable(&t, &session).await;
    t.server.state.clock.advance(120);
    let change = json!({"oldPassword": PASSWORD, "newPassword": "another long password"});
    let (status, body) = call(&t, Method::POST, "/auth/change-pwd", Some(&session), Some(change.clone())).await;
    assert_eq!((status, error_code(&body)), (403, "reauthentication_required"), "{body}");
    let (status, body) = call(&t, Method::POST, "/auth/change-email", Some(&session), Some(json!({"currentPassword": PASSWORD, "newEmail": common::email("elsewhere")}))).await;
    assert_eq!((status, error_code(&body)), (403, "reauthentication_required"), "{body}");
    let (status, _) = call(&t, Method::POST, "/auth/reauthenticate", Some(&session), Some(json!({"code": authenticator.fresh_code(&t)}))).await;
    assert_eq!(status, 200);
    let (status, body) = call(&t, Method::POST, "/auth/change-pwd", Some(&session), Some(change)).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn reauthenticating_with_the_password_when_two_step_is_off() {
    let t = verifying().await;
    let (_, session) = account(&t, "reauth").await;
    let (status, body) = call(&t, Method::POST, "/auth/reauthenticate", Some(&session), Some(json!({"password": "wrong password!"}))).await;
    assert_eq!((status, error_code(&body)), (401, "invalid_credentials"), "{body}");
    let (status, body) = call(&t, Method::POST, "/auth/reauthenticate", Some(&session), Some(json!({"password": PASSWORD}))).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(&t, Method::POST, "/auth/reauthenticate", Some(&session), Some(json!({"code": "123456"}))).await;
    assert_eq!((status, error_code(&body)), (401, "invalid_credentials"), "no code without two-step verification: {body}");
    let (status, body) = call(&t, Method::POST, "/auth/reauthenticate", Some(&session), Some(json!({"code": "123456", "password": PASSWORD}))).await;
    assert_eq!((status, error_code(&body)), (400, "validation_error"), "{body}");
    let (status, body) = call(&t, Method::POST, "/auth/reauthenticate", None, Some(json!({"password": PASSWORD}))).await;
    assert_eq!((status, error_code(&body)), (401, "missing_session_token"), "{body}");
}

#[tokio::test]
async fn a_password_reset_signs_nobody_in_and_voids_waiting_tickets() {
    let t = verifying().await;
    let (email, session) = account(&t, "reset").await;
    let (authenticator, _) = enable(&t, &session).await;
    let waiting = ticket(&sign_in(&t, &email).await);
    t.reset_password(&email, "a brand new password").await;
    let (status, body) = verify(&t, &waiting, json!({"code": authenticator.fresh_code(&t)})).await;
    assert_eq!((status, error_code(&body)), (401, "invalid_mfa_ticket"), "{body}");
    // The new password is still only a first step.
    let answer = call(&t, Method::POST, "/auth/signin-email", None, Some(json!({"email": email, "password": "a brand new password"}))).await;
    let next = ticket(&answer);
    assert_eq!(verify(&t, &next, json!({"code": authenticator.fresh_code(&t)})).await.0, 200);
}

#[tokio::test]
async fn a_ticket_expires_after_five_minutes() {
    let t = verifying().await;
    let (email, session) = account(&t, "expiry").await;
    let (authenticator, _) = enable(&t, &session).await;
    let waiting = ticket(&sign_in(&t, &email).await);
    t.server.state.clock.advance(5 * 60 + 1);
    let (status, body) = verify(&t, &waiting, json!({"code": authenticator.fresh_code(&t)})).await;
    assert_eq!((status, error_code(&body)), (401, "invalid_mfa_ticket"), "{body}");
}

#[tokio::test]
async fn the_rust_client_keeps_the_ticket_and_finishes_the_sign_in() {
    let t = verifying().await;
    let (email, session) = account(&t, "client").await;
    let (authenticator, _) = enable(&t, &session).await;
    let client = t.client();
    let err = client.auth().sign_in_with_email(&email, PASSWORD).await.unwrap_err();
    assert!(matches!(err, Error::MfaRequired { .. }), "{err:?}");
    assert!(client.session().is_none());
    let wrong = client.auth().verify_mfa(SecondFactor::code("000000")).await.unwrap_err();
    assert!(wrong.has_code("invalid_code"));
    assert!(client.auth().mfa_pending(), "a wrong code keeps the ticket");
    let (user, _) = client.auth().verify_mfa(SecondFactor::code(&authenticator.fresh_code(&t))).await.unwrap();
    assert_eq!(user.email.as_deref(), Some(email.as_str()));
    assert!(client.session().is_some() && !client.auth().mfa_pending());
    // The device is known now: its next sign-in presents the device token (counted on its own).
    client.auth().sign_out(None).await.unwrap();
    assert!(matches!(client.auth().sign_in_with_email(&email, PASSWORD).await.unwrap_err(), Error::MfaRequired { .. }));
    client.auth().verify_mfa(SecondFactor::code(&authenticator.fresh_code(&t))).await.unwrap();
    let status = client.auth().mfa_status().await.unwrap();
    assert!(status.enabled);
    let at = client.auth().reauthenticate(ReauthenticateRequest { code: Some(authenticator.fresh_code(&t)), password: None }).await.unwrap();
    assert!(altogic_local::time::is_iso(&at.reauthenticated_at));
    client.auth().disable_mfa(SecondFactor::code(&authenticator.fresh_code(&t))).await.unwrap();
    assert!(!client.auth().mfa_status().await.unwrap().enabled);
}

#[tokio::test]
async fn a_database_dump_does_not_give_the_secret_away_and_another_key_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let start = |key: &'static str| {
        let path = dir.path().to_path_buf();
        async move {
            let mut config = altogic_local::Config::loopback(&path);
            config.client_key = Some("test-client-key".into());
            config.mailbox_token = Some(MAILBOX_TOKEN.into());
            config.mfa_key = Some(key.into());
            altogic_local::start(config).await
        }
    };
    let t = TestServer::wrap(start("the first key, at least thirty-two characters").await.unwrap());
    let (_, session) = account(&t, "dump").await;
    let (authenticator, codes) = enable(&t, &session).await;
    t.server.shutdown().await;

    let db = std::fs::read(dir.path().join("altogic-local.db")).unwrap();
    let wal = std::fs::read(dir.path().join("altogic-local.db-wal")).unwrap_or_default();
    let base32 = altogic_local::totp::base32(&authenticator.secret);
    for bytes in [&db, &wal] {
        assert!(!bytes.windows(authenticator.secret.len()).any(|w| w == authenticator.secret.as_slice()), "the raw secret is in the database");
        assert!(!bytes.windows(base32.len()).any(|w| w == base32.as_bytes()), "the base32 secret is in the database");
        for code in &codes {
            assert!(!bytes.windows(code.len()).any(|w| w == code.as_bytes()), "a recovery code is in the database");
        }
    }
    assert!(!dir.path().join("mfa-key").exists(), "a given key is not written to the data dir");

    let refused = start("another key, also thirty-two characters long").await;
    assert!(matches!(refused, Err(altogic_local::StartError::MfaKeyMismatch)), "{:?}", refused.err());
    let again = start("the first key, at least thirty-two characters").await.expect("the right key starts");
    again.shutdown().await;
    assert!(matches!(start("too short").await, Err(altogic_local::StartError::ShortSecret { .. })));
}

#[tokio::test]
async fn a_stolen_session_cannot_put_its_own_authenticator_on_the_account() {
    let t = server(|c| c.reauth_window_secs = 300).await;
    let (_, session) = account(&t, "stolen-session").await;
    // A session that signed in a while ago (a stolen one) can neither enroll nor confirm.
    t.server.state.clock.advance(301);
    let (status, body) = call(&t, Method::POST, "/auth/mfa/totp/enroll", Some(&session), None).await;
    assert_eq!((status, error_code(&body)), (403, "reauthentication_required"), "{body}");
    let (status, _) = call(&t, Method::POST, "/auth/reauthenticate", Some(&session), Some(json!({"password": PASSWORD}))).await;
    assert_eq!(status, 200);
    let (status, enrollment) = call(&t, Method::POST, "/auth/mfa/totp/enroll", Some(&session), None).await;
    assert_eq!(status, 200);
    let authenticator = Authenticator { secret: parse_base32(enrollment["secret"].as_str().unwrap()).unwrap() };
    t.server.state.clock.advance(301);
    let (status, body) = call(&t, Method::POST, "/auth/mfa/totp/confirm", Some(&session), Some(json!({"factorId": enrollment["factorId"], "code": authenticator.fresh_code(&t)}))).await;
    assert_eq!((status, error_code(&body)), (403, "reauthentication_required"), "{body}");
    assert_eq!(call(&t, Method::GET, "/auth/mfa", Some(&session), None).await.1["enabled"], false);
}

#[tokio::test]
async fn guessed_codes_from_anywhere_share_one_budget_that_recovery_codes_do_not_use() {
    let t = server(|c| {
        c.code_attempts = 3;
        c.signin_attempts = 0;
    })
    .await;
    let (email, session) = account(&t, "budget").await;
    let (authenticator, codes) = enable(&t, &session).await;
    // Three wrong codes, each on a ticket of its own.
    for _ in 0..3 {
        let (status, body) = verify(&t, &ticket(&sign_in(&t, &email).await), json!({"code": "000000"})).await;
        assert_eq!((status, error_code(&body)), (400, "invalid_code"));
    }
    // Past the account's budget even the right code is refused, on a new ticket, and through the
    // other calls that take a code.
    let (status, body) = verify(&t, &ticket(&sign_in(&t, &email).await), json!({"code": authenticator.fresh_code(&t)})).await;
    assert_eq!((status, error_code(&body)), (429, "rate_limit_exceeded"), "{body}");
    let (status, _) = call(&t, Method::POST, "/auth/reauthenticate", Some(&session), Some(json!({"code": authenticator.fresh_code(&t)}))).await;
    assert_eq!(status, 429);
    // The owner still gets in with a recovery code, and that clears the budget.
    assert_eq!(verify(&t, &ticket(&sign_in(&t, &email).await), json!({"recoveryCode": codes[1]})).await.0, 200);
    assert_eq!(verify(&t, &ticket(&sign_in(&t, &email).await), json!({"code": authenticator.fresh_code(&t)})).await.0, 200);
}

#[tokio::test]
async fn turning_it_off_ends_first_steps_waiting_for_a_code() {
    let t = verifying().await;
    let (email, session) = account(&t, "off-tickets").await;
    let (authenticator, _) = enable(&t, &session).await;
    let waiting = ticket(&sign_in(&t, &email).await);
    let (status, _) = call(&t, Method::POST, "/auth/mfa/disable", Some(&session), Some(json!({"code": authenticator.fresh_code(&t)}))).await;
    assert_eq!(status, 200);
    let (status, body) = verify(&t, &waiting, json!({"code": authenticator.fresh_code(&t)})).await;
    assert_eq!((status, error_code(&body)), (401, "invalid_mfa_ticket"), "{body}");
}
