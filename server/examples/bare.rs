//! The baseline the server's benchmark is measured against: a bare axum server with a
//! `/healthz` and one in-memory step, and nothing else (no middleware, no store, no logs).
//! `bench/load` runs it beside `stepwise serve` with the same load.
//!
//! ```sh
//! cargo run --release -p stepwise --example bare -- 127.0.0.1:8090
//! curl -X POST -H 'content-type: application/json' -d '{"answer":"in","revision":1}' \
//!     127.0.0.1:8090/step
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// What a client sends to answer a step: an answer id and the revision it saw.
#[derive(Deserialize)]
struct Answer {
    answer: String,
    revision: u64,
}

/// What it gets back: the next step, as small as stepwise's.
#[derive(Serialize)]
struct Step {
    node: &'static str,
    text: &'static str,
    answers: [&'static str; 2],
    revision: u64,
}

/// Moves so far, so that each answer touches shared state as a real step would.
#[derive(Default)]
struct Moves(AtomicU64);

async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn step(
    State(moves): State<Arc<Moves>>,
    Json(answer): Json<Answer>,
) -> Result<Json<Step>, (StatusCode, Json<Value>)> {
    let node = match answer.answer.as_str() {
        "in" => "memo",
        "out" => "other-platform",
        _ => {
            return Err((
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({ "error": { "code": "answer_not_offered" } })),
            ));
        }
    };
    moves.0.fetch_add(1, Ordering::Relaxed);
    Ok(Json(Step {
        node,
        text: "Did you leave out the memo on coins coming into your account here?",
        answers: ["yes", "no"],
        revision: answer.revision + 1,
    }))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listen: SocketAddr = match std::env::args().nth(1) {
        Some(arg) => arg.parse().map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("`{arg}` is not an address: {e}"),
            )
        })?,
        None => SocketAddr::from(([127, 0, 0, 1], 8090)),
    };
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/step", post(step))
        .with_state(Arc::new(Moves::default()));
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("listening on {}", listener.local_addr()?);
    axum::serve(listener, app).await
}
