//! Account takeover attempts, each performed against the real server over HTTP: stale writes held
//! open across a change, races, pre-registration, the mailbox, enumeration (links and codes:
//! link_attacks.rs).

mod common;

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
