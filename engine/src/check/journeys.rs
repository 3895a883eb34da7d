//! Journeys that cross links. A customer who reaches a `Link` goes on answering in the
//! linked flow, so what a writer must judge is the whole journey, not each flow alone:
//!
//! - `long-journey`: a journey through a link has more steps than the directory's
//!   [`Settings::journey_steps`];
//! - `asked-again`: a linked flow asks a question about a fact that every way to the link
//!   has recorded, because the value recorded is not one of the question's answers.
//!
//! Both are told at the link that makes the journey. A journey is counted as the walk
//! would take it: in the linked flow, a question that the facts known at the link answer
//! counts no step and leads only where those answers go.
//!
//! The counting is linear in nodes, edges and links. Each flow's graph is condensed once
//! (the steps of a loop count once, as for `long-path`, so counts are an upper bound), and
//! the flows are taken in the order of the link graph's components, sinks first, each
//! flow's longest journey kept once it is known. A loop of flows is followed once round:
//! the exact longest journey through loops is exponential, and a customer who comes back
//! round has the facts that skip its questions.
//!
//! What is known at a link takes a search of the flow's graph per fact it shares with a
//! linked flow, and one more per link and fact; a linked flow whose questions a link's facts
//! answer is counted again for that link. Both are bounded per flow: at most
//! [`MAX_FACT_SEARCHES`] searches and [`MAX_LINKED_QUESTIONS`] pairs of a link and a
//! question.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use petgraph::Direction::{Incoming, Outgoing};
use petgraph::graph::{DiGraph, NodeIndex};

use super::graph::Components;
use super::{Parsed, Settings};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Answer, Node};

/// The most graph searches `asked-again` makes in one flow: past it, the links of a flow
/// sharing very many facts with the flows it links to go unchecked rather than slow the
/// check down (real flows need a handful).
const MAX_FACT_SEARCHES: usize = 256;

/// The most pairs of a link and a question of its flow `asked-again` looks at in one flow.
const MAX_LINKED_QUESTIONS: usize = 100_000;

/// The most flows named in a journey's help.
const SHOWN_FLOWS: usize = 8;

/// Runs the journey rules, adding each warning to the flow whose link makes the journey.
pub(super) fn check(flows: &[Parsed], settings: &Settings, per_flow: &mut [Vec<Diagnostic>]) {
    let mut owner: HashMap<&str, usize> = HashMap::with_capacity(flows.len());
    for (f, flow) in flows.iter().enumerate() {
        owner.entry(flow.raw.id.as_str()).or_insert(f);
    }
    let shapes: Vec<FlowShape> = flows.iter().map(|f| FlowShape::of(f, &owner)).collect();
    let journeys = longest_journeys(flows, &shapes);
    for (f, flow) in flows.iter().enumerate() {
        let known = known_at_links(flows, &shapes, f);
        for (link, known) in shapes[f].links.iter().zip(&known) {
            let Some(to) = link.to else { continue };
            let linked = &flows[to];
            // A question the link's facts answer is skipped, and its other ways are not
            // taken; one they leave unanswered is asked again.
            let mut skip: HashMap<usize, Vec<usize>> = HashMap::new();
            for asked in known {
                let missing: Vec<&str> = asked
                    .values
                    .iter()
                    .copied()
                    .filter(|v| !asked.answers.iter().any(|a| a.id == *v))
                    .collect();
                if missing.is_empty() {
                    let ways = asked
                        .answers
                        .iter()
                        .filter(|a| asked.values.contains(&a.id.as_str()))
                        .filter_map(|a| linked.raw.nodes.get_index_of(&a.goto))
                        .collect();
                    skip.insert(asked.node, ways);
                } else {
                    per_flow[f].push(asked_again_at(flow, linked, link, asked, &missing));
                }
            }
            // A link within a loop of flows has come round it once already.
            let looped = journeys.group[f] == journeys.group[to];
            let first = if skip.is_empty() {
                journeys.of(to, looped)
            } else {
                shapes[to].longest(|t| journeys.beyond(to, t, looped), &skip)
            };
            let total = link.before + first.steps;
            if total > settings.journey_steps {
                per_flow[f].push(long_journey(
                    flows, &journeys, f, link, to, first, looped, total, settings,
                ));
            }
        }
    }
}

