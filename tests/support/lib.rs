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
