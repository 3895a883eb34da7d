//! Operations: liveness, readiness and Prometheus metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use stepwise_app::report;
use stepwise_app::stats::Period;
use stepwise_store::StoreError;
use utoipa::ToSchema;

use crate::auth;
use crate::error::{AppError, ErrorBody, ErrorDetail, RETRY_AFTER_SECS};
use crate::serve::AppState;

/// A health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `ready`.
    pub status: &'static str,
}

/// Whether the process is up.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "operations",
    responses((status = 200, description = "The process serves requests", body = Health))
)]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Why the server is not ready, and whether it still serves reads.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotReady {
    /// `shutting_down`: the server is stopping; `no_flows`: no flow passes its checks;
    /// `read_only`: sessions and flows are read, changes are refused; `unavailable`: the store
    /// does not answer at all.
    #[schema(example = "read_only")]
    pub status: &'static str,
    /// Whether sessions and flows can still be read.
    pub reads: bool,
    /// The same code as `status` for `shutting_down` and `no_flows`, else
    /// `store_unavailable`, and why in words, e.g. `the store cannot save changes now: it is
    /// full`.
    pub error: ErrorDetail,
}

impl NotReady {
    /// Not ready for a reason of the server's own, not the store's: reads go on.
    fn because(code: &'static str, message: &str) -> NotReady {
        NotReady {
            status: code,
            reads: true,
            error: ErrorDetail {
                code,
                message: message.to_owned(),
                problems: Vec::new(),
                offered: Vec::new(),
            },
        }
    }

    fn new(reads: bool, cause: &StoreError) -> NotReady {
        NotReady {
            status: if reads { "read_only" } else { "unavailable" },
            reads,
            error: ErrorDetail {
                code: "store_unavailable",
                message: cause.to_string(),
                problems: Vec::new(),
                offered: Vec::new(),
            },
        }
    }
}

/// A `503` with `Retry-After`, like every `store_unavailable`.
impl IntoResponse for NotReady {
    fn into_response(self) -> Response {
        let mut response = (StatusCode::SERVICE_UNAVAILABLE, Json(self)).into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
        response
    }
}

/// Whether the server can take sessions: it is not shutting down, it serves at least one
/// flow, and its store answers and can save changes.
///
/// From the moment shutdown begins it answers `503 shutting_down`, while requests are still
/// served for the shutdown delay, so a load balancer takes the instance out first. A server
/// started with no flow that passes (`--start-unready`, or `--watch` on an empty directory)
/// answers `503 no_flows` until one does. A store that answers but cannot save changes (full, read-only, failing disk) is not ready
/// although reads are still served: `503` with `status: read_only` and `reads: true`. The store
/// checks again while asked, so readiness comes back by itself once it can save changes.
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "`shutting_down`: the server is stopping; `no_flows`: \
            no flow passes its checks; `store_unavailable`: the store cannot save changes \
            (`read_only`, reads are still served) or does not answer (`unavailable`)",
         body = NotReady)
    )
)]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, NotReady> {
    if state.is_shutting_down() {
        return Err(NotReady::because(
            "shutting_down",
            "the server is shutting down: send new requests elsewhere",
        ));
    }
    if state.library().catalog().is_empty() {
        return Err(NotReady::because(
            "no_flows",
            "no flow is served: none in the flows directory passes its checks",
        ));
    }
    state.store.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "store not ready");
        let unavailable = match e {
            e @ (StoreError::Closed | StoreError::Unavailable(_)) => e,
            _ => StoreError::Unavailable("it does not answer".to_owned()),
        };
        NotReady::new(false, &unavailable)
    })?;
    // The store logs when it stops and starts saving changes; asking is not logged again.
    state
        .store
        .writable()
        .await
        .map_err(|e| NotReady::new(matches!(e, StoreError::Unavailable(_)), &e))?;
    Ok(Json(Health { status: "ready" }))
}

/// Metrics in the Prometheus (OpenMetrics) text format. Not on this listener when the
/// operator gave them one of their own (`--metrics-listen`); behind `--metrics-token` when
/// one is set.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "operations",
    responses(
        (status = 200, description = "Requests and latency per route, store commits; sessions kept by flow, party and outcome (the owner's pages' counts), flow files with errors",
         content_type = "application/openmetrics-text"),
        (status = 401, description = "`unauthorized`: the server has a metrics token and the request does not carry it", body = ErrorBody),
        (status = 404, description = "`not_found`: the metrics are served on a listener of their own", body = ErrorBody)
    )
)]
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if state.settings.metrics_listen.is_some() {
        return AppError::NotFound.into_response();
    }
    scrape(&state, &headers).await
}

/// The metrics, if the request may read them. The sessions' figures are read from the store
/// at each scrape, as the owner's pages read them; a store that cannot be read leaves them
/// out of that scrape (and says so in the log) rather than the request counts too.
pub async fn scrape(state: &AppState, headers: &HeaderMap) -> Response {
    if let Some(key) = &state.metrics_key
        && !auth::bearer(headers).is_some_and(|token| key.accepts(token))
    {
        return AppError::MetricsUnauthorized.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        render(state).await,
    )
        .into_response()
}

async fn render(state: &AppState) -> String {
    let library = state.library();
    let flows = report::every_flow(
        state.store.as_ref(),
        library.catalog(),
        &Period::default(),
        state.settings.abandon_after,
    )
    .await
    .unwrap_or_else(|e| {
        tracing::warn!(error = %e, "the sessions' figures are left out of this scrape");
        Vec::new()
    });
    state.metrics.render(&flows, library.files_with_errors())
}
