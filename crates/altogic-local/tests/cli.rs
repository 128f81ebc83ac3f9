//! The `altogic-local` binary: its command line, its generated client key, and durability when
//! killed mid-write.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use altogic::{AltogicClient, ClientOptions};

struct Proc {
    child: Child,
    url: String,
    lines: Vec<String>,
    /// What the server printed after its start-up lines (its log).
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(args: &[&str]) -> Proc {
    let mut child = Command::new(env!("CARGO_BIN_EXE_altogic-local"))
        .args(args)
        .env_remove("ALTOGIC_LOCAL_CLIENT_KEY")
        .env_remove("ALTOGIC_LOCAL_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn altogic-local");
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    let mut url = String::new();
    for _ in 0..4 {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if let Some(u) = line.trim().strip_prefix("altogic-local listening on ") {
            url = u.to_string();
        }
        lines.push(line.trim().to_string());
    }
    assert!(!url.is_empty(), "no listening line: {lines:?}");
    // Keep draining stdout (the log goes there too) so the server never blocks on a full pipe.
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = log.clone();
    std::thread::spawn(move || {
        for line in reader.lines().map_while(Result::ok) {
            kept.lock().unwrap().push(line);
        }
    });
    Proc { child, url, lines, log }
}

/// The token, read from the file that the printed `mailbox:` line names (the line never holds it).
fn mailbox_token(server: &Proc) -> String {
    let line = server.lines.iter().find(|l| l.starts_with("mailbox:")).expect("prints the mailbox line");
    let file = line.split("$(cat '").nth(1).and_then(|rest| rest.split("')").next()).expect("the line names the token's file");
    let token = std::fs::read_to_string(file).unwrap().trim().to_string();
    assert!(!line.contains(&token), "the token is never printed: {line}");
    token
}

#[tokio::test]
async fn generates_and_keeps_a_client_key_and_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let args = ["serve", "--listen", "127.0.0.1:0", "--data-dir", data, "--email-verification", "false", "--auth-rate-limit", "0"];
    let server = spawn(&args);
    let key_line = server.lines.iter().find(|l| l.starts_with("clientKey:")).expect("prints the generated key").clone();
    let key = key_line.split_whitespace().nth(1).unwrap().to_string();
    assert!(key.len() >= 40, "{key}");

    let client = AltogicClient::new(&server.url, &key, ClientOptions::default()).unwrap();
    let mut emails = Vec::new();
    for i in 0..20 {
        let email = format!("durable{i}@example.com");
        client.auth().sign_up_with_name(&email, "durable password", "D").await.unwrap();
        emails.push(email);
    }
    // Every acknowledged sign-up is on disk: SIGKILL gives SQLite no chance to flush anything more.
    let mut server = server;
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    let restarted = spawn(&args);
    let again = restarted.lines.iter().find(|l| l.starts_with("clientKey:")).unwrap();
    assert_eq!(again.split_whitespace().nth(1).unwrap(), key, "the key is kept in the data dir");
    let client = AltogicClient::new(&restarted.url, &key, ClientOptions::default()).unwrap();
    for email in &emails {
        client.auth().sign_in_with_email(email, "durable password").await.unwrap_or_else(|e| panic!("{email} lost: {e}"));
    }
}

#[tokio::test]
async fn takes_every_setting_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let server = spawn(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--client-key",
        "given-key",
        "--redirect-url",
        "https://app.example/auth-redirect?from=mail",
        "--email-verification",
        "true",
        "--public-url",
        "https://auth.example/",
    ]);
    assert!(server.lines.iter().any(|l| l == "clientKey: (as given)"), "the given key is not printed: {:?}", server.lines);
    let client = AltogicClient::new(&server.url, "given-key", ClientOptions::default()).unwrap();
    let grant = client.auth().sign_up_with_name("cli@example.com", "cli password", "C").await.unwrap();
    assert!(grant.session.is_none(), "--email-verification true");
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    // The mailbox answers its own token, kept in the file the start-up names, and not the client key.
    let token = mailbox_token(&server);
    let with_client_key = http.get(format!("{}/_local/v1/mail", server.url)).header("X-Client-Key", "given-key").send().await.unwrap();
    assert_eq!(with_client_key.status(), 401);
    let mailbox: altogic::Mailbox = http.get(format!("{}/_local/v1/mail?to=cli@example.com", server.url)).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let link = &mailbox.messages[0].link;
    assert!(link.starts_with("https://auth.example/_api/rest/v1/auth/verify?key="), "{link}");
    let local_link = link.replace("https://auth.example", &server.url);
    let resp = http.get(local_link).send().await.unwrap();
    let location = resp.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("https://app.example/auth-redirect?from=mail&action=email-confirm&status=200&access_token="), "{location}");
}

