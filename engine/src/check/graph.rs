//! One flow as a graph on petgraph: targets that name no node, nodes nothing leads to,
//! loops with no way to an outcome, and paths with very many steps.
//!
//! Everything here is linear in nodes and edges: one pass to build, one SCC decomposition
//! (Kosaraju: petgraph's `tarjan_scc` recurses once per node and would overflow the stack
//! on a long chain), one traversal from the start and one backwards from the outcomes.

use std::collections::{HashMap, VecDeque};

use petgraph::Direction::Incoming;
use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::Bfs;

use super::{LONG_PATH_STEPS, Parsed, cycle_text};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::Node;
use crate::suggest::{Suggest, did_you_mean};

/// What the cross-flow rules need to know about a flow's graph.
pub(super) struct Shape {
    /// Whether the start can reach an outcome or a remedy without following a link.
    pub escapes: bool,
    /// The link nodes reachable from the start, by position.
    pub reachable_links: Vec<usize>,
}

/// The graph's strongly connected components: `sccs[k]` holds the nodes of component
/// `k`, sinks first; `comp[v]` is the component of node `v`.
pub(super) struct Components {
    pub sccs: Vec<Vec<NodeIndex>>,
    pub comp: Vec<usize>,
}

impl Components {
    /// Decomposes `graph`, iteratively.
    pub fn of<N, E>(graph: &DiGraph<N, E>) -> Components {
        let sccs = kosaraju_scc(graph);
        let mut comp = vec![0; graph.node_count()];
        for (k, scc) in sccs.iter().enumerate() {
            for v in scc {
                comp[v.index()] = k;
            }
        }
        Components { sccs, comp }
    }

    /// Whether component `k` loops: more than one node, or a node leading to itself.
    pub fn is_cyclic<N, E>(&self, graph: &DiGraph<N, E>, k: usize) -> bool {
        match self.sccs[k].as_slice() {
            [one] => graph.contains_edge(*one, *one),
            _ => true,
        }
    }

    /// The shortest loop from `from` back to itself within its component, `from` first.
    pub fn cycle_through<N, E>(&self, graph: &DiGraph<N, E>, from: usize) -> Vec<usize> {
        let k = self.comp[from];
        let mut parent: HashMap<usize, usize> = HashMap::new();
        let mut queue = VecDeque::from([from]);
        while let Some(v) = queue.pop_front() {
            for w in graph.neighbors(NodeIndex::new(v)) {
                let w = w.index();
                if self.comp[w] != k {
                    continue;
                }
                if w == from {
                    let mut path = vec![v];
                    while let Some(&p) = parent.get(path.last().unwrap_or(&from)) {
                        path.push(p);
                    }
                    if path.last() != Some(&from) {
                        path.push(from);
                    }
                    path.reverse();
                    return path;
                }
                if let std::collections::hash_map::Entry::Vacant(e) = parent.entry(w) {
                    e.insert(v);
                    queue.push_back(w);
                }
            }
        }
        vec![from]
    }
}

/// Checks the graph of `flow` and says what the cross-flow rules need.
pub(super) fn check(flow: &Parsed, out: &mut Vec<Diagnostic>) -> Shape {
    let nodes = &flow.raw.nodes;
    let n = nodes.len();
    let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(n, n * 2);
    for _ in 0..n {
        graph.add_node(());
    }
    // Nodes with a target that names nothing: a loop through one may have been meant
    // to leave by it, so it is not called a trap.
    let mut dangling = vec![false; n];
    let mut suggest = Suggest::new();
    for (i, (id, node)) in nodes.iter().enumerate() {
        each_target(node, |k, field, target| match nodes.get_index_of(target) {
            Some(j) => {
                graph.add_edge(NodeIndex::new(i), NodeIndex::new(j), ());
            }
            None => {
                dangling[i] = true;
                let suggestion = suggest.closest(target, nodes.keys().map(String::as_str));
                out.push(unknown_target(flow, id, k, field, target, suggestion));
            }
        });
    }

    let components = Components::of(&graph);
    let start = nodes.get_index_of(&flow.raw.start);
    let mut shape = Shape {
        // Without a start (reported elsewhere) nothing can be said; assume the best so
        // that flows linking here are not blamed for it twice.
        escapes: start.is_none(),
        reachable_links: Vec::new(),
    };
    if let Some(start) = start {
        let mut reached = vec![false; n];
        let mut bfs = Bfs::new(&graph, NodeIndex::new(start));
        while let Some(v) = bfs.next(&graph) {
            let v = v.index();
            reached[v] = true;
            match &nodes[v] {
                Node::Link { .. } => shape.reachable_links.push(v),
                node if node.is_outcome() => shape.escapes = true,
                Node::Remedy { .. } => shape.escapes = true,
                _ => {}
            }
        }
        unreachable(flow, &graph, &components, &reached, out);
        long_path(flow, &graph, &components, start, out);
    }
    traps(flow, &graph, &components, &dangling, out);
    remedy_loops(flow, &graph, &components, out);
    shape
}

