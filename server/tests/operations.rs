//! What an operator relies on: health and readiness, metrics per route and per flow, CORS
//! from an allow-list, request ids, graceful shutdown, and sessions that stay whole when
//! answers race.

use crate::support;

use std::io::{Read, Write};
use std::time::Duration;

use axum::http::HeaderValue;
use serde_json::json;
use stepwise::serve::{Config, Settings};
use support::TestServer;

#[tokio::test]
async fn health_and_readiness_answer() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::fixtures(), store.path()).await;
    assert_eq!(
        server.client.get("/healthz").await.1,
        json!({"status": "ok"})
    );
    assert_eq!(
        server.client.get("/readyz").await.1,
        json!({"status": "ready"})
    );
    server.stop().await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_sessions_by_flow() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::fixtures(), store.path()).await;
    let client = server.client.clone();
    let (resolved, _) = client.start("second-factor", json!({})).await;
    client.answer(&resolved, "yes").await;
    let (escalated, _) = client.start("second-factor", json!({})).await;
    client.answer(&escalated, "no").await;
    client.answer(&escalated, "no").await;
    client.answer(&escalated, "maybe").await;
    client.start("sign-in", json!({})).await;

    let metrics = scrape(&client).await;
    for line in [
        r#"stepwise_http_requests_total{method="POST",route="/api/v1/sessions/{id}/answer",status="200"} 3"#,
        r#"stepwise_http_requests_total{method="POST",route="/api/v1/sessions/{id}/answer",status="422"} 1"#,
        r#"stepwise_http_requests_total{method="POST",route="/api/v1/sessions",status="201"} 3"#,
        r#"stepwise_sessions{flow="second-factor",party="customer",outcome="resolved"} 1"#,
        r#"stepwise_sessions{flow="second-factor",party="customer",outcome="escalated"} 1"#,
        r#"stepwise_sessions{flow="sign-in",party="customer",outcome="in_progress"} 1"#,
        "stepwise_flow_files_with_errors 0",
        r#"stepwise_http_request_duration_seconds_count{method="POST",route="/api/v1/sessions/{id}/answer"} 4"#,
    ] {
        assert!(metrics.contains(line), "missing {line} in\n{metrics}");
    }
    assert!(metrics.contains("stepwise_store_commit_writes_count"));
    // Series are per route, never per URL: no session id makes its own series.
    assert!(!metrics.contains(&resolved) && !metrics.contains(&escalated));
    server.stop().await;
}

