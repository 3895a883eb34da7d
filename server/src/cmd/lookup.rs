//! Finding the flow a command names — a flow id in the flows directory, or the path of a
//! `.ron` file — checked together with its neighbours so links resolve; and explaining,
//! with the checker's diagnostics, why it cannot be had.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use stepwise_engine::{CheckReport, Diagnostic, Flow, check_paths};

use super::output::{fail, print_diagnostics};

/// The flow named by `flow` (an id looked up in `flows`, or a path), with the check report
/// of its directory; or, having said why on standard error, the exit code to leave with.
pub fn checked_flow(flow: &str, flows: &Path) -> Result<(CheckReport, Arc<Flow>), ExitCode> {
    let (dir, id) = locate(flow, flows).map_err(|message| fail(&message))?;
    // The whole directory is checked, so that links to other flows resolve.
    let report = check_paths(std::slice::from_ref(&dir));
    match report.catalog.get(&id) {
        Some(found) => {
            let found = Arc::clone(found);
            Ok((report, found))
        }
        None => Err(not_found(&report, &dir, &id)),
    }
}

/// The directory to check and the id of the flow.
fn locate(flow: &str, flows: &Path) -> Result<(PathBuf, String), String> {
    let given = Path::new(flow);
    let is_path = flow.ends_with(".ron") || flow.contains(['/', '\\']);
    if !is_path {
        if !flows.is_dir() {
            return Err(format!(
                "there is no flows directory `{}` (give one with --flows DIR)",
                flows.display()
            ));
        }
        return Ok((flows.to_path_buf(), flow.to_owned()));
    }
    if !given.is_file() {
        return Err(format!("there is no flow file `{}`", given.display()));
    }
    let id = given
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok((parent_dir(given), id))
}

/// The directory a file is in (`.` for a bare file name).
pub fn parent_dir(file: &Path) -> PathBuf {
    match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Explains why flow `id` is not in the catalog: its own diagnostics, or that it does not
/// exist (with the closest id).
fn not_found(report: &CheckReport, dir: &Path, id: &str) -> ExitCode {
    let own: Vec<&Diagnostic> = report
        .diagnostics
        .iter()
        .filter(|d| d.path().file_stem().is_some_and(|s| s == id))
        .collect();
    if !own.is_empty() {
        print_diagnostics(&own);
        return fail(&format!("flow `{id}` does not pass the checks"));
    }
    // Another file's errors (a broken flow this one links to) can also keep it out.
    let errors: Vec<&Diagnostic> = report.diagnostics.iter().filter(|d| d.is_error()).collect();
    let closest = report
        .catalog
        .iter()
        .map(|f| (strsim::jaro_winkler(f.id(), id), f.id().to_owned()))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let mut message = format!("there is no flow `{id}` in `{}`", dir.display());
    if let Some((_, near)) = closest {
        message.push_str(&format!("; did you mean `{near}`?"));
    } else if !errors.is_empty() {
        print_diagnostics(&errors);
        message.push_str(" that passes the checks");
    }
    fail(&message)
}
