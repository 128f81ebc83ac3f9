//! Account takeover attempts, each performed against the real server over HTTP: stale writes held
//! open across a change, races, pre-registration, the mailbox, links that outlive a reset.

mod common;

use altogic::RedirectAction;
use common::*;
use serde_json::json;

fn token_of(client: &altogic::AltogicClient) -> String {
    client.session().expect("signed in").token
}

#[tokio::test]
async fn a_profile_update_held_across_a_password_reset_cannot_restore_anything() {
    let t = verifying().await;
    let (attacker, email) = t.signed_in_user("held-reset").await;
    let user_id = attacker.user().unwrap().id;
    // The attacker (with a stolen session) starts an update and holds its body back.
    let held = t.hold("/_api/rest/v1/db/object/update", &token_of(&attacker), &json!({ "model": "users", "id": user_id, "values": { "name": "Pwned" } })).await;
    // The owner resets the password, which ends every session.
    t.reset_password(&email, "the owner's new password").await;
    let (status, body) = held.finish().await;
    assert_eq!((status, error_code(&body)), (401, "invalid_session_token"), "{body}");
    // The reset stands: the old password does not come back, and the name was not written.
    assert!(t.client().auth().sign_in_with_email(&email, PASSWORD).await.unwrap_err().has_code("invalid_credentials"));
    let (user, _) = t.client().auth().sign_in_with_email(&email, "the owner's new password").await.unwrap();
    assert_eq!(user.name.as_deref(), Some("Test User"));
}

#[tokio::test]
async fn a_change_email_held_across_a_password_reset_does_not_move_the_account() {
    let t = open().await;
    let (attacker, email) = t.signed_in_user("held-email").await;
    let evil = common::email("attacker");
    // The attacker knows the old password and holds a change of address.
    let held = t.hold("/_api/rest/v1/auth/change-email", &token_of(&attacker), &json!({ "currentPassword": PASSWORD, "newEmail": evil })).await;
    // The owner's reset (the magic of the mailbox) happens meanwhile.
    t.reset_password(&email, "owner's fresh password").await;
    let (status, body) = held.finish().await;
    assert!(status == 401 || status == 409, "{status} {body}");
    let (user, _) = t.client().auth().sign_in_with_email(&email, "owner's fresh password").await.unwrap();
    assert_eq!(user.email.as_deref(), Some(email.as_str()), "the account stays at the owner's address");
    assert!(t.client().auth().sign_in_with_email(&evil, PASSWORD).await.is_err());
}

#[tokio::test]
async fn a_change_email_whose_password_changed_meanwhile_is_refused() {
    let t = open().await;
    let (client, email) = t.signed_in_user("held-pwd").await;
    let held = t.hold("/_api/rest/v1/auth/change-email", &token_of(&client), &json!({ "currentPassword": PASSWORD, "newEmail": common::email("moved") })).await;
    // Same session: it stays live, but the password it checked is gone.
    client.auth().change_password("a different password", PASSWORD).await.unwrap();
    let (status, body) = held.finish().await;
    assert_eq!((status, error_code(&body)), (409, "stale_request"), "{body}");
    assert_eq!(client.auth().get_user_from_db().await.unwrap().email.as_deref(), Some(email.as_str()));
}

#[tokio::test]
async fn a_concurrent_profile_update_does_not_undo_an_email_change() {
    let t = open().await;
    let (client, _) = t.signed_in_user("concurrent").await;
    let user_id = client.user().unwrap().id;
    let held = t.hold("/_api/rest/v1/db/object/update", &token_of(&client), &json!({ "model": "users", "id": user_id, "values": { "name": "Renamed", "mood": "ok" } })).await;
    let new = common::email("changed");
    client.auth().change_email(PASSWORD, &new).await.unwrap();
    let (status, body) = held.finish().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["email"], new.as_str(), "the update wrote only its own fields");
    assert_eq!(body["name"], "Renamed");
    let me = client.auth().get_user_from_db().await.unwrap();
    assert_eq!((me.email.as_deref(), me.name.as_deref()), (Some(new.as_str()), Some("Renamed")));
}

