//! Rules about flows together: flow ids used twice, links to flows that do not exist,
//! flows that link to each other in a loop none of them leaves, branches on facts nothing
//! sets, inputs nothing reads (in [`super::inputs`]), and links to flows that have errors.

use std::collections::{HashMap, HashSet};

use petgraph::graph::{DiGraph, NodeIndex};

use super::graph::{Components, Shape};
use super::{Parsed, cycle_text};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::Node;
use crate::suggest::{Suggest, did_you_mean};

/// One link node: in flow `from`, node `node`, to the flow with id `target`.
pub(super) struct LinkRef<'a> {
    pub from: usize,
    node: usize,
    target: &'a str,
    /// The parsed flow it resolves to.
    pub to: Option<usize>,
}

/// Runs the cross-flow rules, adding each diagnostic to the flow it is about.
pub(super) fn check(
    flows: &[Parsed],
    shapes: &[Shape],
    unparsed: &HashSet<String>,
    per_flow: &mut [Vec<Diagnostic>],
) {
    let owner = owners(flows, per_flow);
    let links = resolve(flows, &owner, unparsed, per_flow);
    let looped = link_loops(flows, shapes, &owner, per_flow);
    facts(flows, &links, per_flow);
    super::inputs::unused(flows, &links, per_flow);
    broken_links(flows, &owner, &links, unparsed, &looped, per_flow);
}

/// Which flow owns each id: the first file that declares it.
fn owners<'a>(flows: &'a [Parsed], per_flow: &mut [Vec<Diagnostic>]) -> HashMap<&'a str, usize> {
    let mut owner: HashMap<&str, usize> = HashMap::with_capacity(flows.len());
    for (f, flow) in flows.iter().enumerate() {
        let id = flow.raw.id.as_str();
        match owner.get(id) {
            Some(&first) => per_flow[f].push(
                flow.diagnostic(
                    Code::DuplicateFlow,
                    format!(
                        "flow id `{id}` is also the id of `{}`",
                        flows[first].source.name()
                    ),
                )
                .with_label_at(flow.index().id, "used twice")
                .with_help("every flow needs its own id, the same as its file name"),
            ),
            None => {
                owner.insert(id, f);
            }
        }
    }
    owner
}

/// Every link node, resolved; links to flows that do not exist are reported.
fn resolve<'a>(
    flows: &'a [Parsed],
    owner: &HashMap<&'a str, usize>,
    unparsed: &HashSet<String>,
    per_flow: &mut [Vec<Diagnostic>],
) -> Vec<LinkRef<'a>> {
    let mut links = Vec::new();
    let mut suggest = Suggest::new();
    let mut known: Vec<&str> = owner
        .keys()
        .copied()
        .chain(unparsed.iter().map(String::as_str))
        .collect();
    known.sort_unstable();
    for (from, flow) in flows.iter().enumerate() {
        for (node, (id, n)) in flow.raw.nodes.iter().enumerate() {
            let Node::Link { flow: target } = n else {
                continue;
            };
            let to = owner.get(target.as_str()).copied();
            if to.is_none() && !unparsed.contains(target) {
                let suggestion = suggest.closest(target, known.iter().copied());
                per_flow[from].push(
                    flow.diagnostic(
                        Code::UnknownFlow,
                        format!("node `{id}` links to `{target}`, which is not a flow"),
                    )
                    .with_label_at(flow.spans(id).and_then(|n| n.flow), "no such flow")
                    .with_help(did_you_mean(
                        suggestion,
                        "link to the id of a flow checked with this one (its file name)",
                    )),
                );
            }
            links.push(LinkRef {
                from,
                node,
                target,
                to,
            });
        }
    }
    links
}

/// The target of link node `node` of `flow`, if it is one.
fn link_target(flow: &Parsed, node: usize) -> Option<&str> {
    match flow.raw.nodes.get_index(node) {
        Some((_, Node::Link { flow })) => Some(flow),
        _ => None,
    }
}

