//! The e-mail auth flows end to end: real server, real client, mail links through the dev mailbox.

mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use altogic::{ClientOptions, MemoryStore, RedirectAction, SessionStore};
use common::*;

#[tokio::test]
async fn sign_up_without_verification_signs_in_at_once() {
    let t = open().await;
    let client = t.client();
    let email = email("open");
    let grant = client.auth().sign_up_with_name(&email, PASSWORD, "Ada").await.unwrap();
    let session = grant.session.expect("a session when verification is off");
    assert_eq!(grant.user.email.as_deref(), Some(email.as_str()));
    assert_eq!(grant.user.name.as_deref(), Some("Ada"));
    assert_eq!(grant.user.provider, "altogic");
    assert_eq!(grant.user.provider_user_id, grant.user.id);
    assert_eq!(client.session().unwrap().token, session.token);
    let me = client.auth().get_user_from_db().await.unwrap();
    assert_eq!(me.id, grant.user.id);
    assert!(t.mails(&email).await.is_empty(), "no mail without verification");
}

#[tokio::test]
async fn verification_mail_link_grants_a_session() {
    let t = verifying().await;
    let client = t.client();
    let email = email("verify");
    let grant = client.auth().sign_up_with_name(&email, PASSWORD, "Grace").await.unwrap();
    assert!(grant.session.is_none());
    assert!(!grant.user.email_verified);
    assert!(client.session().is_none());

    let err = client.auth().sign_in_with_email(&email, PASSWORD).await.unwrap_err();
    assert!(err.has_code("email_not_verified"), "{err}");

    let mail = t.latest_mail(&email).await;
    assert_eq!(mail.action, "email-confirm");
    assert_eq!(mail.code.len(), 6);
    assert!(mail.text.contains(&mail.link) && mail.text.contains(&mail.code));
    assert!(mail.html.contains(&mail.code));
    let redirect = t.open_link(&mail.link).await;
    assert_eq!(redirect.action, RedirectAction::EmailConfirm);
    assert_eq!(redirect.status, 200);
    let (user, session) = client.auth().get_auth_grant(redirect.access_token.as_deref().unwrap()).await.unwrap();
    assert!(user.email_verified);
    assert_eq!(client.session().unwrap().token, session.token);
    assert_eq!(client.user().unwrap().id, user.id);
    client.auth().sign_in_with_email(&email, PASSWORD).await.expect("verified users sign in");
}

#[tokio::test]
async fn a_link_opened_twice_still_works_and_dies_when_granted() {
    let t = verifying().await;
    let email = email("scanner");
    t.client().auth().sign_up_with_name(&email, PASSWORD, "S").await.unwrap();
    let link = t.latest_mail(&email).await.link;
    let scanner = t.open_link(&link).await; // a mail scanner's GET
    let user = t.open_link(&link).await;
    assert_eq!((scanner.status, user.status), (200, 200));
    assert!(!t.latest_mail(&email).await.used, "opened is not used: the mailbox still offers it");
    let client = t.client();
    client.auth().get_auth_grant(user.access_token.as_deref().unwrap()).await.unwrap();
    assert!(t.latest_mail(&email).await.used, "the dev mailbox shows a redeemed link as used");

    // Single use: the granted token, the scanner's token and the link are all spent now.
    let again = t.client().auth().get_auth_grant(user.access_token.as_deref().unwrap()).await.unwrap_err();
    assert!(again.has_code("invalid_access_token"), "{again}");
    let scanner_token = t.client().auth().get_auth_grant(scanner.access_token.as_deref().unwrap()).await.unwrap_err();
    assert!(scanner_token.has_code("invalid_access_token"));
    let third = t.open_link(&link).await;
    assert_eq!(third.status, 400);
    assert_eq!(third.error.as_deref(), Some("Invalid or expired access token"));
    assert_eq!(third.action, RedirectAction::EmailConfirm);
}

