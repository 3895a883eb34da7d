//! Running scenarios: each one walked with [`Walk`] over the flows a check accepted, and
//! every way it can fail turned into a diagnostic at the part of the scenario file to blame.

use std::collections::{BTreeSet, HashMap};

use super::{Details, Expect, Scenario, ScenarioFile};
use crate::check::CheckReport;
use crate::diagnostic::{Code, Diagnostic};
use crate::files::SCENARIO_SUFFIX;
use crate::flow::Catalog;
use crate::source::Span;
use crate::suggest::{closest, did_you_mean, names};
use crate::walk::{Status, Step, Walk, WalkError};

/// A node a scenario's walk passed, and the answer (or branch case) taken there.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Visit {
    /// The flow of the node.
    pub flow: String,
    /// The node id.
    pub node: String,
    /// The answer taken to leave it; `None` where the walk stopped.
    pub answer: Option<String>,
}

/// What came of one scenario.
#[derive(Debug, Clone)]
pub struct ScenarioRun {
    /// The flow it walks.
    pub flow: String,
    /// The scenario's name.
    pub name: String,
    /// Why it failed, pointing into the scenario file; `None` when it passed.
    pub failure: Option<Diagnostic>,
    /// Every node its walk passed (also when it failed half-way), for coverage.
    pub visits: Vec<Visit>,
}

impl ScenarioRun {
    /// Whether everything the scenario expects held.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// Runs every scenario of `file` over the flows `report` accepted.
///
/// Fails as a whole, with one diagnostic, when the file's flow cannot be walked: it does
/// not exist, it has errors, or the file is not named after it.
pub fn run(file: &ScenarioFile, report: &CheckReport) -> Result<Vec<ScenarioRun>, Box<Diagnostic>> {
    testable(file, report)?;
    let mut first_named: HashMap<&str, Span> = HashMap::new();
    let runs = file
        .scenarios
        .iter()
        .map(|scenario| {
            let (failure, visits) = match first_named.get(scenario.name.as_str()) {
                Some(&first) => (Some(duplicate(file, scenario, first)), Vec::new()),
                None => {
                    first_named.insert(&scenario.name, scenario.name_span());
                    match walk(file, scenario, &report.catalog) {
                        Ok(visits) => (None, visits),
                        Err(failure) => (Some(*failure.diagnostic), failure.visits),
                    }
                }
            };
            ScenarioRun {
                flow: file.flow.clone(),
                name: scenario.name.clone(),
                failure,
                visits,
            }
        })
        .collect();
    Ok(runs)
}

/// Why a scenario failed, and how far its walk got.
struct Failure {
    diagnostic: Box<Diagnostic>,
    visits: Vec<Visit>,
}

/// Refuses a file whose flow cannot be walked.
fn testable(file: &ScenarioFile, report: &CheckReport) -> Result<(), Box<Diagnostic>> {
    let at = file.flow_span;
    let named = file
        .source
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(SCENARIO_SUFFIX));
    if let Some(stem) = named
        && stem != file.flow
    {
        return Err(Box::new(
            Diagnostic::new(
                Code::IdMismatch,
                &file.source,
                format!(
                    "these scenarios walk flow `{}`, but the file is named for `{stem}`",
                    file.flow
                ),
            )
            .with_label_at(at, format!("expected `{stem}`"))
            .with_help(format!(
                "rename the file to `{}{SCENARIO_SUFFIX}`, or set `flow: \"{stem}\"`",
                file.flow
            )),
        ));
    }
    if report.catalog.get(&file.flow).is_some() {
        return Ok(());
    }
    let broken = report
        .diagnostics
        .iter()
        .any(|d| d.is_error() && d.source.stem() == Some(file.flow.as_str()));
    let d = if broken {
        Diagnostic::new(
            Code::BrokenLink,
            &file.source,
            format!(
                "flow `{}` has errors, so its scenarios cannot run",
                file.flow
            ),
        )
        .with_label_at(at, "this flow does not pass the checks")
        .with_help(format!(
            "run `stepwise check` and fix `{}.ron` first",
            file.flow
        ))
    } else {
        let suggestion = closest(&file.flow, report.catalog.iter().map(|f| f.id()));
        Diagnostic::new(
            Code::UnknownFlow,
            &file.source,
            format!("there is no flow `{}`", file.flow),
        )
        .with_label_at(at, "no such flow")
        .with_help(did_you_mean(
            suggestion,
            "name the flow these scenarios walk: the id in its `Flow(id: …)`",
        ))
    };
    Err(Box::new(d))
}

/// A scenario named like an earlier one: the pass and fail lines would not tell them apart.
fn duplicate(file: &ScenarioFile, scenario: &Scenario, first: Span) -> Diagnostic {
    Diagnostic::new(
        Code::DuplicateScenario,
        &file.source,
        format!("two scenarios are named `{}`", scenario.name),
    )
    .with_label(scenario.name_span(), "named again here")
    .with_label(first, "first named here")
    .with_help("give each scenario its own name: it is how the results tell them apart")
}

