//! `stepwise diff`: a prepared pair of flow files compared as paths (a reviewed snapshot),
//! git's seven-argument driver form, exit codes, and a real `git diff` using the driver.

use crate::cli;

use std::process::Command;

use cli::{stderr, stdout, stepwise, workspace};

const OLD: &str = "server/tests/fixtures/diff/old.ron";
const NEW: &str = "server/tests/fixtures/diff/new.ron";

#[test]
fn two_versions_compared_as_paths_and_nodes() {
    let output = stepwise(&["diff", OLD, NEW]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn exit_code_is_one_only_when_the_versions_differ() {
    let differ = stepwise(&["diff", "--exit-code", OLD, NEW]);
    assert_eq!(differ.status.code(), Some(1), "{}", stderr(&differ));
    let same = stepwise(&["diff", "--exit-code", OLD, OLD]);
    assert_eq!(same.status.code(), Some(0), "{}", stderr(&same));
    assert!(
        stdout(&same).ends_with("no difference a customer could see\n"),
        "{}",
        stdout(&same)
    );
}

#[test]
fn git_driver_arguments_name_the_file_by_its_path_in_the_repository() {
    let args = [
        "diff",
        "flows/card-declined.ron",
        OLD,
        "1111111",
        "100644",
        NEW,
        "2222222",
        "100644",
    ];
    let output = stepwise(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.starts_with("--- a/flows/card-declined.ron\n+++ b/flows/card-declined.ron\n"),
        "{text}"
    );
    let plain = stdout(&stepwise(&["diff", OLD, NEW]));
    let body = |t: &str| t.lines().skip(2).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&text), body(&plain));
    let mut flagged = vec!["diff", "--git"];
    flagged.extend(&args[1..]);
    assert_eq!(stdout(&stepwise(&flagged)), text);
}

#[test]
fn git_flag_with_the_wrong_number_of_arguments_is_a_usage_error() {
    let output = stepwise(&["diff", "--git", OLD, NEW]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("seven arguments"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_new_file_lists_every_path_as_added() {
    let output = stepwise(&["diff", "/dev/null", NEW]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("flow `card-declined`: new, version "),
        "{text}"
    );
    assert!(text.contains("paths: 0 → 4: 4 added, 0 removed"), "{text}");
}

#[test]
fn a_broken_version_fails_plainly_but_not_as_a_git_driver() {
    let broken = "tests/broken/unknown-target.ron";
    let plain = stepwise(&["diff", OLD, broken]);
    assert_eq!(plain.status.code(), Some(1));
    assert!(
        stderr(&plain).contains("stepwise::unknown-target"),
        "{}",
        stderr(&plain)
    );

    let git = stepwise(&["diff", "x.ron", OLD, "1", "100644", broken, "2", "100644"]);
    assert_eq!(
        git.status.code(),
        Some(0),
        "a driver that fails stops `git diff`"
    );
    let text = stdout(&git);
    assert!(text.contains("stepwise::unknown-target"), "{text}");
    assert!(
        text.contains("[b/x.ron:"),
        "reported under the repository path: {text}"
    );
    assert!(
        text.ends_with("until both versions pass their checks\n"),
        "{text}"
    );
}

#[test]
fn git_diff_shows_paths_through_the_driver() {
    let repo = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => panic!("temp dir: {e}"),
    };
    let git = |args: &[&str]| {
        let output = Command::new("git")
            .args(args)
            .current_dir(repo.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", repo.path())
            .output();
        match output {
            Ok(output) if output.status.success() => output,
            Ok(output) => panic!("git {args:?}: {}", stderr(&output)),
            Err(e) => panic!("git is needed for this test: {e}"),
        }
    };
    let copy = |from: &str| {
        let to = repo.path().join("flows/card-declined.ron");
        if let Err(e) = std::fs::copy(workspace().join(from), to) {
            panic!("copy {from}: {e}");
        }
    };
    let _ = std::fs::create_dir_all(repo.path().join("flows"));
    let _ = std::fs::write(
        repo.path().join(".gitattributes"),
        "flows/*.ron diff=stepwise\n",
    );
    git(&["init", "-q"]);
    let driver = format!("{} diff --git", env!("CARGO_BIN_EXE_stepwise"));
    git(&["config", "diff.stepwise.command", &driver]);
    copy(OLD);
    git(&["add", "."]);
    git(&[
        "-c",
        "user.name=w",
        "-c",
        "user.email=w@example.com",
        "commit",
        "-qm",
        "old",
    ]);
    copy(NEW);
    let text = stdout(&git(&["diff"]));
    let ours = stdout(&stepwise(&[
        "diff",
        "flows/card-declined.ron",
        OLD,
        "0",
        "100644",
        NEW,
        "0",
        "100644",
    ]));
    assert_eq!(text, ours);
}

#[test]
fn help_shows_how_to_set_up_the_git_driver() {
    let text = stdout(&stepwise(&["diff", "--help"]));
    assert!(
        text.contains("git config diff.stepwise.command 'stepwise diff --git'"),
        "{text}"
    );
    assert!(text.contains("flows/*.ron diff=stepwise"), "{text}");
}
