//! `stepwise test`: the bundled flows' scenarios all pass; a fixture with failing scenarios
//! renders each failure at its line (a reviewed snapshot); finding scenario files.

use crate::cli;

use cli::{stderr, stdout, stepwise, stepwise_in, workspace};

const FIXTURES: &str = "server/tests/fixtures/scenarios";

#[test]
fn every_scenario_of_the_bundled_flows_passes_and_covers_every_node_and_answer() {
    let output = stepwise(&["test", "flows", "--coverage"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    assert!(!text.contains("FAIL"), "{text}");
    let flows = std::fs::read_dir(workspace().join("flows"))
        .map(|entries| {
            entries
                .flatten()
                // Flows only: not their scenarios, nor their translations.
                .filter(|e| stepwise_engine::is_flow_file(&e.path()))
                .count()
        })
        .unwrap_or_default();
    assert!(flows >= 15, "expected the bundled flows, found {flows}");
    let complete = text
        .lines()
        .filter(|l| l.starts_with("  ") && l.contains(": all "))
        .count();
    assert_eq!(complete, flows, "every flow is covered completely:\n{text}");
    let summary = text.lines().last().unwrap_or_default();
    assert!(summary.ends_with(" passed, 0 failed"), "{summary}");
}

#[test]
fn failing_scenarios_point_at_the_line_to_blame() {
    let output = stepwise(&["test", FIXTURES, "--coverage"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn a_flow_file_runs_the_scenarios_beside_it() {
    let output = stepwise(&["test", &format!("{FIXTURES}/router.ron")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).ends_with("1 passed, 3 failed\n"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_flow_without_scenarios_is_an_error() {
    let output = stepwise(&["test", &format!("{FIXTURES}/cabling.ron")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("has no scenarios: write them in"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_directory_without_scenarios_is_an_error() {
    let output = stepwise(&["test", "engine/tests/fixtures"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("no scenario files"),
        "{}",
        stderr(&output)
    );
    assert!(stdout(&output).ends_with("0 passed, 0 failed\n"));
}

#[test]
fn scenarios_of_a_flow_with_errors_all_fail_after_its_diagnostics() {
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => panic!("temp dir: {e}"),
    };
    let fixtures = workspace().join(FIXTURES);
    for name in ["router.ron", "cabling.ron", "router.scenarios.ron"] {
        let text = std::fs::read_to_string(fixtures.join(name)).unwrap_or_default();
        // Break the router: an answer leads nowhere.
        let text = text.replace("goto: \"power\"", "goto: \"pwr\"");
        if let Err(e) = std::fs::write(dir.path().join(name), text) {
            panic!("write {name}: {e}");
        }
    }
    let output = stepwise_in(dir.path(), &["test", "."]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains("FAIL router: none of its 4 scenarios can run"),
        "{text}"
    );
    assert!(text.contains("stepwise::unknown-target"), "{text}");
    assert!(text.contains("stepwise::broken-link"), "{text}");
    assert!(text.ends_with("0 passed, 4 failed\n"), "{text}");
}

#[test]
fn help_shows_an_example() {
    let text = stdout(&stepwise(&["test", "--help"]));
    assert!(text.contains("stepwise test flows --coverage"), "{text}");
}
