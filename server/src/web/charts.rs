//! Pictures of a flow's figures, drawn on the server as SVG: a funnel of the sessions that
//! reached each node with those abandoned there, and bars of how sessions ended. Geometry is
//! computed here; the markup is askama templates, so every label is escaped. Each picture
//! carries a `<title>` and a `<desc>` saying its figures in words.

use askama::Template;

use stepwise_app::stats::{Figures, Summary, percent};

/// Total width of a chart, in SVG units.
const WIDTH: u32 = 720;
/// Where bars start: the labels sit to their left.
const BAR_X: u32 = 210;
/// The longest bar (every session).
const BAR_SPAN: f64 = 330.0;
/// Where the figures after each bar start.
const FIGURE_X: u32 = BAR_X + 340;
/// Height of one row, and of its bar.
const ROW: u32 = 30;
const BAR: u32 = 18;
/// Labels longer than this many characters are cut with an ellipsis (the full text is in
/// the row's `<title>`).
const LABEL_CHARS: usize = 26;

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
    bar_x: u32,
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

fn cut(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        return label.to_owned();
    }
    let kept: String = label.chars().take(LABEL_CHARS - 1).collect();
    format!("{kept}…")
}

fn render(bars: Bars<'_>) -> Result<String, askama::Error> {
    bars.render()
}

/// The drop-off chart: one bar per node, as long as the share of sessions that reached it,
/// its end in red for those abandoned there.
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
                label: cut(&n.node),
                full: format!("{}: {figure}", n.node),
                y: i as u32 * ROW,
                width,
                part_x: f64::from(BAR_X) + width - part_width,
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
        .map(|n| format!("{} at {}", n.dropped_off, n.node))
        .collect();
    let mut desc = format!("Of {starts} sessions, how many reached each step, most first.");
    if !dropped.is_empty() {
        desc.push_str(&format!(" Abandoned: {}.", dropped.join(", ")));
    }
    render(Bars {
        id: "funnel",
        title: format!("Where sessions of “{flow_title}” went and where they stopped"),
        desc,
        width: WIDTH,
        height: (rows.len() as u32).max(1) * ROW,
        bar_x: BAR_X,
        figure_x: FIGURE_X,
        bar: BAR,
        rows,
    })
}

/// The outcome chart: one bar each for resolved, escalated, done, abandoned and in progress.
pub fn outcomes(flow_title: &str, summary: &Summary) -> Result<String, askama::Error> {
    let starts = summary.starts;
    let share = |count: u64| percent((starts > 0).then(|| count as f64 / starts as f64));
    let entries = [
        ("Resolved", summary.resolved, "resolved"),
        ("Escalated", summary.escalated, "escalated"),
        ("Done", summary.done, "done"),
        ("Abandoned", summary.abandoned, "abandoned"),
        ("In progress", summary.in_progress, "in-progress"),
    ];
    let rows: Vec<Row> = entries
        .iter()
        .enumerate()
        .map(|(i, (name, count, class))| {
            let figure = format!("{count} ({} of starts)", share(*count));
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
        .map(|(name, count, _)| format!("{name} {count}"))
        .collect::<Vec<_>>()
        .join(", ");
    render(Bars {
        id: "outcomes",
        title: format!("How the {starts} sessions of “{flow_title}” ended"),
        desc: format!("{desc}."),
        width: WIDTH,
        height: rows.len() as u32 * ROW,
        bar_x: BAR_X,
        figure_x: FIGURE_X,
        bar: BAR,
        rows,
    })
}
