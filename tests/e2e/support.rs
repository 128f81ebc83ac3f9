//! Harness for the end-to-end tests: a real altogic-local, tauri-driver + WebKitWebDriver, and the
//! app binary under test with private XDG dirs. Run under Xvfb and a private D-Bus session
//! (scripts/test.sh does), one test at a time (the app is single-instance).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use altogic::{AltogicClient, ClientOptions, RedirectParams};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

pub const PASSWORD: &str = "correct horse battery";

/// Which backend the app under test is given.
#[derive(Clone, Copy, PartialEq)]
pub enum AppBackend {
    /// The test's altogic-local (ALTOGIC_ENV_URL / ALTOGIC_CLIENT_KEY).
    TestServer,
    /// None configured: the app starts its built-in one.
    Embedded,
    /// A URL where nothing listens.
    Down,
    /// Nothing configured, in a distribution build: the backend baked into it.
    Baked,
}

pub struct Harness {
    pub backend: AppBackend,
    pub server: altogic_local::RunningServer,
    pub home: tempfile::TempDir,
    pub http: reqwest::Client,
    /// What `launch` starts: the app under test, unless a test or benchmark puts another here (the
    /// cold-start benchmark's bare Tauri app).
    pub app_binary: PathBuf,
    driver: Option<Child>,
    driver_port: u16,
    /// More of the app's environment (the dark theme's `GTK_THEME`).
    extra_env: Vec<(String, String)>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn tauri_driver() -> PathBuf {
    if let Ok(path) = std::env::var("TAURI_DRIVER") {
        return path.into();
    }
    let home = std::env::var("HOME").unwrap_or_default();
    let cargo_bin = Path::new(&home).join(".cargo/bin/tauri-driver");
    if cargo_bin.exists() {
        cargo_bin
    } else {
        "tauri-driver".into()
    }
}

pub fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Harness {
    pub async fn new() -> Harness {
        Self::with(AppBackend::TestServer).await
    }

    pub async fn with(backend: AppBackend) -> Harness {
        Self::with_server(backend, |_| {}).await
    }

    /// A distribution build of the app (`ALTOGIC_DISTRIBUTION_BIN`, made by scripts/test.sh with
    /// the backend `http://127.0.0.1:$ALTOGIC_DISTRIBUTION_PORT` and key `$ALTOGIC_DISTRIBUTION_KEY`
    /// baked in), and the test's altogic-local at that address.
    pub async fn distribution() -> Harness {
        let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: scripts/test.sh builds the distribution app and sets it"));
        let (bin, port, key) = (var("ALTOGIC_DISTRIBUTION_BIN"), var("ALTOGIC_DISTRIBUTION_PORT"), var("ALTOGIC_DISTRIBUTION_KEY"));
        let port: u16 = port.parse().unwrap();
        let mut h = Self::with_server(AppBackend::Baked, |c| {
            c.listen.set_port(port);
            c.client_key = Some(key);
        })
        .await;
        // The driver starts the binary named at each launch.
        h.app_binary = bin.into();
        h
    }

    async fn with_server(backend: AppBackend, configure: impl FnOnce(&mut altogic_local::Config)) -> Harness {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let home = tempfile::tempdir().unwrap();
        // The app's Downloads folder (saved recovery codes) is private too: XDG user dirs are
        // read from the private config dir.
        std::fs::create_dir_all(home.path().join("config")).unwrap();
        std::fs::write(home.path().join("config/user-dirs.dirs"), format!("XDG_DOWNLOAD_DIR=\"{}\"\n", home.path().join("downloads").display())).unwrap();
        let mut config = altogic_local::Config::loopback(home.path().join("server"));
        config.client_key = Some("e2e-client-key".into());
        config.redirect_url = "altogic-auth://auth-redirect".into();
        config.auth_rate_limit = 0;
        config.mail_rate_limit = 0;
        configure(&mut config);
        let server = altogic_local::start(config).await.unwrap();
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let app_binary = env!("CARGO_BIN_EXE_altogic-auth").into();
        let mut h = Harness { backend, server, home, http, app_binary, driver: None, driver_port: free_port(), extra_env: Vec::new() };
        h.start_driver().await;
        h
    }

    /// The environment the app (and a second launch of it) sees.
    pub fn app_env(&self) -> Vec<(String, String)> {
        let p = |d: &str| self.home.path().join(d).to_string_lossy().into_owned();
        let mut env = vec![
            ("XDG_DATA_HOME".into(), p("data")),
            ("XDG_CONFIG_HOME".into(), p("config")),
            ("XDG_CACHE_HOME".into(), p("cache")),
            ("ALTOGIC_AUTH_LOG".into(), "warn".into()),
        ];
        let (url, key) = match self.backend {
            AppBackend::TestServer => (self.server.url.clone(), self.server.client_key.clone()),
            AppBackend::Embedded | AppBackend::Baked => (String::new(), String::new()),
            AppBackend::Down => (format!("http://127.0.0.1:{}", free_port()), "k".into()),
        };
        env.push(("ALTOGIC_ENV_URL".into(), url));
        env.push(("ALTOGIC_CLIENT_KEY".into(), key));
        env.extend(self.extra_env.iter().cloned());
        env
    }

    /// A harness whose app runs with GTK's dark theme, which WebKit reports to the page as
    /// `prefers-color-scheme: dark`.
    pub async fn dark(backend: AppBackend) -> Harness {
        let mut h = Harness::with(backend).await;
        h.set_env("GTK_THEME", "Adwaita:dark").await;
        h
    }

    /// Adds `key=value` to the environment of the app's next launches (no app may be running).
    pub async fn set_env(&mut self, key: &str, value: &str) {
        self.extra_env.retain(|(k, _)| k != key);
        self.extra_env.push((key.into(), value.into()));
        self.stop_driver();
        self.start_driver().await;
    }

    fn stop_driver(&mut self) {
        if let Some(mut d) = self.driver.take() {
            // Killing only tauri-driver would leave WebKitWebDriver and the app running, and the
            // next launch would hand itself to that instance (single-instance) and hang.
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", d.id())]).status();
            let _ = d.wait();
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    async fn start_driver(&mut self) {
        use std::os::unix::process::CommandExt;
        let child = Command::new(tauri_driver())
            // Its own process group: tauri-driver, WebKitWebDriver and the app all end together.
            .process_group(0)
            .args(["--port", &self.driver_port.to_string(), "--native-port", &free_port().to_string()])
            .envs(self.app_env())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tauri-driver runs (cargo install tauri-driver --locked)");
        self.driver = Some(child);
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.driver_port)).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("tauri-driver did not start");
    }

    /// Launches the app and returns a WebDriver session on its window.
    pub async fn launch(&self) -> App {
        self.launch_with_args(&[]).await
    }

    /// Launches the app with command-line arguments (a deep link, for a cold start by link).
    pub async fn launch_with_args(&self, args: &[&str]) -> App {
        let app = self.session(args).await;
        app.wait_for("main").await;
        app
    }

    /// Launches the app and returns its WebDriver session at once: its page may still be loading.
    pub async fn session(&self, args: &[&str]) -> App {
        let caps = json!({ "browserName": "wry", "tauri:options": { "application": self.app_binary, "args": args } });
        let url = format!("http://127.0.0.1:{}", self.driver_port);
        let connect = || async {
            let mut builder = ClientBuilder::rustls().expect("rustls");
            builder.capabilities(caps.as_object().unwrap().clone());
            // A session hangs if the app exits early (e.g. another instance is running): bound it.
            tokio::time::timeout(Duration::from_secs(60), builder.connect(&url)).await
        };
        let client = match connect().await.expect("the app started within 60 s") {
            Ok(client) => client,
            // tauri-driver dropped the request (see `dropped`): whatever it started is stopped,
            // and the session asked for again, once.
            Err(e @ (fantoccini::error::NewSessionError::FailedC(_) | fantoccini::error::NewSessionError::Failed(_) | fantoccini::error::NewSessionError::Lost(_))) => {
                eprintln!("webdriver: the new-session request was dropped ({e:?}); starting the app again");
                for pid in processes_of(&self.app_binary) {
                    let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
                connect().await.expect("the app started within 60 s").expect("a WebDriver session on the app")
            }
            Err(e) => panic!("a WebDriver session on the app: {e:?}"),
        };
        App { client, binary: self.app_binary.clone() }
    }

    /// Delivers a deep link the way the OS does on Linux: a second launch with the URL, which
    /// hands it to the running instance and exits.
    pub fn deep_link(&self, url: &str) {
        let status = Command::new(&self.app_binary).arg(url).envs(self.app_env()).stdout(Stdio::null()).stderr(Stdio::null()).status().unwrap();
        assert!(status.success(), "the second launch exits cleanly");
    }

    pub fn client(&self) -> AltogicClient {
        AltogicClient::new(&self.server.url, &self.server.client_key, ClientOptions::default()).unwrap()
    }

    /// The code an authenticator app with `secret` shows after the server's clock moved on to a
    /// step no code was used in (a code works once).
    pub fn next_code(&self, secret: &[u8]) -> String {
        use altogic_local::totp::{code_at, step_of, STEP_SECS};
        self.server.state.clock.advance(STEP_SECS);
        code_at(secret, step_of(self.server.state.clock.now()))
    }

    /// The newest mail of `action` to `to`, waiting for it (mail requests are answered before
    /// their mail is written).
    pub async fn latest_mail(&self, to: &str, action: &str) -> altogic::MailMessage {
        let token = self.server.mailbox_token.as_deref().expect("the test server keeps a mailbox");
        for _ in 0..50 {
            let mailbox: altogic::Mailbox = self
                .http
                .get(format!("{}/_local/v1/mail", self.server.url))
                .query(&[("to", to)])
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if let Some(m) = mailbox.messages.into_iter().find(|m| m.action == action) {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no {action} mail to {to}");
    }

    /// Opens a mail link like a browser and returns the deep link it redirects to.
    pub async fn follow(&self, link: &str) -> String {
        let resp = self.http.get(link).send().await.unwrap();
        let location = resp.headers()["location"].to_str().unwrap().to_string();
        RedirectParams::parse(&location).expect("a redirect URL");
        location
    }

    /// A verified account made through the Rust client.
    pub async fn account(&self, tag: &str) -> String {
        let email = format!("{tag}-{}@example.com", std::process::id());
        let c = self.client();
        c.auth().sign_up_with_name(&email, PASSWORD, "Robin").await.unwrap();
        let mail = self.latest_mail(&email, "email-confirm").await;
        let location = self.follow(&mail.link).await;
        let token = RedirectParams::parse(&location).unwrap().access_token.unwrap();
        c.auth().get_auth_grant(&token).await.unwrap();
        email
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.stop_driver();
    }
}

pub struct App {
    pub client: Client,
    /// The binary it runs: `close` waits until no process of it is left.
    binary: PathBuf,
}

/// The pids of processes running `binary` (their command line names it).
pub fn processes_of(binary: &Path) -> Vec<u32> {
    let out = Command::new("pgrep").arg("-f").arg(binary).output().expect("pgrep (procps) is installed");
    String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.trim().parse().ok()).collect()
}

/// tauri-driver 2.1 now and then drops a request ("connection reset by peer", about 1 in 100):
/// the transport failed, not the command.
fn dropped(e: &fantoccini::error::CmdError) -> bool {
    use fantoccini::error::CmdError::*;
    matches!(e, Failed(_) | FailedC(_) | Lost(_))
}

/// Sends an idempotent WebDriver command again, once, when its request was dropped.
async fn once_more<T, F: std::future::Future<Output = Result<T, fantoccini::error::CmdError>>>(mut command: impl FnMut() -> F) -> Result<T, fantoccini::error::CmdError> {
    match command().await {
        Err(e) if dropped(&e) => {
            eprintln!("webdriver: a dropped request ({e}); sending it again");
            command().await
        }
        answer => answer,
    }
}

impl App {
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        match once_more(|| self.client.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css(css))).await {
            Ok(el) => el,
            Err(e) => {
                let source = self.client.source().await.unwrap_or_default();
                self.screenshot("failure").await;
                panic!("{css} did not appear: {e}\npage: {source}");
            }
        }
    }

    pub async fn gone(&self, css: &str) {
        for _ in 0..200 {
            if self.client.find(Locator::Css(css)).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} is still there");
    }

    pub async fn text(&self, css: &str) -> String {
        let el = self.wait_for(css).await;
        once_more(|| el.text()).await.unwrap()
    }

    /// Waits until the element's text contains `needle`.
    pub async fn text_contains(&self, css: &str, needle: &str) -> String {
        let mut last = String::new();
        for _ in 0..200 {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                last = el.text().await.unwrap_or_default();
                if last.contains(needle) {
                    return last;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let source = self.client.source().await.unwrap_or_default();
        self.screenshot("failure").await;
        panic!("{css} never contained {needle:?} (last: {last:?})\npage: {source}");
    }

    /// Types into a field and checks the field took it: a screen that is still settling can
    /// re-render an input under the typing. Control keys (Enter, Esc) at the end are sent after.
    pub async fn fill(&self, css: &str, value: &str) {
        let text: String = value.chars().filter(|c| !('\u{E000}'..='\u{F8FF}').contains(c)).collect();
        let keys: String = value.chars().filter(|c| ('\u{E000}'..='\u{F8FF}').contains(c)).collect();
        self.autofocus_settled().await;
        let mut last = String::new();
        for _ in 0..5 {
            let el = self.wait_for(css).await;
            // Clearing first makes the whole attempt safe to repeat when a request is dropped.
            if once_more(|| el.clear()).await.is_err() || el.send_keys(&text).await.is_err() {
                continue;
            }
            // Once typing has started on a screen, its autofocus is no longer awaited.
            let _ = self.client.execute("const a = document.querySelector('[autofocus]'); if (a) a.dataset.typed = '1';", vec![]).await;
            last = once_more(|| el.prop("value")).await.unwrap().unwrap_or_default();
            if last == text {
                if !keys.is_empty() {
                    el.send_keys(&keys).await.unwrap();
                }
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("{css} holds {last:?} instead of {text:?}");
    }

    /// Clicks `css` once it is there. A click that lands on another element, or on an element
    /// that was just rendered again (the page still settling: a panel loading around it), is tried
    /// again, as a person would, for up to 5 s.
    pub async fn click(&self, css: &str) {
        for _ in 0..25 {
            let element = self.wait_for(css).await;
            match element.clone().click().await {
                Ok(()) => return,
                // Under the sticky header: WebDriver's scrolling only makes the element touch the
                // viewport. Bring it to the middle, then click again.
                Err(fantoccini::error::CmdError::Standard(e)) if e.error == fantoccini::error::ErrorStatus::ElementClickIntercepted => {
                    let _ = self.client.execute("arguments[0].scrollIntoView({block: 'center'});", vec![serde_json::to_value(&element).unwrap()]).await;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(fantoccini::error::CmdError::Standard(e))
                    if matches!(e.error, fantoccini::error::ErrorStatus::StaleElementReference | fantoccini::error::ErrorStatus::ElementNotInteractable) =>
                {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("clicking {css}: {e:?}"),
            }
        }
        self.screenshot("click-intercepted").await;
        panic!("clicking {css}: another element stays on top of it (see tests/artifacts/click-intercepted.png)");
    }

    /// WebKit applies `autofocus` a frame after a screen renders; typing before that would send
    /// keys into the wrong field when the focus jumps. Wait until it has happened.
    async fn autofocus_settled(&self) {
        let script = "const a = document.querySelector('[autofocus]'); return !a || document.activeElement === a || a.dataset.typed === '1';";
        for _ in 0..40 {
            if self.client.execute(script, vec![]).await.ok().and_then(|v| v.as_bool()) == Some(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The router's current path.
    pub async fn path(&self) -> String {
        once_more(|| self.client.execute("return window.location.pathname", vec![])).await.unwrap().as_str().unwrap_or("").to_string()
    }

    pub async fn wait_path(&self, want: &str) {
        let mut last = String::new();
        for _ in 0..200 {
            last = self.path().await;
            if last == want {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let source = self.client.source().await.unwrap_or_default();
        self.screenshot("failure").await;
        panic!("expected path {want}, still at {last}\npage: {source}");
    }

    /// Client-side navigation, as a link inside the app would do it.
    pub async fn go(&self, path: &str) {
        self.client
            .execute("history.pushState(null, '', arguments[0]); window.dispatchEvent(new PopStateEvent('popstate'));", vec![json!(path)])
            .await
            .unwrap();
    }

    /// axe on the page as it is now; its violations fail the test.
    pub async fn assert_accessible(&self, state: &str) {
        let found = self.axe(state).await;
        assert!(found.is_empty(), "{} accessibility violations:\n{}", found.len(), found.join("\n"));
    }

    /// A screenshot of a screen the tests reached, which axe also checks (not failure shots, nor
    /// the checks' own).
    pub async fn screenshot(&self, name: &str) {
        self.picture(name).await;
        if !["failure", "a11y-", "reflow-", "click-", "keyboard-"].iter().any(|p| name.starts_with(p)) {
            self.assert_accessible(name).await;
        }
    }

    async fn picture(&self, name: &str) {
        // Let the webview paint what the DOM already shows (WebKit can hand back an older frame).
        let _ = self.client.execute_async("const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done()));", vec![]).await;
        tokio::time::sleep(Duration::from_millis(250)).await;
        let png = once_more(|| self.client.screenshot()).await.unwrap();
        std::fs::write(artifacts().join(format!("{name}.png")), png).unwrap();
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
        // The instance must be gone before the next launch: single-instance would hand the new
        // one over to it, and the new WebDriver session would fail. A fixed pause was not always
        // enough on a loaded machine.
        for _ in 0..100 {
            if processes_of(&self.binary).is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

// --- accessibility (issue 22): axe-core, pinned in tests/a11y/package.json ---

const TAGS: [&str; 5] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

fn axe_source() -> &'static str {
    static SOURCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SOURCE.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/a11y/node_modules/axe-core/axe.min.js");
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (scripts/setup.sh test installs axe-core)", path.display()))
    })
}

impl App {
    /// The violations axe finds on the page as it is now, one line each; `state` names it.
    pub async fn axe(&self, state: &str) -> Vec<String> {
        let app = self;
    // A route change keeps the page, and axe with it; a reload (a restart) needs it again.
    let loaded = app.client.execute("return typeof window.axe !== 'undefined';", vec![]).await.unwrap();
    if loaded != serde_json::Value::Bool(true) {
        app.client.execute(&format!("{};\nreturn true;", axe_source()), vec![]).await.unwrap();
    }
    let script = r#"
        const done = arguments[arguments.length - 1];
        axe.run(document, { runOnly: { type: 'tag', values: arguments[0] }, resultTypes: ['violations'] })
          .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
                 nodes: v.nodes.map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\s+/g, ' ')) }))))
          .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), url: '', nodes: [] }]));
    "#;
    let found = app.client.execute_async(script, vec![serde_json::json!(TAGS)]).await.unwrap();
    let mut violations = found.as_array().cloned().unwrap_or_default();
    // Beyond axe's WCAG rules: one h1 a screen (a dialog has its own h2), and a title.
    let outline = app.client.execute("return { h1: document.querySelectorAll('h1').length, title: document.title };", vec![]).await.unwrap();
    if outline["h1"] != 1 || outline["title"].as_str().unwrap_or("").is_empty() {
        violations.push(serde_json::json!({ "id": "one-h1-and-a-title", "impact": "serious", "help": format!("a screen has one h1 and a document title: {outline}"), "url": "https://www.w3.org/WAI/WCAG22/Understanding/page-titled", "nodes": [] }));
    }
    if !violations.is_empty() {
        app.picture(&format!("a11y-{state}")).await;
    }
    violations
        .iter()
        .map(|v| {
            let nodes: Vec<&str> = v["nodes"].as_array().map(|n| n.iter().filter_map(|x| x.as_str()).collect()).unwrap_or_default();
            format!("[{state}] {} ({}): {}\n    {}\n    {}", v["id"].as_str().unwrap_or(""), v["impact"].as_str().unwrap_or(""), v["help"].as_str().unwrap_or(""), v["url"].as_str().unwrap_or(""), nodes.join("\n    "))
        })
        .collect()
}
}
