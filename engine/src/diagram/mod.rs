//! Diagrams of a checked flow, as text: Mermaid and Graphviz DOT for docs and other tools, and
//! an SVG laid out here, with no Graphviz needed.
//!
//! Every format draws the same picture, built once by `Picture::of`: one box per node, plus
//! a small "solved" end after each remedy (the engine asks "did it help?" there, and yes ends
//! the walk), and one line per way out of a node, labelled with the answer. Nothing here does
//! I/O: each function takes a [`Flow`] and returns the text.

mod dot;
mod layout;
mod mermaid;
mod svg;
mod text;

use std::collections::HashSet;

use crate::exit::ExitKind;
use crate::flow::Flow;
use crate::model::Node;

pub use dot::dot;
pub use mermaid::mermaid;
pub use svg::svg;

/// Longest node text, in characters, before it is shortened.
const TEXT_CHARS: usize = 90;
/// Longest edge label, in characters, before it is shortened.
const LABEL_CHARS: usize = 32;

/// What a box stands for; each kind has its own look in every format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Question,
    Remedy,
    Info,
    Branch,
    Link,
    Resolved,
    Escalate,
    Done,
    /// The end a remedy leads to when it helped.
    Solved,
}

impl Kind {
    /// The lowercase name used for classes (`kind-question`) and styles.
    fn name(self) -> &'static str {
        match self {
            Kind::Question => "question",
            Kind::Remedy => "remedy",
            Kind::Info => "info",
            Kind::Branch => "branch",
            Kind::Link => "link",
            Kind::Resolved => "resolved",
            Kind::Escalate => "escalate",
            Kind::Done => "done",
            Kind::Solved => "solved",
        }
    }

    /// The word a reader sees at the top of the box.
    fn heading(self) -> &'static str {
        match self {
            Kind::Question => "Question",
            Kind::Remedy => "Remedy",
            Kind::Info => "Info",
            Kind::Branch => "Branch",
            Kind::Link => "Link",
            Kind::Resolved => "Resolved",
            Kind::Escalate => "Escalate",
            Kind::Done => "Done",
            Kind::Solved => "Solved",
        }
    }

    /// Every kind, in the order styles are written.
    const ALL: [Kind; 9] = [
        Kind::Question,
        Kind::Remedy,
        Kind::Info,
        Kind::Branch,
        Kind::Link,
        Kind::Resolved,
        Kind::Escalate,
        Kind::Done,
        Kind::Solved,
    ];

    /// Fill, stroke and text colour: green for resolved, orange for escalate, grey for done.
    fn colours(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Kind::Question => ("#dbeafe", "#2563eb", "#1e3a8a"),
            Kind::Remedy => ("#fef9c3", "#ca8a04", "#713f12"),
            Kind::Info => ("#f8fafc", "#64748b", "#334155"),
            Kind::Branch => ("#ede9fe", "#7c3aed", "#4c1d95"),
            Kind::Link => ("#e0f2fe", "#0284c7", "#0c4a6e"),
            Kind::Resolved | Kind::Solved => ("#dcfce7", "#16a34a", "#14532d"),
            Kind::Escalate => ("#ffedd5", "#ea580c", "#7c2d12"),
            Kind::Done => ("#e5e7eb", "#6b7280", "#1f2937"),
        }
    }
}

/// One box of the picture.
#[derive(Debug, Clone)]
struct Block {
    /// The flow's node id, or for a solved end the remedy it follows.
    node: String,
    kind: Kind,
    /// An id safe in Mermaid and DOT (letters, digits, `_`), unique in the picture.
    slug: String,
    /// The first line: kind and node id.
    heading: String,
    /// The shortened text, Markdown stripped; may be empty.
    text: String,
    /// Whether the walk starts here.
    start: bool,
}

/// One line of the picture: a way out of a box.
#[derive(Debug, Clone)]
struct Line {
    from: usize,
    to: usize,
    /// What the reader sees on the line; may be empty.
    label: String,
    /// The choice a walk records for it (answer id, `yes`/`no`, `next`, case, `default`).
    choice: String,
}

/// Boxes and lines of one flow, in the order the writer wrote the nodes.
#[derive(Debug, Clone)]
struct Picture {
    id: String,
    title: String,
    boxes: Vec<Block>,
    lines: Vec<Line>,
}