#[test]
fn refuses_bad_arguments_with_a_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_altogic-local")).args(["serve", "--listen", "nonsense"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--listen"));
    let out = Command::new(env!("CARGO_BIN_EXE_altogic-local")).args(["serve", "--listen", "127.0.0.1:0", "--data-dir", "/dev/null/x"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot create data dir"));
    // App association settings are checked before anything is served: a typo would silently
    // break every App Link.
    for (args, says) in [
        (&["--android-package", "com.altogic.auth", "--android-cert-sha256", "AB:CD"][..], "32 hex bytes"),
        (&["--android-package", "com.altogic.auth"][..], "--android-cert-sha256"),
        (&["--apple-app-id", "com.altogic.auth"][..], "TEAMID.bundle-id"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_altogic-local")).args(["serve", "--listen", "127.0.0.1:0"]).args(args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(says), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Contract §6: each security event is also one line of the server's log, with no secret in it.
#[tokio::test]
async fn every_security_event_is_one_log_line_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let server = spawn(&["serve", "--listen", "127.0.0.1:0", "--data-dir", dir.path().to_str().unwrap(), "--client-key", "log-key", "--email-verification", "false"]);
    let client = AltogicClient::new(&server.url, "log-key", ClientOptions::default()).unwrap();
    let password = "lantern orchid velvet";
    let grant = client.auth().sign_up_with_name("log@example.com", password, "L").await.unwrap();
    let token = grant.session.unwrap().token;
    assert!(client.auth().sign_in_with_email("log@example.com", "not the password").await.is_err());
    client.auth().sign_in_with_email("log@example.com", password).await.unwrap();
    let events = client.auth().security_events(100).await.unwrap();
    assert_eq!(events.len(), 3, "{events:?}");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let text = server.log.lock().unwrap().join("\n");
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("security event")).collect();
    let kinds: Vec<&str> = lines.iter().map(|l| ["sign-in-failed", "sign-in"].into_iter().find(|k| l.contains(&format!("event={k}")) || l.contains(&format!("event=\"{k}\""))).unwrap_or("?")).collect();
    assert_eq!(kinds, ["sign-in", "sign-in-failed", "sign-in"], "{text}");
    let verifier = token.split('.').nth(1).unwrap();
    for secret in [password, "not the password", token.as_str(), verifier] {
        assert!(!text.contains(secret), "the log holds a secret: {secret}");
    }
}

/// `--log-format json`: one JSON object a line, each request's with its id; and a whole run's log
/// holds none of the run's passwords, tokens, link keys or codes.
#[tokio::test]
async fn json_logs_carry_request_ids_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let server = spawn(&["serve", "--log-format", "json", "--listen", "127.0.0.1:0", "--data-dir", dir.path().to_str().unwrap(), "--client-key", "json-key", "--email-verification", "true"]);
    let token = mailbox_token(&server);
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mailbox = |to: &'static str| {
        let (http, url, token) = (http.clone(), server.url.clone(), token.clone());
        async move {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            let mailbox: altogic::Mailbox = http.get(format!("{url}/_local/v1/mail?to={to}")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
            mailbox.messages
        }
    };
    let client = AltogicClient::new(&server.url, "json-key", ClientOptions::default()).unwrap();
    let (password, new_password) = ("lantern orchid velvet", "harbour mosaic tangerine");
    client.auth().sign_up_with_name("json@example.com", password, "J").await.unwrap();
    let confirm = mailbox("json@example.com").await.remove(0);
    let location = http.get(&confirm.link).send().await.unwrap().headers()["location"].to_str().unwrap().to_string();
    let access = location.split("access_token=").nth(1).unwrap().split('&').next().unwrap().to_string();
    let (_, session) = client.auth().get_auth_grant(&access).await.unwrap();
    client.auth().send_reset_pwd_email("json@example.com").await.unwrap();
    let reset = mailbox("json@example.com").await.remove(0);
    assert_eq!(reset.action, "reset-pwd");
    let location = http.get(&reset.link).send().await.unwrap().headers()["location"].to_str().unwrap().to_string();
    let reset_access = location.split("access_token=").nth(1).unwrap().split('&').next().unwrap().to_string();
    client.auth().reset_pwd_with_token(&reset_access, new_password).await.unwrap();
    let (_, second) = client.auth().sign_in_with_email("json@example.com", new_password).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let log = server.log.lock().unwrap().clone();
    let objects: Vec<serde_json::Value> = log.iter().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not one JSON object: {l}: {e}"))).collect();
    let with_request: Vec<&serde_json::Value> = objects.iter().filter(|o| o["span"]["name"] == "request").collect();
    assert!(!with_request.is_empty(), "{log:?}");
    assert!(with_request.iter().all(|o| o["span"]["request_id"].as_str().is_some_and(|id| !id.is_empty())), "{log:?}");
    assert!(objects.iter().any(|o| o["fields"]["event"] == "sign-in"), "security events are lines of the log too");
    let text = log.join("\n");
    let key_of = |link: &str| link.split("key=").nth(1).unwrap().split('&').next().unwrap().to_string();
    let (confirm_key, reset_key) = (key_of(&confirm.link), key_of(&reset.link));
    for secret in [password, new_password, &session.token, &second.token, &access, &reset_access, &confirm_key, &reset_key, &confirm.code, &reset.code, &token] {
        let verifier = secret.split('.').nth(1).unwrap_or(secret);
        assert!(!text.contains(secret) && !text.contains(verifier), "the log holds a secret: {secret}");
    }
}
