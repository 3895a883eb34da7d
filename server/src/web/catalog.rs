//! The flows as the home page and the console list them: found by a search, or grouped by
//! their first tag.

use std::collections::BTreeMap;

use stepwise_app::{App, Library};
use stepwise_engine::{Flow, FlowSource};

use super::words;

/// A flow as a card in a list.
pub struct FlowCard {
    /// The flow id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its summary.
    pub summary: String,
    /// Whether the title is in English because the page's language has no translation of
    /// it: the card is then marked as English.
    pub title_in_english: bool,
    /// Whether the summary is in English for the same reason.
    pub summary_in_english: bool,
}

impl FlowCard {
    pub fn of(flow: &Flow) -> FlowCard {
        FlowCard {
            id: flow.id().to_owned(),
            title: flow.title().to_owned(),
            summary: flow.raw().summary.clone(),
            title_in_english: flow.title_is_fallback(),
            summary_in_english: flow.summary_is_fallback(),
        }
    }
}

/// Flows under one heading.
pub struct Group {
    /// The heading: the first tag of each flow in it.
    pub name: String,
    /// The flows.
    pub flows: Vec<FlowCard>,
}

/// The flows matching `query` in `locale`, best first (a search that finds nothing is
/// counted for the owner).
pub fn search(app: &App, library: &Library, query: &str, locale: &str) -> Vec<FlowCard> {
    let flows = library.in_locale(locale);
    app.search(library, query, locale)
        .iter()
        .filter_map(|hit| flows.flow(&hit.id, None))
        .map(|f| FlowCard::of(&f))
        .collect()
}

/// Every flow in `locale`, grouped by its first tag.
pub fn groups(library: &Library, locale: &str) -> Vec<Group> {
    let mut groups: BTreeMap<String, Vec<FlowCard>> = BTreeMap::new();
    for flow in library.flows_in(locale) {
        let tag = flow
            .raw()
            .tags
            .first()
            .cloned()
            .unwrap_or_else(|| words::for_locale(locale).other.to_owned());
        let mut name: Vec<char> = tag.chars().collect();
        if let Some(first) = name.first_mut() {
            *first = first.to_ascii_uppercase();
        }
        groups
            .entry(name.into_iter().collect())
            .or_default()
            .push(FlowCard::of(&flow));
    }
    groups
        .into_iter()
        .map(|(name, flows)| Group { name, flows })
        .collect()
}
