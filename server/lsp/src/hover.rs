//! Hover: a node's kind and text, an answer's label and target, a flow's title, and where a
//! fact is set and read.

use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind};

use crate::symbols::{self, Symbol, Use};
use crate::workspace::{Directory, File};

/// What to show over the id at `offset`.
pub fn hover(dir: &Directory, file: &File, offset: usize) -> Option<Hover> {
    let all = symbols::occurrences(dir);
    let here = symbols::at(&all, symbols::file_index(dir, file), offset)?;
    let text = match &here.symbol {
        Symbol::Node { flow, node } => node_text(dir, flow, node)?,
        Symbol::Answer { flow, node, answer } => {
            let holder = dir.flow(flow)?;
            let spans = holder.index()?.node(node)?;
            let written = spans
                .answers
                .iter()
                .find(|a| a.id.and_then(|s| holder.id_at(s)).as_deref() == Some(answer))?;
            let goto = written.goto.and_then(|s| holder.id_at(s));
            let mut text = format!("**answer** `{answer}` of question `{node}`");
            if let Some(goto) = goto {
                text.push_str(&format!(" → `{goto}`"));
            }
            text
        }
        Symbol::Flow(id) => {
            let holder = dir.flow(id)?;
            let index = holder.index()?;
            let title = index
                .title
                .and_then(|s| stepwise_engine::string_at(&holder.source.text, s));
            let summary = index
                .summary
                .and_then(|s| stepwise_engine::string_at(&holder.source.text, s));
            let mut text = format!("**flow** `{id}`");
            if let Some(title) = title {
                text.push_str(&format!(": {title}"));
            }
            if let Some(summary) = summary {
                text.push_str(&format!("\n\n{summary}"));
            }
            text
        }
        Symbol::Fact(name) => {
            let mut set = Vec::new();
            let mut read = Vec::new();
            for o in all.iter().filter(|o| o.symbol == here.symbol) {
                let holder = &dir.files[o.file];
                let at = holder.lines.position(o.span.start);
                let name = holder
                    .source
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let place = format!("`{name}:{}:{}`", at.line + 1, at.character + 1);
                match o.kind {
                    Use::Sets => set.push(place),
                    Use::Reads => read.push(place),
                    _ => {}
                }
            }
            let list = |places: &[String]| {
                if places.is_empty() {
                    "nowhere".to_owned()
                } else {
                    places.join(", ")
                }
            };
            format!(
                "**fact** `{name}`\n\nset: {}\n\nread: {}",
                list(&set),
                list(&read)
            )
        }
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: text,
        }),
        range: Some(file.lines.range(here.span)),
    })
}

/// The most characters of a node's text a hover shows.
const HOVER_TEXT_CHARS: usize = 2_000;

/// A text cut to [`HOVER_TEXT_CHARS`] characters, with `…` when cut.
fn shortened(text: &str) -> String {
    match text.char_indices().nth(HOVER_TEXT_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// A node's kind and text, in Markdown.
pub fn node_text(dir: &Directory, flow: &str, node: &str) -> Option<String> {
    let holder = dir.flow(flow)?;
    let spans = holder.index()?.node(node)?;
    let text_of = |span| stepwise_engine::string_at(&holder.source.text, span);
    let kind = spans.kind.map_or("node".to_owned(), |s| {
        holder.source.text[s.start..s.end].to_owned()
    });
    let mut out = format!("**{kind}** `{node}`");
    if let Some(body) = spans.text.and_then(text_of) {
        out.push_str("\n\n");
        out.push_str(&shortened(&body));
    }
    if let Some(linked) = spans.flow.and_then(|s| holder.id_at(s)) {
        out.push_str(&format!("\n\ncontinues in flow `{linked}`"));
    }
    Some(out)
}