#[tokio::test]
async fn two_accounts_racing_for_one_address_get_a_4xx_never_a_500() {
    let t = open().await;
    let target = common::email("contested");
    let mut racers = Vec::new();
    for i in 0..6 {
        racers.push(t.signed_in_user(&format!("racer{i}")).await.0);
    }
    let target = &target;
    let answers = join_all(racers.iter().map(|c| async move { c.auth().change_email(PASSWORD, target).await })).await;
    let won = answers.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "exactly one account gets the address");
    for err in answers.iter().filter_map(|r| r.as_ref().err()) {
        assert!(err.has_code("email_not_unique"), "{err}");
    }

    // With verification, the loser finds out on the link: a redirect with an error, not a 500.
    let t = verifying().await;
    let (a, _) = t.signed_in_user("link-a").await;
    let (b, _) = t.signed_in_user("link-b").await;
    let target = common::email("contested-link");
    a.auth().change_email(PASSWORD, &target).await.unwrap();
    b.auth().change_email(PASSWORD, &target).await.unwrap();
    let mails = t.wait_mails(&target, 2).await;
    let first = t.open_link(&mails[0].link).await;
    let second = t.open_link(&mails[1].link).await;
    assert_eq!(first.status, 200);
    assert_eq!((second.status, second.code.as_deref()), (401, Some("email_already_exists")));
}

#[tokio::test]
async fn the_client_key_alone_cannot_read_or_clear_the_mailbox() {
    let t = verifying().await;
    let (_, email) = t.signed_in_user("mailbox").await;
    // The attack: ask a magic link for the victim, then read it with the key every app ships.
    t.client().auth().send_magic_link_email(&email).await.unwrap();
    t.wait_mails(&email, 2).await;
    let key = &t.server.client_key;
    for (method, code) in [(reqwest::Method::GET, "missing_mailbox_token"), (reqwest::Method::DELETE, "missing_mailbox_token")] {
        let resp = t.http.request(method, t.url("/_local/v1/mail")).header("X-Client-Key", key).send().await.unwrap();
        assert_eq!(resp.status(), 401);
        assert_eq!(error_code(&resp.json().await.unwrap()), code);
    }
    let resp = t.http.get(t.url("/_local/v1/mail")).bearer_auth(key).send().await.unwrap();
    assert_eq!(resp.status(), 401, "the client key is not a mailbox token");
    assert_eq!(t.mails(&email).await.len(), 2, "nothing was cleared");

    // With SMTP configured the mailbox is off: nothing answers and no link is kept in plaintext.
    let smtp = server(|c| {
        c.smtp_url = Some("smtp://127.0.0.1:9".into());
        c.mailbox = None;
        c.mailbox_token = None;
    })
    .await;
    assert!(smtp.server.mailbox_token.is_none());
    let email = common::email("smtp");
    smtp.client().auth().sign_up_with_name(&email, PASSWORD, "S").await.unwrap();
    let resp = smtp.http.get(smtp.url("/_local/v1/mail")).bearer_auth("anything").send().await.unwrap();
    assert_eq!(resp.status(), 404);
    assert!(smtp.server.state.store.mails(None).await.unwrap().is_empty());
}

