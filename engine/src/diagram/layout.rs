//! A layered (Sugiyama-style) layout: boxes in ranks from the top down, lines between them
//! routed around the boxes, labels given room of their own.
//!
//! The steps: reverse the edges that close a cycle (found by a depth-first search from the
//! start), give each box the rank of its longest path from the top, put every label in a
//! rank of its own between two box ranks, split longer edges into a chain of points one rank
//! apart, order each rank by the barycentre of its neighbours (keeping the order with fewest
//! crossings), then place each rank as close as possible to its neighbours without overlap
//! (an isotonic regression, solved exactly by pooling adjacent violators).

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{DfsEvent, depth_first_search};

/// Width and height.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(super) struct Size {
    pub w: f64,
    pub h: f64,
}

/// A point.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(super) struct Point {
    pub x: f64,
    pub y: f64,
}

/// An edge to lay out, with the size of its label (zero when it has none).
#[derive(Debug, Clone, Copy)]
pub(super) struct EdgeIn {
    pub from: usize,
    pub to: usize,
    pub label: Size,
}

/// One piece of a route, from where the previous one ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Segment {
    /// A straight line to the point.
    Line(Point),
    /// A cubic curve with two control points, to the point.
    Curve(Point, Point, Point),
}

/// Where an edge runs, from the source box to the target box.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Route {
    pub start: Point,
    pub segments: Vec<Segment>,
    /// Where the label's text starts (left end, vertical middle), if it has one.
    pub label: Option<Point>,
}

/// Where everything goes.
#[derive(Debug, Clone)]
pub(super) struct Layout {
    /// The centre of each box, in input order.
    pub centres: Vec<Point>,
    /// The route of each edge, in input order.
    pub routes: Vec<Route>,
    pub width: f64,
    pub height: f64,
}

/// Blank space around the whole picture.
const MARGIN: f64 = 16.0;
/// Horizontal space between two boxes of a rank.
const BOX_GAP: f64 = 28.0;
/// Horizontal space next to a line passing through a rank.
const LINE_GAP: f64 = 10.0;
/// Vertical space under a rank of boxes, where lines fan out.
const FAN_GAP: f64 = 26.0;
/// Vertical space under a rank of labels.
const LABEL_GAP: f64 = 14.0;
/// Width a line passing through a rank takes, besides its label.
const LINE_WIDTH: f64 = 8.0;
/// How far a loop back to the same box reaches out to the right.
const LOOP_REACH: f64 = 26.0;
/// Most points on edges laid out; past that, long edges are drawn as short cuts.
const MAX_POINTS: usize = 20_000;
/// Ordering sweeps; each alternates direction.
const SWEEPS: usize = 24;
/// Placement sweeps.
const PLACEMENTS: usize = 10;

/// A box, or a point where an edge crosses a rank.
#[derive(Debug, Clone)]
struct Vertex {
    size: Size,
    rank: usize,
    /// Whether it is one of the boxes (else a point on an edge).
    real: bool,
    /// How much room a loop to itself takes on its right.
    extra: f64,
}

