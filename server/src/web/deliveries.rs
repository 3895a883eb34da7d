//! The webhook outbox as an owner reads it, behind the agent token: every delivery with its
//! attempts at `/agent/webhooks`, and *Send again* for one that failed.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use stepwise_app::clock::rfc3339;
use stepwise_store::{DeliveryStatus, now_millis};

use super::agent::Agent;
use super::{Chrome, PageError, page, segment};
use crate::serve::AppState;

/// Deliveries a page lists, newest first.
const LISTED: usize = 200;

/// The outbox's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agent/webhooks", get(list))
        .route("/agent/webhooks/{id}/retry", post(retry))
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    #[serde(default)]
    status: String,
}

/// One delivery as a row shows it.
struct Row {
    id: String,
    kind: String,
    endpoint: String,
    status: &'static str,
    created: String,
    attempts: i64,
    /// When it is next tried, while pending.
    next: Option<String>,
    last_error: Option<String>,
    ticket: Option<String>,
    session: String,
    /// Every attempt: when, what came of it, how long it took.
    tried: Vec<(String, String, i64)>,
}

#[derive(Template)]
#[template(path = "agent/webhooks.html")]
struct DeliveriesPage {
    chrome: Chrome,
    status: String,
    rows: Vec<Row>,
    sending: bool,
}

async fn list(
    _: Agent,
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    // An unknown filter lists everything rather than failing the page.
    let status = DeliveryStatus::parse(&q.status);
    let deliveries = state
        .store
        .deliveries(status, LISTED)
        .await
        .map_err(stepwise_app::Error::from)?;
    let mut rows = Vec::with_capacity(deliveries.len());
    for d in deliveries {
        let tried = state
            .store
            .attempts(&d.id)
            .await
            .map_err(stepwise_app::Error::from)?
            .into_iter()
            .map(|a| (rfc3339(a.at), a.outcome, a.took_ms))
            .collect();
        rows.push(Row {
            next: (d.status == DeliveryStatus::Pending).then(|| rfc3339(d.next_attempt_at)),
            status: d.status.as_str(),
            created: rfc3339(d.created_at),
            ticket: d.ticket.map(|t| t.id),
            id: d.id,
            kind: d.kind,
            endpoint: d.endpoint,
            attempts: d.attempts,
            last_error: d.last_error,
            session: d.session,
            tried,
        });
    }
    page(&DeliveriesPage {
        chrome: Chrome::agent("Webhooks").with_problems(&state),
        status: status.map(DeliveryStatus::as_str).unwrap_or("").to_owned(),
        rows,
        sending: state.app.webhooks.is_on(),
    })
}

/// Makes a failed delivery due again, then shows the list.
async fn retry(
    _: Agent,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    // One already delivered, or unknown, is left as it is: the list shows why.
    state
        .store
        .retry_delivery(&id, now_millis())
        .await
        .map_err(stepwise_app::Error::from)?;
    state.app.outbox.wake();
    Ok(Redirect::to(&format!("/agent/webhooks#{}", segment(&id))).into_response())
}
