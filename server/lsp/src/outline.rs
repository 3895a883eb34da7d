//! The outline of a file (its nodes and answers, its scenarios, its translated entries) and
//! a code lens on each node with the edges into it and the paths through it.

use std::collections::HashMap;

use lsp_types::{CodeLens, Command, DocumentSymbol, SymbolKind};
use stepwise_engine::{PathEnd, Span, paths};

use crate::symbols::{self, Symbol, Use};
use crate::workspace::{Directory, File, Places};

/// How many paths are counted per flow for the lenses.
const PATH_LIMIT: usize = 10_000;

/// The outline of a file.
pub fn symbols(file: &File) -> Vec<DocumentSymbol> {
    match &file.places {
        Places::Flow(index) => index
            .nodes
            .iter()
            .map(|node| {
                let kind_name = node
                    .kind
                    .map(|s| file.source.text[s.start..s.end].to_owned());
                let children: Vec<DocumentSymbol> = node
                    .answers
                    .iter()
                    .filter_map(|a| {
                        let id = a.id?;
                        Some(symbol(
                            file,
                            file.id_at(id)?,
                            Some("answer".into()),
                            SymbolKind::ENUM_MEMBER,
                            a.whole,
                            id,
                            Vec::new(),
                        ))
                    })
                    .collect();
                symbol(
                    file,
                    node.id.clone(),
                    kind_name.clone(),
                    kind_of(kind_name.as_deref()),
                    node.whole,
                    node.key,
                    children,
                )
            })
            .collect(),
        Places::Scenarios(places) => places
            .scenarios
            .iter()
            .enumerate()
            .map(|(i, place)| {
                let name = place
                    .name()
                    .and_then(|s| stepwise_engine::string_at(&file.source.text, s))
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| format!("scenario {}", i + 1));
                let at = place.name().unwrap_or(place.whole());
                symbol(
                    file,
                    name,
                    Some("scenario".into()),
                    SymbolKind::EVENT,
                    place.whole(),
                    at,
                    Vec::new(),
                )
            })
            .collect(),
        Places::Translation(places) => places
            .nodes
            .iter()
            .map(|node| {
                let whole = node.text.as_ref().map_or(node.key, |t| {
                    Span::new(node.key.start, t.whole.end.max(node.key.end))
                });
                symbol(
                    file,
                    node.id.clone(),
                    Some("translation".into()),
                    SymbolKind::STRING,
                    whole,
                    node.key,
                    Vec::new(),
                )
            })
            .collect(),
        Places::None => Vec::new(),
    }
}

#[allow(deprecated)] // `deprecated` is a field every DocumentSymbol must still carry.
fn symbol(
    file: &File,
    name: String,
    detail: Option<String>,
    kind: SymbolKind,
    whole: Span,
    selection: Span,
    children: Vec<DocumentSymbol>,
) -> DocumentSymbol {
    let whole = Span::new(
        whole.start.min(selection.start),
        whole.end.max(selection.end),
    );
    DocumentSymbol {
        // Editors refuse an empty name.
        name: if name.is_empty() { "\"\"".into() } else { name },
        detail,
        kind,
        tags: None,
        deprecated: None,
        range: file.lines.range(whole),
        selection_range: file.lines.range(selection),
        children: (!children.is_empty()).then_some(children),
    }
}

fn kind_of(kind: Option<&str>) -> SymbolKind {
    match kind {
        Some("Question") => SymbolKind::ENUM,
        Some("Remedy") => SymbolKind::FUNCTION,
        Some("Info") => SymbolKind::STRING,
        Some("Branch") => SymbolKind::OPERATOR,
        Some("Link") => SymbolKind::MODULE,
        _ => SymbolKind::EVENT,
    }
}

/// A lens over each node of a flow: the edges into it and, for a flow that passed its
/// checks, the customer paths through it.
pub fn lenses(dir: &Directory, file: &File) -> Vec<CodeLens> {
    let Some(index) = file.index() else {
        return Vec::new();
    };
    let Some(flow_id) = file.flow_id() else {
        return Vec::new();
    };
    let this = symbols::file_index(dir, file);
    let all = symbols::occurrences(dir);
    let mut incoming: HashMap<&str, usize> = HashMap::new();
    for o in &all {
        if let Symbol::Node { flow, node } = &o.symbol
            && *flow == flow_id
            && o.kind == Use::Reference
            && o.file == this
        {
            *incoming.entry(node.as_str()).or_default() += 1;
        }
    }
    // Links from other flows enter at the start.
    let links_in = all
        .iter()
        .filter(|o| o.symbol == Symbol::Flow(flow_id.clone()) && o.kind == Use::Reference)
        .filter(|o| dir.files[o.file].index().is_some())
        .count();
    let start = index.start.and_then(|s| file.id_at(s));
    let through = dir.report.catalog.get(&flow_id).map(|flow| {
        let found = paths(flow, PATH_LIMIT);
        let mut through: HashMap<String, usize> = HashMap::new();
        for path in &found.paths {
            let mut nodes: Vec<&str> = path.steps.iter().map(|s| s.node.as_str()).collect();
            nodes.push(end_node(&path.end));
            nodes.sort_unstable();
            nodes.dedup();
            for node in nodes {
                *through.entry(node.to_owned()).or_default() += 1;
            }
        }
        (through, found.truncated)
    });
    index
        .nodes
        .iter()
        .map(|node| {
            let edges = incoming.get(node.id.as_str()).copied().unwrap_or(0);
            let is_start = start.as_deref() == Some(node.id.as_str());
            // `start` names its node as a target does, but it is no edge.
            let mut title = if is_start {
                format!(
                    "start · {} · {}",
                    plural(edges.saturating_sub(1), "edge in", "edges in"),
                    plural(links_in, "link in", "links in")
                )
            } else {
                plural(edges, "edge in", "edges in")
            };
            if let Some((through, truncated)) = &through {
                let count = through.get(&node.id).copied().unwrap_or(0);
                let more = if *truncated { "+" } else { "" };
                title.push_str(&format!(
                    " · {count}{more} {}",
                    if count == 1 { "path" } else { "paths" }
                ));
            }
            CodeLens {
                range: file.lines.range(node.key),
                command: Some(Command {
                    title,
                    command: String::new(),
                    arguments: None,
                }),
                data: None,
            }
        })
        .collect()
}

fn end_node(end: &PathEnd) -> &str {
    match end {
        PathEnd::Resolved { node }
        | PathEnd::Escalate { node, .. }
        | PathEnd::Done { node }
        | PathEnd::Link { node, .. } => node,
        PathEnd::SolvedBy { remedy } => remedy,
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}
