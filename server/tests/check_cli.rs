//! `stepwise check` as a user runs it: exit codes, the summary line, plain text when not
//! on a terminal, and JSON for editors and CI.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SOUND: &str = r#"Flow(
    id: "sound",
    title: "A sound flow",
    summary: "Nothing wrong here.",
    start: "ask",
    nodes: {
        "ask": Question(
            text: "Did it work?",
            answers: [
                (id: "yes", label: "Yes", goto: "done"),
                (id: "no", label: "No", goto: "support"),
            ],
        ),
        "support": Escalate(text: "Contact support."),
        "done": Done(text: "Nothing to fix."),
    },
)
"#;

fn stepwise(args: &[&str], dir: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stepwise"));
    command.args(args).env_remove("NO_COLOR");
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    command.output().expect("stepwise runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A fresh directory holding `flows/sound.ron`.
fn project(name: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("check-cli-{name}"));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("flows")).expect("temp dir");
    std::fs::write(root.join("flows/sound.ron"), SOUND).expect("write flow");
    root
}

fn broken(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/broken")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn sound_flows_exit_zero_with_the_summary_line() {
    let root = project("sound");
    let output = stepwise(&["check", "flows"], Some(&root));
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(stdout(&output), "checked 1 flow: 0 errors, 0 warnings\n");
}

#[test]
fn without_a_path_the_flows_directory_is_checked() {
    let root = project("default");
    let output = stepwise(&["check"], Some(&root));
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(stdout(&output), "checked 1 flow: 0 errors, 0 warnings\n");
}

#[test]
fn errors_exit_one_after_the_diagnostics() {
    let output = stepwise(&["check", &broken("unknown-target.ron")], None);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("stepwise::unknown-target"), "{text}");
    assert!(text.contains("did you mean `resend-code`?"), "{text}");
    assert!(
        text.ends_with("checked 1 flow: 2 errors, 0 warnings\n"),
        "{text}"
    );
}

#[test]
fn warnings_alone_exit_zero() {
    let output = stepwise(&["check", &broken("one-answer.ron")], None);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).ends_with("checked 1 flow: 0 errors, 1 warning\n"));
}

#[test]
fn the_journey_limit_comes_from_the_directory_and_the_flag_overrides_it() {
    // The case's stepwise.ron accepts 4 steps; its login journey has 6.
    let case = broken("long-journey");
    let output = stepwise(&["check", &case], None);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("up to 6 steps (more than 4)"), "{text}");
    let output = stepwise(&["check", &case, "--journey-steps", "6"], None);
    assert_eq!(stdout(&output), "checked 3 flows: 0 errors, 0 warnings\n");
    // Without settings the default, 10, applies.
    let root = project("journey-default");
    for file in ["login.ron", "sms-code.ron", "face-check.ron"] {
        std::fs::copy(Path::new(&case).join(file), root.join("flows").join(file))
            .expect("copy flow");
    }
    let output = stepwise(&["check", "flows"], Some(&root));
    assert_eq!(stdout(&output), "checked 4 flows: 0 errors, 0 warnings\n");
    let output = stepwise(&["check", "flows", "--journey-steps", "5"], Some(&root));
    assert!(stdout(&output).contains("stepwise::long-journey"));
}

#[test]
fn a_settings_file_that_does_not_parse_is_reported_and_the_defaults_apply() {
    let root = project("bad-settings");
    std::fs::write(root.join("flows/stepwise.ron"), "Settings(journey_step: 3)").expect("write");
    let output = stepwise(&["check", "flows"], Some(&root));
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("stepwise::unknown-field"), "{text}");
    assert!(text.contains("stepwise.ron"), "{text}");
    assert!(
        text.ends_with("checked 1 flow: 1 error, 0 warnings\n"),
        "{text}"
    );
}

