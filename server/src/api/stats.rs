//! `GET /api/v1/flows/{id}/stats`: the figures of a flow's sessions over a period, for whoever
//! owns the flow.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;

use super::Id;
use crate::error::{AppError, ErrorBody};
use crate::extract::StatsQuery;
use crate::serve::AppState;
use stepwise_app::report::{FlowStats, flow_report};

/// A flow's figures: customers' starts and how they stand, each as a share of starts; where
/// sessions went and where they were abandoned, step by step in the flow's order; which
/// remedies resolve; in total, per version and per day or week; and apart from them the
/// sessions agents ran for callers.
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
    let stats = flow_report(&state, &id, &period, state.settings.abandon_after).await?;
    Ok(Json(stats))
}
