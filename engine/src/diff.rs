//! Two versions of a flow compared as a reviewer reads them: customer paths added, removed
//! and changed, nodes added, removed and changed, and the flow's own fields.
//!
//! The rule for paths: a path is known by its *route*, the nodes it passes and the choice
//! made at each (what `stepwise paths` prints before the end). A route in only one version
//! is an added or removed path; a route in both whose end differs (another outcome, another
//! node, other details collected, another linked flow) is a changed path. An edit to the
//! wording of a node is not repeated on every path through it: it is listed once, under
//! the node, with the number of paths that pass it.

use std::collections::HashMap;

use crate::flow::{Flow, Version};
use crate::model::{Detail, Node, RawFlow};
use crate::paths::{CustomerPath, PathEnd, PathStep, Paths, paths};

/// How many paths of each version are compared at most; a flow with more is cut short
/// (and says so).
pub const PATH_LIMIT: usize = 10_000;

/// What changed between two versions of a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowDiff {
    /// The old version's id and version; `None` when the flow is new.
    pub old: Option<(String, Version)>,
    /// The new version's id and version; `None` when the flow was deleted.
    pub new: Option<(String, Version)>,
    /// The flow's own fields that changed: title, summary, tags, inputs, start.
    pub fields: Vec<FieldChange>,
    /// Customer paths compared.
    pub paths: PathsDiff,
    /// Nodes compared by id.
    pub nodes: NodesDiff,
}

/// One field of a flow or node whose value changed, shown as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// What changed, e.g. `title` or ``answer `in` label``.
    pub what: String,
    /// The old value.
    pub old: String,
    /// The new value.
    pub new: String,
}

/// The customer paths of two versions, compared by route.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathsDiff {
    /// How many paths the old version has.
    pub old_count: usize,
    /// How many paths the new version has.
    pub new_count: usize,
    /// Routes only the new version has, in its order.
    pub added: Vec<CustomerPath>,
    /// Routes only the old version has, in its order.
    pub removed: Vec<CustomerPath>,
    /// Routes both have, ending differently, in the new version's order.
    pub changed: Vec<ChangedPath>,
    /// Routes both have with the same end.
    pub unchanged: usize,
    /// Whether either version had more than [`PATH_LIMIT`] paths.
    pub truncated: bool,
}

/// A route both versions have, with a different end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedPath {
    /// The choices, in order.
    pub route: Vec<PathStep>,
    /// Where it ended.
    pub old: PathEnd,
    /// Where it ends now.
    pub new: PathEnd,
}

/// The nodes of two versions, compared by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodesDiff {
    /// Nodes only the new version has, in its order.
    pub added: Vec<NodeSummary>,
    /// Nodes only the old version has, in its order.
    pub removed: Vec<NodeSummary>,
    /// Nodes both have that a customer would see differently, in the new version's order.
    pub changed: Vec<NodeChange>,
}

/// A node in a line: its id, kind and the first line of its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSummary {
    /// The node id.
    pub id: String,
    /// Its kind, e.g. `question`.
    pub kind: &'static str,
    /// The first line of its text (empty for branches and links).
    pub first_line: String,
}

/// A node both versions have, and what changed in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeChange {
    /// The node id.
    pub id: String,
    /// Its kind in the new version.
    pub kind: &'static str,
    /// How many of the new version's paths pass it.
    pub on_paths: usize,
    /// The changes, each one line of old and new.
    pub changes: Vec<Change>,
}

/// One change to a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// It became another kind of node.
    Kind {
        old: &'static str,
        new: &'static str,
    },
    /// Its text changed; the first line that differs, old and new (1-based).
    Text {
        line: usize,
        old: String,
        new: String,
    },
    /// Another field changed: an answer's label, a detail, a fact, a linked flow.
    Field(FieldChange),
}

impl FlowDiff {
    /// Whether a customer could see any difference: the versions differ.
    pub fn differs(&self) -> bool {
        self.old.as_ref().map(|(_, v)| v) != self.new.as_ref().map(|(_, v)| v)
    }
}

/// Compares two versions of a flow; `None` stands for a flow that does not exist on that
/// side (added or deleted).
pub fn diff(old: Option<&Flow>, new: Option<&Flow>) -> FlowDiff {
    let old_paths = old.map(|f| paths(f, PATH_LIMIT));
    let new_paths = new.map(|f| paths(f, PATH_LIMIT));
    let mut paths = compare_paths(listed(&old_paths), listed(&new_paths));
    paths.truncated = old_paths.iter().chain(&new_paths).any(|p| p.truncated);
    FlowDiff {
        old: old.map(|f| (f.id().to_owned(), f.version().clone())),
        new: new.map(|f| (f.id().to_owned(), f.version().clone())),
        fields: match (old, new) {
            (Some(old), Some(new)) => compare_fields(old, new),
            _ => Vec::new(),
        },
        nodes: compare_nodes(old, new, listed(&new_paths)),
        paths,
    }
}

