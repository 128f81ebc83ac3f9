//! Benchmark (not a test): the app's cold start to an interactive Login screen against a bare
//! Tauri 2 app (bench/bare-tauri: the same window config, one page with one button), both release
//! builds, through the same WebDriver path. Run under a display and D-Bus, e.g.
//! `xvfb-run -a dbus-run-session -- cargo bench --bench cold_start` after building the bare app
//! (bench/cold-start.sh does both; BARE_TAURI_BIN names its binary when it is not in ./target/release).
//!
//! Each sample launches a fresh process with empty private data dirs and times, from the launch:
//! the first screen's button clicked (the app's Home Login link, the bare page's button), then what
//! the click shows (the Login form; the bare page's "Clicked"). The two programs take turns, so a
//! change in the machine's load touches both alike. The app runs as first installed: no backend
//! configured, so it starts its built-in one (COLD_START_BACKEND=configured gives it the harness's
//! server instead).

#[path = "../tests/e2e/support.rs"]
mod e2e_support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use e2e_support::{App, AppBackend, Harness};
use fantoccini::{elements::Element, Locator};

const SAMPLES: usize = 7;
/// How often the page is looked at while waiting; each look is a WebDriver round trip of a few ms.
const POLL: Duration = Duration::from_millis(10);
/// The target: the app's cold start at most this many times the bare app's.
const TARGET_RATIO: f64 = 1.3;

/// One program under test and the screen it is timed to.
struct Subject {
    name: &'static str,
    binary: PathBuf,
    backend: AppBackend,
    /// Clicked once it can be: the first screen is interactive.
    button: &'static str,
    /// What the click brings up.
    shown: &'static str,
}

#[derive(Default)]
struct Samples {
    clicked: Vec<Duration>,
    shown: Vec<Duration>,
    /// Launch → the page's navigation start (the process, the webview, its web process).
    to_page: Vec<Duration>,
}

