//! Rules about a flow's `inputs`: a fact the site may give that nothing reads, and a value
//! an input declares that no branch or question can use. Either way the site's fact changes
//! nothing, which is seldom what the writer meant.
//!
//! A fact is read by a branch on it or by a question that records it (the question is then
//! skipped), in the flow or in any flow it links to, however far: facts go along a link.

use std::collections::{HashMap, HashSet};

use petgraph::graph::{DiGraph, NodeIndex};

use super::Parsed;
use super::graph::Components;
use super::links::LinkRef;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::Node;
use crate::source::reader::id_at;

/// The facts read in some flows, each with the values that lead somewhere of their own.
#[derive(Default, Clone)]
struct Reads<'a> {
    facts: HashMap<&'a str, HashSet<&'a str>>,
    /// Whether a flow on the way links to one that was not checked with it, which could
    /// read anything.
    open: bool,
}

impl<'a> Reads<'a> {
    fn of_nodes(&mut self, flow: &'a Parsed) {
        for node in flow.raw.nodes.values() {
            match node {
                Node::Branch { fact, cases, .. } => self
                    .facts
                    .entry(fact.as_str())
                    .or_default()
                    .extend(cases.keys().map(String::as_str)),
                Node::Question {
                    fact: Some(fact),
                    answers,
                    ..
                } => self
                    .facts
                    .entry(fact.as_str())
                    .or_default()
                    .extend(answers.iter().map(|a| a.id.as_str())),
                _ => {}
            }
        }
    }

    fn extend(&mut self, other: &Reads<'a>) {
        self.open |= other.open;
        for (fact, values) in &other.facts {
            self.facts.entry(fact).or_default().extend(values);
        }
    }
}

/// Reports inputs nothing reads and declared values nothing can use.
pub(super) fn unused(flows: &[Parsed], links: &[LinkRef<'_>], per_flow: &mut [Vec<Diagnostic>]) {
    if flows.iter().all(|flow| flow.raw.inputs.is_empty()) {
        return;
    }
    let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(flows.len(), links.len());
    for _ in flows {
        graph.add_node(());
    }
    let mut open = vec![false; flows.len()];
    for link in links {
        match link.to {
            Some(to) => {
                graph.update_edge(NodeIndex::new(link.from), NodeIndex::new(to), ());
            }
            None => open[link.from] = true,
        }
    }
    let components = Components::of(&graph);
    let mut reads: Vec<Reads<'_>> = vec![Reads::default(); components.sccs.len()];
    // Kosaraju gives sinks first: every component a flow links into is done before it.
    for k in 0..components.sccs.len() {
        let mut here = Reads::default();
        for &f in &components.sccs[k] {
            here.of_nodes(&flows[f.index()]);
            here.open |= open[f.index()];
            for g in graph.neighbors(f) {
                let c = components.comp[g.index()];
                if c != k {
                    here.extend(&reads[c]);
                }
            }
        }
        reads[k] = here;
    }
    for (f, flow) in flows.iter().enumerate() {
        let reads = &reads[components.comp[f]];
        if reads.open {
            continue;
        }
        for (position, input) in flow.raw.inputs.iter().enumerate() {
            let name = input.name.as_str();
            let Some(usable) = reads.facts.get(name) else {
                per_flow[f].push(
                    flow.diagnostic(
                        Code::UnusedInput,
                        format!("the input `{name}` is read by no branch or question"),
                    )
                    .with_label_at(name_span(flow, name), "read by nothing")
                    .with_help(format!(
                        "a site that gives `{name}` changes nothing: branch on it \
                         (`Branch(fact: \"{name}\", …)`), record it with `fact: \"{name}\"` on \
                         a question, or remove it from `inputs`"
                    )),
                );
                continue;
            };
            for value in &input.values {
                if usable.contains(value.as_str()) {
                    continue;
                }
                per_flow[f].push(
                    flow.diagnostic(
                        Code::UnusedInputValue,
                        format!(
                            "the input `{name}` may be `{value}`, which no branch or question \
                             on `{name}` matches"
                        ),
                    )
                    .with_label_at(
                        value_span(flow, position, value).or_else(|| name_span(flow, name)),
                        "matched by nothing",
                    )
                    .with_help(format!(
                        "a site that gives `{name}` as `{value}` changes nothing: add a case \
                         `\"{value}\"` to a branch on `{name}` (or an answer with that id to \
                         a question recording it), or remove the value"
                    )),
                );
            }
        }
    }
}

/// Where the input named `name` is written.
fn name_span(flow: &Parsed, name: &str) -> Option<crate::source::Span> {
    let text = &flow.source.text;
    flow.index()
        .inputs
        .iter()
        .copied()
        .find(|&span| id_at(text, span).as_deref() == Some(name))
}

/// Where the input at `position` in the list declares `value`.
fn value_span(flow: &Parsed, position: usize, value: &str) -> Option<crate::source::Span> {
    let text = &flow.source.text;
    flow.index()
        .input_values
        .iter()
        .filter(|&&(at, _)| at == position)
        .map(|&(_, span)| span)
        .find(|&span| id_at(text, span).as_deref() == Some(value))
}
