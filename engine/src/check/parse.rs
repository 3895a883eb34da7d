//! RON text → [`RawFlow`], with ron's syntax and type errors turned into diagnostics by
//! [`crate::syntax`].

use ron::extensions::Extensions;

use crate::diagnostic::Diagnostic;
use crate::model::RawFlow;
use crate::source::Source;
use crate::syntax::{Grammar, diagnose};

/// The words of a flow file's diagnostics.
pub(crate) const FLOW: Grammar = Grammar {
    noun: "flow",
    shape: "a flow file holds one `Flow(id: …, title: …, summary: …, start: …, nodes: {…})`",
    variant: "node kind",
    parentheses: "write a node's fields in parentheses, e.g. `Done(text: \"…\")`",
    field_hint,
};

/// Reads a flow, its ids in NFC; writers may write `fact: "platform"` rather than
/// `Some("platform")`.
pub(crate) fn parse(source: &Source) -> Result<RawFlow, Box<Diagnostic>> {
    let mut raw = ron::Options::default()
        .with_default_extension(Extensions::IMPLICIT_SOME)
        .from_str::<RawFlow>(&source.text)
        .map_err(|e| Box::new(diagnose(source, &e, &FLOW)))?;
    raw.normalize_ids();
    Ok(raw)
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
