//! Bad input gets a 4xx in the Altogic error form, never a 5xx, an HTML page or a hang.

mod common;

use altogic::ErrorBody;
use common::*;
use reqwest::Method;

async fn expect_error(resp: reqwest::Response, status: u16, code: &str) {
    let got = resp.status().as_u16();
    let ct = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let text = resp.text().await.unwrap();
    assert_eq!(got, status, "{code}: {text}");
    assert!(ct.starts_with("application/json"), "{code}: content-type {ct}");
    let body: ErrorBody = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{code}: {e}: {text}"));
    let entry = &body.errors[0];
    assert_eq!(entry.code, code, "{text}");
    assert!(!entry.message.is_empty() && (entry.origin == "client_error" || entry.origin == "server_error"));
}

#[tokio::test]
async fn malformed_bodies_and_requests() {
    let t = open().await;
    let signup = "/_api/rest/v1/auth/signup-email";
    let json = |body: &'static str| t.raw(Method::POST, signup).header("content-type", "application/json").body(body);
    expect_error(json("{not json").send().await.unwrap(), 400, "invalid_request_body_syntax").await;
    expect_error(json("").send().await.unwrap(), 400, "invalid_request_body_syntax").await;
    expect_error(json(r#"{"email": 5, "password": []}"#).send().await.unwrap(), 400, "validation_error").await;
    expect_error(json(r#"{"email": "a@b.co"}"#).send().await.unwrap(), 400, "validation_error").await;
    expect_error(json(r#"{"email":"a@b.co","password":"longenough","nameOrUserData":42}"#).send().await.unwrap(), 400, "validation_error").await;
    expect_error(json("[1,2,3]").send().await.unwrap(), 400, "validation_error").await;
    expect_error(t.raw(Method::POST, signup).body("email=a").send().await.unwrap(), 415, "unsupported_media_type").await;
    let huge = format!(r#"{{"email":"a@b.co","password":"{}"}}"#, "x".repeat(200_000));
    expect_error(t.raw(Method::POST, signup).header("content-type", "application/json").body(huge).send().await.unwrap(), 413, "request_body_size_too_large").await;
    expect_error(t.raw(Method::GET, "/_api/rest/v1/nope").send().await.unwrap(), 404, "resource_not_found").await;
    expect_error(t.raw(Method::GET, "/nothing/here").send().await.unwrap(), 404, "resource_not_found").await;
    expect_error(t.raw(Method::GET, signup).send().await.unwrap(), 405, "method_not_allowed").await;
    expect_error(t.raw(Method::POST, "/_api/rest/v1/auth/send-magic").send().await.unwrap(), 400, "validation_error").await;
    expect_error(t.raw(Method::POST, "/_api/rest/v1/auth/send-magic?email=%ZZ").send().await.unwrap(), 400, "validation_error").await;
}

#[tokio::test]
async fn client_key_and_session_errors() {
    let t = open().await;
    let url = t.url("/_api/rest/v1/auth/user");
    expect_error(t.http.get(&url).send().await.unwrap(), 401, "missing_client_key").await;
    expect_error(t.http.get(&url).header("X-Client-Key", "wrong").send().await.unwrap(), 401, "invalid_client_key").await;
    expect_error(t.raw(Method::GET, "/_api/rest/v1/auth/user").send().await.unwrap(), 401, "missing_session_token").await;
    for bad in ["garbage", "AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", ""] {
        let resp = t.raw(Method::GET, "/_api/rest/v1/auth/user").header("Session", bad).send().await.unwrap();
        expect_error(resp, 401, if bad.is_empty() { "missing_session_token" } else { "invalid_session_token" }).await;
    }
    expect_error(t.http.get(t.url("/_local/v1/mail")).send().await.unwrap(), 401, "missing_mailbox_token").await;
}

#[tokio::test]
async fn bad_multipart_and_upload_queries() {
    let t = open().await;
    let (me, _) = t.signed_in_user("multipart").await;
    let token = me.session().unwrap().token;
    let path = "/_api/rest/v1/storage/bucket/upload-formdata?bucket=root&fileName=a.png";
    let post = || t.raw(Method::POST, path).header("Session", &token);
    expect_error(post().body("no multipart here").send().await.unwrap(), 400, "file_upload_error").await;
    expect_error(post().header("content-type", "multipart/form-data; boundary=X").body("--X\r\ngarbage").send().await.unwrap(), 400, "file_upload_error").await;
    let form = reqwest::multipart::Form::new().text("note", "no file");
    expect_error(post().multipart(form).send().await.unwrap(), 400, "file_upload_error").await;
    let resp = t.raw(Method::POST, "/_api/rest/v1/storage/bucket/upload-formdata?fileName=a.png&options=%7Bnope").header("Session", &token).send().await.unwrap();
    expect_error(resp, 400, "validation_error").await;
    let big = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(vec![0x89; 6 * 1024 * 1024]).file_name("a.png"));
    let resp = post().multipart(big).send().await.unwrap();
    expect_error(resp, 413, "request_body_size_too_large").await;
}

#[tokio::test]
async fn cors_echoes_the_origin_with_credentials_and_altogic_headers() {
    let t = open().await;
    let preflight = t
        .http
        .request(Method::OPTIONS, t.url("/_api/rest/v1/auth/signin-email"))
        .header("Origin", "http://app.example:5173")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "x-client,x-client-key,session,content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    let h = preflight.headers();
    assert_eq!(h["access-control-allow-origin"], "http://app.example:5173");
    assert_eq!(h["access-control-allow-credentials"], "true");
    let allowed = h["access-control-allow-headers"].to_str().unwrap().to_lowercase();
    for name in ["x-client", "x-client-key", "session", "content-type", "authorization"] {
        assert!(allowed.contains(name), "{allowed}");
    }
    // Errors carry CORS headers too, or a browser client could not read them.
    let err = t.http.get(t.url("/_api/rest/v1/auth/user")).header("Origin", "http://app.example:5173").send().await.unwrap();
    assert_eq!(err.headers()["access-control-allow-origin"], "http://app.example:5173");
}

#[tokio::test]
async fn only_listed_origins_pass_when_configured() {
    let t = server(|c| c.cors_origins = vec!["https://ok.example".into()]).await;
    let ask = |origin: &'static str| {
        t.http
            .request(Method::OPTIONS, t.url("/_api/rest/v1/auth/signin-email"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .send()
    };
    assert_eq!(ask("https://ok.example").await.unwrap().headers()["access-control-allow-origin"], "https://ok.example");
    assert!(ask("https://evil.example").await.unwrap().headers().get("access-control-allow-origin").is_none());
}
