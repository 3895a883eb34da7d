//! `stepwise diff OLD NEW`: two versions of a flow file compared as customer paths (the
//! engine's `diff`), printed for review; also a git diff driver (`--git`, git's seven
//! arguments).

use std::io::IsTerminal;
use std::process::ExitCode;

use stepwise_engine::PathStep;
use stepwise_engine::diff::{Change, FlowDiff, diff};
use stepwise_engine::{Diagnostic, Flow, Source, Style, check_alone};

use super::output;

/// What git gives a diff driver for `/dev/null`: a file added or deleted.
const NO_FILE: &str = "/dev/null";

/// Arguments of `stepwise diff`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Paths are matched by their route (the nodes passed and the answer taken at each). A route in
one version only is an added (+) or removed (-) path; a route in both that ends differently is
a changed (~) path. Reworded nodes are listed once, under nodes, with how many paths pass them.
Exits 0 whether or not the versions differ (as a diff driver must); --exit-code exits 1 when
they do.

Examples:
  git show HEAD:flows/deposit-missing-memo.ron > /tmp/old.ron
  stepwise diff /tmp/old.ron flows/deposit-missing-memo.ron

As a git diff driver (then `git diff` and `git log -p` show flows as paths):
  git config diff.stepwise.command 'stepwise diff --git'
  echo 'flows/*.ron diff=stepwise' >> .gitattributes")]
pub struct Args {
    /// OLD NEW: two flow files (`/dev/null` for none). With --git: the seven arguments git
    /// gives a diff driver (path old-file old-hex old-mode new-file new-hex new-mode).
    #[arg(value_name = "FILE", num_args = 2..=7, required = true)]
    files: Vec<String>,
    /// Read git's seven diff-driver arguments (implied when seven are given).
    #[arg(long)]
    git: bool,
    /// Exit 1 when the versions differ.
    #[arg(long)]
    exit_code: bool,
}

/// One side of the comparison.
enum Side {
    /// No file on this side (`/dev/null`).
    Absent,
    /// A flow that passes its own checks.
    Flow(Box<Flow>),
    /// A file that cannot be compared, and why.
    Broken(Vec<Diagnostic>),
}