/// A link node reachable from its flow's start.
struct LinkAt {
    /// Its position among the flow's nodes.
    node: usize,
    /// The flow it leads to, if there is one.
    to: Option<usize>,
    /// The most steps a customer takes from the start to it.
    before: usize,
}

/// What the journey rules need of one flow's graph.
struct FlowShape {
    graph: DiGraph<(), ()>,
    components: Components,
    start: Option<usize>,
    /// Steps (questions, remedies, information) in each component.
    steps: Vec<usize>,
    links: Vec<LinkAt>,
}

/// Whether a node is a step a customer reads and answers.
fn is_step(node: &Node) -> bool {
    matches!(
        node,
        Node::Question { .. } | Node::Remedy { .. } | Node::Info { .. }
    )
}

impl FlowShape {
    fn of(flow: &Parsed, owner: &HashMap<&str, usize>) -> FlowShape {
        let nodes = &flow.raw.nodes;
        let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(nodes.len(), nodes.len() * 2);
        for _ in 0..nodes.len() {
            graph.add_node(());
        }
        for (i, node) in nodes.values().enumerate() {
            for to in node.exits().filter_map(|exit| exit.to) {
                if let Some(j) = nodes.get_index_of(to) {
                    graph.add_edge(NodeIndex::new(i), NodeIndex::new(j), ());
                }
            }
        }
        let components = Components::of(&graph);
        let mut steps = vec![0; components.sccs.len()];
        for (k, scc) in components.sccs.iter().enumerate() {
            steps[k] = scc
                .iter()
                .filter(|v| nodes.get_index(v.index()).is_some_and(|(_, n)| is_step(n)))
                .count();
        }
        let start = nodes.get_index_of(&flow.raw.start);
        let mut shape = FlowShape {
            graph,
            components,
            start,
            steps,
            links: Vec::new(),
        };
        let Some(start) = start else {
            return shape;
        };
        // Forward over the components, sources first (Kosaraju lists sinks first): the
        // most steps from the start up to and through each component.
        let comp = &shape.components.comp;
        let count = shape.components.sccs.len();
        let mut through: Vec<Option<usize>> = vec![None; count];
        through[comp[start]] = Some(shape.steps[comp[start]]);
        for k in (0..count).rev() {
            let Some(here) = through[k] else { continue };
            for v in &shape.components.sccs[k] {
                for w in shape.graph.neighbors(*v) {
                    let c = comp[w.index()];
                    if c != k {
                        let next = here + shape.steps[c];
                        through[c] = Some(through[c].map_or(next, |t| t.max(next)));
                    }
                }
            }
        }
        for (node, n) in nodes.values().enumerate() {
            let Node::Link { flow: target } = n else {
                continue;
            };
            // A link counts no step itself; in a loop, the loop's steps come before it.
            let Some(before) = through[comp[node]] else {
                continue;
            };
            shape.links.push(LinkAt {
                node,
                to: owner.get(target.as_str()).copied(),
                before,
            });
        }
        shape
    }

    /// The most steps from the start to an end of the journey, each link worth what
    /// `beyond` says of its flow; each node in `skip` (a question whose answer is known)
    /// counts no step and goes on only to the nodes listed for it.
    fn longest(
        &self,
        beyond: impl Fn(usize) -> usize,
        skip: &HashMap<usize, Vec<usize>>,
    ) -> Journey {
        let Some(start) = self.start else {
            return Journey::default();
        };
        let comp = &self.components.comp;
        let count = self.components.sccs.len();
        let mut best = vec![0usize; count];
        let mut next_flow: Vec<Option<usize>> = vec![None; count];
        let links: HashMap<usize, Option<usize>> =
            self.links.iter().map(|l| (l.node, l.to)).collect();
        // Sinks first, so every component's successors are done before it.
        for (k, scc) in self.components.sccs.iter().enumerate() {
            let mut tail = 0;
            let mut via = None;
            for v in scc {
                let v = v.index();
                if let Some(Some(to)) = links.get(&v)
                    && (via.is_none() || beyond(*to) > tail)
                {
                    tail = beyond(*to);
                    via = Some(*to);
                }
                let ways: Vec<usize> = match skip.get(&v) {
                    Some(ways) => ways.clone(),
                    None => self
                        .graph
                        .neighbors(NodeIndex::new(v))
                        .map(|w| w.index())
                        .collect(),
                };
                for w in ways {
                    let c = comp[w];
                    if c != k && best[c] > tail {
                        tail = best[c];
                        via = next_flow[c];
                    }
                }
            }
            let skipped = scc.iter().filter(|v| skip.contains_key(&v.index())).count();
            best[k] = self.steps[k].saturating_sub(skipped) + tail;
            next_flow[k] = via;
        }
        let steps = best[comp[start]];
        let next = next_flow[comp[start]];
        Journey {
            steps,
            next,
            own: steps.saturating_sub(next.map_or(0, &beyond)),
        }
    }
}