/// Calls `f(k, field, target)` for each target of `node`, in the order of
/// [`Node::targets`], without collecting them (this runs once per node of every flow).
fn each_target<'n>(node: &'n Node, mut f: impl FnMut(usize, &'static str, &'n str)) {
    let targets = node
        .exits()
        .filter_map(|exit| Some((exit.field()?, exit.to?)));
    for (k, (field, target)) in targets.enumerate() {
        f(k, field, target);
    }
}

fn unknown_target(
    flow: &Parsed,
    id: &str,
    k: usize,
    field: &str,
    target: &str,
    suggestion: Option<&str>,
) -> Diagnostic {
    let at = flow.spans(id).and_then(|n| n.target(k));
    flow.diagnostic(
        Code::UnknownTarget,
        format!("`{field}` of node `{id}` names `{target}`, which is not a node of this flow"),
    )
    .with_label_at(at, "no such node")
    .with_help(did_you_mean(
        suggestion,
        format!("name one of this flow's nodes, or add a node `{target}`"),
    ))
}

/// Reports the first node of each group nothing leads into; the nodes after it are
/// unreachable only because it is.
fn unreachable(
    flow: &Parsed,
    graph: &DiGraph<(), ()>,
    components: &Components,
    reached: &[bool],
    out: &mut Vec<Diagnostic>,
) {
    let comp = &components.comp;
    let mut entered = vec![false; components.sccs.len()];
    for edge in graph.raw_edges() {
        let (a, b) = (comp[edge.source().index()], comp[edge.target().index()]);
        if a != b {
            entered[b] = true;
        }
    }
    for (k, scc) in components.sccs.iter().enumerate() {
        let Some(first) = scc.iter().map(|v| v.index()).min() else {
            continue;
        };
        if reached[first] || entered[k] {
            continue;
        }
        let Some((id, _)) = flow.raw.nodes.get_index(first) else {
            continue;
        };
        out.push(
            flow.diagnostic(
                Code::UnreachableNode,
                format!("node `{id}` can never be reached"),
            )
            .with_label_at(flow.spans(id).map(|n| n.key), "nothing leads here")
            .with_help(
                "lead to it from an answer's `goto`, a `next`, an `otherwise`, a branch or \
                 `start`, or delete it (with the nodes only it leads to)",
            ),
        );
    }
}

/// Reports each loop that no outcome can be reached from and that nothing leaves.
fn traps(
    flow: &Parsed,
    graph: &DiGraph<(), ()>,
    components: &Components,
    dangling: &[bool],
    out: &mut Vec<Diagnostic>,
) {
    let nodes = &flow.raw.nodes;
    // Within a flow a link is an exit: whether the linked flow gets anywhere is a
    // cross-flow rule.
    let mut finishes: Vec<bool> = nodes
        .values()
        .map(|n| n.is_outcome() || matches!(n, Node::Remedy { .. } | Node::Link { .. }))
        .collect();
    let mut stack: Vec<usize> = (0..nodes.len()).filter(|&v| finishes[v]).collect();
    while let Some(v) = stack.pop() {
        for p in graph.neighbors_directed(NodeIndex::new(v), Incoming) {
            if !finishes[p.index()] {
                finishes[p.index()] = true;
                stack.push(p.index());
            }
        }
    }
    let comp = &components.comp;
    for (k, scc) in components.sccs.iter().enumerate() {
        let Some(first) = scc.iter().map(|v| v.index()).min() else {
            continue;
        };
        if finishes[first] || !components.is_cyclic(graph, k) {
            continue;
        }
        // Only the loops at the bottom are traps; the rest lead into one of them.
        let leaves = scc
            .iter()
            .any(|&v| graph.neighbors(v).any(|w| comp[w.index()] != k));
        if leaves || scc.iter().any(|v| dangling[v.index()]) {
            continue;
        }
        let cycle = components.cycle_through(graph, first);
        out.push(trap(flow, &cycle, scc.len()));
    }
}

