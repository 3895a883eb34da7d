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
use stepwise_app::report::{FlowStats, every_flow, report};
use stepwise_app::stats::{Period, Summary, TrendUnit, VersionFigures, percent};

/// The owner's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agent/stats", get(overview))
        .route("/agent/stats/{id}", get(flow))
}

/// A count with its share of starts (`2 · 25.0%`; the count alone when nothing started), as
/// a table cell shows it.
struct Cell {
    text: String,
}

/// One flow's headline figures, as the overview lists them: its customers' sessions, each
/// way they stand as a share of their starts (the five add up to 100%), and apart from them
/// the sessions agents ran for callers.
struct Headline {
    id: String,
    title: String,
    starts: u64,
    cells: Vec<Cell>,
    agents: u64,
    median_steps: String,
}

impl Headline {
    fn of(stats: &FlowStats) -> Headline {
        let s = &stats.figures.summary;
        Headline {
            id: stats.flow.clone(),
            title: stats.title.clone(),
            starts: s.starts,
            cells: cells(s),
            agents: stats.figures.agents.starts,
            median_steps: median(s.median_steps),
        }
    }
}

/// Resolved, escalated, done, abandoned and in progress, each with its share of starts.
fn cells(summary: &Summary) -> Vec<Cell> {
    charts::standing(summary)
        .into_iter()
        .map(|(_, count, share, _)| Cell {
            text: match summary.starts {
                0 => count.to_string(),
                _ => format!("{count} · {share}"),
            },
        })
        .collect()
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
    let flows = every_flow(
        state.store.as_ref(),
        library.catalog(),
        &period,
        state.settings.abandon_after,
    )
    .await
    .map_err(AppError::from)?
    .iter()
    .map(Headline::of)
    .collect();
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
    cells: Vec<Cell>,
    median_steps: String,
    link: String,
    shown: bool,
}

/// A figure of two versions side by side.
struct CompareRow {
    name: &'static str,
    a: String,
    b: String,
    change: String,
}

/// Two versions of the flow compared: which two, the choice of any two, and their figures.
struct Comparison {
    a: String,
    b: String,
    choices: Vec<String>,
    rows: Vec<CompareRow>,
}

/// What the two versions' selects post.
#[derive(Debug, Default, serde::Deserialize)]
struct CompareQuery {
    a: Option<String>,
    b: Option<String>,
}

/// One figure by day or week.
struct TrendRow {
    from: String,
    starts: u64,
    cells: Vec<Cell>,
}

