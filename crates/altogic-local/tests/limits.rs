//! Limits that must hold against a determined client: per-account throttles under concurrency,
//! mail budgets, slow and idle connections, the hash queue, upload quotas, timing of unknown
//! addresses, and the files the server leaves on disk.

mod common;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn a_burst_of_wrong_passwords_cannot_outrun_the_per_account_throttle() {
    let t = server(|c| {
        c.email_verification = false;
        c.signin_attempts = 10;
    })
    .await;
    let (_, email) = t.signed_in_user("throttled").await;
    // 135 guesses as fast as possible, 45 at a time (per-IP limits are off in tests).
    for round in 0..3 {
        let guesses: Vec<String> = (0..45).map(|i| format!("guess {round} {i}")).collect();
        let (t, email) = (&t, &email);
        let answers = join_all(guesses.iter().map(|g| async move { t.client().auth().sign_in_with_email(email, g).await })).await;
        let checked = answers.iter().filter(|a| a.as_ref().unwrap_err().has_code("invalid_credentials")).count();
        let refused = answers.iter().filter(|a| a.as_ref().unwrap_err().has_code("rate_limit_exceeded")).count();
        assert_eq!(checked + refused, 45);
        assert!(checked <= if round == 0 { 10 } else { 0 }, "round {round}: {checked} passwords were checked");
    }
    // The right password is refused too until the window passes: the attacker learns nothing.
    let err = t.client().auth().sign_in_with_email(&email, PASSWORD).await.unwrap_err();
    assert!(err.has_code("rate_limit_exceeded"), "{err}");
    assert!(err.api().unwrap().items[0].details.as_ref().unwrap()["retryAfter"].as_u64().unwrap() > 60);

    // An unknown address is throttled the same way (no enumeration through the limit).
    let ghost = common::email("ghost");
    for _ in 0..10 {
        assert!(t.client().auth().sign_in_with_email(&ghost, "x").await.unwrap_err().has_code("invalid_credentials"));
    }
    assert!(t.client().auth().sign_in_with_email(&ghost, "x").await.unwrap_err().has_code("rate_limit_exceeded"));
}

#[tokio::test]
async fn a_successful_sign_in_resets_the_account_throttle() {
    let t = server(|c| {
        c.email_verification = false;
        c.signin_attempts = 3;
    })
    .await;
    let (_, email) = t.signed_in_user("reset-throttle").await;
    for _ in 0..2 {
        assert!(t.client().auth().sign_in_with_email(&email, "typo").await.is_err());
    }
    t.client().auth().sign_in_with_email(&email, PASSWORD).await.unwrap();
    for _ in 0..2 {
        assert!(t.client().auth().sign_in_with_email(&email, "typo").await.unwrap_err().has_code("invalid_credentials"));
    }
}

/// Asks a reset mail for `email` from `ip` (any 127.0.0.0/8 address is this machine).
async fn reset_from(t: &TestServer, ip: &str, email: &str) -> (u16, String) {
    let ip: IpAddr = ip.parse().unwrap();
    let http = reqwest::Client::builder().local_address(ip).build().unwrap();
    let resp = http.post(t.url("/_api/rest/v1/auth/send-reset")).query(&[("email", email)]).header("X-Client-Key", &t.server.client_key).send().await.unwrap();
    let status = resp.status().as_u16();
    let body: serde_json::Value = resp.json().await.unwrap_or(serde_json::Value::Null);
    (status, error_code(&body).to_string())
}

