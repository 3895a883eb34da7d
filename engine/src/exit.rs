//! A node's ways out: where each leads, what takes it and what it is called. The walk, the
//! checker, paths, coverage, diagrams and the server's flow map all read them here, so they
//! cannot disagree on what a node offers.

use std::borrow::Cow;

use crate::model::{Answer, Node};
use crate::phrases::Phrases;

/// The answer a customer gives to a remedy that worked.
pub const SOLVED: &str = "yes";
/// The answer a customer gives to a remedy that did not work.
pub const NOT_SOLVED: &str = "no";
/// The only answer to an information step.
pub const CONTINUE: &str = "next";
/// The label of the default case of a branch, as recorded in the trail.
pub const DEFAULT_CASE: &str = "default";

/// One way out of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit<'n> {
    /// What takes it.
    pub kind: ExitKind<'n>,
    /// The node it leads to in the same flow; `None` when taking it ends the walk (a remedy
    /// that worked).
    pub to: Option<&'n str>,
}

/// What takes an exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind<'n> {
    /// One of a question's answers.
    Answer(&'n Answer),
    /// "Yes" at a remedy: it worked, and the walk ends resolved by it.
    Solved,
    /// "No" at a remedy: on to its `otherwise`.
    NotSolved,
    /// The only answer to an information step.
    Continue,
    /// A branch's case: the fact has this value.
    Case { fact: &'n str, value: &'n str },
    /// A branch's default: the fact is unknown or has a value no case names.
    Default { fact: &'n str },
}

impl<'n> Exit<'n> {
    /// What a walk records for taking it: the answer id, [`SOLVED`] or [`NOT_SOLVED`] at a
    /// remedy, [`CONTINUE`] at an info step, the case's value or [`DEFAULT_CASE`] at a branch.
    pub fn choice(&self) -> &'n str {
        match self.kind {
            ExitKind::Answer(answer) => &answer.id,
            ExitKind::Solved => SOLVED,
            ExitKind::NotSolved => NOT_SOLVED,
            ExitKind::Continue => CONTINUE,
            ExitKind::Case { value, .. } => value,
            ExitKind::Default { .. } => DEFAULT_CASE,
        }
    }

    /// Whether the engine takes it by itself, from a fact, rather than the customer.
    pub fn is_automatic(&self) -> bool {
        matches!(self.kind, ExitKind::Case { .. } | ExitKind::Default { .. })
    }

    /// The field of the node that names [`Exit::to`] (`goto`, `otherwise`, `next`, `cases`
    /// or `default`); `None` when it names no node.
    pub fn field(&self) -> Option<&'static str> {
        match self.kind {
            ExitKind::Answer(_) => Some("goto"),
            ExitKind::Solved => None,
            ExitKind::NotSolved => Some("otherwise"),
            ExitKind::Continue => Some("next"),
            ExitKind::Case { .. } => Some("cases"),
            ExitKind::Default { .. } => Some("default"),
        }
    }

    /// What the customer reads on the button that takes it, in the language of `words`
    /// (answers are already in the flow's language); `None` for a branch's ways, which
    /// nobody chooses.
    pub fn answer_label(&self, words: &Phrases) -> Option<&'n str> {
        match self.kind {
            ExitKind::Answer(answer) => Some(&answer.label),
            ExitKind::Solved => Some(words.solved),
            ExitKind::NotSolved => Some(words.not_solved),
            ExitKind::Continue => Some(words.next),
            ExitKind::Case { .. } | ExitKind::Default { .. } => None,
        }
    }

    /// What a map of the flow shows on the line for it, in the language of `words`: the
    /// answer, `Not solved`, `Continue`, `fact = value` for a branch's case.
    pub fn label(&self, words: &Phrases) -> Cow<'n, str> {
        match self.kind {
            ExitKind::Answer(answer) => Cow::Borrowed(&answer.label),
            ExitKind::Solved => Cow::Borrowed(words.map_solved),
            ExitKind::NotSolved => Cow::Borrowed(words.map_not_solved),
            ExitKind::Continue => Cow::Borrowed(words.next),
            ExitKind::Case { fact, value } => Cow::Owned(format!("{fact} = {value}")),
            ExitKind::Default { .. } => Cow::Borrowed(words.map_default),
        }
    }
}

/// The ways out of a node, in the order the writer wrote them; see [`Node::exits`].
#[derive(Debug, Clone)]
pub struct Exits<'n> {
    node: &'n Node,
    next: usize,
}

impl<'n> Iterator for Exits<'n> {
    type Item = Exit<'n>;

    fn next(&mut self) -> Option<Exit<'n>> {
        let exit = exit_at(self.node, self.next)?;
        self.next += 1;
        Some(exit)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = count(self.node).saturating_sub(self.next);
        (left, Some(left))
    }
}

impl ExactSizeIterator for Exits<'_> {}

/// How many ways out a node has.
fn count(node: &Node) -> usize {
    match node {
        Node::Question { answers, .. } => answers.len(),
        Node::Remedy { .. } => 2,
        Node::Info { .. } => 1,
        Node::Branch { cases, .. } => cases.len() + 1,
        Node::Link { .. } | Node::Resolved { .. } | Node::Escalate { .. } | Node::Done { .. } => 0,
    }
}