#[tokio::main]
async fn main() {
    let backend = match std::env::var("COLD_START_BACKEND").as_deref() {
        Ok("configured") => AppBackend::TestServer,
        Ok("embedded") | Err(_) => AppBackend::Embedded,
        Ok(other) => panic!("COLD_START_BACKEND is embedded or configured, not {other:?}"),
    };
    let bare = Subject { name: "bare Tauri", binary: bare_binary(), backend: AppBackend::TestServer, button: "#bare-button", shown: "#bare-clicked" };
    let app = Subject { name: "app", binary: env!("CARGO_BIN_EXE_altogic-auth").into(), backend, button: "#home-login", shown: "#login-button" };

    // The Dioxus floor app's page inside the bare app (FLOOR_TAURI_BIN; bench/cold-start.sh):
    // how soon any Dioxus UI of the app's features can take a click in this webview.
    let floor = std::env::var_os("FLOOR_TAURI_BIN").map(|binary| Subject { name: "Dioxus floor in bare Tauri", binary: binary.into(), backend: AppBackend::TestServer, button: "#floor-button", shown: "#floor-clicked" });

    // A warm-up, left out: the first launch of each also pays for a cold page cache (its binary,
    // WebKit) and the D-Bus session's first activations (accessibility bus, keyring).
    sample(&bare).await;
    sample(&app).await;
    if let Some(f) = &floor {
        sample(f).await;
    }
    let (mut bare_samples, mut app_samples, mut floor_samples) = (Samples::default(), Samples::default(), Samples::default());
    for _ in 0..SAMPLES {
        record(&mut bare_samples, sample(&bare).await);
        record(&mut app_samples, sample(&app).await);
        if let Some(f) = &floor {
            record(&mut floor_samples, sample(f).await);
        }
    }

    let app_backend = if backend == AppBackend::Embedded { "built-in backend" } else { "configured backend" };
    println!("launch → first button clicked: app ({app_backend}) {}; bare Tauri {}", report(&mut app_samples.clicked), report(&mut bare_samples.clicked));
    println!("launch → click shown: app Login form {}; bare Tauri \"Clicked\" {}", report(&mut app_samples.shown), report(&mut bare_samples.shown));
    let (app_ms, bare_ms) = (ms(median(&app_samples.clicked)), ms(median(&bare_samples.clicked)));
    println!("cold start median: app {app_ms:.0} ms, bare Tauri {bare_ms:.0} ms, ratio {:.2} (target <= {TARGET_RATIO})", app_ms / bare_ms);
    let (app_ms, bare_ms) = (ms(median(&app_samples.shown)), ms(median(&bare_samples.shown)));
    println!("cold start to the Login form, median: app {app_ms:.0} ms, bare Tauri click shown {bare_ms:.0} ms, ratio {:.2}", app_ms / bare_ms);
    println!("launch → page's navigation start: app {}; bare Tauri {} (the rest of the cold start is the page's own)", report(&mut app_samples.to_page), report(&mut bare_samples.to_page));
    if floor.is_some() {
        let (app_ms, bare_ms, floor_ms) = (ms(median(&app_samples.clicked)), ms(median(&bare_samples.clicked)), ms(median(&floor_samples.clicked)));
        println!("launch → first button clicked: Dioxus floor in bare Tauri {}", report(&mut floor_samples.clicked));
        println!("cold start floor: Dioxus floor app {floor_ms:.0} ms, ratio to bare Tauri {:.2}; the app to the floor {:.2}", floor_ms / bare_ms, app_ms / floor_ms);
    }
    let app_memory = memory_after_sign_in(&app).await;
    let bare_memory = memory_after_click(&bare).await;
    println!("memory after sign-in: app {}; bare Tauri after its click {}", app_memory.describe(), bare_memory.describe());
    let (a, b) = (app_memory.total_mib(), bare_memory.total_mib());
    println!("memory ratio: app {a:.1} MiB, bare Tauri {b:.1} MiB, ratio {:.2} (target <= {TARGET_RATIO})", a / b);
}

/// Resident memory (VmRSS) of a program's processes: its own, then each WebKit process it started.
struct Memory {
    own_kib: u64,
    children: Vec<(String, u64)>,
}

impl Memory {
    fn of(binary: &std::path::Path) -> Memory {
        let pid = newest_pid_of(binary).expect("the program's process");
        let children = descendants(pid).into_iter().map(|p| (process_name(p), rss_kib(p))).collect();
        Memory { own_kib: rss_kib(pid), children }
    }
    fn total_mib(&self) -> f64 {
        (self.own_kib + self.children.iter().map(|(_, k)| k).sum::<u64>()) as f64 / 1024.0
    }
    fn describe(&self) -> String {
        let parts: Vec<String> = self.children.iter().map(|(name, kib)| format!("{name} {:.1}", *kib as f64 / 1024.0)).collect();
        format!("{:.1} MiB (own process {:.1}; {})", self.total_mib(), self.own_kib as f64 / 1024.0, parts.join(", "))
    }
}

/// The app's resident memory once a user has signed in, with a configured backend (the harness's
/// server, so a built-in server's memory is not in it), WebKit's processes included.
async fn memory_after_sign_in(s: &Subject) -> Memory {
    let mut h = Harness::with(AppBackend::TestServer).await;
    h.app_binary = s.binary.clone();
    let email = h.account("rss").await;
    let app = h.session(&[]).await;
    find(&app, "#home-login").await.click().await.expect("Login opens");
    app.fill("#email", &email).await;
    app.fill("#password", e2e_support::PASSWORD).await;
    app.click("#login-button").await;
    app.wait_path("/profile").await;
    tokio::time::sleep(Duration::from_secs(2)).await; // the profile's picture and sessions load
    let memory = Memory::of(&s.binary);
    app.close().await;
    memory
}