/// The longest journey from a flow's start.
#[derive(Clone, Copy, Default)]
struct Journey {
    /// Its steps, in this flow and every flow it goes on to.
    steps: usize,
    /// The flow it goes on to.
    next: Option<usize>,
    /// Its steps in this flow.
    own: usize,
}

/// Every flow's longest journey, and how the journeys through loops of flows go on.
struct Journeys {
    /// Each flow's longest journey.
    longest: Vec<Journey>,
    /// Each flow's longest journey that does not go on into its own loop of flows: where a
    /// journey goes once it has come into a loop.
    within_loop: Vec<Journey>,
    /// The loop of flows (component of the link graph) each flow is in.
    group: Vec<usize>,
}

impl Journeys {
    /// The longest journey from flow `g`'s start; `looped` when the journey came into `g`
    /// from its own loop of flows.
    fn of(&self, g: usize, looped: bool) -> Journey {
        if looped {
            self.within_loop[g]
        } else {
            self.longest[g]
        }
    }

    /// What a link from flow `g` to flow `to` adds, as [`Journeys::of`] counts it.
    fn beyond(&self, g: usize, to: usize, looped: bool) -> usize {
        match (self.group[g] == self.group[to], looped) {
            (true, true) => 0,
            (true, false) => self.within_loop[to].steps,
            (false, _) => self.longest[to].steps,
        }
    }
}

/// Every flow's longest journey, each flow's computed once its linked flows are known.
fn longest_journeys(flows: &[Parsed], shapes: &[FlowShape]) -> Journeys {
    let mut links: DiGraph<(), ()> = DiGraph::with_capacity(flows.len(), flows.len());
    for _ in flows {
        links.add_node(());
    }
    for (f, shape) in shapes.iter().enumerate() {
        for to in shape.links.iter().filter_map(|l| l.to) {
            links.update_edge(NodeIndex::new(f), NodeIndex::new(to), ());
        }
    }
    let components = Components::of(&links);
    let mut longest = vec![Journey::default(); flows.len()];
    let mut within_loop = vec![Journey::default(); flows.len()];
    let no_skip = HashMap::new();
    for (k, scc) in components.sccs.iter().enumerate() {
        // Round one counts a link back into the loop as nothing; round two follows it
        // into a flow of the loop once, with that flow's round-one journey.
        for f in scc.iter().map(|v| v.index()) {
            within_loop[f] = shapes[f].longest(
                |to| {
                    if components.comp[to] == k {
                        0
                    } else {
                        longest[to].steps
                    }
                },
                &no_skip,
            );
        }
        for f in scc.iter().map(|v| v.index()) {
            longest[f] = if components.is_cyclic(&links, k) {
                shapes[f].longest(
                    |to| {
                        if components.comp[to] == k {
                            within_loop[to].steps
                        } else {
                            longest[to].steps
                        }
                    },
                    &no_skip,
                )
            } else {
                within_loop[f]
            };
        }
    }
    Journeys {
        longest,
        within_loop,
        group: components.comp,
    }
}