/// Lays out `sizes` boxes and `edges` between them, the walk starting at `root`.
pub(super) fn layout(sizes: &[Size], edges: &[EdgeIn], root: usize) -> Layout {
    let n = sizes.len();
    let edges: Vec<EdgeIn> = edges
        .iter()
        .copied()
        .filter(|e| e.from < n && e.to < n)
        .collect();

    // 1. Reverse the edges that close a cycle, so that ranks go one way.
    let (back, topo) = back_edges(n, &edges, root);
    let dag: Vec<Option<(usize, usize, bool)>> = edges
        .iter()
        .map(|e| {
            if e.from == e.to {
                None
            } else if back.contains(&(e.from, e.to)) {
                Some((e.to, e.from, true))
            } else {
                Some((e.from, e.to, false))
            }
        })
        .collect();

    // 2. Longest path from the top, doubled so that labels get the odd ranks.
    let mut layer = vec![0usize; n];
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (a, b, _) in dag.iter().flatten() {
        preds[*b].push(*a);
    }
    for &v in &topo {
        layer[v] = preds[v].iter().map(|&p| layer[p] + 1).max().unwrap_or(0);
    }

    let mut vertices: Vec<Vertex> = sizes
        .iter()
        .enumerate()
        .map(|(i, s)| Vertex {
            size: *s,
            rank: layer[i] * 2,
            real: true,
            extra: 0.0,
        })
        .collect();
    for e in &edges {
        if e.from == e.to {
            vertices[e.from].extra += LOOP_REACH + e.label.w + 6.0;
        }
    }

    // 3. A chain of vertices per edge, one rank apart; the label rides on the vertex next
    //    to the edge's real source.
    //    A huge flow with long edges would need millions of such vertices: past a budget,
    //    an edge keeps only its label's and runs straight to its end.
    let needed: usize = dag
        .iter()
        .flatten()
        .map(|(a, b, _)| (vertices[*b].rank - vertices[*a].rank).saturating_sub(1))
        .sum();
    let short_cuts = needed > MAX_POINTS;
    let mut chains: Vec<Vec<usize>> = Vec::with_capacity(edges.len());
    let mut label_vertex: Vec<Option<usize>> = Vec::with_capacity(edges.len());
    for (e, d) in edges.iter().zip(&dag) {
        let Some((a, b, reversed)) = *d else {
            chains.push(vec![e.from]);
            label_vertex.push(None);
            continue;
        };
        let (ra, rb) = (vertices[a].rank, vertices[b].rank);
        let label_rank = if reversed { rb - 1 } else { ra + 1 };
        let mut chain = vec![a];
        let mut labelled = None;
        for rank in ra + 1..rb {
            if short_cuts && rank != label_rank {
                continue;
            }
            let with_label = rank == label_rank && e.label.w > 0.0;
            let w = if with_label {
                e.label.w + LINE_WIDTH
            } else {
                LINE_WIDTH
            };
            let h = if with_label { e.label.h } else { 0.0 };
            vertices.push(Vertex {
                size: Size { w, h },
                rank,
                real: false,
                extra: 0.0,
            });
            let id = vertices.len() - 1;
            if with_label {
                labelled = Some(id);
            }
            chain.push(id);
        }
        chain.push(b);
        chains.push(chain);
        label_vertex.push(labelled);
    }

    let count = vertices.len();
    let mut down: Vec<Vec<usize>> = vec![Vec::new(); count];
    let mut up: Vec<Vec<usize>> = vec![Vec::new(); count];
    for chain in &chains {
        // Only neighbouring ranks count for ordering; a short cut is drawn, not ordered.
        for pair in chain
            .windows(2)
            .filter(|p| vertices[p[1]].rank == vertices[p[0]].rank + 1)
        {
            down[pair[0]].push(pair[1]);
            up[pair[1]].push(pair[0]);
        }
    }

    // 4. Order each rank.
    let ranks = vertices.iter().map(|v| v.rank + 1).max().unwrap_or(0);
    let mut order = initial_order(&vertices, &down, root, ranks);
    order_ranks(&mut order, &down, &up);

    // 5. Place each rank horizontally.
    let mut xs = place(&vertices, &order, &down, &up);
    straighten(&vertices, &order, &chains, &label_vertex, &mut xs);
    normalise(&vertices, &mut xs);

    // 6. Rank heights and vertical centres.
    let mut heights = vec![0.0f64; ranks];
    for v in &vertices {
        heights[v.rank] = heights[v.rank].max(v.size.h);
    }
    let mut ys = vec![0.0f64; ranks];
    let mut top = MARGIN;
    for (rank, h) in heights.iter().enumerate() {
        ys[rank] = top + h / 2.0;
        top += h + if rank % 2 == 0 { FAN_GAP } else { LABEL_GAP };
    }
    let centre = |v: usize| Point {
        x: xs[v] - vertices[v].extra / 2.0,
        y: ys[vertices[v].rank],
    };

    // 7. Routes, leaving and entering boxes at points spread along their sides.
    let ports = Ports::new(&vertices, &chains, &xs, n);
    let mut routes = Vec::with_capacity(edges.len());
    for (i, (e, d)) in edges.iter().zip(&dag).enumerate() {
        let route = match d {
            None => self_loop(centre(e.from), sizes[e.from], e.label),
            Some((_, _, reversed)) => {
                let chain = &chains[i];
                let mut points = Vec::with_capacity(chain.len() * 2);
                let first = chain[0];
                let last = chain[chain.len() - 1];
                let c = centre(first);
                points.push(Point {
                    x: c.x + ports.bottom(i),
                    y: c.y + sizes[first].h / 2.0,
                });
                for &v in &chain[1..chain.len() - 1] {
                    let line_x = xs[v] - vertices[v].size.w / 2.0 + LINE_WIDTH / 2.0;
                    let h = heights[vertices[v].rank];
                    let y = ys[vertices[v].rank];
                    points.push(Point {
                        x: line_x,
                        y: y - h / 2.0,
                    });
                    points.push(Point {
                        x: line_x,
                        y: y + h / 2.0,
                    });
                }
                let c = centre(last);
                points.push(Point {
                    x: c.x + ports.top(i),
                    y: c.y - sizes[last].h / 2.0,
                });
                if *reversed {
                    points.reverse();
                }
                let label = label_vertex[i].map(|v| Point {
                    x: xs[v] - vertices[v].size.w / 2.0 + LINE_WIDTH,
                    y: ys[vertices[v].rank],
                });
                smooth(points, label)
            }
        };
        routes.push(route);
    }

    let width = (0..count)
        .map(|v| xs[v] + vertices[v].size.w / 2.0 + vertices[v].extra / 2.0)
        .fold(0.0, f64::max)
        + MARGIN;
    let height = top - if ranks % 2 == 1 { FAN_GAP } else { LABEL_GAP } + MARGIN;
    Layout {
        centres: (0..n).map(centre).collect(),
        routes,
        width,
        height: height.max(MARGIN * 2.0),
    }
}