#[derive(Template)]
#[template(path = "agent/flow_stats.html")]
struct FlowPage {
    chrome: Chrome,
    form: PeriodForm,
    stats: FlowStats,
    headline: Headline,
    standing: Vec<(&'static str, u64, String)>,
    agents: Vec<(&'static str, u64, String)>,
    funnel: String,
    outcomes: String,
    trend_unit: &'static str,
    /// Each trend chart with its caption.
    trends: Vec<(&'static str, String)>,
    trend_rows: Vec<TrendRow>,
    versions: Vec<VersionRow>,
    comparison: Option<Comparison>,
    all_versions: String,
    remedies: Vec<(String, String, u64, u64, String)>,
    /// How long a session may stay idle before it counts as abandoned, in words.
    idle: String,
}

/// The standing of a summary's sessions as `(name, count, share of starts)`.
fn standing(summary: &Summary) -> Vec<(&'static str, u64, String)> {
    charts::standing(summary)
        .into_iter()
        .map(|(name, count, share, _)| (name, count, share))
        .collect()
}

/// Versions `a` and `b` (by default the two that started last) side by side.
fn compare(versions: &[VersionFigures], asked: &CompareQuery) -> Option<Comparison> {
    if versions.len() < 2 {
        return None;
    }
    let pick = |asked: &Option<String>, default: usize| {
        asked
            .as_deref()
            .map(str::trim)
            .and_then(|v| versions.iter().find(|f| f.version == v))
            .unwrap_or(&versions[default])
    };
    let a = pick(&asked.a, versions.len() - 2);
    let b = pick(&asked.b, versions.len() - 1);
    let (sa, sb) = (&a.summary, &b.summary);
    let mut rows = vec![CompareRow {
        name: "Starts",
        a: sa.starts.to_string(),
        b: sb.starts.to_string(),
        change: signed(sb.starts as f64 - sa.starts as f64, ""),
    }];
    let shares = |s: &Summary| {
        s.share_of_starts
            .map(|x| [x.resolved, x.escalated, x.done, x.abandoned, x.in_progress])
    };
    let names = ["Resolved", "Escalated", "Done", "Abandoned", "In progress"];
    let counts = |s: &Summary| [s.resolved, s.escalated, s.done, s.abandoned, s.in_progress];
    for (i, name) in names.into_iter().enumerate() {
        let said = |s: &Summary| match shares(s) {
            Some(x) => format!("{} · {}", counts(s)[i], percent(Some(x[i]))),
            None => "-".to_owned(),
        };
        let change = match (shares(sa), shares(sb)) {
            (Some(x), Some(y)) => signed((y[i] - x[i]) * 100.0, " points"),
            _ => "-".to_owned(),
        };
        rows.push(CompareRow {
            name,
            a: said(sa),
            b: said(sb),
            change,
        });
    }
    rows.push(CompareRow {
        name: "Median answers",
        a: median(sa.median_steps),
        b: median(sb.median_steps),
        change: match (sa.median_steps, sb.median_steps) {
            (Some(x), Some(y)) => signed(y - x, ""),
            _ => "-".to_owned(),
        },
    });
    Some(Comparison {
        a: a.version.clone(),
        b: b.version.clone(),
        choices: versions.iter().map(|v| v.version.clone()).collect(),
        rows,
    })
}

/// A change with its sign, to one decimal (none for whole numbers).
fn signed(change: f64, unit: &str) -> String {
    let rounded = (change * 10.0).round() / 10.0;
    let text = if rounded.fract() == 0.0 {
        format!("{}", rounded.abs())
    } else {
        format!("{:.1}", rounded.abs())
    };
    match rounded {
        r if r > 0.0 => format!("+{text}{unit}"),
        r if r < 0.0 => format!("−{text}{unit}"),
        _ => format!("0{unit}"),
    }
}

async fn flow(
    _: Agent,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<StatsQuery>,
    Query(asked): Query<CompareQuery>,
) -> Result<Response, PageError> {
    let library = state.library();
    let flow = library
        .catalog()
        .get(&id)
        .ok_or_else(|| AppError::from(WalkError::UnknownFlow(id)))?;
    let mut form = PeriodForm::of(&query);
    let period = form.period(&query);
    let abandon_after = state.settings.abandon_after;
    let store = state.store.as_ref();
    let stats = report(store, library.catalog(), flow, &period, abandon_after)
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
            report(store, library.catalog(), flow, &all, abandon_after)
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
            cells: cells(&v.summary),
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
                r.label.clone(),
                r.remedy.clone(),
                r.resolved,
                r.reached,
                percent(r.success_rate),
            )
        })
        .collect();
    let trend = &stats.figures.trend;
    let mut trends = Vec::new();
    if !trend.points.is_empty() {
        use charts::Measure;
        for (id, name, measure) in [
            ("starts", "Sessions started", Measure::Starts),
            (
                "resolved",
                "Resolved, as a share of starts",
                Measure::Share(0),
            ),
            (
                "escalated",
                "Escalated, as a share of starts",
                Measure::Share(1),
            ),
            (
                "abandoned",
                "Abandoned, as a share of starts",
                Measure::Share(3),
            ),
        ] {
            trends.push((
                name,
                charts::trend(id, name, trend.unit, &trend.points, measure)?,
            ));
        }
    }
    let trend_rows = trend
        .points
        .iter()
        .map(|p| TrendRow {
            from: p.from.clone(),
            starts: p.summary.starts,
            cells: cells(&p.summary),
        })
        .collect();
    let page_title = format!("Figures: {}", stats.title);
    let status = status(&form);
    let body = FlowPage {
        chrome: Chrome::agent(page_title).with_problems(&state),
        headline: Headline::of(&stats),
        standing: standing(&stats.figures.summary),
        agents: standing(&stats.figures.agents),
        funnel: charts::funnel(&stats.title, &stats.figures)?,
        outcomes: charts::outcomes(&stats.title, &stats.figures.summary)?,
        trend_unit: match trend.unit {
            TrendUnit::Day => "day",
            TrendUnit::Week => "week",
        },
        trends,
        trend_rows,
        comparison: compare(&every_version, &asked),
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
    use super::{encode, signed};

    #[test]
    fn changes_carry_their_sign() {
        assert_eq!(signed(12.5, " points"), "+12.5 points");
        assert_eq!(signed(-3.0, ""), "−3");
        assert_eq!(signed(0.04, " points"), "0 points");
    }

    #[test]
    fn query_values_keep_times_readable_and_escape_the_rest() {
        assert_eq!(encode("2026-01-01T00:00:00Z"), "2026-01-01T00:00:00Z");
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
