//! Every path of every bundled flow, as reviewed snapshots: changing a flow shows up in review
//! as a diff of customer paths.

use stepwise_engine::check_paths;
use stepwise_engine::paths;
use stepwise_tests::flows_dir;

/// Far more than any bundled flow has; a flow that reaches it should be split.
const PATH_LIMIT: usize = 5_000;

#[test]
fn every_path_of_every_bundled_flow() {
    let report = check_paths(&[flows_dir()]);
    assert!(
        report.catalog.len() >= 15,
        "expected the bundled flows, found {}",
        report.catalog.len()
    );
    for flow in report.catalog.iter() {
        let listed = paths(flow, PATH_LIMIT);
        assert!(!listed.truncated, "{} has too many paths", flow.id());
        insta::assert_snapshot!(
            flow.id(),
            format!("{} — {}\n\n{listed}", flow.id(), flow.title())
        );
    }
}
