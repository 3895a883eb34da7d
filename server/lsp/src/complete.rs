//! Completion: node ids where a target goes, flow ids in links, fact names and the values a
//! branch can match, node kinds where a node goes and the fields of each kind.

use std::collections::BTreeMap;

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionResponse, CompletionTextEdit, Documentation,
    InsertTextFormat, MarkupContent, MarkupKind, TextEdit,
};
use stepwise_engine::Span;

use crate::hover::node_text;
use crate::navigate::quoted;
use crate::symbols::{self, Symbol, Use};
use crate::workspace::{Directory, File, Role};

/// The node kinds, each with a snippet of its required fields.
const KINDS: &[(&str, &str, &[&str])] = &[
    (
        "Question",
        "Question(\n\ttext: \"$1\",\n\tfact: \"$2\",\n\tanswers: [\n\t\t(id: \"$3\", label: \"$4\", goto: \"$5\"),\n\t],\n)",
        &["text", "fact", "answers"],
    ),
    (
        "Remedy",
        "Remedy(\n\ttext: \"$1\",\n\totherwise: \"$2\",\n)",
        &["text", "otherwise"],
    ),
    (
        "Info",
        "Info(\n\ttext: \"$1\",\n\tnext: \"$2\",\n)",
        &["text", "next"],
    ),
    (
        "Branch",
        "Branch(\n\tfact: \"$1\",\n\tcases: {\"$2\": \"$3\"},\n\tdefault: \"$4\",\n)",
        &["fact", "cases", "default"],
    ),
    ("Link", "Link(flow: \"$1\")", &["flow"]),
    ("Resolved", "Resolved(text: \"$1\")", &["text"]),
    (
        "Escalate",
        "Escalate(\n\ttext: \"$1\",\n\tcollect: [\n\t\t(id: \"$2\", label: \"$3\"),\n\t],\n)",
        &["text", "collect"],
    ),
    ("Done", "Done(text: \"$1\")", &["text"]),
];

/// The fields of a flow, an input, an answer and a detail.
const FLOW_FIELDS: &[&str] = &["id", "title", "summary", "tags", "inputs", "start", "nodes"];
const INPUT_FIELDS: &[&str] = &["name", "values", "signed"];
const ANSWER_FIELDS: &[&str] = &["id", "label", "goto"];
const DETAIL_FIELDS: &[&str] = &[
    "id", "label", "help", "optional", "max_len", "kind", "pattern",
];

/// Fields whose value is a node of the same flow.
const TARGETS: &[&str] = &["goto", "otherwise", "next", "default", "start"];