#[test]
fn every_file_is_reported_in_one_run() {
    let root = project("many");
    let sound = root.join("flows/sound.ron").display().to_string();
    let output = stepwise(
        &[
            "check",
            &broken("syntax.ron"),
            &sound,
            &broken("trap.ron"),
            "missing.ron",
        ],
        Some(&root),
    );
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    for code in ["syntax", "trap", "unreadable"] {
        assert!(
            text.contains(&format!("stepwise::{code}")),
            "{code}: {text}"
        );
    }
    assert!(
        text.ends_with("checked 4 flows: 3 errors, 0 warnings\n"),
        "{text}"
    );
}

#[test]
fn output_to_a_pipe_has_no_colour() {
    let output = stepwise(&["check", &broken("trap.ron")], None);
    assert!(!stdout(&output).contains('\u{1b}'));
}

#[test]
fn usage_errors_exit_two() {
    for args in [
        &["check", "--format", "yaml"][..],
        &["check", "--bogus"],
        &["no-such-command"],
        &[],
    ] {
        let output = stepwise(args, None);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn json_output_is_one_document_with_places() {
    let output = stepwise(
        &["check", "--format", "json", &broken("missing-start.ron")],
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(json["files"], 1);
    assert_eq!(json["errors"], 1);
    assert_eq!(json["warnings"], 0);
    let d = &json["diagnostics"][0];
    assert_eq!(d["code"], "missing-start");
    assert_eq!(d["severity"], "error");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(5), Some(12))
    );
    assert_eq!(d["help"], "did you mean `ask`?");
    assert!(
        d["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("missing-start.ron"))
    );
}

/// `asks.ron` records the platform and links to `by-platform.ron`, which branches on it;
/// `broken.ron` beside them has errors of its own.
fn linked_project(name: &str) -> PathBuf {
    let root = project(name);
    let flows = root.join("flows");
    std::fs::write(
        flows.join("asks.ron"),
        r#"Flow(id: "asks", title: "Asks", summary: "Asks the platform.", start: "which",
    nodes: {
        "which": Question(text: "Which?", fact: "platform", answers: [
            (id: "web", label: "Web", goto: "go"),
            (id: "app", label: "App", goto: "go"),
        ]),
        "go": Link(flow: "by-platform"),
    })
"#,
    )
    .expect("write flow");
    std::fs::write(
        flows.join("by-platform.ron"),
        r#"Flow(id: "by-platform", title: "By platform", summary: "Branches on it.", start: "b",
    nodes: {
        "b": Branch(fact: "platform", cases: {"web": "web"}, default: "app"),
        "web": Done(text: "Web."),
        "app": Done(text: "App."),
    })
"#,
    )
    .expect("write flow");
    std::fs::write(flows.join("broken.ron"), "Flow(id: \"broken\"").expect("write flow");
    root
}

#[test]
fn a_file_named_alone_is_checked_in_the_context_of_its_directory() {
    let root = linked_project("context");
    // Its link reaches the flow beside it, and the fact that flow branches on is set here.
    for (file, dir) in [
        ("flows/asks.ron", root.as_path()),
        ("flows/by-platform.ron", root.as_path()),
        ("by-platform.ron", root.join("flows").as_path()),
    ] {
        let output = stepwise(&["check", file], Some(dir));
        assert_eq!(
            stdout(&output),
            "checked 1 flow: 0 errors, 0 warnings\n",
            "{file}"
        );
        assert_eq!(output.status.code(), Some(0), "{file}");
    }
    // The broken flow beside them is reported when it is named, and with the directory.
    let output = stepwise(&["check", "flows/broken.ron"], Some(&root));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("broken.ron"),
        "{}",
        stdout(&output)
    );
    assert!(
        stdout(&output).ends_with("checked 1 flow: 1 error, 0 warnings\n"),
        "{}",
        stdout(&output)
    );
    let output = stepwise(&["check", "flows"], Some(&root));
    assert!(
        stdout(&output).ends_with("checked 4 flows: 1 error, 0 warnings\n"),
        "{}",
        stdout(&output)
    );
}
