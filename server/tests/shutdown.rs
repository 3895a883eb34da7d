//! Stopping the real binary with a signal: `/readyz` fails as soon as shutdown begins while
//! requests are still served for `--shutdown-delay` (each response closing its connection),
//! a request in flight still finishes, and a half-sent request cannot hold the stop past
//! `--shutdown-timeout`.

use crate::support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::Binary;

/// Far longer than any stop here should take: a server still running then never stopped.
const NEVER: Duration = Duration::from_secs(60);

fn start(store: &tempfile::TempDir, extra: &[&str]) -> Binary {
    let db = format!("sqlite://{}", store.path().join("s.db").display());
    Binary::spawn_with(&support::fixtures(), &db, extra)
}

fn address(server: &Binary) -> String {
    server.client.base.trim_start_matches("http://").to_owned()
}

/// Headers and the first bytes of a body that would start a session.
fn half_a_request(server: &Binary) -> (TcpStream, &'static [u8]) {
    let body: &'static [u8] = br#"{"flow":"sign-in"}"#;
    let mut stream = TcpStream::connect(address(server)).unwrap();
    write!(
        stream,
        "POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(&body[..5]).unwrap();
    (stream, &body[5..])
}

/// What the server sends on `stream` until it closes it.
fn until_closed(stream: &mut TcpStream) -> String {
    stream.set_read_timeout(Some(NEVER)).unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
        }
    }
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test]
async fn readiness_fails_at_once_and_requests_are_served_for_the_delay() {
    const DELAY: Duration = Duration::from_secs(3);
    let store = tempfile::tempdir().unwrap();
    let mut server = start(&store, &["--shutdown-delay", "3"]);
    let client = server.client.clone();
    assert_eq!(client.get("/readyz").await.0, 200);

    let signalled = Instant::now();
    server.signal("TERM");
    let body = support::eventually("/readyz answers 503 after SIGTERM", || async {
        let (status, body) = client.get("/readyz").await;
        (status == 503).then_some(body)
    })
    .await;
    let not_ready_after = signalled.elapsed();
    assert_eq!(body["status"], "shutting_down", "{body}");
    assert_eq!(body["error"]["code"], "shutting_down", "{body}");

    // Still serving meanwhile, each response closing its connection so the client's next
    // request goes to a new one (elsewhere, behind a load balancer).
    let response = client
        .http
        .get(client.url("/api/v1/flows"))
        .send()
        .await
        .unwrap();
    let served_after = signalled.elapsed();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["connection"], "close");
    let (_, started) = client.start("sign-in", serde_json::json!({})).await;
    assert!(started["step"].is_object(), "{started}");

    let status = tokio::task::spawn_blocking(move || server.wait_exit(NEVER))
        .await
        .unwrap()
        .expect("the server stops after the delay");
    let stopped_after = signalled.elapsed();
    assert!(status.success(), "{status}");
    assert!(stopped_after >= DELAY, "stopped after {stopped_after:?}");
    println!(
        "not ready {not_ready_after:?} after SIGTERM, served a request at {served_after:?}, \
         stopped at {stopped_after:?} (delay {DELAY:?})"
    );
}

#[tokio::test]
async fn a_request_in_flight_at_shutdown_is_answered() {
    let store = tempfile::tempdir().unwrap();
    let mut server = start(&store, &["--shutdown-timeout", "10"]);
    let (mut stream, rest) = half_a_request(&server);
    std::thread::sleep(Duration::from_millis(200));
    server.signal("TERM");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        server.wait_exit(Duration::ZERO).is_none(),
        "the server waits for the request in flight"
    );
    stream.write_all(rest).unwrap();
    let answer = until_closed(&mut stream);
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    let status = server
        .wait_exit(NEVER)
        .expect("the server stops once it answered");
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn a_half_sent_request_cannot_hold_the_stop_past_the_shutdown_timeout() {
    // A body timeout far longer than the shutdown timeout: the stop must not wait for it.
    let store = tempfile::tempdir().unwrap();
    let mut server = start(
        &store,
        &[
            "--shutdown-timeout",
            "1",
            "--body-timeout",
            "600",
            "--request-timeout",
            "600",
        ],
    );
    let (mut stream, _rest) = half_a_request(&server);
    std::thread::sleep(Duration::from_millis(200));
    let signalled = Instant::now();
    server.signal("TERM");
    let status = server
        .wait_exit(NEVER)
        .expect("the server stops within its shutdown timeout, not the body timeout");
    let stopped_after = signalled.elapsed();
    assert!(status.success(), "{status}");
    assert!(
        stopped_after >= Duration::from_secs(1),
        "stopped after {stopped_after:?}, before the shutdown timeout"
    );
    // The half-sent request was closed unanswered.
    let answer = until_closed(&mut stream);
    assert!(!answer.contains("201"), "{answer}");
    println!("stopped {stopped_after:?} after SIGTERM with a half-sent request open");
}