/// The edges that close a cycle (as `(from, to)` pairs) in a depth-first search from
/// `root`, then from every box not reached; and an order in which every other edge goes
/// forward, with those reversed.
fn back_edges(
    n: usize,
    edges: &[EdgeIn],
    root: usize,
) -> (std::collections::HashSet<(usize, usize)>, Vec<usize>) {
    let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(n, edges.len());
    for _ in 0..n {
        graph.add_node(());
    }
    // petgraph visits the neighbours added last first; adding in reverse keeps the
    // writer's order.
    for e in edges.iter().rev().filter(|e| e.from != e.to) {
        graph.add_edge(NodeIndex::new(e.from), NodeIndex::new(e.to), ());
    }
    let mut back = std::collections::HashSet::new();
    let mut finished = Vec::with_capacity(n);
    let starts = std::iter::once(root)
        .filter(|&r| r < n)
        .chain(0..n)
        .map(NodeIndex::new);
    depth_first_search(&graph, starts, |event| match event {
        DfsEvent::BackEdge(u, v) => {
            back.insert((u.index(), v.index()));
        }
        DfsEvent::Finish(u, _) => finished.push(u.index()),
        _ => {}
    });
    finished.reverse();
    (back, finished)
}

/// A first order: vertices by rank, as a depth-first walk from the root meets them, which
/// keeps each subtree together.
fn initial_order(
    vertices: &[Vertex],
    down: &[Vec<usize>],
    root: usize,
    ranks: usize,
) -> Vec<Vec<usize>> {
    let mut order: Vec<Vec<usize>> = vec![Vec::new(); ranks];
    let mut seen = vec![false; vertices.len()];
    let starts = std::iter::once(root)
        .filter(|&r| r < vertices.len())
        .chain(0..vertices.len());
    for start in starts {
        let mut stack = vec![start];
        while let Some(v) = stack.pop() {
            if std::mem::replace(&mut seen[v], true) {
                continue;
            }
            order[vertices[v].rank].push(v);
            stack.extend(down[v].iter().rev().filter(|&&w| !seen[w]));
        }
    }
    order
}

