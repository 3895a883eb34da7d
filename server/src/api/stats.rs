//! `GET /api/v1/flows/{id}/stats`: the figures of a flow's sessions over a period, for whoever
//! owns the flow.

use std::time::Duration;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use stepwise_engine::{Flow, Node, WalkError};
use utoipa::{IntoParams, ToSchema};

use super::Id;
use crate::error::{AppError, ErrorBody};
use crate::serve::AppState;
use crate::sessions::rfc3339;
use crate::stats::{Figures, Period, Settings, figures};
use crate::store::{Store, StoreError, now_millis};

/// The period a report covers.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct StatsQuery {
    /// Count sessions that started at or after this: `YYYY-MM-DD` (midnight UTC) or an
    /// RFC 3339 time. Default: the first session kept.
    pub from: Option<String>,
    /// Count sessions that started before this (same forms). Default: now.
    pub to: Option<String>,
    /// Count only sessions pinned to this flow version.
    pub version: Option<String>,
}

impl StatsQuery {
    /// The period asked for, or a 400 `invalid_period`.
    pub fn period(&self) -> Result<Period, AppError> {
        Period::parse(
            self.from.as_deref(),
            self.to.as_deref(),
            self.version.as_deref(),
        )
        .map_err(AppError::InvalidPeriod)
    }
}

/// A flow's figures over a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FlowStats {
    /// The flow id.
    pub flow: String,
    /// The flow's title.
    pub title: String,
    /// The first start counted (RFC 3339), if the period has a beginning.
    pub from: Option<String>,
    /// The first start not counted (RFC 3339), if the period has an end.
    pub to: Option<String>,
    /// The version counted, when the report is about one version.
    pub version: Option<String>,
    /// An unfinished session idle this many seconds counts as abandoned.
    pub abandon_after_secs: u64,
    /// The figures.
    #[serde(flatten)]
    pub figures: Figures,
}

/// The remedies of `flow`, so that those that never resolved anything are counted too.
pub fn remedies(flow: &Flow) -> Vec<String> {
    flow.raw()
        .nodes
        .iter()
        .filter(|(_, node)| matches!(node, Node::Remedy { .. }))
        .map(|(id, _)| id.clone())
        .collect()
}

/// Reads the events of `flow` in `period` from `store` and computes its figures, with
/// abandonment measured to now.
pub async fn report(
    store: &dyn Store,
    flow: &Flow,
    period: &Period,
    abandon_after: Duration,
) -> Result<FlowStats, StoreError> {
    let (from, to) = period.bounds();
    let events = store
        .events(flow.id(), from, to, period.version.as_deref())
        .await?;
    let abandon_after_ms = i64::try_from(abandon_after.as_millis()).unwrap_or(i64::MAX);
    let settings = Settings {
        now: now_millis(),
        abandon_after: abandon_after_ms,
    };
    Ok(FlowStats {
        flow: flow.id().to_owned(),
        title: flow.title().to_owned(),
        from: period.from.map(rfc3339),
        to: period.to.map(rfc3339),
        version: period.version.clone(),
        abandon_after_secs: abandon_after.as_secs(),
        figures: figures(&events, &remedies(flow), settings),
    })
}

/// A flow's figures: starts, outcomes and rates, where sessions went and where they were
/// abandoned, which remedies resolve, in total and per version.
#[utoipa::path(
    get,
    path = "/api/v1/flows/{id}/stats",
    operation_id = "flow_stats",
    tag = "stats",
    params(("id" = String, Path, description = "The flow id"), StatsQuery),
    responses(
        (status = 200, description = "The flow's figures", body = FlowStats),
        (status = 400, description = "`invalid_period` or `malformed_query`", body = ErrorBody),
        (status = 401, description = "`unauthorized`: the agent token is missing or wrong", body = ErrorBody),
        (status = 404, description = "`unknown_flow`", body = ErrorBody)
    ),
    security(("agent_token" = []))
)]
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Id(id): Id,
    query: Result<Query<StatsQuery>, QueryRejection>,
) -> Result<Json<FlowStats>, AppError> {
    // The figures are the owners': behind the same token as the console.
    if !state.agent.admits(&headers) {
        return Err(AppError::Unauthorized);
    }
    let Query(query) = query?;
    let period = query.period()?;
    let library = state.library();
    let flow = library
        .catalog()
        .get(&id)
        .ok_or(AppError::Walk(WalkError::UnknownFlow(id)))?;
    let stats = report(
        state.store.as_ref(),
        flow,
        &period,
        state.settings.abandon_after,
    )
    .await?;
    Ok(Json(stats))
}
