//! `stepwise lsp`: the language server for flow files, on stdin and stdout. Editors start
//! it; see README "Editors" for each one's settings.

use std::process::ExitCode;

use super::output;

/// Arguments of `stepwise lsp`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Speaks the Language Server Protocol on stdin and stdout; an editor starts it. It checks the
flows directory of each open `*.ron` file (a flow, its `.scenarios.ron` or a translation)
with the unsaved text of open files, as `stepwise check` and `stepwise test` would.")]
pub struct Args {
    /// Accepted for editors that pass it; stdio is the only transport.
    #[arg(long)]
    stdio: bool,
}

/// Serves one editor until it says `exit` or closes stdin.
pub fn run(_args: &Args) -> ExitCode {
    match stepwise_lsp::run_stdio() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            output::fail(&format!("the language server stopped: {e}"));
            ExitCode::FAILURE
        }
    }
}