/// Reorders each rank by the mean position of its neighbours, sweeping down and up, and
/// keeps the order with fewest crossings.
fn order_ranks(order: &mut [Vec<usize>], down: &[Vec<usize>], up: &[Vec<usize>]) {
    let count = down.len();
    let mut pos = vec![0usize; count];
    let index = |order: &[Vec<usize>], pos: &mut Vec<usize>| {
        for rank in order {
            for (i, &v) in rank.iter().enumerate() {
                pos[v] = i;
            }
        }
    };
    index(order, &mut pos);
    let mut best = order.to_vec();
    let mut best_crossings = crossings(order, down, &pos);
    for sweep in 0..SWEEPS {
        let downward = sweep % 2 == 0;
        let ranks: Vec<usize> = if downward {
            (1..order.len()).collect()
        } else {
            (0..order.len().saturating_sub(1)).rev().collect()
        };
        for r in ranks {
            let neighbours = if downward { up } else { down };
            let mut keyed: Vec<(f64, usize, usize)> = order[r]
                .iter()
                .map(|&v| {
                    let near = &neighbours[v];
                    let key = if near.is_empty() {
                        pos[v] as f64
                    } else {
                        near.iter().map(|&w| pos[w] as f64).sum::<f64>() / near.len() as f64
                    };
                    (key, pos[v], v)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            order[r] = keyed.into_iter().map(|(_, _, v)| v).collect();
            for (i, &v) in order[r].iter().enumerate() {
                pos[v] = i;
            }
        }
        let now = crossings(order, down, &pos);
        if now < best_crossings {
            best_crossings = now;
            best = order.to_vec();
        }
        if best_crossings == 0 {
            break;
        }
    }
    order.clone_from_slice(&best);
}

/// How many pairs of lines cross between neighbouring ranks.
fn crossings(order: &[Vec<usize>], down: &[Vec<usize>], pos: &[usize]) -> usize {
    let mut total = 0;
    for rank in order {
        let mut segments: Vec<(usize, usize)> = rank
            .iter()
            .flat_map(|&v| down[v].iter().map(move |&w| (pos[v], pos[w])))
            .collect();
        segments.sort_unstable();
        // Count the pairs that cross (a before, b after) with a Fenwick tree over the lower
        // ends; lines from the same vertex are added together, as they never cross.
        let size = segments.iter().map(|s| s.1 + 1).max().unwrap_or(0);
        let mut tree = vec![0usize; size + 1];
        let mut added = 0;
        let mut i = 0;
        while i < segments.len() {
            let mut j = i;
            while j < segments.len() && segments[j].0 == segments[i].0 {
                // How many already added end at or before this one's lower end.
                let mut at = segments[j].1 + 1;
                let mut not_after = 0;
                while at > 0 {
                    not_after += tree[at];
                    at &= at - 1;
                }
                total += added - not_after;
                j += 1;
            }
            for segment in &segments[i..j] {
                let mut at = segment.1 + 1;
                while at <= size {
                    tree[at] += 1;
                    at += at & at.wrapping_neg();
                }
                added += 1;
            }
            i = j;
        }
    }
    total
}

/// The horizontal centre of every vertex: each rank, in turn, as close as it can get to the
/// mean of its neighbours in the rank above (then below), keeping its order and gaps.
fn place(
    vertices: &[Vertex],
    order: &[Vec<usize>],
    down: &[Vec<usize>],
    up: &[Vec<usize>],
) -> Vec<f64> {
    let width = |v: usize| width(vertices, v);
    let gap = |a: usize, b: usize| gap(vertices, a, b);
    let mut xs = vec![0.0f64; vertices.len()];
    for rank in order {
        let mut x = 0.0;
        for (i, &v) in rank.iter().enumerate() {
            if i > 0 {
                x += width(rank[i - 1]) / 2.0 + gap(rank[i - 1], v) + width(v) / 2.0;
            }
            xs[v] = x;
        }
    }
    let settle = |xs: &mut Vec<f64>, rank: &[usize], neighbours: &[&[Vec<usize>]]| {
        let desired: Vec<(f64, f64)> = rank
            .iter()
            .map(|&v| {
                let near: Vec<usize> = neighbours
                    .iter()
                    .flat_map(|n| n[v].iter().copied())
                    .collect();
                // Points on long edges weigh more, so those edges run straight.
                let weight = if vertices[v].real { 1.0 } else { 3.0 };
                if near.is_empty() {
                    (xs[v], weight * 0.1)
                } else {
                    let mean = near.iter().map(|&w| xs[w]).sum::<f64>() / near.len() as f64;
                    (mean, weight)
                }
            })
            .collect();
        let mut offsets = vec![0.0f64; rank.len()];
        for i in 1..rank.len() {
            offsets[i] = offsets[i - 1]
                + width(rank[i - 1]) / 2.0
                + gap(rank[i - 1], rank[i])
                + width(rank[i]) / 2.0;
        }
        let targets: Vec<(f64, f64)> = desired
            .iter()
            .zip(&offsets)
            .map(|((d, w), o)| (d - o, *w))
            .collect();
        for ((&v, y), o) in rank.iter().zip(nondecreasing(&targets)).zip(&offsets) {
            xs[v] = y + o;
        }
    };
    for _ in 0..PLACEMENTS {
        for rank in order.iter().skip(1) {
            settle(&mut xs, rank, &[up]);
        }
        for rank in order.iter().rev().skip(1) {
            settle(&mut xs, rank, &[down]);
        }
    }
    for rank in order {
        settle(&mut xs, rank, &[up, down]);
    }
    xs
}

/// Horizontal room a vertex takes, and the gap it keeps from a neighbour.
fn width(vertices: &[Vertex], v: usize) -> f64 {
    vertices[v].size.w + vertices[v].extra
}

fn gap(vertices: &[Vertex], a: usize, b: usize) -> f64 {
    if vertices[a].real && vertices[b].real {
        BOX_GAP
    } else {
        LINE_GAP
    }
}

/// Makes the long part of each edge run in straight vertical stretches where its neighbours
/// leave room, instead of a line that wobbles from rank to rank.
fn straighten(
    vertices: &[Vertex],
    order: &[Vec<usize>],
    chains: &[Vec<usize>],
    labels: &[Option<usize>],
    xs: &mut [f64],
) {
    let mut slot = vec![0usize; vertices.len()];
    for rank in order {
        for (i, &v) in rank.iter().enumerate() {
            slot[v] = i;
        }
    }
    // The line runs at the left of a vertex (its label, if any, to the right of it).
    let line = |v: usize| LINE_WIDTH / 2.0 - vertices[v].size.w / 2.0;
    // Where the line through `v` may run without touching its neighbours.
    let room = |v: usize, xs: &[f64]| {
        let rank = &order[vertices[v].rank];
        let i = slot[v];
        let mut lo = f64::NEG_INFINITY;
        let mut hi = f64::INFINITY;
        if i > 0 {
            let u = rank[i - 1];
            let bound = xs[u] + width(vertices, u) / 2.0 + gap(vertices, u, v);
            lo = bound + width(vertices, v) / 2.0 + line(v);
        }
        if let Some(&u) = rank.get(i + 1) {
            let bound = xs[u] - width(vertices, u) / 2.0 - gap(vertices, v, u);
            hi = bound - width(vertices, v) / 2.0 + line(v);
        }
        (lo, hi)
    };
    for (chain, label) in chains.iter().zip(labels) {
        // The points between the ends, less the label's, which stays by its source.
        let inner: Vec<usize> = match chain.len() {
            0..=2 => continue,
            len => chain[1..len - 1]
                .iter()
                .copied()
                .filter(|&v| Some(v) != *label)
                .collect(),
        };
        // Greedily cut the points into runs that can share one line, and line each up.
        let mut begin = 0;
        while begin < inner.len() {
            let (mut lo, mut hi) = room(inner[begin], xs);
            let mut end = begin + 1;
            while end < inner.len() {
                let (l, h) = room(inner[end], xs);
                if l.max(lo) > h.min(hi) {
                    break;
                }
                lo = lo.max(l);
                hi = hi.min(h);
                end += 1;
            }
            let run = &inner[begin..end];
            if run.len() > 1 {
                let mut lines: Vec<f64> = run.iter().map(|&v| xs[v] + line(v)).collect();
                lines.sort_by(f64::total_cmp);
                let target = lines[lines.len() / 2].clamp(lo, hi);
                for &v in run {
                    xs[v] = target - line(v);
                }
            }
            begin = end;
        }
    }
}

/// Shifts everything so the leftmost vertex starts at the margin.
fn normalise(vertices: &[Vertex], xs: &mut [f64]) {
    let left = (0..vertices.len())
        .map(|v| xs[v] - width(vertices, v) / 2.0)
        .fold(f64::INFINITY, f64::min);
    if left.is_finite() {
        for x in xs.iter_mut() {
            *x += MARGIN - left;
        }
    }
}

/// The non-decreasing sequence closest to the weighted `(value, weight)` targets, in the
/// least-squares sense (pool adjacent violators).
fn nondecreasing(targets: &[(f64, f64)]) -> Vec<f64> {
    // Each block: weighted sum, total weight, how many targets it pools.
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(targets.len());
    for &(value, weight) in targets {
        let weight = weight.max(f64::EPSILON);
        blocks.push((value * weight, weight, 1));
        while blocks.len() > 1 {
            let (s2, w2, c2) = blocks[blocks.len() - 1];
            let (s1, w1, c1) = blocks[blocks.len() - 2];
            if s1 / w1 <= s2 / w2 {
                break;
            }
            blocks.pop();
            let last = blocks.len() - 1;
            blocks[last] = (s1 + s2, w1 + w2, c1 + c2);
        }
    }
    blocks
        .iter()
        .flat_map(|&(s, w, c)| std::iter::repeat_n(s / w, c))
        .collect()
}

/// Where each edge leaves the bottom of its source box and enters the top of its target,
/// spread along the side in the order of where the lines go.
struct Ports {
    bottom: Vec<f64>,
    top: Vec<f64>,
}

impl Ports {
    fn new(vertices: &[Vertex], chains: &[Vec<usize>], xs: &[f64], boxes: usize) -> Ports {
        let mut leaving: Vec<Vec<(f64, usize)>> = vec![Vec::new(); boxes];
        let mut entering: Vec<Vec<(f64, usize)>> = vec![Vec::new(); boxes];
        for (i, chain) in chains.iter().enumerate() {
            if let [first, second, ..] = chain[..] {
                leaving[first].push((xs[second], i));
                let last = chain[chain.len() - 1];
                let before = chain[chain.len() - 2];
                entering[last].push((xs[before], i));
            }
        }
        let spread = |lists: Vec<Vec<(f64, usize)>>| {
            let mut offsets = vec![0.0; chains.len()];
            for (v, mut list) in lists.into_iter().enumerate() {
                list.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let k = list.len();
                if k < 2 {
                    continue;
                }
                let span = (vertices[v].size.w * 0.6).min((k - 1) as f64 * 18.0);
                for (j, (_, edge)) in list.into_iter().enumerate() {
                    offsets[edge] = -span / 2.0 + span * j as f64 / (k - 1) as f64;
                }
            }
            offsets
        };
        Ports {
            bottom: spread(leaving),
            top: spread(entering),
        }
    }

    /// Offset from the centre where edge `i` leaves its upper end.
    fn bottom(&self, i: usize) -> f64 {
        self.bottom.get(i).copied().unwrap_or(0.0)
    }

    /// Offset from the centre where edge `i` reaches its lower end.
    fn top(&self, i: usize) -> f64 {
        self.top.get(i).copied().unwrap_or(0.0)
    }
}

/// A route through `points`: straight where it runs down through a rank, an S-curve with
/// vertical ends between ranks.
fn smooth(points: Vec<Point>, label: Option<Point>) -> Route {
    let start = points.first().copied().unwrap_or_default();
    let mut segments = Vec::with_capacity(points.len());
    for pair in points.windows(2) {
        let (p, q) = (pair[0], pair[1]);
        if (p.x - q.x).abs() < 0.5 {
            // One straight stretch down several ranks is one line.
            match segments.last_mut() {
                Some(Segment::Line(end)) if (end.x - q.x).abs() < 0.5 => *end = q,
                _ => segments.push(Segment::Line(q)),
            }
        } else {
            let mid = (p.y + q.y) / 2.0;
            segments.push(Segment::Curve(
                Point { x: p.x, y: mid },
                Point { x: q.x, y: mid },
                q,
            ));
        }
    }
    Route {
        start,
        segments,
        label,
    }
}

/// A loop from a box back to itself, out to the right and back.
fn self_loop(centre: Point, size: Size, label: Size) -> Route {
    let right = centre.x + size.w / 2.0;
    let start = Point {
        x: right,
        y: centre.y - size.h / 4.0,
    };
    let end = Point {
        x: right,
        y: centre.y + size.h / 4.0,
    };
    Route {
        start,
        segments: vec![Segment::Curve(
            Point {
                x: right + LOOP_REACH,
                y: start.y - 6.0,
            },
            Point {
                x: right + LOOP_REACH,
                y: end.y + 6.0,
            },
            end,
        )],
        label: (label.w > 0.0).then_some(Point {
            x: right + LOOP_REACH + 4.0,
            y: centre.y,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxes(n: usize) -> Vec<Size> {
        vec![Size { w: 100.0, h: 40.0 }; n]
    }

    fn edge(from: usize, to: usize) -> EdgeIn {
        EdgeIn {
            from,
            to,
            label: Size { w: 30.0, h: 12.0 },
        }
    }

    fn overlap(a: Point, b: Point, size: Size) -> bool {
        (a.x - b.x).abs() < size.w && (a.y - b.y).abs() < size.h
    }

    #[test]
    fn a_huge_flow_with_long_edges_gets_short_cuts() {
        // A chain of 800 boxes, each with an edge back to the first: laying every one of
        // those out rank by rank would take some 640,000 points.
        let n = 800;
        let mut edges: Vec<EdgeIn> = (1..n).map(|i| edge(i - 1, i)).collect();
        edges.extend((2..n).map(|i| edge(i, 0)));
        let placed = layout(&boxes(n), &edges, 0);
        assert_eq!(placed.routes.len(), edges.len());
        for route in &placed.routes[n..] {
            assert!(route.segments.len() <= 4, "{:?}", route.segments);
        }
    }

    #[test]
    fn crossings_are_counted_between_neighbouring_ranks() {
        // Rank 0: a=0, b=1; rank 1: c=2, d=3. a->d and b->c cross; a->c and a->d do not.
        let order = vec![vec![0, 1], vec![2, 3]];
        let pos = [0, 1, 0, 1];
        let crossed = vec![vec![3], vec![2], vec![], vec![]];
        assert_eq!(crossings(&order, &crossed, &pos), 1);
        let fan = vec![vec![2, 3], vec![2], vec![], vec![]];
        assert_eq!(crossings(&order, &fan, &pos), 1);
        let apart = vec![vec![2], vec![3], vec![], vec![]];
        assert_eq!(crossings(&order, &apart, &pos), 0);
    }

    #[test]
    fn pooling_keeps_order_and_is_closest() {
        assert_eq!(
            nondecreasing(&[(1.0, 1.0), (0.0, 1.0), (5.0, 1.0)]),
            vec![0.5, 0.5, 5.0]
        );
        assert_eq!(nondecreasing(&[(3.0, 3.0), (0.0, 1.0)]), vec![2.25, 2.25]);
    }

    #[test]
    fn targets_sit_below_their_source() {
        let placed = layout(&boxes(3), &[edge(0, 1), edge(0, 2)], 0);
        let [a, b, c] = placed.centres[..] else {
            panic!("three centres expected");
        };
        assert!(b.y > a.y && c.y > a.y);
        assert_eq!(b.y, c.y);
        assert!(!overlap(b, c, boxes(1)[0]));
        // The parent is centred over its two children.
        assert!((a.x - (b.x + c.x) / 2.0).abs() < 1.0);
    }

    #[test]
    fn a_cycle_is_laid_out_with_one_edge_going_up() {
        let placed = layout(&boxes(3), &[edge(0, 1), edge(1, 2), edge(2, 0)], 0);
        let ys: Vec<f64> = placed.centres.iter().map(|c| c.y).collect();
        assert!(ys[0] < ys[1] && ys[1] < ys[2]);
        let back = &placed.routes[2];
        let end = match back.segments.last() {
            Some(Segment::Line(p) | Segment::Curve(_, _, p)) => *p,
            None => panic!("the back edge has no segments"),
        };
        assert!(
            back.start.y > end.y,
            "the edge back to the start runs upwards"
        );
    }

    #[test]
    fn no_two_boxes_overlap_in_a_wide_graph() {
        let mut edges = Vec::new();
        for i in 1..12 {
            edges.push(edge(0, i));
            edges.push(edge(i, 12));
        }
        edges.push(edge(3, 7));
        let sizes = boxes(13);
        let placed = layout(&sizes, &edges, 0);
        for (i, a) in placed.centres.iter().enumerate() {
            for b in &placed.centres[i + 1..] {
                assert!(!overlap(*a, *b, sizes[0]), "{a:?} overlaps {b:?}");
            }
            assert!(a.x - 50.0 >= 0.0 && a.x + 50.0 <= placed.width);
            assert!(a.y - 20.0 >= 0.0 && a.y + 20.0 <= placed.height);
        }
    }

    #[test]
    fn long_lines_pass_beside_boxes_not_through_them() {
        // 0 fans out to a row of boxes, and two edges jump over that row.
        let mut edges: Vec<EdgeIn> = (1..8).map(|i| edge(0, i)).collect();
        edges.extend((1..8).map(|i| edge(i, 8)));
        edges.push(edge(0, 8));
        edges.push(edge(0, 9));
        edges.push(edge(8, 9));
        let sizes = boxes(10);
        let placed = layout(&sizes, &edges, 0);
        for (e, route) in edges.iter().zip(&placed.routes) {
            // Every end of a piece, and the middle of each straight piece.
            let mut points = vec![route.start];
            for segment in &route.segments {
                let previous = points[points.len() - 1];
                if let Segment::Line(p) = segment {
                    points.push(Point {
                        x: (previous.x + p.x) / 2.0,
                        y: (previous.y + p.y) / 2.0,
                    });
                }
                points.push(match segment {
                    Segment::Line(p) | Segment::Curve(_, _, p) => *p,
                });
            }
            for p in points {
                for (i, c) in placed.centres.iter().enumerate() {
                    let inside = (p.x - c.x).abs() < 49.0 && (p.y - c.y).abs() < 19.0;
                    assert!(!inside, "edge {}->{} passes through box {i}", e.from, e.to);
                }
            }
        }
    }

    #[test]
    fn ordering_removes_avoidable_crossings() {
        // 0 -> 1, 2; 1 -> 4; 2 -> 3: the first guess may cross, the result must not.
        let edges = [edge(0, 1), edge(0, 2), edge(1, 4), edge(2, 3)];
        let placed = layout(&boxes(5), &edges, 0);
        let c = &placed.centres;
        assert_eq!(c[1].x < c[2].x, c[4].x < c[3].x);
    }

    #[test]
    fn a_loop_to_itself_gets_a_route_and_room() {
        let placed = layout(&boxes(2), &[edge(0, 0), edge(0, 1)], 0);
        assert_eq!(placed.routes.len(), 2);
        assert!(placed.routes[0].start.x >= placed.centres[0].x + 50.0);
        assert!(placed.width >= placed.centres[0].x + 50.0 + LOOP_REACH);
    }
}
