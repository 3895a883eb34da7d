//! `stepwise graph FLOW`: a diagram of one checked flow, as Mermaid, Graphviz DOT or SVG, on
//! standard output.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;
use stepwise_engine::{CheckReport, Diagnostic, Style, check_paths, diagram};

/// Arguments of `stepwise graph`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  stepwise graph withdrawal-not-received
  stepwise graph flows/deposit-missing-memo.ron --format dot | dot -Tpng > memo.png
  stepwise graph p2p-dispute --format svg > p2p-dispute.svg")]
pub struct Args {
    /// A flow id, looked up in the flows directory, or the path to a `.ron` file.
    flow: String,
    /// What to draw.
    #[arg(long, value_enum, default_value_t = Format::Mermaid)]
    format: Format,
    /// The directory of flows a flow id is looked up in.
    #[arg(long, value_name = "DIR", default_value = "flows")]
    flows: PathBuf,
}

/// Diagram formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A Mermaid flowchart, for Markdown docs.
    Mermaid,
    /// Graphviz DOT, for `dot` and other tools.
    Dot,
    /// A standalone SVG picture, laid out without Graphviz.
    Svg,
}

/// Draws the flow, or prints why it cannot.
pub fn run(args: &Args) -> ExitCode {
    let (dir, id) = match locate(args) {
        Ok(found) => found,
        Err(message) => return fail(&message),
    };
    // The whole directory is checked, so that links to other flows resolve.
    let report = check_paths(std::slice::from_ref(&dir));
    let Some(flow) = report.catalog.get(&id) else {
        return not_drawn(&report, &dir, &id);
    };
    let text = match args.format {
        Format::Mermaid => diagram::mermaid(flow),
        Format::Dot => diagram::dot(flow),
        Format::Svg => diagram::svg(flow),
    };
    let mut out = std::io::stdout().lock();
    // A closed pipe (`stepwise graph x | head`) is not worth a panic.
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    ExitCode::SUCCESS
}

/// The directory to check and the id of the flow to draw.
fn locate(args: &Args) -> Result<(PathBuf, String), String> {
    let given = Path::new(&args.flow);
    let is_path = args.flow.ends_with(".ron") || args.flow.contains(['/', '\\']);
    if !is_path {
        if !args.flows.is_dir() {
            return Err(format!(
                "there is no flows directory `{}` (give one with --flows DIR)",
                args.flows.display()
            ));
        }
        return Ok((args.flows.clone(), args.flow.clone()));
    }
    if !given.is_file() {
        return Err(format!("there is no flow file `{}`", given.display()));
    }
    let id = given
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = match given.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, id))
}

/// Explains why flow `id` is not in the catalog: its own diagnostics, or that it does not
/// exist (with the closest id).
fn not_drawn(report: &CheckReport, dir: &Path, id: &str) -> ExitCode {
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

/// Prints diagnostics on standard error, as `stepwise check` does.
fn print_diagnostics(diagnostics: &[&Diagnostic]) {
    // https://no-color.org: a non-empty NO_COLOR turns colour off.
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let colour = std::io::stderr().is_terminal() && !no_color;
    let style = if colour { Style::Colour } else { Style::Plain };
    let mut err = std::io::stderr().lock();
    for d in diagnostics {
        let _ = writeln!(err, "{}", d.render(style));
    }
}

/// Prints an error and returns the failing exit code.
fn fail(message: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr().lock(), "error: {message}");
    ExitCode::FAILURE
}
