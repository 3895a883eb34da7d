//! The JSON request bodies: any bytes sent to every route that takes a body, through the
//! server's real router, middleware and SQLite store. Never a panic and never a 5xx: a bad
//! body is a 4xx with a JSON error code.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, header};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use stepwise::serve::{AppState, Settings, app};
use stepwise_app::library::Library;
use stepwise_app::metrics::Metrics;
use stepwise_store::StoreConfig;
use tokio::runtime::Runtime;
use tower::ServiceExt;

#[derive(Arbitrary, Debug)]
struct Input {
    route: u8,
    session: u8,
    json_content_type: bool,
    body: Vec<u8>,
}

const ROUTES: [&str; 6] = ["", "/answer", "/details", "/feedback", "/back", "/restart"];

struct Server {
    runtime: Runtime,
    router: Router,
    sessions: Vec<String>,
}

/// One server for the whole run, with a session on every bundled flow to send bodies to.
fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let runtime = Runtime::new().expect("a runtime");
        let dir = tempfile::tempdir().expect("a temporary directory").keep();
        let flows = Path::new(env!("CARGO_MANIFEST_DIR")).join("../flows");
        let store: StoreConfig =
            format!("sqlite://{}?synchronous=off", dir.join("fuzz.db").display())
                .parse()
                .expect("a store URL");
        let (router, sessions) = runtime.block_on(async {
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
            let state = AppState::new(library, store, metrics, Settings::default())
                .await
                .expect("the state");
            let router = app(state);
            let mut sessions = Vec::new();
            for flow in ids {
                let body = serde_json::json!({ "flow": flow }).to_string();
                let (_, value) = send(&router, "/api/v1/sessions", body.into_bytes(), true).await;
                if let Some(id) = value["id"].as_str() {
                    sessions.push(id.to_owned());
                }
            }
            (router, sessions)
        });
        assert!(!sessions.is_empty(), "sessions were started");
        Server {
            runtime,
            router,
            sessions,
        }
    })
}

async fn send(router: &Router, path: &str, body: Vec<u8>, json: bool) -> (u16, Value) {
    let mut request = Request::post(path);
    if json {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let request = request.body(Body::from(body)).expect("a request");
    let response = router.clone().oneshot(request).await.expect("a response");
    let status = response.status().as_u16();
    let bytes = to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("the body");
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, value)
}

fuzz_target!(|input: Input| {
    let server = server();
    let route = ROUTES[usize::from(input.route) % ROUTES.len()];
    let path = match route {
        "" => "/api/v1/sessions".to_owned(),
        _ => {
            let id = &server.sessions[usize::from(input.session) % server.sessions.len()];
            format!("/api/v1/sessions/{id}{route}")
        }
    };
    let (status, body) = server.runtime.block_on(send(
        &server.router,
        &path,
        input.body,
        input.json_content_type,
    ));
    assert!(status < 500, "{path} answered {status}: {body}");
    if status >= 400 {
        assert!(
            body["error"]["code"].is_string(),
            "{path} answered {status} without a code: {body}"
        );
    }
});