/// The paths listed, or none for a side that does not exist.
fn listed(paths: &Option<Paths>) -> &[CustomerPath] {
    paths.as_ref().map_or(&[], |p| &p.paths)
}

/// A path's route: the node and choice of every step.
fn route(path: &CustomerPath) -> Vec<(&str, &str)> {
    path.steps
        .iter()
        .map(|s| (s.node.as_str(), s.choice.as_str()))
        .collect()
}

fn compare_paths(old: &[CustomerPath], new: &[CustomerPath]) -> PathsDiff {
    let old_by_route: HashMap<Vec<(&str, &str)>, &CustomerPath> =
        old.iter().map(|p| (route(p), p)).collect();
    let new_routes: std::collections::HashSet<Vec<(&str, &str)>> = new.iter().map(route).collect();
    let mut out = PathsDiff {
        old_count: old.len(),
        new_count: new.len(),
        ..PathsDiff::default()
    };
    for path in new {
        match old_by_route.get(&route(path)) {
            None => out.added.push(path.clone()),
            Some(before) if before.end != path.end => out.changed.push(ChangedPath {
                route: path.steps.clone(),
                old: before.end.clone(),
                new: path.end.clone(),
            }),
            Some(_) => out.unchanged += 1,
        }
    }
    out.removed = old
        .iter()
        .filter(|p| !new_routes.contains(&route(p)))
        .cloned()
        .collect();
    out
}

fn compare_fields(old: &Flow, new: &Flow) -> Vec<FieldChange> {
    let (o, n) = (old.raw(), new.raw());
    let mut out = Vec::new();
    let mut field = |what: &str, old: String, new: String| {
        if old != new {
            out.push(FieldChange {
                what: what.to_owned(),
                old,
                new,
            });
        }
    };
    field("id", o.id.clone(), n.id.clone());
    field("title", o.title.clone(), n.title.clone());
    field("summary", o.summary.clone(), n.summary.clone());
    field("tags", o.tags.join(", "), n.tags.join(", "));
    let inputs = |raw: &RawFlow| {
        let written: Vec<String> = raw.inputs.iter().map(ToString::to_string).collect();
        written.join(", ")
    };
    field("inputs", inputs(o), inputs(n));
    field("start", o.start.clone(), n.start.clone());
    out
}

fn summary(id: &str, node: &Node) -> NodeSummary {
    NodeSummary {
        id: id.to_owned(),
        kind: node.kind_name(),
        first_line: first_line(node.text().unwrap_or_default()).to_owned(),
    }
}

fn compare_nodes(old: Option<&Flow>, new: Option<&Flow>, new_paths: &[CustomerPath]) -> NodesDiff {
    let empty = indexmap::IndexMap::new();
    let old_nodes = old.map_or(&empty, |f| &f.raw().nodes);
    let new_nodes = new.map_or(&empty, |f| &f.raw().nodes);
    let mut out = NodesDiff::default();
    for (id, node) in new_nodes {
        match old_nodes.get(id) {
            None => out.added.push(summary(id, node)),
            Some(before) => {
                let changes = node_changes(before, node);
                if !changes.is_empty() {
                    out.changed.push(NodeChange {
                        id: id.clone(),
                        kind: node.kind_name(),
                        on_paths: new_paths.iter().filter(|p| passes(p, id)).count(),
                        changes,
                    });
                }
            }
        }
    }
    out.removed = old_nodes
        .iter()
        .filter(|(id, _)| !new_nodes.contains_key(*id))
        .map(|(id, node)| summary(id, node))
        .collect();
    out
}

/// Whether a path passes a node or ends at it.
fn passes(path: &CustomerPath, id: &str) -> bool {
    let end = match &path.end {
        PathEnd::Resolved { node }
        | PathEnd::Escalate { node, .. }
        | PathEnd::Done { node }
        | PathEnd::Link { node, .. } => node,
        PathEnd::SolvedBy { remedy } => remedy,
    };
    end == id || path.steps.iter().any(|s| s.node == id)
}