impl Picture {
    /// The picture of a flow.
    fn of(flow: &Flow) -> Picture {
        let nodes = &flow.raw().nodes;
        let mut slugs = Slugs::default();
        let mut boxes: Vec<Block> = nodes
            .iter()
            .map(|(id, node)| Block {
                node: id.clone(),
                kind: kind_of(node),
                slug: slugs.make("n_", id),
                heading: format!("{} · {id}", kind_of(node).heading()),
                text: box_text(node),
                start: id == flow.start(),
            })
            .collect();
        let index = |id: &str| nodes.get_index_of(id);
        let words = flow.phrases();
        let mut lines = Vec::new();
        for (from, node) in nodes.values().enumerate() {
            let mut line = |to: Option<usize>, label: String, choice: &str| {
                // A checked flow has no dangling targets; a line to nowhere is left out.
                if let Some(to) = to {
                    lines.push(Line {
                        from,
                        to,
                        label,
                        choice: choice.to_owned(),
                    });
                }
            };
            for exit in node.exits() {
                let to = match exit.to {
                    Some(to) => index(to),
                    // A remedy that worked ends the walk: draw that end as a box of its own.
                    None => {
                        let remedy = &boxes[from];
                        let solved = Block {
                            node: remedy.node.clone(),
                            kind: Kind::Solved,
                            slug: slugs.make("solved_", &remedy.node),
                            heading: Kind::Solved.heading().to_owned(),
                            text: String::new(),
                            start: false,
                        };
                        boxes.push(solved);
                        Some(boxes.len() - 1)
                    }
                };
                // The diagram is for writers and says the rest in their words, like its
                // headings; answers and cases are the flow's own.
                let label = match exit.kind {
                    ExitKind::Answer(answer) => {
                        text::shorten(&text::plain(&answer.label), LABEL_CHARS)
                    }
                    ExitKind::Case { .. } => text::shorten(&exit.label(words), LABEL_CHARS),
                    ExitKind::Solved => "solved".to_owned(),
                    ExitKind::NotSolved => "not solved".to_owned(),
                    ExitKind::Continue => String::new(),
                    ExitKind::Default { .. } => "otherwise".to_owned(),
                };
                line(to, label, exit.choice());
            }
        }
        Picture {
            id: flow.id().to_owned(),
            title: flow.title().to_owned(),
            boxes,
            lines,
        }
    }
}

/// The kind of box a node is drawn as.
fn kind_of(node: &Node) -> Kind {
    match node {
        Node::Question { .. } => Kind::Question,
        Node::Remedy { .. } => Kind::Remedy,
        Node::Info { .. } => Kind::Info,
        Node::Branch { .. } => Kind::Branch,
        Node::Link { .. } => Kind::Link,
        Node::Resolved { .. } => Kind::Resolved,
        Node::Escalate { .. } => Kind::Escalate,
        Node::Done { .. } => Kind::Done,
    }
}

/// What a box says under its heading.
fn box_text(node: &Node) -> String {
    match node {
        Node::Question { text, .. } => text::summary(text, TEXT_CHARS, true),
        Node::Branch { fact, .. } => format!("on {fact}"),
        Node::Link { flow } => format!("→ flow {flow}"),
        Node::Escalate { text, collect, .. } if !collect.is_empty() => {
            let ids: Vec<&str> = collect.iter().map(|d| d.id.as_str()).collect();
            let collect = text::shorten(&ids.join(", "), TEXT_CHARS / 2);
            format!(
                "{} (collect: {collect})",
                text::summary(text, TEXT_CHARS, false)
            )
        }
        other => other
            .text()
            .map(|t| text::summary(t, TEXT_CHARS, false))
            .unwrap_or_default(),
    }
}

/// Hands out ids made of ASCII letters, digits and `_`, never the same one twice.
#[derive(Debug, Default)]
struct Slugs {
    taken: HashSet<String>,
}

impl Slugs {
    /// An id for `name` with `prefix`: every other character becomes `_`, and a number is
    /// added when two names would otherwise meet (`a-b` and `a_b`).
    fn make(&mut self, prefix: &str, name: &str) -> String {
        let base: String = prefix
            .chars()
            .chain(name.chars())
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let mut slug = base.clone();
        let mut n = 2;
        while self.taken.contains(&slug) {
            slug = format!("{base}_{n}");
            n += 1;
        }
        self.taken.insert(slug.clone());
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_never_collide() {
        let mut slugs = Slugs::default();
        assert_eq!(slugs.make("n_", "a-b"), "n_a_b");
        assert_eq!(slugs.make("n_", "a_b"), "n_a_b_2");
        assert_eq!(slugs.make("n_", "a b"), "n_a_b_3");
        assert_eq!(slugs.make("n_", "é\"#[x]"), "n_____x_");
    }
}
