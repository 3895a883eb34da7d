//! Diagrams: Mermaid and DOT text kept as reviewed snapshots, and the SVG read back as XML to
//! check that every node and edge is there with the ids a web page looks for.

use std::collections::HashSet;

use stepwise_engine::Node;
use stepwise_engine::Source;
use stepwise_engine::diagram::{dot, mermaid, svg};
use stepwise_engine::{Flow, check_sources};

/// Odd ids, Markdown, quotes, brackets, `#`, `<`, backslashes and newlines everywhere a
/// writer may put them, and a loop back to an earlier question.
const AWKWARD: &str = r##"Flow(
    id: "awkward",
    title: "Quotes \"and\" <tags> & #hashes",
    start: "ask",
    nodes: {
        "ask": Question(
            text: "Is the **\"screen\"** showing [an error](https://example.com) like `#42` or a < b?\nSecond line.",
            answers: [
                (id: "yes", label: "Yes | it says \"fail\" [red]", goto: "a-b"),
                (id: "no", label: "No, nothing at all is shown on the screen, even after a restart", goto: "a_b"),
            ],
        ),
        "a-b": Remedy(text: "Hold C:\\Power\\N for {10} seconds.\n\n# Then", otherwise: "end"),
        "a_b": Info(text: "> Quoted tip with a\nline break", next: "end"),
        "end": Question(
            text: "Try again?",
            answers: [
                (id: "again", label: "Again", goto: "ask"),
                (id: "stop", label: "Stop", goto: "over"),
            ],
        ),
        "over": Escalate(text: "Call us & say \"help\".", collect: [(id: "tx#id", label: "TxID")]),
    },
)"##;

const ROUTER: &str = include_str!("fixtures/router.ron");
const CABLING: &str = include_str!("fixtures/cabling.ron");

/// The fixtures, checked together so that router's link to cabling resolves.
fn fixtures() -> Vec<Flow> {
    let sources = [
        ("router", ROUTER),
        ("cabling", CABLING),
        ("awkward", AWKWARD),
    ];
    let report = check_sources(
        sources
            .iter()
            .map(|(name, text)| Source::new(format!("{name}.ron"), *text))
            .collect(),
    );
    sources
        .iter()
        .map(|(name, _)| match report.catalog.get(name) {
            Some(flow) => (**flow).clone(),
            None => panic!("{name} did not load: {:?}", report.diagnostics),
        })
        .collect()
}

fn fixture(name: &str) -> Flow {
    match fixtures().into_iter().find(|f| f.id() == name) {
        Some(flow) => flow,
        None => panic!("no fixture {name}"),
    }
}

#[test]
fn mermaid_draws_each_kind_and_labels_each_answer() {
    for flow in fixtures() {
        insta::assert_snapshot!(format!("mermaid_{}", flow.id()), mermaid(&flow));
    }
}

#[test]
fn dot_draws_each_kind_and_labels_each_answer() {
    for flow in fixtures() {
        insta::assert_snapshot!(format!("dot_{}", flow.id()), dot(&flow));
    }
}

#[test]
fn mermaid_labels_cannot_break_out_of_their_quotes() {
    let text = mermaid(&fixture("awkward"));
    let labelled = text.lines().filter(|l| l.contains('"'));
    for line in labelled.filter(|l| !l.trim_start().starts_with("%%")) {
        // Inside a label, quotes, `#` and `<` only appear as our own entity codes and tags.
        let without_codes = line
            .replace("#quot;", "")
            .replace("#35;", "")
            .replace("#lt;", "")
            .replace("#gt;", "")
            .replace("#amp;", "")
            .replace("#124;", "")
            .replace("#96;", "")
            .replace("<b>", "")
            .replace("</b>", "")
            .replace("<br/>", "");
        assert!(!without_codes.contains('#'), "{line}");
        assert!(!without_codes.contains('<'), "{line}");
        assert_eq!(without_codes.matches('"').count() % 2, 0, "{line}");
    }
    assert!(text.contains("#quot;screen#quot;"));
}

