//! `stepwise play` with answers piped on standard input: the session as a reviewed snapshot,
//! back, restart, facts, details re-asked until valid, and a clean end at end of input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Runs `stepwise play` with `input` piped in.
fn play(args: &[&str], input: &str) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .arg("play")
        .args(args)
        .current_dir(workspace())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => panic!("could not run stepwise: {e}"),
    };
    if let Some(mut stdin) = child.stdin.take() {
        // The session may end before reading everything; a closed pipe is fine then.
        let _ = stdin.write_all(input.as_bytes());
    }
    match child.wait_with_output() {
        Ok(output) => output,
        Err(e) => panic!("stepwise did not finish: {e}"),
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const FIXTURES: &str = "engine/tests/fixtures";

#[test]
fn a_walk_to_an_escalation_with_details_re_asked_until_valid() {
    // A typo, back, numbers and ids, Enter at an info step, and a serial number too long
    // for the escalation, given again.
    let input = "web\nmaybe\nb\n2\non\n2\n\nyes\nSN-2026-0042-XL\n\nSN-42\n";
    let output = play(&["router", "--flows", FIXTURES], input);
    assert!(output.status.success(), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn a_given_fact_skips_its_question() {
    let output = play(
        &["router", "--flows", FIXTURES, "--fact", "platform=app"],
        "1\n",
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("[restart-app] try this"), "{text}");
    assert!(!text.contains("[platform] question"), "{text}");
    assert!(
        text.contains("Resolved by the remedy `restart-app`."),
        "{text}"
    );
    assert!(
        text.contains("- Facts given:\n  - `platform`: `app`\n"),
        "{text}"
    );
}

#[test]
fn restart_goes_back_to_the_first_step() {
    let output = play(&["router", "--flows", FIXTURES], "web\nr\napp\nyes\n");
    let text = stdout(&output);
    assert_eq!(text.matches("[platform] question").count(), 2, "{text}");
    assert!(text.contains("- Status: resolved"), "{text}");
}

#[test]
fn end_of_input_quits_with_the_transcript_so_far() {
    let output = play(&["deposit-missing-memo"], "1\n");
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("[why-memo] info"), "{text}");
    assert!(text.contains("- Status: active"), "{text}");
    assert!(text.contains("Waiting at: Some coins"), "{text}");
}

#[test]
fn q_quits_at_once() {
    let output = play(&["deposit-missing-memo"], "q\n1\n");
    let text = stdout(&output);
    assert!(!text.contains("[why-memo]"), "{text}");
    assert!(text.contains("## Now"), "{text}");
}

#[test]
fn a_fact_without_a_value_is_a_usage_error() {
    let output = play(&["deposit-missing-memo", "--fact", "platform"], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("is not `name=value`"),
        "{}",
        stderr(&output)
    );
}
