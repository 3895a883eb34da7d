//! Readiness tells the truth: while the store cannot save changes, `/readyz` answers `503
//! store_unavailable` with the reason and says reads still work, and reads do; a server whose
//! store cannot be written when it starts starts all the same, read-only. Both become ready
//! again by themselves, without a restart, once the store can save changes.
//!
//! The faults are real ones on a real file: the writer's connection capped at its size with
//! `PRAGMA max_page_count` under a running server, or the real binary started with a limit on
//! the size of the files it writes (`RLIMIT_FSIZE`), which is lifted while it runs.

use crate::support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use rusqlite::Connection;
use serde_json::{Value, json};
use stepwise_app::metrics::Metrics;
use stepwise_store::sqlite::SqliteStore;
use stepwise_store::{SessionRecord, Store, Synchronous};
use support::{Binary, Client, OverStore};

/// The largest `max_page_count` SQLite takes: no limit.
const NO_CAP: i64 = 1_073_741_823;

/// A server in this process over an SQLite store the test keeps a handle on.
struct Server {
    client: Client,
    served: OverStore,
    store: Arc<SqliteStore>,
}

/// The store in `dir`, and its file.
fn open(dir: &Path, metrics: &Metrics) -> (Arc<SqliteStore>, PathBuf) {
    let path = dir.join("stepwise.db");
    let store = SqliteStore::open(&path, Synchronous::Full, metrics.store.clone()).unwrap();
    (Arc::new(store), path)
}

/// Caps the file of `store` at its size now, or lifts the cap.
async fn cap(store: &SqliteStore, capped: bool) {
    store
        .with_writer(move |conn| {
            let now: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
            conn.pragma_update(None, "max_page_count", if capped { now } else { NO_CAP })
        })
        .await
        .unwrap();
}

impl Server {
    /// Serves the fixtures over `store`.
    async fn start(store: Arc<SqliteStore>, metrics: Metrics) -> Server {
        let served = OverStore::start(store.clone(), metrics).await;
        Server {
            client: served.client.clone(),
            served,
            store,
        }
    }

    async fn stop(self) {
        self.served.stop().await;
    }
}

async fn start_session(client: &Client) -> reqwest::Response {
    client
        .http
        .post(client.url("/api/v1/sessions"))
        .json(&json!({"flow": "sign-in", "facts": {}}))
        .send()
        .await
        .unwrap()
}

/// `/readyz`'s status, `Retry-After` and body.
async fn readyz(client: &Client) -> (StatusCode, Option<String>, Value) {
    let response = client.http.get(client.url("/readyz")).send().await.unwrap();
    let retry = response
        .headers()
        .get(RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_owned());
    let (status, body) = support::json(response).await;
    (status, retry, body)
}

/// Asserts that `/readyz` says the store cannot save changes, for a reason that starts with
/// one of `reasons`, while reads are served.
async fn assert_read_only(client: &Client, reasons: &[&str]) {
    let (status, retry, body) = readyz(client).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(retry.as_deref(), Some("5"));
    assert_eq!(body["status"], "read_only", "{body}");
    assert_eq!(body["reads"], true, "{body}");
    assert_eq!(body["error"]["code"], "store_unavailable", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    let reason = message.strip_prefix("the store cannot save changes now: ");
    assert!(
        reason.is_some_and(|r| reasons.iter().any(|want| r.starts_with(want))),
        "{message}"
    );
}

/// Asserts a refused change: `503 store_unavailable` with `Retry-After`.
async fn assert_refused(response: reqwest::Response) {
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()[RETRY_AFTER], "5");
    let (_, body) = support::json(response).await;
    assert_eq!(body["error"]["code"], "store_unavailable", "{body}");
}

/// Polls `/readyz` until it answers `200 ready`.
async fn until_ready(client: &Client) {
    support::eventually("/readyz answers ready", || async {
        let (status, _, body) = readyz(client).await;
        (status == StatusCode::OK && body == json!({"status": "ready"})).then_some(())
    })
    .await;
}

