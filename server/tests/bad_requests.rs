//! Bad requests get a JSON error with a stable code and the right status, never a 500, and
//! never change a session. Each error body is kept as a snapshot.

use crate::support;

use std::io::{Read, Write};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stepwise::serve::{Config, Settings};
use support::TestServer;

/// One bad request: its name (the snapshot's), what to send, and the status it must get.
struct Case {
    name: &'static str,
    method: Method,
    path: String,
    content_type: Option<&'static str>,
    body: Option<Vec<u8>>,
    status: StatusCode,
}

fn case(name: &'static str, method: Method, path: String, status: StatusCode) -> Case {
    Case {
        name,
        method,
        path,
        content_type: None,
        body: None,
        status,
    }
}

fn json_case(
    name: &'static str,
    path: String,
    body: impl Into<Vec<u8>>,
    status: StatusCode,
) -> Case {
    Case {
        name,
        method: Method::POST,
        path,
        content_type: Some("application/json"),
        body: Some(body.into()),
        status,
    }
}

#[tokio::test]
async fn bad_requests_get_json_errors_and_change_nothing() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::fixtures(), store.path()).await;
    let client = server.client.clone();

    // An active session at its first step, one that is resolved, and one that is escalated.
    let (active, _) = client.start("sign-in", json!({"platform": "web"})).await;
    let (resolved, _) = client.start("second-factor", json!({})).await;
    client.answer(&resolved, "yes").await;
    let (escalated, _) = client.start("second-factor", json!({})).await;
    for a in ["no", "no"] {
        client.answer(&escalated, a).await;
    }
    let before: Vec<Value> = {
        let mut v = Vec::new();
        for id in [&active, &resolved, &escalated] {
            v.push(client.get(&format!("/api/v1/sessions/{id}")).await.1);
        }
        v
    };

    let s = |id: &str, rest: &str| format!("/api/v1/sessions/{id}{rest}");
    let nobody = "00000000-0000-4000-8000-000000000000";
    use StatusCode as S;
    let cases = vec![
        case(
            "unknown_flow",
            Method::GET,
            "/api/v1/flows/no-such-flow".into(),
            S::NOT_FOUND,
        ),
        json_case(
            "start_unknown_flow",
            "/api/v1/sessions".into(),
            r#"{"flow":"no-such-flow"}"#,
            S::NOT_FOUND,
        ),
        case("unknown_session", Method::GET, s(nobody, ""), S::NOT_FOUND),
        case(
            "session_id_not_an_id",
            Method::GET,
            s("not-an-id", ""),
            S::NOT_FOUND,
        ),
        json_case(
            "answer_unknown_session",
            s(nobody, "/answer"),
            r#"{"answer":"yes"}"#,
            S::NOT_FOUND,
        ),
        json_case(
            "answer_not_offered",
            s(&active, "/answer"),
            r#"{"answer":"maybe"}"#,
            S::UNPROCESSABLE_ENTITY,
        ),
        case(
            "back_at_start",
            Method::POST,
            s(&active, "/back"),
            S::UNPROCESSABLE_ENTITY,
        ),
        json_case(
            "answer_after_outcome",
            s(&resolved, "/answer"),
            r#"{"answer":"yes"}"#,
            S::UNPROCESSABLE_ENTITY,
        ),
        json_case(
            "details_before_escalation",
            s(&active, "/details"),
            r#"{"details":{}}"#,
            S::UNPROCESSABLE_ENTITY,
        ),
        json_case(
            "details_required_missing",
            s(&escalated, "/details"),
            r#"{"details":{"email":"a@example.com"}}"#,
            S::UNPROCESSABLE_ENTITY,
        ),
        json_case(
            "details_unknown_and_too_long",
            s(&escalated, "/details"),
            r#"{"details":{"email":"a@example.com","uid":"1234567890123","colour":"red"}}"#,
            S::UNPROCESSABLE_ENTITY,
        ),
        json_case(
            "feedback_before_outcome",
            s(&active, "/feedback"),
            r#"{"helpful":true}"#,
            S::UNPROCESSABLE_ENTITY,
        ),
        json_case(
            "empty_fact",
            "/api/v1/sessions".into(),
            r#"{"flow":"sign-in","facts":{"platform":" "}}"#,
            S::UNPROCESSABLE_ENTITY,
        ),
        json_case(
            "body_not_json",
            s(&active, "/answer"),
            r#"{"answer":"#,
            S::BAD_REQUEST,
        ),
        json_case("body_empty", s(&active, "/answer"), "", S::BAD_REQUEST),
        json_case(
            "body_wrong_type",
            s(&active, "/answer"),
            r#"{"answer":3}"#,
            S::BAD_REQUEST,
        ),
        json_case(
            "body_missing_field",
            s(&active, "/answer"),
            r#"{}"#,
            S::BAD_REQUEST,
        ),
        json_case(
            "body_unknown_field",
            "/api/v1/sessions".into(),
            r#"{"flow":"sign-in","colour":"red"}"#,
            S::BAD_REQUEST,
        ),
        json_case(
            "facts_not_strings",
            "/api/v1/sessions".into(),
            r#"{"flow":"sign-in","facts":{"platform":1}}"#,
            S::BAD_REQUEST,
        ),
        json_case(
            "feedback_not_bool",
            s(&resolved, "/feedback"),
            r#"{"helpful":"yes"}"#,
            S::BAD_REQUEST,
        ),
        Case {
            content_type: Some("text/plain"),
            ..json_case(
                "body_not_declared_json",
                s(&active, "/answer"),
                r#"{"answer":"web"}"#,
                S::UNSUPPORTED_MEDIA_TYPE,
            )
        },
        Case {
            content_type: None,
            ..json_case(
                "body_without_content_type",
                s(&active, "/answer"),
                r#"{"answer":"web"}"#,
                S::UNSUPPORTED_MEDIA_TYPE,
            )
        },
        json_case(
            "body_too_large",
            s(&active, "/answer"),
            format!(r#"{{"answer":"{}"}}"#, "x".repeat(100 * 1024)),
            S::PAYLOAD_TOO_LARGE,
        ),
        case(
            "wrong_method_on_session",
            Method::DELETE,
            s(&active, ""),
            S::METHOD_NOT_ALLOWED,
        ),
        case(
            "wrong_method_on_answer",
            Method::GET,
            s(&active, "/answer"),
            S::METHOD_NOT_ALLOWED,
        ),
        case(
            "wrong_method_on_flows",
            Method::PUT,
            "/api/v1/flows".into(),
            S::METHOD_NOT_ALLOWED,
        ),
        case(
            "unknown_route",
            Method::GET,
            "/api/v2/flows".into(),
            S::NOT_FOUND,
        ),
        case(
            "unknown_route_under_session",
            Method::POST,
            s(&active, "/jump"),
            S::NOT_FOUND,
        ),
        case("path_not_utf8", Method::GET, s("%FF", ""), S::BAD_REQUEST),
        json_case(
            "path_not_utf8_on_answer",
            s("%FF", "/answer"),
            r#"{"answer":"web"}"#,
            S::BAD_REQUEST,
        ),
        case(
            "flow_path_not_utf8",
            Method::GET,
            "/api/v1/flows/%FF%FE".into(),
            S::BAD_REQUEST,
        ),
        case(
            "query_repeated",
            Method::GET,
            "/api/v1/flows?q=memo&q=2fa".into(),
            S::BAD_REQUEST,
        ),
    ];

    for case in cases {
        let mut request = client
            .http
            .request(case.method.clone(), client.url(&case.path));
        if let Some(ct) = case.content_type {
            request = request.header("content-type", ct);
        }
        if let Some(body) = case.body {
            request = request.body(body);
        }
        let response = request.send().await.unwrap();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        let (status, body) = support::json(response).await;
        assert_eq!(status, case.status, "{}: {body}", case.name);
        assert_eq!(
            content_type.as_deref(),
            Some("application/json"),
            "{}",
            case.name
        );
        assert!(body["error"]["code"].is_string(), "{}: {body}", case.name);
        insta::assert_json_snapshot!(case.name, body);
    }

    // Not one of those requests moved a session.
    for (id, before) in [&active, &resolved, &escalated].into_iter().zip(before) {
        let (_, after) = client.get(&format!("/api/v1/sessions/{id}")).await;
        assert_eq!(after, before);
    }
    server.stop().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_even_without_a_length() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::fixtures(), store.path()).await;
    let client = server.client.clone();
    // A streamed body has no Content-Length: the limit applies while it is read.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        std::iter::once(Ok(b"{\"flow\":\"".to_vec()))
            .chain((0..20).map(|_| Ok(vec![b'x'; 8 * 1024])))
            .chain(std::iter::once(Ok(b"\"}".to_vec())))
            .collect();
    let response = client
        .http
        .post(client.url("/api/v1/sessions"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_stream(chunks)))
        .send()
        .await
        .unwrap();
    let (status, body) = support::json(response).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "body_too_large");
    server.stop().await;
}

