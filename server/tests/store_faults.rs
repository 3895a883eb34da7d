//! A store that cannot take changes — read-only or full — makes the server answer `503
//! store_unavailable` (and a page saying so) without changing anything; once the store
//! recovers, the same requests succeed, and the database is whole.
//!
//! The faults are real SQLite ones on a real file under a running server: the writer's
//! connection is reopened read-only, or capped at its current size with `max_page_count`.

use crate::support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use rusqlite::{Connection, OpenFlags};
use serde_json::{Value, json};
use stepwise_app::metrics::Metrics;
use stepwise_store::Synchronous;
use stepwise_store::sqlite::SqliteStore;
use support::{Client, OverStore};

/// A server in this process over an SQLite store the test keeps a handle on.
struct Faulty {
    client: Client,
    served: OverStore,
    store: Arc<SqliteStore>,
    path: PathBuf,
}

impl Faulty {
    async fn start(dir: &Path) -> Faulty {
        let path = dir.join("stepwise.db");
        let metrics = Metrics::new();
        let store =
            Arc::new(SqliteStore::open(&path, Synchronous::Full, metrics.store.clone()).unwrap());
        let served = OverStore::start(store.clone(), metrics).await;
        Faulty {
            client: served.client.clone(),
            served,
            store,
            path,
        }
    }

    /// Closes the writer's connection and opens the file again, read-only or not.
    async fn reopen(&self, read_only: bool) {
        let path = self.path.clone();
        self.store
            .with_writer(move |conn| {
                let flags = if read_only {
                    OpenFlags::SQLITE_OPEN_READ_ONLY
                } else {
                    OpenFlags::SQLITE_OPEN_READ_WRITE
                };
                *conn = Connection::open_with_flags(&path, flags)?;
                conn.pragma_update(None, "synchronous", "FULL")
            })
            .await
            .unwrap();
    }

    /// Caps the file at `pages` pages (at least its size now).
    async fn cap(&self, pages: Option<i64>) {
        self.store
            .with_writer(move |conn| {
                let now: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
                conn.pragma_update(None, "max_page_count", pages.unwrap_or(now))
            })
            .await
            .unwrap();
    }

    async fn stop(self) {
        self.served.stop().await;
        drop(self.store);
        // Every connection is closed now: the file must be whole.
        let conn = Connection::open(&self.path).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }
}

/// Asserts a `503 store_unavailable` whose message names `reason`.
async fn assert_unavailable(response: reqwest::Response, reason: &str) {
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()[RETRY_AFTER], "5");
    let (_, body) = support::json(response).await;
    assert_eq!(body["error"]["code"], "store_unavailable", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(reason), "{message}");
    assert!(message.contains("nothing was changed"), "{message}");
}

async fn post(client: &Client, path: &str, body: Value) -> reqwest::Response {
    client
        .http
        .post(client.url(path))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn start_session(client: &Client) -> reqwest::Response {
    post(
        client,
        "/api/v1/sessions",
        json!({"flow": "sign-in", "facts": {}}),
    )
    .await
}

/// The ids of the stored sessions, in the order they started.
fn stored(path: &Path) -> Vec<String> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn
        .prepare("SELECT id FROM sessions ORDER BY seq")
        .unwrap();
    stmt.query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn a_read_only_store_answers_503_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let server = Faulty::start(dir.path()).await;
    let client = server.client.clone();
    let (id, _) = client.start("sign-in", json!({})).await;
    let (status, before) = client.answer(&id, "web").await;
    assert_eq!(status, 200, "{before}");

    server.reopen(true).await;
    let answer = format!("/api/v1/sessions/{id}/answer");
    assert_unavailable(
        post(&client, &answer, json!({"answer": "code"})).await,
        "read-only",
    )
    .await;
    assert_unavailable(start_session(&client).await, "read-only").await;
    // The customer's page says so in words, and keeps what was answered.
    let page = client
        .http
        .post(client.url("/flows/sign-in/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(page.headers()[RETRY_AFTER], "5");
    let html = page.text().await.unwrap();
    assert!(html.contains("save your answer right now"), "{html}");
    assert!(html.contains("Your answers so far are kept"), "{html}");
    // Reading still works, and the refused answer changed nothing.
    let (status, now) = client.get(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(now["step"], before["step"]);
    assert_eq!(now["step"]["position"], 1, "{now}");

    server.reopen(false).await;
    let (status, after) = client.answer(&id, "code").await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["step"]["node"], "about-2fa");
    let (other, _) = client.start("sign-in", json!({})).await;
    let (_, now) = client.get(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(now["step"]["position"], 2, "{now}");

    // Exactly the acknowledged sessions are stored: none of the refused starts.
    assert_eq!(stored(&server.path), [id, other]);
    server.stop().await;
}

#[tokio::test]
async fn a_full_store_answers_503_and_recovers_when_space_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let server = Faulty::start(dir.path()).await;
    let client = server.client.clone();
    let (first, _) = client.start("sign-in", json!({})).await;

    server.cap(None).await;
    let mut acknowledged = vec![first.clone()];
    let mut refused = 0;
    // The pages the file has left fill within a few hundred sessions.
    for _ in 0..5_000 {
        let response = start_session(&client).await;
        if response.status() == StatusCode::CREATED {
            let (_, body) = support::json(response).await;
            acknowledged.push(body["id"].as_str().unwrap().to_owned());
        } else {
            assert_unavailable(response, "it is full").await;
            refused += 1;
            break;
        }
    }
    assert_eq!(refused, 1, "the store never filled up");
    // Every session acknowledged before the store filled up reads back.
    for id in &acknowledged {
        let (status, body) = client.get(&format!("/api/v1/sessions/{id}")).await;
        assert_eq!(status, 200, "{body}");
    }
    // Moves that need space are refused too and leave the session as it was.
    let mut moved = Vec::new();
    for id in &acknowledged {
        let answer = format!("/api/v1/sessions/{id}/answer");
        let response = post(&client, &answer, json!({"answer": "web"})).await;
        if response.status() == StatusCode::OK {
            moved.push(id.clone());
        } else {
            assert_unavailable(response, "it is full").await;
            let (_, body) = client.get(&format!("/api/v1/sessions/{id}")).await;
            assert_eq!(body["step"]["node"], "platform", "{body}");
        }
    }

    // Space is made: the same requests succeed.
    server.cap(Some(1_073_741_823)).await;
    let (late, _) = client.start("sign-in", json!({})).await;
    acknowledged.push(late.clone());
    for id in &acknowledged {
        if !moved.contains(id) {
            let (status, body) = client.answer(id, "web").await;
            assert_eq!(status, 200, "{body}");
            moved.push(id.clone());
        }
    }

    // Nothing half-written: exactly the acknowledged sessions, each with its one answer.
    assert_eq!(stored(&server.path), acknowledged);
    for id in &acknowledged {
        let (_, body) = client.get(&format!("/api/v1/sessions/{id}")).await;
        assert_eq!(body["step"]["node"], "what-fails", "{body}");
    }
    server.stop().await;
}
