//! Benchmark (not a test): app cold start to an interactive Login screen, through WebDriver on the
//! release build. Run under a display and D-Bus, e.g.
//! `xvfb-run -a dbus-run-session -- cargo bench --bench cold_start` (scripts/bench.sh does).
//! Each sample launches a fresh app with empty private data dirs and waits until the Home screen's
//! Login link can be clicked and the Login form is on screen.

#[path = "../tests/e2e/support.rs"]
mod e2e_support;

use std::time::{Duration, Instant};

use e2e_support::Harness;

const SAMPLES: usize = 7;

#[tokio::main]
async fn main() {
    let mut to_home = Vec::new();
    let mut to_login = Vec::new();
    for _ in 0..SAMPLES {
        let h = Harness::new().await;
        let start = Instant::now();
        let app = h.launch().await;
        app.wait_for("#home-login").await;
        to_home.push(start.elapsed());
        app.click("#home-login").await;
        app.wait_for("#login-button").await;
        to_login.push(start.elapsed());
        app.close().await;
    }
    report("launch → Home interactive", &mut to_home);
    report("launch → Login form shown", &mut to_login);
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what}: median {:.0} ms, min {:.0} ms, max {:.0} ms ({} samples)",
        ms(samples[samples.len() / 2]),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
        samples.len()
    );
}
