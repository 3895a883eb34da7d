//! Two real `stepwise serve` processes sharing one PostgreSQL database, as behind a load
//! balancer: a session moves freely between them, and of answers racing on one session
//! across both exactly one is applied.

use crate::support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::Binary;
use support::postgres::TestDatabase;

#[tokio::test]
async fn a_session_started_on_one_instance_continues_on_the_other() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let a = Binary::spawn(&support::fixtures(), &db.url);
    let b = Binary::spawn(&support::fixtures(), &db.url);
    let (a, b) = (a.client.clone(), b.client.clone());

    let (id, started) = a.start("sign-in", json!({"platform": "web"})).await;
    assert_eq!(started["step"]["node"], "what-fails");
    let (_, on_b) = b.get(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(on_b["step"], started["step"]);

    // Every move on the instance the balancer happens to pick, each seen by the other.
    let (status, body) = b.answer(&id, "code").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["step"]["node"], "about-2fa");
    let (status, body) = a.answer(&id, "next").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["step"]["node"], "clock", "linked into second-factor");
    let (status, body) = b.answer(&id, "no").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["step"]["node"], "device");
    let (status, body) = a.post_empty(&format!("/api/v1/sessions/{id}/back")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["step"]["node"], "clock");
    b.answer(&id, "no").await;
    let (status, body) = a.answer(&id, "no").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["step"]["kind"], "escalate");
    let (status, receipt) = a
        .post(
            &format!("/api/v1/sessions/{id}/details"),
            json!({"details": {"uid": "4242"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{receipt}");

    let (_, seen_by_a) = a.get(&format!("/api/v1/sessions/{id}")).await;
    let (_, seen_by_b) = b.get(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(seen_by_a, seen_by_b);
    assert_eq!(seen_by_b["status"], "escalated");
    assert_eq!(seen_by_b["reference"], receipt["reference"]);
    assert_eq!(seen_by_b["revision"], 8, "seven changes after the start");
    let transcript = b
        .http
        .get(b.url(&format!("/api/v1/sessions/{id}/transcript")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(transcript.contains("4242"), "{transcript}");
}

#[tokio::test]
async fn of_answers_racing_across_two_instances_exactly_one_is_applied() {
    const RACERS: usize = 16;
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let a = Binary::spawn(&support::fixtures(), &db.url);
    let b = Binary::spawn(&support::fixtures(), &db.url);
    let (a, b) = (a.client.clone(), b.client.clone());

    let (id, started) = a.start("sign-in", json!({"platform": "web"})).await;
    let revision = started["revision"].as_i64().unwrap();
    let (_, before) = a.get(&format!("/api/v1/sessions/{id}")).await;

    // Every racer answers the step it was shown, naming its revision; half go to each server.
    let racers: Vec<_> = (0..RACERS)
        .map(|i| {
            let client = if i % 2 == 0 { a.clone() } else { b.clone() };
            let path = format!("/api/v1/sessions/{id}/answer");
            tokio::spawn(async move {
                client
                    .post(&path, json!({"answer": "password", "revision": revision}))
                    .await
            })
        })
        .collect();
    let mut won: Vec<Value> = Vec::new();
    let mut lost: Vec<Value> = Vec::new();
    for racer in racers {
        let (status, body) = racer.await.unwrap();
        match status {
            StatusCode::OK => won.push(body),
            StatusCode::CONFLICT => lost.push(body),
            other => panic!("a racer got {other}: {body}"),
        }
    }
    assert_eq!(won.len(), 1, "exactly one answer wins: {won:?}");
    assert_eq!(lost.len(), RACERS - 1);
    let winner = &won[0];
    assert_eq!(winner["revision"], revision + 1);
    assert_eq!(winner["step"]["node"], "reset-password");
    for body in &lost {
        assert_eq!(body["error"]["code"], "conflict", "{body}");
        // Each loser is told where the session stands now: the winner's step.
        assert_eq!(body["session"]["revision"], revision + 1, "{body}");
        assert_eq!(body["session"]["step"], winner["step"], "{body}");
    }

    // Stored: one answer more than before, on both instances and in the database.
    let (_, after_a) = a.get(&format!("/api/v1/sessions/{id}")).await;
    let (_, after_b) = b.get(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(after_a, after_b);
    let history = |v: &Value| v["history"].as_array().cloned().unwrap_or_default();
    assert_eq!(history(&after_a).len(), history(&before).len() + 1);
    // The entry before the current step is the one answer applied.
    let answered = history(&after_a).iter().rev().nth(1).cloned().unwrap();
    assert_eq!(answered["node"], "what-fails");
    assert_eq!(answered["answer"]["id"], "password");
    let answers = |v: &Value| {
        history(v)
            .iter()
            .filter(|h| !h["answer"].is_null() && h["automatic"] == false)
            .count()
    };
    assert_eq!(answers(&after_a), answers(&before) + 1);
    assert_eq!(stored_revision(&db, &id).await, revision + 1);
}

/// The revision as the database holds it, read past both servers.
async fn stored_revision(db: &TestDatabase, id: &str) -> i64 {
    let (client, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let driver = tokio::spawn(connection);
    let row = client
        .query_one("SELECT revision FROM sessions WHERE id = $1", &[&id])
        .await
        .unwrap();
    drop(client);
    driver.await.unwrap().unwrap();
    row.get(0)
}