/// Reports each loop of remedies and info steps that nothing leaves: its only way out is
/// "yes, solved", so a customer whom no remedy helps is sent round it for ever. (A loop of
/// info steps alone is a trap.)
fn remedy_loops(
    flow: &Parsed,
    graph: &DiGraph<(), ()>,
    components: &Components,
    out: &mut Vec<Diagnostic>,
) {
    let nodes = &flow.raw.nodes;
    let comp = &components.comp;
    for (k, scc) in components.sccs.iter().enumerate() {
        if !components.is_cyclic(graph, k) {
            continue;
        }
        let node = |v: NodeIndex| nodes.get_index(v.index()).map(|(_, n)| n);
        let only_steps = scc
            .iter()
            .all(|&v| matches!(node(v), Some(Node::Remedy { .. } | Node::Info { .. })));
        let a_remedy = scc
            .iter()
            .any(|&v| matches!(node(v), Some(Node::Remedy { .. })));
        let leaves = scc
            .iter()
            .any(|&v| graph.neighbors(v).any(|w| comp[w.index()] != k));
        if !only_steps || !a_remedy || leaves {
            continue;
        }
        let Some(first) = scc.iter().map(|v| v.index()).min() else {
            continue;
        };
        let cycle = components.cycle_through(graph, first);
        let id = |v: usize| nodes.get_index(v).map_or("", |(id, _)| id.as_str());
        let message = if cycle.len() == 1 {
            format!(
                "remedy `{}` leads to itself when it does not help: a customer who says \"no\" \
                 is given it again for ever",
                id(cycle[0])
            )
        } else {
            format!(
                "`{}` goes round with no way on: a customer whom no remedy helps is sent round \
                 it for ever",
                cycle_text(cycle.iter().map(|&v| id(v)))
            )
        };
        let d = flow.diagnostic(Code::RemedyLoop, message).with_label_at(
            flow.spans(id(cycle[0])).map(|n| n.key),
            "a customer who says \"no\" comes back here",
        );
        out.push(along(flow, &cycle, d).with_help(
            "lead the last `otherwise` on: to an escalation, a question, or another remedy \
                 that does not come back",
        ));
    }
}

/// Labels each step of `cycle` with where it leads next.
fn along(flow: &Parsed, cycle: &[usize], mut d: Diagnostic) -> Diagnostic {
    const LABELLED_STEPS: usize = 6;
    let nodes = &flow.raw.nodes;
    let id = |v: usize| nodes.get_index(v).map_or("", |(id, _)| id.as_str());
    for (step, &from) in cycle.iter().enumerate().take(LABELLED_STEPS) {
        let to = cycle.get(step + 1).copied().unwrap_or(cycle[0]);
        let Some((_, node)) = nodes.get_index(from) else {
            continue;
        };
        let Some(k) = node.targets().iter().position(|&(_, t)| t == id(to)) else {
            continue;
        };
        let at = flow.spans(id(from)).and_then(|n| n.target(k));
        let label = if to == cycle[0] {
            format!("back to `{}`", id(to))
        } else {
            format!("on to `{}`", id(to))
        };
        d = d.with_label_at(at, label);
    }
    d
}