/// `long-journey`: the link at `link` of flow `f` starts a journey of `total` steps.
#[allow(clippy::too_many_arguments)]
fn long_journey(
    flows: &[Parsed],
    journeys: &Journeys,
    f: usize,
    link: &LinkAt,
    to: usize,
    first: Journey,
    looped: bool,
    total: usize,
    settings: &Settings,
) -> Diagnostic {
    let flow = &flows[f];
    let id = |g: usize| flows[g].raw.id.as_str();
    // The journey's flows, each with the steps it adds; a loop of flows is shown once.
    let mut parts = vec![format!("`{}` ({})", id(f), steps(link.before))];
    // Once a journey has come round into its own loop of flows, it goes on as
    // `within_loop` says, as it was counted.
    let group = &journeys.group;
    let mut at = Some((to, looped));
    let mut seen = 0;
    while let Some((g, looped)) = at {
        seen += 1;
        if seen > SHOWN_FLOWS {
            parts.push("…".to_owned());
            break;
        }
        // The linked flow as the link enters it, with the questions its facts answer.
        let journey = if seen == 1 {
            first
        } else {
            journeys.of(g, looped)
        };
        let again = if parts.iter().any(|p| p.starts_with(&format!("`{}`", id(g)))) {
            " again"
        } else {
            ""
        };
        parts.push(format!("`{}`{again} ({})", id(g), steps(journey.own)));
        // As counted: within a loop of flows a journey goes round once, then stops.
        at = journey
            .next
            .filter(|&n| !(looped && group[n] == group[g]))
            .map(|n| (n, group[n] == group[g]));
    }
    let limit = settings.journey_steps;
    let node_id = flow
        .raw
        .nodes
        .get_index(link.node)
        .map_or("", |(id, _)| id.as_str());
    flow.diagnostic(
        Code::LongJourney,
        format!(
            "a customer who takes link `{node_id}` may go through up to {total} steps (more than {limit})"
        ),
    )
    .with_label_at(
        flow.spans(node_id).and_then(|n| n.flow),
        format!("goes on in `{}`", id(to)),
    )
    .with_help(format!(
        "the journey: {}. Ask fewer questions on the way, link straight to the flow that \
         helps, or, if this length is right, raise `journey_steps` in the directory's \
         `stepwise.ron` (now {limit})",
        parts.join(" -> ")
    ))
}

fn steps(n: usize) -> String {
    if n == 1 {
        "1 step".to_owned()
    } else {
        format!("{n} steps")
    }
}

/// A question of a linked flow on a fact every way to the link has recorded.
#[derive(Clone)]
struct Asked<'a> {
    /// The question's position in the linked flow, and its id.
    node: usize,
    id: &'a str,
    fact: &'a str,
    answers: &'a [Answer],
    /// The values recorded last on the ways to the link.
    values: Vec<&'a str>,
}

