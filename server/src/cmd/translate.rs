//! `stepwise translate extract LOCALE FLOW`: writes the skeleton of a flow's translation file,
//! or brings an existing one up to date (keeping what is translated, marking what is stale).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use stepwise_engine::Source;
use stepwise_engine::translate::{self, extract::extract};
use stepwise_engine::{DEFAULT_LOCALE, normalize_locale, translation_path};

use super::{lookup, output};

/// Arguments of `stepwise translate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

/// What to do with translations.
#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Write or update FLOW's translation file into LOCALE.
    #[command(after_help = "\
Writes DIR/FLOW.LOCALE.ron beside the flow: every text of the flow, with the source text as
a comment and its fingerprint. Run it again after the flow changes: translated texts are
kept, texts whose source changed are marked STALE, new texts are added empty, and entries
for ids the flow no longer has are left out.

Examples:
  stepwise translate extract de deposit-missing-memo
  stepwise translate extract pt-BR flows/p2p-dispute.ron
  then: translate the texts, and `stepwise check` until it reports nothing")]
    Extract {
        /// The language tag, e.g. `de` or `pt-BR`.
        locale: String,
        /// A flow id in the flows directory, or the path of a flow file.
        flow: String,
        /// The flows directory (for a flow given by id).
        #[arg(long, value_name = "DIR", default_value = "flows")]
        flows: PathBuf,
    },
}

/// Runs the subcommand.
pub fn run(args: &Args) -> ExitCode {
    match &args.command {
        Command::Extract {
            locale,
            flow,
            flows,
        } => run_extract(locale, flow, flows),
    }
}

fn run_extract(locale: &str, flow: &str, flows: &Path) -> ExitCode {
    let Some(locale) = normalize_locale(locale) else {
        return output::fail(&format!(
            "`{locale}` is not a language tag: write one like `de` or `pt-BR`"
        ));
    };
    if locale == DEFAULT_LOCALE {
        return output::fail(&format!(
            "flows are written in `{DEFAULT_LOCALE}`: name another language to translate into"
        ));
    }
    let (report, found) = match lookup::checked_flow(flow, flows) {
        Ok(found) => found,
        Err(code) => return code,
    };
    // The catalog holds flows as written, in the source language.
    let Some(flow_file) = flow_file_of(flow, flows, found.id()) else {
        return output::fail(&format!("cannot tell where flow `{}` is kept", found.id()));
    };
    let path = translation_path(&flow_file, &locale);
    let existing = if path.exists() {
        let parsed = Source::read(&path).and_then(|source| translate::parse::parse(&source));
        match parsed {
            Ok(parsed) => Some(parsed.translation),
            Err(d) => {
                output::print_diagnostics(&[&d]);
                return output::fail(&format!(
                    "`{}` does not parse; fix it first, so nothing translated is lost",
                    path.display()
                ));
            }
        }
    } else {
        None
    };
    drop(report);
    let (text, counts) = extract(&found, &locale, existing.as_ref());
    if let Err(e) = std::fs::write(&path, text) {
        return output::fail(&format!("cannot write `{}`: {e}", path.display()));
    }
    let verb = if existing.is_some() {
        "updated"
    } else {
        "wrote"
    };
    let mut line = format!(
        "{verb} {}: {} translated, {} stale, {} to translate",
        path.display(),
        counts.kept,
        counts.stale,
        counts.missing
    );
    if counts.dropped > 0 {
        let entries = if counts.dropped == 1 {
            "entry"
        } else {
            "entries"
        };
        line.push_str(&format!(
            "; left out {} {entries} for ids the flow no longer has",
            counts.dropped
        ));
    }
    output::print(&format!("{line}\n"));
    ExitCode::SUCCESS
}

/// The file a flow named by id or path is kept in.
fn flow_file_of(given: &str, flows: &Path, id: &str) -> Option<PathBuf> {
    let as_path = Path::new(given);
    if given.ends_with(".ron") || given.contains(['/', '\\']) {
        return as_path.is_file().then(|| as_path.to_owned());
    }
    let file = flows.join(format!("{id}.ron"));
    file.is_file().then_some(file)
}
