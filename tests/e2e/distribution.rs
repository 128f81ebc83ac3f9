//! A distribution build, as users get it: its backend baked in (a loopback altogic-local this test
//! starts), no built-in backend, no Dev mailbox. scripts/test.sh builds it and runs only these
//! tests with it (`distribution::`); the default build's run skips them.

use super::*;

/// The TCP sockets process `pid` listens on (its socket inodes found LISTENing in /proc/net/tcp*).
fn listening_sockets(pid: u32) -> Vec<String> {
    let inodes: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|dir| dir.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok()).filter_map(|target| target.to_str()?.strip_prefix("socket:[")?.strip_suffix(']').map(str::to_string)).collect())
        .unwrap_or_default();
    let mut listening = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        for line in std::fs::read_to_string(table).unwrap_or_default().lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            // st 0A is LISTEN; the inode is the tenth column.
            if cols.len() > 9 && cols[3] == "0A" && inodes.iter().any(|i| i == cols[9]) {
                listening.push(cols[1].to_string());
            }
        }
    }
    listening
}

/// The address WebKit's automation (WebDriver's connection into the app) listens on, as
/// /proc/net/tcp spells it: WebKitWebDriver hands it to the app in WEBKIT_INSPECTOR_SERVER.
fn webdriver_inspector(pid: u32) -> Option<String> {
    let environ = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    let value = environ.split(|b| *b == 0).filter_map(|v| std::str::from_utf8(v).ok()).find_map(|v| v.strip_prefix("WEBKIT_INSPECTOR_SERVER="))?.to_string();
    let (ip, port) = value.rsplit_once(':')?;
    let ip: std::net::Ipv4Addr = ip.parse().ok()?;
    let port: u16 = port.parse().ok()?;
    Some(format!("{:08X}:{port:04X}", u32::from_le_bytes(ip.octets())))
}

/// The pid of the running app (the binary under test, not WebKit's helper processes).
fn app_pid(binary: &std::path::Path) -> u32 {
    let pids = processes_of(binary);
    assert_eq!(pids.len(), 1, "one app process: {pids:?}");
    pids[0]
}

/// The screen's whole text and markup hold nothing of the Dev mailbox.
async fn no_mailbox(app: &App, screen: &str) {
    let source = app.client.source().await.unwrap().to_lowercase();
    assert!(!source.contains("mailbox") && !source.contains("stays on this computer"), "{screen} mentions the dev mailbox: {source}");
}

#[tokio::test]
#[ignore = "needs a display, D-Bus and the distribution build: run through scripts/test.sh"]
async fn a_distribution_build_signs_in_against_its_baked_backend_with_no_dev_tools() {
    let h = Harness::distribution().await;
    let email = h.account("distribution").await;
    let app = h.launch().await;
    app.wait_for("#home-login").await;
    no_mailbox(&app, "Home").await;
    for (path, ready) in [("/register", "#name"), ("/login-with-magic-link", "#magic-button"), ("/forgot-password", "#email"), ("/login", "#login-button")] {
        app.go(path).await;
        app.wait_for(ready).await;
        no_mailbox(&app, path).await;
    }
    // A magic link asked for: the "check your inbox" note has no mailbox to point to.
    app.go("/login-with-magic-link").await;
    app.fill("#email", &email).await;
    app.click("#magic-button").await;
    app.text_contains("#success", "Check your inbox").await;
    no_mailbox(&app, "magic link sent").await;
    // The mailbox's own route leads Home.
    app.go("/mailbox").await;
    app.wait_path("/").await;

    app.go("/login").await;
    app.fill("#email", &email).await;
    app.fill("#password", PASSWORD).await;
    app.click("#login-button").await;
    app.wait_path("/profile").await;
    app.text_contains("#hello", "Hello, Robin").await;
    no_mailbox(&app, "Profile").await;
    app.screenshot("30-distribution-profile").await;

    // None of altogic-local is in the binary (its sources' paths and its messages are in any build
    // that links it), and it never started a backend of its own.
    let binary = std::fs::read(&h.app_binary).unwrap();
    for needle in [&b"altogic-local/src"[..], b"authenticator secrets were sealed with"] {
        assert!(!binary.windows(needle.len()).any(|w| w == needle), "the distribution binary carries altogic-local: {}", String::from_utf8_lossy(needle));
    }
    let pid = app_pid(&h.app_binary);
    let inspector = webdriver_inspector(pid);
    let own: Vec<String> = listening_sockets(pid).into_iter().filter(|addr| Some(addr) != inspector.as_ref()).collect();
    assert_eq!(own, Vec::<String>::new(), "the app process listens on nothing but WebDriver's inspector ({inspector:?})");
    let data = h.home.path().join("data");
    let built_in = walk(&data).into_iter().filter(|p| p.to_string_lossy().contains("altogic-local")).collect::<Vec<_>>();
    assert!(built_in.is_empty(), "the built-in backend's data dir exists: {built_in:?}");
    app.close().await;
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        }
        found.push(path);
    }
    found
}
