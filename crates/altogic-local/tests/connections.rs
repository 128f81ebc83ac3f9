//! Holding the server's connections: a few networks sending half a request head must not fill it
//! for everyone else, and a client being answered is never cut to make room.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use common::*;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};

/// A connection from `from` (any 127.0.0.0/8 address is this machine: each is its own network).
async fn connect_from(from: [u8; 4], to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((from, 0)))?;
    socket.connect(to).await
}

/// Health from `from`, over a fresh connection.
async fn health_from(t: &TestServer, from: [u8; 4]) -> reqwest::Result<reqwest::StatusCode> {
    let client = reqwest::Client::builder().local_address(IpAddr::from(from)).build().unwrap();
    client.get(t.url("/_local/v1/health")).send().await.map(|r| r.status())
}

#[tokio::test]
async fn ten_networks_holding_half_sent_heads_do_not_starve_an_eleventh() {
    // A small server (64 connections, so at most 8 per network), as the default one is at 1024.
    let t = server(|c| c.max_connections = 64).await;
    let mut held = Vec::new();
    for network in 2..12u8 {
        for _ in 0..20 {
            // As many as each network can: past its cap the server closes them at once.
            if let Ok(mut stream) = connect_from([127, 0, 0, network], t.server.addr).await {
                let _ = stream.write_all(b"GET /_local/v1/health HTTP/1.1\r\nHost: x\r\n").await;
                held.push(stream);
            }
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Without room made, this would wait for the 10 s header timeout to free a slot.
    let answered = tokio::time::timeout(Duration::from_secs(2), health_from(&t, [127, 0, 0, 20])).await;
    assert_eq!(answered.expect("answered while the heads are held").unwrap(), 200);
    drop(held);
}

#[tokio::test]
async fn a_full_server_makes_room_only_from_connections_not_being_answered() {
    let t = server(|c| {
        c.max_connections = 3;
        c.max_connections_per_client = 0;
    })
    .await;
    // Three requests being answered: each sent its head and is still sending its body.
    let mut busy = Vec::new();
    for _ in 0..3 {
        let mut stream = TcpStream::connect(t.server.addr).await.unwrap();
        let head = "POST /_api/rest/v1/auth/signin-email HTTP/1.1\r\nHost: x\r\nX-Client-Key: test-client-key\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{";
        stream.write_all(head.as_bytes()).await.unwrap();
        busy.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let health = || async { reqwest::Client::new().get(t.url("/_local/v1/health")).timeout(Duration::from_millis(700)).send().await };
    assert!(health().await.is_err(), "a 4th connection waits while 3 are being answered");
    busy.pop();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(health().await.unwrap().status(), 200);

    // Idle connections (no head, or kept alive after an answer) give up their slot instead.
    drop(busy);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(TcpStream::connect(t.server.addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(health().await.unwrap().status(), 200, "the longest-waiting idle connection made room");
}
