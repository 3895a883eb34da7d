//! `stepwise test [PATH…]`: runs the scenario files (`<id>.scenarios.ron`) beside the flows,
//! prints a PASS or FAIL line per scenario with a diagnostic for each failure, optionally
//! the coverage, and `N passed, M failed`; exits 1 on any failure.

use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use stepwise_engine::SCENARIO_SUFFIX;
use stepwise_engine::scenario::{self, Coverage, Visit};
use stepwise_engine::{CheckReport, Diagnostic, Flow, Source, Style, check_paths};

use super::{lookup, output};

/// Arguments of `stepwise test`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
A flow's scenarios live beside it: flows/<id>.ron is tested by flows/<id>.scenarios.ron.

Examples:
  stepwise test
  stepwise test flows/deposit-missing-memo.ron
  stepwise test flows --coverage")]
pub struct Args {
    /// Scenario files, flow files (their `<id>.scenarios.ron` is run), or directories of them.
    #[arg(default_value = "flows")]
    paths: Vec<PathBuf>,
    /// Also list, per flow, the nodes and answers no scenario reaches.
    #[arg(long)]
    coverage: bool,
}

/// What the run found, printed as it goes.
#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
    visits: Vec<Visit>,
    /// Flows whose coverage is reported, by id.
    covered: BTreeMap<String, Arc<Flow>>,
    text: String,
}

/// Runs the scenarios and prints the results.
pub fn run(args: &Args) -> ExitCode {
    let style = output::style(std::io::stdout().is_terminal());
    let mut tally = Tally::default();
    let mut problems = false;
    // Each directory is checked once, however many scenario files it holds.
    let mut reports: BTreeMap<PathBuf, CheckReport> = BTreeMap::new();
    let mut files = BTreeSet::new();
    for path in &args.paths {
        match scenario_files(path) {
            Ok(found) => {
                if path.is_dir() {
                    let report = reports
                        .entry(path.clone())
                        .or_insert_with(|| check_paths(std::slice::from_ref(path)));
                    for flow in report.catalog.iter() {
                        tally.covered.insert(flow.id().to_owned(), Arc::clone(flow));
                    }
                }
                files.extend(found);
            }
            Err(message) => {
                output::fail(&message);
                problems = true;
            }
        }
    }
    if files.is_empty() && !problems {
        let paths: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
        output::fail(&format!(
            "no scenario files (`*{SCENARIO_SUFFIX}`) in {}",
            paths.join(", ")
        ));
        problems = true;
    }
    for file in &files {
        let dir = lookup::parent_dir(file);
        let report = reports
            .entry(dir.clone())
            .or_insert_with(|| check_paths(&[dir]));
        run_file(file, report, style, &mut tally);
    }
    if args.coverage {
        let coverage = Coverage::of(tally.covered.values().map(Arc::as_ref), tally.visits.iter());
        // One blank line before it, whether the last result was a line or a diagnostic.
        while tally.text.ends_with("\n\n") {
            tally.text.pop();
        }
        tally.text.push('\n');
        tally.text.push_str(&coverage.to_string());
        tally.text.push('\n');
    }
    tally.text.push_str(&format!(
        "{} passed, {} failed\n",
        tally.passed, tally.failed
    ));
    output::print(&tally.text);
    if tally.failed > 0 || problems {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The scenario files a path names: itself, the one beside a flow file, or those in a
/// directory (sorted).
fn scenario_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    if path.is_dir() {
        let entries = std::fs::read_dir(path)
            .map_err(|e| format!("cannot read the directory `{}`: {e}", path.display()))?;
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with(SCENARIO_SUFFIX))
            })
            .collect();
        found.sort();
        return Ok(found);
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if name.ends_with(SCENARIO_SUFFIX) {
        return if path.is_file() {
            Ok(vec![path.to_path_buf()])
        } else {
            Err(format!("there is no scenario file `{}`", path.display()))
        };
    }
    if let Some(stem) = name.strip_suffix(".ron") {
        let beside = path.with_file_name(format!("{stem}{SCENARIO_SUFFIX}"));
        return if beside.is_file() {
            Ok(vec![beside])
        } else {
            Err(format!(
                "`{}` has no scenarios: write them in `{}`",
                path.display(),
                beside.display()
            ))
        };
    }
    Err(format!(
        "`{}` is neither a directory, a flow file nor a scenario file",
        path.display()
    ))
}

/// Runs one scenario file and adds what it found to the tally.
fn run_file(file: &Path, report: &CheckReport, style: Style, tally: &mut Tally) {
    let parsed = Source::read(file).and_then(|source| scenario::parse(&source));
    let scenarios = match parsed {
        Ok(scenarios) => scenarios,
        Err(d) => {
            tally.failed += 1;
            tally.text.push_str(&format!("FAIL {}\n", file.display()));
            push_diagnostic(&mut tally.text, &d, style);
            return;
        }
    };
    if let Some(flow) = report.catalog.get(&scenarios.flow) {
        tally.covered.insert(flow.id().to_owned(), Arc::clone(flow));
    }
    let runs = match scenario::run(&scenarios, report) {
        Ok(runs) => runs,
        Err(d) => {
            // Every scenario of the file fails with it: show the flow's own errors first.
            tally.failed += scenarios.scenarios.len().max(1);
            tally.text.push_str(&format!(
                "FAIL {}: none of its {} scenarios can run\n",
                scenarios.flow,
                scenarios.scenarios.len()
            ));
            for own in report
                .diagnostics
                .iter()
                .filter(|o| o.is_error() && o.source.stem() == Some(scenarios.flow.as_str()))
            {
                push_diagnostic(&mut tally.text, own, style);
            }
            push_diagnostic(&mut tally.text, &d, style);
            return;
        }
    };
    for run in runs {
        match &run.failure {
            None => {
                tally.passed += 1;
                tally
                    .text
                    .push_str(&format!("PASS {}: {}\n", run.flow, run.name));
            }
            Some(d) => {
                tally.failed += 1;
                tally
                    .text
                    .push_str(&format!("FAIL {}: {}\n", run.flow, run.name));
                push_diagnostic(&mut tally.text, d, style);
            }
        }
        tally.visits.extend(run.visits);
    }
}

fn push_diagnostic(text: &mut String, d: &Diagnostic, style: Style) {
    text.push_str(&d.render(style));
    text.push('\n');
}
