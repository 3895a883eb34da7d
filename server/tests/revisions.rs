//! Every session carries a revision; an answer may name the one it was given for, and an
//! answer to a step that has moved on is refused with 409 and the session as it is now.

use crate::support;

use reqwest::StatusCode;
use serde_json::json;
use support::TestServer;

#[tokio::test]
async fn every_move_counts_one_revision() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::fixtures(), store.path()).await;
    let client = server.client.clone();
    let (id, started) = client.start("second-factor", json!({})).await;
    assert_eq!(started["revision"], 1);
    let (_, answered) = client.answer(&id, "no").await;
    assert_eq!(answered["revision"], 2);
    let (_, back) = client
        .post_empty(&format!("/api/v1/sessions/{id}/back"))
        .await;
    assert_eq!(back["revision"], 3);
    let (_, shown) = client.get(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(shown["revision"], 3);
    server.stop().await;
}

#[tokio::test]
async fn an_answer_naming_the_current_revision_applies() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::fixtures(), store.path()).await;
    let client = server.client.clone();
    let (id, _) = client.start("second-factor", json!({})).await;
    let (status, body) = client
        .post(
            &format!("/api/v1/sessions/{id}/answer"),
            json!({"answer": "no", "revision": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["step"]["node"], "device");
    assert_eq!(body["revision"], 2);
    server.stop().await;
}

#[tokio::test]
async fn an_answer_to_a_step_that_moved_on_is_a_conflict_with_the_current_step() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::fixtures(), store.path()).await;
    let client = server.client.clone();
    let (id, _) = client.start("second-factor", json!({})).await;
    // Another tab answered "no" at the clock remedy, then "yes" at the device question.
    client.answer(&id, "no").await;
    let (_, now) = client.answer(&id, "yes").await;
    assert_eq!(now["step"]["node"], "resync");
    // This tab still shows the clock remedy (revision 1) and answers "no" to it. Without the
    // revision it would be taken as "no" to the resync remedy: an escalation nobody chose.
    let (status, body) = client
        .post(
            &format!("/api/v1/sessions/{id}/answer"),
            json!({"answer": "no", "revision": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
    assert_eq!(body["session"], now, "the session as it is now");
    let (_, after) = client.get(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(after["revision"], 3, "nothing changed");
    assert_eq!(after["step"]["node"], "resync");
    server.stop().await;
}

#[tokio::test]
async fn an_answer_without_a_revision_applies_to_the_current_step() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::fixtures(), store.path()).await;
    let client = server.client.clone();
    let (id, _) = client.start("second-factor", json!({})).await;
    client.answer(&id, "no").await;
    let (status, body) = client.answer(&id, "yes").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["step"]["node"], "resync");
    server.stop().await;
}

#[tokio::test]
async fn a_revision_that_is_not_a_number_is_a_malformed_body() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::fixtures(), store.path()).await;
    let client = server.client.clone();
    let (id, _) = client.start("second-factor", json!({})).await;
    let (status, body) = client
        .post(
            &format!("/api/v1/sessions/{id}/answer"),
            json!({"answer": "no", "revision": "one"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "malformed_body");
    let (_, after) = client.get(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(after["revision"], 1);
    server.stop().await;
}

#[tokio::test]
async fn a_revision_written_as_a_whole_float_is_a_revision_and_a_fraction_is_malformed() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::fixtures(), store.path()).await;
    let client = server.client.clone();
    let (id, _) = client.start("second-factor", json!({})).await;
    let url = format!("/api/v1/sessions/{id}/answer");
    let (status, body) = client
        .post(&url, json!({"answer": "no", "revision": 1.5}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "malformed_body");
    // JSON has one number type: `1.0` is the revision 1.
    let (status, body) = client
        .post(&url, json!({"answer": "no", "revision": 1.0}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["revision"], 2);
    server.stop().await;
}
