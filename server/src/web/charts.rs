//! Pictures of a flow's figures, drawn on the server as SVG: a funnel of the sessions that
//! reached each step with those abandoned there, bars of how sessions ended, and small
//! charts of a figure by day or week. Geometry is computed here; the markup is askama
//! templates, so every label is escaped. Each picture carries a `<title>` and a `<desc>`
//! saying its figures in words.
//!
//! The charts are drawn narrow (each row's label above its bar, its figures after it), so
//! that at a phone's width they shrink little and nothing is cut off.

use askama::Template;

use stepwise_app::report::cut;
use stepwise_app::stats::{Figures, Summary, TrendPoint, TrendUnit, percent};

/// Total width of a row chart, in SVG units.
const WIDTH: u32 = 440;
/// The longest bar (every session).
const BAR_SPAN: f64 = 200.0;
/// Where the figures after each bar start.
const FIGURE_X: u32 = 208;
/// Height of one row (its label, then its bar), and of its bar. Labels start two units in,
/// as a glyph such as `T` reaches left of where its text starts.
const ROW: u32 = 44;
const BAR: u32 = 14;
/// A label's longest length in characters; the full text is in the row's `<title>`.
const LABEL_CHARS: usize = 60;

/// One row of a chart.
pub struct Row {
    /// The label, cut to fit.
    pub label: String,
    /// The full label and its figures, for the row's tooltip.
    pub full: String,
    /// The top of the row.
    pub y: u32,
    /// The bar's width.
    pub width: f64,
    /// Where the highlighted part of the bar starts, and its width (none when zero).
    pub part_x: f64,
    pub part_width: f64,
    /// The bar's colour class.
    pub class: &'static str,
    /// The figures written after the bar.
    pub figure: String,
}

#[derive(Template)]
#[template(path = "charts/bars.svg")]
struct Bars<'a> {
    id: &'a str,
    title: String,
    desc: String,
    width: u32,
    height: u32,
    span: f64,
    figure_x: u32,
    bar: u32,
    rows: Vec<Row>,
}

/// The length of a bar for `count` out of `whole`.
fn length(count: u64, whole: u64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    let exact = count as f64 / whole as f64 * BAR_SPAN;
    // A non-zero count always shows.
    let shown = if count > 0 { exact.max(2.0) } else { 0.0 };
    (shown * 10.0).round() / 10.0
}

fn render(bars: Bars<'_>) -> Result<String, askama::Error> {
    bars.render()
}

/// The drop-off chart: one bar per step in the flow's order, named by its words, as long as
/// the share of sessions that reached it, its end in red for those abandoned there.
pub fn funnel(flow_title: &str, figures: &Figures) -> Result<String, askama::Error> {
    let starts = figures.summary.starts;
    let rows: Vec<Row> = figures
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let width = length(n.reached, starts);
            let part_width = length(n.dropped_off, starts).min(width);
            let figure = if n.dropped_off > 0 {
                format!("{} reached · {} dropped off", n.reached, n.dropped_off)
            } else {
                format!("{} reached", n.reached)
            };
            Row {
                label: cut(&n.label, LABEL_CHARS),
                full: format!("{} ({}): {figure}", n.label, n.node),
                y: i as u32 * ROW,
                width,
                part_x: width - part_width,
                part_width,
                class: "reached",
                figure,
            }
        })
        .collect();
    let dropped: Vec<String> = figures
        .nodes
        .iter()
        .filter(|n| n.dropped_off > 0)
        .map(|n| format!("{} at “{}”", n.dropped_off, n.label))
        .collect();
    let mut desc =
        format!("Of {starts} sessions, how many reached each step, in the order of the flow.");
    if !dropped.is_empty() {
        desc.push_str(&format!(" Abandoned: {}.", dropped.join(", ")));
    }
    render(Bars {
        id: "funnel",
        title: format!("Where sessions of “{flow_title}” went and where they stopped"),
        desc,
        width: WIDTH,
        height: (rows.len() as u32).max(1) * ROW,
        span: BAR_SPAN,
        figure_x: FIGURE_X,
        bar: BAR,
        rows,
    })
}

/// How a summary's sessions stand, each with its share of starts, in the order shown
/// everywhere: resolved, escalated, done, abandoned, in progress.
pub fn standing(summary: &Summary) -> [(&'static str, u64, String, &'static str); 5] {
    let shares = summary.share_of_starts;
    let share = |pick: fn(&stepwise_app::stats::Shares) -> f64| percent(shares.as_ref().map(pick));
    [
        (
            "Resolved",
            summary.resolved,
            share(|s| s.resolved),
            "resolved",
        ),
        (
            "Escalated",
            summary.escalated,
            share(|s| s.escalated),
            "escalated",
        ),
        ("Done", summary.done, share(|s| s.done), "done"),
        (
            "Abandoned",
            summary.abandoned,
            share(|s| s.abandoned),
            "abandoned",
        ),
        (
            "In progress",
            summary.in_progress,
            share(|s| s.in_progress),
            "in-progress",
        ),
    ]
}

