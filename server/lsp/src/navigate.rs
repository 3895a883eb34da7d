//! Go to definition, find references and rename, on the directory's occurrences.

use std::collections::{BTreeMap, HashMap};

use lsp_types::{
    DocumentChangeOperation, DocumentChanges, Location, OneOf,
    OptionalVersionedTextDocumentIdentifier, Range, RenameFile, ResourceOp, TextDocumentEdit,
    TextEdit, WorkspaceEdit,
};
use stepwise_engine::SCENARIO_SUFFIX;

use crate::symbols::{self, Occurrence, Spelling, Symbol, Use};
use crate::uri;
use crate::workspace::{Directory, File, Role};

/// Where the symbol at `offset` is defined.
pub fn definition(dir: &Directory, file: &File, offset: usize) -> Option<Vec<Location>> {
    let all = symbols::occurrences(dir);
    let here = symbols::at(&all, symbols::file_index(dir, file), offset)?;
    // A translation's entry leads to the text it translates.
    if matches!(file.role, Role::Translation { .. })
        && let Symbol::Node { flow, node } = &here.symbol
        && let Some(holder) = dir.flow(flow)
        && let Some(text) = holder
            .index()
            .and_then(|i| i.node(node))
            .and_then(|n| n.text)
    {
        return Some(vec![Location::new(
            uri::from_path(&holder.source.path)?,
            holder.lines.range(text),
        )]);
    }
    let found: Vec<Location> = all
        .iter()
        .filter(|o| o.symbol == here.symbol && o.kind == Use::Definition)
        .filter_map(|o| location(dir, o))
        .collect();
    if !found.is_empty() {
        return Some(found);
    }
    // A fact is defined where it is set; a flow without a written id by its file.
    let set: Vec<Location> = all
        .iter()
        .filter(|o| o.symbol == here.symbol && o.kind == Use::Sets)
        .filter_map(|o| location(dir, o))
        .collect();
    if !set.is_empty() {
        return Some(set);
    }
    if let Symbol::Flow(id) = &here.symbol {
        let flow = dir.flow(id)?;
        return Some(vec![Location::new(
            uri::from_path(&flow.source.path)?,
            Range::default(),
        )]);
    }
    None
}

/// Every place the symbol at `offset` stands.
pub fn references(
    dir: &Directory,
    file: &File,
    offset: usize,
    declaration: bool,
) -> Option<Vec<Location>> {
    let all = symbols::occurrences(dir);
    let here = symbols::at(&all, symbols::file_index(dir, file), offset)?;
    Some(
        all.iter()
            .filter(|o| o.symbol == here.symbol)
            .filter(|o| declaration || o.kind != Use::Definition)
            .filter_map(|o| location(dir, o))
            .collect(),
    )
}

/// The range of the id a rename at `offset` would change.
pub fn prepare_rename(dir: &Directory, file: &File, offset: usize) -> Option<Range> {
    let all = symbols::occurrences(dir);
    let here = symbols::at(&all, symbols::file_index(dir, file), offset)?;
    Some(file.lines.range(here.span))
}

/// The edits that rename the symbol at `offset` to `to` everywhere, and for a flow the
/// files that carry its id in their names.
pub fn rename(
    dir: &Directory,
    file: &File,
    offset: usize,
    to: &str,
) -> Option<Result<WorkspaceEdit, String>> {
    let all = symbols::occurrences(dir);
    let here = symbols::at(&all, symbols::file_index(dir, file), offset)?;
    if let Err(why) = valid_id(to) {
        return Some(Err(why));
    }
    if let Some(clash) = clash(&all, &here.symbol, to) {
        return Some(Err(clash));
    }
    let mut edits: BTreeMap<usize, Vec<TextEdit>> = BTreeMap::new();
    for occurrence in all.iter().filter(|o| o.symbol == here.symbol) {
        let holder = &dir.files[occurrence.file];
        edits
            .entry(occurrence.file)
            .or_default()
            .push(TextEdit::new(
                holder.lines.range(occurrence.span),
                spelled(&occurrence.spelling, &occurrence.symbol, to),
            ));
    }
    let mut changes = Vec::new();
    for (i, mut edits) in edits {
        edits.sort_by_key(|e| (e.range.start.line, e.range.start.character));
        let Some(uri) = uri::from_path(&dir.files[i].source.path) else {
            continue;
        };
        changes.push(DocumentChangeOperation::Edit(TextDocumentEdit {
            text_document: OptionalVersionedTextDocumentIdentifier { uri, version: None },
            edits: edits.into_iter().map(OneOf::Left).collect(),
        }));
    }
    if let Symbol::Flow(from) = &here.symbol {
        changes.extend(renamed_files(dir, from, to));
    }
    Some(Ok(WorkspaceEdit {
        document_changes: Some(DocumentChanges::Operations(changes)),
        ..WorkspaceEdit::default()
    }))
}

