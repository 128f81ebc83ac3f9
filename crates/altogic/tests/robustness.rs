//! The client never panics or hangs on what a server sends: canned answers from a raw TCP server.

use std::time::Duration;

use altogic::{AltogicClient, ClientOptions, Error};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves one canned response per connection, forever.
async fn canned(response: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let response = response.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = socket.read(&mut buf).await;
                let _ = socket.write_all(&response).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    url
}

fn http(status: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!("HTTP/1.1 {status}\r\nconnection: close\r\n{headers}content-length: {}\r\n\r\n", body.len()).into_bytes();
    r.extend_from_slice(body);
    r
}

fn client(url: &str) -> AltogicClient {
    AltogicClient::new(url, "key", ClientOptions { timeout: Duration::from_secs(5), ..Default::default() }).unwrap()
}

#[tokio::test]
async fn success_bodies_that_are_not_the_expected_json_are_typed_errors() {
    for body in [&b""[..], b"<html>hi</html>", b"{\"user\":", b"{\"unexpected\":true}"] {
        let url = canned(http("200 OK", "content-type: application/json\r\n", body)).await;
        let err = client(&url).auth().get_user_from_db().await.unwrap_err();
        assert!(matches!(err, Error::InvalidResponse(_)), "{body:?}: {err:?}");
    }
    // Calls whose success body is ignored accept an empty one, like altogic-js.
    let url = canned(http("200 OK", "", b"")).await;
    client(&url).auth().send_magic_link_email("a@b.co").await.unwrap();
}

#[tokio::test]
async fn error_bodies_that_are_not_json_are_typed_errors() {
    let url = canned(http("502 Bad Gateway", "content-type: text/html\r\n", b"<h1>502</h1>")).await;
    let err = client(&url).auth().sign_in_with_email("a@b.co", "password1").await.unwrap_err();
    let api = err.api().expect("an API error");
    assert_eq!((api.status, api.items[0].code.as_str()), (502, "invalid_response"));
}

#[tokio::test]
async fn truncated_and_huge_bodies_are_typed_errors() {
    let mut cut = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"_id\":\"".to_vec();
    cut.extend_from_slice(b"abc");
    let url = canned(cut).await;
    let err = client(&url).auth().get_user_from_db().await.unwrap_err();
    assert!(matches!(err, Error::InvalidResponse(_) | Error::Network(_)), "{err:?}");

    let huge = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n", 64 * 1024 * 1024).into_bytes();
    let url = canned(huge).await;
    let err = client(&url).auth().get_user_from_db().await.unwrap_err();
    assert!(matches!(err, Error::InvalidResponse(ref m) if m.contains("larger")), "{err:?}");
}

#[tokio::test]
async fn unreachable_servers_and_bad_urls_are_typed_errors() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = client(&url).auth().get_user_from_db().await.unwrap_err();
    assert!(matches!(err, Error::Network(_)), "{err:?}");
    assert!(matches!(AltogicClient::new("ftp://x", "k", ClientOptions::default()), Err(Error::Client { code: "missing_required_value", .. })));
    assert!(matches!(AltogicClient::new("http://x", " ", ClientOptions::default()), Err(Error::Client { .. })));
}

#[tokio::test]
async fn sends_the_altogic_headers_and_a_descriptive_user_agent() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let capture = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 65536];
        let n = socket.read(&mut buf).await.unwrap();
        socket.write_all(&http("200 OK", "", b"")).await.unwrap();
        String::from_utf8_lossy(&buf[..n]).to_lowercase()
    });
    let ua = altogic::user_agent::build("AltogicAuth", "9.9.9", "test-device");
    let c = AltogicClient::new(&url, "the-key", ClientOptions { user_agent: ua, api_key: Some("api".into()), ..Default::default() }).unwrap();
    c.auth().send_reset_pwd_email("a+b@example.com").await.unwrap();
    let request = capture.await.unwrap();
    assert!(request.starts_with("post /_api/rest/v1/auth/send-reset?email=a%2bb%40example.com "), "one trailing slash dropped, query encoded: {request}");
    for header in ["x-client: altogic-rs", "x-client-key: the-key", "authorization: api", "user-agent: altogicauth/9.9.9 (", "device \"test-device\""] {
        assert!(request.contains(header), "{header} missing in {request}");
    }
    assert!(!request.contains("content-type"), "body-less POSTs send no content type");
}