#[tokio::test]
async fn pre_registering_someone_elses_address_gives_the_attacker_nothing() {
    let t = verifying().await;
    let victim = common::email("victim");
    // The attacker signs up first with his own password; the victim never does. She gets a
    // confirmation mail she did not ask for, and ignores it: nothing exists.
    let attacker = t.client().auth().sign_up_with_name(&victim, "attacker's password", "Mallory").await.unwrap();
    assert!(attacker.session.is_none());
    assert!(t.client().auth().sign_in_with_email(&victim, "attacker's password").await.unwrap_err().has_code("email_not_verified"));
    t.client().auth().send_magic_link_email(&victim).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(t.mails(&victim).await.len(), 1, "a pending sign-up is no account: no magic link for it");

    // Now she signs up herself, and confirms with the mail of her own sign-up (the newest).
    let owner = t.client().auth().sign_up_with_name(&victim, "victim's own password", "Victim").await.unwrap();
    assert_ne!(attacker.user.id, owner.user.id, "each sign-up is its own pending registration");
    let mails = t.wait_mails(&victim, 2).await;
    let client = t.client();
    let redirect = t.open_link(&mails[0].link).await;
    let (user, _) = client.auth().get_auth_grant(redirect.access_token.as_deref().unwrap()).await.unwrap();
    assert_eq!((user.id.as_str(), user.name.as_deref()), (owner.user.id.as_str(), Some("Victim")));
    // Two sign-ups competed for the address: nothing tells whose password a link carries, so none
    // was kept. The attacker's password never works; the owner chooses hers through her mailbox.
    assert!(t.client().auth().sign_in_with_email(&victim, "attacker's password").await.unwrap_err().has_code("invalid_credentials"));
    assert_eq!(t.open_link(&mails[1].link).await.status, 400, "the attacker's link died with his registration");
    let choose = t.wait_mails(&victim, 3).await.remove(0);
    assert_eq!((choose.subject.as_str(), choose.action.as_str()), ("Choose your password", "reset-pwd"));
    let reset = t.open_link(&choose.link).await;
    client.auth().reset_pwd_with_token(reset.access_token.as_deref().unwrap(), "victim's own password").await.unwrap();
    t.client().auth().sign_in_with_email(&victim, "victim's own password").await.unwrap();
    assert!(t.client().auth().sign_in_with_email(&victim, "attacker's password").await.is_err());

    // Had the attacker's link been the one opened (a resend picks the newest sign-up), the result
    // is the same: an account without the attacker's password.
    let contested = common::email("contested");
    t.client().auth().sign_up_with_name(&contested, "victim's own password", "Victim").await.unwrap();
    t.client().auth().sign_up_with_name(&contested, "attacker's password", "Mallory").await.unwrap();
    t.client().auth().resend_verification_email(&contested).await.unwrap();
    let resent = t.wait_mails(&contested, 3).await.remove(0);
    let redirect = t.open_link(&resent.link).await;
    t.client().auth().get_auth_grant(redirect.access_token.as_deref().unwrap()).await.unwrap();
    assert!(t.client().auth().sign_in_with_email(&contested, "attacker's password").await.unwrap_err().has_code("invalid_credentials"));

    // An uncontested sign-up keeps its password.
    let solo = common::email("solo");
    t.client().auth().sign_up_with_name(&solo, PASSWORD, "Solo").await.unwrap();
    t.open_link(&t.latest_mail(&solo).await.link).await;
    t.client().auth().sign_in_with_email(&solo, PASSWORD).await.unwrap();

    // Against an existing account: the owner is told, the attacker's password stays useless,
    // and a resend cannot revive his sign-up.
    let (_, owned) = t.signed_in_user("owned").await;
    t.client().auth().sign_up_with_name(&owned, "attacker's password", "Mallory").await.unwrap();
    let notice = t.wait_mails(&owned, 2).await;
    assert_eq!(notice[0].subject, "You already have an account");
    t.client().auth().resend_verification_email(&owned).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(t.mails(&owned).await.len(), 2, "no confirmation link for the attacker's sign-up");
    let err = t.client().auth().sign_in_with_email(&owned, "attacker's password").await.unwrap_err();
    assert!(err.has_code("email_not_verified"), "answers as for a free address: {err}");
    t.client().auth().sign_in_with_email(&owned, PASSWORD).await.unwrap();
}

#[tokio::test]
async fn sign_in_after_sign_up_answers_the_same_for_taken_and_free_addresses() {
    let t = verifying().await;
    let (_, taken) = t.signed_in_user("taken").await;
    let free = common::email("free");
    for address in [&taken, &free] {
        t.client().auth().sign_up_with_name(address, "probe password 1", "Probe").await.unwrap();
    }
    let a = t.client().auth().sign_in_with_email(&taken, "probe password 1").await.unwrap_err();
    let b = t.client().auth().sign_in_with_email(&free, "probe password 1").await.unwrap_err();
    let (a, b) = (a.api().unwrap(), b.api().unwrap());
    assert_eq!((a.status, &a.items), (b.status, &b.items));
    assert_eq!(a.items[0].code, "email_not_verified");
}

#[tokio::test]
async fn forty_concurrent_code_guesses_test_at_most_five() {
    let t = verifying().await;
    let email = common::email("guess");
    t.client().auth().sign_up_with_name(&email, PASSWORD, "G").await.unwrap();
    let mail = t.latest_mail(&email).await;
    let client = t.client();
    let wrong: Vec<String> = (0..).map(|i| format!("{:06}", i)).filter(|c| *c != mail.code).take(39).collect();
    let (client_ref, email_ref) = (&client, &email);
    let answers = join_all(wrong.iter().map(|w| async move { client_ref.auth().verify_email_code(email_ref, w).await })).await;
    // Each is refused: as a wrong code, or (past 20 guesses at one address) by the address's limit.
    assert!(answers.iter().all(|a| {
        let e = a.as_ref().unwrap_err();
        e.has_code("invalid_code") || e.has_code("rate_limit_exceeded")
    }));
    // The burst used up the mail's five attempts: the right code no longer works…
    let err = client.auth().verify_email_code(&email, &mail.code).await.unwrap_err();
    assert!(err.has_code("invalid_code") || err.has_code("rate_limit_exceeded"), "{err}");
    let link = t.server.state.store.code_attempt(&email, altogic_local::time::unix_now(), 1, 0).await.unwrap().1;
    assert!(link.is_none(), "no attempt is left on the mail");
    // …while the link does (the owner is not locked out).
    let redirect = t.open_link(&mail.link).await;
    client.auth().get_auth_grant(redirect.access_token.as_deref().unwrap()).await.unwrap();
}

