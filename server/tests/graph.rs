//! `stepwise graph`: finding the flow by id or path, the three formats, and refusing flows
//! that fail the checks.

use crate::cli;

use cli::{stderr, stdout, stepwise};

const FIXTURES: &str = "engine/tests/fixtures";

#[test]
fn a_flow_found_by_id_is_drawn_in_each_format() {
    let mermaid = stepwise(&["graph", "router", "--flows", FIXTURES]);
    assert!(mermaid.status.success(), "{}", stderr(&mermaid));
    assert!(stdout(&mermaid).starts_with("%% router: My router is down\nflowchart TD\n"));

    let dot = stepwise(&["graph", "router", "--flows", FIXTURES, "--format", "dot"]);
    assert!(dot.status.success(), "{}", stderr(&dot));
    assert!(stdout(&dot).starts_with("digraph \"router\" {"));

    let svg = stepwise(&["graph", "router", "--flows", FIXTURES, "--format", "svg"]);
    assert!(svg.status.success(), "{}", stderr(&svg));
    let svg = stdout(&svg);
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.contains("id=\"node-lights\""));
}

#[test]
fn a_flow_file_given_by_path_is_drawn() {
    let output = stepwise(&[
        "graph",
        "engine/tests/fixtures/cabling.ron",
        "--format",
        "dot",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).starts_with("digraph \"cabling\" {"));
}

#[test]
fn a_flow_that_fails_the_checks_is_not_drawn() {
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => panic!("no temporary directory: {e}"),
    };
    let file = dir.path().join("broken.ron");
    let text =
        r#"Flow(id: "broken", title: "Broken", start: "a", nodes: { "a": Oops(text: "x") })"#;
    if let Err(e) = std::fs::write(&file, text) {
        panic!("could not write {}: {e}", file.display());
    }
    let path = file.to_string_lossy().into_owned();
    let output = stepwise(&["graph", &path]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).is_empty(), "nothing is drawn");
    let err = stderr(&output);
    assert!(err.contains("broken.ron"), "{err}");
    assert!(err.contains("Oops"), "the diagnostic is shown: {err}");
    assert!(
        err.contains("flow `broken` does not pass the checks"),
        "{err}"
    );
}

#[test]
fn an_unknown_flow_suggests_the_closest_id() {
    let output = stepwise(&["graph", "ruter", "--flows", FIXTURES]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).is_empty());
    assert!(
        stderr(&output).contains("there is no flow `ruter`")
            && stderr(&output).contains("did you mean `router`?"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_missing_flow_file_or_directory_is_reported() {
    let output = stepwise(&["graph", "missing.ron"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("there is no flow file `missing.ron`"));

    let output = stepwise(&["graph", "router", "--flows", "no/such/dir"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("there is no flows directory `no/such/dir`"));
}

#[test]
fn an_unknown_format_is_a_usage_error() {
    let output = stepwise(&["graph", "router", "--flows", FIXTURES, "--format", "png"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("possible values: mermaid, dot, svg"));
}

#[test]
fn help_shows_an_example() {
    let output = stepwise(&["graph", "--help"]);
    assert!(output.status.success());
    let help = stdout(&output);
    assert!(help.contains("Examples:"), "{help}");
    assert!(
        help.contains("stepwise graph withdrawal-not-received"),
        "{help}"
    );
    assert!(help.contains("--format <FORMAT>"), "{help}");
}
