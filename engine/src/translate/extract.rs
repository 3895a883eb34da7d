//! Writing a translation file's skeleton: every text of a flow, each with its source text as
//! a comment and its fingerprint, keeping what an existing file has already translated and
//! marking what has gone stale.

use std::fmt::Write;

use super::{Text, Translation, fingerprint};
use crate::flow::Flow;
use crate::locale::DEFAULT_LOCALE;
use crate::model::Node;

/// What an extraction did to the entries of the file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Extracted {
    /// Translations kept as they were (current).
    pub kept: usize,
    /// Translations kept but marked stale: their source text changed.
    pub stale: usize,
    /// Texts with no translation yet, written empty.
    pub missing: usize,
    /// Entries of the old file for ids the flow no longer has, left out.
    pub dropped: usize,
}

/// The translation file of `flow` (in its source language) into `locale`, keeping what
/// `existing` has translated: its text, and its fingerprint, so a stale text stays stale
/// until someone updates it.
pub fn extract(flow: &Flow, locale: &str, existing: Option<&Translation>) -> (String, Extracted) {
    let empty = Translation::default();
    let old = existing.unwrap_or(&empty);
    let raw = flow.raw();
    let mut w = Writer {
        out: String::new(),
        counts: Extracted::default(),
    };
    let _ = writeln!(
        w.out,
        "// The `{locale}` translation of the flow `{}` ({}.ron).",
        raw.id, raw.id
    );
    w.out.push_str(
        "// Each text keeps the fingerprint of the source text it translates (`source`): when that\n\
         // text changes, `stepwise check` reports the translation as stale and it is not shown\n\
         // until it is updated. The comment above each entry is the source text.\n",
    );
    w.out.push_str("Translation(\n");
    w.entry(1, "title", &raw.title, old.title.as_ref());
    if !raw.summary.trim().is_empty() {
        w.entry(1, "summary", &raw.summary, old.summary.as_ref());
    }
    w.out
        .push_str("    // Search words in this language; when given, they replace the flow's tags");
    if raw.tags.is_empty() {
        w.out.push_str(".\n");
    } else {
        let source_tags: Vec<String> = raw.tags.iter().map(|t| quote(t)).collect();
        let _ = writeln!(
            w.out,
            ":\n    // [{}] ({DEFAULT_LOCALE})",
            source_tags.join(", ")
        );
    }
    let tags: Vec<String> = old.tags.iter().map(|t| quote(t)).collect();
    let _ = writeln!(w.out, "    tags: [{}],", tags.join(", "));
    w.out.push_str("    nodes: {\n");
    for (id, node) in &raw.nodes {
        let Some(text) = node.text() else { continue };
        let entry = old.nodes.get(id);
        let _ = writeln!(w.out, "        {}: (", quote(id));
        w.entry(3, "text", text, entry.and_then(|e| e.text.as_ref()));
        match node {
            Node::Question { answers, .. } => {
                w.out.push_str("            answers: {\n");
                for answer in answers {
                    let given = entry.and_then(|e| e.answers.get(&answer.id));
                    w.entry(4, &quote(&answer.id), &answer.label, given);
                }
                w.out.push_str("            },\n");
            }
            Node::Escalate { collect, .. } if !collect.is_empty() => {
                w.out.push_str("            details: {\n");
                for detail in collect {
                    let given = entry.and_then(|e| e.details.get(&detail.id));
                    let _ = writeln!(w.out, "                {}: (", quote(&detail.id));
                    w.entry(
                        5,
                        "label",
                        &detail.label,
                        given.and_then(|g| g.label.as_ref()),
                    );
                    if let Some(help) = &detail.help {
                        w.entry(5, "help", help, given.and_then(|g| g.help.as_ref()));
                    }
                    w.out.push_str("                ),\n");
                }
                w.out.push_str("            },\n");
            }
            _ => {}
        }
        w.out.push_str("        ),\n");
    }
    w.out.push_str("    },\n)\n");
    w.counts.dropped = dropped(flow, old);
    (w.out, w.counts)
}

struct Writer {
    out: String,
    counts: Extracted,
}

impl Writer {
    /// One `name: (text: …, source: …),` with the source text above it.
    fn entry(&mut self, depth: usize, name: &str, source: &str, old: Option<&Text>) {
        let pad = "    ".repeat(depth);
        let now = fingerprint(source);
        let done = old.filter(|o| !o.text.trim().is_empty());
        match done {
            Some(o) if o.source == now => {
                self.counts.kept += 1;
                comment(&mut self.out, &pad, source);
            }
            Some(o) => {
                self.counts.stale += 1;
                let _ = writeln!(
                    self.out,
                    "{pad}// STALE: the source text changed since this was translated. It now reads:"
                );
                comment(&mut self.out, &pad, source);
                let _ = writeln!(
                    self.out,
                    "{pad}// Update the translation, then set `source: \"{now}\"` (was \"{}\").",
                    o.source
                );
            }
            None => {
                self.counts.missing += 1;
                comment(&mut self.out, &pad, source);
            }
        }
        let (text, fp) = match done {
            Some(o) => (o.text.as_str(), o.source.as_str()),
            None => ("", now.as_str()),
        };
        if text.contains('\n') {
            let _ = writeln!(self.out, "{pad}{name}: (");
            let _ = writeln!(self.out, "{pad}    text: {},", quote(text));
            let _ = writeln!(self.out, "{pad}    source: \"{fp}\",");
            let _ = writeln!(self.out, "{pad}),");
        } else {
            let _ = writeln!(
                self.out,
                "{pad}{name}: (text: {}, source: \"{fp}\"),",
                quote(text)
            );
        }
    }
}

/// The source text as comment lines.
fn comment(out: &mut String, pad: &str, text: &str) {
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            let _ = writeln!(out, "{pad}//");
        } else {
            let _ = writeln!(out, "{pad}// {line}");
        }
    }
}

/// A RON string: raw (`r#"…"#`) when it spans lines or holds quotes, so Markdown stays
/// readable; escaped otherwise.
fn quote(text: &str) -> String {
    let needs_raw = text.contains('\n') || text.contains('"') || text.contains('\\');
    if needs_raw {
        let mut hashes = 1;
        while text.contains(&format!("\"{}", "#".repeat(hashes))) {
            hashes += 1;
        }
        let h = "#".repeat(hashes);
        return format!("r{h}\"{text}\"{h}");
    }
    format!("\"{text}\"")
}

/// How many entries of the old file name ids the flow does not have.
fn dropped(flow: &Flow, old: &Translation) -> usize {
    let raw = flow.raw();
    let mut count = 0;
    for (id, entry) in &old.nodes {
        let Some(node) = raw.nodes.get(id) else {
            count += 1;
            continue;
        };
        if node.text().is_none() && entry.text.is_some() {
            count += 1;
        }
        count += entry
            .answers
            .keys()
            .filter(|a| match node {
                Node::Question { answers, .. } => !answers.iter().any(|x| &x.id == *a),
                _ => true,
            })
            .count();
        count += entry
            .details
            .keys()
            .filter(|d| match node {
                Node::Escalate { collect, .. } => !collect.iter().any(|x| &x.id == *d),
                _ => true,
            })
            .count();
    }
    count
}
