//! Slow or stalled clients are cut off and cannot take the server's connections: half a
//! request's headers, a body that stops, an idle keep-alive connection — each is closed after
//! its timeout, and a crowd of stalled clients past the connection cap only delays a normal
//! client until their timeouts free places.
//!
//! Only lower bounds on time are asserted (a connection is never cut before its timeout);
//! the upper bounds are generous deadlines after which the test fails as "never cut off".

use crate::support;

use std::time::{Duration, Instant};

use stepwise::serve::{Config, Settings};
use support::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TIMEOUT: Duration = Duration::from_secs(1);
/// Long past every timeout: a connection still open then was never cut off.
const NEVER: Duration = Duration::from_secs(60);

async fn server(store: &std::path::Path, max_connections: usize) -> TestServer {
    let server = TestServer::start_with(Config {
        flows: support::fixtures(),
        store: support::sqlite(store),
        settings: Settings {
            header_timeout: TIMEOUT,
            body_timeout: TIMEOUT,
            max_connections,
            ..Settings::default()
        },
        watch: false,
    })
    .await;
    let (status, _) = server.client.get("/healthz").await;
    assert_eq!(status, 200);
    server
}

fn address(server: &TestServer) -> String {
    server.client.base.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the connection, and returns what it sent.
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let read = tokio::time::timeout(NEVER, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the connection was never closed");
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test]
async fn half_a_request_is_cut_off_after_the_header_timeout() {
    let store = tempfile::tempdir().unwrap();
    let server = server(store.path(), 64).await;
    let mut stream = TcpStream::connect(address(&server)).await.unwrap();
    let opened = Instant::now();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        .await
        .unwrap();
    let answer = until_closed(&mut stream).await;
    assert!(
        opened.elapsed() >= TIMEOUT,
        "cut off after {:?}",
        opened.elapsed()
    );
    // Nothing was served for the half request.
    assert!(!answer.contains("200 OK"), "{answer}");
    server.stop().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let store = tempfile::tempdir().unwrap();
    let server = server(store.path(), 64).await;
    let mut stream = TcpStream::connect(address(&server)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let answered = Instant::now();
    let answer = until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.ends_with(r#"{"status":"ok"}"#), "{answer}");
    assert!(
        answered.elapsed() >= TIMEOUT,
        "closed after {:?}",
        answered.elapsed()
    );
    server.stop().await;
}

#[tokio::test]
async fn a_body_that_stops_is_answered_408_and_the_connection_closed() {
    let store = tempfile::tempdir().unwrap();
    let server = server(store.path(), 64).await;
    let mut stream = TcpStream::connect(address(&server)).await.unwrap();
    stream
        .write_all(
            b"POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"flow\": ",
        )
        .await
        .unwrap();
    let sent = Instant::now();
    let answer = until_closed(&mut stream).await;
    assert!(
        sent.elapsed() >= TIMEOUT,
        "cut off after {:?}",
        sent.elapsed()
    );
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""code":"timeout""#), "{answer}");
    server.stop().await;
}

#[tokio::test]
async fn stalled_clients_past_the_cap_cannot_stop_a_normal_client() {
    const CAP: usize = 8;
    let store = tempfile::tempdir().unwrap();
    let server = server(store.path(), CAP).await;
    // Four times as many stalled clients as there are places, each with half a request.
    let mut stalled = Vec::new();
    for _ in 0..CAP * 4 {
        let mut stream = TcpStream::connect(address(&server)).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
            .await
            .unwrap();
        stalled.push(stream);
    }
    // A normal client is served once the stalled ones before it have timed out.
    let client = reqwest::Client::builder().timeout(NEVER).build().unwrap();
    let response = client.get(server.client.url("/healthz")).send().await;
    let response = response.expect("a normal client is served despite the stalled ones");
    assert_eq!(response.status(), 200);
    // And every stalled client was cut off without an answer.
    for stream in &mut stalled {
        let answer = until_closed(stream).await;
        assert!(!answer.contains("200 OK"), "{answer}");
    }
    server.stop().await;
}
