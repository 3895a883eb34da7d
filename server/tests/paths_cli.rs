//! `stepwise paths`: every path of a bundled flow as a reviewed snapshot, and refusing flows
//! that are missing or fail the checks.

use crate::cli;

use cli::{stderr, stdout, stepwise};

#[test]
fn every_path_of_a_flow_with_a_link() {
    let output = stepwise(&["paths", "deposit-missing-memo"]);
    assert!(output.status.success(), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn every_path_of_a_flow_with_a_branch_on_a_given_fact() {
    let output = stepwise(&["paths", "flows/p2p-dispute.ron"]);
    assert!(output.status.success(), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn the_limit_cuts_the_list_short_and_says_so() {
    let output = stepwise(&["paths", "deposit-missing-memo", "--limit", "2"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.ends_with("2 paths (list cut short)\n"), "{text}");
}

#[test]
fn an_unknown_flow_exits_one_with_the_closest_id() {
    let output = stepwise(&["paths", "deposit-missing-mem"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("did you mean `deposit-missing-memo`?"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_flow_with_errors_exits_one_after_its_diagnostics() {
    let output = stepwise(&["paths", "tests/broken/unknown-target.ron"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("stepwise::unknown-target"), "{err}");
    assert!(err.ends_with("does not pass the checks\n"), "{err}");
    assert!(stdout(&output).is_empty());
}

#[test]
fn help_shows_an_example() {
    let output = stepwise(&["paths", "--help"]);
    assert!(stdout(&output).contains("stepwise paths deposit-missing-memo"));
}
