//! An acknowledged answer survives `kill -9`: the real binary is killed without warning and
//! started again on the same store, and the session is exactly where it was — also when it
//! is killed under load, with clients logging every answer the server acknowledged.

use crate::support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use support::Binary;

#[tokio::test]
async fn acknowledged_answers_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}", dir.path().join("stepwise.db").display());
    let flows = support::fixtures();

    let server = Binary::spawn(&flows, &store);
    let client = server.client.clone();
    let (id, _) = client.start("sign-in", json!({})).await;
    let mut last = None;
    for answer in ["web", "code", "next", "no"] {
        let (status, body) = client.answer(&id, answer).await;
        assert!(status.is_success(), "{body}");
        last = Some(body);
    }
    // Another session, escalated with its details given.
    let (other, _) = client.start("second-factor", json!({})).await;
    client.answer(&other, "no").await;
    client.answer(&other, "no").await;
    let (status, receipt) = client
        .post(
            &format!("/api/v1/sessions/{other}/details"),
            json!({"details": {"uid": "4242"}}),
        )
        .await;
    assert!(status.is_success(), "{receipt}");
    let (_, before) = client.get(&format!("/api/v1/sessions/{id}")).await;
    let (_, other_before) = client.get(&format!("/api/v1/sessions/{other}")).await;
    server.kill9();

    let server = Binary::spawn(&flows, &store);
    let client = server.client.clone();
    let (_, after) = client.get(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(after, before);
    assert_eq!(after["step"], last.unwrap()["step"]);
    assert_eq!(after["step"]["node"], "device");
    let (_, other_after) = client.get(&format!("/api/v1/sessions/{other}")).await;
    assert_eq!(other_after, other_before);
    assert_eq!(other_after["reference"], receipt["reference"]);
    assert_eq!(other_after["details"], json!({"uid": "4242"}));

    // And the session carries on from there.
    let (status, body) = client.answer(&id, "yes").await;
    assert!(status.is_success(), "{body}");
    assert_eq!(body["step"]["node"], "resync");
    server.kill9();
}

#[tokio::test]
async fn an_unreachable_postgres_store_stops_the_start_with_a_clear_error() {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--store",
            "postgres://postgres:secret@127.0.0.1:1/stepwise",
        ])
        .arg("--flows")
        .arg(support::fixtures())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("cannot connect to PostgreSQL"), "{log}");
    assert!(
        !log.contains("secret"),
        "the password is never logged: {log}"
    );
}

/// What one client saw acknowledged of one session: its id, and the answers the server
/// acknowledged, in order.
#[derive(Debug, Default)]
struct Acknowledged {
    id: String,
    answers: Vec<String>,
    /// Whether a request on this session was still unanswered when the server died: it may
    /// or may not have been committed.
    in_flight: bool,
}

