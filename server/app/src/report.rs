//! A flow's report: its figures over a period, as its owner reads them on the page, in the
//! API and on the command line.

use std::time::Duration;

use serde::Serialize;
use stepwise_engine::{Flow, Node, WalkError};
use stepwise_store::{Store, StoreError, now_millis};
use utoipa::ToSchema;

use crate::App;
use crate::clock::rfc3339;
use crate::error::Error;
use crate::stats::{Figures, Period, Settings, figures};

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

/// The report of the flow `id` served by `app`.
pub async fn flow_report(
    app: &App,
    id: &str,
    period: &Period,
    abandon_after: Duration,
) -> Result<FlowStats, Error> {
    let library = app.library();
    let flow = library
        .catalog()
        .get(id)
        .ok_or_else(|| Error::Walk(WalkError::UnknownFlow(id.to_owned())))?;
    Ok(report(app.store.as_ref(), flow, period, abandon_after).await?)
}
