//! The owner's pages, behind the agent token: every flow with its headline figures at
//! `/agent/stats`, and one flow's figures at `/agent/stats/{id}` — a drop-off chart and the
//! outcome bars drawn as SVG on the server, with the same figures beside them as text.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use stepwise_engine::WalkError;

use super::agent::Agent;
use super::{Chrome, PageError, charts};
use crate::error::AppError;
use crate::extract::StatsQuery;
use crate::serve::AppState;
use stepwise_app::clock::rfc3339;
use stepwise_app::report::{FlowStats, report};
use stepwise_app::stats::{Period, percent};

/// The owner's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agent/stats", get(overview))
        .route("/agent/stats/{id}", get(flow))
}

/// One flow's headline figures, as the overview lists them.
struct Headline {
    id: String,
    title: String,
    starts: u64,
    resolution: String,
    escalation: String,
    abandonment: String,
    median_steps: String,
}

impl Headline {
    fn of(stats: &FlowStats) -> Headline {
        let s = &stats.figures.summary;
        Headline {
            id: stats.flow.clone(),
            title: stats.title.clone(),
            starts: s.starts,
            resolution: percent(s.resolution_rate),
            escalation: percent(s.escalation_rate),
            abandonment: percent(s.abandonment_rate),
            median_steps: median(s.median_steps),
        }
    }
}

fn median(steps: Option<f64>) -> String {
    steps.map_or("-".to_owned(), |m| m.to_string())
}

/// The period form, as the person filled it in.
struct PeriodForm {
    from: String,
    to: String,
    version: String,
    error: Option<String>,
}

impl PeriodForm {
    fn of(query: &StatsQuery) -> PeriodForm {
        let text = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_owned();
        PeriodForm {
            from: text(&query.from),
            to: text(&query.to),
            version: text(&query.version),
            error: None,
        }
    }

    /// The period asked for; a bad one is said on the page and every session counted.
    fn period(&mut self, query: &StatsQuery) -> Period {
        query.period().unwrap_or_else(|e| {
            self.error = Some(e.to_string());
            Period::default()
        })
    }

    /// The query string that keeps this period on links.
    fn query(&self, version: Option<&str>) -> String {
        let mut pairs = Vec::new();
        if !self.from.is_empty() {
            pairs.push(format!("from={}", encode(&self.from)));
        }
        if !self.to.is_empty() {
            pairs.push(format!("to={}", encode(&self.to)));
        }
        if let Some(version) = version {
            pairs.push(format!("version={}", encode(version)));
        }
        match pairs.is_empty() {
            true => String::new(),
            false => format!("?{}", pairs.join("&")),
        }
    }
}

/// What a query value may not hold as is: everything but the unreserved characters, and `:`
/// (which times carry, and a query may hold).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':');

fn encode(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// Unfound searches the overview lists, at most.
const UNFOUND_SHOWN: u32 = 50;

/// A search that found nothing, as the overview lists it.
struct Unfound {
    query: String,
    locale: String,
    count: i64,
    last: String,
}

#[derive(Template)]
#[template(path = "agent/stats.html")]
struct OverviewPage {
    chrome: Chrome,
    form: PeriodForm,
    keep: String,
    flows: Vec<Headline>,
    unfound: Vec<Unfound>,
}

async fn overview(
    _: Agent,
    State(state): State<AppState>,
    Query(query): Query<StatsQuery>,
) -> Result<Response, PageError> {
    let mut form = PeriodForm::of(&query);
    let mut period = form.period(&query);
    // The overview is across flows: a version filter means nothing here.
    period.version = None;
    let library = state.library();
    let mut flows = Vec::new();
    for flow in library.catalog().iter() {
        let stats = report(
            state.store.as_ref(),
            flow,
            &period,
            state.settings.abandon_after,
        )
        .await
        .map_err(AppError::from)?;
        flows.push(Headline::of(&stats));
    }
    flows.sort_by(|a, b| b.starts.cmp(&a.starts).then_with(|| a.id.cmp(&b.id)));
    let unfound = state
        .store
        .unfound_searches(UNFOUND_SHOWN)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|u| Unfound {
            query: u.query,
            locale: u.locale,
            count: u.count,
            last: rfc3339(u.last_at),
        })
        .collect();
    let status = status(&form);
    let keep = form.query(None);
    let body = OverviewPage {
        chrome: Chrome::agent("Flow figures").with_problems(&state),
        form,
        keep,
        flows,
        unfound,
    }
    .render()?;
    Ok((status, Html(body)).into_response())
}

