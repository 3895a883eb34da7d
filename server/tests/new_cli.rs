//! `stepwise new`: the template passes `stepwise check` with no errors, a `placeholder-text`
//! warning on each text still to rewrite, and its scenarios pass; existing files and invalid
//! ids are refused.

use crate::cli;

use cli::{stderr, stdout, stepwise_in as stepwise};

fn temp() -> tempfile::TempDir {
    match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => panic!("temp dir: {e}"),
    }
}

#[test]
fn a_new_flow_has_no_errors_its_placeholders_are_warned_about_and_its_scenarios_pass() {
    let dir = temp();
    let output = stepwise(dir.path(), &["new", "card-declined"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(dir.path().join("flows/card-declined.ron").is_file());
    assert!(
        dir.path()
            .join("flows/card-declined.scenarios.ron")
            .is_file()
    );

    let check = stepwise(dir.path(), &["check"]);
    let text = stdout(&check);
    assert!(
        text.ends_with("checked 1 flow: 0 errors, 5 warnings\n"),
        "{text}"
    );
    assert_eq!(
        text.matches("stepwise::placeholder-text").count(),
        5,
        "{text}"
    );
    assert!(check.status.success());

    // Rewritten, it passes clean.
    let file = dir.path().join("flows/card-declined.ron");
    let mut flow = std::fs::read_to_string(&file).unwrap();
    for placeholder in stepwise_engine::placeholder::ALL {
        flow = flow.replace(placeholder, "Words for a customer.");
    }
    std::fs::write(&file, flow).unwrap();
    let check = stepwise(dir.path(), &["check"]);
    assert_eq!(stdout(&check), "checked 1 flow: 0 errors, 0 warnings\n");

    let test = stepwise(dir.path(), &["test", "--coverage"]);
    let text = stdout(&test);
    assert!(test.status.success(), "{text}");
    assert!(
        text.contains("card-declined: all 4 nodes and 4 answers"),
        "{text}"
    );
    assert!(text.ends_with("3 passed, 0 failed\n"), "{text}");
}

#[test]
fn another_directory_can_be_given() {
    let dir = temp();
    let output = stepwise(dir.path(), &["new", "x1", "--flows", "content/flows"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(dir.path().join("content/flows/x1.ron").is_file());
}

#[test]
fn an_existing_flow_is_never_overwritten() {
    let dir = temp();
    let flows = dir.path().join("flows");
    let _ = std::fs::create_dir_all(&flows);
    let _ = std::fs::write(flows.join("card-declined.ron"), "mine");
    let output = stepwise(dir.path(), &["new", "card-declined"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("already exists"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read_to_string(flows.join("card-declined.ron")).unwrap_or_default(),
        "mine"
    );
    assert!(!flows.join("card-declined.scenarios.ron").exists());
}

#[test]
fn an_invalid_id_is_refused_and_nothing_is_written() {
    let dir = temp();
    for id in ["Card_Declined", "card--declined", "../escape"] {
        let output = stepwise(dir.path(), &["new", id]);
        assert_eq!(output.status.code(), Some(1), "{id}");
        assert!(
            stderr(&output).contains("cannot be a flow id"),
            "{}",
            stderr(&output)
        );
    }
    assert!(!dir.path().join("flows").exists());
}
