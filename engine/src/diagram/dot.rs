//! Graphviz DOT text of a flow, for `dot -Tpng` and other tools.

use std::fmt::Write;

use super::{Kind, Picture, text};
use crate::flow::Flow;

/// Characters per line inside a DOT box; Graphviz does not wrap labels itself.
const WRAP: usize = 30;

/// The flow as a Graphviz digraph: a shape and colours per node kind, answers on the edges.
pub fn dot(flow: &Flow) -> String {
    let picture = Picture::of(flow);
    let mut out = String::new();
    // Writing to a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(out, "digraph \"{}\" {{", escape(&picture.id));
    let _ = writeln!(
        out,
        "    graph [label=\"{}\", labelloc=t, fontname=\"Helvetica\", fontsize=14, rankdir=TB, nodesep=0.3, ranksep=0.4];",
        escape(&picture.title)
    );
    out.push_str(
        "    node [fontname=\"Helvetica\", fontsize=10, style=filled, margin=\"0.15,0.06\"];\n",
    );
    out.push_str("    edge [fontname=\"Helvetica\", fontsize=9, color=\"#475569\"];\n");
    for block in &picture.boxes {
        let mut label = escape(&block.heading);
        for line in text::wrap(&block.text, WRAP, 4) {
            label.push_str("\\n");
            label.push_str(&escape(&line));
        }
        let (fill, stroke, ink) = block.kind.colours();
        let (shape, style) = look(block.kind);
        let width = if block.start { 3 } else { 1 };
        // The solved ends are small marks, not boxes to read.
        let small = if block.kind == Kind::Solved {
            ", fontsize=8, width=0.5, height=0.25, margin=\"0.04,0.02\""
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "    {} [label=\"{label}\", shape={shape}, style=\"{style}\", fillcolor=\"{fill}\", color=\"{stroke}\", fontcolor=\"{ink}\", penwidth={width}{small}];",
            block.slug
        );
    }
    for line in &picture.lines {
        let from = &picture.boxes[line.from].slug;
        let to_block = &picture.boxes[line.to];
        let mut attrs = Vec::new();
        if !line.label.is_empty() {
            attrs.push(format!("label=\"{}\"", escape(&line.label)));
        }
        if to_block.kind == Kind::Solved {
            attrs.push(format!("color=\"{}\"", Kind::Solved.colours().1));
        }
        if attrs.is_empty() {
            let _ = writeln!(out, "    {from} -> {};", to_block.slug);
        } else {
            let _ = writeln!(
                out,
                "    {from} -> {} [{}];",
                to_block.slug,
                attrs.join(", ")
            );
        }
    }
    out.push_str("}\n");
    out
}

/// The Graphviz shape and style of each kind.
fn look(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Question => ("box", "rounded,filled"),
        Kind::Remedy => ("box", "filled"),
        Kind::Info => ("note", "filled"),
        Kind::Branch => ("hexagon", "filled"),
        Kind::Link => ("cds", "filled"),
        Kind::Resolved | Kind::Escalate | Kind::Done => ("box", "rounded,filled,bold"),
        Kind::Solved => ("box", "rounded,filled"),
    }
}

/// Text safe inside a quoted DOT string; backslashes are doubled so Graphviz's own escapes
/// (`\n`, `\N`, `\l`) cannot be smuggled in by a writer's text.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_backslashes_are_escaped() {
        assert_eq!(
            escape("a \"quoted\" C:\\path\\N <b> #1\nnext"),
            "a \\\"quoted\\\" C:\\\\path\\\\N <b> #1 next"
        );
    }
}