/// The completions at `offset`.
pub fn complete(dir: &Directory, file: &File, offset: usize) -> Option<CompletionResponse> {
    let text = &file.source.text;
    let context = Context::at(&text[..offset]);
    let replace = |word: &str| -> CompletionTextEdit {
        let (span, new) = match context.string_start {
            // Inside a string: replace its content so far and any id right after.
            Some(start) => {
                let rest = &text[offset..];
                let tail = rest
                    .find(['"', '\n'])
                    .filter(|&i| rest.as_bytes().get(i) == Some(&b'"'))
                    .map_or(0, |i| i + 1);
                (Span::new(start, offset + tail), quoted(word))
            }
            None => (Span::at(offset), quoted(word)),
        };
        CompletionTextEdit::Edit(TextEdit::new(file.lines.range(span), new))
    };
    let items = match (&file.role, context.place()) {
        (Role::Flow, Place::Value(field)) if TARGETS.contains(&field.as_str()) => {
            let flow = file.flow_id()?;
            let index = file.index()?;
            index
                .nodes
                .iter()
                .map(|node| {
                    let kind = node.kind.map(|s| text[s.start..s.end].to_owned());
                    CompletionItem {
                        label: node.id.clone(),
                        kind: Some(CompletionItemKind::REFERENCE),
                        detail: kind,
                        documentation: node_text(dir, &flow, &node.id).map(markdown),
                        text_edit: Some(replace(&node.id)),
                        ..CompletionItem::default()
                    }
                })
                .collect()
        }
        (Role::Flow | Role::Scenarios, Place::Value(field)) if field == "flow" => dir
            .flows()
            .filter_map(|f| {
                let id = f.flow_id()?;
                let title = f
                    .index()
                    .and_then(|i| i.title)
                    .and_then(|s| stepwise_engine::string_at(&f.source.text, s));
                Some(CompletionItem {
                    label: id.clone(),
                    kind: Some(CompletionItemKind::MODULE),
                    detail: title,
                    text_edit: Some(replace(&id)),
                    ..CompletionItem::default()
                })
            })
            .collect(),
        (Role::Flow, Place::Value(field)) if field == "fact" => {
            let mut facts: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
            for o in symbols::occurrences(dir) {
                if let Symbol::Fact(name) = o.symbol
                    && !name.is_empty()
                {
                    let how = if o.kind == Use::Reads { "read" } else { "set" };
                    facts.entry(name).or_default().push(how);
                }
            }
            facts
                .into_iter()
                .map(|(name, uses)| {
                    let set = uses.iter().filter(|u| **u == "set").count();
                    CompletionItem {
                        kind: Some(CompletionItemKind::VARIABLE),
                        detail: Some(format!(
                            "fact: set in {set} places, read in {}",
                            uses.len() - set
                        )),
                        text_edit: Some(replace(&name)),
                        label: name,
                        ..CompletionItem::default()
                    }
                })
                .collect()
        }
        (Role::Flow, Place::Key(field)) if field == "cases" => {
            let index = file.index()?;
            let branch = index
                .nodes
                .iter()
                .find(|n| n.whole.start <= offset && offset <= n.whole.end)?;
            let fact = branch.fact.and_then(|s| file.id_at(s))?;
            fact_values(dir, &fact)
                .into_iter()
                .map(|(value, from)| CompletionItem {
                    kind: Some(CompletionItemKind::ENUM_MEMBER),
                    detail: Some(format!("`{fact}` = `{value}`, {from}")),
                    text_edit: Some(replace(&value)),
                    label: value,
                    ..CompletionItem::default()
                })
                .collect()
        }
        (Role::Flow, Place::Value(field)) if field == "cases" => {
            let index = file.index()?;
            index
                .nodes
                .iter()
                .map(|node| CompletionItem {
                    label: node.id.clone(),
                    kind: Some(CompletionItemKind::REFERENCE),
                    text_edit: Some(replace(&node.id)),
                    ..CompletionItem::default()
                })
                .collect()
        }
        (Role::Flow, Place::Value(field)) if field == "nodes" && context.string_start.is_none() => {
            KINDS
                .iter()
                .map(|(kind, snippet, _)| CompletionItem {
                    label: (*kind).into(),
                    kind: Some(CompletionItemKind::CLASS),
                    detail: Some("node kind".into()),
                    insert_text: Some((*snippet).into()),
                    insert_text_format: Some(InsertTextFormat::SNIPPET),
                    ..CompletionItem::default()
                })
                .collect()
        }
        (Role::Flow, Place::Field(group)) if context.string_start.is_none() => {
            let fields: &[&str] = match group.as_str() {
                "Flow" | "" if context.depth == 1 => FLOW_FIELDS,
                "inputs" | "Input" => INPUT_FIELDS,
                "answers" | "Answer" => ANSWER_FIELDS,
                "collect" | "Detail" => DETAIL_FIELDS,
                kind => KINDS
                    .iter()
                    .find(|(k, _, _)| *k == kind)
                    .map_or(&[][..], |(_, _, fields)| fields),
            };
            fields
                .iter()
                .map(|field| CompletionItem {
                    label: (*field).into(),
                    kind: Some(CompletionItemKind::FIELD),
                    insert_text: Some(format!("{field}: ")),
                    ..CompletionItem::default()
                })
                .collect()
        }
        _ => return None,
    };
    Some(CompletionResponse::Array(items))
}