/// Finds flows that only link to each other and never reach an outcome; returns the
/// link nodes reported, as `(flow, node)`.
fn link_loops(
    flows: &[Parsed],
    shapes: &[Shape],
    owner: &HashMap<&str, usize>,
    per_flow: &mut [Vec<Diagnostic>],
) -> HashSet<(usize, usize)> {
    // A flow escapes if its start reaches an outcome, or a link to a flow that escapes.
    // Links to flows that are unknown or did not parse are reported on their own; count
    // them as ways out so they are not blamed twice.
    let mut escapes: Vec<bool> = shapes.iter().map(|s| s.escapes).collect();
    let mut callers: Vec<Vec<usize>> = vec![Vec::new(); flows.len()];
    for (f, flow) in flows.iter().enumerate() {
        for &node in &shapes[f].reachable_links {
            let target = link_target(flow, node).unwrap_or_default();
            match owner.get(target) {
                Some(&g) => callers[g].push(f),
                None => escapes[f] = true,
            }
        }
    }
    let mut queue: Vec<usize> = (0..flows.len()).filter(|&f| escapes[f]).collect();
    while let Some(g) = queue.pop() {
        for &f in &callers[g] {
            if !escapes[f] {
                escapes[f] = true;
                queue.push(f);
            }
        }
    }

    let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(flows.len(), flows.len());
    for _ in flows {
        graph.add_node(());
    }
    for (g, callers) in callers.iter().enumerate() {
        for &f in callers {
            if !escapes[f] && !escapes[g] {
                graph.update_edge(NodeIndex::new(f), NodeIndex::new(g), ());
            }
        }
    }
    let components = Components::of(&graph);
    let mut looped = HashSet::new();
    for (k, scc) in components.sccs.iter().enumerate() {
        if escapes[scc[0].index()] || !components.is_cyclic(&graph, k) {
            continue;
        }
        // One loop per group, told from each flow on it; flows of the group off that
        // loop link into it and get `broken-link`.
        let first = scc.iter().map(|v| v.index()).min().unwrap_or_default();
        let loop_from_first = components.cycle_through(&graph, first);
        for (step, &f) in loop_from_first.iter().enumerate() {
            let mut cycle = loop_from_first.clone();
            cycle.rotate_left(step);
            let next = cycle.get(1).copied().unwrap_or(f);
            let flow = &flows[f];
            let Some(node) = shapes[f].reachable_links.iter().copied().find(|&node| {
                owner.get(link_target(flow, node).unwrap_or_default()) == Some(&next)
            }) else {
                continue;
            };
            let id = |g: usize| flows[g].raw.id.as_str();
            let message = if cycle.len() == 1 {
                format!(
                    "flow `{}` links to itself and never reaches an outcome",
                    id(f)
                )
            } else {
                format!(
                    "flows `{}` link to each other and none of them reaches an outcome",
                    cycle_text(cycle.iter().map(|&g| id(g)))
                )
            };
            let at = flow
                .raw
                .nodes
                .get_index(node)
                .and_then(|(node_id, _)| flow.spans(node_id))
                .and_then(|n| n.flow);
            per_flow[f].push(
                flow.diagnostic(Code::LinkLoop, message)
                    .with_label_at(at, format!("goes on to `{}`", id(next)))
                    .with_help(
                        "give one of these flows a way to an outcome (Resolved, Escalate, Done \
                         or a Remedy) that does not go through the others",
                    ),
            );
            looped.insert((f, node));
        }
    }
    looped
}

