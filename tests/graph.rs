//! Diagrams of the bundled flows: Mermaid and DOT of three flows (between them every node
//! kind) as reviewed snapshots, and the SVG of every flow read back as XML with every node
//! in it under its id.

use stepwise_engine::diagram::{dot, mermaid, svg};
use stepwise_engine::{Catalog, check_paths};
use stepwise_tests::flows_dir;

/// Every node kind appears in at least one of these.
const DRAWN: [&str; 3] = [
    "scam-what-to-do",
    "wallet-password-forgotten",
    "facial-recognition-fails",
];

fn bundled() -> Catalog {
    let report = check_paths(&[flows_dir()]);
    assert!(
        report.catalog.len() >= 15,
        "expected the bundled flows, found {}",
        report.catalog.len()
    );
    report.catalog
}

#[test]
fn bundled_flows_as_mermaid() {
    let catalog = bundled();
    for id in DRAWN {
        let Some(flow) = catalog.get(id) else {
            panic!("no bundled flow {id}");
        };
        insta::assert_snapshot!(format!("mermaid__{id}"), mermaid(flow));
    }
}

#[test]
fn bundled_flows_as_dot() {
    let catalog = bundled();
    for id in DRAWN {
        let Some(flow) = catalog.get(id) else {
            panic!("no bundled flow {id}");
        };
        insta::assert_snapshot!(format!("dot__{id}"), dot(flow));
    }
}

#[test]
fn every_bundled_flow_as_svg_has_every_node_under_its_id() {
    for flow in bundled().iter() {
        let text = svg(flow);
        let doc = match roxmltree::Document::parse(&text) {
            Ok(doc) => doc,
            Err(e) => panic!("{}: the SVG is not XML: {e}", flow.id()),
        };
        for (id, node) in &flow.raw().nodes {
            let wanted = format!("node-{id}");
            let Some(element) = doc
                .descendants()
                .find(|n| n.attribute("id") == Some(wanted.as_str()))
            else {
                panic!("{}: node {id} is not in the SVG", flow.id());
            };
            assert_eq!(element.attribute("data-node"), Some(id.as_str()));
            let kind = format!("kind-{}", node.kind_name());
            let class = element.attribute("class").unwrap_or_default();
            assert!(
                class.split(' ').any(|c| c == kind),
                "{}: {class}",
                flow.id()
            );
        }
        for edge in doc.descendants().filter(|n| {
            n.attribute("class")
                .is_some_and(|c| c.split(' ').any(|c| c == "edge"))
        }) {
            let from = edge.attribute("data-from").unwrap_or_default();
            assert!(flow.node(from).is_some(), "{}: edge from {from}", flow.id());
            if let Some(to) = edge.attribute("data-to") {
                assert!(flow.node(to).is_some(), "{}: edge to {to}", flow.id());
            }
        }
    }
}