/// The `k`th way out of a node. Computed on demand so that listing the exits of a node
/// allocates nothing: the checker lists them for every node of very large flows.
fn exit_at(node: &Node, k: usize) -> Option<Exit<'_>> {
    let exit = |kind, to| Some(Exit { kind, to });
    match node {
        Node::Question { answers, .. } => {
            let answer = answers.get(k)?;
            exit(ExitKind::Answer(answer), Some(&answer.goto))
        }
        // "Yes" first: the order a customer reads the answers in.
        Node::Remedy { otherwise, .. } => match k {
            0 => exit(ExitKind::Solved, None),
            1 => exit(ExitKind::NotSolved, Some(otherwise)),
            _ => None,
        },
        Node::Info { next, .. } if k == 0 => exit(ExitKind::Continue, Some(next)),
        Node::Branch {
            fact,
            cases,
            default,
        } => match cases.get_index(k) {
            Some((value, to)) => exit(ExitKind::Case { fact, value }, Some(to)),
            None if k == cases.len() => exit(ExitKind::Default { fact }, Some(default)),
            None => None,
        },
        Node::Info { .. }
        | Node::Link { .. }
        | Node::Resolved { .. }
        | Node::Escalate { .. }
        | Node::Done { .. } => None,
    }
}

impl Node {
    /// Every way out of this node, in the order the writer wrote them: a question's answers,
    /// a remedy's "yes" then "no", an info step's "continue", a branch's cases then its
    /// default. Links and outcomes have none: within its flow, the walk ends there.
    pub fn exits(&self) -> Exits<'_> {
        Exits {
            node: self,
            next: 0,
        }
    }

    /// The node ids this node can lead to within its own flow, with the field that names each.
    pub fn targets(&self) -> Vec<(&'static str, &str)> {
        self.exits()
            .filter_map(|exit| Some((exit.field()?, exit.to?)))
            .collect()
    }

    /// The way a branch takes when its fact has `value` (or is unknown): the case for that
    /// value, else the default. `None` for other kinds of node.
    pub(crate) fn branch_exit(&self, value: Option<&str>) -> Option<Exit<'_>> {
        let Node::Branch {
            fact,
            cases,
            default,
        } = self
        else {
            return None;
        };
        Some(match value.and_then(|v| cases.get_key_value(v)) {
            Some((value, to)) => Exit {
                kind: ExitKind::Case { fact, value },
                to: Some(to),
            },
            None => Exit {
                kind: ExitKind::Default { fact },
                to: Some(default),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use indexmap::IndexMap;

    use super::*;
    use crate::phrases::{ENGLISH, GERMAN};

    fn nodes() -> IndexMap<String, Node> {
        let text = r#"{
            "q": Question(text: "", answers: [(id: "a", label: "A", goto: "x"), (id: "b", label: "B", goto: "y")]),
            "r": Remedy(text: "", otherwise: "x"),
            "i": Info(text: "", next: "y"),
            "b": Branch(fact: "f", cases: {"1": "x", "2": "y"}, default: "z"),
            "l": Link(flow: "other"),
            "d": Done(text: ""),
        }"#;
        ron::from_str(text).expect("nodes parse")
    }

    fn listed(node: &Node) -> Vec<(&str, Option<&str>)> {
        node.exits().map(|e| (e.choice(), e.to)).collect()
    }

    #[test]
    fn every_kind_of_node_lists_its_ways_out_in_order() {
        let nodes = nodes();
        let node = |id: &str| &nodes[id];
        assert_eq!(listed(node("q")), [("a", Some("x")), ("b", Some("y"))]);
        assert_eq!(listed(node("r")), [("yes", None), ("no", Some("x"))]);
        assert_eq!(listed(node("i")), [("next", Some("y"))]);
        assert_eq!(
            listed(node("b")),
            [("1", Some("x")), ("2", Some("y")), ("default", Some("z"))]
        );
        assert!(listed(node("l")).is_empty());
        assert!(listed(node("d")).is_empty());
        for node in nodes.values() {
            assert_eq!(node.exits().len(), node.exits().count(), "{node:?}");
        }
    }

    #[test]
    fn labels_are_in_the_language_asked_for() {
        let nodes = nodes();
        let labels = |id: &str, words| -> Vec<String> {
            nodes[id]
                .exits()
                .map(|e| e.label(words).into_owned())
                .collect()
        };
        assert_eq!(labels("r", &ENGLISH), ["Solved", "Not solved"]);
        assert_eq!(labels("r", &GERMAN), ["Gelöst", "Nicht gelöst"]);
        assert_eq!(labels("i", &GERMAN), ["Weiter"]);
        assert_eq!(labels("b", &ENGLISH), ["f = 1", "f = 2", "default"]);
        assert_eq!(labels("q", &GERMAN), ["A", "B"]);
        let answers: Vec<_> = nodes["r"]
            .exits()
            .map(|e| e.answer_label(&GERMAN))
            .collect();
        assert_eq!(answers, [Some(GERMAN.solved), Some(GERMAN.not_solved)]);
        assert!(
            nodes["b"]
                .exits()
                .all(|e| e.answer_label(&ENGLISH).is_none())
        );
    }

    #[test]
    fn a_branch_takes_the_case_of_the_value_else_the_default() {
        let nodes = nodes();
        let taken = |value| nodes["b"].branch_exit(value).map(|e| (e.choice(), e.to));
        assert_eq!(taken(Some("2")), Some(("2", Some("y"))));
        assert_eq!(taken(Some("3")), Some(("default", Some("z"))));
        assert_eq!(taken(None), Some(("default", Some("z"))));
        assert_eq!(nodes["q"].branch_exit(Some("a")), None);
    }
}