/// Reports branches on facts no flow on the way here can set.
///
/// A fact can be known in a flow if the flow lists it in `inputs`, or a question records
/// it, in this flow or in any flow that links here, directly or not.
fn facts(flows: &[Parsed], links: &[LinkRef<'_>], per_flow: &mut [Vec<Diagnostic>]) {
    let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(flows.len(), links.len());
    for _ in flows {
        graph.add_node(());
    }
    for link in links {
        if let Some(to) = link.to {
            graph.update_edge(NodeIndex::new(link.from), NodeIndex::new(to), ());
        }
    }
    let components = Components::of(&graph);
    let mut known: Vec<HashSet<&str>> = vec![HashSet::new(); components.sccs.len()];
    // Kosaraju gives sinks first: going backwards, every flow that links into a
    // component is done before it.
    for k in (0..components.sccs.len()).rev() {
        let mut facts = std::mem::take(&mut known[k]);
        for f in components.sccs[k].iter().map(|v| v.index()) {
            let raw = &flows[f].raw;
            facts.extend(raw.inputs.iter().map(|input| input.name.as_str()));
            facts.extend(raw.nodes.values().filter_map(|n| match n {
                Node::Question {
                    fact: Some(fact), ..
                } => Some(fact.as_str()),
                _ => None,
            }));
        }
        for f in components.sccs[k].iter() {
            for g in graph.neighbors(*f) {
                let c = components.comp[g.index()];
                if c != k {
                    known[c].extend(facts.iter().copied());
                }
            }
        }
        known[k] = facts;
    }
    for (f, flow) in flows.iter().enumerate() {
        let known = &known[components.comp[f]];
        let mut suggest = Suggest::new();
        // Sorted so suggestions do not depend on hashing; made once per flow.
        let mut candidates: Vec<&str> = Vec::new();
        for (id, node) in &flow.raw.nodes {
            let Node::Branch { fact, .. } = node else {
                continue;
            };
            if known.contains(fact.as_str()) {
                continue;
            }
            if candidates.is_empty() {
                candidates = known.iter().copied().collect();
                candidates.sort_unstable();
            }
            let suggestion = suggest.closest(fact, candidates.iter().copied());
            per_flow[f].push(
                flow.diagnostic(
                    Code::UnknownFact,
                    format!("branch `{id}` chooses on the fact `{fact}`, which nothing sets"),
                )
                .with_label_at(flow.spans(id).and_then(|n| n.fact), "never set")
                .with_help(did_you_mean(
                    suggestion,
                    format!(
                        "list `{fact}` in the flow's `inputs` if the site gives it, or record it \
                         with `fact: \"{fact}\"` on a question here or in a flow that links here"
                    ),
                )),
            );
        }
    }
}

/// Reports links to flows that have errors, and on up the chain of flows linking to them:
/// a flow is served only if every flow it can move into is.
fn broken_links(
    flows: &[Parsed],
    owner: &HashMap<&str, usize>,
    links: &[LinkRef<'_>],
    unparsed: &HashSet<String>,
    looped: &HashSet<(usize, usize)>,
    per_flow: &mut [Vec<Diagnostic>],
) {
    let mut into: HashMap<&str, Vec<&LinkRef<'_>>> = HashMap::new();
    for link in links {
        into.entry(link.target).or_default().push(link);
    }
    let broken: Vec<bool> = per_flow
        .iter()
        .map(|found| found.iter().any(Diagnostic::is_error))
        .collect();
    let mut queue: Vec<&str> = unparsed
        .iter()
        .map(String::as_str)
        .filter(|stem| !owner.contains_key(stem))
        .chain(owner.iter().filter(|&(_, &f)| broken[f]).map(|(&id, _)| id))
        .collect();
    let mut queued: HashSet<&str> = queue.iter().copied().collect();
    while let Some(target) = queue.pop() {
        for link in into.get(target).map(Vec::as_slice).unwrap_or_default() {
            let flow = &flows[link.from];
            let itself = link.to == Some(link.from);
            if !itself && !looped.contains(&(link.from, link.node)) {
                let at = flow
                    .raw
                    .nodes
                    .get_index(link.node)
                    .and_then(|(id, _)| flow.spans(id))
                    .and_then(|n| n.flow);
                per_flow[link.from].push(
                    flow.diagnostic(
                        Code::BrokenLink,
                        format!("link to flow `{target}`, which has errors"),
                    )
                    .with_label_at(at, format!("`{target}` is refused until it is fixed"))
                    .with_help(format!(
                        "fix the errors reported for `{target}`; until then this flow is refused too"
                    )),
                );
            }
            let id = flow.raw.id.as_str();
            if owner.get(id) == Some(&link.from) && queued.insert(id) {
                queue.push(id);
            }
        }
    }
}