/// One row of the per-version table.
struct VersionRow {
    version: String,
    first_start: String,
    starts: u64,
    resolution: String,
    escalation: String,
    abandonment: String,
    median_steps: String,
    link: String,
    shown: bool,
}

#[derive(Template)]
#[template(path = "agent/flow_stats.html")]
struct FlowPage {
    chrome: Chrome,
    form: PeriodForm,
    stats: FlowStats,
    headline: Headline,
    funnel: String,
    outcomes: String,
    versions: Vec<VersionRow>,
    all_versions: String,
    remedies: Vec<(String, u64, u64, String)>,
    /// How long a session may stay idle before it counts as abandoned, in words.
    idle: String,
}

async fn flow(
    _: Agent,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<StatsQuery>,
) -> Result<Response, PageError> {
    let library = state.library();
    let flow = library
        .catalog()
        .get(&id)
        .ok_or_else(|| AppError::from(WalkError::UnknownFlow(id)))?;
    let mut form = PeriodForm::of(&query);
    let period = form.period(&query);
    let stats = report(
        state.store.as_ref(),
        flow,
        &period,
        state.settings.abandon_after,
    )
    .await
    .map_err(AppError::from)?;
    // Versions are listed from every session of the period, so each can be picked.
    let every_version = match &period.version {
        None => stats.figures.versions.clone(),
        Some(_) => {
            let all = Period {
                version: None,
                ..period.clone()
            };
            report(
                state.store.as_ref(),
                flow,
                &all,
                state.settings.abandon_after,
            )
            .await
            .map_err(AppError::from)?
            .figures
            .versions
        }
    };
    let versions = every_version
        .iter()
        .map(|v| VersionRow {
            version: v.version.clone(),
            first_start: v.first_start.clone(),
            starts: v.summary.starts,
            resolution: percent(v.summary.resolution_rate),
            escalation: percent(v.summary.escalation_rate),
            abandonment: percent(v.summary.abandonment_rate),
            median_steps: median(v.summary.median_steps),
            link: format!(
                "/agent/stats/{}{}",
                stats.flow,
                form.query(Some(&v.version))
            ),
            shown: period.version.as_deref() == Some(v.version.as_str()),
        })
        .collect();
    let remedies = stats
        .figures
        .remedies
        .iter()
        .map(|r| {
            (
                r.remedy.clone(),
                r.resolved,
                r.reached,
                percent(r.success_rate),
            )
        })
        .collect();
    let page_title = format!("Figures: {}", stats.title);
    let status = status(&form);
    let body = FlowPage {
        chrome: Chrome::agent(page_title).with_problems(&state),
        headline: Headline::of(&stats),
        funnel: charts::funnel(&stats.title, &stats.figures)?,
        outcomes: charts::outcomes(&stats.title, &stats.figures.summary)?,
        versions,
        all_versions: format!("/agent/stats/{}{}", stats.flow, form.query(None)),
        remedies,
        idle: humantime::format_duration(std::time::Duration::from_secs(stats.abandon_after_secs))
            .to_string(),
        form,
        stats,
    }
    .render()?;
    Ok((status, Html(body)).into_response())
}

/// A page with a period it could not read is still shown, but as a 400.
fn status(form: &PeriodForm) -> StatusCode {
    match form.error {
        Some(_) => StatusCode::BAD_REQUEST,
        None => StatusCode::OK,
    }
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn query_values_keep_times_readable_and_escape_the_rest() {
        assert_eq!(encode("2026-01-01T00:00:00Z"), "2026-01-01T00:00:00Z");
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
