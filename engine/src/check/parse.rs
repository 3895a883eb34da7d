//! RON text → [`RawFlow`], with ron's syntax and type errors turned into diagnostics by
//! [`crate::syntax`].
//!
//! serde stops at the first error. When that error is in what a value means rather than in
//! the text's shape (a duplicate node, an unknown field, a misspelt kind), every node after
//! it is read again on its own, so that one run reports the problems of the whole file, as a
//! compiler does. Each node is read once, so this stays linear in the file.

use std::collections::HashMap;

use ron::error::{Position, SpannedError};
use ron::extensions::Extensions;

use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Node, RawFlow};
use crate::source::index::Index;
use crate::source::lex::{Kind, Lexer};
use crate::source::{Source, Span};
use crate::syntax::{Grammar, diagnose};

/// The words of a flow file's diagnostics.
pub(crate) const FLOW: Grammar = Grammar {
    noun: "flow",
    shape: "a flow file holds one `Flow(id: …, title: …, summary: …, start: …, nodes: {…})`",
    variant: "node kind",
    parentheses: "write a node's fields in parentheses, e.g. `Done(text: \"…\")`",
    field_hint,
};

/// How many further problems one broken file reports after its first: enough to fix a file
/// in one go, and few enough that a file broken throughout is reported in linear time.
const MAX_RECOVERED: usize = 100;

/// Codes of errors after which the nodes that follow are still read as written.
const RECOVERABLE: [Code; 6] = [
    Code::DuplicateNode,
    Code::UnknownField,
    Code::UnknownKind,
    Code::MissingField,
    Code::DuplicateField,
    Code::WrongType,
];

fn options() -> ron::Options {
    ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME)
}

/// Reads a flow, its ids in NFC; writers may write `fact: "platform"` rather than
/// `Some("platform")`. A flow that does not read comes back as its problems, the first
/// first.
pub(crate) fn parse(source: &Source) -> Result<RawFlow, Vec<Diagnostic>> {
    match options().from_str::<RawFlow>(&source.text) {
        Ok(mut raw) => {
            raw.normalize_ids();
            Ok(raw)
        }
        Err(e) => {
            let first = diagnose(source, &e, &FLOW);
            let mut found = Vec::new();
            if RECOVERABLE.contains(&first.code) {
                found = recover(source, first.offset());
            }
            found.insert(0, first);
            Err(found)
        }
    }
}

/// The problems of the nodes written after `failed`, each node read on its own.
fn recover(source: &Source, failed: usize) -> Vec<Diagnostic> {
    let text = &*source.text;
    let index = Index::of(text);
    let mut first_key: HashMap<&str, Span> = HashMap::with_capacity(index.nodes.len());
    let mut found = Vec::new();
    for node in &index.nodes {
        if found.len() >= MAX_RECOVERED {
            break;
        }
        let first = first_key.get(node.id.as_str()).copied();
        if first.is_none() {
            first_key.insert(&node.id, node.key);
        }
        // The nodes up to the failure were read; the failure is reported already.
        if node.key.start <= failed {
            continue;
        }
        if let Some(first) = first {
            found.push(
                Diagnostic::new(
                    Code::DuplicateNode,
                    source,
                    format!("node id `{}` is used twice", node.id),
                )
                .with_label(node.key, "used again here")
                .with_label(first, "first used here")
                .with_help("give each node its own id, and update the answers that lead to it"),
            );
        }
        let Some(start) = value_start(text, node.key.end) else {
            continue;
        };
        let Some(value) = text.get(start..node.whole.end) else {
            continue;
        };
        if let Err(e) = options().from_str::<Node>(value) {
            found.push(diagnose(source, &within(source, start, value, e), &FLOW));
        }
    }
    found
}

/// Where a node's value starts: after the `:` that follows its key.
fn value_start(text: &str, key_end: usize) -> Option<usize> {
    let token = Lexer::new(text.get(key_end..)?).next()?;
    (token.kind == Kind::Punct(b':')).then_some(key_end + token.span.end)
}

/// An error ron reported in `value`, which starts at byte `start` of the source, as if it
/// had been reported in the whole source.
fn within(source: &Source, start: usize, value: &str, mut e: SpannedError) -> SpannedError {
    let value = Source::new("", value);
    let place = |at: Position| {
        let offset = start + value.offset_of(at.line, at.col);
        let at = source.line_col(offset);
        Position {
            line: at.line,
            col: at.column,
        }
    };
    e.span.start = place(e.span.start);
    e.span.end = place(e.span.end);
    e
}

/// What a missing field usually holds.
fn field_hint(field: &str) -> &'static str {
    match field {
        "goto" | "otherwise" | "next" | "default" | "start" => " with a node id",
        "flow" => " with a flow id",
        "answers" => " with a list of `(id: …, label: …, goto: …)`",
        "cases" => " with a map of fact values to node ids",
        "text" | "title" | "label" | "summary" => " with a string",
        _ => "",
    }
}
