//! `GET /api/v1/flows` (list and search) and `GET /api/v1/flows/{id}` (a flow as a map).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use stepwise_engine::{ExitKind, Flow, FlowSource, Node, WalkError};
use utoipa::{IntoParams, ToSchema};

use super::Id;
use crate::error::{AppError, ErrorBody};
use crate::extract::Asked;
use crate::serve::AppState;

/// The query of a flow list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Words to search for in titles, summaries, tags and steps; results are ranked.
    pub q: Option<String>,
    /// The language to list and search in (else `Accept-Language`, else `en`).
    #[param(example = "de", pattern = "^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")]
    pub lang: Option<String>,
}

/// A flow as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlowSummary {
    /// The flow id, to start a session with.
    #[schema(example = "deposit-missing-memo")]
    pub id: String,
    /// The question the customer is asking.
    pub title: String,
    /// One or two sentences about it.
    pub summary: String,
    /// Words it is filed under.
    pub tags: Vec<String>,
    /// Its content version (the same in every language).
    pub version: String,
    /// Whether the title or summary is in the source language for want of a translation.
    pub fallback: bool,
    /// How well it matched the search, when there was one (higher is better).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

/// Flows, ordered by id, or best match first for a search.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlowList {
    pub flows: Vec<FlowSummary>,
    /// The language the list is in.
    #[schema(example = "de")]
    pub locale: String,
}

/// A node of a flow's map.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Node)]
pub struct NodeView {
    /// The node id.
    pub id: String,
    /// `question`, `remedy`, `info`, `branch`, `link`, `resolved`, `escalate` or `done`.
    pub kind: String,
    /// Markdown; absent for branches and links.
    pub text: Option<String>,
    /// The fact a question records or a branch reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fact: Option<String>,
    /// For a link: the flow it continues in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow: Option<String>,
}

/// An edge of a flow's map.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Edge)]
pub struct EdgeView {
    /// The node it leaves.
    pub from: String,
    /// The node it leads to.
    pub to: String,
    /// The answer id (or branch case) that takes it; absent for a branch's default.
    pub answer: Option<String>,
    /// What the customer reads for it, or the case of a branch, in the map's language.
    pub label: String,
}

/// A flow with its nodes and edges, for clients that draw maps.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlowMap {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub tags: Vec<String>,
    /// Facts a site may give when it starts a session.
    pub inputs: Vec<String>,
    /// The content version new sessions are pinned to.
    pub version: String,
    /// The language of the texts (`en`, the source language, where `fallback` lists a node).
    pub locale: String,
    /// The nodes whose texts are in the source language for want of a translation.
    pub fallback: Vec<String>,
    /// The id of the first node.
    pub start: String,
    /// Every node, in the order the writer wrote them.
    pub nodes: Vec<NodeView>,
    /// Every way from one node to another within this flow.
    pub edges: Vec<EdgeView>,
}

fn summary(flow: &Flow, score: Option<f64>) -> FlowSummary {
    let raw = flow.raw();
    FlowSummary {
        id: raw.id.clone(),
        title: raw.title.clone(),
        summary: raw.summary.clone(),
        tags: raw.tags.clone(),
        version: flow.version().to_string(),
        fallback: flow.header_is_fallback(),
        score,
    }
}

/// Lists the flows, or searches them.
#[utoipa::path(
    get,
    path = "/api/v1/flows",
    operation_id = "list_flows",
    tag = "flows",
    params(ListQuery),
    responses(
        (status = 200, description = "The flows, best match first when searching", body = FlowList),
        (status = 400, description = "A malformed query string, or `invalid_locale`", body = ErrorBody)
    )
)]
pub async fn list(
    State(state): State<AppState>,
    asked: Asked,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<FlowList>, AppError> {
    let Query(query) = query?;
    let library = state.library();
    let locale = asked.choose(&library, None);
    let flows = match query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        None => library
            .flows_in(&locale)
            .iter()
            .map(|f| summary(f, None))
            .collect(),
        Some(q) => {
            let in_locale = library.in_locale(&locale);
            state
                .app
                .search(&library, q, &locale)
                .into_iter()
                .filter_map(|hit| {
                    Some(summary(
                        in_locale.flow(&hit.id, None)?.as_ref(),
                        Some(hit.score),
                    ))
                })
                .collect()
        }
    };
    Ok(Json(FlowList { flows, locale }))
}

/// One flow with its nodes and edges.
#[utoipa::path(
    get,
    path = "/api/v1/flows/{id}",
    operation_id = "get_flow",
    tag = "flows",
    params(("id" = String, Path, description = "The flow id"), super::sessions::LangParam),
    responses(
        (status = 200, description = "The flow as a map", body = FlowMap),
        (status = 400, description = "`invalid_locale`", body = ErrorBody),
        (status = 404, description = "`unknown_flow`", body = ErrorBody)
    )
)]
pub async fn show(
    State(state): State<AppState>,
    Id(id): Id,
    asked: Asked,
) -> Result<Json<FlowMap>, AppError> {
    let library = state.library();
    let locale = asked.choose(&library, None);
    let flow = library
        .in_locale(&locale)
        .flow(&id, None)
        .ok_or_else(|| AppError::from(WalkError::UnknownFlow(id)))?;
    Ok(Json(map(&flow)))
}

/// A flow's nodes and edges.
fn map(flow: &Flow) -> FlowMap {
    let raw = flow.raw();
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    let words = flow.phrases();
    for (id, node) in &raw.nodes {
        // A remedy that worked leads to no node: the walk ends there.
        edges.extend(node.exits().filter_map(|exit| {
            Some(EdgeView {
                from: id.clone(),
                to: exit.to?.to_owned(),
                answer: match exit.kind {
                    ExitKind::Default { .. } => None,
                    _ => Some(exit.choice().to_owned()),
                },
                label: exit.label(words).into_owned(),
            })
        }));
        let (fact, linked) = match node {
            Node::Question { fact, .. } => (fact.clone(), None),
            Node::Branch { fact, .. } => (Some(fact.clone()), None),
            Node::Link { flow } => (None, Some(flow.clone())),
            _ => (None, None),
        };
        nodes.push(NodeView {
            id: id.clone(),
            kind: node.kind_name().to_owned(),
            text: node.text().map(str::to_owned),
            fact,
            flow: linked,
        });
    }
    FlowMap {
        id: raw.id.clone(),
        title: raw.title.clone(),
        summary: raw.summary.clone(),
        tags: raw.tags.clone(),
        inputs: raw.inputs.iter().map(|input| input.name.clone()).collect(),
        version: flow.version().to_string(),
        locale: flow.locale().to_owned(),
        fallback: raw
            .nodes
            .keys()
            .filter(|id| flow.is_fallback(id))
            .cloned()
            .collect(),
        start: raw.start.clone(),
        nodes,
        edges,
    }
}
