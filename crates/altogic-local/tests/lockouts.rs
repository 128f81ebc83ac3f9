//! Locking an owner out: wrong guesses from elsewhere must never keep the owner from signing in,
//! from a device they signed in from before, or from a new network.

mod common;

use std::time::{Duration, Instant};

use altogic::DEVICE_TOKEN_HEADER;
use common::*;

/// A server that reads X-Forwarded-For from this machine: each forwarded address is a network.
async fn behind_a_proxy() -> TestServer {
    server(|c| {
        c.email_verification = false;
        c.signin_attempts = 10;
        c.trusted_proxies = vec![altogic_local::net::IpNet::parse("127.0.0.1/32").unwrap()];
    })
    .await
}

/// A raw sign-in from `network`, with a device token or none: (status, error code, device token answered).
async fn sign_in(t: &TestServer, network: &str, email: &str, password: &str, device: Option<&str>) -> (u16, String, Option<String>) {
    let mut req = t.raw(reqwest::Method::POST, "/_api/rest/v1/auth/signin-email").header("X-Forwarded-For", network).json(&serde_json::json!({"email": email, "password": password}));
    if let Some(token) = device {
        req = req.header(DEVICE_TOKEN_HEADER, token);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let body: serde_json::Value = resp.json().await.unwrap();
    (status, error_code(&body).to_string(), body["deviceToken"].as_str().map(str::to_string))
}

#[tokio::test]
async fn four_networks_of_wrong_guesses_lock_out_neither_a_known_device_nor_a_new_network() {
    let t = behind_a_proxy().await;
    let email = common::email("owner");
    t.client().auth().sign_up_with_name(&email, PASSWORD, "Owner").await.unwrap();
    // The owner's phone signed in once: it keeps the device token it was given.
    let (status, _, device) = sign_in(&t, "198.51.100.10", &email, PASSWORD, None).await;
    assert_eq!(status, 200);
    let device = device.expect("a sign-in from an unknown device answers a device token");

    // 4 networks × 100 wrong guesses, each network's all at once.
    let guesses: Vec<(String, String)> = (1..=4).flat_map(|n| (0..100).map(move |i| (format!("203.0.113.{n}"), format!("wrong guess {i}")))).collect();
    let answers = join_all(guesses.iter().map(|(network, guess)| sign_in(&t, network, &email, guess, None))).await;
    let checked = answers.iter().filter(|a| a.1 == "invalid_credentials").count();
    let refused = answers.iter().filter(|a| a.1 == "rate_limit_exceeded").count();
    assert_eq!(checked + refused, 400, "{answers:?}");
    assert!(checked <= 40, "each network gets its own 10 guesses, no more: {checked}");

    // The owner's phone, even on one of the attacker's networks: in at once, not slowed.
    let started = Instant::now();
    let (status, code, again) = sign_in(&t, "203.0.113.1", &email, PASSWORD, Some(&device)).await;
    assert_eq!((status, code.as_str()), (200, ""), "the known device is locked out");
    assert!(started.elapsed() < Duration::from_secs(2), "the known device waited {:?}", started.elapsed());
    assert_eq!(again, None, "a known device keeps its token");
    // The owner on a new network, with no device token: slowed a little, then in.
    let (status, code, _) = sign_in(&t, "198.51.100.77", &email, PASSWORD, None).await;
    assert_eq!((status, code.as_str()), (200, ""));
    // The attacker's networks stay refused, the right password included: a hit teaches nothing.
    let (status, code, _) = sign_in(&t, "203.0.113.2", &email, PASSWORD, None).await;
    assert_eq!((status, code.as_str()), (429, "rate_limit_exceeded"));
}

#[tokio::test]
async fn twenty_parallel_right_sign_ins_all_succeed() {
    let t = behind_a_proxy().await;
    let email = common::email("parallel");
    t.client().auth().sign_up_with_name(&email, PASSWORD, "P").await.unwrap();
    let answers = join_all((0..20).map(|_| sign_in(&t, "198.51.100.20", &email, PASSWORD, None))).await;
    assert!(answers.iter().all(|a| a.0 == 200), "{answers:?}");
}

#[tokio::test]
async fn a_device_token_is_a_budget_of_its_own_not_a_pass() {
    let t = behind_a_proxy().await;
    let victim = common::email("victim");
    t.client().auth().sign_up_with_name(&victim, PASSWORD, "V").await.unwrap();
    let (_, _, stolen) = sign_in(&t, "198.51.100.30", &victim, PASSWORD, None).await;
    let stolen = stolen.unwrap();
    // A leaked device token, from many networks: 10 guesses, then nothing.
    let answers = join_all((0..30).map(|i| {
        let (t, victim, stolen) = (&t, &victim, &stolen);
        async move { sign_in(t, &format!("192.0.2.{i}"), victim, "wrong", Some(stolen)).await }
    }))
    .await;
    assert_eq!(answers.iter().filter(|a| a.1 == "invalid_credentials").count(), 10, "{answers:?}");
    assert_eq!(answers.iter().filter(|a| a.1 == "rate_limit_exceeded").count(), 20);

    // The attacker's own account's device token is no device of the victim's: counted on the network.
    let attacker = common::email("attacker");
    t.client().auth().sign_up_with_name(&attacker, PASSWORD, "A").await.unwrap();
    let (_, _, own) = sign_in(&t, "203.0.113.50", &attacker, PASSWORD, None).await;
    let own = own.unwrap();
    for _ in 0..10 {
        assert_eq!(sign_in(&t, "203.0.113.50", &victim, "wrong", Some(&own)).await.1, "invalid_credentials");
    }
    assert_eq!(sign_in(&t, "203.0.113.50", &victim, "wrong", Some(&own)).await.1, "rate_limit_exceeded");
}

#[tokio::test]
async fn the_rust_client_keeps_its_device_token_across_sign_outs() {
    let t = behind_a_proxy().await;
    let store = std::sync::Arc::new(altogic::MemoryStore::default());
    let phone = t.client_with(altogic::ClientOptions { storage: store.clone(), ..Default::default() });
    let email = common::email("phone");
    phone.auth().sign_up_with_name(&email, PASSWORD, "Phone").await.unwrap();
    phone.auth().sign_in_with_email(&email, PASSWORD).await.unwrap();
    use altogic::SessionStore;
    let kept = store.get_item(altogic::DEVICE_TOKENS_KEY).expect("the device token is kept");
    phone.auth().sign_out(None).await.unwrap();
    assert_eq!(store.get_item(altogic::DEVICE_TOKENS_KEY), Some(kept), "signing out keeps the device known");
    // 10 wrong guesses from this machine's network use up its budget…
    for _ in 0..10 {
        let _ = t.client().auth().sign_in_with_email(&email, "wrong").await;
    }
    assert!(t.client().auth().sign_in_with_email(&email, PASSWORD).await.unwrap_err().has_code("rate_limit_exceeded"));
    // …but not the phone's, on the same network.
    phone.auth().sign_in_with_email(&email, PASSWORD).await.unwrap();
}

#[tokio::test]
async fn thirty_one_wrong_codes_from_one_network_leave_the_owners_code_working() {
    let t = server(|c| {
        c.trusted_proxies = vec![altogic_local::net::IpNet::parse("127.0.0.1/32").unwrap()];
    })
    .await;
    let (_, email) = t.signed_in_user("codes").await;
    let guess = |network: &'static str, code: String| {
        let req = t.raw(reqwest::Method::POST, "/_api/rest/v1/auth/verify-code").header("X-Forwarded-For", network).json(&serde_json::json!({"email": email, "code": code}));
        async move {
            let resp = req.send().await.unwrap();
            error_code(&resp.json().await.unwrap()).to_string()
        }
    };
    for i in 0..31 {
        guess("203.0.113.9", format!("{:06}", 100_000 + i)).await;
    }
    assert_eq!(guess("203.0.113.9", "000000".into()).await, "rate_limit_exceeded");
    // The guesses spent the last mail's code (5 wrong end a code): the owner asks for a new one
    // and types it from their own network.
    let seen = t.mails(&email).await.len();
    t.client().auth().send_magic_link_email(&email).await.unwrap();
    let mail = t.next_mail(&email, seen).await;
    assert_eq!(guess("198.51.100.9", mail.code.clone()).await, "", "the owner's code is refused");
}
