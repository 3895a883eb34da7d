//! Every path a customer can take through a flow, so that a change to a flow reads in review
//! as a change of customer paths.
//!
//! A path takes each edge at most once, so a loop is followed once and then left. A link
//! ends a path: the linked flow has paths of its own. Facts recorded earlier on a path
//! decide later branches and questions on that fact, as they would in a walk; facts the
//! site might give are unknown, so every case is listed.

use std::collections::HashSet;
use std::fmt;

use serde::Serialize;

use crate::exit::{Exit, ExitKind};
use crate::flow::Flow;
use crate::model::Node;

/// One choice along a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathStep {
    /// The node the choice was made at.
    pub node: String,
    /// The answer id (or `yes`/`no` at a remedy, `next` at an info step, the case at a branch).
    pub choice: String,
    /// Whether the engine made the choice from a fact (a branch) rather than the customer.
    pub automatic: bool,
    /// The fact this choice made known, if any.
    #[serde(skip)]
    pub records: Option<(String, String)>,
}

/// Where a path ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PathEnd {
    /// At a resolved outcome.
    Resolved { node: String },
    /// At a remedy that worked.
    SolvedBy { remedy: String },
    /// At an escalation, with what support will ask for.
    Escalate { node: String, collect: Vec<String> },
    /// At a done outcome.
    Done { node: String },
    /// At a link: the walk goes on in another flow.
    Link { node: String, flow: String },
}

/// One way through a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerPath {
    /// The choices, in order.
    pub steps: Vec<PathStep>,
    /// Where it ends.
    pub end: PathEnd,
}

/// Every path through a flow, up to a limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Paths {
    /// The paths, in the order of the writer's answers.
    pub paths: Vec<CustomerPath>,
    /// Whether the limit cut the list short.
    pub truncated: bool,
}

/// A choice at a node: its name, whether the engine makes it, the fact it records, and
/// where it leads.
struct Edge<'f> {
    choice: String,
    automatic: bool,
    records: Option<(String, String)>,
    next: Next<'f>,
}

/// Where an edge leads.
enum Next<'f> {
    Node(&'f str),
    End(PathEnd),
}

/// Lists every path from the start of `flow`, stopping after `limit` paths.
pub fn paths(flow: &Flow, limit: usize) -> Paths {
    let mut found = Vec::new();
    let mut truncated = false;
    let mut used: HashSet<(&str, usize)> = HashSet::new();
    let mut steps: Vec<PathStep> = Vec::new();
    // Each frame: a node, its edges, the next edge to try, and the edge that led here.
    struct Frame<'f> {
        node: &'f str,
        edges: Vec<Edge<'f>>,
        next: usize,
        via: Option<(&'f str, usize)>,
    }
    let start = flow.start();
    let Some(first) = flow.node(start) else {
        return Paths {
            paths: found,
            truncated,
        };
    };
    if let Some(end) = end_at(start, first) {
        found.push(CustomerPath { steps, end });
        return Paths {
            paths: found,
            truncated,
        };
    }
    let mut stack = vec![Frame {
        node: start,
        edges: edges(start, first, &[]),
        next: 0,
        via: None,
    }];
    while let Some(frame) = stack.last_mut() {
        if frame.next >= frame.edges.len() {
            if let Some(via) = frame.via {
                used.remove(&via);
            }
            stack.pop();
            steps.pop();
            continue;
        }
        let index = frame.next;
        frame.next += 1;
        let node = frame.node;
        if used.contains(&(node, index)) {
            continue;
        }
        let edge = &frame.edges[index];
        let step = PathStep {
            node: node.to_owned(),
            choice: edge.choice.clone(),
            automatic: edge.automatic,
            records: edge.records.clone(),
        };
        let target = match &edge.next {
            Next::End(end) => Err(end.clone()),
            Next::Node(id) => match flow.node(id) {
                Some(target) => match end_at(id, target) {
                    Some(end) => Err(end),
                    None => Ok((*id, target)),
                },
                // A checked flow has no dangling targets; skip rather than invent an end.
                None => continue,
            },
        };
        match target {
            Err(end) => {
                if found.len() >= limit {
                    truncated = true;
                    break;
                }
                let mut taken = steps.clone();
                taken.push(step);
                found.push(CustomerPath { steps: taken, end });
            }
            Ok((id, target)) => {
                used.insert((node, index));
                steps.push(step);
                stack.push(Frame {
                    node: id,
                    edges: edges(id, target, &steps),
                    next: 0,
                    via: Some((node, index)),
                });
            }
        }
    }
    Paths {
        paths: found,
        truncated,
    }
}