fn trap(flow: &Parsed, cycle: &[usize], trapped: usize) -> Diagnostic {
    let nodes = &flow.raw.nodes;
    let id = |v: usize| nodes.get_index(v).map_or("", |(id, _)| id.as_str());
    let others = trapped.saturating_sub(cycle.len());
    let more = match others {
        0 => String::new(),
        1 => " (and 1 more node caught with them)".to_owned(),
        n => format!(" (and {n} more nodes caught with them)"),
    };
    let message = if cycle.len() == 1 {
        format!("node `{}` leads only to itself{more}", id(cycle[0]))
    } else {
        format!(
            "`{}` loops with no way to an outcome{more}",
            cycle_text(cycle.iter().map(|&v| id(v)))
        )
    };
    let d = flow.diagnostic(Code::Trap, message).with_label_at(
        flow.spans(id(cycle[0])).map(|n| n.key),
        "no outcome can be reached from here",
    );
    along(flow, cycle, d).with_help(
        "give the loop a way out: an answer or `next` leading to an outcome \
         (Resolved, Escalate, Done), a Remedy, or a Link",
    )
}

/// Warns when the longest way from the start to an outcome has very many steps.
///
/// The longest simple path is hard in general; over the DAG of components, counting
/// every step of a loop once, it is linear and an upper bound (exact without loops).
fn long_path(
    flow: &Parsed,
    graph: &DiGraph<(), ()>,
    components: &Components,
    start: usize,
    out: &mut Vec<Diagnostic>,
) {
    let nodes = &flow.raw.nodes;
    let comp = &components.comp;
    let count = components.sccs.len();
    let mut best = vec![0usize; count];
    let mut via = vec![usize::MAX; count];
    // Kosaraju gives sinks first, so every component's successors are done before it.
    for (k, scc) in components.sccs.iter().enumerate() {
        let mut steps = 0;
        let mut tail = 0;
        for &v in scc {
            if matches!(
                nodes.get_index(v.index()).map(|(_, n)| n),
                Some(Node::Question { .. } | Node::Remedy { .. } | Node::Info { .. })
            ) {
                steps += 1;
            }
            for w in graph.neighbors(v) {
                let c = comp[w.index()];
                if c != k && (via[k] == usize::MAX || best[c] > tail) {
                    tail = best[c];
                    via[k] = c;
                }
            }
        }
        best[k] = steps + tail;
    }
    let total = best[comp[start]];
    if total <= LONG_PATH_STEPS {
        return;
    }
    let mut end = comp[start];
    while via[end] != usize::MAX {
        end = via[end];
    }
    let id = |v: usize| nodes.get_index(v).map_or("", |(id, _)| id.as_str());
    let last = components.sccs[end]
        .iter()
        .map(|v| v.index())
        .min()
        .unwrap_or(start);
    out.push(
        flow.diagnostic(
            Code::LongPath,
            format!(
                "a customer may go through up to {total} steps from `{}` to `{}` (more than {LONG_PATH_STEPS})",
                id(start),
                id(last)
            ),
        )
        .with_label_at(flow.spans(id(start)).map(|n| n.key), "from here")
        .with_label_at(flow.spans(id(last)).map(|n| n.key), format!("to here, after up to {total} steps"))
        .with_help(
            "ask the question that tells cases apart earliest, or move a part into its own flow \
             and `Link` to it",
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_visited_in_the_order_the_model_lists_them() {
        let text = r#"{
            "q": Question(text: "", answers: [(id: "a", label: "", goto: "x"), (id: "b", label: "", goto: "y")]),
            "r": Remedy(text: "", otherwise: "x"),
            "i": Info(text: "", next: "y"),
            "b": Branch(fact: "f", cases: {"1": "x", "2": "y"}, default: "z"),
            "l": Link(flow: "other"),
        }"#;
        let nodes: indexmap::IndexMap<String, Node> = ron::from_str(text).expect("nodes parse");
        for node in nodes.values() {
            let mut visited = Vec::new();
            each_target(node, |k, field, target| visited.push((k, field, target)));
            let listed: Vec<_> = node
                .targets()
                .into_iter()
                .enumerate()
                .map(|(k, (field, target))| (k, field, target))
                .collect();
            assert_eq!(visited, listed, "{node:?}");
        }
    }
}