#[tokio::test]
async fn a_guess_tests_only_the_newest_mails_code() {
    let t = verifying().await;
    let (_, email) = t.signed_in_user("codes").await;
    for n in 2..=4 {
        t.client().auth().send_magic_link_email(&email).await.unwrap();
        t.wait_mails(&email, n).await;
    }
    let mails = t.mails(&email).await;
    let client = t.client();
    for older in &mails[1..] {
        if older.code != mails[0].code {
            assert!(client.auth().verify_email_code(&email, &older.code).await.unwrap_err().has_code("invalid_code"));
        }
    }
    let exchange = client.auth().verify_email_code(&email, &mails[0].code).await.unwrap();
    assert_eq!(exchange.action, "magic-link");
}

#[tokio::test]
async fn links_and_tokens_issued_before_a_reset_or_sign_out_all_are_dead() {
    let t = verifying().await;
    let (client, email) = t.signed_in_user("lifetime").await;
    // An attacker who read one mail holds a magic link and an unredeemed access token.
    client.auth().send_magic_link_email(&email).await.unwrap();
    let magic = t.next_mail(&email, 1).await;
    client.auth().send_magic_link_email(&email).await.unwrap();
    let second = t.next_mail(&email, 2).await;
    let minted = t.open_link(&second.link).await.access_token.unwrap();
    t.reset_password(&email, "after the reset 1").await;
    assert_eq!(t.open_link(&magic.link).await.status, 400, "the link died with the reset");
    assert!(t.client().auth().get_auth_grant(&minted).await.unwrap_err().has_code("invalid_access_token"));

    // Sign-out-all does the same.
    let seen = t.mails(&email).await.len();
    client.auth().send_magic_link_email(&email).await.unwrap();
    let magic = t.next_mail(&email, seen).await;
    let signed_in = t.client();
    signed_in.auth().sign_in_with_email(&email, "after the reset 1").await.unwrap();
    signed_in.auth().sign_out_all().await.unwrap();
    assert_eq!(t.open_link(&magic.link).await.status, 400);
}

#[tokio::test]
async fn a_thief_with_a_session_cannot_block_the_owners_reset() {
    let t = verifying().await;
    let (thief, email) = t.signed_in_user("recover").await;
    let seen = t.mails(&email).await.len();
    t.client().auth().send_reset_pwd_email(&email).await.unwrap();
    let reset = t.next_mail(&email, seen).await;
    // The thief signs everyone out (again and again) and changes nothing else he can.
    thief.auth().sign_out_all_except_current().await.unwrap();
    thief.auth().sign_out_all_except_current().await.unwrap();
    let redirect = t.open_link(&reset.link).await;
    assert_eq!(redirect.status, 200, "the reset link survived");
    t.client().auth().reset_pwd_with_token(redirect.access_token.as_deref().unwrap(), "owner is back in").await.unwrap();
    assert!(thief.auth().get_user_from_db().await.unwrap_err().has_code("invalid_session_token"), "the reset ended the thief's session");
}

#[tokio::test]
async fn a_change_email_link_dies_with_the_session_that_asked() {
    let t = verifying().await;
    let (thief, email) = t.signed_in_user("asker").await;
    let new = common::email("thief-box");
    thief.auth().change_email(PASSWORD, &new).await.unwrap();
    let link = t.latest_mail(&new).await.link;
    // The owner notices and signs that session out (from another device).
    let owner = t.client();
    owner.auth().sign_in_with_email(&email, PASSWORD).await.unwrap();
    // Only that session (sign-out of one session leaves links alone; the link itself must check).
    let sessions = owner.auth().get_all_sessions().await.unwrap();
    let theirs: Vec<String> = sessions.iter().filter(|s| !s.is_current).map(|s| s.token.clone()).collect();
    assert_eq!(theirs.len(), 1);
    owner.auth().sign_out(Some(&theirs[0])).await.unwrap();
    assert_eq!(t.open_link(&link).await.status, 400);
    assert_eq!(owner.auth().get_user_from_db().await.unwrap().email.as_deref(), Some(email.as_str()));
}

