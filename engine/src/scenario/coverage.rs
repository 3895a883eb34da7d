//! Which nodes and answers of each flow no scenario reaches, so a writer knows which
//! scenarios are still missing.
//!
//! Answers are those a walk can take, the node's [`crate::Node::exits`]: a question's
//! answers, `yes` and `no` at a remedy, `next` at an info step, and a branch's cases and
//! `default`. A walk reaching a flow
//! through a link covers that flow too.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use super::Visit;
use crate::flow::Flow;

/// What the scenarios of a run reach, flow by flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// One entry per flow, ordered by id.
    pub flows: Vec<FlowCoverage>,
}

/// What the scenarios reach of one flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowCoverage {
    /// The flow's id.
    pub flow: String,
    /// How many nodes it has.
    pub nodes: usize,
    /// How many answers it has.
    pub answers: usize,
    /// Nodes no scenario reaches, in the order written.
    pub missed_nodes: Vec<String>,
    /// Answers no scenario takes, as (node, answer), in the order written.
    pub missed_answers: Vec<(String, String)>,
}

impl FlowCoverage {
    /// Whether every node and answer is reached.
    pub fn is_complete(&self) -> bool {
        self.missed_nodes.is_empty() && self.missed_answers.is_empty()
    }
}

impl Coverage {
    /// The coverage of `flows` by the walks that made `visits`.
    pub fn of<'a>(
        flows: impl IntoIterator<Item = &'a Flow>,
        visits: impl IntoIterator<Item = &'a Visit>,
    ) -> Coverage {
        let mut nodes: HashSet<(&str, &str)> = HashSet::new();
        let mut answers: HashSet<(&str, &str, &str)> = HashSet::new();
        for visit in visits {
            nodes.insert((&visit.flow, &visit.node));
            if let Some(answer) = &visit.answer {
                answers.insert((&visit.flow, &visit.node, answer));
            }
        }
        let mut by_id = BTreeMap::new();
        for flow in flows {
            let id = flow.id();
            let mut entry = FlowCoverage {
                flow: id.to_owned(),
                nodes: 0,
                answers: 0,
                missed_nodes: Vec::new(),
                missed_answers: Vec::new(),
            };
            for (node_id, node) in &flow.raw().nodes {
                entry.nodes += 1;
                if !nodes.contains(&(id, node_id.as_str())) {
                    entry.missed_nodes.push(node_id.clone());
                }
                for answer in node.exits().map(|exit| exit.choice()) {
                    entry.answers += 1;
                    if !answers.contains(&(id, node_id.as_str(), answer)) {
                        entry
                            .missed_answers
                            .push((node_id.clone(), answer.to_owned()));
                    }
                }
            }
            by_id.entry(id.to_owned()).or_insert(entry);
        }
        Coverage {
            flows: by_id.into_values().collect(),
        }
    }

    /// Whether every node and answer of every flow is reached.
    pub fn is_complete(&self) -> bool {
        self.flows.iter().all(FlowCoverage::is_complete)
    }
}

impl fmt::Display for Coverage {
    /// A total line, then a line per flow and what it misses.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = |count: fn(&FlowCoverage) -> (usize, usize)| {
            self.flows
                .iter()
                .map(count)
                .fold((0, 0), |(a, b), (c, d)| (a + c, b + d))
        };
        let (nodes, missed_nodes) = total(|c| (c.nodes, c.missed_nodes.len()));
        let (answers, missed_answers) = total(|c| (c.answers, c.missed_answers.len()));
        writeln!(
            f,
            "coverage: {} of {nodes} nodes and {} of {answers} answers reached",
            nodes - missed_nodes,
            answers - missed_answers
        )?;
        for flow in &self.flows {
            if flow.is_complete() {
                writeln!(
                    f,
                    "  {}: all {} nodes and {} answers",
                    flow.flow, flow.nodes, flow.answers
                )?;
                continue;
            }
            writeln!(
                f,
                "  {}: {} of {} nodes, {} of {} answers",
                flow.flow,
                flow.nodes - flow.missed_nodes.len(),
                flow.nodes,
                flow.answers - flow.missed_answers.len(),
                flow.answers
            )?;
            if !flow.missed_nodes.is_empty() {
                let listed: Vec<String> =
                    flow.missed_nodes.iter().map(|n| format!("`{n}`")).collect();
                writeln!(f, "    nodes never reached: {}", listed.join(", "))?;
            }
            if !flow.missed_answers.is_empty() {
                let listed: Vec<String> = flow
                    .missed_answers
                    .iter()
                    .map(|(n, a)| format!("{n}={a}"))
                    .collect();
                writeln!(f, "    answers never taken: {}", listed.join(", "))?;
            }
        }
        Ok(())
    }
}
