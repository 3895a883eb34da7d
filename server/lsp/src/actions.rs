//! Quick fixes: "did you mean `Y`" from a diagnostic's help, and "create node `X`" (a
//! Remedy, Question or Escalate stub) for a target that names no node.

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, DocumentChanges, OneOf,
    OptionalVersionedTextDocumentIdentifier, Range, TextDocumentEdit, TextEdit, WorkspaceEdit,
};
use stepwise_engine::{Code, Diagnostic, Span};

use crate::diagnostics;
use crate::navigate::quoted;
use crate::uri;
use crate::workspace::{Directory, File};

/// The fixes for the diagnostics of `file` that overlap `range`.
pub fn actions(dir: &Directory, file: &File, range: Range) -> Vec<CodeActionOrCommand> {
    let start = file.lines.offset(range.start);
    let end = file.lines.offset(range.end);
    let mut actions = Vec::new();
    let Some(found) = dir.diagnostics.get(&file.source.path) else {
        return actions;
    };
    for diagnostic in found {
        let Some(label) = &diagnostic.primary else {
            continue;
        };
        if label.span.end < start || label.span.start > end {
            continue;
        }
        if let Some(suggestion) = suggestion(diagnostic) {
            let written = &file.source.text[label.span.start..label.span.end];
            let new = if written.starts_with('"') || written.starts_with('r') {
                quoted(suggestion)
            } else {
                suggestion.to_owned()
            };
            actions.push(action(
                file,
                diagnostic,
                format!("Change to `{suggestion}`"),
                vec![TextEdit::new(file.lines.range(label.span), new)],
                true,
            ));
        }
        if diagnostic.code == Code::UnknownTarget
            && let Some(target) = file.id_at(label.span)
        {
            for (kind, stub) in stubs(file, &target) {
                if let Some(edit) = insert_node(file, &stub) {
                    actions.push(action(
                        file,
                        diagnostic,
                        format!("Create node `{target}` ({kind})"),
                        vec![edit],
                        false,
                    ));
                }
            }
        }
    }
    actions
}

/// The name a diagnostic's help suggests (`did you mean `y`?`).
fn suggestion(diagnostic: &Diagnostic) -> Option<&str> {
    let help = diagnostic.help.as_deref()?;
    let rest = help.strip_prefix("did you mean `")?;
    let end = rest.rfind("`?")?;
    Some(&rest[..end])
}

/// Stubs of a new node `id`, each leading somewhere that exists.
fn stubs(file: &File, id: &str) -> Vec<(&'static str, String)> {
    let index = file.index();
    let text = &file.source.text;
    // A stub's way out: the flow's first escalation, else its first outcome, else itself
    // (then the checker says what is still missing).
    let outcome = index
        .and_then(|index| {
            let kind = |k: &str| {
                index
                    .nodes
                    .iter()
                    .find(|n| n.kind.is_some_and(|s| &text[s.start..s.end] == k))
            };
            kind("Escalate")
                .or_else(|| kind("Resolved"))
                .or_else(|| kind("Done"))
                .map(|n| n.id.clone())
        })
        .unwrap_or_else(|| id.to_owned());
    let key = quoted(id);
    let to = quoted(&outcome);
    vec![
        (
            "Remedy",
            format!(
                "{key}: Remedy(\n            text: \"Describe what to try.\",\n            otherwise: {to},\n        )"
            ),
        ),
        (
            "Question",
            format!(
                "{key}: Question(\n            text: \"What should the customer answer?\",\n            answers: [\n                (id: \"yes\", label: \"Yes\", goto: {to}),\n                (id: \"no\", label: \"No\", goto: {to}),\n            ],\n        )"
            ),
        ),
        (
            "Escalate",
            format!(
                "{key}: Escalate(\n            text: \"Contact support with the details below.\",\n            collect: [],\n        )"
            ),
        ),
    ]
}

/// An edit adding `node` after the last node of the flow.
fn insert_node(file: &File, node: &str) -> Option<TextEdit> {
    let last = file
        .index()?
        .nodes
        .iter()
        .map(|n| n.whole)
        .max_by_key(|s| s.end)?;
    let at = Span::at(last.end);
    Some(TextEdit::new(
        file.lines.range(at),
        format!(",\n        {node}"),
    ))
}

fn action(
    file: &File,
    diagnostic: &Diagnostic,
    title: String,
    edits: Vec<TextEdit>,
    preferred: bool,
) -> CodeActionOrCommand {
    let changes: Vec<TextDocumentEdit> = uri::from_path(&file.source.path)
        .map(|uri| TextDocumentEdit {
            text_document: OptionalVersionedTextDocumentIdentifier { uri, version: None },
            edits: edits.into_iter().map(OneOf::Left).collect(),
        })
        .into_iter()
        .collect();
    CodeActionOrCommand::CodeAction(CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostics::to_lsp(file, diagnostic)]),
        edit: Some(WorkspaceEdit {
            document_changes: Some(DocumentChanges::Edits(changes)),
            ..WorkspaceEdit::default()
        }),
        is_preferred: preferred.then_some(true),
        ..CodeAction::default()
    })
}
