//! A flow's report: its figures over a period, as its owner reads them on the page, in the
//! API and on the command line.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use serde::Serialize;
use stepwise_engine::{Catalog, Flow, Node, WalkError};
use stepwise_store::{Store, StoreError, now_millis};
use utoipa::ToSchema;

use crate::App;
use crate::clock::rfc3339;
use crate::error::Error;
use crate::stats::{Figures, Period, Settings, figures};

/// The longest label of a step, in characters; longer ones are cut at a word with `…`.
pub const LABEL_CHARS: usize = 48;

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
/// abandonment measured to now. Steps are named by their words and put in the flow's order;
/// `flows` (the catalog `flow` is in) gives the steps of the flows it links to.
pub async fn report(
    store: &dyn Store,
    flows: &Catalog,
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
        figures: in_flow_order(figures(&events, &remedies(flow), settings), flows, flow),
    })
}

/// The reports of every flow in `flows` over `period`, most started first (ties by id): the
/// owner's overview and `/metrics` both read these.
pub async fn every_flow(
    store: &dyn Store,
    flows: &Catalog,
    period: &Period,
    abandon_after: Duration,
) -> Result<Vec<FlowStats>, StoreError> {
    let mut reports = Vec::with_capacity(flows.len());
    for flow in flows.iter() {
        reports.push(report(store, flows, flow, period, abandon_after).await?);
    }
    reports.sort_by(|a, b| {
        b.figures
            .summary
            .starts
            .cmp(&a.figures.summary.starts)
            .then_with(|| a.flow.cmp(&b.flow))
    });
    Ok(reports)
}

/// Every step of `flow` as the figures name it (`other-flow/node` past a link), in the
/// order a reader meets them: breadth first from the start, each linked flow's steps after
/// the link, each flow once. Branches and links are left out: nobody stands on them.
pub fn flow_order(flows: &Catalog, flow: &Flow) -> Vec<(String, String)> {
    let mut order = Vec::new();
    let mut seen_flows = HashSet::from([flow.id().to_owned()]);
    // Flows to walk, each with the prefix its nodes are named with.
    let mut pending: VecDeque<(&Flow, String)> = VecDeque::from([(flow, String::new())]);
    while let Some((current, prefix)) = pending.pop_front() {
        let mut seen: HashSet<&str> = HashSet::from([current.start()]);
        let mut queue = VecDeque::from([current.start()]);
        while let Some(id) = queue.pop_front() {
            let Some(node) = current.node(id) else {
                continue;
            };
            match node {
                Node::Branch { .. } => {}
                Node::Link { flow: linked } => {
                    if seen_flows.insert(linked.clone())
                        && let Some(other) = flows.get(linked)
                    {
                        pending.push_back((other, format!("{linked}/")));
                    }
                }
                _ => order.push((format!("{prefix}{id}"), label(node, id))),
            }
            for (_, to) in node.targets() {
                if seen.insert(to) {
                    queue.push_back(to);
                }
            }
        }
    }
    order
}

/// `figures` with its nodes in the order of `flow` and every step and remedy named by its
/// words; nodes no longer in the flow keep their id and come last, as they were.
fn in_flow_order(mut figures: Figures, flows: &Catalog, flow: &Flow) -> Figures {
    let order = flow_order(flows, flow);
    let place: HashMap<&str, (usize, &str)> = order
        .iter()
        .enumerate()
        .map(|(i, (id, label))| (id.as_str(), (i, label.as_str())))
        .collect();
    for node in &mut figures.nodes {
        if let Some((_, label)) = place.get(node.node.as_str()) {
            node.label = (*label).to_owned();
        }
    }
    for remedy in &mut figures.remedies {
        if let Some((_, label)) = place.get(remedy.remedy.as_str()) {
            remedy.label = (*label).to_owned();
        }
    }
    // Stable: nodes outside the flow keep their order, by sessions reached.
    figures
        .nodes
        .sort_by_key(|n| place.get(n.node.as_str()).map_or(usize::MAX, |(i, _)| *i));
    figures
}

/// A step in a few words: the first line of its text without Markdown, cut at a word to
/// [`LABEL_CHARS`]; its id when it has no words.
pub fn label(node: &Node, id: &str) -> String {
    let words = node.text().map(first_words).unwrap_or_default();
    if words.is_empty() {
        return id.to_owned();
    }
    cut(&words, LABEL_CHARS)
}

/// The text of the first paragraph or heading of `markdown`, without its markup.
fn first_words(markdown: &str) -> String {
    use pulldown_cmark::{Event, Parser, TagEnd};
    let mut words = String::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => words.push_str(&t),
            Event::SoftBreak | Event::HardBreak => words.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item)
                if !words.trim().is_empty() =>
            {
                break;
            }
            _ => {}
        }
    }
    words.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` cut to at most `max` characters, at a word when there is one, with `…`.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    let ends_a_word = text[kept.len()..].starts_with(char::is_whitespace);
    let at_word = match kept.rfind(' ') {
        _ if ends_a_word => kept.as_str(),
        Some(space) if space > kept.len() / 2 => &kept[..space],
        _ => kept.as_str(),
    };
    format!("{}…", at_word.trim_end_matches([' ', ',', ';', ':', '.']))
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
    Ok(report(
        app.store.as_ref(),
        library.catalog(),
        flow,
        period,
        abandon_after,
    )
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_the_first_words_without_markup() {
        assert_eq!(
            first_words("**Is the light on?**\n\nMore here."),
            "Is the light on?"
        );
        assert_eq!(first_words("# Reset\nthe `router`"), "Reset");
        assert_eq!(first_words("- one\n- two"), "one");
        assert_eq!(
            first_words("[Open](https://x.test) the\nsettings"),
            "Open the settings"
        );
        assert_eq!(
            cut("Open the settings page of the app", 20),
            "Open the settings…"
        );
        assert_eq!(cut("Unbreakablewordthatgoeson", 10), "Unbreakab…");
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("Set the clock, then", 15), "Set the clock…");
    }
}