#[tokio::test]
async fn expired_and_forged_links_redirect_with_an_error() {
    let t = server(|c| c.link_ttl_secs = 0).await;
    let email = email("expired");
    t.client().auth().sign_up_with_name(&email, PASSWORD, "E").await.unwrap();
    let link = t.latest_mail(&email).await.link;
    let expired = t.open_link(&link).await;
    assert_eq!((expired.status, expired.code.as_deref()), (400, Some("invalid_access_token")));
    let forged = t.open_link(&t.url("/_api/rest/v1/auth/verify?key=AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB&action=magic-link")).await;
    assert_eq!((forged.status, forged.action), (400, RedirectAction::MagicLink));
    let err = t.client().auth().get_auth_grant("").await.unwrap_err();
    assert!(err.has_code("missing_access_token"));
    let err = t.client().auth().get_auth_grant("garbage").await.unwrap_err();
    assert!(err.has_code("invalid_access_token"));
}

#[tokio::test]
async fn magic_link_signs_in_and_unknown_addresses_look_the_same() {
    let t = verifying().await;
    let (_, email) = t.signed_in_user("magic").await;
    let client = t.client();
    client.auth().send_magic_link_email(&email).await.unwrap();
    let mail = t.next_mail(&email, 1).await;
    assert_eq!(mail.action, "magic-link");
    let redirect = t.open_link(&mail.link).await;
    assert_eq!(redirect.action, RedirectAction::MagicLink);
    let (user, _) = client.auth().get_auth_grant(redirect.access_token.as_deref().unwrap()).await.unwrap();
    assert_eq!(user.email.as_deref(), Some(email.as_str()));

    // No enumeration: the same empty success for an address without an account, and no mail.
    let nobody = common::email("nobody");
    client.auth().send_magic_link_email(&nobody).await.unwrap();
    client.auth().send_reset_pwd_email(&nobody).await.unwrap();
    client.auth().resend_verification_email(&nobody).await.unwrap();
    assert!(t.mails(&nobody).await.is_empty());
}

#[tokio::test]
async fn plus_addresses_survive_the_unencoded_query_of_altogic_js() {
    let t = verifying().await;
    let email = format!("ann+tag{}@example.com", std::process::id());
    t.client().auth().sign_up_with_name(&email, PASSWORD, "Ann").await.unwrap();
    t.open_link(&t.latest_mail(&email).await.link).await; // confirms the account
    // altogic-js sends `?email=ann+tag@…` raw: the server sees a space and must read it as `+`.
    let raw = t.raw(reqwest::Method::POST, &format!("/_api/rest/v1/auth/send-magic?email={email}")).send().await.unwrap();
    assert_eq!(raw.status(), 200);
    let mails = t.wait_mails(&email, 2).await;
    assert_eq!(mails[0].action, "magic-link");
}

#[tokio::test]
async fn reset_password_through_the_link_ends_every_session() {
    let t = verifying().await;
    let (old_client, email) = t.signed_in_user("reset").await;
    let client = t.client();
    client.auth().send_reset_pwd_email(&email).await.unwrap();
    let redirect = t.open_link(&t.next_mail(&email, 1).await.link).await;
    assert_eq!(redirect.action, RedirectAction::ResetPwd);
    let token = redirect.access_token.unwrap();

    // A reset token cannot be traded for a session, and a weak password does not burn it.
    assert!(client.auth().get_auth_grant(&token).await.unwrap_err().has_code("invalid_access_token"));
    assert!(client.auth().reset_pwd_with_token(&token, "short").await.unwrap_err().has_code("weak_password"));
    client.auth().reset_pwd_with_token(&token, "a brand new password").await.unwrap();
    assert!(client.auth().reset_pwd_with_token(&token, "another new password").await.unwrap_err().has_code("invalid_access_token"));

    assert!(client.auth().sign_in_with_email(&email, PASSWORD).await.unwrap_err().has_code("invalid_credentials"));
    client.auth().sign_in_with_email(&email, "a brand new password").await.unwrap();
    let err = old_client.auth().get_user_from_db().await.unwrap_err();
    assert!(err.has_code("invalid_session_token"), "old sessions end on reset: {err}");
}