#[tokio::test]
async fn readyz_says_a_full_store_cannot_save_changes_and_is_ready_again_once_it_can() {
    let dir = tempfile::tempdir().unwrap();
    let metrics = Metrics::new();
    let (store, _) = open(dir.path(), &metrics);
    let server = Server::start(store, metrics).await;
    let client = server.client.clone();
    let (id, before) = client.start("sign-in", json!({})).await;
    until_ready(&client).await;

    cap(&server.store, true).await;
    let mut filled = false;
    for _ in 0..5_000 {
        let response = start_session(&client).await;
        if response.status() != StatusCode::CREATED {
            assert_refused(response).await;
            filled = true;
            break;
        }
    }
    assert!(filled, "the store never filled up");

    assert_read_only(&client, &["it is full"]).await;
    // Alive, and reading: the session is served as it was.
    assert_eq!(client.get("/healthz").await.0, StatusCode::OK);
    let (status, now) = client.get(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{now}");
    assert_eq!(now["step"], before["step"]);
    // Asked again later, the store checks again, and is still full.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_read_only(&client, &["it is full"]).await;

    // Space is made: ready again, without a restart and before any change is sent.
    cap(&server.store, false).await;
    until_ready(&client).await;
    assert_eq!(start_session(&client).await.status(), StatusCode::CREATED);
    let (status, body) = client.answer(&id, "web").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    server.stop().await;
}

/// A session record with a walk of `bytes` bytes, never read through the API.
fn filler(i: usize, bytes: usize) -> SessionRecord {
    SessionRecord {
        id: format!("filler-{i}"),
        flow: "sign-in".into(),
        version: "v".into(),
        status: "active".into(),
        walk: "x".repeat(bytes),
        revision: 1,
        created_at: stepwise_store::now_millis(),
        updated_at: stepwise_store::now_millis(),
        reference: None,
        details: Default::default(),
        feedback: None,
        notes: Vec::new(),
    }
}

#[tokio::test]
async fn a_server_whose_store_is_full_at_start_serves_reads_and_records_its_flows_once_it_can() {
    let dir = tempfile::tempdir().unwrap();
    let metrics = Metrics::new();
    let (store, path) = open(dir.path(), &metrics);
    // Full before the server records its flows.
    cap(&store, true).await;
    let mut i = 0;
    while store
        .insert_session(filler(i, 8_000), Vec::new())
        .await
        .is_ok()
    {
        i += 1;
        assert!(i < 1_000, "the store never filled up");
    }

    let server = Server::start(store, metrics).await;
    let client = server.client.clone();
    assert_read_only(&client, &["it is full"]).await;
    let (status, flow) = client.get("/api/v1/flows/sign-in").await;
    assert_eq!(status, StatusCode::OK, "{flow}");
    // No session starts on a flow the store does not hold.
    assert_refused(start_session(&client).await).await;

    cap(&server.store, false).await;
    until_ready(&client).await;
    let (id, _) = client.start("sign-in", json!({})).await;
    let (status, body) = client.answer(&id, "web").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    server.stop().await;

    let conn = Connection::open(&path).unwrap();
    let recorded: i64 = conn
        .query_row(
            "SELECT count(*) FROM flow_versions WHERE id = 'sign-in' AND version = ?1",
            [flow["version"].as_str().unwrap()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(recorded, 1);
}

/// No file the child writes may grow past this: room for SQLite's shared-memory index (32 KiB),
/// none for the write-ahead log a crash left behind.
#[cfg(target_os = "linux")]
const FILE_LIMIT: u64 = 32 * 1024;

/// `stepwise serve` on `store`, unable to write past [`FILE_LIMIT`] into any file: a write
/// there fails (`EFBIG`) as on a full disk, instead of killing the process (`SIGXFSZ`).
#[cfg(target_os = "linux")]
fn spawn_limited(flows: &Path, store: &str) -> (Child, Client) {
    use std::os::unix::process::CommandExt;

    let mut command = Command::new(env!("CARGO_BIN_EXE_stepwise"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .arg("--flows")
        .arg(flows)
        .args(["--store", store])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: between fork and exec the child only makes two system calls, which allocate
    // nothing and take no lock.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            rlimit::setrlimit(rlimit::Resource::FSIZE, FILE_LIMIT, rlimit::INFINITY)
        });
    }
    let mut child = command.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (found, address) = std::sync::mpsc::channel();
    // Read the log for the address it listens on, then keep draining it; a server that
    // stops before it listens sends its log instead.
    std::thread::spawn(move || {
        let mut log = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let listen = serde_json::from_str::<Value>(&line)
                .ok()
                .and_then(|v| v["fields"]["listen"].as_str().map(str::to_owned));
            match listen {
                Some(listen) => drop(found.send(Ok(listen))),
                None => log.push_str(&line),
            }
        }
        let _ = found.send(Err(log));
    });
    let listen = address
        .recv_timeout(Duration::from_secs(30))
        .expect("the server logs where it listens")
        .unwrap_or_else(|error| panic!("the server did not start: {error}"));
    (child, Client::new(format!("http://{listen}")))
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_server_whose_store_cannot_be_written_starts_read_only_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stepwise.db");
    let store = format!("sqlite://{}", path.display());
    let flows = support::fixtures();

    // A server crashes and leaves its write-ahead log behind, larger than the limit.
    let first = Binary::spawn(&flows, &store);
    let (id, _) = first.client.start("sign-in", json!({})).await;
    let (status, before) = first.client.answer(&id, "web").await;
    assert_eq!(status, StatusCode::OK, "{before}");
    for _ in 0..16 {
        first.client.start("sign-in", json!({})).await;
    }
    first.kill9();
    let log = std::fs::metadata(dir.path().join("stepwise.db-wal")).unwrap();
    assert!(log.len() > FILE_LIMIT, "the log is {} bytes", log.len());

    let (mut child, client) = spawn_limited(&flows, &store);
    assert_read_only(
        &client,
        &["its file cannot be read or written", "it is full"],
    )
    .await;
    assert_eq!(client.get("/healthz").await.0, StatusCode::OK);
    let (status, now) = client.get(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{now}");
    assert_eq!(now["step"], before["step"]);
    assert_refused(start_session(&client).await).await;
    let answer = client
        .http
        .post(client.url(&format!("/api/v1/sessions/{id}/answer")))
        .json(&json!({"answer": "code"}))
        .send()
        .await
        .unwrap();
    assert_refused(answer).await;

    // Space returns: the limit is lifted under the running server.
    let pid = i32::try_from(child.id()).unwrap();
    let unlimited = (rlimit::INFINITY, rlimit::INFINITY);
    rlimit::prlimit(pid, rlimit::Resource::FSIZE, Some(unlimited), None).unwrap();
    until_ready(&client).await;
    let (status, after) = client.answer(&id, "code").await;
    assert_eq!(status, StatusCode::OK, "{after}");
    client.start("sign-in", json!({})).await;

    child.kill().unwrap();
    child.wait().unwrap();
}
