//! On SQLite the server caches what authenticating a request reads (store/read_cache.rs). Each test
//! attacks that cache: a session read many times, then revoked, must be refused at once; reads
//! racing a revocation must never accept the session once the revocation has answered; a list
//! read many times must show a new sign-in at once; and a second process may not write behind the
//! cache. On PostgreSQL (no cache) the same rules hold, and the same tests run.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use common::*;

const SESSIONS: &str = "/_api/rest/v1/auth/sessions";

async fn list_status(t: &TestServer, token: &str) -> u16 {
    t.raw(reqwest::Method::GET, SESSIONS).header("Session", token).send().await.unwrap().status().as_u16()
}

/// One account signed in twice: (the session that will be revoked, the client that revokes it).
async fn two_sessions(t: &TestServer, tag: &str) -> (String, altogic::AltogicClient) {
    let (victim, email) = t.signed_in_user(tag).await;
    let owner = t.client();
    owner.auth().sign_in_with_email(&email, PASSWORD).await.unwrap();
    (victim.session().unwrap().token, owner)
}

#[tokio::test]
async fn a_session_read_many_times_is_refused_as_soon_as_it_is_revoked() {
    let t = open().await;
    let (stolen, owner) = two_sessions(&t, "cache-revoke").await;
    for _ in 0..20 {
        assert_eq!(list_status(&t, &stolen).await, 200);
    }
    owner.auth().sign_out(Some(&stolen)).await.unwrap();
    assert_eq!(list_status(&t, &stolen).await, 401, "a revoked session stays out, cached or not");
    let left = owner.auth().get_all_sessions().await.unwrap();
    assert_eq!(left.len(), 1, "the owner's list drops the revoked session at once: {left:?}");
}

#[tokio::test]
async fn reads_racing_a_revocation_never_pass_after_it_has_answered() {
    let t = Arc::new(open().await);
    let (stolen, owner) = two_sessions(&t, "cache-race").await;
    assert_eq!(list_status(&t, &stolen).await, 200);
    let revoked_at: Arc<std::sync::Mutex<Option<Instant>>> = Arc::default();
    let done = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..8 {
        let (t, stolen, revoked_at, done) = (t.clone(), stolen.clone(), revoked_at.clone(), done.clone());
        readers.push(tokio::spawn(async move {
            let (mut late_passes, mut refusals) = (0, 0);
            let deadline = Instant::now() + std::time::Duration::from_secs(20);
            while !done.load(Ordering::SeqCst) || refusals < 3 {
                assert!(Instant::now() < deadline, "the revoked session was never refused");
                let sent = Instant::now();
                let status = list_status(&t, &stolen).await;
                let after_revocation = revoked_at.lock().unwrap().is_some_and(|at| sent > at);
                match status {
                    200 if after_revocation => late_passes += 1,
                    200 => {}
                    401 => refusals += 1,
                    other => panic!("unexpected status {other}"),
                }
            }
            late_passes
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    owner.auth().sign_out(Some(&stolen)).await.unwrap();
    *revoked_at.lock().unwrap() = Some(Instant::now());
    done.store(true, Ordering::SeqCst);
    for reader in readers {
        assert_eq!(reader.await.unwrap(), 0, "a request sent after the revocation answered got in");
    }
}

#[tokio::test]
async fn a_list_read_many_times_shows_a_new_sign_in_at_once() {
    let t = open().await;
    let (client, email) = t.signed_in_user("cache-list").await;
    for _ in 0..20 {
        assert_eq!(client.auth().get_all_sessions().await.unwrap().len(), 1);
    }
    t.client().auth().sign_in_with_email(&email, PASSWORD).await.unwrap();
    assert_eq!(client.auth().get_all_sessions().await.unwrap().len(), 2);
    // A password change ends the other session: the list and the other session both know at once.
    client.auth().change_password("another good password", PASSWORD).await.unwrap();
    assert_eq!(client.auth().get_all_sessions().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_second_server_on_the_same_sqlite_data_dir_is_refused() {
    if std::env::var("ALTOGIC_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        return; // PostgreSQL: several instances on one database is the point.
    }
    let dir = tempfile::tempdir().unwrap();
    let first = altogic_local::start(altogic_local::Config::loopback(dir.path())).await.expect("the first server starts");
    let second = altogic_local::start(altogic_local::Config::loopback(dir.path())).await;
    let message = second.err().expect("a second server on the same data dir must not start").to_string();
    assert!(message.contains("in use by another altogic-local"), "{message}");
    drop(first);
}
