//! What one client may send: the session rate limit per client address (429 with
//! `Retry-After`), and the limits on body, URI and header size (413, 414, 431), each answered
//! with our JSON error.

use crate::support;

use std::num::NonZeroU32;
use std::path::Path;

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use serde_json::{Value, json};
use stepwise::limits::{MAX_HEADER_BYTES, MAX_HEADERS, MAX_URI_BYTES};
use stepwise::serve::{Config, Settings};
use support::{TestServer, no_redirects as http};

const TOKEN: &str = "limits-agent-token";

async fn server(store: &Path, session_rate: Option<u32>) -> TestServer {
    TestServer::start_with(Config {
        flows: support::workspace_root().join("flows"),
        store: support::sqlite(store),
        settings: Settings {
            agent_token: Some(TOKEN.to_owned()),
            session_rate: session_rate.and_then(NonZeroU32::new),
            // Loopback is never counted on its own, so each test client names its address.
            forwarded_for: true,
            ..Settings::default()
        },
        watch: false,
    })
    .await
}

/// Starts a session over the API as the client at `address` (none: the loopback peer).
async fn start(server: &TestServer, address: Option<&str>) -> reqwest::Response {
    let mut request = http()
        .post(server.client.url("/api/v1/sessions"))
        .json(&json!({"flow": "deposit-missing-memo"}));
    if let Some(address) = address {
        request = request.header("x-forwarded-for", format!("10.9.9.9, {address}"));
    }
    request.send().await.unwrap()
}

async fn error_code(response: reqwest::Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn starting_too_many_sessions_from_one_address_is_answered_429_with_retry_after() {
    let store = tempfile::tempdir().unwrap();
    let server = server(store.path(), Some(3)).await;
    for _ in 0..3 {
        assert_eq!(
            start(&server, Some("192.0.2.1")).await.status(),
            StatusCode::CREATED
        );
    }
    let refused = start(&server, Some("192.0.2.1")).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = refused.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(error_code(refused).await, "rate_limited");

    // The wizard's start counts against the same allowance, as an error the form can show.
    let wizard = http()
        .post(server.client.url("/flows/deposit-missing-memo/start"))
        .header("x-forwarded-for", "192.0.2.1")
        .send()
        .await
        .unwrap();
    assert_eq!(wizard.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(wizard.headers().contains_key(RETRY_AFTER));

    // Another address, and everything but starting a session, go on as before.
    assert_eq!(
        start(&server, Some("192.0.2.2")).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        start(&server, Some("2001:db8::1")).await.status(),
        StatusCode::CREATED
    );
    let (id, _) = server.client.start("deposit-missing-memo", json!({})).await;
    let moved = http()
        .post(server.client.url(&format!("/api/v1/sessions/{id}/answer")))
        .header("x-forwarded-for", "192.0.2.1")
        .json(&json!({"answer": "in"}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), StatusCode::OK);
    // Staff are not limited: the agent's start needs the token instead.
    let agent = http()
        .post(server.client.url("/agent/flows/deposit-missing-memo/start"))
        .header("x-forwarded-for", "192.0.2.1")
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(agent.status(), StatusCode::SEE_OTHER);
    server.stop().await;
}

#[tokio::test]
async fn a_loopback_peer_and_a_server_without_a_limit_are_not_counted() {
    let store = tempfile::tempdir().unwrap();
    let limited = server(store.path(), Some(1)).await;
    for _ in 0..5 {
        assert_eq!(start(&limited, None).await.status(), StatusCode::CREATED);
    }
    limited.stop().await;
    let store = tempfile::tempdir().unwrap();
    let unlimited = server(store.path(), None).await;
    for _ in 0..5 {
        let started = start(&unlimited, Some("192.0.2.1")).await;
        assert_eq!(started.status(), StatusCode::CREATED);
    }
    unlimited.stop().await;
}

#[tokio::test]
async fn oversized_requests_are_refused_with_json_errors() {
    let store = tempfile::tempdir().unwrap();
    let server = server(store.path(), None).await;

    let body = json!({"flow": "deposit-missing-memo", "facts": {"x": "y".repeat(70 * 1024)}});
    let response = http()
        .post(server.client.url("/api/v1/sessions"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(response).await, "body_too_large");

    let long = format!("/api/v1/flows?q={}", "a".repeat(MAX_URI_BYTES));
    let response = http().get(server.client.url(&long)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::URI_TOO_LONG);
    assert_eq!(error_code(response).await, "uri_too_long");

    let mut many = http().get(server.client.url("/api/v1/flows"));
    for i in 0..=MAX_HEADERS {
        many = many.header(format!("x-extra-{i}"), "1");
    }
    let response = many.send().await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    assert_eq!(error_code(response).await, "headers_too_large");

    let response = http()
        .get(server.client.url("/api/v1/flows"))
        .header("x-large", "v".repeat(MAX_HEADER_BYTES))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    assert_eq!(error_code(response).await, "headers_too_large");

    // Just under every limit is fine.
    let response = http()
        .get(server.client.url("/api/v1/flows"))
        .header("x-large", "v".repeat(MAX_HEADER_BYTES / 2))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    server.stop().await;
}
