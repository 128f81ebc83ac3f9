//! Operating altogic-local (issue 20): `backup` and `restore` of a serving SQLite deployment,
//! `copy` onto PostgreSQL with its files onto a folder or S3 (interrupted by kill -9 too), and the
//! Prometheus metrics — through the real binary and over real HTTP.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use altogic_local::config::Config;
use altogic_local::totp::{code_at, parse_base32, step_of, STEP_SECS};
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

const BIN: &str = env!("CARGO_BIN_EXE_altogic-local");

async fn run(args: &[&str]) -> (bool, String) {
    let out = tokio::process::Command::new(BIN).args(args).env_remove("ALTOGIC_LOCAL_LOG").output().await.unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}


async fn sign_up(t: &TestServer, email: &str) -> (u16, Value) {
    call(t, Method::POST, "/auth/signup-email", None, Some(json!({"email": email, "password": PASSWORD}))).await
}

async fn sign_in(t: &TestServer, email: &str) -> (u16, Value) {
    call(t, Method::POST, "/auth/signin-email", None, Some(json!({"email": email, "password": PASSWORD}))).await
}

/// The PNG uploaded as `avatar.png`; its public URL.
async fn upload(t: &TestServer, session: &str) -> String {
    upload_png(t, session, "avatar.png").await["publicPath"].as_str().unwrap().to_string()
}

/// The bytes at `url`, asked of `t` (a file URL's path is the same on every server).
async fn fetch(t: &TestServer, url: &str) -> (u16, Vec<u8>) {
    let path = url.split_once("/_storage/").map(|(_, p)| format!("/_storage/{p}")).unwrap();
    let resp = t.http.get(t.url(&path)).send().await.unwrap();
    (resp.status().as_u16(), resp.bytes().await.unwrap().to_vec())
}

/// A SQLite deployment (verification off) in `dir`, whatever store the suite runs on. Its client
/// key is generated and kept in its database, as a deployment's is by default.
async fn sqlite_server(dir: &Path) -> TestServer {
    let mut config = Config::loopback(dir);
    config.mailbox_token = Some(MAILBOX_TOKEN.into());
    config.email_verification = false;
    config.signin_attempts = 0;
    config.auth_rate_limit = 0;
    TestServer::wrap(altogic_local::start(config).await.expect("server starts"))
}