#[tokio::test]
async fn the_mail_code_works_when_the_link_cannot() {
    let t = verifying().await;
    let email = email("code");
    t.client().auth().sign_up_with_name(&email, PASSWORD, "C").await.unwrap();
    let mail = t.latest_mail(&email).await;
    let client = t.client();
    let wrong = if mail.code == "000000" { "111111" } else { "000000" };
    assert!(client.auth().verify_email_code(&email, wrong).await.unwrap_err().has_code("invalid_code"));
    assert!(client.auth().verify_email_code("nobody@example.com", &mail.code).await.unwrap_err().has_code("invalid_code"));
    let exchange = client.auth().verify_email_code(&email, &mail.code).await.unwrap();
    assert_eq!(exchange.action, "email-confirm");
    let (user, _) = client.auth().get_auth_grant(exchange.access_token.as_deref().unwrap()).await.unwrap();
    assert!(user.email_verified);
    assert!(client.auth().verify_email_code(&email, &mail.code).await.is_err(), "the code dies with its link");
}

#[tokio::test]
async fn five_wrong_codes_disable_a_mail_code() {
    let t = verifying().await;
    let email = email("brute");
    t.client().auth().sign_up_with_name(&email, PASSWORD, "B").await.unwrap();
    let code = t.latest_mail(&email).await.code;
    let client = t.client();
    let wrong = (0..).map(|i| format!("{:06}", i)).filter(|c| *c != code).take(5).collect::<Vec<_>>();
    for w in &wrong {
        assert!(client.auth().verify_email_code(&email, w).await.is_err());
    }
    assert!(client.auth().verify_email_code(&email, &code).await.unwrap_err().has_code("invalid_code"));
}

#[tokio::test]
async fn wrong_password_and_unknown_email_are_indistinguishable() {
    let t = verifying().await;
    let (_, email) = t.signed_in_user("enum").await;
    let wrong = t.client().auth().sign_in_with_email(&email, "not the password").await.unwrap_err();
    let unknown = t.client().auth().sign_in_with_email(&common::email("ghost"), "not the password").await.unwrap_err();
    let (a, b) = (wrong.api().unwrap(), unknown.api().unwrap());
    assert_eq!(a.status, 401);
    assert_eq!((a.status, &a.items), (b.status, &b.items));
    assert_eq!(a.items[0].code, "invalid_credentials");
}

#[tokio::test]
async fn duplicate_sign_up_does_not_reveal_the_account_when_verifying() {
    let t = verifying().await;
    let (_, email) = t.signed_in_user("dup").await;
    let grant = t.client().auth().sign_up_with_name(&email, "some other password", "Mallory").await.unwrap();
    assert!(grant.session.is_none(), "looks like a fresh sign-up");
    let mail = t.latest_mail(&email).await;
    assert_eq!(mail.subject, "You already have an account");
    // The owner's password was not changed by the attempt.
    t.client().auth().sign_in_with_email(&email, PASSWORD).await.unwrap();

    let open = open().await;
    let (_, email) = open.signed_in_user("dup-open").await;
    let err = open.client().auth().sign_up_with_name(&email, PASSWORD, "Again").await.unwrap_err();
    assert!(err.has_code("email_not_unique"));
}

#[tokio::test]
async fn passwords_are_checked_for_length() {
    let t = open().await;
    let c = t.client();
    // 256 characters that follow no pattern pass; one more does not.
    let longest: String = (0..256u32).map(|i| char::from(b'a' + ((i * 7 + i / 26) % 26) as u8)).collect();
    for bad in ["short".to_string(), format!("{longest}q")] {
        let err = c.auth().sign_up_with_name(&email("pw"), &bad, "P").await.unwrap_err();
        assert!(err.has_code("weak_password"), "{err}");
    }
    c.auth().sign_up_with_name(&email("pw"), &longest, "P").await.unwrap();
    let err = c.auth().sign_up_with_name("not-an-email", PASSWORD, "P").await.unwrap_err();
    assert!(err.has_code("validation_error"));
}

#[tokio::test]
async fn user_data_is_stored_but_cannot_self_verify() {
    let t = verifying().await;
    let email = email("data");
    let data = serde_json::json!({"name": "Linus", "emailVerified": true, "favouriteColour": "green", "_id": "x"});
    let grant = t.client().auth().sign_up_with_email(&email, PASSWORD, Some(data)).await.unwrap();
    assert!(grant.session.is_none() && !grant.user.email_verified, "a client cannot skip verification");
    assert_eq!(grant.user.name.as_deref(), Some("Linus"));
    assert_eq!(grant.user.extra["favouriteColour"], "green");
    assert_ne!(grant.user.id, "x");
}

