//! Mermaid text of a flow (`flowchart TD`), for Markdown docs and other tools.

use std::fmt::Write;

use super::{Kind, Picture};
use crate::flow::Flow;

/// The flow as a Mermaid flowchart: one shape per node kind, answers on the lines, and a
/// class per kind (`classDef`) for the colours.
pub fn mermaid(flow: &Flow) -> String {
    let picture = Picture::of(flow);
    let mut out = String::new();
    // Writing to a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(
        out,
        "%% {}: {}",
        one_line(&picture.id),
        one_line(&picture.title)
    );
    out.push_str("flowchart TD\n");
    for block in &picture.boxes {
        let (open, close) = shape(block.kind);
        let mut label = format!("<b>{}</b>", escape(&block.heading));
        if !block.text.is_empty() {
            label.push_str("<br/>");
            label.push_str(&escape(&block.text));
        }
        let _ = writeln!(out, "    {}{open}\"{label}\"{close}", block.slug);
    }
    for line in &picture.lines {
        let from = &picture.boxes[line.from].slug;
        let to = &picture.boxes[line.to].slug;
        if line.label.is_empty() {
            let _ = writeln!(out, "    {from} --> {to}");
        } else {
            let _ = writeln!(out, "    {from} -->|\"{}\"| {to}", escape(&line.label));
        }
    }
    for kind in Kind::ALL {
        let members: Vec<&str> = picture
            .boxes
            .iter()
            .filter(|b| b.kind == kind)
            .map(|b| b.slug.as_str())
            .collect();
        if members.is_empty() {
            continue;
        }
        let (fill, stroke, text) = kind.colours();
        let _ = writeln!(
            out,
            "    classDef {} fill:{fill},stroke:{stroke},color:{text}",
            kind.name()
        );
        let _ = writeln!(out, "    class {} {}", members.join(","), kind.name());
    }
    if let Some(start) = picture.boxes.iter().find(|b| b.start) {
        let _ = writeln!(out, "    style {} stroke-width:3px", start.slug);
    }
    out
}

/// The brackets that give each kind its shape.
fn shape(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Question => ("(", ")"),
        Kind::Remedy => ("[", "]"),
        Kind::Info => (">", "]"),
        Kind::Branch => ("{{", "}}"),
        Kind::Link => ("[[", "]]"),
        Kind::Resolved | Kind::Escalate | Kind::Done => ("([", "])"),
        Kind::Solved => ("((", "))"),
    }
}

/// Text safe inside a quoted Mermaid label: characters Mermaid or HTML would read as syntax
/// become Mermaid entity codes (`#quot;`, `#35;`…).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '|' => out.push_str("#124;"),
            '`' => out.push_str("#96;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text for a `%%` comment, which ends at the end of the line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_characters_become_entity_codes() {
        assert_eq!(
            escape("Say \"hi\" to #1 <b>&</b> | `x`\nnext"),
            "Say #quot;hi#quot; to #35;1 #lt;b#gt;#amp;#lt;/b#gt; #124; #96;x#96; next"
        );
        assert_eq!(
            escape("[brackets] (and) {braces}"),
            "[brackets] (and) {braces}"
        );
    }
}