/// The values a fact can take: the answer ids of the questions that record it, and the
/// values scenarios give it and other branches match.
fn fact_values(dir: &Directory, fact: &str) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    for file in dir.files.iter().filter(|f| f.role == Role::Scenarios) {
        let Ok(parsed) = stepwise_engine::scenario::parse(&file.source) else {
            continue;
        };
        for scenario in &parsed.scenarios {
            if let Some(value) = scenario.facts.get(fact) {
                values
                    .entry(value.clone())
                    .or_insert_with(|| format!("given in scenario `{}`", scenario.name));
            }
        }
    }
    for file in dir.flows() {
        let Some(index) = file.index() else { continue };
        for node in &index.nodes {
            if node.fact.and_then(|s| file.id_at(s)).as_deref() != Some(fact) {
                continue;
            }
            for answer in node.answers.iter().filter_map(|a| a.id) {
                if let Some(id) = file.id_at(answer) {
                    values
                        .entry(id)
                        .or_insert_with(|| format!("an answer of `{}`", node.id));
                }
            }
            for &(value, _) in &node.cases {
                if let Some(id) = file.id_at(value).filter(|v| !v.is_empty()) {
                    values
                        .entry(id)
                        .or_insert_with(|| format!("matched by branch `{}`", node.id));
                }
            }
        }
    }
    values
}

fn markdown(value: String) -> Documentation {
    Documentation::MarkupContent(MarkupContent {
        kind: MarkupKind::Markdown,
        value,
    })
}

/// Where the cursor stands, as a forward scan of the text before it finds.
#[derive(Debug, Default)]
struct Context {
    /// The groups open around the cursor: their opener and what names them (the kind
    /// before a `(`, else the field the group is the value of).
    groups: Vec<(u8, String)>,
    /// The field whose value follows, at the innermost group (`goto` after `goto:`).
    field: Option<String>,
    /// In a `{…}` map: whether a key has been written and its `:` passed.
    after_colon: bool,
    /// The opening quote's end, when the cursor is inside a string.
    string_start: Option<usize>,
    depth: usize,
}

/// What the cursor is about to write.
enum Place {
    /// The value of a field (or of a map entry, named by the map's field).
    Value(String),
    /// A key of a map, named by the map's field.
    Key(String),
    /// A field name, in the group named so.
    Field(String),
}

impl Context {
    fn at(before: &str) -> Context {
        let bytes = before.as_bytes();
        let mut context = Context::default();
        let mut i = 0;
        // The last identifier and whether a `:` followed it.
        let mut last_ident: Option<String> = None;
        while i < bytes.len() {
            let b = bytes[i];
            match b {
                b'"' => {
                    let start = i + 1;
                    let mut j = start;
                    while j < bytes.len() && bytes[j] != b'"' {
                        j += if bytes[j] == b'\\' { 2 } else { 1 };
                    }
                    if j >= bytes.len() {
                        context.string_start = Some(start - 1);
                        context.depth = context.groups.len();
                        return context;
                    }
                    i = j + 1;
                    last_ident = None;
                    continue;
                }
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                b'(' | b'[' | b'{' => {
                    // `Question(` is named by its kind; `Some(`, a tuple or a list by the
                    // field it is the value of, else by the list it stands in.
                    let name = match (b, &last_ident) {
                        (b'(', Some(ident)) if ident != "Some" => ident.clone(),
                        _ => context
                            .field
                            .clone()
                            .or_else(|| context.groups.last().map(|(_, n)| n.clone()))
                            .unwrap_or_default(),
                    };
                    context.groups.push((b, name));
                    context.field = None;
                    context.after_colon = false;
                    last_ident = None;
                }
                b')' | b']' | b'}' => {
                    context.groups.pop();
                    context.field = None;
                    context.after_colon = false;
                    last_ident = None;
                }
                b',' => {
                    context.field = None;
                    context.after_colon = false;
                    last_ident = None;
                }
                b':' => {
                    context.after_colon = true;
                    if let Some(ident) = last_ident.take() {
                        context.field = Some(ident);
                    }
                }
                b if b.is_ascii_alphabetic() || b == b'_' => {
                    let start = i;
                    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_')
                    {
                        i += 1;
                    }
                    last_ident = Some(before[start..i].to_owned());
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        context.depth = context.groups.len();
        context
    }

    fn place(&self) -> Place {
        let (opener, name) = self.groups.last().cloned().unwrap_or((b'(', String::new()));
        match opener {
            b'{' if self.after_colon => Place::Value(name),
            b'{' => Place::Key(name),
            b'[' => Place::Value(name),
            _ => match &self.field {
                Some(field) if self.after_colon => Place::Value(field.clone()),
                _ => Place::Field(name),
            },
        }
    }
}
