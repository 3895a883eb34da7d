//! Scenario tests: walks a writer keeps beside a flow, in `<id>.scenarios.ron`, each with the
//! facts the site gives, the answers a customer takes and what must happen; run against
//! checked flows, every failure a diagnostic pointing into the scenario file.
//!
//! ```ron
//! Scenarios(
//!     flow: "deposit-missing-memo",
//!     scenarios: [
//!         (
//!             name: "coins in, memo left empty, sent from an exchange",
//!             facts: {"platform": "app"},
//!             answers: ["in", "next", "missing", "sent-from=exchange", "next"],
//!             expect: (status: Escalated, node: "contact"),
//!             details: Accepted({"coin": "XRP", "amount": "25"}),
//!         ),
//!     ],
//! )
//! ```
//!
//! - [`parse`](parse()): RON → [`ScenarioFile`], with the place of every part;
//! - [`run`](run()): each scenario walked with [`crate::Walk`], as a [`ScenarioRun`];
//! - [`Coverage`]: the nodes and answers no scenario reaches.

mod coverage;
mod parse;
mod run;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::source::{Source, Span};
use crate::walk::Status;

pub use coverage::{Coverage, FlowCoverage};
pub use parse::{Place, Places, parse};
pub use run::{ScenarioRun, Visit, run};

/// The scenarios of one flow, as read from a `.scenarios.ron` file.
#[derive(Debug, Clone)]
pub struct ScenarioFile {
    /// The file.
    pub source: Source,
    /// The flow the scenarios walk.
    pub flow: String,
    /// The scenarios, in the order written.
    pub scenarios: Vec<Scenario>,
    /// Where the value of `flow` stands.
    flow_span: Option<Span>,
}

/// One walk through a flow and what must come of it.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// What the scenario shows, e.g. `coins in, memo forgotten`.
    pub name: String,
    /// Facts the site gives when it starts the session.
    pub facts: BTreeMap<String, String>,
    /// The answers taken, in order.
    pub answers: Vec<ScenarioAnswer>,
    /// What must hold once every answer is taken.
    pub expect: Expect,
    /// Details given at the escalation, and whether they must be accepted.
    pub details: Option<Details>,
    /// Where its parts stand in the file.
    spans: Spans,
}

/// One answer of a scenario: `in`, or `direction=in` to say at which node it is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioAnswer {
    /// The node the walk must stand on, when written as `node=answer`.
    pub at: Option<String>,
    /// The answer id (`yes`/`no` at a remedy, `next` at an info step).
    pub answer: String,
    /// Where it is written.
    pub span: Span,
}

impl ScenarioAnswer {
    /// Reads `answer` or `node=answer`.
    fn new(text: &str, span: Span) -> ScenarioAnswer {
        match text.split_once('=') {
            Some((at, answer)) => ScenarioAnswer {
                at: Some(at.trim().to_owned()),
                answer: answer.trim().to_owned(),
                span,
            },
            None => ScenarioAnswer {
                at: None,
                answer: text.trim().to_owned(),
                span,
            },
        }
    }
}

/// What must hold at the end of a scenario; every part given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// How the walk stands: still active, or which outcome it reached.
    #[serde(default)]
    pub status: Option<ExpectedStatus>,
    /// The node the walk stands on (for a remedy that worked, the remedy).
    #[serde(default)]
    pub node: Option<String>,
    /// The flow it stands in (after a link, the linked flow).
    #[serde(default)]
    pub flow: Option<String>,
}

/// A walk's status as a scenario names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ExpectedStatus {
    /// Still waiting at a step.
    Active,
    /// Solved, by a remedy or at a resolved node.
    Resolved,
    /// Handed to support.
    Escalated,
    /// Nothing to fix.
    Done,
}

impl ExpectedStatus {
    /// The walk status it stands for.
    pub fn status(self) -> Status {
        match self {
            ExpectedStatus::Active => Status::Active,
            ExpectedStatus::Resolved => Status::Resolved,
            ExpectedStatus::Escalated => Status::Escalated,
            ExpectedStatus::Done => Status::Done,
        }
    }
}

/// Details given at an escalation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub enum Details {
    /// These must be accepted.
    Accepted(BTreeMap<String, String>),
    /// These must be refused; when `problems` is given, for exactly those detail ids.
    Rejected {
        given: BTreeMap<String, String>,
        #[serde(default)]
        problems: Vec<String>,
    },
}

/// Where the parts of one scenario stand in its file.
#[derive(Debug, Clone, Default)]
struct Spans {
    /// The whole scenario.
    whole: Span,
    /// The value of `name`.
    name: Option<Span>,
    /// The value of `facts`.
    facts: Option<Span>,
    /// The value of `expect`.
    expect: Option<Span>,
    /// The value of `details`.
    details: Option<Span>,
}

impl Scenario {
    /// Where the scenario's name stands, else the scenario.
    fn name_span(&self) -> Span {
        self.spans.name.unwrap_or(self.spans.whole)
    }
}
