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
    Serve(Box<cmd::serve::ServeArgs>),
    /// List every path a customer can take through a flow.
    Paths(cmd::paths::Args),
    /// Compare two versions of a flow file as customer paths (also a git diff driver).
    Diff(cmd::diff::Args),
    /// Run the scenario tests beside the flows.
    Test(cmd::test::Args),
    /// Walk a flow in the terminal.
    Play(cmd::play::Args),
    /// Start a new flow from a template that passes every check.
    New(cmd::new::Args),
    /// Print a flow's figures from the store: outcomes, drop-offs, remedies, versions.
    Stats(cmd::stats::Args),
    /// Write and update translation files of flows.
    Translate(cmd::translate::Args),
    /// Serve editors over the Language Server Protocol (stdio).
    Lsp(cmd::lsp::Args),
    /// List webhook deliveries and send failed ones again.
    Webhooks(cmd::webhooks::Args),
}

fn main() -> ExitCode {
    // clap exits with status 2 on a usage error.
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => cmd::check::run(&args),
        Command::Graph(args) => cmd::graph::run(&args),
        Command::Serve(args) => cmd::serve::run(*args),
        Command::Webhooks(args) => cmd::webhooks::run(&args),
        Command::Paths(args) => cmd::paths::run(&args),
        Command::Diff(args) => cmd::diff::run(&args),
        Command::Test(args) => cmd::test::run(&args),
        Command::Play(args) => cmd::play::run(&args),
        Command::New(args) => cmd::new::run(&args),
        Command::Stats(args) => cmd::stats::run(&args),
        Command::Translate(args) => cmd::translate::run(&args),
        Command::Lsp(args) => cmd::lsp::run(&args),
    }
}
