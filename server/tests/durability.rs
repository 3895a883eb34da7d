//! An acknowledged answer survives `kill -9`: the real binary is killed without warning and
//! started again on the same store, and the session is exactly where it was.

mod support;

use serde_json::json;
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