/// The end a node is, if the walk stops there.
fn end_at(id: &str, node: &Node) -> Option<PathEnd> {
    let node_id = id.to_owned();
    match node {
        Node::Resolved { .. } => Some(PathEnd::Resolved { node: node_id }),
        Node::Done { .. } => Some(PathEnd::Done { node: node_id }),
        Node::Escalate { collect, .. } => Some(PathEnd::Escalate {
            node: node_id,
            collect: collect.iter().map(|d| d.id.clone()).collect(),
        }),
        Node::Link { flow } => Some(PathEnd::Link {
            node: node_id,
            flow: flow.clone(),
        }),
        Node::Question { .. } | Node::Remedy { .. } | Node::Info { .. } | Node::Branch { .. } => {
            None
        }
    }
}

/// The value a fact has after `steps`, if one of them recorded it.
fn known<'s>(steps: &'s [PathStep], fact: &str) -> Option<&'s str> {
    steps
        .iter()
        .rev()
        .find_map(|s| s.records.as_ref().filter(|(f, _)| f == fact))
        .map(|(_, value)| value.as_str())
}

/// The choices at a node after `steps`, in the order the writer wrote them.
fn edges<'f>(id: &str, node: &'f Node, steps: &[PathStep]) -> Vec<Edge<'f>> {
    let next = |exit: &Exit<'f>| match exit.to {
        Some(to) => Next::Node(to),
        // Only a remedy that worked leads to no node: the walk ends resolved by it.
        None => Next::End(PathEnd::SolvedBy {
            remedy: id.to_owned(),
        }),
    };
    if let Node::Branch { fact, .. } = node {
        let edge = |exit: Exit<'f>, records| Edge {
            choice: match exit.kind {
                ExitKind::Case { value, .. } => format!("{fact}={value}"),
                _ => exit.choice().to_owned(),
            },
            automatic: true,
            records,
            next: next(&exit),
        };
        return match known(steps, fact) {
            // A fact recorded earlier on the path decides the branch.
            Some(value) => node
                .branch_exit(Some(value))
                .map(|exit| edge(exit, None))
                .into_iter()
                .collect(),
            None => node
                .exits()
                .map(|exit| {
                    let records = match exit.kind {
                        ExitKind::Case { value, .. } => Some((fact.clone(), value.to_owned())),
                        _ => None,
                    };
                    edge(exit, records)
                })
                .collect(),
        };
    }
    let fact = match node {
        Node::Question { fact, .. } => fact.as_deref(),
        _ => None,
    };
    // A question on a fact recorded earlier on the path is answered by it, as in a walk.
    let value = fact.and_then(|f| known(steps, f));
    let skipped = value.is_some_and(|v| node.exits().any(|exit| exit.choice() == v));
    node.exits()
        .filter(|exit| !skipped || value == Some(exit.choice()))
        .map(|exit| Edge {
            choice: exit.choice().to_owned(),
            automatic: skipped,
            records: fact.map(|f| (f.to_owned(), exit.choice().to_owned())),
            next: next(&exit),
        })
        .collect()
}

impl fmt::Display for CustomerPath {
    /// One line: `node=choice → node=choice ⇒ end`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for step in &self.steps {
            if step.automatic {
                write!(f, "{}[{}] → ", step.node, step.choice)?;
            } else {
                write!(f, "{}={} → ", step.node, step.choice)?;
            }
        }
        write!(f, "{}", self.end)
    }
}

impl fmt::Display for PathEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathEnd::Resolved { node } => write!(f, "RESOLVED {node}"),
            PathEnd::SolvedBy { remedy } => write!(f, "RESOLVED by {remedy}"),
            PathEnd::Escalate { node, collect } if collect.is_empty() => {
                write!(f, "ESCALATE {node}")
            }
            PathEnd::Escalate { node, collect } => {
                write!(f, "ESCALATE {node} (collect {})", collect.join(", "))
            }
            PathEnd::Done { node } => write!(f, "DONE {node}"),
            PathEnd::Link { node, flow } => write!(f, "LINK {node} → flow {flow}"),
        }
    }
}

impl fmt::Display for Paths {
    /// One path per line, then a count.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for path in &self.paths {
            writeln!(f, "{path}")?;
        }
        let more = if self.truncated {
            " (list cut short)"
        } else {
            ""
        };
        let noun = if self.paths.len() == 1 {
            "path"
        } else {
            "paths"
        };
        writeln!(f, "{} {noun}{more}", self.paths.len())
    }
}