#[tokio::test]
async fn a_backup_under_sign_ups_restores_every_acknowledged_account() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let t = sqlite_server(&data).await;
    let client_key = t.server.client_key.clone();
    let owner = email("backup");
    let (_, grant) = sign_up(&t, &owner).await;
    let session = grant["session"]["token"].as_str().unwrap().to_string();
    let url = upload(&t, &session).await;

    // Sign-ups keep coming, from two clients, while the backup runs.
    let acknowledged: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let t = Arc::new(t);
    let writers: Vec<_> = (0..2)
        .map(|_| {
            let (t, acknowledged, stop) = (t.clone(), acknowledged.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let address = email("under");
                    if sign_up(&t, &address).await.0 == 200 {
                        acknowledged.lock().unwrap().push((address, Instant::now()));
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let backup_file = dir.path().join("snapshot.altogic");
    let started = Instant::now();
    let (ok, out) = run(&["backup", "--data-dir", path(&data), "--to", path(&backup_file)]).await;
    assert!(ok, "{out}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&backup_file).unwrap().permissions().mode() & 0o777, 0o600, "the backup is owner-only");
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().filter_map(Result::ok).map(|e| e.file_name()).filter(|n| n.to_string_lossy().starts_with('.')).collect();
    assert!(leftovers.is_empty(), "no partial file is left: {leftovers:?}");

    // Restore refuses a data dir with anything in it, then makes a new one.
    let (ok, out) = run(&["restore", "--from", path(&backup_file), "--data-dir", path(&data)]).await;
    assert!(!ok && out.contains("not empty"), "{out}");
    let restored = dir.path().join("restored");
    let (ok, out) = run(&["restore", "--from", path(&backup_file), "--data-dir", path(&restored)]).await;
    assert!(ok, "{out}");

    let mut config = Config::loopback(&restored);
    config.mailbox_token = Some(MAILBOX_TOKEN.into());
    config.email_verification = false;
    let r = TestServer::wrap(altogic_local::start(config).await.expect("the restored data dir serves"));
    assert_eq!(r.server.client_key, client_key, "the client key came along");
    let before: Vec<String> = acknowledged.lock().unwrap().iter().filter(|(_, at)| *at < started).map(|(a, _)| a.clone()).collect();
    assert!(before.len() >= 3, "sign-ups were acknowledged before the backup: {}", before.len());
    for address in &before {
        assert_eq!(sign_in(&r, address).await.0, 200, "{address} was acknowledged before the backup");
    }
    // Whatever the snapshot holds is whole: every account in it signs in, acknowledged or not.
    let (status, _) = call(&r, Method::GET, "/auth/user", Some(&session), None).await;
    assert_eq!(status, 200, "the session survives");
    assert_eq!(fetch(&r, &url).await, (200, PNG.to_vec()), "the file serves the same bytes");
    let mails = r.mails(&owner).await;
    assert!(mails.is_empty(), "verification off: no mail");
    assert_eq!(std::fs::read(restored.join("mfa-key")).unwrap(), std::fs::read(data.join("mfa-key")).unwrap(), "the data dir's secrets came along");
}

#[tokio::test]
async fn backup_and_restore_refuse_what_they_cannot_do() {
    let dir = tempfile::tempdir().unwrap();
    // A backup inside its own data dir would take in itself.
    let data = dir.path().join("data");
    let t = sqlite_server(&data).await;
    let (ok, out) = run(&["backup", "--data-dir", path(&data), "--to", path(&data.join("in.altogic"))]).await;
    assert!(!ok && out.contains("inside the data dir"), "{out}");
    drop(t);
    // An archive with a link, or a path out of the data dir, is not a backup.
    for (name, kind, target) in [("altogic-local.db", tar::EntryType::Symlink, Some("/etc/passwd")), ("../escape", tar::EntryType::Regular, None)] {
        let file = dir.path().join("crafted.tar");
        let mut builder = tar::Builder::new(std::fs::File::create(&file).unwrap());
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_size(0);
        header.set_mode(0o600);
        if let Some(target) = target {
            header.set_link_name(target).unwrap();
        }
        // `append_data` refuses `..`: write the name into the header as a crafted archive would.
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_cksum();
        builder.append(&header, std::io::empty()).unwrap();
        builder.finish().unwrap();
        drop(builder);
        let new = dir.path().join("crafted-new");
        let (ok, out) = run(&["restore", "--from", path(&file), "--data-dir", path(&new)]).await;
        assert!(!ok && out.contains("not a plain file"), "{name}: {out}");
        assert!(!new.exists() && !dir.path().parent().unwrap().join("escape").exists());
    }
    let (ok, out) = run(&["backup", "--data-dir", path(dir.path()), "--to", path(&dir.path().join("b"))]).await;
    assert!(!ok && out.contains("no SQLite database"), "{out}");
    let junk = dir.path().join("junk");
    std::fs::write(&junk, b"not a backup").unwrap();
    let (ok, out) = run(&["restore", "--from", path(&junk), "--data-dir", path(&dir.path().join("new"))]).await;
    assert!(!ok, "{out}");
    assert!(!dir.path().join("new").exists(), "a failed restore leaves no data dir");
}

/// The users of a PostgreSQL database.
async fn pg_users(url: &str) -> i64 {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_name = 'users')").fetch_one(&mut conn).await.unwrap();
    if !exists {
        return 0;
    }
    sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&mut conn).await.unwrap()
}

/// A SQLite deployment with three accounts, one with a file and one with two-step verification;
/// stopped. Returns the accounts (address, session), the file's URL, the client key and the
/// authenticator's secret.
async fn deployment(data: &Path) -> (Vec<(String, String)>, String, String, Vec<u8>) {
    let t = sqlite_server(data).await;
    let client_key = t.server.client_key.clone();
    let mut accounts = Vec::new();
    for tag in ["first", "second", "third"] {
        let address = email(tag);
        let (status, grant) = sign_up(&t, &address).await;
        assert_eq!(status, 200, "{grant}");
        accounts.push((address, grant["session"]["token"].as_str().unwrap().to_string()));
    }
    let url = upload(&t, &accounts[0].1).await;
    let (_, enrollment) = call(&t, Method::POST, "/auth/mfa/totp/enroll", Some(&accounts[2].1), None).await;
    let secret = parse_base32(enrollment["secret"].as_str().unwrap()).unwrap();
    t.server.state.clock.advance(STEP_SECS);
    let code = code_at(&secret, step_of(t.server.state.clock.now()));
    let (status, body) = call(&t, Method::POST, "/auth/mfa/totp/confirm", Some(&accounts[2].1), Some(json!({"factorId": enrollment["factorId"], "code": code}))).await;
    assert_eq!(status, 200, "{body}");
    let TestServer { server, .. } = t;
    server.shutdown().await;
    (accounts, url, client_key, secret)
}

/// A PostgreSQL server on `url` with the copied deployment's key and files.
async fn moved_server(url: &str, data: &Path, storage: &str) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::loopback(dir.path());
    config.database_url = Some(url.to_string());
    config.storage_url = Some(storage.to_string());
    config.mfa_key_file = Some(data.join("mfa-key"));
    config.mailbox_token = Some(MAILBOX_TOKEN.into());
    config.email_verification = false;
    let server = altogic_local::start(config).await.expect("the copied deployment serves on PostgreSQL");
    std::mem::forget(dir);
    TestServer::wrap(server)
}

async fn check_moved(r: &TestServer, accounts: &[(String, String)], url: &str, client_key: &str, secret: &[u8]) {
    assert_eq!(r.server.client_key, client_key, "the client key came along");
    for (address, session) in accounts {
        assert_eq!(call(r, Method::GET, "/auth/user", Some(session), None).await.0, 200, "{address}'s session is valid");
    }
    for (address, _) in &accounts[..2] {
        assert_eq!(sign_in(r, address).await.0, 200, "{address} signs in");
    }
    // The sealed authenticator secret opens with the same key: the account still asks for a code.
    let (status, body) = sign_in(r, &accounts[2].0).await;
    assert_eq!((status, error_code(&body)), (401, "mfa_required"), "{body}");
    r.server.state.clock.advance(2 * STEP_SECS);
    let code = code_at(secret, step_of(r.server.state.clock.now()));
    let ticket = body["errors"][0]["details"]["mfaTicket"].as_str().unwrap();
    let (status, body) = call(r, Method::POST, "/auth/mfa/verify", None, Some(json!({"mfaTicket": ticket, "code": code}))).await;
    assert_eq!(status, 200, "the sealed secret opens on the new store: {body}");
    assert_eq!(fetch(r, url).await, (200, PNG.to_vec()), "the file serves the same bytes");
}

#[tokio::test]
async fn copy_moves_everything_onto_postgresql_and_a_folder_once() {
    let Some(target) = database_url().await else {
        eprintln!("ALTOGIC_TEST_DATABASE_URL is not set: no PostgreSQL to copy onto (scripts/test.sh starts one)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (accounts, url, key, secret) = deployment(&data).await;
    let folder = format!("file://{}", dir.path().join("objects").display());
    let (ok, out) = run(&["copy", "--data-dir", path(&data), "--to-database-url", &target, "--to-storage-url", &folder]).await;
    assert!(ok, "{out}");
    assert!(out.contains("users") && out.contains("3 rows") && out.contains("1 files"), "counts per table and store: {out}");
    let r = moved_server(&target, &data, &folder).await;
    check_moved(&r, &accounts, &url, &key, &secret).await;

    // A second copy onto the same database is refused, and changes nothing.
    let (ok, out) = run(&["copy", "--data-dir", path(&data), "--to-database-url", &target, "--to-storage-url", &folder]).await;
    assert!(!ok && out.contains("already holds accounts"), "{out}");
    assert_eq!(pg_users(&target).await, 3);
}

#[tokio::test]
async fn a_copy_killed_before_it_commits_leaves_the_target_empty_and_runs_again() {
    let Some(target) = database_url().await else {
        eprintln!("ALTOGIC_TEST_DATABASE_URL is not set: no PostgreSQL to copy onto");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (accounts, url, key, secret) = deployment(&data).await;
    let folder = format!("file://{}", dir.path().join("objects").display());
    let mut child = tokio::process::Command::new(BIN)
        .args(["copy", "--data-dir", path(&data), "--to-database-url", &target, "--to-storage-url", &folder, "--pause-before-commit-ms", "30000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let paused = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("committing (paused)") {
                return true;
            }
        }
        false
    })
    .await
    .unwrap();
    assert!(paused, "the copy reached its commit");
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();
    assert_eq!(pg_users(&target).await, 0, "nothing half-copied");
    let (ok, out) = run(&["copy", "--data-dir", path(&data), "--to-database-url", &target, "--to-storage-url", &folder]).await;
    assert!(ok, "{out}");
    check_moved(&moved_server(&target, &data, &folder).await, &accounts, &url, &key, &secret).await;
}

#[tokio::test]
async fn copy_moves_files_onto_s3() {
    let (Some(target), Ok(bucket)) = (database_url().await, std::env::var("ALTOGIC_TEST_S3_BUCKET")) else {
        eprintln!("no PostgreSQL or S3 server to copy onto (scripts/test.sh starts both)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (accounts, url, key, secret) = deployment(&data).await;
    let s3 = format!("s3://{bucket}");
    let (ok, out) = run(&["copy", "--data-dir", path(&data), "--to-database-url", &target, "--to-storage-url", &s3]).await;
    assert!(ok, "{out}");
    check_moved(&moved_server(&target, &data, &s3).await, &accounts, &url, &key, &secret).await;
}

// --- metrics ---

async fn scrape(t: &TestServer, token: Option<&str>) -> (u16, String) {
    let mut req = t.http.get(t.url("/_local/v1/metrics"));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

fn value(text: &str, series: &str) -> f64 {
    text.lines().find_map(|l| l.strip_prefix(series).and_then(|rest| rest.trim().parse().ok())).unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_need_their_token_move_with_failed_sign_ins_and_name_no_one() {
    let off = open().await;
    assert_eq!(scrape(&off, Some("anything")).await.0, 404, "without --metrics-token there is no endpoint");
    let token = "metrics-token-0123456789abcdef0123";
    let t = server(|c| {
        c.email_verification = false;
        c.signin_attempts = 0;
        c.metrics_token = Some(token.into());
    })
    .await;
    assert_eq!(scrape(&t, None).await.0, 401);
    assert_eq!(scrape(&t, Some("metrics-token-wrong")).await.0, 401);
    assert_eq!(scrape(&t, Some(MAILBOX_TOKEN)).await.0, 401, "the mailbox token is not the metrics token");

    let address = email("metrics");
    let (_, grant) = sign_up(&t, &address).await;
    let session = grant["session"]["token"].as_str().unwrap().to_string();
    let url = upload(&t, &session).await;
    assert_eq!(fetch(&t, &url).await.0, 200);
    let (_, before) = scrape(&t, Some(token)).await;
    let failed = r#"altogic_sign_ins_total{result="failed"}"#;
    for _ in 0..3 {
        let (status, _) = call(&t, Method::POST, "/auth/signin-email", None, Some(json!({"email": address, "password": "not the password"}))).await;
        assert_eq!(status, 401);
    }
    assert_eq!(sign_in(&t, &address).await.0, 200);
    let (status, text) = scrape(&t, Some(token)).await;
    assert_eq!(status, 200);
    assert_eq!(value(&text, failed) - value(&before, failed), 3.0, "{text}");
    assert_eq!(value(&text, r#"altogic_sign_ins_total{result="ok"}"#), 1.0);
    assert!(value(&text, r#"altogic_http_requests_total{route="/_api/rest/v1/auth/signin-email",status="401"}"#) >= 3.0, "{text}");
    assert!(text.contains(r#"altogic_http_request_duration_seconds_bucket{route="/_api/rest/v1/auth/signin-email""#), "a histogram by route");
    assert!(text.contains(r#"route="/_storage/{env}/{bucket}/{id}""#), "routes are templates: {text}");
    assert!(value(&text, "altogic_sessions") >= 2.0);
    assert!(text.contains("altogic_hash_queue_depth 0") && text.contains("altogic_shed_total 0"), "{text}");
    let captured = r#"altogic_mail_total{result="captured"}"#;
    t.client().auth().send_magic_link_email(&address).await.unwrap();
    t.wait_mails(&address, 1).await;
    let (_, after_mail) = scrape(&t, Some(token)).await;
    assert_eq!(value(&after_mail, captured) - value(&text, captured), 1.0, "{after_mail}");
    // No address, token, id or file name in any label.
    let user_id = grant["user"]["_id"].as_str().unwrap();
    let file_id = url.rsplit('/').next().unwrap();
    for secret in [address.as_str(), session.as_str(), session.split('.').next().unwrap(), user_id, file_id, "avatar.png"] {
        assert!(!text.contains(secret), "the metrics name {secret}");
    }
}
