//! Text that must show as itself in Markdown, whatever it holds.
//!
//! A transcript is pasted into tickets, and helpdesks render it. What a customer typed (a
//! detail, a fact from the API) goes in as code: a code span for one line, a fenced block for
//! several. Inside either, CommonMark reads no markup, no HTML and no links, and a newline
//! cannot start a section of its own. Links in a transcript come only from the flow's text.

use std::fmt::Write as _;

/// `text` as one Markdown inline: a code span whose backticks outnumber any run inside it.
///
/// Only for text without line breaks; [`block`] takes the rest.
pub fn span(text: &str) -> String {
    if text.is_empty() {
        return "` `".to_owned();
    }
    let ticks = "`".repeat(longest_backtick_run(text) + 1);
    // CommonMark strips one space from each end when both ends have one, and a span may not
    // touch its own backticks; a space each side keeps the text exactly as typed.
    let pad = text.starts_with('`')
        || text.ends_with('`')
        || (text.starts_with(' ') && text.ends_with(' ') && !text.trim().is_empty());
    let pad = if pad { " " } else { "" };
    format!("{ticks}{pad}{text}{pad}{ticks}")
}

/// `text` as a fenced code block, every line indented by `indent` spaces so that it stays
/// inside the list item it follows. Ends with a newline.
pub fn block(text: &str, indent: usize) -> String {
    let fence = "`".repeat((longest_backtick_run(text) + 1).max(3));
    let pad = " ".repeat(indent);
    let mut out = String::with_capacity(text.len() + 2 * (fence.len() + indent + 1));
    let _ = writeln!(out, "{pad}{fence}text");
    for line in lines(text) {
        let _ = writeln!(out, "{pad}{line}");
    }
    let _ = writeln!(out, "{pad}{fence}");
    out
}

/// A list item `- name: value` indented by `indent`, where `name` is Markdown and `value` is
/// shown as typed: a code span on the item's line, or a fenced block inside the item for
/// several lines. Ends with a newline.
pub fn item(indent: usize, name: &str, value: &str) -> String {
    let pad = " ".repeat(indent);
    if is_multiline(value) {
        format!("{pad}- {name}:\n{}", block(value, indent + 2))
    } else {
        format!("{pad}- {name}: {}\n", span(value))
    }
}

/// Whether `text` needs more than one line: CommonMark ends a line at LF, CR or CRLF.
pub fn is_multiline(text: &str) -> bool {
    text.contains(['\n', '\r'])
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .flat_map(|line| line.split('\r'))
}

fn longest_backtick_run(text: &str) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_outnumbers_the_backticks_inside() {
        assert_eq!(span("plain"), "`plain`");
        assert_eq!(span("a `b` c"), "``a `b` c``");
        assert_eq!(span("`edge`"), "`` `edge` ``");
        assert_eq!(span(" both "), "`  both  `");
        assert_eq!(span(""), "` `");
    }

    #[test]
    fn a_block_keeps_every_line_inside_its_fence() {
        assert_eq!(
            block("one\r\n```\rtwo", 2),
            "  ````text\n  one\n  ```\n  two\n  ````\n"
        );
    }
}