/// The bare app's resident memory after its button was clicked (its whole use), measured alike.
async fn memory_after_click(s: &Subject) -> Memory {
    let mut h = Harness::with(s.backend).await;
    h.app_binary = s.binary.clone();
    let app = h.session(&[]).await;
    find(&app, s.button).await.click().await.expect("the bare app's button");
    find(&app, s.shown).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let memory = Memory::of(&s.binary);
    app.close().await;
    memory
}

fn process_name(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).map(|c| c.trim().to_string()).unwrap_or_else(|_| pid.to_string())
}

fn newest_pid_of(binary: &std::path::Path) -> Option<u32> {
    let out = std::process::Command::new("pgrep").args(["-n", "-f", &binary.display().to_string()]).output().ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).unwrap_or(0)
}

fn descendants(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        let tasks = std::fs::read_dir(format!("/proc/{p}/task")).into_iter().flatten().flatten();
        for task in tasks {
            let children = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
                found.push(child);
                todo.push(child);
            }
        }
    }
    found
}

/// BARE_TAURI_BIN, else where bench/cold-start.sh builds it.
fn bare_binary() -> PathBuf {
    let path = std::env::var_os("BARE_TAURI_BIN").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/bare-tauri"));
    assert!(
        path.is_file(),
        "no bare Tauri app at {} (build it: cargo build --release --locked --manifest-path bench/bare-tauri/Cargo.toml --target-dir target, or set BARE_TAURI_BIN)",
        path.display()
    );
    path
}

/// One cold start of `s`: the time to its button clicked and to what the click shows.
async fn sample(s: &Subject) -> (Duration, Duration, Duration) {
    // Started before the clock: the harness's own server and tauri-driver are not the program's.
    let mut h = Harness::with(s.backend).await;
    h.app_binary = s.binary.clone();
    let start = Instant::now();
    let launched_epoch_ms = epoch_ms();
    let app = h.session(&[]).await;
    // WebDriver's click fails unless the element can take it (shown, in view, not covered).
    while let Err(e) = find(&app, s.button).await.click().await {
        assert!(start.elapsed() < Duration::from_secs(20), "{} cannot be clicked: {e}", s.button);
        tokio::time::sleep(POLL).await;
    }
    let clicked = start.elapsed();
    find(&app, s.shown).await;
    let shown = start.elapsed();
    // Where the time went: before the page (process, webview) and in it (scripts, wasm, render).
    let origin = app.client.execute("return performance.timeOrigin", vec![]).await.ok().and_then(|v| v.as_f64()).unwrap_or(launched_epoch_ms);
    let to_page = Duration::from_secs_f64(((origin - launched_epoch_ms) / 1000.0).max(0.0));
    app.close().await;
    eprintln!("{}: clicked {:.0} ms, shown {:.0} ms, page started at {:.0} ms", s.name, ms(clicked), ms(shown), ms(to_page));
    (clicked, shown, to_page)
}

fn epoch_ms() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64() * 1000.0
}

/// The element once it is on the page, looked for every POLL: the harness's waits look every
/// 250 ms, too coarse for figures of a few hundred ms.
async fn find(app: &App, css: &str) -> Element {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        // An error is the element not there yet, or a request tauri-driver dropped: look again.
        if let Ok(el) = app.client.find(Locator::Css(css)).await {
            return el;
        }
        assert!(Instant::now() < deadline, "{css} did not appear within 20 s");
        tokio::time::sleep(POLL).await;
    }
}

fn record(into: &mut Samples, (clicked, shown, to_page): (Duration, Duration, Duration)) {
    into.clicked.push(clicked);
    into.shown.push(shown);
    into.to_page.push(to_page);
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

fn report(samples: &mut [Duration]) -> String {
    samples.sort();
    format!("median {:.0} ms, min {:.0} ms, max {:.0} ms ({} samples)", ms(median(samples)), ms(samples[0]), ms(samples[samples.len() - 1]), samples.len())
}
