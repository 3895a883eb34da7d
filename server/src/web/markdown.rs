//! Markdown from flow files as HTML that cannot carry script: pulldown-cmark renders it,
//! ammonia keeps only harmless tags and attributes.

use std::sync::LazyLock;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

/// The sanitiser: ammonia's defaults (no script, no `on*` attributes, no `javascript:` URLs),
/// with links that cannot reach back into this page.
static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut cleaner = ammonia::Builder::default();
    cleaner
        .link_rel(Some("noopener noreferrer"))
        .url_schemes(["http", "https", "mailto"].into());
    cleaner
});

/// `text` as sanitised HTML.
pub fn render(text: &str) -> String {
    let mut raw = String::new();
    html::push_html(
        &mut raw,
        Parser::new_ext(text, Options::ENABLE_STRIKETHROUGH),
    );
    CLEANER.clean(&raw).to_string()
}

/// The words of the first paragraph of `text`, without markup, and the rest as sanitised
/// HTML: a question's first sentence becomes the page's heading.
pub fn split_heading(text: &str) -> (String, String) {
    let mut heading = String::new();
    let mut rest_from = None;
    for (event, range) in Parser::new(text).into_offset_iter() {
        match event {
            Event::Text(t) | Event::Code(t) => heading.push_str(&t),
            Event::SoftBreak | Event::HardBreak => heading.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_)) => {
                rest_from = Some(range.end);
                break;
            }
            Event::Start(Tag::Paragraph | Tag::Heading { .. }) => {}
            Event::Start(_) if heading.is_empty() => {
                // Not a paragraph first (a list, a quote): keep it all as body text.
                return (String::new(), render(text));
            }
            _ => {}
        }
    }
    let rest = rest_from.map_or("", |end| &text[end..]);
    (heading.trim().to_owned(), render(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_and_links_survive() {
        let html = render("Use **bold** and [the guide](https://example.com).\n\n- one\n- two");
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(html.contains("rel=\"noopener noreferrer\""), "{html}");
        assert!(html.contains("<li>one</li>"), "{html}");
    }

    #[test]
    fn script_and_event_handlers_are_removed() {
        let html = render(
            "Hi <script>window.pwned = 1</script><img src=x onerror=\"window.pwned=1\">\n\n\
             [click](javascript:alert(1)) <a href=\"#\" onclick=\"x()\">a</a>",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("onclick"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }

    #[test]
    fn the_first_paragraph_becomes_a_plain_heading() {
        let (heading, rest) = split_heading("Is the **app** up to date?\n\nCheck the store.");
        assert_eq!(heading, "Is the app up to date?");
        assert_eq!(rest.trim(), "<p>Check the store.</p>");
        let (heading, rest) = split_heading("- a list first");
        assert_eq!(heading, "");
        assert!(rest.contains("<li>"), "{rest}");
    }
}