/// The new text of an occurrence.
fn spelled(spelling: &Spelling, symbol: &Symbol, to: &str) -> String {
    let _ = symbol;
    match spelling {
        Spelling::Whole => quoted(to),
        Spelling::ScenarioNode { answer } => quoted(&format!("{to}={answer}")),
        Spelling::ScenarioAnswer { node: Some(node) } => quoted(&format!("{node}={to}")),
        Spelling::ScenarioAnswer { node: None } => quoted(to),
    }
}

/// A RON string holding `text`.
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether `to` can be an id: not empty, no spaces, quotes or control characters.
fn valid_id(to: &str) -> Result<(), String> {
    if to.is_empty() {
        return Err("an id cannot be empty".into());
    }
    if let Some(c) = to.chars().find(|&c| {
        c.is_whitespace() || c.is_control() || invisible(c) || matches!(c, '"' | '\\' | '=' | '/')
    }) {
        return Err(format!(
            "an id cannot hold {c:?}: use letters, digits and `-`"
        ));
    }
    Ok(())
}

/// Characters that cannot be seen or that reorder text, which the checker refuses in ids.
fn invisible(c: char) -> bool {
    matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// Why renaming `symbol` to `to` would merge it with another of its kind, if it would.
fn clash(all: &[Occurrence], symbol: &Symbol, to: &str) -> Option<String> {
    let taken =
        all.iter()
            .filter(|o| o.kind == Use::Definition)
            .any(|o| match (&o.symbol, symbol) {
                (Symbol::Node { flow: f, node: n }, Symbol::Node { flow, .. }) => {
                    f == flow && n == to
                }
                (
                    Symbol::Answer {
                        flow: f,
                        node: n,
                        answer: a,
                    },
                    Symbol::Answer { flow, node, .. },
                ) => f == flow && n == node && a == to,
                (Symbol::Flow(f), Symbol::Flow(_)) => f == to,
                _ => false,
            });
    taken.then(|| format!("`{to}` is already taken: pick an id nothing else uses"))
}

/// The flow's file, its scenarios and its translations, renamed after its new id.
fn renamed_files(dir: &Directory, from: &str, to: &str) -> Vec<DocumentChangeOperation> {
    let mut ops = Vec::new();
    let mut seen = HashMap::new();
    for file in &dir.files {
        let new_name = match &file.role {
            Role::Flow if file.source.stem() == Some(from) => format!("{to}.ron"),
            Role::Scenarios if file.flow_id().as_deref() == Some(from) => {
                let name = file.source.path.file_name().and_then(|n| n.to_str());
                if name != Some(&format!("{from}{SCENARIO_SUFFIX}")) {
                    continue;
                }
                format!("{to}{SCENARIO_SUFFIX}")
            }
            Role::Translation { flow, locale } if flow == from => format!("{to}.{locale}.ron"),
            _ => continue,
        };
        let new_path = file.source.path.with_file_name(new_name);
        if seen.insert(new_path.clone(), ()).is_some() {
            continue;
        }
        let (Some(old_uri), Some(new_uri)) =
            (uri::from_path(&file.source.path), uri::from_path(&new_path))
        else {
            continue;
        };
        ops.push(DocumentChangeOperation::Op(ResourceOp::Rename(
            RenameFile {
                old_uri,
                new_uri,
                options: None,
                annotation_id: None,
            },
        )));
    }
    ops
}

fn location(dir: &Directory, occurrence: &Occurrence) -> Option<Location> {
    let file = dir.files.get(occurrence.file)?;
    Some(Location::new(
        uri::from_path(&file.source.path)?,
        file.lines.range(occurrence.span),
    ))
}
