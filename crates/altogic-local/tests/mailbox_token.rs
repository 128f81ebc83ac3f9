//! The dev mailbox's token reads every user's sign-in links and codes. Attacks on it: reading it
//! from the server's output (which ends up in `docker logs`), guessing a short one, and guessing
//! at speed.

mod common;

use std::process::{Command, Stdio};

use common::{join_all, MAILBOX_TOKEN};

/// Starts the binary with `args`, reads its first four lines (all it prints at start) and stops it.
fn start_output(args: &[&str]) -> (Vec<String>, tempfile::TempDir) {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_altogic-local"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir", dir.path().to_str().unwrap()])
        .args(args)
        .env_remove("ALTOGIC_LOCAL_MAILBOX_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines: Vec<String> = BufReader::new(child.stdout.take().unwrap()).lines().take(4).map(Result::unwrap).collect();
    let _ = child.kill();
    let _ = child.wait();
    (lines, dir)
}

#[test]
fn no_token_is_ever_printed_only_where_it_is_kept() {
    // Generated: kept in the data dir, and the line says where.
    let (lines, dir) = start_output(&[]);
    let kept = dir.path().join("mailbox-token");
    let token = std::fs::read_to_string(&kept).unwrap().trim().to_string();
    assert!(token.len() >= 32);
    let output = lines.join("\n");
    assert!(!output.contains(&token), "the generated token is printed: {output}");
    assert!(output.contains(&format!("$(cat '{}')", kept.display())), "{output}");

    // Given on the command line, or in a file: not printed either.
    let given = "a-given-mailbox-token-that-is-long-enough";
    let (lines, _dir) = start_output(&["--mailbox-token", given]);
    assert!(!lines.join("\n").contains(given), "{lines:?}");
    let file_dir = tempfile::tempdir().unwrap();
    let file = file_dir.path().join("secret");
    std::fs::write(&file, format!("{given}\n")).unwrap();
    let (lines, _dir) = start_output(&["--mailbox-token-file", file.to_str().unwrap()]);
    let output = lines.join("\n");
    assert!(!output.contains(given), "{output}");
    assert!(output.contains(&file.display().to_string()), "{output}");
}

#[test]
fn short_tokens_are_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("short");
    std::fs::write(&file, "only-31-characters-long-0123456").unwrap();
    for args in [&["--mailbox-token", "hunter2"][..], &["--mailbox-token-file", file.to_str().unwrap()][..]] {
        let out = Command::new(env!("CARGO_BIN_EXE_altogic-local")).args(["serve", "--listen", "127.0.0.1:0", "--data-dir", dir.path().to_str().unwrap()]).args(args).output().unwrap();
        assert!(!out.status.success(), "{args:?} started");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("at least 32 characters"), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn wrong_tokens_are_throttled_per_network_and_the_right_one_learns_nothing() {
    const LIMIT: u32 = 5;
    let t = common::server(|c| {
        c.auth_rate_limit = LIMIT;
        c.trusted_proxies = vec![altogic_local::net::IpNet::parse("127.0.0.1/32").unwrap()];
    })
    .await;
    let get = |token: &str, from: &str| t.raw(reqwest::Method::GET, "/_local/v1/mail").bearer_auth(token).header("X-Forwarded-For", from.to_string()).send();

    // 40 guesses at once from one network: at most LIMIT are even looked at.
    let guesses: Vec<String> = (0..40).map(|i| format!("guess-{i:032}")).collect();
    let answers = join_all(guesses.iter().map(|g| get(g, "203.0.113.7"))).await;
    let statuses: Vec<u16> = answers.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), LIMIT as usize, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 40 - LIMIT as usize, "{statuses:?}");

    // The right token from that network is refused as a wrong one would be: a guess that hits
    // learns nothing while the network is throttled.
    let right = get(MAILBOX_TOKEN, "203.0.113.7").await.unwrap();
    assert_eq!(right.status(), 429);
    assert!(right.headers().contains_key("retry-after"));
    // Another network is not locked out by the attacker.
    assert_eq!(get(MAILBOX_TOKEN, "198.51.100.1").await.unwrap().status(), 200);
    assert_eq!(get("wrong", "198.51.100.1").await.unwrap().status(), 401);
}