/// For each link of flow `f` (in the order of its [`FlowShape::links`]), the questions of
/// the linked flow on facts every way to the link has recorded.
fn known_at_links<'a>(flows: &'a [Parsed], shapes: &[FlowShape], f: usize) -> Vec<Vec<Asked<'a>>> {
    let shape = &shapes[f];
    let mut found: Vec<Vec<Asked<'a>>> = shape.links.iter().map(|_| Vec::new()).collect();
    let Some(start) = shape.start else {
        return found;
    };
    let nodes = &flows[f].raw.nodes;
    // The facts this flow records, with the questions that record them.
    let mut setters: HashMap<&str, Vec<usize>> = HashMap::new();
    for (v, node) in nodes.values().enumerate() {
        if let Node::Question {
            fact: Some(fact), ..
        } = node
        {
            setters.entry(fact.as_str()).or_default().push(v);
        }
    }
    if setters.is_empty() {
        return found;
    }
    // The questions each linked flow asks about a fact this flow records, found once per
    // linked flow however many links lead there.
    let mut asked: HashMap<usize, Vec<Asked<'a>>> = HashMap::new();
    for to in shape.links.iter().filter_map(|l| l.to) {
        asked.entry(to).or_insert_with(|| {
            flows[to]
                .raw
                .nodes
                .iter()
                .enumerate()
                .filter_map(|(v, (q, node))| match node {
                    Node::Question {
                        fact: Some(fact),
                        answers,
                        ..
                    } if setters.contains_key(fact.as_str()) => Some(Asked {
                        node: v,
                        id: q.as_str(),
                        fact: fact.as_str(),
                        answers: answers.as_slice(),
                        values: Vec::new(),
                    }),
                    _ => None,
                })
                .collect()
        });
    }
    let mut unset: HashMap<&str, Vec<bool>> = HashMap::new();
    let mut leads: HashMap<(usize, &str), Vec<bool>> = HashMap::new();
    let mut searches = 0;
    let mut pairs = 0;
    for (i, link) in shape.links.iter().enumerate() {
        let Some(to) = link.to else { continue };
        for question in asked.get(&to).map(Vec::as_slice).unwrap_or_default() {
            let fact = question.fact;
            pairs += 1;
            if pairs > MAX_LINKED_QUESTIONS {
                return found;
            }
            let Some(recorders) = setters.get(fact) else {
                continue;
            };
            // One search forward per fact: is there a way to the link that records nothing?
            let unset_here = match unset.entry(fact) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => {
                    searches += 1;
                    if searches > MAX_FACT_SEARCHES {
                        return found;
                    }
                    e.insert(reachable_avoiding(&shape.graph, start, recorders, false))
                }
            };
            if unset_here[link.node] {
                continue;
            }
            // And one backward per link and fact: the values recorded last on the ways to it.
            let leads_here = match leads.entry((link.node, fact)) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => {
                    searches += 1;
                    if searches > MAX_FACT_SEARCHES {
                        return found;
                    }
                    e.insert(reachable_avoiding(&shape.graph, link.node, recorders, true))
                }
            };
            let mut values: Vec<&str> = recorders
                .iter()
                .filter_map(|&r| match nodes.get_index(r) {
                    Some((_, Node::Question { answers, .. })) => Some(answers),
                    _ => None,
                })
                .flatten()
                // A recorder is never reached by the search: an answer leading straight to
                // another recorder is overwritten there.
                .filter(|a| nodes.get_index_of(&a.goto).is_some_and(|v| leads_here[v]))
                .map(|a| a.id.as_str())
                .collect();
            values.sort_unstable();
            values.dedup();
            found[i].push(Asked {
                values,
                ..question.clone()
            });
        }
    }
    found
}

/// The nodes reachable from `start` (or, `backwards`, that reach it) without passing
/// through any of `blocked`.
fn reachable_avoiding(
    graph: &DiGraph<(), ()>,
    start: usize,
    blocked: &[usize],
    backwards: bool,
) -> Vec<bool> {
    let mut seen = vec![false; graph.node_count()];
    let blocked: HashSet<usize> = blocked.iter().copied().collect();
    if blocked.contains(&start) {
        return seen;
    }
    seen[start] = true;
    let mut stack = vec![start];
    while let Some(v) = stack.pop() {
        let direction = if backwards { Incoming } else { Outgoing };
        for w in graph.neighbors_directed(NodeIndex::new(v), direction) {
            let w = w.index();
            if !seen[w] && !blocked.contains(&w) {
                seen[w] = true;
                stack.push(w);
            }
        }
    }
    seen
}

fn asked_again_at(
    flow: &Parsed,
    linked: &Parsed,
    link: &LinkAt,
    asked: &Asked<'_>,
    missing: &[&str],
) -> Diagnostic {
    let (question, fact) = (asked.id, asked.fact);
    let node_id = flow
        .raw
        .nodes
        .get_index(link.node)
        .map_or("", |(id, _)| id.as_str());
    let values = missing
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let (one, ids) = if missing.len() == 1 {
        ("an answer", "id")
    } else {
        ("answers", "ids")
    };
    flow.diagnostic(
        Code::AskedAgain,
        format!(
            "after link `{node_id}`, `{}` asks `{question}` again, though every way here records `{fact}`",
            linked.raw.id
        ),
    )
    .with_label_at(
        flow.spans(node_id).and_then(|n| n.flow),
        format!("`{fact}` is known here"),
    )
    .with_help(format!(
        "the journey: `{}` -> `{}`. Here `{fact}` can be {values}, {one} `{question}` does \
         not have, so the customer is asked what they have already said: give `{question}` \
         {one} with the {ids} {values}, or give the questions here the answer ids \
         `{question}` uses",
        flow.raw.id, linked.raw.id
    ))
}

#[cfg(test)]
mod tests;
