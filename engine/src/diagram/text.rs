//! Short plain text for diagram labels: Markdown stripped, cut to a sentence or a length,
//! and wrapped into lines.

use pulldown_cmark::{Event, Parser, TagEnd};

/// The text of the first block of `markdown` (paragraph, heading, list item…), without
/// emphasis, links or code marks, on one line.
pub(super) fn plain(markdown: &str) -> String {
    let mut out = String::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                out.push_str(&t)
            }
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::BlockQuote(_)
                | TagEnd::TableCell,
            ) if !out.trim().is_empty() => break,
            _ => {}
        }
    }
    // Text inside a code block or a wrapped line may still hold newlines and runs of spaces.
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first block of `markdown` as plain text, at most `max` characters. Too long, it is cut
/// to one whole sentence: for a question the last one asking something (the question
/// itself usually comes after the context), else the first; failing that, to a word.
pub(super) fn summary(markdown: &str, max: usize, question: bool) -> String {
    let text = plain(markdown);
    if text.chars().count() <= max {
        return text;
    }
    let sentences = sentences(&text);
    let asked = question
        .then(|| {
            sentences
                .iter()
                .rev()
                .find(|s| s.ends_with('?') && s.chars().count() <= max)
        })
        .flatten();
    let first = sentences.first().filter(|s| s.chars().count() <= max);
    match asked.or(first) {
        Some(sentence) => (*sentence).to_owned(),
        None => shorten(&text, max),
    }
}

/// The sentences of `text`, each ending at `.`, `?` or `!` followed by a space.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut begin = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let ends = matches!(c, '.' | '?' | '!');
        if ends && chars.peek().is_none_or(|(_, next)| *next == ' ') {
            let end = i + c.len_utf8();
            out.push(text[begin..end].trim());
            begin = end;
        }
    }
    if !text[begin..].trim().is_empty() {
        out.push(text[begin..].trim());
    }
    out
}

/// `text` cut to at most `max` characters, at a word boundary when there is one, with `…`
/// when cut.
pub(super) fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let room = max.saturating_sub(1);
    let cut: String = text.chars().take(room).collect();
    // Cut right before a space, the last word is whole.
    let clean = text.chars().nth(room).is_some_and(char::is_whitespace);
    let at_word = match cut.rfind(' ') {
        _ if clean => cut,
        Some(space) if space > 0 => cut[..space].to_owned(),
        _ => cut,
    };
    let trimmed = at_word.trim_end_matches([',', ';', ':', '.', '(', '-', ' ']);
    format!("{trimmed}…")
}

/// `text` in lines of at most `width` characters, breaking at spaces; a word longer than a
/// line is cut. At most `max_lines` lines: the last ends with `…` when text is left over.
pub(super) fn wrap(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let width = width.max(2);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_owned();
        if word.chars().count() > width {
            word = shorten(&word, width);
        }
        let len = current.chars().count();
        if len == 0 {
            current = word;
        } else if len + 1 + word.chars().count() <= width {
            current.push(' ');
            current.push_str(&word);
        } else {
            lines.push(std::mem::replace(&mut current, word));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines {
        let rest = lines[max_lines - 1..].join(" ");
        lines.truncate(max_lines - 1);
        lines.push(shorten(&rest, width));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_marks_are_stripped() {
        assert_eq!(
            plain("Unplug it for **30 seconds**, see [the guide](https://x.y) and `reset`."),
            "Unplug it for 30 seconds, see the guide and reset."
        );
    }

    #[test]
    fn only_the_first_block_is_kept() {
        assert_eq!(plain("# Title\n\nBody text."), "Title");
        assert_eq!(plain("- **one:** first\n- two"), "one: first");
        assert_eq!(
            plain("First line\ncontinued.\n\nSecond."),
            "First line continued."
        );
    }

    #[test]
    fn a_long_question_keeps_its_question() {
        let text = "Open the withdrawal in your history here (Assets > History, or your \
                    funding account's records). What status does it show?";
        assert_eq!(summary(text, 60, true), "What status does it show?");
        assert_eq!(
            summary(text, 60, false),
            "Open the withdrawal in your history here (Assets > History…"
        );
    }

    #[test]
    fn a_long_text_keeps_its_first_sentence() {
        let text = "Contact the receiving platform. They can trace it with the TxID and more.";
        assert_eq!(summary(text, 40, false), "Contact the receiving platform.");
    }

    #[test]
    fn shortening_cuts_at_a_word() {
        assert_eq!(shorten("The address is wrong", 14), "The address…");
        assert_eq!(shorten("short", 14), "short");
        assert_eq!(shorten("abcdefghij", 5), "abcd…");
    }

    #[test]
    fn wrapping_fills_lines_and_marks_what_is_left_out() {
        assert_eq!(
            wrap("one two three four five six", 9, 2),
            vec!["one two", "three…"]
        );
        assert_eq!(wrap("one two", 9, 2), vec!["one two"]);
        assert_eq!(wrap("abcdefghijkl", 6, 2), vec!["abcde…"]);
        assert!(wrap("", 9, 2).is_empty());
    }
}
