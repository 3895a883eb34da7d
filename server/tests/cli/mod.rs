//! Running the `stepwise` binary from the command-line tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root, where `flows/` is.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Runs `stepwise` with `args` in `dir`.
pub fn stepwise_in(dir: &Path, args: &[&str]) -> Output {
    match Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .args(args)
        .current_dir(dir)
        .output()
    {
        Ok(output) => output,
        Err(e) => panic!("could not run stepwise: {e}"),
    }
}

/// Runs `stepwise` with `args` in the workspace root.
pub fn stepwise(args: &[&str]) -> Output {
    stepwise_in(&workspace(), args)
}

/// Standard output, as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error, as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
