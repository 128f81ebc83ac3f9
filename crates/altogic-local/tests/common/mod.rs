//! Test harness: a real altogic-local on a random loopback port, in a temp data dir, driven over
//! HTTP by the real Rust client.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use altogic::{AltogicClient, ClientOptions, MailMessage, Mailbox, RedirectParams};
use altogic_local::{Config, RunningServer};

pub const PASSWORD: &str = "correct horse battery";
pub const MAILBOX_TOKEN: &str = "test-mailbox-token-0123456789abcdef";

pub struct TestServer {
    pub server: RunningServer,
    pub http: reqwest::Client,
    _dir: Option<tempfile::TempDir>,
}

/// With `ALTOGIC_TEST_DATABASE_URL` (an admin URL of a PostgreSQL cluster; scripts/test.sh
/// starts one), every test server gets a fresh PostgreSQL database, migrated; else SQLite in a
/// temp dir. The whole suite runs against both stores that way.
pub async fn database_url() -> Option<String> {
    use sqlx::Connection;
    let admin = std::env::var("ALTOGIC_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())?;
    let name = format!("t_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("the test PostgreSQL answers");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
    let (base, _) = admin.rsplit_once('/').expect("a URL with a database");
    Some(format!("{base}/{name}"))
}

pub async fn server(configure: impl FnOnce(&mut Config)) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::loopback(dir.path());
    config.database_url = database_url().await;
    config.database_pool = 4;
    config.client_key = Some("test-client-key".into());
    config.mailbox_token = Some(MAILBOX_TOKEN.into());
    config.redirect_url = "altogic-auth://auth-redirect".into();
    config.auth_rate_limit = 0;
    config.mail_rate_limit = 0;
    config.mail_rate_limit_per_client = 0;
    configure(&mut config);
    if config.database_url.is_some() {
        altogic_local::migrate(&config).await.expect("migrations apply");
    }
    let server = altogic_local::start(config).await.expect("server starts");
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestServer { server, http, _dir: Some(dir) }
}

pub async fn verifying() -> TestServer {
    server(|_| {}).await
}

pub async fn open() -> TestServer {
    server(|c| c.email_verification = false).await
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh address per call.
pub fn email(tag: &str) -> String {
    format!("{tag}{}-{}@example.com", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

impl TestServer {
    /// A server started by the test itself (its data dir is the test's to keep).
    pub fn wrap(server: RunningServer) -> TestServer {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        TestServer { server, http, _dir: None }
    }

    pub fn client(&self) -> AltogicClient {
        self.client_with(ClientOptions::default())
    }

    pub fn client_with(&self, options: ClientOptions) -> AltogicClient {
        AltogicClient::new(&self.server.url, &self.server.client_key, options).unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.server.url, path)
    }

    /// The dev mailbox now (mail requests are answered before their mail is written).
    pub async fn mails(&self, to: &str) -> Vec<MailMessage> {
        mailbox(&self.http, &self.server.url, MAILBOX_TOKEN, to).await
    }

    /// The mails to `to` once there are at least `n` (waits up to 5 s).
    pub async fn wait_mails(&self, to: &str, n: usize) -> Vec<MailMessage> {
        wait_for_mails(&self.http, &self.server.url, MAILBOX_TOKEN, to, n).await
    }

    pub async fn latest_mail(&self, to: &str) -> MailMessage {
        self.wait_mails(to, 1).await.into_iter().next().unwrap()
    }

    /// The newest mail to `to` after the `seen` ones arrived.
    pub async fn next_mail(&self, to: &str, seen: usize) -> MailMessage {
        self.wait_mails(to, seen + 1).await.into_iter().next().unwrap()
    }

    /// Opens a mail link like a browser and returns where it redirects to.
    pub async fn open_link(&self, link: &str) -> RedirectParams {
        follow_link(&self.http, link).await
    }

    /// Signs a new verified user up and in; returns the client holding the session.
    pub async fn signed_in_user(&self, tag: &str) -> (AltogicClient, String) {
        let email = email(tag);
        let client = self.client();
        let grant = client.auth().sign_up_with_name(&email, PASSWORD, "Test User").await.unwrap();
        if grant.session.is_none() {
            let mail = self.latest_mail(&email).await;
            let redirect = self.open_link(&mail.link).await;
            client.auth().get_auth_grant(redirect.access_token.as_deref().unwrap()).await.unwrap();
        }
        (client, email)
    }

    /// A raw request with the client key, for the bad-input tests.
    pub fn raw(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).header("X-Client-Key", &self.server.client_key)
    }
}

/// A REST call (`/_api/rest/v1{path}`) with the client key, and a session, a user agent and a JSON
/// body if given: its status and JSON answer (Null when it has none).
pub async fn call_as(t: &TestServer, method: reqwest::Method, path: &str, session: Option<&str>, user_agent: Option<&str>, body: Option<serde_json::Value>) -> (u16, serde_json::Value) {
    let mut req = t.raw(method, &format!("/_api/rest/v1{path}"));
    if let Some(s) = session {
        req = req.header("Session", s);
    }
    if let Some(ua) = user_agent {
        req = req.header("User-Agent", ua);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
}

/// Uploads the PNG as `name` to the root bucket with `session` (upload-object); the file's info.
pub async fn upload_png(t: &TestServer, session: &str, name: &str) -> serde_json::Value {
    let resp = t
        .raw(reqwest::Method::POST, &format!("/_api/rest/v1/storage/bucket/upload-object?bucket=root&fileName={name}"))
        .header("Session", session)
        .header("Content-Type", "image/png")
        .body(PNG.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

/// [`call_as`] without a user agent.
pub async fn call(t: &TestServer, method: reqwest::Method, path: &str, session: Option<&str>, body: Option<serde_json::Value>) -> (u16, serde_json::Value) {
    call_as(t, method, path, session, None, body).await
}

/// Counts calls of the session-invalidated hook.
pub fn counting_hook() -> (Arc<AtomicUsize>, Arc<dyn Fn() + Send + Sync>) {
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    (count, Arc::new(move || {
        c.fetch_add(1, Ordering::SeqCst);
    }))
}

/// A valid 1×1 PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
    0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05, 0x00,
    0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// A request sent over a raw connection with its body held back: the server has read the head
/// (and authenticated the session) before [`Held::finish`] sends the last bytes.
pub struct Held {
    stream: tokio::net::TcpStream,
    rest: Vec<u8>,
}

impl TestServer {
    /// POSTs `body` to `path` with the client key and `session`, all but its last byte.
    pub async fn hold(&self, path: &str, session: &str, body: &serde_json::Value) -> Held {
        use tokio::io::AsyncWriteExt;
        let body = serde_json::to_vec(body).unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nX-Client-Key: {}\r\nSession: {session}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.server.addr,
            self.server.client_key,
            body.len()
        );
        let mut stream = tokio::net::TcpStream::connect(self.server.addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(&body[..body.len() - 1]).await.unwrap();
        stream.flush().await.unwrap();
        // Give the server time to parse the head and run the session check.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        Held { stream, rest: body[body.len() - 1..].to_vec() }
    }

    /// A full password reset through the mailed link, as the owner of the mailbox does it.
    pub async fn reset_password(&self, email: &str, new_password: &str) {
        let seen = self.mails(email).await.len();
        let client = self.client();
        client.auth().send_reset_pwd_email(email).await.unwrap();
        let mail = self.next_mail(email, seen).await;
        assert_eq!(mail.action, "reset-pwd");
        let redirect = self.open_link(&mail.link).await;
        client.auth().reset_pwd_with_token(redirect.access_token.as_deref().unwrap(), new_password).await.unwrap();
    }
}

impl Held {
    /// A request whose head and all but `rest` of its body were written to `stream`.
    pub fn from_parts(stream: tokio::net::TcpStream, rest: Vec<u8>) -> Held {
        Held { stream, rest }
    }

    /// Sends the rest of the body; returns the status and the JSON answer.
    pub async fn finish(mut self) -> (u16, serde_json::Value) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        self.stream.write_all(&self.rest).await.unwrap();
        let mut raw = Vec::new();
        self.stream.read_to_end(&mut raw).await.unwrap();
        parse_response(&raw)
    }
}

/// Status and JSON body of a raw HTTP/1.1 answer (not chunked: the server sends a length).
pub fn parse_response(raw: &[u8]) -> (u16, serde_json::Value) {
    let text = String::from_utf8_lossy(raw);
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(serde_json::Value::Null))
}

/// The error code of a JSON error answer.
pub fn error_code(body: &serde_json::Value) -> &str {
    body["errors"][0]["code"].as_str().unwrap_or("")
}

/// Runs the futures concurrently on this task and returns their outputs in order (a small
/// `join_all`, so the tests need no futures crate).
pub async fn join_all<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pending: Vec<_> = futures.map(|f| Some(Box::pin(f))).collect();
    let mut results: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut waiting = false;
        for (slot, result) in pending.iter_mut().zip(results.iter_mut()) {
            if let Some(future) = slot {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => {
                        *result = Some(value);
                        *slot = None;
                    }
                    std::task::Poll::Pending => waiting = true,
                }
            }
        }
        if waiting {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results.into_iter().map(|r| r.expect("every future finished")).collect()
}

/// The dev mailbox of the server at `base_url`, read with its token.
pub async fn mailbox(http: &reqwest::Client, base_url: &str, token: &str, to: &str) -> Vec<MailMessage> {
    let resp = http.get(format!("{base_url}/_local/v1/mail")).query(&[("to", to)]).bearer_auth(token).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    resp.json::<Mailbox>().await.unwrap().messages
}

/// The mails to `to` once there are at least `n` (waits up to 5 s).
pub async fn wait_for_mails(http: &reqwest::Client, base_url: &str, token: &str, to: &str, n: usize) -> Vec<MailMessage> {
    for _ in 0..100 {
        let mails = mailbox(http, base_url, token, to).await;
        if mails.len() >= n {
            return mails;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let subjects: Vec<String> = mailbox(http, base_url, token, to).await.into_iter().map(|m| m.subject).collect();
    panic!("fewer than {n} mails to {to}: {subjects:?}");
}

/// Opens a mail link like a browser (`http` must not follow redirects) and returns the app
/// redirect it answers with.
pub async fn follow_link(http: &reqwest::Client, link: &str) -> RedirectParams {
    let resp = http.get(link).send().await.unwrap();
    assert_eq!(resp.status(), 302, "a mail link redirects");
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("altogic-auth://auth-redirect?"), "{location}");
    RedirectParams::parse(&location).unwrap()
}