#[tokio::test]
async fn an_anonymous_caller_cannot_use_up_the_owners_mail() {
    let t = server(|c| {
        c.mail_rate_limit = 20;
        c.mail_rate_limit_per_client = 3;
    })
    .await;
    let (_, email) = t.signed_in_user("starved").await;
    let mut refused = 0;
    for _ in 0..25 {
        match reset_from(&t, "127.0.0.2", &email).await {
            (200, _) => {}
            (429, code) if code == "rate_limit_exceeded" => refused += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(refused, 22, "the attacker's network gets 3 mails to this address");
    // The owner, elsewhere, still gets hers.
    assert_eq!(reset_from(&t, "127.0.0.3", &email).await.0, 200);
    t.wait_mails(&email, 1 + 3 + 1).await;
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    let limited = |trusted: &str| {
        let trusted = trusted.to_string();
        move |c: &mut altogic_local::Config| {
            c.auth_rate_limit = 2;
            c.trusted_proxies = if trusted.is_empty() { vec![] } else { vec![altogic_local::net::IpNet::parse(&trusted).unwrap()] };
        }
    };
    let sign_in = |t: &TestServer, forwarded: &str| {
        let req = t.raw(reqwest::Method::POST, "/_api/rest/v1/auth/signin-email").header("X-Forwarded-For", forwarded.to_string()).json(&serde_json::json!({"email": "a@example.com", "password": "x"}));
        async move { req.send().await.unwrap().status().as_u16() }
    };
    // Without trusted proxies the header is ignored: rotating it does not escape the limit.
    let t = server(limited("")).await;
    let statuses = [sign_in(&t, "1.1.1.1").await, sign_in(&t, "2.2.2.2").await, sign_in(&t, "3.3.3.3").await];
    assert_eq!(statuses, [401, 401, 429]);
    // Behind a trusted proxy each forwarded client has its own budget; IPv6 clients per /64.
    let t = server(limited("127.0.0.1")).await;
    let statuses = [sign_in(&t, "1.1.1.1").await, sign_in(&t, "1.1.1.1").await, sign_in(&t, "1.1.1.1").await, sign_in(&t, "2.2.2.2").await];
    assert_eq!(statuses, [401, 401, 429, 401]);
    let statuses = [sign_in(&t, "2001:db8::1").await, sign_in(&t, "2001:db8::2").await, sign_in(&t, "2001:db8::3").await, sign_in(&t, "2001:db8:0:1::1").await];
    assert_eq!(statuses, [401, 401, 429, 401]);
}

async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let deadline = Instant::now() + within;
    loop {
        let mut buf = [0u8; 4096];
        match tokio::time::timeout_at(deadline.into(), stream.read(&mut buf)).await {
            Err(_) => return None, // still open
            Ok(Ok(0)) | Ok(Err(_)) => return Some(out),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

fn timeouts(c: &mut altogic_local::Config) {
    c.header_timeout_secs = 1;
    c.request_timeout_secs = 2;
    c.idle_timeout_secs = 1;
}

#[tokio::test]
async fn a_slow_head_is_cut_off() {
    let t = server(timeouts).await;
    let mut slow = TcpStream::connect(t.server.addr).await.unwrap();
    slow.write_all(b"POST /_api/rest/v1/auth/signin-email HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        let _ = slow.write_all(b"X-Slow: 1\r\n").await; // a header every 0.4 s: slowloris
    }
    assert!(read_until_closed(&mut slow, Duration::from_secs(3)).await.is_some(), "the server closed the connection");
}

#[tokio::test]
async fn a_slow_body_gets_a_json_408_and_the_connection_closes() {
    let t = server(timeouts).await;
    let mut slow = TcpStream::connect(t.server.addr).await.unwrap();
    let head = format!(
        "POST /_api/rest/v1/auth/signin-email HTTP/1.1\r\nHost: x\r\nX-Client-Key: {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"email\"",
        t.server.client_key
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let raw = read_until_closed(&mut slow, Duration::from_secs(5)).await.expect("closed");
    assert!(started.elapsed() < Duration::from_secs(4));
    let (status, body) = parse_response(&raw);
    assert_eq!((status, error_code(&body)), (408, "request_timeout"), "{body}");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let t = server(timeouts).await;
    let mut conn = TcpStream::connect(t.server.addr).await.unwrap();
    conn.write_all(b"GET /_local/v1/health HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 1024];
    let n = conn.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    // Kept alive, then nothing: closed within the idle timeout (1 s) plus a check interval.
    assert!(read_until_closed(&mut conn, Duration::from_secs(3)).await.is_some());
}

#[tokio::test]
async fn a_sign_in_flood_is_shed_with_503_and_retry_after() {
    let t = server(|c| {
        c.email_verification = false;
        // 40 at once would wait up to 20 hash times: more than this allows.
        c.max_hash_wait = 0.1;
        c.signin_attempts = 0;
    })
    .await;
    let (_, email) = t.signed_in_user("flood").await;
    let answers = join_all((0..40).map(|i| {
        let req = t.raw(reqwest::Method::POST, "/_api/rest/v1/auth/signin-email").json(&serde_json::json!({"email": email, "password": format!("wrong {i}")}));
        async move {
            let resp = req.send().await.unwrap();
            let retry = resp.headers().get("retry-after").is_some();
            let status = resp.status().as_u16();
            (status, retry, error_code(&resp.json().await.unwrap()).to_string())
        }
    }))
    .await;
    let shed: Vec<_> = answers.iter().filter(|a| a.0 == 503).collect();
    assert!(!shed.is_empty(), "a full queue sheds load");
    assert!(shed.len() < answers.len(), "what fits in the wait is served");
    assert!(shed.iter().all(|a| a.1 && a.2 == "server_busy"));
    assert!(answers.iter().all(|a| a.0 == 503 || a.2 == "invalid_credentials"), "{answers:?}");
}

/// The queue is bounded by the time it would take, not by a count: a burst that two cores work
/// off within `--max-hash-wait` is served whole.
#[tokio::test]
async fn a_burst_of_sign_ups_and_sign_ins_within_the_wait_is_served_whole() {
    let t = server(|c| {
        c.email_verification = false;
        c.signin_attempts = 0;
    })
    .await;
    let emails: Vec<String> = (0..200).map(|_| common::email("burst")).collect();
    let t = &t;
    for batch in emails.chunks(64) {
        let answers = join_all(batch.iter().map(|e| async move { t.client().auth().sign_up_with_name(e, PASSWORD, "B").await })).await;
        assert!(answers.iter().all(Result::is_ok), "{:?}", answers.iter().find(|a| a.is_err()));
    }
    for batch in emails.chunks(64) {
        let answers = join_all(batch.iter().map(|e| async move { t.client().auth().sign_in_with_email(e, PASSWORD).await })).await;
        assert!(answers.iter().all(Result::is_ok), "{:?}", answers.iter().find(|a| a.is_err()));
    }
}

/// Far more at once than the wait allows: the excess is answered 503 at once, and the server
/// still answers everything else (its health) meanwhile.
#[tokio::test]
async fn a_flood_past_the_wait_is_shed_and_health_still_answers() {
    let t = server(|c| {
        c.email_verification = false;
        c.signin_attempts = 0;
        c.max_connections_per_client = 0;
        c.max_hash_wait = 1.0;
    })
    .await;
    let (_, email) = t.signed_in_user("flood2").await;
    let flood = join_all((0..300).map(|i| {
        let req = t.raw(reqwest::Method::POST, "/_api/rest/v1/auth/signin-email").json(&serde_json::json!({"email": email, "password": format!("wrong {i}")}));
        async move {
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.headers().contains_key("retry-after"))
        }
    }));
    let health = async {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        t.http.get(t.url("/_local/v1/health")).send().await.unwrap().status().as_u16()
    };
    let (answers, health) = tokio::join!(flood, health);
    assert_eq!(health, 200);
    let shed = answers.iter().filter(|a| a.0 == 503).count();
    assert!(shed > 0 && answers.iter().filter(|a| a.0 == 503).all(|a| a.1), "{answers:?}");
    assert!(answers.iter().all(|a| a.0 == 503 || a.0 == 401), "{answers:?}");
}

#[tokio::test]
async fn uploads_are_held_to_a_quota_and_a_rate() {
    let t = server(|c| {
        c.email_verification = false;
        c.upload_quota_bytes = 3 * PNG.len() as u64;
        c.uploads_per_hour = 6;
    })
    .await;
    let (client, _) = t.signed_in_user("quota").await;
    let bucket = client.bucket("root");
    let upload = |name: &'static str| bucket.upload(name, PNG.to_vec(), altogic::UploadOptions::with_content_type("image/png"));
    for name in ["a.png", "b.png", "c.png"] {
        upload(name).await.unwrap();
    }
    let err = upload("d.png").await.unwrap_err();
    assert!(err.has_code("storage_quota_exceeded"), "{err}");
    // Replacing a file does not count it twice.
    upload("a.png").await.unwrap();
    upload("a.png").await.unwrap();
    let err = upload("a.png").await.unwrap_err();
    assert!(err.has_code("rate_limit_exceeded"), "the 7th upload within the hour: {err}");
}

/// Tiny files are cheap in bytes but not in rows: the quota counts files too, and their tags.
#[tokio::test]
async fn thousands_of_tiny_files_do_not_fit_under_a_byte_quota() {
    let t = server(|c| {
        c.email_verification = false;
        c.files_per_user = 3;
    })
    .await;
    let (client, _) = t.signed_in_user("files").await;
    let bucket = client.bucket("root");
    let upload = |name: &'static str, tags: Option<serde_json::Value>| {
        let options = altogic::UploadOptions { tags, ..altogic::UploadOptions::with_content_type("image/png") };
        bucket.upload(name, PNG.to_vec(), options)
    };
    for name in ["a.png", "b.png", "c.png"] {
        upload(name, None).await.unwrap();
    }
    let err = upload("d.png", None).await.unwrap_err();
    assert!(err.has_code("storage_quota_exceeded"), "{err}");
    // Replacing one is still fine: it does not count twice.
    upload("a.png", None).await.unwrap();
    // Tags are bounded in number and length.
    let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
    let err = upload("b.png", Some(serde_json::json!(many))).await.unwrap_err();
    assert!(err.has_code("validation_error"), "{err}");
    let err = upload("b.png", Some(serde_json::json!(["x".repeat(101)]))).await.unwrap_err();
    assert!(err.has_code("validation_error"), "{err}");
    upload("b.png", Some(serde_json::json!(["avatar", "x".repeat(100)]))).await.unwrap();
}

#[tokio::test]
async fn api_answers_are_never_cached() {
    let t = open().await;
    let (client, _) = t.signed_in_user("cache").await;
    let resp = t.raw(reqwest::Method::GET, "/_api/rest/v1/auth/sessions").header("Session", client.session().unwrap().token).send().await.unwrap();
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let resp = t.raw(reqwest::Method::POST, "/_api/rest/v1/auth/signin-email").json(&serde_json::json!({"email": "x@example.com", "password": "y"})).send().await.unwrap();
    assert_eq!(resp.headers()["cache-control"], "no-store", "errors too");
    let resp = t.http.get(t.url("/_local/v1/mail")).bearer_auth(MAILBOX_TOKEN).send().await.unwrap();
    assert_eq!(resp.headers()["cache-control"], "no-store");
}

#[cfg(unix)]
#[tokio::test]
async fn secrets_on_disk_are_owner_only_and_the_client_key_can_come_from_a_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("client-key");
    std::fs::write(&key_file, "key-from-a-file\n").unwrap();
    let data = dir.path().join("data");
    let mut config = altogic_local::Config::loopback(&data);
    config.client_key_file = Some(key_file);
    let s = altogic_local::start(config).await.unwrap();
    assert_eq!(s.client_key, "key-from-a-file");
    let token = s.mailbox_token.clone().unwrap();
    let t = TestServer::wrap(s);
    t.client().auth().sign_up_with_name(&common::email("perm"), PASSWORD, "P").await.unwrap();
    for file in ["altogic-local.db", "altogic-local.db-wal", "mailbox-token"] {
        let mode = std::fs::metadata(data.join(file)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{file} is {mode:o}");
    }
    assert_eq!(std::fs::metadata(&data).unwrap().permissions().mode() & 0o777, 0o700);
    assert_eq!(std::fs::read_to_string(data.join("mailbox-token")).unwrap().trim(), token);
}

#[tokio::test]
async fn the_sweep_purges_pending_sign_ups_unverified_accounts_and_old_mail() {
    let t = verifying().await;
    let email = common::email("purged");
    t.client().auth().sign_up_with_name(&email, PASSWORD, "P").await.unwrap();
    assert!(t.client().auth().sign_in_with_email(&email, PASSWORD).await.unwrap_err().has_code("email_not_verified"));
    let mail = t.latest_mail(&email).await;
    // Everything as the sweep would see it a year from now.
    let later = altogic_local::time::unix_now() + 365 * 86_400;
    let policy = altogic_local::store::PurgePolicy { now: later, mails_before: later, unverified_before: Some("9999-01-01T00:00:00.000Z".into()), session_max_secs: 90 * 86_400, session_idle_secs: 30 * 86_400, events_before: 0 };
    t.server.state.store.purge(&policy).await.unwrap();
    assert!(t.client().auth().sign_in_with_email(&email, PASSWORD).await.unwrap_err().has_code("invalid_credentials"), "the pending sign-up is gone");
    assert!(t.mails(&email).await.is_empty(), "old mail is gone");
    assert_eq!(t.open_link(&mail.link).await.status, 400);
}