/// Walks one scenario; its visits when everything it expects holds.
fn walk(file: &ScenarioFile, scenario: &Scenario, flows: &Catalog) -> Result<Vec<Visit>, Failure> {
    let fail = |diagnostic: Diagnostic, walk: Option<&Walk>| Failure {
        diagnostic: Box::new(diagnostic),
        visits: walk.map(|w| visits(w, flows)).unwrap_or_default(),
    };
    let expect_at = scenario.spans.expect.unwrap_or(scenario.spans.whole);
    if scenario.expect == Expect::default() {
        return Err(fail(
            Diagnostic::new(
                Code::NothingExpected,
                &file.source,
                "this expectation checks nothing",
            )
            .with_label(expect_at, "empty")
            .with_help(
                "say what must hold, e.g. `(status: Escalated, node: \"contact\")`; \
                 `status` is `Active`, `Resolved`, `Escalated` or `Done`",
            ),
            None,
        ));
    }
    let (mut walk, mut step) = match Walk::start(flows, &file.flow, scenario.facts.clone()) {
        Ok(started) => started,
        Err(e) => {
            let at = scenario.spans.facts.unwrap_or(scenario.spans.whole);
            return Err(fail(walk_error(file, &e, at), None));
        }
    };
    for given in &scenario.answers {
        if let Some(outcome) = &step.outcome {
            return Err(fail(
                Diagnostic::new(
                    Code::AnswerNotOffered,
                    &file.source,
                    format!(
                        "`{}` comes after the walk has ended: {}",
                        given.answer,
                        describe(&step)
                    ),
                )
                .with_label(given.span, "no answer is taken after an outcome")
                .with_help(match outcome.kind {
                    Status::Escalated => {
                        "remove this answer and the ones after it; details given at an \
                         escalation go in `details: Accepted({…})`"
                    }
                    _ => "remove this answer and the ones after it, or check the ones before",
                }),
                Some(&walk),
            ));
        }
        if let Some(at) = &given.at
            && *at != step.node
        {
            return Err(fail(
                Diagnostic::new(
                    Code::UnexpectedStep,
                    &file.source,
                    format!(
                        "`{}` is meant for `{at}`, but the walk is at `{}`",
                        given.answer, step.node
                    ),
                )
                .with_label(given.span, format!("the walk is at `{}`", step.node))
                .with_help(format!("the walk so far: {}", trail(&walk, flows))),
                Some(&walk),
            ));
        }
        step = match walk.answer(flows, &given.answer) {
            Ok(next) => next,
            Err(WalkError::NotOffered { .. }) => {
                let suggestion = closest(&given.answer, step.answers.iter().map(|c| c.id.as_str()));
                let offered: Vec<String> = step
                    .answers
                    .iter()
                    .map(|c| format!("`{}` ({})", c.id, c.label))
                    .collect();
                let help = format!(
                    "{} The answers at `{}` are {}.",
                    did_you_mean(suggestion, ""),
                    step.node,
                    names_plain(&offered)
                );
                return Err(fail(
                    Diagnostic::new(
                        Code::AnswerNotOffered,
                        &file.source,
                        format!(
                            "`{}` is not an answer at `{}` ({})",
                            given.answer,
                            step.node,
                            step.kind.as_str()
                        ),
                    )
                    .with_label(given.span, format!("not offered at `{}`", step.node))
                    .with_help(help.trim_start()),
                    Some(&walk),
                ));
            }
            Err(e) => return Err(fail(walk_error(file, &e, given.span), Some(&walk))),
        };
    }
    if let Some(problem) = unmet(&scenario.expect, &step) {
        let mut d = Diagnostic::new(Code::UnexpectedOutcome, &file.source, problem)
            .with_label(expect_at, "expected here");
        if let Some(last) = scenario.answers.last() {
            d = d.with_label(last.span, "the walk stops after this answer");
        }
        let d = d.with_help(format!("the walk went {}", trail(&walk, flows)));
        return Err(fail(d, Some(&walk)));
    }
    if let Some(details) = &scenario.details {
        let at = scenario.spans.details.unwrap_or(scenario.spans.whole);
        if let Some(problem) = details_problem(&mut walk, flows, details, &step) {
            let d = Diagnostic::new(Code::UnexpectedDetails, &file.source, problem)
                .with_label(at, "these details")
                .with_help(match details {
                    Details::Accepted(_) => {
                        "give every required detail, each within its length limit, and only \
                         the ones the escalation asks for"
                    }
                    Details::Rejected { .. } => {
                        "`Rejected(given: {…}, problems: […])` lists the detail ids that must \
                         be refused"
                    }
                });
            return Err(fail(d, Some(&walk)));
        }
    }
    Ok(visits(&walk, flows))
}