#[tokio::test]
async fn metrics_count_the_flow_files_with_errors() {
    let flows = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(support::fixtures()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, flows.path().join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(flows.path().join("broken.ron"), "Flow(id: \"broken\"").unwrap();
    std::fs::write(
        flows.path().join("dangling.ron"),
        r#"Flow(id: "dangling", title: "T", start: "a", nodes: {"a": Info(text: "x", next: "nowhere")})"#,
    )
    .unwrap();
    let server = TestServer::start(flows.path(), store.path()).await;
    let metrics = scrape(&server.client).await;
    assert!(
        metrics.contains("\nstepwise_flow_files_with_errors 2\n"),
        "{metrics}"
    );
    // The flows that pass are still counted, and only those.
    assert!(
        metrics
            .contains(r#"stepwise_sessions{flow="sign-in",party="customer",outcome="resolved"} 0"#)
    );
    assert!(!metrics.contains(r#"flow="broken""#));
    server.stop().await;
}

/// The body of `/metrics`.
async fn scrape(client: &support::Client) -> String {
    let response = client.http.get(client.url("/metrics")).send().await;
    response.unwrap().text().await.unwrap()
}

/// Series in a `/metrics` scrape: every line that is not a comment.
async fn series(client: &support::Client) -> Vec<String> {
    scrape(client)
        .await
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Sends `count` requests that each carry a method, a path and a flow id no one has used.
async fn hostile_requests(client: &support::Client, round: usize, count: usize) {
    for n in 0..count {
        let unique = format!("{round}x{n}");
        let method = format!("M{}{}", unique.replace('x', "Y"), "Z".repeat(10_000));
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = client
            .http
            .request(method, client.url("/api/v1/flows"))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_client_error(), "{}", response.status());
        let path = format!("/nowhere/{unique}/{}", "é".repeat(2_000));
        client.http.get(client.url(&path)).send().await.unwrap();
        let flow = format!("flow-{unique}-{}", "q".repeat(5_000));
        client
            .post("/api/v1/sessions", json!({"flow": flow, "facts": {}}))
            .await;
        client.get(&format!("/api/v1/flows/{flow}/stats")).await;
    }
}

#[tokio::test]
async fn hostile_methods_paths_and_flow_ids_add_no_series() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::fixtures(), store.path()).await;
    let client = server.client.clone();
    // One round and one scrape first, so every status and route these requests (and the
    // scrape itself) reach has its series.
    hostile_requests(&client, 0, 3).await;
    series(&client).await;
    let before = series(&client).await;
    hostile_requests(&client, 1, 200).await;
    let after = series(&client).await;

    let names = |lines: &[String]| -> Vec<String> {
        lines
            .iter()
            .map(|line| {
                line.rsplit_once(' ')
                    .map_or(line.as_str(), |(name, _)| name)
                    .to_owned()
            })
            .collect()
    };
    assert_eq!(names(&before), names(&after), "new series appeared");
    let body: usize = after.iter().map(String::len).sum();
    assert!(body < 64 * 1024, "a scrape of {body} bytes");
    assert!(
        after.iter().any(|line| line.contains(r#"method="other""#)),
        "extension methods count as other:\n{}",
        after.join("\n")
    );
    assert!(
        !after
            .iter()
            .any(|line| line.contains("ZZZZ") || line.contains("qqqq"))
    );
    server.stop().await;
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(Config {
        flows: support::fixtures(),
        store: support::sqlite(store.path()),
        settings: Settings {
            cors_origins: vec![HeaderValue::from_static("https://help.example.com")],
            ..Settings::default()
        },
        watch: false,
    })
    .await;
    let client = &server.client;
    let preflight = |origin: &'static str| {
        client
            .http
            .request(reqwest::Method::OPTIONS, client.url("/api/v1/sessions"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = preflight("https://help.example.com").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://help.example.com"
    );
    let refused = preflight("https://evil.example.com").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    let simple = client
        .http
        .get(client.url("/api/v1/flows"))
        .header("origin", "https://help.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        simple.headers()["access-control-allow-origin"],
        "https://help.example.com"
    );
    server.stop().await;
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::fixtures(), store.path()).await;
    let client = &server.client;
    let fresh = client
        .http
        .get(client.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.headers()["x-request-id"].len(), 36);
    let given = client
        .http
        .get(client.url("/nowhere"))
        .header("x-request-id", "trace-me-1")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "trace-me-1");
    server.stop().await;
}

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::fixtures(), store.path()).await;
    let address = server.client.base.trim_start_matches("http://").to_owned();
    let body = br#"{"flow":"sign-in"}"#;
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    // Half a request: the server is reading it when the shutdown comes.
    write!(
        stream,
        "POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(&body[..5]).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopping = tokio::spawn(server.stop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!stopping.is_finished(), "the server waits for the request");
    let response = tokio::task::spawn_blocking(move || {
        stream.write_all(&body[5..]).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut buffer = [0u8; 4096];
        let n = stream.read(&mut buffer).unwrap();
        String::from_utf8_lossy(&buffer[..n]).into_owned()
    })
    .await
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .expect("the server stops once the request is answered")
        .unwrap();
}

#[tokio::test]
async fn racing_answers_never_corrupt_a_session() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::fixtures(), store.path()).await;
    let client = server.client.clone();
    // Each racer sends an answer that some step of the path ahead offers.
    let (id, _) = client.start("sign-in", json!({"platform": "web"})).await;
    client.answer(&id, "password").await;
    let racers: Vec<_> = (0..32)
        .map(|i| {
            let client = client.clone();
            let id = id.clone();
            tokio::spawn(async move {
                let answer = if i % 2 == 0 { "no" } else { "next" };
                client.answer(&id, answer).await
            })
        })
        .collect();
    let mut accepted = 0;
    for racer in racers {
        let (status, body) = racer.await.unwrap();
        match status.as_u16() {
            200 => accepted += 1,
            409 => assert_eq!(body["error"]["code"], "conflict"),
            422 => assert!(
                ["answer_not_offered", "finished"]
                    .contains(&body["error"]["code"].as_str().unwrap()),
                "{body}"
            ),
            other => panic!("{other}: {body}"),
        }
    }
    assert!(accepted >= 1);
    // The session holds exactly the answers that were acknowledged, in a valid order.
    let (_, session) = client.get(&format!("/api/v1/sessions/{id}")).await;
    let given: Vec<&str> = session["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| !h["automatic"].as_bool().unwrap())
        .filter_map(|h| h["answer"]["id"].as_str())
        .collect();
    assert_eq!(given.len(), 1 + accepted, "{given:?}");
    assert_eq!(session["step"]["position"], given.len());
    server.stop().await;
}
