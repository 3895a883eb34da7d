//! Requests on reused connections are answered, even when the client reuses a connection
//! just as the server's idle timeout closes it. Every HTTP/1.1 server has that race: the
//! server closes an idle connection at the moment the client sends its next request on it,
//! and the request is lost unanswered. The server says when it will close
//! (`Keep-Alive: timeout=N`, below its idle timeout), and a client that heeds it retires the
//! connection first.
//!
//! The clients here reuse each connection for as long as the server lets them: the time it
//! advertises, or else its idle timeout as configured (the way a proxy's upstream keep-alive
//! is set to match), give or take a few milliseconds. Before reusing a connection they check
//! that it is still open, as connection pools do, then take a moment before writing on it,
//! as a busy client does. The figure is how many requests got no answer; none may.

use crate::support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use stepwise::serve::{Config, Settings};
use support::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The server's idle timeout (its header timeout).
const IDLE: Duration = Duration::from_secs(2);
/// Clients reusing connections near the idle timeout, at once.
const CLIENTS: usize = 48;
/// Requests each sends after an idle pause.
const ROUNDS: usize = 6;
/// How far from the idle limit each pause ends, either way at most.
const JITTER_MS: u64 = 40;
/// Between finding a pooled connection open and writing on it.
const BUSY: Duration = Duration::from_millis(2);

/// What one response said about its connection.
struct Answer {
    /// `Keep-Alive: timeout=N`, when given.
    keep_alive: Option<Duration>,
    /// `Connection: close`.
    close: bool,
}

/// Sends one request on `stream` and reads its whole answer; `None` if the connection
/// ended first.
async fn request(stream: &mut TcpStream) -> Option<Answer> {
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .ok()?;
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let n = stream.read(&mut buffer).await.ok()?;
        if n == 0 {
            return None;
        }
        received.extend_from_slice(&buffer[..n]);
    };
    let head = String::from_utf8_lossy(&received[..head_end]).to_ascii_lowercase();
    let header = |name: &str| {
        head.lines()
            .find_map(|line| line.strip_prefix(&format!("{name}:")).map(str::trim))
            .map(str::to_owned)
    };
    let length: usize = header("content-length")?.parse().ok()?;
    while received.len() < head_end + length {
        let n = stream.read(&mut buffer).await.ok()?;
        if n == 0 {
            return None;
        }
        received.extend_from_slice(&buffer[..n]);
    }
    let keep_alive = header("keep-alive").and_then(|value| {
        let seconds = value
            .split(',')
            .find_map(|p| p.trim().strip_prefix("timeout="))?;
        seconds.parse().ok().map(Duration::from_secs)
    });
    let close = header("connection").is_some_and(|v| v == "close");
    Some(Answer { keep_alive, close })
}

/// Whether the server has closed `stream`: a pool's check before reusing a connection.
fn closed(stream: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    match stream.try_read(&mut byte) {
        Ok(_) => true,
        Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
    }
}

#[derive(Default)]
struct Counts {
    sent: AtomicUsize,
    unanswered: AtomicUsize,
    retired: AtomicUsize,
    advised: AtomicUsize,
}

async fn client(address: String, seed: u64, counts: Arc<Counts>) {
    let mut random = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        random
    };
    let mut stream = TcpStream::connect(&address).await.unwrap();
    let mut limit = IDLE;
    for round in 0..=ROUNDS {
        if round > 0 {
            // Near the limit, either side of it.
            let offset = Duration::from_millis(next() % (2 * JITTER_MS + 1));
            let pause = (limit + offset).saturating_sub(Duration::from_millis(JITTER_MS));
            tokio::time::sleep(pause).await;
            if closed(&stream) {
                counts.retired.fetch_add(1, Ordering::Relaxed);
                stream = TcpStream::connect(&address).await.unwrap();
            } else {
                tokio::time::sleep(BUSY).await;
            }
        }
        counts.sent.fetch_add(1, Ordering::Relaxed);
        match request(&mut stream).await {
            Some(answer) => {
                if let Some(advised) = answer.keep_alive {
                    counts.advised.fetch_add(1, Ordering::Relaxed);
                    limit = advised.min(IDLE);
                }
                if answer.close {
                    stream = TcpStream::connect(&address).await.unwrap();
                }
            }
            None => {
                counts.unanswered.fetch_add(1, Ordering::Relaxed);
                stream = TcpStream::connect(&address).await.unwrap();
            }
        }
    }
}

/// Requests back to back on pooled connections while the others pause: the load.
async fn busy(client: reqwest::Client, url: String, stop: Arc<AtomicBool>) -> (usize, usize) {
    let (mut served, mut failed) = (0, 0);
    while !stop.load(Ordering::Relaxed) {
        match client.get(&url).send().await {
            Ok(response) if response.status().is_success() => served += 1,
            _ => failed += 1,
        }
    }
    (served, failed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_on_connections_reused_near_the_idle_timeout_are_answered() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(Config {
        flows: support::fixtures(),
        store: support::sqlite(store.path()),
        settings: Settings {
            header_timeout: IDLE,
            ..Settings::default()
        },
        watch: false,
    })
    .await;
    assert_eq!(server.client.get("/healthz").await.0, 200);
    let address = server.client.base.trim_start_matches("http://").to_owned();

    let stop = Arc::new(AtomicBool::new(false));
    let load: Vec<_> = (0..4)
        .map(|_| {
            let url = server.client.url("/api/v1/flows");
            tokio::spawn(busy(reqwest::Client::new(), url, Arc::clone(&stop)))
        })
        .collect();
    let counts = Arc::new(Counts::default());
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| tokio::spawn(client(address.clone(), i as u64 + 1, Arc::clone(&counts))))
        .collect();
    for client in clients {
        client.await.unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    let (mut served, mut failed) = (0, 0);
    for task in load {
        let (s, f) = task.await.unwrap();
        served += s;
        failed += f;
    }

    let sent = counts.sent.load(Ordering::Relaxed);
    let unanswered = counts.unanswered.load(Ordering::Relaxed);
    println!(
        "{unanswered} of {sent} requests on reused connections unanswered; {} connections \
         found closed and replaced before reuse; {} answers advised a keep-alive timeout; \
         alongside, {served} requests served back to back, {failed} failed",
        counts.retired.load(Ordering::Relaxed),
        counts.advised.load(Ordering::Relaxed),
    );
    assert_eq!(failed, 0);
    assert_eq!(
        unanswered, 0,
        "{unanswered} of {sent} requests got no answer"
    );
    server.stop().await;
}
