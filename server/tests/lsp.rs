//! `stepwise lsp` driven by pytest-lsp, a third-party LSP client (PyPI), through
//! `lsp/test_lsp.py`: diagnostics with UTF-16 ranges, unsaved edits, cross-file diagnostics,
//! definition, references, rename, completion, hover, quick fixes, symbols, code lenses,
//! and the bad inputs (a malformed message, an unknown method, a document outside any flows
//! directory, a 5 MB document). The script writes every reply as JSON; each is snapshotted
//! here.
//!
//! The client runs in a virtual environment under the target directory (`tests/run` makes
//! it; this test makes it too when it can). Without python3 and its venv module the test
//! skips, unless `STEPWISE_TEST_REQUIRE_PYTHON` is set.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support;

/// Set (to `1`) to fail rather than skip when the Python client cannot be had.
const REQUIRE: &str = "STEPWISE_TEST_REQUIRE_PYTHON";

/// The replies the script writes, one snapshot each.
const REPLIES: &[&str] = &[
    "code_actions",
    "code_lenses",
    "completion",
    "definition",
    "diagnostics_accented_line",
    "diagnostics_cross_file",
    "diagnostics_scenarios_and_translations",
    "diagnostics_unsaved_edit",
    "document_symbols",
    "error_five_megabytes",
    "error_malformed_message",
    "error_outside_flows",
    "error_unknown_method",
    "hostile_input",
    "hover",
    "references_of_a_node",
    "rename_answer",
    "rename_flow",
    "rename_node",
    "rename_taken",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a directory for the flows");
    for entry in std::fs::read_dir(from)
        .expect("the fixture flows")
        .flatten()
    {
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("a fixture copied");
    }
}

#[test]
fn a_third_party_client_gets_every_reply_right() {
    let python = match crate::support::python_venv("lsp-venv", "pytest_lsp", "pytest-lsp>=1,<2") {
        Ok(python) => python,
        Err(why) => {
            support::skip_unless_required(REQUIRE, &why);
            return;
        }
    };
    let work = tempfile::tempdir().expect("a temporary directory");
    let flows = work.path().join("flows");
    let out = work.path().join("out");
    copy_dir(&workspace().join("server/tests/fixtures/lsp/flows"), &flows);
    std::fs::create_dir_all(&out).expect("a directory for the replies");
    let script = workspace().join("server/tests/lsp");
    let run = Command::new(&python)
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "test_lsp.py",
        ])
        .current_dir(&script)
        .env("STEPWISE_BIN", env!("CARGO_BIN_EXE_stepwise"))
        .env("STEPWISE_LSP_FLOWS", &flows)
        .env("STEPWISE_LSP_OUT", &out)
        .output()
        .expect("pytest runs");
    assert!(
        run.status.success(),
        "the client's tests failed:\n{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    for name in REPLIES {
        let reply = std::fs::read_to_string(out.join(format!("{name}.json")))
            .unwrap_or_else(|e| panic!("the script wrote no reply `{name}`: {e}"));
        insta::assert_snapshot!(*name, reply);
    }
    // Every reply written is snapshotted.
    let written = std::fs::read_dir(&out).expect("the replies").count();
    assert_eq!(
        written,
        REPLIES.len(),
        "a reply is written but not snapshotted"
    );
}
