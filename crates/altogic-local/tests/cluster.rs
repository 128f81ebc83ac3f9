//! Two `altogic-local` processes on one PostgreSQL database behave as one server: sessions, links,
//! tokens and rate limits cross instances, concurrent sign-ups of one address make one account,
//! and `kill -9` of one instance under load loses no acknowledged write while the other serves.
//! Needs `ALTOGIC_TEST_DATABASE_URL` (scripts/test.sh starts a throwaway cluster); without it the
//! tests say so and pass, since there is nothing to test against.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use altogic::{AltogicClient, ClientOptions};
use common::{database_url, follow_link, join_all, wait_for_mails, PASSWORD};

const KEY: &str = "cluster-client-key";
const MAILBOX: &str = "cluster-mailbox-token-0123456789abcdef";
const MFA_KEY: &str = "cluster-mfa-key-0123456789abcdefghij";

struct Instance {
    child: Child,
    url: String,
    database: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_altogic-local")
}

fn instance(database: &str, extra: &[&str]) -> Instance {
    // The data dir holds only the mailbox-token copy here: the state is in PostgreSQL.
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!("altogic-cluster-{}-{}", std::process::id(), N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)));
    let mut child = Command::new(bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir", dir.to_str().unwrap(), "--database-url", database, "--client-key", KEY])
        .args(["--mailbox-token", MAILBOX, "--mail-rate-limit", "0", "--mail-rate-limit-per-client", "0"])
        // Every instance of one database seals authenticator secrets with the same key.
        .args(["--mfa-key", MFA_KEY])
        .args(extra)
        .env("ALTOGIC_LOCAL_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("altogic-local listening on ").unwrap_or_else(|| panic!("no listening line: {line:?}")).to_string();
    std::thread::spawn(move || for _ in reader.lines() {});
    Instance { child, url, database: database.to_string() }
}

/// A fresh, migrated database and two instances on it; None without a PostgreSQL to test on.
async fn cluster(extra: &[&str]) -> Option<(Instance, Instance)> {
    let Some(database) = database_url().await else {
        eprintln!("ALTOGIC_TEST_DATABASE_URL is not set: no PostgreSQL, nothing to test (scripts/test.sh sets it)");
        return None;
    };
    let migrated = Command::new(bin()).args(["migrate", "--database-url", &database]).output().unwrap();
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
    Some((instance(&database, extra), instance(&database, extra)))
}

fn client(on: &Instance) -> AltogicClient {
    AltogicClient::new(&on.url, KEY, ClientOptions::default()).unwrap()
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

#[tokio::test]
async fn two_instances_on_one_database_are_one_server() {
    let Some((a, b)) = cluster(&["--email-verification", "true"]).await else { return };
    let email = format!("cluster{}@example.com", std::process::id());
    // Sign up on A; the mail (written by A) is read on B, its link opened on B, granted on A.
    client(&a).auth().sign_up_with_name(&email, PASSWORD, "Cluster").await.unwrap();
    let mail = wait_for_mails(&browser(), &b.url, MAILBOX, &email, 1).await.remove(0);
    let link = mail.link.replace(&a.url, &b.url);
    let token = follow_link(&browser(), &link).await.access_token.expect("the link granted a token");
    let on_a = client(&a);
    on_a.auth().get_auth_grant(&token).await.unwrap();
    // A token granted on A cannot be granted again on B.
    assert!(client(&b).auth().get_auth_grant(&token).await.unwrap_err().has_code("invalid_access_token"));
    // A session made on A works on B, and ending it on B ends it on A.
    let on_b = AltogicClient::new(&b.url, KEY, ClientOptions::default()).unwrap();
    on_b.set_session(on_a.session().unwrap());
    assert_eq!(on_b.auth().get_user_from_db().await.unwrap().email.as_deref(), Some(email.as_str()));
    on_b.auth().sign_out(None).await.unwrap();
    assert!(on_a.auth().get_user_from_db().await.unwrap_err().has_code("invalid_session_token"));
    // Health and readiness for a load balancer.
    for on in [&a, &b] {
        for path in ["/_local/v1/health", "/_local/v1/ready"] {
            assert_eq!(reqwest::get(format!("{}{path}", on.url)).await.unwrap().status(), 200);
        }
    }
}

#[tokio::test]
async fn two_step_verification_spans_instances_and_an_instance_with_another_key_is_refused() {
    let Some((a, b)) = cluster(&["--email-verification", "false"]).await else { return };
    let email = format!("cluster-mfa{}@example.com", std::process::id());
    let on_a = client(&a);
    on_a.auth().sign_up_with_name(&email, PASSWORD, "Cluster").await.unwrap();
    // Enrolled on A, sealed with the shared key; confirmed and used on B.
    let enrollment = on_a.auth().enroll_totp().await.unwrap();
    let secret = altogic_local::totp::parse_base32(&enrollment.secret).unwrap();
    // Two codes are used below, of this step and the next: start early in a step.
    let now = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    while now() % altogic_local::totp::STEP_SECS > 20 {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let step = altogic_local::totp::step_of(now());
    let on_b = AltogicClient::new(&b.url, KEY, ClientOptions::default()).unwrap();
    on_b.set_session(on_a.session().unwrap());
    on_b.auth().confirm_totp(&enrollment.factor_id, &altogic_local::totp::code_at(&secret, step)).await.unwrap();
    let phone = client(&a);
    assert!(matches!(phone.auth().sign_in_with_email(&email, PASSWORD).await.unwrap_err(), altogic::Error::MfaRequired { .. }));
    // The ticket made on A, finished on B (by hand: the client's ticket is its own).
    let answer = browser()
        .post(format!("{}/_api/rest/v1/auth/signin-email", a.url))
        .header("X-Client-Key", KEY)
        .json(&serde_json::json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = answer.json().await.unwrap();
    let ticket = body["errors"][0]["details"]["mfaTicket"].as_str().unwrap();
    let verified = browser()
        .post(format!("{}/_api/rest/v1/auth/mfa/verify", b.url))
        .header("X-Client-Key", KEY)
        .json(&serde_json::json!({"mfaTicket": ticket, "code": altogic_local::totp::code_at(&secret, step + 1)}))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 200);

    // A third instance with its own key would seal and open with another key: it refuses to start.
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir", dir.path().to_str().unwrap(), "--database-url", &a.database, "--client-key", KEY, "--mailbox-token", MAILBOX])
        .args(["--mfa-key", "another-mfa-key-0123456789abcdefghij"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("MFA key"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn a_rate_limit_counts_requests_to_both_instances() {
    let Some((a, b)) = cluster(&["--email-verification", "true", "--auth-rate-limit", "4"]).await else { return };
    let mut statuses = Vec::new();
    for on in [&a, &b, &a, &b, &a, &b] {
        let resp = reqwest::Client::new()
            .post(format!("{}/_api/rest/v1/auth/signin-email", on.url))
            .header("X-Client-Key", KEY)
            .json(&serde_json::json!({ "email": "nobody@example.com", "password": "wrong password" }))
            .send()
            .await
            .unwrap();
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 401, 429, 429]);
}

#[tokio::test]
async fn concurrent_sign_ups_of_one_address_across_instances_make_one_account() {
    let Some((a, b)) = cluster(&["--email-verification", "false"]).await else { return };
    let email = format!("race{}@example.com", std::process::id());
    let clients: Vec<AltogicClient> = (0..12).map(|i| client(if i % 2 == 0 { &a } else { &b })).collect();
    let email_ref = &email;
    let answers = join_all(clients.iter().enumerate().map(|(i, c)| async move { c.auth().sign_up_with_name(email_ref, &format!("password number {i}"), "Racer").await })).await;
    let won: Vec<usize> = answers.iter().enumerate().filter(|(_, r)| r.is_ok()).map(|(i, _)| i).collect();
    assert_eq!(won.len(), 1, "exactly one account");
    for err in answers.iter().filter_map(|r| r.as_ref().err()) {
        assert!(err.has_code("email_not_unique"), "a 4xx, never a 500: {err}");
    }
    // The winner's password is the account's, on either instance.
    let password = format!("password number {}", won[0]);
    client(&a).auth().sign_in_with_email(&email, &password).await.unwrap();
    client(&b).auth().sign_in_with_email(&email, &password).await.unwrap();
}

#[tokio::test]
async fn kill_9_of_one_instance_under_load_loses_no_acknowledged_write() {
    let Some((a, b)) = cluster(&["--email-verification", "false", "--auth-rate-limit", "0"]).await else { return };
    // (address, names the account may have): the acknowledged name, or, when the profile write
    // died with the instance, either name, since the write may have committed before the reply was lost.
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::<(String, Vec<String>)>::new()));
    // Writers on both instances: sign-ups, then a profile write on the new account.
    let mut writers = Vec::new();
    for (w, url) in [a.url.clone(), b.url.clone(), a.url.clone(), b.url.clone()].into_iter().enumerate() {
        let acknowledged = acknowledged.clone();
        writers.push(tokio::spawn(async move {
            let c = AltogicClient::new(&url, KEY, ClientOptions { timeout: std::time::Duration::from_secs(5), ..Default::default() }).unwrap();
            for i in 0.. {
                let email = format!("load{}-{w}-{i}@example.com", std::process::id());
                let Ok(grant) = c.auth().sign_up_with_name(&email, PASSWORD, "Load").await else { break };
                let id = grant.user.id.clone();
                let name = format!("written {i}");
                let values = serde_json::json!({ "name": name }).as_object().unwrap().clone();
                if c.model("users").object(&id).update::<altogic::User>(values).await.is_err() {
                    acknowledged.lock().unwrap().push((email, vec!["Load".into(), name]));
                    break;
                }
                acknowledged.lock().unwrap().push((email, vec![name]));
                if i >= 40 {
                    break;
                }
            }
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let mut a = a;
    a.child.kill().unwrap(); // SIGKILL
    a.child.wait().unwrap();
    for w in writers {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(60), w).await;
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() > 10, "the load ran: {}", acknowledged.len());
    // B kept serving, and every acknowledged write is there.
    let on_b = client(&b);
    for (email, names) in &acknowledged {
        let (user, _) = on_b.auth().sign_in_with_email(email, PASSWORD).await.unwrap_or_else(|e| panic!("{email} lost: {e}"));
        let name = user.name.unwrap_or_default();
        assert!(names.contains(&name), "{email}: {name:?} is none of {names:?}");
    }
}

#[tokio::test]
async fn serve_refuses_a_schema_it_does_not_match_and_migrate_fixes_a_behind_one() {
    use sqlx::Connection;
    let Some(database) = database_url().await else { return };
    let data = tempfile::tempdir().unwrap();
    let serve = |db: &str| {
        Command::new(bin())
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir", data.path().to_str().unwrap(), "--database-url", db, "--client-key", KEY])
            .output()
            .unwrap()
    };
    // A fresh database: instances do not migrate on start, so serve refuses and says what to do.
    let refused = serve(&database);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("run `altogic-local migrate`"), "{}", String::from_utf8_lossy(&refused.stderr));
    let migrated = Command::new(bin()).args(["migrate", "--database-url", &database]).output().unwrap();
    assert!(migrated.status.success());
    // A schema from a newer altogic-local is refused, by serve and by migrate.
    let mut conn = sqlx::PgConnection::connect(&database).await.unwrap();
    sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (9999, 'from the future', TRUE, '\\x00', 0)")
        .execute(&mut conn)
        .await
        .unwrap();
    for out in [serve(&database), Command::new(bin()).args(["migrate", "--database-url", &database]).output().unwrap()] {
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("version 9999, newer than this altogic-local knows"), "{}", String::from_utf8_lossy(&out.stderr));
    }
}
