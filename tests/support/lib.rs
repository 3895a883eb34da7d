//! Shared helpers for the end-to-end and snapshot tests.

use std::path::PathBuf;

use stepwise_engine::{CheckReport, Style};

/// The workspace's root directory.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// The bundled flows.
pub fn flows_dir() -> PathBuf {
    workspace_root().join("flows")
}

/// A check report as `stepwise check` prints it without colour: every diagnostic, then
/// the summary line.
pub fn render(report: &CheckReport) -> String {
    let mut text = String::new();
    for diagnostic in &report.diagnostics {
        text.push_str(&diagnostic.render(Style::Plain));
        text.push('\n');
    }
    text.push_str(&report.summary());
    text.push('\n');
    text
}

/// Set in the process [`in_a_process_of_its_own`] starts, to the test it runs there.
const ALONE: &str = "STEPWISE_TEST_ALONE";

/// For a test that changes what every test of a process shares (the working directory, say):
/// true in a process of the test's own, where it goes on; anywhere else, runs the test alone in
/// a new process of this test binary, fails if it fails there, and returns false.
/// `module` is the test's `module_path!()` and `test` its function's name.
pub fn in_a_process_of_its_own(module: &str, test: &str) -> bool {
    // libtest names a test by its path without the crate.
    let name = match module.split_once("::") {
        Some((_, path)) => format!("{path}::{test}"),
        None => test.to_owned(),
    };
    if std::env::var_os(ALONE).is_some_and(|alone| alone == name.as_str()) {
        return true;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let output = std::process::Command::new(exe)
        .args([&name, "--exact", "--test-threads=1"])
        .env(ALONE, &name)
        .output()
        .unwrap_or_else(|e| panic!("could not run {name} in a process of its own: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    print!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    // A filter that matched nothing would pass too.
    assert!(
        output.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{name} failed in a process of its own ({})",
        output.status
    );
    false
}
