//! `stepwise graph FLOW`: a diagram of one checked flow, as Mermaid, Graphviz DOT or SVG, on
//! standard output.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use stepwise_engine::diagram;

use super::{lookup, output};

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
    let (_, flow) = match lookup::checked_flow(&args.flow, &args.flows) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let text = match args.format {
        Format::Mermaid => diagram::mermaid(&flow),
        Format::Dot => diagram::dot(&flow),
        Format::Svg => diagram::svg(&flow),
    };
    output::print(&text);
    ExitCode::SUCCESS
}