/// Compares the two files and prints the differences.
pub fn run(args: &Args) -> ExitCode {
    let git = args.git || args.files.len() == 7;
    let (old_file, old_name, new_file, new_name) = match (git, args.files.as_slice()) {
        (true, [path, old, _, _, new, _, _]) => {
            (old, format!("a/{path}"), new, format!("b/{path}"))
        }
        (false, [old, new]) => (old, old.clone(), new, new.clone()),
        (true, _) => {
            return usage(
                "--git takes the seven arguments git gives a diff driver: \
                 path old-file old-hex old-mode new-file new-hex new-mode",
            );
        }
        (false, _) => return usage("give two flow files, OLD and NEW"),
    };
    let old = load(old_file, &old_name);
    let new = load(new_file, &new_name);
    let mut text = format!("--- {old_name}\n+++ {new_name}\n");
    let broken: Vec<&Diagnostic> = [&old, &new]
        .into_iter()
        .flat_map(|side| match side {
            Side::Broken(diagnostics) => diagnostics.iter().collect(),
            _ => Vec::new(),
        })
        .collect();
    if !broken.is_empty() {
        if !git {
            output::print_diagnostics(&broken);
            return output::fail("a flow that does not pass its checks cannot be compared");
        }
        // A diff driver that fails stops `git diff`; say why in its output instead.
        for d in broken {
            text.push_str(&d.render(Style::Plain));
            text.push('\n');
        }
        text.push_str("the paths cannot be compared until both versions pass their checks\n");
        output::print(&text);
        return ExitCode::SUCCESS;
    }
    let flow = |side: &Side| match side {
        Side::Flow(flow) => Some(flow.as_ref().clone()),
        _ => None,
    };
    let (old, new) = (flow(&old), flow(&new));
    let compared = diff(old.as_ref(), new.as_ref());
    text.push_str(&render(&compared));
    let colour = !git && output::style(std::io::stdout().is_terminal()) == Style::Colour;
    output::print(&if colour { paint(&text) } else { text });
    if args.exit_code && compared.differs() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Reads and checks one side, reporting it under `name`.
fn load(file: &str, name: &str) -> Side {
    if file == NO_FILE {
        return Side::Absent;
    }
    let mut source = match Source::read(std::path::Path::new(file)) {
        Ok(source) => source,
        Err(mut d) => {
            d.source.path = name.into();
            d.message = d.message.replace(file, name);
            return Side::Broken(vec![*d]);
        }
    };
    // git hands over a temporary file: report it under the path in the repository.
    source.path = name.into();
    match check_alone(&source) {
        (Some(flow), _) => Side::Flow(Box::new(flow)),
        (None, diagnostics) => Side::Broken(
            diagnostics
                .into_iter()
                .filter(Diagnostic::is_error)
                .collect(),
        ),
    }
}

/// Prints a usage error and returns clap's usage exit code.
fn usage(message: &str) -> ExitCode {
    output::fail(message);
    ExitCode::from(2)
}

/// The comparison as text: the versions, the flow's fields, the paths, the nodes.
fn render(d: &FlowDiff) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    match (&d.old, &d.new) {
        (Some((old_id, old_v)), Some((new_id, new_v))) if old_id == new_id => {
            line(format!("flow `{new_id}`: version {old_v} → {new_v}"));
        }
        (Some((old_id, old_v)), Some((new_id, new_v))) => {
            line(format!(
                "flow `{old_id}` version {old_v} → flow `{new_id}` version {new_v}"
            ));
        }
        (None, Some((id, v))) => line(format!("flow `{id}`: new, version {v}")),
        (Some((id, v)), None) => line(format!("flow `{id}`: deleted, was version {v}")),
        (None, None) => line("no flow on either side".to_owned()),
    }
    if !d.differs() {
        line("no difference a customer could see".to_owned());
        return out;
    }
    for field in &d.fields {
        line(format!("{}: {:?} → {:?}", field.what, field.old, field.new));
    }

    let p = &d.paths;
    line(String::new());
    let cut = if p.truncated { " (cut short)" } else { "" };
    line(format!(
        "paths: {} → {}{cut}: {} added, {} removed, {} changed, {} unchanged",
        p.old_count,
        p.new_count,
        p.added.len(),
        p.removed.len(),
        p.changed.len(),
        p.unchanged
    ));
    for path in &p.added {
        line(format!("+ {path}"));
    }
    for path in &p.removed {
        line(format!("- {path}"));
    }
    for path in &p.changed {
        line(format!("~ {}", route(&path.route)));
        line(format!("    was: {}", path.old));
        line(format!("    now: {}", path.new));
    }

    let n = &d.nodes;
    if n.added.is_empty() && n.removed.is_empty() && n.changed.is_empty() {
        return out;
    }
    line(String::new());
    line(format!(
        "nodes: {} added, {} removed, {} changed",
        n.added.len(),
        n.removed.len(),
        n.changed.len()
    ));
    for (sign, node) in n
        .added
        .iter()
        .map(|x| ('+', x))
        .chain(n.removed.iter().map(|x| ('-', x)))
    {
        if node.first_line.is_empty() {
            line(format!("{sign} {} ({})", node.id, node.kind));
        } else {
            line(format!(
                "{sign} {} ({}): {}",
                node.id, node.kind, node.first_line
            ));
        }
    }
    let total = p.new_count;
    for node in &n.changed {
        line(format!(
            "~ {} ({}, on {} of {total} paths)",
            node.id, node.kind, node.on_paths
        ));
        for change in &node.changes {
            match change {
                Change::Kind { old, new } => line(format!("    kind: {old} → {new}")),
                Change::Text { line: at, old, new } => {
                    let (old, new) = excerpts(old, new);
                    line(format!("    text, line {at}:"));
                    line(format!("      - {old}"));
                    line(format!("      + {new}"));
                }
                Change::Field(field) => line(format!(
                    "    {}: {:?} → {:?}",
                    field.what, field.old, field.new
                )),
            }
        }
    }
    out
}

/// How many characters of a changed line are shown.
const EXCERPT: usize = 100;
/// How many of them come before the first difference.
const BEFORE: usize = 30;

/// Two versions of a long line cut to the part around their first difference, so a
/// one-word edit in a long paragraph shows at a glance.
fn excerpts(old: &str, new: &str) -> (String, String) {
    let old_chars: Vec<char> = old.chars().collect();
    let new_chars: Vec<char> = new.chars().collect();
    if old_chars.len() <= EXCERPT && new_chars.len() <= EXCERPT {
        return (old.to_owned(), new.to_owned());
    }
    let same = old_chars
        .iter()
        .zip(&new_chars)
        .take_while(|(a, b)| a == b)
        .count();
    let start = same.saturating_sub(BEFORE);
    let cut = |chars: &[char]| {
        let end = (start + EXCERPT).min(chars.len());
        let mut text: String = chars[start.min(end)..end].iter().collect();
        if start > 0 {
            text.insert(0, '…');
        }
        if end < chars.len() {
            text.push('…');
        }
        text
    };
    (cut(&old_chars), cut(&new_chars))
}

/// A route as `stepwise paths` writes it, without the end.
fn route(steps: &[PathStep]) -> String {
    steps
        .iter()
        .map(|s| {
            if s.automatic {
                format!("{}[{}]", s.node, s.choice)
            } else {
                format!("{}={}", s.node, s.choice)
            }
        })
        .collect::<Vec<_>>()
        .join(" → ")
}

/// Colours added lines green, removed red and changed yellow, for a terminal.
fn paint(text: &str) -> String {
    text.lines()
        .map(|l| {
            let colour = match l.trim_start().chars().next() {
                Some('+') => "32",
                Some('-') => "31",
                Some('~') => "33",
                _ => return format!("{l}\n"),
            };
            format!("\u{1b}[{colour}m{l}\u{1b}[0m\n")
        })
        .collect()
}