/// What differs between what a scenario expects and where its walk stands, if anything.
fn unmet(expect: &Expect, step: &Step) -> Option<String> {
    let status = step.outcome.as_ref().map_or(Status::Active, |o| o.kind);
    let status_ok = expect.status.is_none_or(|s| s.status() == status);
    let node_ok = expect.node.as_deref().is_none_or(|n| n == step.node);
    let flow_ok = expect.flow.as_deref().is_none_or(|f| f == step.flow);
    if status_ok && node_ok && flow_ok {
        return None;
    }
    let mut wanted = Vec::new();
    if let Some(s) = expect.status {
        wanted.push(format!("status {}", s.status().as_str()));
    }
    if let Some(n) = &expect.node {
        wanted.push(format!("node `{n}`"));
    }
    if let Some(f) = &expect.flow {
        wanted.push(format!("flow `{f}`"));
    }
    Some(format!(
        "expected {}, but the walk {}",
        wanted.join(", "),
        describe(step)
    ))
}

/// Where a walk stands, in words: `ended escalated at `contact``.
fn describe(step: &Step) -> String {
    let place = format!("`{}` of flow `{}`", step.node, step.flow);
    match &step.outcome {
        Some(o) if o.resolved_by.is_some() => format!("ended resolved by the remedy {place}"),
        Some(o) => format!("ended {} at {place}", o.kind.as_str()),
        None => format!("is waiting at {place} ({})", step.kind.as_str()),
    }
}

/// Gives a scenario's details at its escalation; what went otherwise than expected, if anything.
fn details_problem(
    walk: &mut Walk,
    flows: &Catalog,
    details: &Details,
    step: &Step,
) -> Option<String> {
    let given = match details {
        Details::Accepted(given) | Details::Rejected { given, .. } => given.clone(),
    };
    match (walk.submit_details(flows, given), details) {
        (Ok(()), Details::Accepted(_)) => None,
        (Ok(()), Details::Rejected { .. }) => {
            Some("the details were accepted, but the scenario expects them refused".to_owned())
        }
        (Err(WalkError::NotEscalated), _) => Some(format!(
            "details can only be given at an escalation, but the walk {}",
            describe(step)
        )),
        (Err(WalkError::InvalidDetails { problems }), Details::Accepted(_)) => {
            let listed: Vec<String> = problems
                .iter()
                .map(|p| format!("`{}` {}", p.id, p.problem))
                .collect();
            Some(format!("the details were refused: {}", listed.join("; ")))
        }
        (Err(WalkError::InvalidDetails { problems }), Details::Rejected { problems: want, .. }) => {
            let got: BTreeSet<&str> = problems.iter().map(|p| p.id.as_str()).collect();
            let want_set: BTreeSet<&str> = want.iter().map(String::as_str).collect();
            if want.is_empty() || got == want_set {
                return None;
            }
            Some(format!(
                "the details were refused for {}, but the scenario expects {}",
                names(got),
                names(want_set)
            ))
        }
        (Err(e), _) => Some(e.to_string()),
    }
}

/// A walk's failure other than an answer not offered.
fn walk_error(file: &ScenarioFile, e: &WalkError, at: Span) -> Diagnostic {
    match e {
        WalkError::InvalidFact(name) => Diagnostic::new(
            Code::InvalidFact,
            &file.source,
            format!("fact `{name}` is refused: {e}"),
        )
        .with_label(at, "in these facts")
        .with_help("give every fact a short, non-empty value"),
        _ => Diagnostic::new(Code::UnexpectedOutcome, &file.source, e.to_string())
            .with_label(at, "the walk fails here"),
    }
}

/// Every node the walk passed, with the answer taken at each.
fn visits(walk: &Walk, flows: &Catalog) -> Vec<Visit> {
    walk.history(flows)
        .unwrap_or_default()
        .into_iter()
        .map(|entry| Visit {
            flow: entry.flow,
            node: entry.node,
            answer: entry.answer.map(|a| a.id),
        })
        .collect()
}

/// The walk so far as `stepwise paths` writes a path: `a=x → b[y] → c`.
fn trail(walk: &Walk, flows: &Catalog) -> String {
    let history = walk.history(flows).unwrap_or_default();
    let steps: Vec<String> = history
        .iter()
        .map(|entry| match &entry.answer {
            Some(a) if entry.automatic => format!("{}[{}]", entry.node, a.id),
            Some(a) => format!("{}={}", entry.node, a.id),
            None => entry.node.clone(),
        })
        .collect();
    if steps.is_empty() {
        "nowhere".to_owned()
    } else {
        steps.join(" → ")
    }
}

/// `a`, `b` and `c` for items already quoted.
fn names_plain(items: &[String]) -> String {
    match items {
        [] => "none".to_owned(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
