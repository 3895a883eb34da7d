//! One server for a whole fuzzing run, shared by the targets that send requests: the real
//! router, middleware and SQLite store over the bundled flows, with a session on every flow.

// Each target is a binary of its own and aims at its own part of the server.
#![allow(dead_code)]

use std::path::Path;
use std::sync::OnceLock;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, header};
use serde_json::Value;
use stepwise::serve::{AppState, Settings, app};
use stepwise_app::library::Library;
use stepwise_app::metrics::Metrics;
use stepwise_store::StoreConfig;
use tokio::runtime::Runtime;
use tower::ServiceExt;

/// The server, its runtime, and what the targets aim at.
pub struct Server {
    pub runtime: Runtime,
    pub router: Router,
    pub sessions: Vec<String>,
    /// The flows served, by id.
    pub flows: Vec<String>,
}

/// One server for the whole run, with a session on every bundled flow to send bodies to.
pub fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let runtime = Runtime::new().expect("a runtime");
        let dir = tempfile::tempdir().expect("a temporary directory").keep();
        let flows = Path::new(env!("CARGO_MANIFEST_DIR")).join("../flows");
        let store: StoreConfig =
            format!("sqlite://{}?synchronous=off", dir.join("fuzz.db").display())
                .parse()
                .expect("a store URL");
        let (router, sessions, flows) = runtime.block_on(async {
            let (library, _) = Library::load(&flows);
            let ids: Vec<String> = library
                .catalog()
                .iter()
                .map(|f| f.id().to_owned())
                .collect();
            let metrics = Metrics::new();
            let store = store
                .open(metrics.store.clone())
                .await
                .expect("the store opens");
            // No rate limits: the fuzzer moves the same few sessions all the time, and every
            // move should reach the handlers.
            let settings = Settings {
                agent_token: Some(AGENT_TOKEN.to_owned()),
                session_rate: None,
                client_move_rate: None,
                session_move_rate: None,
                ..Settings::default()
            };
            let state = AppState::new(library, store, metrics, settings)
                .await
                .expect("the state");
            let router = app(state);
            let mut sessions = Vec::new();
            for flow in &ids {
                let body = serde_json::json!({ "flow": flow }).to_string();
                let (_, value) = send(
                    &router,
                    "/api/v1/sessions",
                    body.into_bytes(),
                    Some("application/json"),
                    false,
                )
                .await;
                if let Some(id) = value["id"].as_str() {
                    sessions.push(id.to_owned());
                }
            }
            (router, sessions, ids)
        });
        assert!(!sessions.is_empty(), "sessions were started");
        Server {
            runtime,
            router,
            sessions,
            flows,
        }
    })
}

/// The agent token of the fuzzed server, for the console's routes.
pub const AGENT_TOKEN: &str = "fuzz";

/// POSTs `body` to `path`, with `content_type` and the agent token when given; the status
/// and the body read as JSON (`null` when it is not).
pub async fn send(
    router: &Router,
    path: &str,
    body: Vec<u8>,
    content_type: Option<&str>,
    agent: bool,
) -> (u16, Value) {
    let mut request = Request::post(path);
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    if agent {
        request = request.header(header::AUTHORIZATION, format!("Bearer {AGENT_TOKEN}"));
    }
    let Ok(request) = request.body(Body::from(body)) else {
        // Not a request at all (the path is no URI): nothing reaches the server.
        return (400, Value::Null);
    };
    let response = router.clone().oneshot(request).await.expect("a response");
    let status = response.status().as_u16();
    let bytes = to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("the body");
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, value)
}