/// What a customer would see differently at a node. Targets are left out: a changed
/// target changes paths, and the paths show it.
fn node_changes(old: &Node, new: &Node) -> Vec<Change> {
    let mut out = Vec::new();
    if old.kind_name() != new.kind_name() {
        out.push(Change::Kind {
            old: old.kind_name(),
            new: new.kind_name(),
        });
    }
    if let Some(text) = text_change(old.text().unwrap_or(""), new.text().unwrap_or("")) {
        out.push(text);
    }
    let mut field = |what: String, old: String, new: String| {
        if old != new {
            out.push(Change::Field(FieldChange { what, old, new }));
        }
    };
    match (old, new) {
        (
            Node::Question {
                fact: old_fact,
                answers: old_answers,
                ..
            },
            Node::Question { fact, answers, .. },
        ) => {
            field(
                "records fact".to_owned(),
                old_fact.clone().unwrap_or_default(),
                fact.clone().unwrap_or_default(),
            );
            for answer in answers {
                if let Some(before) = old_answers.iter().find(|a| a.id == answer.id) {
                    field(
                        format!("answer `{}` label", answer.id),
                        before.label.clone(),
                        answer.label.clone(),
                    );
                }
            }
        }
        (Node::Branch { fact: old_fact, .. }, Node::Branch { fact, .. }) => {
            field(
                "branches on fact".to_owned(),
                old_fact.clone(),
                fact.clone(),
            );
        }
        (Node::Link { flow: old_flow }, Node::Link { flow }) => {
            field("links to".to_owned(), old_flow.clone(), flow.clone());
        }
        (
            Node::Escalate {
                collect: old_collect,
                ..
            },
            Node::Escalate { collect, .. },
        ) => {
            field("collects".to_owned(), ids(old_collect), ids(collect));
            for detail in collect {
                if let Some(before) = old_collect.iter().find(|d| d.id == detail.id) {
                    let what = |part: &str| format!("detail `{}` {part}", detail.id);
                    field(what("label"), before.label.clone(), detail.label.clone());
                    field(
                        what("help"),
                        before.help.clone().unwrap_or_default(),
                        detail.help.clone().unwrap_or_default(),
                    );
                    field(
                        what("max_len"),
                        before.max_len.to_string(),
                        detail.max_len.to_string(),
                    );
                }
            }
        }
        _ => {}
    }
    out
}

