//! Known and unknown addresses take the same time on the endpoints that take an address without a
//! password. A test binary of its own: nothing else runs while it measures.

mod common;

use std::time::Instant;

use common::*;

/// Medians within 1.5× of each other, give or take 0.25 ms of scheduling noise.
fn similar(a: f64, b: f64) -> bool {
    a < b * 1.5 + 0.25 && b < a * 1.5 + 0.25
}

/// Medians of request times, interleaved between two addresses.
async fn median_ms(known: &str, unknown: &str, send: impl Fn(&str) -> reqwest::RequestBuilder) -> (f64, f64) {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in 0..41 {
        for (address, out) in [(known, &mut a), (unknown, &mut b)] {
            let started = Instant::now();
            let resp = send(address).send().await.unwrap();
            let status = resp.status();
            resp.bytes().await.unwrap();
            if i > 0 {
                out.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            assert!(status.is_success() || status.as_u16() == 400, "{status}");
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|x, y| x.partial_cmp(y).unwrap());
        v[v.len() / 2]
    };
    (median(&mut a), median(&mut b))
}

#[tokio::test]
async fn mail_endpoints_and_code_checks_take_the_same_time_for_known_and_unknown_addresses() {
    let t = server(|c| c.code_attempts = 0).await;
    let (_, known) = t.signed_in_user("timed").await;
    let unknown = common::email("untimed");
    // The known address has a live mail, so a wrong code meets a real link.
    t.client().auth().send_magic_link_email(&known).await.unwrap();
    t.wait_mails(&known, 2).await;
    // A resend has work to do for a pending sign-up.
    let pending = common::email("pending");
    t.client().auth().sign_up_with_name(&pending, PASSWORD, "P").await.unwrap();
    for (path, known) in [("send-magic", &known), ("send-reset", &known), ("resend", &pending)] {
        let (k, u) = median_ms(known, &unknown, |a| t.raw(reqwest::Method::POST, &format!("/_api/rest/v1/auth/{path}")).query(&[("email", a)])).await;
        // Doing the mail's work on the request path made a known address ~3× slower here
        // (1.0–1.3 ms against 0.3 ms); allow noise, not that signal.
        assert!(similar(k, u), "{path}: known {k:.3} ms, unknown {u:.3} ms");
    }
    let (k, u) = median_ms(&known, &unknown, |a| t.raw(reqwest::Method::POST, "/_api/rest/v1/auth/verify-code").json(&serde_json::json!({"email": a, "code": "000000"}))).await;
    assert!(similar(k, u), "verify-code: known {k:.3} ms, unknown {u:.3} ms");
}

