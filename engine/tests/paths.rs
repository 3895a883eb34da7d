//! Path enumeration: every customer path, loops followed once, links ending a path.

use stepwise_engine::Source;
use stepwise_engine::paths;
use stepwise_engine::{Catalog, check_sources};

fn catalog(sources: &[(&str, &str)]) -> Catalog {
    let report = check_sources(
        sources
            .iter()
            .map(|(name, text)| Source::new(*name, *text))
            .collect(),
    );
    assert_eq!(
        report.catalog.len(),
        sources.len(),
        "{:?}",
        report.diagnostics
    );
    report.catalog
}

#[test]
fn every_path_through_a_flow_is_listed_with_its_end() {
    // router links to cabling: a link to a flow not checked with it is an error.
    let flows = catalog(&[
        ("router.ron", include_str!("fixtures/router.ron")),
        ("cabling.ron", include_str!("fixtures/cabling.ron")),
    ]);
    let listing = paths(flows.get("router").unwrap(), 100).to_string();
    assert_eq!(
        listing,
        "\
platform=app → by-platform[platform=app] → restart-app=yes → RESOLVED by restart-app
platform=app → by-platform[platform=app] → restart-app=no → lights=on → unplug=yes → RESOLVED by unplug
platform=app → by-platform[platform=app] → restart-app=no → lights=on → unplug=no → note=next → LINK cabling → flow cabling
platform=app → by-platform[platform=app] → restart-app=no → lights=off → DONE power
platform=web → by-platform[default] → lights=on → unplug=yes → RESOLVED by unplug
platform=web → by-platform[default] → lights=on → unplug=no → note=next → LINK cabling → flow cabling
platform=web → by-platform[default] → lights=off → DONE power
7 paths
"
    );
}

#[test]
fn a_loop_is_followed_once_and_then_left() {
    let flows = catalog(&[(
        "retry.ron",
        r#"Flow(
            id: "retry", title: "Retry", summary: "s", tags: [], start: "ask",
            nodes: {
                "ask": Question(text: "Again?", answers: [
                    (id: "again", label: "Again", goto: "wait"),
                    (id: "stop", label: "Stop", goto: "end"),
                ]),
                "wait": Info(text: "Wait a minute.", next: "ask"),
                "end": Done(text: "Bye."),
            },
        )"#,
    )]);
    let listing = paths(flows.get("retry").unwrap(), 100).to_string();
    assert_eq!(
        listing,
        "\
ask=again → wait=next → ask=stop → DONE end
ask=stop → DONE end
2 paths
"
    );
}

#[test]
fn the_limit_cuts_the_list_short_and_says_so() {
    // router links to cabling: a link to a flow not checked with it is an error.
    let flows = catalog(&[
        ("router.ron", include_str!("fixtures/router.ron")),
        ("cabling.ron", include_str!("fixtures/cabling.ron")),
    ]);
    let listed = paths(flows.get("router").unwrap(), 3);
    assert_eq!(listed.paths.len(), 3);
    assert!(listed.truncated);
    assert!(listed.to_string().ends_with("3 paths (list cut short)\n"));
}