/// One client: starts sessions and answers them until the server stops answering, logging
/// every acknowledged (2xx) answer.
async fn walk_until_killed(
    base: String,
    seed: usize,
    acknowledged: Arc<AtomicUsize>,
) -> (Vec<Acknowledged>, bool) {
    let http = reqwest::Client::new();
    let mut log: Vec<Acknowledged> = Vec::new();
    for n in seed.. {
        let flow = ["sign-in", "second-factor"][n % 2];
        let started = http
            .post(format!("{base}/api/v1/sessions"))
            .json(&json!({"flow": flow, "facts": {}}))
            .send()
            .await;
        let Ok(response) = started else {
            // The start may have been committed without being acknowledged.
            return (log, true);
        };
        assert_eq!(response.status(), 201);
        let Ok(mut body) = response.json::<Value>().await else {
            return (log, true);
        };
        let id = body["id"].as_str().unwrap().to_owned();
        log.push(Acknowledged {
            id: id.clone(),
            ..Acknowledged::default()
        });
        acknowledged.fetch_add(1, Ordering::Relaxed);
        for step in 0.. {
            let offered = body["step"]["answers"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if body["status"] != "active" || offered.is_empty() {
                break;
            }
            let answer = offered[(n + step) % offered.len()]["id"]
                .as_str()
                .unwrap()
                .to_owned();
            let sent = http
                .post(format!("{base}/api/v1/sessions/{id}/answer"))
                .json(&json!({ "answer": answer }))
                .send()
                .await;
            let answered = match sent {
                Ok(response) if response.status().is_success() => response.json::<Value>().await,
                Ok(response) => panic!("answer refused: {}", response.status()),
                Err(_) => {
                    log.last_mut().unwrap().in_flight = true;
                    return (log, true);
                }
            };
            let Ok(next) = answered else {
                log.last_mut().unwrap().in_flight = true;
                return (log, true);
            };
            log.last_mut().unwrap().answers.push(answer);
            acknowledged.fetch_add(1, Ordering::Relaxed);
            body = next;
        }
    }
    (log, false)
}

/// The answers a customer gave, as the server's history of a session records them.
fn given_answers(session: &Value) -> Vec<String> {
    session["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["automatic"] == false)
        .filter_map(|entry| entry["answer"]["id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn kill_9_under_load_loses_and_duplicates_nothing_acknowledged() {
    const CLIENTS: usize = 16;
    const BEFORE_KILL: usize = 1_000;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stepwise.db");
    let store = format!("sqlite://{}", file.display());
    let flows = support::fixtures();

    let server = Binary::spawn(&flows, &store);
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            tokio::spawn(walk_until_killed(
                server.client.base.clone(),
                i * 7,
                Arc::clone(&acknowledged),
            ))
        })
        .collect();
    while acknowledged.load(Ordering::Relaxed) < BEFORE_KILL {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Mid-load: every client has a request on its way.
    server.kill9();
    let mut logs = Vec::new();
    for client in clients {
        let (log, stopped) = client.await.unwrap();
        assert!(stopped, "a client never saw the server die");
        logs.extend(log);
    }

    let server = Binary::spawn(&flows, &store);
    let client = server.client.clone();
    let (mut writes, mut lost, mut duplicated, mut in_flight_kept) = (0, 0, 0, 0);
    for session in &logs {
        writes += 1 + session.answers.len();
        let (status, stored) = client
            .get(&format!("/api/v1/sessions/{}", session.id))
            .await;
        if status != 200 {
            lost += 1 + session.answers.len();
            continue;
        }
        let given = given_answers(&stored);
        let kept = given.len().min(session.answers.len());
        lost += session.answers.len() - kept;
        assert_eq!(given[..kept], session.answers[..kept], "{stored}");
        // One more answer than acknowledged is the request in flight, committed before the
        // kill; anything beyond that was applied twice.
        match given.len().saturating_sub(session.answers.len()) {
            0 => {}
            1 if session.in_flight => in_flight_kept += 1,
            extra => duplicated += extra,
        }
    }
    // Sessions started but never acknowledged may exist (committed, then killed); none twice.
    let conn = rusqlite::Connection::open(&file).unwrap();
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM sessions", [], |r| r.get(0))
        .unwrap();
    let rows = usize::try_from(rows).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    println!(
        "{} sessions and {writes} writes acknowledged by {CLIENTS} clients before kill -9: \
         {lost} lost, {duplicated} duplicated; {in_flight_kept} answers in flight were \
         committed; {rows} sessions stored",
        logs.len()
    );
    assert_eq!((lost, duplicated), (0, 0));
    assert!(
        rows >= logs.len() && rows <= logs.len() + CLIENTS,
        "{rows} rows"
    );
    assert_eq!(check, "ok");

    // Every session carries on where it was.
    for session in logs.iter().rev().take(CLIENTS) {
        let (_, stored) = client
            .get(&format!("/api/v1/sessions/{}", session.id))
            .await;
        if stored["status"] == "active" {
            let answer = stored["step"]["answers"][0]["id"].as_str().unwrap();
            let (status, body) = client.answer(&session.id, answer).await;
            assert!(status.is_success(), "{body}");
        }
    }
    server.kill9();
}
