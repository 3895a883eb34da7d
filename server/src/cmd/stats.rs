//! `stepwise stats FLOW`: a flow's figures read straight from the store, as a table for
//! people or as the same JSON the API serves.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use stepwise_app::report::{FlowStats, report};
use stepwise_app::stats::{Period, Summary, percent};
use stepwise_store::StoreConfig;

use super::store::with_store;
use super::{lookup, output};

/// Arguments of `stepwise stats`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Counts the sessions customers started in [--from, --to): starts, and how many are resolved,
escalated, done, abandoned and in progress, each as a share of starts (the five add up to
100%); the median number of answers to an outcome; how many sessions reached each step, in
the flow's order, and were abandoned there; which remedies resolve; the same per flow
version. Sessions agents ran for callers are counted apart. Dates are YYYY-MM-DD (midnight
UTC) or RFC 3339.

Examples:
  stepwise stats deposit-missing-memo
  stepwise stats sign-in --from 2026-11-01 --to 2026-12-01 --store sqlite:///var/lib/stepwise/s.db
  stepwise stats sign-in --version 3f2a9c1d0b7e6a54 --json")]
pub struct Args {
    /// A flow id, looked up in the flows directory, or the path to a `.ron` file.
    flow: String,
    /// The directory of flows a flow id is looked up in.
    #[arg(long, value_name = "DIR", default_value = "flows")]
    flows: PathBuf,
    /// The store the server keeps its sessions in.
    #[arg(long, value_name = "URL", default_value = "sqlite://stepwise.db")]
    store: StoreConfig,
    /// Count sessions that started at or after this.
    #[arg(long, value_name = "DATE")]
    from: Option<String>,
    /// Count sessions that started before this.
    #[arg(long, value_name = "DATE")]
    to: Option<String>,
    /// Count only sessions pinned to this flow version.
    #[arg(long, value_name = "VERSION")]
    version: Option<String>,
    /// An unfinished session idle this long counts as abandoned (as `serve --abandon-after`).
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = humantime::parse_duration)]
    abandon_after: Duration,
    /// Print the figures as JSON, as `GET /api/v1/flows/{id}/stats` gives them.
    #[arg(long)]
    json: bool,
}

/// Prints the figures, or why it cannot.
pub fn run(args: &Args) -> ExitCode {
    let period = match Period::parse(
        args.from.as_deref(),
        args.to.as_deref(),
        args.version.as_deref(),
    ) {
        Ok(period) => period,
        Err(e) => return usage(&e.to_string()),
    };
    let (checked, flow) = match lookup::checked_flow(&args.flow, &args.flows) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let stats = with_store(&args.store, |store| async move {
        report(
            store.as_ref(),
            &checked.catalog,
            &flow,
            &period,
            args.abandon_after,
        )
        .await
        .map_err(|e| e.to_string())
    });
    let stats = match stats {
        Ok(stats) => stats,
        Err(e) => return output::fail(&e),
    };
    if args.json {
        match serde_json::to_string_pretty(&stats) {
            Ok(text) => output::print(&format!("{text}\n")),
            Err(e) => return output::fail(&e.to_string()),
        }
    } else {
        output::print(&table(&stats));
    }
    ExitCode::SUCCESS
}

fn usage(message: &str) -> ExitCode {
    let _ = output::fail(message);
    ExitCode::from(2)
}