/// The ids of details, an optional one marked `?`: `coin, amount, memo?`.
fn ids(details: &[Detail]) -> String {
    details
        .iter()
        .map(|d| {
            if d.optional {
                format!("{}?", d.id)
            } else {
                d.id.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first line where two texts differ, ignoring surrounding whitespace of lines.
fn text_change(old: &str, new: &str) -> Option<Change> {
    let mut old_lines = old.lines().map(str::trim);
    let mut new_lines = new.lines().map(str::trim);
    let mut line = 0;
    loop {
        line += 1;
        match (old_lines.next(), new_lines.next()) {
            (None, None) => return None,
            (a, b) if a == b => continue,
            (a, b) => {
                return Some(Change::Text {
                    line,
                    old: a.unwrap_or_default().to_owned(),
                    new: b.unwrap_or_default().to_owned(),
                });
            }
        }
    }
}

/// The first non-empty line of a text, trimmed.
fn first_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::check_alone;
    use crate::source::Source;

    const OLD: &str = r#"Flow(id: "memo", title: "Memo", summary: "S", tags: ["memo"], start: "ask",
        nodes: {
            "ask": Question(text: "In or out?", answers: [
                (id: "in", label: "In", goto: "check"),
                (id: "out", label: "Out", goto: "bye")]),
            "check": Remedy(text: "Check the memo.\nThen wait.", otherwise: "support"),
            "support": Escalate(text: "Call us.", collect: [(id: "coin", label: "Coin")]),
            "bye": Done(text: "Nothing to do."),
        })"#;

    fn flow(text: &str) -> Flow {
        match check_alone(&Source::new("memo.ron", text)) {
            (Some(flow), _) => flow,
            (None, d) => panic!("{:?}", d.iter().map(|d| &d.message).collect::<Vec<_>>()),
        }
    }

    fn lines(paths: &[CustomerPath]) -> Vec<String> {
        paths.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn the_same_flow_has_no_differences() {
        let d = diff(Some(&flow(OLD)), Some(&flow(OLD)));
        assert!(!d.differs());
        assert_eq!(d.paths.unchanged, 3);
        assert!(d.paths.added.is_empty() && d.paths.removed.is_empty());
        assert!(d.nodes.changed.is_empty() && d.fields.is_empty());
    }

    #[test]
    fn a_new_answer_adds_a_path() {
        let new = OLD.replace(
            r#"(id: "out", label: "Out", goto: "bye")]"#,
            r#"(id: "out", label: "Out", goto: "bye"), (id: "lost", label: "Lost", goto: "support")]"#,
        );
        let d = diff(Some(&flow(OLD)), Some(&flow(&new)));
        assert!(d.differs());
        assert_eq!(
            lines(&d.paths.added),
            ["ask=lost → ESCALATE support (collect coin)"]
        );
        assert_eq!(
            (d.paths.old_count, d.paths.new_count, d.paths.unchanged),
            (3, 4, 3)
        );
    }

    #[test]
    fn a_removed_node_removes_its_paths() {
        let new = OLD
            .replace(r#"goto: "check""#, r#"goto: "support""#)
            .replace("\"check\": Remedy(text: \"Check the memo.\\nThen wait.\", otherwise: \"support\"),", "");
        let d = diff(Some(&flow(OLD)), Some(&flow(&new)));
        assert_eq!(
            lines(&d.paths.removed),
            [
                "ask=in → check=yes → RESOLVED by check",
                "ask=in → check=no → ESCALATE support (collect coin)"
            ]
        );
        assert_eq!(
            lines(&d.paths.added),
            ["ask=in → ESCALATE support (collect coin)"]
        );
        assert_eq!(d.nodes.removed.len(), 1);
        assert_eq!(d.nodes.removed[0].id, "check");
        assert_eq!(d.nodes.removed[0].first_line, "Check the memo.");
    }

    #[test]
    fn the_same_route_to_another_end_is_a_changed_path() {
        // The old version sent `out` to support; the new one to a new done node.
        let old = OLD
            .replace(r#"goto: "bye""#, r#"goto: "support""#)
            .replace("\"bye\": Done(text: \"Nothing to do.\"),", "");
        let d = diff(Some(&flow(&old)), Some(&flow(OLD)));
        assert_eq!(d.paths.changed.len(), 1);
        let changed = &d.paths.changed[0];
        assert_eq!(changed.route[0].choice, "out");
        assert_eq!(changed.old.to_string(), "ESCALATE support (collect coin)");
        assert_eq!(changed.new.to_string(), "DONE bye");
        assert_eq!(d.nodes.added[0].id, "bye");
    }

    #[test]
    fn more_details_collected_change_the_paths_ending_there() {
        let new = OLD.replace(
            r#"collect: [(id: "coin", label: "Coin")]"#,
            r#"collect: [(id: "coin", label: "Coin"), (id: "txid", label: "TxID", optional: true)]"#,
        );
        let d = diff(Some(&flow(OLD)), Some(&flow(&new)));
        assert_eq!(d.paths.changed.len(), 1);
        assert_eq!(
            d.nodes.changed[0].changes,
            [Change::Field(FieldChange {
                what: "collects".to_owned(),
                old: "coin".to_owned(),
                new: "coin, txid?".to_owned(),
            })]
        );
    }

    #[test]
    fn a_reworded_node_is_listed_once_with_the_paths_through_it() {
        let new = OLD
            .replace("Then wait.", "Then wait an hour.")
            .replace(r#"label: "In""#, r#"label: "Coming in""#);
        let d = diff(Some(&flow(OLD)), Some(&flow(&new)));
        assert_eq!(d.paths.changed.len(), 0, "wording does not change paths");
        assert_eq!(d.paths.unchanged, 3);
        let [ask, check] = d.nodes.changed.as_slice() else {
            panic!("{:?}", d.nodes.changed);
        };
        assert_eq!(ask.id, "ask");
        assert_eq!(ask.on_paths, 3);
        assert_eq!(
            ask.changes,
            [Change::Field(FieldChange {
                what: "answer `in` label".to_owned(),
                old: "In".to_owned(),
                new: "Coming in".to_owned(),
            })]
        );
        assert_eq!(check.on_paths, 2);
        assert_eq!(
            check.changes,
            [Change::Text {
                line: 2,
                old: "Then wait.".to_owned(),
                new: "Then wait an hour.".to_owned(),
            }]
        );
    }

    #[test]
    fn a_new_flow_adds_every_path_and_node() {
        let d = diff(None, Some(&flow(OLD)));
        assert!(d.differs());
        assert_eq!(d.paths.added.len(), 3);
        assert_eq!(d.nodes.added.len(), 4);
        let d = diff(Some(&flow(OLD)), None);
        assert_eq!(d.paths.removed.len(), 3);
        assert_eq!(d.nodes.removed.len(), 4);
    }

    #[test]
    fn title_and_tags_are_compared() {
        let new = OLD.replace(r#"tags: ["memo"]"#, r#"tags: ["memo", "tag"]"#);
        let d = diff(Some(&flow(OLD)), Some(&flow(&new)));
        assert_eq!(
            d.fields,
            [FieldChange {
                what: "tags".to_owned(),
                old: "memo".to_owned(),
                new: "memo, tag".to_owned(),
            }]
        );
    }
}