/// The outcome chart: one bar each for resolved, escalated, done, abandoned and in progress,
/// each as a share of starts, so that the five add up to every session.
pub fn outcomes(flow_title: &str, summary: &Summary) -> Result<String, askama::Error> {
    let starts = summary.starts;
    let entries = standing(summary);
    let rows: Vec<Row> = entries
        .iter()
        .enumerate()
        .map(|(i, (name, count, share, class))| {
            let figure = format!("{count} · {share} of starts");
            Row {
                label: (*name).to_owned(),
                full: format!("{name}: {figure}"),
                y: i as u32 * ROW,
                width: length(*count, starts),
                part_x: 0.0,
                part_width: 0.0,
                class,
                figure,
            }
        })
        .collect();
    let desc = entries
        .iter()
        .map(|(name, count, share, _)| format!("{name} {count} ({share})"))
        .collect::<Vec<_>>()
        .join(", ");
    render(Bars {
        id: "outcomes",
        title: format!("How the {starts} sessions of “{flow_title}” stand"),
        desc: format!("Shares of starts: {desc}."),
        width: WIDTH,
        height: rows.len() as u32 * ROW,
        span: BAR_SPAN,
        figure_x: FIGURE_X,
        bar: BAR,
        rows,
    })
}

/// Width and height of a trend chart, and of its plot.
const TREND_WIDTH: u32 = 320;
const TREND_HEIGHT: u32 = 100;
const PLOT_TOP: u32 = 18;
const PLOT_HEIGHT: u32 = 60;

/// One bar of a trend chart.
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    /// The day or week and its figure, for the bar's tooltip.
    pub full: String,
}

#[derive(Template)]
#[template(path = "charts/trend.svg")]
struct TrendChart {
    id: String,
    title: String,
    desc: String,
    width: u32,
    height: u32,
    plot_top: u32,
    baseline: u32,
    top_label: String,
    first: String,
    last: String,
    class: &'static str,
    points: Vec<Point>,
}

/// What a trend chart draws of each point.
#[derive(Debug, Clone, Copy)]
pub enum Measure {
    /// Sessions started.
    Starts,
    /// One way of standing, as a share of that point's starts.
    Share(usize),
}

/// A small chart of one figure per day or week: bars over the period, the highest value
/// at the top (100% for shares), the first and last day under it.
pub fn trend(
    id: &str,
    name: &str,
    unit: TrendUnit,
    points: &[TrendPoint],
    measure: Measure,
) -> Result<String, askama::Error> {
    let value = |p: &TrendPoint| -> Option<f64> {
        match measure {
            Measure::Starts => Some(p.summary.starts as f64),
            Measure::Share(i) => {
                let s = p.summary.share_of_starts?;
                Some([s.resolved, s.escalated, s.done, s.abandoned, s.in_progress][i])
            }
        }
    };
    let said = |p: &TrendPoint| match (measure, value(p)) {
        (_, None) => "no sessions".to_owned(),
        (Measure::Starts, Some(v)) => format!("{v} started"),
        (Measure::Share(_), Some(v)) => {
            format!("{} of {} starts", percent(Some(v)), p.summary.starts)
        }
    };
    let top = match measure {
        Measure::Starts => points.iter().filter_map(value).fold(1.0, f64::max),
        Measure::Share(_) => 1.0,
    };
    let slot = f64::from(TREND_WIDTH) / points.len().max(1) as f64;
    let gap = if slot > 4.0 { 1.0 } else { 0.0 };
    let baseline = PLOT_TOP + PLOT_HEIGHT;
    let round = |v: f64| (v * 10.0).round() / 10.0;
    let bars = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let height = round(value(p).unwrap_or(0.0) / top * f64::from(PLOT_HEIGHT));
            Point {
                x: round(i as f64 * slot),
                y: round(f64::from(baseline) - height),
                width: round((slot - gap).max(0.5)),
                height,
                full: format!("{}: {}", p.from, said(p)),
            }
        })
        .collect();
    let every = points
        .iter()
        .map(|p| format!("{} {}", p.from, said(p)))
        .collect::<Vec<_>>()
        .join("; ");
    let per = match unit {
        TrendUnit::Day => "day",
        TrendUnit::Week => "week (from Monday)",
    };
    let class = match measure {
        Measure::Starts => "starts",
        Measure::Share(i) => ["resolved", "escalated", "done", "abandoned", "in-progress"][i],
    };
    TrendChart {
        id: format!("trend-{id}"),
        title: format!("{name} per {per}"),
        desc: format!("{name} per {per}: {every}."),
        width: TREND_WIDTH,
        height: TREND_HEIGHT,
        plot_top: PLOT_TOP,
        baseline,
        top_label: match measure {
            Measure::Starts => format!("{top}"),
            Measure::Share(_) => "100%".to_owned(),
        },
        first: points.first().map(|p| p.from.clone()).unwrap_or_default(),
        last: points.last().map(|p| p.from.clone()).unwrap_or_default(),
        class,
        points: bars,
    }
    .render()
}