#[test]
fn dot_strings_escape_quotes_and_backslashes() {
    let text = dot(&fixture("awkward"));
    assert!(text.contains(r#"Hold C:\\Power\\N for {10}"#), "{text}");
    assert!(text.contains(r#"Yes | it says \"fail\" [red]"#));
    for line in text.lines() {
        let unescaped = line.replace("\\\\", "").replace("\\\"", "");
        assert_eq!(unescaped.matches('"').count() % 2, 0, "{line}");
    }
}

/// Every node of the flow is an element with its id, kind and data attribute; every remedy
/// has its solved end; every edge names nodes that exist.
fn assert_svg_has_every_node_and_edge(flow: &Flow) {
    let text = svg(flow);
    let doc = match roxmltree::Document::parse(&text) {
        Ok(doc) => doc,
        Err(e) => panic!("{} is not XML: {e}\n{text}", flow.id()),
    };
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("data-flow"), Some(flow.id()));
    let nodes: Vec<_> = doc
        .descendants()
        .filter(|n| n.attribute("class").is_some_and(|c| c.starts_with("node ")))
        .collect();
    let mut expected_edges = 0;
    for (id, node) in &flow.raw().nodes {
        let element = doc
            .descendants()
            .find(|n| n.attribute("id") == Some(format!("node-{id}").as_str()));
        let Some(element) = element else {
            panic!("{}: no element for node {id}", flow.id());
        };
        assert_eq!(element.tag_name().name(), "g");
        assert_eq!(element.attribute("data-node"), Some(id.as_str()));
        assert_eq!(element.attribute("data-kind"), Some(node.kind_name()));
        let class = element.attribute("class").unwrap_or_default();
        assert!(
            class.contains(&format!("kind-{}", node.kind_name())),
            "{class}"
        );
        assert_eq!(class.contains("start"), id == flow.start(), "{id}: {class}");
        if matches!(node, Node::Remedy { .. }) {
            let solved = format!("solved-{id}");
            assert!(
                nodes
                    .iter()
                    .any(|n| n.attribute("id") == Some(solved.as_str())),
                "{}: no solved end for remedy {id}",
                flow.id()
            );
            expected_edges += 1;
        }
        expected_edges += node.targets().len();
    }
    let remedies = flow
        .raw()
        .nodes
        .values()
        .filter(|n| matches!(n, Node::Remedy { .. }))
        .count();
    assert_eq!(nodes.len(), flow.raw().nodes.len() + remedies);

    let edges: Vec<_> = doc
        .descendants()
        .filter(|n| {
            n.attribute("class")
                .is_some_and(|c| c.split(' ').any(|c| c == "edge"))
        })
        .collect();
    assert_eq!(edges.len(), expected_edges, "{}", flow.id());
    let ids: HashSet<&str> = flow.raw().nodes.keys().map(String::as_str).collect();
    for edge in edges {
        let from = edge.attribute("data-from").unwrap_or_default();
        assert!(ids.contains(from), "edge from unknown node {from}");
        assert!(edge.attribute("data-choice").is_some());
        match edge.attribute("data-to") {
            Some(to) => assert!(ids.contains(to), "edge to unknown node {to}"),
            None => assert!(
                edge.attribute("class")
                    .unwrap_or_default()
                    .contains("edge-solved")
            ),
        }
        assert!(edge.children().any(|c| c.tag_name().name() == "path"));
    }
}

#[test]
fn svg_has_every_node_with_its_id_and_every_edge() {
    for flow in fixtures() {
        assert_svg_has_every_node_and_edge(&flow);
    }
}

#[test]
fn svg_escapes_text_and_ids() {
    let text = svg(&fixture("awkward"));
    assert!(text.contains("<title>Quotes &quot;and&quot; &lt;tags&gt; &amp; #hashes</title>"));
    assert!(text.contains("like #42 or a &lt; b?"), "{text}");
}

#[test]
fn diagrams_are_the_same_every_time() {
    let flow = fixture("router");
    assert_eq!(svg(&flow), svg(&flow));
    assert_eq!(dot(&flow), dot(&flow));
}