/// A stream of the given chunks, without pulling in a stream crate.
fn futures_stream(
    chunks: Vec<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_core::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static {
    struct Chunks(std::vec::IntoIter<Result<Vec<u8>, std::io::Error>>);
    impl futures_core::Stream for Chunks {
        type Item = Result<Vec<u8>, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            std::task::Poll::Ready(self.0.next())
        }
    }
    Chunks(chunks.into_iter())
}

#[tokio::test]
async fn a_request_that_takes_too_long_times_out() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(Config {
        flows: support::fixtures(),
        store: support::sqlite(store.path()),
        settings: Settings {
            request_timeout: Duration::from_millis(300),
            ..Settings::default()
        },
        watch: false,
    })
    .await;
    let address = server.client.base.trim_start_matches("http://").to_owned();
    // Promise a body and never send it.
    let raw = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream
            .write_all(
                b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                  Content-Length: 100\r\nConnection: close\r\n\r\n{\"flow\":",
            )
            .unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response
    })
    .await
    .unwrap();
    assert!(raw.starts_with("HTTP/1.1 408"), "{raw}");
    assert!(raw.contains(r#""code":"timeout""#), "{raw}");
    server.stop().await;
}

#[tokio::test]
async fn no_body_or_path_a_client_sends_yields_a_500() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::fixtures(), store.path()).await;
    let client = server.client.clone();
    let (id, _) = client.start("sign-in", json!({})).await;
    let (_, before) = client.get(&format!("/api/v1/sessions/{id}")).await;
    // Bodies: fragments of valid ones, with bytes flipped, cut or repeated.
    let seeds: [&[u8]; 5] = [
        br#"{"answer":"web"}"#,
        br#"{"flow":"sign-in","facts":{"platform":"app"}}"#,
        br#"{"details":{"uid":"123"}}"#,
        br#"{"helpful":true}"#,
        b"\xff\xfe\x00{[\"",
    ];
    let routes = ["/answer", "/back", "/restart", "/details", "/feedback", ""];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..300 {
        let mut body = seeds[round % seeds.len()].to_vec();
        for _ in 0..(next() % 4) {
            let at = (next() as usize) % body.len().max(1);
            match next() % 3 {
                0 if !body.is_empty() => body[at] = next() as u8,
                1 => body.truncate(at),
                _ => body.extend_from_within(..at),
            }
        }
        let route = routes[round % routes.len()];
        let path = if route.is_empty() {
            "/api/v1/sessions".to_owned()
        } else {
            format!(
                "/api/v1/sessions/{}{route}",
                if round % 7 == 0 { "%00" } else { &id }
            )
        };
        let response = client
            .http
            .post(client.url(&path))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert!(
            !status.is_server_error(),
            "{path} {:?}: {status}",
            String::from_utf8_lossy(&body)
        );
    }
    // Whatever was accepted moved the session only by answers it offered: it is still whole.
    let (status, after) = client.get(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(after["id"], before["id"]);
    server.stop().await;
}
