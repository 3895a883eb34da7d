//! `stepwise play FLOW`: walks a flow in the terminal as a customer would — numbered
//! answers, back, restart, quit, the details an escalation collects — and prints the
//! transcript at the end. Reads lines, so answers can be piped in; end of input quits.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use stepwise_engine::DetailProblem;
use stepwise_engine::{Catalog, Outcome, Status, Step, StepKind, Walk, WalkError};

use super::{lookup, output};

/// Arguments of `stepwise play`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
At each step, type an answer's number or id; `b` goes back, `r` restarts, `q` quits (so does
the end of input). At an escalation, each detail support needs is asked for. The transcript
is printed at the end, as a support ticket gets it.

Examples:
  stepwise play deposit-missing-memo
  stepwise play facial-recognition-fails --fact platform=app
  printf '1\\n2\\nq\\n' | stepwise play flows/p2p-dispute.ron")]
pub struct Args {
    /// A flow id, looked up in the flows directory, or the path to a `.ron` file.
    flow: String,
    /// A fact the site would give when it starts the session, as `name=value`.
    #[arg(long = "fact", value_name = "NAME=VALUE", value_parser = parse_fact)]
    facts: Vec<(String, String)>,
    /// The directory of flows a flow id is looked up in.
    #[arg(long, value_name = "DIR", default_value = "flows")]
    flows: PathBuf,
}

/// Reads `name=value`.
fn parse_fact(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.trim().to_owned()))
        }
        _ => Err(format!("`{text}` is not `name=value`")),
    }
}

/// Plays the flow on standard input and output.
pub fn run(args: &Args) -> ExitCode {
    let (report, flow) = match lookup::checked_flow(&args.flow, &args.flows) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let facts: BTreeMap<String, String> = args.facts.iter().cloned().collect();
    let stdin = std::io::stdin();
    // Typed input is already on the screen; piped input is echoed so the output reads
    // like the session it was.
    let echo = !stdin.is_terminal();
    let mut out = std::io::stdout().lock();
    let played = play(
        &report.catalog,
        flow.id(),
        facts,
        &mut stdin.lock(),
        &mut out,
        echo,
    );
    match played {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => output::fail(&e.to_string()),
        // Standard output went away (`stepwise play x | head`): nothing left to say.
        Err(_) => ExitCode::SUCCESS,
    }
}

/// A terminal session over `input` and `out`. The outer error is I/O on `out`; the inner
/// one is a walk that could not go on.
fn play(
    catalog: &Catalog,
    flow: &str,
    facts: BTreeMap<String, String>,
    input: &mut impl BufRead,
    out: &mut impl Write,
    echo: bool,
) -> std::io::Result<Result<(), WalkError>> {
    let (mut walk, mut step) = match Walk::start(catalog, flow, facts) {
        Ok(started) => started,
        Err(e) => return Ok(Err(e)),
    };
    let mut session = Session { input, out, echo };
    writeln!(session.out, "# {}", step.flow_title)?;
    writeln!(
        session.out,
        "Type an answer's number or id; b = back, r = restart, q = quit."
    )?;
    let mut shown_flow = step.flow.clone();
    // Shown again only when it changes: a typo just asks again.
    let mut fresh = true;
    loop {
        if fresh {
            if step.flow != shown_flow {
                writeln!(session.out)?;
                writeln!(
                    session.out,
                    "# {} (continued in `{}`)",
                    step.flow_title, step.flow
                )?;
                shown_flow = step.flow.clone();
            }
            show(session.out, &step)?;
            fresh = false;
        }
        if let Some(outcome) = &step.outcome {
            if outcome.kind == Status::Escalated && !outcome.collect.is_empty() {
                session.details(catalog, &mut walk, outcome)?;
            }
            break;
        }
        let Some(line) = session.read("> ")? else {
            break;
        };
        let line = line.trim();
        let moved = match line {
            "q" | "quit" => break,
            "b" | "back" => walk.back(catalog),
            "r" | "restart" => walk.restart(catalog),
            // Enter continues where there is only one way on (an info step).
            "" if step.answers.len() == 1 => walk.answer(catalog, &step.answers[0].id),
            "" => continue,
            _ => match chosen(&step, line) {
                Some(id) => walk.answer(catalog, &id),
                None => {
                    writeln!(
                        session.out,
                        "`{line}` is not an answer here: type a number from the list, an \
                         answer id, b, r or q"
                    )?;
                    continue;
                }
            },
        };
        match moved {
            Ok(next) => {
                step = next;
                fresh = true;
            }
            Err(WalkError::AtStart) => writeln!(session.out, "This is the first step.")?,
            Err(e) => return Ok(Err(e)),
        }
    }
    writeln!(session.out)?;
    match walk.transcript(catalog) {
        Ok(transcript) => write!(session.out, "{transcript}")?,
        Err(e) => return Ok(Err(e)),
    }
    session.out.flush()?;
    Ok(Ok(()))
}

