//! `stepwise paths FLOW`: every path a customer can take through a checked flow, one per
//! line, then the count.

use std::path::PathBuf;
use std::process::ExitCode;

use stepwise_engine::paths;

use super::{lookup, output};

/// Arguments of `stepwise paths`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Each line is one path: `node=answer` for each answer taken, `node[case]` where the engine
chose from a known fact, then the end (RESOLVED, ESCALATE, DONE, or LINK to another flow).
A loop is followed once and then left.

Examples:
  stepwise paths deposit-missing-memo
  stepwise paths flows/p2p-dispute.ron
  stepwise paths withdrawal-not-received > before.txt   # edit the flow, run again, diff")]
pub struct Args {
    /// A flow id, looked up in the flows directory, or the path to a `.ron` file.
    flow: String,
    /// The directory of flows a flow id is looked up in.
    #[arg(long, value_name = "DIR", default_value = "flows")]
    flows: PathBuf,
    /// List at most this many paths.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    limit: usize,
}

/// Lists the paths, or prints why it cannot.
pub fn run(args: &Args) -> ExitCode {
    let (_, flow) = match lookup::checked_flow(&args.flow, &args.flows) {
        Ok(found) => found,
        Err(code) => return code,
    };
    output::print(&paths(&flow, args.limit).to_string());
    ExitCode::SUCCESS
}
