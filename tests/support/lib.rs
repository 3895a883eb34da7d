//! Shared helpers for the end-to-end and snapshot tests.

use std::path::PathBuf;

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