/// The figures as aligned text.
pub fn table(stats: &FlowStats) -> String {
    let mut out = String::new();
    let f = &stats.figures;
    let s = &f.summary;
    let _ = writeln!(out, "{} — {}", stats.flow, stats.title);
    let period = match (&stats.from, &stats.to) {
        (None, None) => "every session kept".to_owned(),
        (Some(from), None) => format!("sessions started from {from}"),
        (None, Some(to)) => format!("sessions started before {to}"),
        (Some(from), Some(to)) => format!("sessions started from {from} to {to}"),
    };
    let _ = write!(out, "{period}");
    if let Some(version) = &stats.version {
        let _ = write!(out, ", version {version}");
    }
    let _ = writeln!(
        out,
        "; abandoned after {} idle\n",
        humantime::format_duration(Duration::from_secs(stats.abandon_after_secs))
    );
    let _ = writeln!(out, "Customers' own sessions (shares of their starts):");
    summary(&mut out, s);
    if f.agents.starts > 0 {
        let _ = writeln!(out, "\nRun by agents for callers (shares of these):");
        summary(&mut out, &f.agents);
    }

    if !f.nodes.is_empty() {
        let width = column(f.nodes.iter().map(|n| n.node.as_str()), "Node");
        let _ = writeln!(
            out,
            "\n{:<width$}  {:>7}  {:>11}  Step",
            "Node", "Reached", "Dropped off"
        );
        for n in &f.nodes {
            let _ = writeln!(
                out,
                "{:<width$}  {:>7}  {:>11}  {}",
                n.node, n.reached, n.dropped_off, n.label
            );
        }
    }
    if !f.remedies.is_empty() {
        let width = column(f.remedies.iter().map(|r| r.remedy.as_str()), "Remedy");
        let _ = writeln!(
            out,
            "\n{:<width$}  {:>8}  {:>7}  {:>7}",
            "Remedy", "Resolved", "Reached", "Success"
        );
        for r in &f.remedies {
            let _ = writeln!(
                out,
                "{:<width$}  {:>8}  {:>7}  {:>7}",
                r.remedy,
                r.resolved,
                r.reached,
                percent(r.success_rate)
            );
        }
    }
    if !f.versions.is_empty() {
        let width = column(f.versions.iter().map(|v| v.version.as_str()), "Version");
        let _ = writeln!(
            out,
            "\n{:<width$}  {:<24}  {:>6}  {:>8}  {:>9}  {:>6}  {:>9}  {:>11}",
            "Version",
            "First start",
            "Starts",
            "Resolved",
            "Escalated",
            "Done",
            "Abandoned",
            "In progress"
        );
        for v in &f.versions {
            let shares = standing(&v.summary);
            let _ = writeln!(
                out,
                "{:<width$}  {:<24}  {:>6}  {:>8}  {:>9}  {:>6}  {:>9}  {:>11}",
                v.version,
                v.first_start,
                v.summary.starts,
                shares[0],
                shares[1],
                shares[2],
                shares[3],
                shares[4]
            );
        }
    }
    out
}

/// Resolved, escalated, done, abandoned and in progress as shares of starts.
fn standing(s: &Summary) -> [String; 5] {
    let shares = s.share_of_starts;
    [
        shares.map(|x| x.resolved),
        shares.map(|x| x.escalated),
        shares.map(|x| x.done),
        shares.map(|x| x.abandoned),
        shares.map(|x| x.in_progress),
    ]
    .map(percent)
}

fn summary(out: &mut String, s: &Summary) {
    let shares = standing(s);
    let of_starts = |i: usize| format!("{:>6} of starts", shares[i]);
    let rows = [
        ("Starts", s.starts.to_string(), String::new()),
        ("Resolved", s.resolved.to_string(), of_starts(0)),
        ("Escalated", s.escalated.to_string(), of_starts(1)),
        ("Done", s.done.to_string(), of_starts(2)),
        ("Abandoned", s.abandoned.to_string(), of_starts(3)),
        ("In progress", s.in_progress.to_string(), of_starts(4)),
        (
            "Median answers",
            s.median_steps.map_or("-".to_owned(), |m| m.to_string()),
            "to an outcome".to_owned(),
        ),
        (
            "Helpful",
            s.helpful.to_string(),
            format!("said yes ({} said no)", s.not_helpful),
        ),
    ];
    for (name, value, note) in rows {
        let line = format!("{name:<15} {value:>6}  {note}");
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// The width of a column holding `values` under `heading`.
fn column<'a>(values: impl Iterator<Item = &'a str>, heading: &str) -> usize {
    values
        .map(|v| v.chars().count())
        .chain([heading.len()])
        .max()
        .unwrap_or(0)
}
