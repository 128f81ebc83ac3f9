//! Bad input gets a 4xx in the Altogic error form, never a 5xx, an HTML page or a hang.

mod common;

use altogic::ErrorBody;
use common::*;
use reqwest::Method;

async fn expect_error(what: &str, resp: reqwest::Response, status: u16, code: &str) {
    let got = resp.status().as_u16();
    let ct = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let text = resp.text().await.unwrap();
    assert_eq!(got, status, "{what}: {text}");
    assert!(ct.starts_with("application/json"), "{what}: content-type {ct}");
    let body: ErrorBody = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: {e}: {text}"));
    let entry = &body.errors[0];
    assert_eq!(entry.code, code, "{what}: {text}");
    assert!(!entry.message.is_empty() && (entry.origin == "client_error" || entry.origin == "server_error"));
}

/// Which client key a case sends.
#[derive(Clone, Copy)]
enum Key {
    None,
    Wrong,
    Right,
}

/// Which session a case sends.
#[derive(Clone, Copy)]
enum Session {
    None,
    Given(&'static str),
    /// A live session of a freshly signed-in user.
    Live,
}

enum Body {
    None,
    Text(&'static str),
    Json(&'static str),
    /// A body of the given content type.
    Typed(&'static str, &'static str),
    /// A JSON sign-up whose password is this many bytes long.
    HugeJson(usize),
    Multipart(fn() -> reqwest::multipart::Form),
}

/// One bad request and the error it must get.
struct Case {
    what: &'static str,
    method: Method,
    path: &'static str,
    key: Key,
    session: Session,
    body: Body,
    status: u16,
    code: &'static str,
}

const SIGNUP: &str = "/_api/rest/v1/auth/signup-email";
const USER: &str = "/_api/rest/v1/auth/user";
const UPLOAD: &str = "/_api/rest/v1/storage/bucket/upload-formdata?bucket=root&fileName=a.png";

fn no_file() -> reqwest::multipart::Form {
    reqwest::multipart::Form::new().text("note", "no file")
}

fn too_big_file() -> reqwest::multipart::Form {
    reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(vec![0x89; 6 * 1024 * 1024]).file_name("a.png"))
}

#[rustfmt::skip]
fn cases() -> Vec<Case> {
    use Body::*;
    let c = |what, method, path, key, session, body, status, code| Case { what, method, path, key, session, body, status, code };
    vec![
        c("not JSON", Method::POST, SIGNUP, Key::Right, Session::None, Json("{not json"), 400, "invalid_request_body_syntax"),
        c("empty JSON", Method::POST, SIGNUP, Key::Right, Session::None, Json(""), 400, "invalid_request_body_syntax"),
        c("wrong field types", Method::POST, SIGNUP, Key::Right, Session::None, Json(r#"{"email": 5, "password": []}"#), 400, "validation_error"),
        c("missing password", Method::POST, SIGNUP, Key::Right, Session::None, Json(r#"{"email": "a@b.co"}"#), 400, "validation_error"),
        c("nameOrUserData a number", Method::POST, SIGNUP, Key::Right, Session::None, Json(r#"{"email":"a@b.co","password":"longenough","nameOrUserData":42}"#), 400, "validation_error"),
        c("an array body", Method::POST, SIGNUP, Key::Right, Session::None, Json("[1,2,3]"), 400, "validation_error"),
        c("a form body", Method::POST, SIGNUP, Key::Right, Session::None, Text("email=a"), 415, "unsupported_media_type"),
        c("a huge body", Method::POST, SIGNUP, Key::Right, Session::None, HugeJson(200_000), 413, "request_body_size_too_large"),
        c("unknown API path", Method::GET, "/_api/rest/v1/nope", Key::Right, Session::None, None, 404, "resource_not_found"),
        c("unknown path", Method::GET, "/nothing/here", Key::Right, Session::None, None, 404, "resource_not_found"),
        c("wrong method", Method::GET, SIGNUP, Key::Right, Session::None, None, 405, "method_not_allowed"),
        c("no address", Method::POST, "/_api/rest/v1/auth/send-magic", Key::Right, Session::None, None, 400, "validation_error"),
        c("bad percent-encoding", Method::POST, "/_api/rest/v1/auth/send-magic?email=%ZZ", Key::Right, Session::None, None, 400, "validation_error"),
        c("no client key", Method::GET, USER, Key::None, Session::None, None, 401, "missing_client_key"),
        c("wrong client key", Method::GET, USER, Key::Wrong, Session::None, None, 401, "invalid_client_key"),
        c("no session", Method::GET, USER, Key::Right, Session::None, None, 401, "missing_session_token"),
        c("empty session", Method::GET, USER, Key::Right, Session::Given(""), None, 401, "missing_session_token"),
        c("garbage session", Method::GET, USER, Key::Right, Session::Given("garbage"), None, 401, "invalid_session_token"),
        c("forged session", Method::GET, USER, Key::Right, Session::Given("AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"), None, 401, "invalid_session_token"),
        c("mailbox without its token", Method::GET, "/_local/v1/mail", Key::None, Session::None, None, 401, "missing_mailbox_token"),
        c("upload that is not multipart", Method::POST, UPLOAD, Key::Right, Session::Live, Text("no multipart here"), 400, "file_upload_error"),
        c("upload with a broken multipart", Method::POST, UPLOAD, Key::Right, Session::Live, Typed("multipart/form-data; boundary=X", "--X\r\ngarbage"), 400, "file_upload_error"),
        c("upload without a file", Method::POST, UPLOAD, Key::Right, Session::Live, Multipart(no_file), 400, "file_upload_error"),
        c("upload with bad options", Method::POST, "/_api/rest/v1/storage/bucket/upload-formdata?fileName=a.png&options=%7Bnope", Key::Right, Session::Live, None, 400, "validation_error"),
        c("upload over the limit", Method::POST, UPLOAD, Key::Right, Session::Live, Multipart(too_big_file), 413, "request_body_size_too_large"),
    ]
}

#[tokio::test]
async fn every_bad_request_gets_its_altogic_error() {
    let t = open().await;
    let (me, _) = t.signed_in_user("bad-input").await;
    let live = me.session().unwrap().token;
    for case in cases() {
        let mut request = t.http.request(case.method.clone(), t.url(case.path));
        request = match case.key {
            Key::None => request,
            Key::Wrong => request.header("X-Client-Key", "wrong"),
            Key::Right => request.header("X-Client-Key", &t.server.client_key),
        };
        request = match case.session {
            Session::None => request,
            Session::Given(token) => request.header("Session", token),
            Session::Live => request.header("Session", &live),
        };
        request = match case.body {
            Body::None => request,
            Body::Text(text) => request.body(text),
            Body::Json(text) => request.header("content-type", "application/json").body(text),
            Body::Typed(content_type, text) => request.header("content-type", content_type).body(text),
            Body::HugeJson(n) => request.header("content-type", "application/json").body(format!(r#"{{"email":"a@b.co","password":"{}"}}"#, "x".repeat(n))),
            Body::Multipart(form) => request.multipart(form()),
        };
        expect_error(case.what, request.send().await.unwrap(), case.status, case.code).await;
    }
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
    // `null` is any page that wants it (a sandboxed frame, a data: URL): never echoed.
    for request in [
        t.http.request(Method::OPTIONS, t.url("/_api/rest/v1/auth/signin-email")).header("Origin", "null").header("Access-Control-Request-Method", "POST"),
        t.http.get(t.url("/_api/rest/v1/auth/user")).header("Origin", "null"),
    ] {
        let resp = request.send().await.unwrap();
        assert!(resp.headers().get("access-control-allow-origin").is_none(), "{:?}", resp.headers());
    }
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
