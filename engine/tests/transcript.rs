//! The Markdown transcript holds what customers typed as text: rendered by a CommonMark
//! renderer (pulldown-cmark), it has no HTML, no links, and exactly the sections the engine
//! wrote, and every value comes back whole.

use std::collections::BTreeMap;

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Parser, Tag, TagEnd};
use stepwise_engine::{Catalog, Source, Walk, check_sources};

/// What a customer might type, to break out of a transcript or into a helpdesk's page.
const HOSTILE: &[&str] = &[
    "<script>alert(1)</script>",
    "[click me](javascript:alert(3))",
    "…\n\n## Reference\n\nSW-FAKE0001",
    "<img src=x onerror=alert(2)>",
    "![tracker](https://evil.example/p.png)",
    "<https://evil.example/login>",
    "[support]\n\n[support]: javascript:alert(4)",
    "```\n# Not a heading\n```",
    "` `` ```` `",
    "`starts and ends with a backtick`",
    "- a forged item\n- **and another**",
    "first line\r## after a carriage return",
    "first\n    indented four\n\n</details><script>alert(5)</script>",
    "<!-- a comment -->",
    "&lt;b&gt; stays an entity",
    "trailing backslash \\",
    "\u{202e}gnp.exe \u{200b}zero width\u{feff}",
];

fn flow_source() -> String {
    let collect: Vec<String> = (0..HOSTILE.len())
        .map(|i| format!("(id: \"d{i:02}\", label: \"Detail {i}\", max_len: 500, optional: true)"))
        .collect();
    format!(
        r#"Flow(
    id: "hostile",
    title: "A ticket with customer text",
    summary: "Every detail is something a customer typed.",
    tags: ["test"],
    inputs: ["note"],
    start: "ask",
    nodes: {{
        "ask": Question(
            text: "Did it work?",
            answers: [
                (id: "no", label: "No", goto: "support"),
                (id: "yes", label: "Yes", goto: "fine"),
            ],
        ),
        "fine": Resolved(text: "Good."),
        "support": Escalate(text: "Contact support.", collect: [{}]),
    }},
)"#,
        collect.join(", ")
    )
}

fn escalated_transcript(fact: &str) -> String {
    let report = check_sources(vec![Source::new("hostile.ron", flow_source())]);
    // The `note` input is read by nothing: a warning, which is beside the point here.
    assert!(
        !report.diagnostics.iter().any(|d| d.is_error()),
        "{:?}",
        report.diagnostics
    );
    let flows: Catalog = report.catalog;
    let facts = BTreeMap::from([("note".to_owned(), fact.to_owned())]);
    let (mut walk, _) = Walk::start(&flows, "hostile", facts).unwrap();
    walk.answer(&flows, "no").unwrap();
    let details = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, value)| (format!("d{i:02}"), (*value).to_owned()))
        .collect();
    walk.submit_details(&flows, details).unwrap();
    walk.transcript(&flows).unwrap().to_string()
}

/// What a renderer made of a transcript.
#[derive(Default)]
struct Rendered {
    headings: Vec<(HeadingLevel, String)>,
    /// The text of every code span and code block.
    literals: Vec<String>,
    html: Vec<String>,
    links: Vec<String>,
}

fn render(markdown: &str) -> Rendered {
    let mut out = Rendered::default();
    let mut heading: Option<(HeadingLevel, String)> = None;
    let mut block: Option<String> = None;
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => heading = Some((level, String::new())),
            Event::End(TagEnd::Heading(_)) => out.headings.extend(heading.take()),
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(_))) => block = Some(String::new()),
            Event::Start(Tag::CodeBlock(CodeBlockKind::Indented)) => out
                .html
                .push("an indented code block the engine never writes".into()),
            Event::End(TagEnd::CodeBlock) => out.literals.extend(block.take()),
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                out.links.push(dest_url.into_string())
            }
            Event::Html(html) | Event::InlineHtml(html) => out.html.push(html.into_string()),
            Event::Code(code) => {
                if let Some((_, text)) = &mut heading {
                    text.push_str(&code);
                }
                out.literals.push(code.into_string());
            }
            Event::Text(text) => {
                if let Some(block) = &mut block {
                    block.push_str(&text);
                } else if let Some((_, heading)) = &mut heading {
                    heading.push_str(&text);
                }
            }
            _ => {}
        }
    }
    out
}

/// A value as a renderer gives it back: a fenced block ends each line with a newline.
fn as_rendered(value: &str) -> String {
    if value.contains(['\n', '\r']) {
        let mut lines: String = value
            .split('\n')
            .flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'))
            .collect::<Vec<_>>()
            .join("\n");
        lines.push('\n');
        lines
    } else {
        value.to_owned()
    }
}

#[test]
fn hostile_details_render_as_text_in_exactly_the_engines_sections() {
    for fact in ["web", "<b>bold</b>\n\n## Facts", "[x](javascript:alert(6))"] {
        let markdown = escalated_transcript(fact);
        let rendered = render(&markdown);
        let headings: Vec<_> = rendered
            .headings
            .iter()
            .map(|(level, text)| format!("{level:?} {text}"))
            .collect();
        assert_eq!(
            headings,
            [
                "H1 A ticket with customer text",
                "H2 Steps",
                "H2 Now",
                "H2 Details for support"
            ],
            "{markdown}"
        );
        assert!(rendered.html.is_empty(), "{:?}\n{markdown}", rendered.html);
        assert!(
            rendered.links.is_empty(),
            "{:?}\n{markdown}",
            rendered.links
        );
        for value in HOSTILE.iter().copied().chain([fact]) {
            // The engine trims what customers type, at both ends only.
            let whole = as_rendered(value.trim());
            assert!(
                rendered.literals.contains(&whole),
                "{value:?} is not whole in {:?}\n{markdown}",
                rendered.literals
            );
        }
    }
}

#[test]
fn hostile_details() {
    insta::assert_snapshot!(escalated_transcript("<b>bold</b>\n\n## Facts"));
}