#[tokio::test]
async fn a_link_to_an_address_the_account_has_left_opens_nothing() {
    let t = open().await;
    let (client, old) = t.signed_in_user("left").await;
    let user_id = client.user().unwrap().id;
    client.auth().change_email(PASSWORD, &common::email("arrived")).await.unwrap();
    // A magic link to the old address stored after the move (the race of a request that looked
    // the account up just before it).
    let token = altogic_local::crypto::new_token();
    let now = altogic_local::time::unix_now();
    let row = altogic_local::store::LinkRow {
        selector: token.selector.clone(),
        verifier_hash: token.verifier_hash,
        user_id,
        action: "magic-link".into(),
        recipient: old,
        new_email: None,
        code_hash: vec![0; 32],
        code_attempts: 0,
        created_at: altogic_local::time::now_iso(),
        expires_at: now + 600,
        consumed: false,
        session_selector: None,
        code_challenge: None,
    };
    t.server.state.store.issue_link(&row, false).await.unwrap();
    let link = format!("{}/_api/rest/v1/auth/verify?key={}&action=magic-link", t.server.url, token.value);
    assert_eq!(t.open_link(&link).await.status, 400);
}

#[tokio::test]
async fn an_email_change_ends_other_sessions_and_tells_the_old_address() {
    let t = verifying().await;
    let (client, old) = t.signed_in_user("moving").await;
    let laptop = t.client();
    laptop.auth().sign_in_with_email(&old, PASSWORD).await.unwrap();
    let new = common::email("moved-to");
    client.auth().change_email(PASSWORD, &new).await.unwrap();
    let redirect = t.open_link(&t.latest_mail(&new).await.link).await;
    assert_eq!((redirect.action, redirect.status), (RedirectAction::ChangeEmail, 200));
    assert_eq!(client.auth().get_user_from_db().await.unwrap().email.as_deref(), Some(new.as_str()), "the asking session stays");
    assert!(laptop.auth().get_user_from_db().await.unwrap_err().has_code("invalid_session_token"));
    let notice = t.latest_mail(&old).await;
    assert_eq!(notice.subject, "Your e-mail address was changed");
    assert!(notice.link.is_empty() && notice.code.is_empty());
}

#[tokio::test]
async fn look_alike_spellings_reach_the_same_account() {
    let t = open().await;
    t.client().auth().sign_up_with_name("jose@example.com", PASSWORD, "J").await.unwrap();
    for look_alike in ["\u{ff4a}\u{ff4f}\u{ff53}\u{ff45}@example.com", "JOSE@EXAMPLE.COM"] {
        let err = t.client().auth().sign_up_with_name(look_alike, PASSWORD, "J").await.unwrap_err();
        assert!(err.has_code("email_not_unique"), "{look_alike}: {err}");
        t.client().auth().sign_in_with_email(look_alike, PASSWORD).await.unwrap();
    }
    t.client().auth().sign_up_with_name("jose\u{301}@example.com", PASSWORD, "J").await.unwrap();
    let err = t.client().auth().sign_up_with_name("jos\u{e9}@example.com", PASSWORD, "J").await.unwrap_err();
    assert!(err.has_code("email_not_unique"), "a combining accent is the same letter: {err}");
}

#[tokio::test]
async fn a_legacy_unverified_password_stops_working_when_a_link_proves_the_mailbox() {
    // An account made while verification was off, on a server that now verifies.
    let dir = tempfile::tempdir().unwrap();
    let email = common::email("legacy");
    {
        let mut config = altogic_local::Config::loopback(dir.path());
        config.client_key = Some("k".into());
        config.email_verification = false;
        let s = altogic_local::start(config).await.unwrap();
        let c = altogic::AltogicClient::new(&s.url, "k", Default::default()).unwrap();
        c.auth().sign_up_with_name(&email, "set by someone", "L").await.unwrap();
        s.shutdown().await;
    }
    let mut config = altogic_local::Config::loopback(dir.path());
    config.client_key = Some("k".into());
    config.mailbox_token = Some(MAILBOX_TOKEN.into());
    let s = altogic_local::start(config).await.unwrap();
    let t = TestServer::wrap(s);
    t.client().auth().send_magic_link_email(&email).await.unwrap();
    let redirect = t.open_link(&t.latest_mail(&email).await.link).await;
    t.client().auth().get_auth_grant(redirect.access_token.as_deref().unwrap()).await.unwrap();
    assert!(t.client().auth().sign_in_with_email(&email, "set by someone").await.unwrap_err().has_code("invalid_credentials"));
}