#[tokio::test]
async fn change_password_keeps_this_session_and_ends_the_others() {
    let t = open().await;
    let (client, email) = t.signed_in_user("chpw").await;
    let other = t.client();
    other.auth().sign_in_with_email(&email, PASSWORD).await.unwrap();
    let err = client.auth().change_password("new password 123", "wrong old").await.unwrap_err();
    assert!(err.has_code("invalid_credentials"));
    assert!(client.session().is_some(), "a wrong old password is not a session error");
    client.auth().change_password("new password 123", PASSWORD).await.unwrap();
    client.auth().get_user_from_db().await.unwrap();
    assert!(other.auth().get_user_from_db().await.unwrap_err().has_code("invalid_session_token"));
    t.client().auth().sign_in_with_email(&email, "new password 123").await.unwrap();
}

#[tokio::test]
async fn change_email_waits_for_the_new_address_to_confirm() {
    let t = verifying().await;
    let (client, old) = t.signed_in_user("chmail").await;
    let new = email("chmail-new");
    assert!(client.auth().change_email("wrong", &new).await.unwrap_err().has_code("invalid_credentials"));
    let first = client.auth().change_email(PASSWORD, &email("chmail-stale")).await.unwrap();
    assert_eq!(first.email.as_deref(), Some(old.as_str()));
    let stale_link = t.mails(&first.email.clone().unwrap()).await; // nothing to the old address
    assert!(stale_link.iter().all(|m| m.action != "change-email"));
    client.auth().change_email(PASSWORD, &new).await.unwrap();
    let mail = t.latest_mail(&new).await;
    assert_eq!(mail.action, "change-email");
    let redirect = t.open_link(&mail.link).await;
    assert_eq!((redirect.action.clone(), redirect.status, redirect.access_token.clone()), (RedirectAction::ChangeEmail, 200, None));
    assert_eq!(client.auth().get_user_from_db().await.unwrap().email.as_deref(), Some(new.as_str()));
    t.client().auth().sign_in_with_email(&new, PASSWORD).await.unwrap();
    assert!(t.client().auth().sign_in_with_email(&old, PASSWORD).await.is_err());
}

#[tokio::test]
async fn sessions_are_listed_and_revocable() {
    let t = open().await;
    let (client, email) = t.signed_in_user("sess").await;
    let phone = t.client_with(ClientOptions { user_agent: altogic::user_agent::build("AltogicAuth", "1.0.0", "Pixel 8"), ..Default::default() });
    phone.auth().sign_in_with_email(&email, PASSWORD).await.unwrap();
    let laptop = t.client();
    laptop.auth().sign_in_with_email(&email, PASSWORD).await.unwrap();

    let sessions = client.auth().get_all_sessions().await.unwrap();
    assert_eq!(sessions.len(), 3);
    let current: Vec<_> = sessions.iter().filter(|s| s.is_current).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].token, client.session().unwrap().token, "the current session carries its token, like Altogic");
    let phone_session = sessions.iter().find(|s| s.user_agent.device.family == "Pixel 8").expect("device name shown");
    assert_eq!(phone_session.user_agent.family, "AltogicAuth");
    assert!(altogic_local::time::is_iso(&phone_session.creation_dtm));
    assert!(!phone_session.token.contains('.'), "other sessions' tokens are handles, not credentials");

    client.auth().sign_out(Some(&phone_session.token)).await.unwrap();
    assert!(phone.auth().get_user_from_db().await.unwrap_err().has_code("invalid_session_token"));
    assert!(client.session().is_some(), "revoking another session keeps ours");
    assert_eq!(client.auth().get_all_sessions().await.unwrap().len(), 2);
    let err = client.auth().sign_out(Some(&phone_session.token)).await.unwrap_err();
    assert!(err.has_code("session_not_found"));
    assert!(client.session().is_some());

    // Another user cannot revoke our sessions with a handle.
    let (stranger, _) = t.signed_in_user("stranger").await;
    let handle = client.auth().get_all_sessions().await.unwrap().into_iter().find(|s| !s.is_current).unwrap().token;
    assert!(stranger.auth().sign_out(Some(&handle)).await.unwrap_err().has_code("session_not_found"));

    client.auth().sign_out_all_except_current().await.unwrap();
    assert!(laptop.auth().get_user_from_db().await.is_err());
    assert_eq!(client.auth().get_all_sessions().await.unwrap().len(), 1);
    client.auth().sign_out_all().await.unwrap();
    assert!(client.session().is_none());
}

