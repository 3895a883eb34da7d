//! `stepwise check [PATH…]`: check flows, print the diagnostics and a summary line, and
//! exit 0 when there are no errors, 1 when there are.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use serde::Serialize;
use stepwise_engine::JsonDiagnostic;
use stepwise_engine::{CheckReport, Settings, check_paths_with};

use super::output;

/// Arguments of `stepwise check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Flow files, or directories of them (their `*.ron` files).
    #[arg(default_value = "flows")]
    paths: Vec<PathBuf>,
    /// The most steps a journey across links may have without a `long-journey` warning,
    /// in place of the `journey_steps` of the directory's `stepwise.ron` (default 10).
    #[arg(long, value_name = "STEPS")]
    journey_steps: Option<usize>,
    /// How to print the diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Snippets with the place underlined; colour on a terminal.
    Human,
    /// One JSON document, for editors and CI.
    Json,
}

/// The JSON document `--format json` prints.
#[derive(Serialize)]
struct JsonReport {
    files: usize,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<JsonDiagnostic>,
}

/// Runs the check and prints the report.
pub fn run(args: &Args) -> ExitCode {
    let settings = args.journey_steps.map(|journey_steps| {
        let (mut settings, _) = Settings::for_paths(&args.paths);
        settings.journey_steps = journey_steps;
        settings
    });
    let report = check_paths_with(&args.paths, settings);
    let text = match args.format {
        Format::Human => human(&report),
        Format::Json => json(&report),
    };
    output::print(&text);
    if report.errors() > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn human(report: &CheckReport) -> String {
    let style = output::style(std::io::stdout().is_terminal());
    let mut text = String::new();
    for diagnostic in &report.diagnostics {
        text.push_str(&diagnostic.render(style));
        text.push('\n');
    }
    text.push_str(&report.summary());
    text.push('\n');
    text
}

fn json(report: &CheckReport) -> String {
    let document = JsonReport {
        files: report.files,
        errors: report.errors(),
        warnings: report.warnings(),
        diagnostics: report.diagnostics.iter().map(|d| d.to_json()).collect(),
    };
    match serde_json::to_string_pretty(&document) {
        Ok(text) => text + "\n",
        // Plain data always serializes; keep the output JSON even so.
        Err(e) => format!("{{\"error\": {:?}}}\n", e.to_string()),
    }
}