/// The answer id a line names: a number in the list, or an id.
fn chosen(step: &Step, line: &str) -> Option<String> {
    if let Ok(number) = line.parse::<usize>() {
        return number
            .checked_sub(1)
            .and_then(|i| step.answers.get(i))
            .map(|c| c.id.clone());
    }
    step.answers
        .iter()
        .find(|c| c.id == line)
        .map(|c| c.id.clone())
}

/// Prints a step: what it is, its text, and its numbered answers.
fn show(out: &mut impl Write, step: &Step) -> std::io::Result<()> {
    writeln!(out)?;
    let what = match (&step.outcome, step.kind) {
        (
            Some(Outcome {
                resolved_by: Some(_),
                ..
            }),
            _,
        ) => "resolved: that solved it".to_owned(),
        (Some(o), _) => o.kind.as_str().to_owned(),
        (None, StepKind::Remedy) => "try this".to_owned(),
        (None, kind) => kind.as_str().to_owned(),
    };
    writeln!(out, "[{}] {what}", step.node)?;
    // A remedy that solved it is shown as its outcome: its text was read already.
    let solved = step
        .outcome
        .as_ref()
        .is_some_and(|o| o.resolved_by.is_some());
    if !solved {
        writeln!(out, "{}", step.text.trim_end())?;
    }
    if !step.answers.is_empty() {
        writeln!(out)?;
        for (i, choice) in step.answers.iter().enumerate() {
            writeln!(out, "  {}. {} ({})", i + 1, choice.label, choice.id)?;
        }
    }
    Ok(())
}

/// The terminal: lines in, text out.
struct Session<'a, R, W> {
    input: &'a mut R,
    out: &'a mut W,
    echo: bool,
}

impl<R: BufRead, W: Write> Session<'_, R, W> {
    /// Prompts and reads one line; `None` at the end of input.
    fn read(&mut self, prompt: &str) -> std::io::Result<Option<String>> {
        write!(self.out, "{prompt}")?;
        self.out.flush()?;
        let mut line = String::new();
        // Input that is not text (or a failing terminal) ends the session like end of input.
        if self.input.read_line(&mut line).unwrap_or(0) == 0 {
            writeln!(self.out)?;
            return Ok(None);
        }
        let line = line.trim_end_matches(['\n', '\r']).to_owned();
        if self.echo {
            writeln!(self.out, "{line}")?;
        }
        Ok(Some(line))
    }

    /// Asks for each detail an escalation collects until the walk accepts them, or input ends.
    fn details(
        &mut self,
        catalog: &Catalog,
        walk: &mut Walk,
        outcome: &Outcome,
    ) -> std::io::Result<()> {
        writeln!(self.out)?;
        writeln!(
            self.out,
            "Support will need these details (Enter skips an optional one):"
        )?;
        let mut given: BTreeMap<String, String> = BTreeMap::new();
        let mut asked: Vec<&str> = outcome.collect.iter().map(|d| d.id.as_str()).collect();
        loop {
            for detail in outcome
                .collect
                .iter()
                .filter(|d| asked.contains(&d.id.as_str()))
            {
                if let Some(help) = &detail.help {
                    writeln!(self.out, "  ({help})")?;
                }
                let optional = if detail.optional { " (optional)" } else { "" };
                let Some(value) = self.read(&format!("{}{optional}: ", detail.label))? else {
                    return Ok(());
                };
                given.insert(detail.id.clone(), value);
            }
            match walk.submit_details(catalog, given.clone()) {
                Ok(()) => return Ok(()),
                Err(WalkError::InvalidDetails { problems }) => {
                    for DetailProblem { problem, .. } in &problems {
                        writeln!(self.out, "! {problem}")?;
                    }
                    asked = outcome
                        .collect
                        .iter()
                        .map(|d| d.id.as_str())
                        .filter(|id| problems.iter().any(|p| p.id == *id))
                        .collect();
                    if asked.is_empty() {
                        return Ok(());
                    }
                }
                Err(e) => {
                    writeln!(self.out, "! {e}")?;
                    return Ok(());
                }
            }
        }
    }
}
