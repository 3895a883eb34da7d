//! Rules about what a flow's texts hold: control characters no page can show, raw HTML and
//! script links the pages remove, and the placeholder text `stepwise new` writes.

use pulldown_cmark::{Event, Parser, Tag};

use super::Parsed;
use crate::diagnostic::{Code, Diagnostic};
use crate::ids::describe;
use crate::model::Node;
use crate::placeholder;
use crate::source::Span;

/// How many characters of markup a message quotes.
const QUOTED: usize = 40;

/// The link schemes pages keep; links with any other (`javascript:`, `data:`…) are removed.
const KEPT_SCHEMES: [&str; 3] = ["http", "https", "mailto"];

/// Checks every text of `flow`.
pub(super) fn check(flow: &Parsed, out: &mut Vec<Diagnostic>) {
    let raw = &flow.raw;
    let index = flow.index();
    control(
        flow,
        "the title",
        &raw.title,
        index.title.or(index.flow),
        out,
    );
    control(
        flow,
        "the summary",
        &raw.summary,
        index.summary.or(index.flow),
        out,
    );
    if raw.summary.trim() == placeholder::SUMMARY {
        out.push(placeholder_text(flow, "the summary", index.summary));
    }
    for (id, node) in &raw.nodes {
        let spans = flow.spans(id);
        let key = spans.map(|n| n.key);
        if let Some(text) = node.text() {
            let at = spans.and_then(|n| n.text).or(key);
            let what = format!("the text of node `{id}`");
            control(flow, &what, text, at, out);
            if let Some(markup) = removed_markup(text) {
                out.push(raw_html(flow, &what, &markup, at));
            }
            if placeholder::ALL.contains(&text.trim()) {
                out.push(placeholder_text(flow, &what, at));
            }
        }
        match node {
            Node::Question { answers, .. } => {
                for (k, answer) in answers.iter().enumerate() {
                    let at = spans
                        .and_then(|n| n.answers.get(k))
                        .map(|a| a.whole)
                        .or(key);
                    let what = format!("the label of answer `{}` of node `{id}`", answer.id);
                    control(flow, &what, &answer.label, at, out);
                }
            }
            Node::Escalate { collect, .. } => {
                for (k, detail) in collect.iter().enumerate() {
                    let at = spans
                        .and_then(|n| n.details.get(k).copied().flatten())
                        .or(key);
                    let what = format!("detail `{}` of node `{id}`", detail.id);
                    control(
                        flow,
                        &format!("the label of {what}"),
                        &detail.label,
                        at,
                        out,
                    );
                    if let Some(help) = &detail.help {
                        control(flow, &format!("the help of {what}"), help, at, out);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Reports the first control character in `text`, if it holds one. Line breaks and tabs
/// are how a text is laid out, not control characters.
fn control(flow: &Parsed, what: &str, text: &str, at: Option<Span>, out: &mut Vec<Diagnostic>) {
    let Some(c) = text
        .chars()
        .find(|&c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
    else {
        return;
    };
    out.push(
        flow.diagnostic(
            Code::ControlCharacter,
            format!(
                "{what} holds a control character ({}), which no page can show",
                describe(c)
            ),
        )
        .with_label_at(at, "holds a control character")
        .with_help(
            "remove it; it is often pasted in by accident (a `\\u{0}` escape, or a copy from a \
             terminal or a PDF)",
        ),
    );
}

/// Markup pages do not show as written: raw HTML, or a link or image to a scheme other
/// than `http:`, `https:` or `mailto:`.
enum Markup {
    Html(String),
    Link(String),
}

/// The first markup in `text` that pages do not show as written.
fn removed_markup(text: &str) -> Option<Markup> {
    Parser::new(text).find_map(|event| match event {
        Event::Html(html) | Event::InlineHtml(html) if !html.trim().is_empty() => {
            Some(Markup::Html(quoted(html.trim())))
        }
        Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. })
            if removed_scheme(&dest_url) =>
        {
            Some(Markup::Link(quoted(dest_url.trim())))
        }
        _ => None,
    })
}

/// Whether a link's address has a scheme pages remove (a relative address has none).
fn removed_scheme(url: &str) -> bool {
    // Browsers ignore whitespace and control characters inside a scheme (`java\tscript:`).
    let url: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .take(32)
        .collect::<String>()
        .to_ascii_lowercase();
    let Some((scheme, _)) = url.split_once(':') else {
        return false;
    };
    let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    is_scheme && !KEPT_SCHEMES.contains(&scheme)
}

/// At most [`QUOTED`] characters of `text`.
fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTED) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

fn raw_html(flow: &Parsed, what: &str, markup: &Markup, at: Option<Span>) -> Diagnostic {
    let (message, label) = match markup {
        Markup::Html(html) => (
            format!("{what} holds raw HTML `{html}`, which pages do not show as written"),
            "raw HTML",
        ),
        Markup::Link(url) => (
            format!("{what} links to `{url}`, which pages remove"),
            "a link pages remove",
        ),
    };
    flow.diagnostic(Code::RawHtml, message)
        .with_label_at(at, label)
        .with_help(
            "write it in Markdown (`**bold**`, `[text](https://…)`): pages remove scripts, \
             frames, event handlers and links other than `https:` and `mailto:`, keep only \
             harmless tags, and other clients show HTML as text",
        )
}

fn placeholder_text(flow: &Parsed, what: &str, at: Option<Span>) -> Diagnostic {
    flow.diagnostic(
        Code::PlaceholderText,
        format!("{what} is still the placeholder `stepwise new` wrote"),
    )
    .with_label_at(at, "placeholder text")
    .with_help("rewrite it in the words a customer should read")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_links_are_found_however_they_are_written() {
        for url in [
            "javascript:alert(1)",
            " JavaScript:x",
            "java\tscript:x",
            "data:text/html,x",
        ] {
            assert!(removed_scheme(url), "{url:?}");
        }
        for url in [
            "https://example.com",
            "mailto:a@b.c",
            "/help",
            "#top",
            "page?a=b:c",
        ] {
            assert!(!removed_scheme(url), "{url:?}");
        }
    }

    #[test]
    fn raw_html_is_found_and_markdown_is_not() {
        assert!(matches!(
            removed_markup("Pick <script>x()</script>"),
            Some(Markup::Html(h)) if h == "<script>"
        ));
        assert!(matches!(
            removed_markup("[Click](javascript:x())"),
            Some(Markup::Link(_))
        ));
        assert!(removed_markup("**bold**, `<code>` and [a](https://a.b)").is_none());
    }
}
