//! The `stepwise` command line: parses arguments and hands each command to its module.

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

// A server allocates many small short-lived values per request from several threads;
// mimalloc does that with less contention and fragmentation than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Troubleshooting flows, checked like code and walked one step at a time.
#[derive(Debug, Parser)]
#[command(name = "stepwise", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
enum Command {
    /// Check flow files and print every error and warning.
    Check(cmd::check::Args),
    /// Draw a flow as a Mermaid, Graphviz DOT or SVG diagram.
    Graph(cmd::graph::Args),
    /// Serve the API over the flows, with an embedded store.
    Serve(cmd::serve::ServeArgs),
}

fn main() -> ExitCode {
    // clap exits with status 2 on a usage error.
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => cmd::check::run(&args),
        Command::Graph(args) => cmd::graph::run(&args),
        Command::Serve(args) => cmd::serve::run(args),
    }
}