#[tokio::test]
async fn sign_out_clears_local_data_and_the_server_session() {
    let t = open().await;
    let (client, _) = t.signed_in_user("out").await;
    let token = client.session().unwrap().token;
    client.auth().sign_out(None).await.unwrap();
    assert!(client.session().is_none() && client.user().is_none());
    let stale = t.client();
    stale.set_session(altogic::Session { token, ..client_session_template() });
    assert!(stale.auth().get_user_from_db().await.unwrap_err().has_code("invalid_session_token"));
}

fn client_session_template() -> altogic::Session {
    altogic::Session {
        user_id: String::new(),
        token: String::new(),
        creation_dtm: String::new(),
        access_group_keys: vec![],
        user_agent: Default::default(),
        is_current: false,
    }
}

#[tokio::test]
async fn an_invalid_session_clears_storage_and_calls_the_hook() {
    let t = open().await;
    let storage = Arc::new(MemoryStore::default());
    let (count, hook) = counting_hook();
    let client = t.client_with(ClientOptions { storage: storage.clone(), on_session_invalidated: Some(hook), ..Default::default() });
    client.auth().sign_up_with_name(&email("hook"), PASSWORD, "H").await.unwrap();
    assert!(storage.get_item("session").is_some() && storage.get_item("user").is_some());

    // A restarted client restores the session from storage.
    let restored = t.client_with(ClientOptions { storage: storage.clone(), ..Default::default() });
    restored.auth().get_user_from_db().await.unwrap();

    client.auth().sign_out_all().await.unwrap();
    storage.set_item("session", &serde_json::to_string(&restored.session().unwrap()).unwrap());
    let (count2, hook2) = counting_hook();
    let stale = t.client_with(ClientOptions { storage: storage.clone(), on_session_invalidated: Some(hook2), ..Default::default() });
    assert!(stale.auth().get_all_sessions().await.unwrap_err().has_code("invalid_session_token"));
    assert_eq!(count2.load(Ordering::SeqCst), 1);
    assert!(storage.get_item("session").is_none() && storage.get_item("user").is_none());
    assert!(stale.session().is_none());
    // Without any session the server says so, and the hook fires again.
    assert!(stale.auth().get_user_from_db().await.unwrap_err().has_code("missing_session_token"));
    assert_eq!(count2.load(Ordering::SeqCst), 2);
    assert_eq!(count.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn sign_in_and_mail_endpoints_are_rate_limited() {
    let t = server(|c| {
        c.auth_rate_limit = 3;
        c.mail_rate_limit = 2;
    })
    .await;
    let c = t.client();
    for _ in 0..3 {
        assert!(c.auth().sign_in_with_email("x@example.com", "wrong password").await.unwrap_err().has_code("invalid_credentials"));
    }
    let limited = c.auth().sign_in_with_email("x@example.com", "wrong password").await.unwrap_err();
    assert!(limited.has_code("rate_limit_exceeded"), "{limited}");
    assert_eq!(limited.api().unwrap().status, 429);

    let raw = t.raw(reqwest::Method::POST, "/_api/rest/v1/auth/signin-email").json(&serde_json::json!({"email":"x@example.com","password":"p"})).send().await.unwrap();
    assert_eq!(raw.status(), 429);
    assert!(raw.headers().contains_key("retry-after"));

    // Per-recipient mail limit, the same for known and unknown addresses.
    let t = server(|c| {
        c.mail_rate_limit = 2;
        c.email_verification = false;
    })
    .await;
    let c = t.client();
    for addr in ["nobody@example.com".to_string(), t.signed_in_user("limit").await.1] {
        c.auth().send_magic_link_email(&addr).await.unwrap();
        c.auth().send_magic_link_email(&addr).await.unwrap();
        assert!(c.auth().send_magic_link_email(&addr).await.unwrap_err().has_code("rate_limit_exceeded"));
    }
}
