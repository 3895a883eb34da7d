//! A customer's walk through a flow: where they are, how they got there, and what comes next.
//!
//! A [`Walk`] is plain data (serde) so the server can store it between requests. It never
//! holds flows: every call is given a [`FlowSource`], and the walk asks it for each flow at
//! the version it first saw, so a session is never moved silently to a newer version.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::exit::SOLVED;
use crate::flow::{Flow, FlowSource, Version};
use crate::ids::{into_nfc, nfc};
use crate::literal;
use crate::model::{Detail, Input, Node, Route};
use crate::phrases::{self, Phrases};

/// The answer id the history shows for leaving a node by a jump rather than an answer.
pub const JUMPED: &str = "@jump";

/// How many nodes the engine may pass on its own (branches, links, known facts) before it
/// gives up: facts can make branches chase each other forever even in a checked flow.
const MAX_AUTOMATIC_MOVES: usize = 10_000;

/// Longest value accepted for one fact given at the start.
const MAX_FACT_LEN: usize = 200;
/// How much of a refused fact's name an error repeats.
const MAX_NAME_IN_MESSAGE: usize = 64;

/// What went wrong with a request to move a walk. The walk is unchanged after any error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalkError {
    /// The flow does not exist.
    #[error("there is no flow `{0}`")]
    UnknownFlow(String),
    /// The answer is not one the current step offers.
    #[error("`{answer}` is not an answer here; offered: {}", offered.join(", "))]
    NotOffered {
        answer: String,
        offered: Vec<String>,
    },
    /// Back was asked for at the first step.
    #[error("already at the first step")]
    AtStart,
    /// The walk has reached an outcome; only back or restart move it.
    #[error("this walk has ended; go back or restart")]
    Finished,
    /// Details submitted at an escalation were not acceptable.
    #[error("some details need attention: {}", problems.iter().map(|p| format!("{}: {}", p.id, p.problem)).collect::<Vec<_>>().join("; "))]
    InvalidDetails { problems: Vec<DetailProblem> },
    /// Details were submitted where the walk is not at an escalation.
    #[error("details can only be given at an escalation")]
    NotEscalated,
    /// A fact given at the start is empty or too long.
    #[error("fact `{0}` must have a value of 1 to {MAX_FACT_LEN} characters")]
    InvalidFact(String),
    /// A fact given at the start that neither the flow nor a flow it links to takes as an
    /// input. The name is cut short when it is long.
    #[error("this flow takes no fact `{name}`; it takes {accepted}")]
    UndeclaredFact {
        /// The fact's name, cut to a length fit for a message.
        name: String,
        /// The facts it takes, in words.
        accepted: String,
    },
    /// A fact given at the start with a value its input does not declare. The value is cut
    /// short when it is long.
    #[error("fact `{name}` takes {accepted}, not `{value}`")]
    UndeclaredValue {
        /// The fact's name.
        name: String,
        /// The value given, cut to a length fit for a message.
        value: String,
        /// The values it takes, in words.
        accepted: String,
    },
    /// A flow the walk is pinned to is no longer available at that version.
    #[error("flow `{flow}` is not available at version {version}")]
    FlowUnavailable { flow: String, version: String },
    /// The walk points at a node its flow does not have (a stored walk from elsewhere).
    #[error("flow `{flow}` has no node `{node}`")]
    UnknownNode { flow: String, node: String },
    /// A stored walk with no position at all.
    #[error("this walk has no current step")]
    Empty,
    /// Branches and links moved on their own for too long without reaching a step.
    #[error(
        "the flow keeps moving on its own without reaching a step (a loop of branches or links)"
    )]
    EndlessLoop,
}

/// A problem with one detail submitted at an escalation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetailProblem {
    /// The detail's id.
    pub id: String,
    /// What is wrong, for a person.
    pub problem: String,
}

/// The kind of step a customer sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    Question,
    Remedy,
    Info,
    Resolved,
    Escalate,
    Done,
}

impl StepKind {
    /// The kind as a lowercase word.
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Question => "question",
            StepKind::Remedy => "remedy",
            StepKind::Info => "info",
            StepKind::Resolved => "resolved",
            StepKind::Escalate => "escalate",
            StepKind::Done => "done",
        }
    }
}

/// Where a walk stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Resolved,
    Escalated,
    Done,
}

impl Status {
    /// The status as a lowercase word.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Resolved => "resolved",
            Status::Escalated => "escalated",
            Status::Done => "done",
        }
    }
}

/// An answer the customer can give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// The id to send back.
    pub id: String,
    /// What the customer reads.
    pub label: String,
}

/// What happened, at an outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Resolved, escalated or done.
    pub kind: Status,
    /// The remedy that solved it, when a remedy did.
    pub resolved_by: Option<String>,
    /// What support needs, at an escalation.
    pub collect: Vec<Detail>,
    /// Where support should put the case, at an escalation that says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<Route>,
}

/// Everything a client needs to show the current step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The flow this step belongs to (after a link, the linked flow).
    pub flow: String,
    /// That flow's title.
    pub flow_title: String,
    /// The node id.
    pub node: String,
    /// What kind of step it is.
    pub kind: StepKind,
    /// Markdown.
    pub text: String,
    /// The answers offered (empty at an outcome).
    pub answers: Vec<Choice>,
    /// What happened, at an outcome.
    pub outcome: Option<Outcome>,
    /// How many answers the customer has given to get here.
    pub position: usize,
    /// Whether back would move.
    pub can_go_back: bool,
    /// The language of the step's texts as asked for (`en` is the source language).
    #[serde(default = "default_locale")]
    pub locale: String,
    /// Whether the step's texts are in the source language because the asked one has no
    /// current translation of them.
    #[serde(default)]
    pub fallback: bool,
}

fn default_locale() -> String {
    crate::locale::DEFAULT_LOCALE.to_owned()
}

/// One node the walk passed through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Visit {
    flow: String,
    node: String,
    /// The answer (or branch case) taken to leave this node; `None` where the walk stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    answer: Option<String>,
    /// Whether the engine moved on by itself (a branch, a link, a question already answered
    /// by a known fact): back skips these.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    automatic: bool,
    /// Whether this node was left by a jump: the answer then records no fact.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    jumped: bool,
}

/// One entry of a walk's history, for people and clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The flow of the node.
    pub flow: String,
    /// The node id.
    pub node: String,
    /// The node's kind (`question`, `remedy`, `branch`, `link`…).
    pub kind: String,
    /// The node's Markdown text (empty for branches and links).
    pub text: String,
    /// The answer taken, if any.
    pub answer: Option<Choice>,
    /// Whether the engine took it on its own from a known fact, a branch or a link.
    pub automatic: bool,
}

/// A customer's walk through a flow, pinned to the versions of the flows it passes through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Walk {
    flow: String,
    facts: BTreeMap<String, String>,
    versions: BTreeMap<String, Version>,
    trail: Vec<Visit>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    details: BTreeMap<String, String>,
    /// Kept with the walk so that lists of sessions need no flows to show it.
    status: Status,
    /// The language the customer reads the walk in, when it is not the source language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    locale: Option<String>,
}

impl Walk {
    /// Starts a walk on `flow` with the facts the site gave, and returns it with its first step.
    pub fn start(
        src: &impl FlowSource,
        flow: &str,
        facts: BTreeMap<String, String>,
    ) -> Result<(Walk, Step), WalkError> {
        // Ids in flows are in NFC: so must be the flow, facts and values a site sends.
        let flow = nfc(flow);
        let flow = flow.as_ref();
        let facts: BTreeMap<String, String> = facts
            .into_iter()
            .map(|(name, value)| (into_nfc(name), into_nfc(value)))
            .collect();
        let first = src
            .flow(flow, None)
            .ok_or_else(|| WalkError::UnknownFlow(flow.to_owned()))?;
        let inputs = inputs_reached(src, &first);
        if let Some(name) = facts
            .keys()
            .find(|name| !inputs.contains_key(name.as_str()))
        {
            let accepted = match inputs.is_empty() {
                true => "none".to_owned(),
                false => inputs
                    .keys()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            return Err(WalkError::UndeclaredFact {
                name: name.chars().take(MAX_NAME_IN_MESSAGE).collect(),
                accepted,
            });
        }
        if let Some((name, _)) = facts
            .iter()
            .find(|(_, v)| v.trim().is_empty() || v.chars().count() > MAX_FACT_LEN)
        {
            return Err(WalkError::InvalidFact(name.clone()));
        }
        for (name, value) in &facts {
            if let Some(input) = inputs.get(name)
                && !input.takes(value)
            {
                let accepted: Vec<String> = input.values.iter().map(|v| format!("`{v}`")).collect();
                return Err(WalkError::UndeclaredValue {
                    name: name.clone(),
                    value: value.chars().take(MAX_NAME_IN_MESSAGE).collect(),
                    accepted: accepted.join(", "),
                });
            }
        }
        let mut walk = Walk {
            flow: flow.to_owned(),
            facts,
            versions: BTreeMap::from([(flow.to_owned(), first.version().clone())]),
            trail: Vec::new(),
            details: BTreeMap::new(),
            status: Status::Active,
            locale: None,
        };
        walk.enter(src, flow, first.start().to_owned(), &mut Vec::new())?;
        let step = walk.settle(src)?;
        Ok((walk, step))
    }

    /// The step the walk stands on.
    pub fn current(&self, src: &impl FlowSource) -> Result<Step, WalkError> {
        let here = self.here()?;
        let flow = self.pinned(src, &here.flow)?;
        let node = node_of(&flow, &here.node)?;
        let position = self.answers_given();
        let can_go_back = position > 0;
        let words = flow.phrases();
        let mut step = Step {
            flow: flow.id().to_owned(),
            flow_title: flow.title().to_owned(),
            node: here.node.clone(),
            kind: StepKind::Done,
            text: node.text().unwrap_or_default().to_owned(),
            answers: Vec::new(),
            outcome: None,
            position,
            can_go_back,
            locale: flow.locale().to_owned(),
            fallback: flow.is_fallback(&here.node),
        };
        match node {
            Node::Question { .. } => {
                step.kind = StepKind::Question;
                step.answers = choices(node, words);
            }
            Node::Remedy { .. } if here.answer.as_deref() == Some(SOLVED) => {
                step.kind = StepKind::Resolved;
                step.outcome = Some(Outcome {
                    kind: Status::Resolved,
                    resolved_by: Some(here.node.clone()),
                    collect: Vec::new(),
                    route: None,
                });
            }
            Node::Remedy { .. } => {
                step.kind = StepKind::Remedy;
                step.answers = choices(node, words);
            }
            Node::Info { .. } => {
                step.kind = StepKind::Info;
                step.answers = choices(node, words);
            }
            Node::Resolved { .. } => {
                step.kind = StepKind::Resolved;
                step.outcome = Some(outcome(Status::Resolved, Vec::new()));
            }
            Node::Escalate { collect, route, .. } => {
                step.kind = StepKind::Escalate;
                step.outcome = Some(Outcome {
                    route: route.clone(),
                    ..outcome(Status::Escalated, collect.clone())
                });
            }
            Node::Done { .. } => {
                step.kind = StepKind::Done;
                step.outcome = Some(outcome(Status::Done, Vec::new()));
            }
            // The walk never stands on these: `enter` moves past them.
            Node::Branch { .. } | Node::Link { .. } => {
                return Err(WalkError::UnknownNode {
                    flow: here.flow.clone(),
                    node: here.node.clone(),
                });
            }
        }
        Ok(step)
    }

    /// Answers the current step with one of the answers it offers and returns the next step.
    pub fn answer(&mut self, src: &impl FlowSource, answer: &str) -> Result<Step, WalkError> {
        // Answer ids are in NFC; a client may send another form of the same id.
        let answer = nfc(answer);
        let answer = answer.as_ref();
        let here = self.here()?;
        let flow = self.pinned(src, &here.flow)?;
        let node = node_of(&flow, &here.node)?;
        let not_offered = || WalkError::NotOffered {
            answer: answer.to_owned(),
            offered: offered(node),
        };
        let next = match node {
            _ if here.answer.is_some() => return Err(WalkError::Finished),
            Node::Question { .. } | Node::Remedy { .. } | Node::Info { .. } => node
                .exits()
                .find(|exit| !exit.is_automatic() && exit.choice() == answer)
                .ok_or_else(not_offered)?
                .to
                .map(str::to_owned),
            Node::Resolved { .. } | Node::Escalate { .. } | Node::Done { .. } => {
                return Err(WalkError::Finished);
            }
            Node::Branch { .. } | Node::Link { .. } => {
                return Err(WalkError::UnknownNode {
                    flow: here.flow.clone(),
                    node: here.node.clone(),
                });
            }
        };
        let flow_id = flow.id().to_owned();
        // Move in place and undo on failure: cheaper than working on a copy of the walk.
        let trail_len = self.trail.len();
        let mut newly_pinned = Vec::new();
        self.here_mut()?.answer = Some(answer.to_owned());
        let moved = match next {
            Some(next) => self.enter(src, &flow_id, next, &mut newly_pinned),
            None => Ok(()),
        };
        match moved.and_then(|()| self.settle(src)) {
            Ok(step) => Ok(step),
            Err(error) => {
                self.trail.truncate(trail_len);
                self.here_mut()?.answer = None;
                for id in newly_pinned {
                    self.versions.remove(&id);
                }
                Err(error)
            }
        }
    }

    /// Undoes the last answer the customer gave (across links too) and returns that step.
    pub fn back(&mut self, src: &impl FlowSource) -> Result<Step, WalkError> {
        if self.answers_given() == 0 {
            return Err(WalkError::AtStart);
        }
        let mut moved = self.clone();
        if moved.here()?.answer.is_none() {
            moved.trail.pop();
        }
        while moved.trail.last().is_some_and(|v| v.automatic) {
            moved.trail.pop();
        }
        let here = moved.here_mut()?;
        here.answer = None;
        here.jumped = false;
        let step = moved.settle(src)?;
        *self = moved;
        Ok(step)
    }

    /// Moves straight to `node` of the flow the walk stands in, as an agent may when the
    /// customer is further along than the script. The jump is recorded like an answer, so
    /// back undoes it.
    pub fn jump(&mut self, src: &impl FlowSource, node: &str) -> Result<Step, WalkError> {
        // Node ids are in NFC; an agent's tool may send another form of the same id.
        let node = nfc(node);
        let node = node.as_ref();
        let here = self.here()?;
        let flow = self.pinned(src, &here.flow)?;
        node_of(&flow, node)?;
        let flow_id = flow.id().to_owned();
        let mut moved = self.clone();
        let left = moved.here_mut()?;
        left.answer = Some(JUMPED.to_owned());
        left.jumped = true;
        moved.enter(src, &flow_id, node.to_owned(), &mut Vec::new())?;
        let step = moved.settle(src)?;
        *self = moved;
        Ok(step)
    }

    /// Goes back to the first step, keeping the facts the site gave and the pinned versions.
    pub fn restart(&mut self, src: &impl FlowSource) -> Result<Step, WalkError> {
        let mut moved = self.clone();
        moved.trail.clear();
        moved.details.clear();
        let flow = moved.pinned(src, &moved.flow.clone())?;
        let start_flow = moved.flow.clone();
        moved.enter(src, &start_flow, flow.start().to_owned(), &mut Vec::new())?;
        let step = moved.settle(src)?;
        *self = moved;
        Ok(step)
    }

    /// Records the details support needs, at an escalation, after checking each of them.
    pub fn submit_details(
        &mut self,
        src: &impl FlowSource,
        details: BTreeMap<String, String>,
    ) -> Result<(), WalkError> {
        let details: BTreeMap<String, String> = details
            .into_iter()
            .map(|(id, value)| (into_nfc(id), value))
            .collect();
        let step = self.current(src)?;
        let Some(Outcome {
            kind: Status::Escalated,
            collect,
            ..
        }) = step.outcome
        else {
            return Err(WalkError::NotEscalated);
        };
        let words = crate::phrases::for_locale(self.locale());
        let mut problems = Vec::new();
        for id in details.keys() {
            if !collect.iter().any(|d| &d.id == id) {
                problems.push(DetailProblem {
                    id: id.clone(),
                    problem: words.detail_not_asked.to_owned(),
                });
            }
        }
        let mut accepted = BTreeMap::new();
        for detail in &collect {
            let value = details.get(&detail.id).map(|v| v.trim()).unwrap_or("");
            let problem = if value.is_empty() {
                (!detail.optional).then(|| words.detail_required.replace("{label}", &detail.label))
            } else {
                crate::details::problem(detail, value, words)
            };
            match problem {
                Some(problem) => problems.push(DetailProblem {
                    id: detail.id.clone(),
                    problem,
                }),
                None if value.is_empty() => {}
                None => {
                    accepted.insert(detail.id.clone(), value.to_owned());
                }
            }
        }
        if !problems.is_empty() {
            return Err(WalkError::InvalidDetails { problems });
        }
        self.details = accepted;
        Ok(())
    }

    /// The language the customer reads the walk in (the source language unless set).
    pub fn locale(&self) -> &str {
        self.locale
            .as_deref()
            .unwrap_or(crate::locale::DEFAULT_LOCALE)
    }

    /// Records the language the customer reads the walk in; it changes no step.
    pub fn set_locale(&mut self, locale: &str) {
        self.locale = (locale != crate::locale::DEFAULT_LOCALE).then(|| locale.to_owned());
    }

    /// Where the walk stands: active, or which outcome it reached.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The current step, with the status brought up to date after a move.
    fn settle(&mut self, src: &impl FlowSource) -> Result<Step, WalkError> {
        let step = self.current(src)?;
        self.status = step.outcome.as_ref().map_or(Status::Active, |o| o.kind);
        Ok(step)
    }

    /// The flow the walk started on.
    pub fn flow(&self) -> &str {
        &self.flow
    }

    /// The facts the site gave at the start.
    pub fn given_facts(&self) -> &BTreeMap<String, String> {
        &self.facts
    }

    /// Every fact known now: those given at the start and those recorded by answers.
    pub fn facts(&self, src: &impl FlowSource) -> Result<BTreeMap<String, String>, WalkError> {
        let mut facts = self.facts.clone();
        for visit in &self.trail {
            let (Some(answer), flow) = (&visit.answer, self.pinned(src, &visit.flow)?) else {
                continue;
            };
            if visit.jumped {
                continue;
            }
            if let Some(Node::Question {
                fact: Some(fact), ..
            }) = flow.node(&visit.node)
            {
                facts.insert(fact.clone(), answer.clone());
            }
        }
        Ok(facts)
    }

    /// The version of every flow the walk has passed through.
    pub fn versions(&self) -> &BTreeMap<String, Version> {
        &self.versions
    }

    /// The details collected at an escalation.
    pub fn details(&self) -> &BTreeMap<String, String> {
        &self.details
    }

    /// Every node passed, with the answer taken at each.
    pub fn history(&self, src: &impl FlowSource) -> Result<Vec<HistoryEntry>, WalkError> {
        self.trail
            .iter()
            .map(|visit| {
                let flow = self.pinned(src, &visit.flow)?;
                let node = node_of(&flow, &visit.node)?;
                let words = flow.phrases();
                let answer = visit.answer.as_ref().map(|id| Choice {
                    id: id.clone(),
                    label: if visit.jumped {
                        words.jumped.to_owned()
                    } else {
                        answer_label(node, id, words)
                    },
                });
                Ok(HistoryEntry {
                    flow: visit.flow.clone(),
                    node: visit.node.clone(),
                    kind: node.kind_name().to_owned(),
                    text: node.text().unwrap_or_default().to_owned(),
                    answer,
                    automatic: visit.automatic,
                })
            })
            .collect()
    }

    /// The walk so far as a transcript for a ticket.
    pub fn transcript(&self, src: &impl FlowSource) -> Result<Transcript, WalkError> {
        let first = self.pinned(src, &self.flow)?;
        let step = self.current(src)?;
        Ok(Transcript {
            flow: self.flow.clone(),
            title: first.title().to_owned(),
            versions: self.versions.clone(),
            facts: self.facts.clone(),
            history: self.history(src)?,
            status: step.outcome.as_ref().map_or(Status::Active, |o| o.kind),
            locale: first.locale().to_owned(),
            current: step,
            details: self.details.clone(),
        })
    }

    /// Where the walk stands; only a stored walk edited by hand can stand nowhere.
    fn here(&self) -> Result<&Visit, WalkError> {
        self.trail.last().ok_or(WalkError::Empty)
    }

    fn here_mut(&mut self) -> Result<&mut Visit, WalkError> {
        self.trail.last_mut().ok_or(WalkError::Empty)
    }

    /// How many answers the customer gave (not counting moves the engine made itself).
    fn answers_given(&self) -> usize {
        self.trail
            .iter()
            .filter(|v| !v.automatic && v.answer.is_some())
            .count()
    }

    /// The flow at the version this walk is pinned to, pinning it on first sight.
    fn pinned(&self, src: &impl FlowSource, id: &str) -> Result<Arc<Flow>, WalkError> {
        let version = self.versions.get(id);
        src.flow(id, version).ok_or_else(|| match version {
            Some(v) => WalkError::FlowUnavailable {
                flow: id.to_owned(),
                version: v.to_string(),
            },
            None => WalkError::UnknownFlow(id.to_owned()),
        })
    }

    /// Moves onto `node` of `flow`, then on past every node the engine can pass by itself.
    fn enter(
        &mut self,
        src: &impl FlowSource,
        flow_id: &str,
        node_id: String,
        newly_pinned: &mut Vec<String>,
    ) -> Result<(), WalkError> {
        let mut flow = self.pinned(src, flow_id)?;
        let mut node_id = node_id;
        // Reading the facts walks the whole trail: only do it when a node asks for one.
        let mut facts: Option<BTreeMap<String, String>> = None;
        for _ in 0..MAX_AUTOMATIC_MOVES {
            let node = node_of(&flow, &node_id)?;
            let mut visit = Visit {
                flow: flow.id().to_owned(),
                node: node_id.clone(),
                answer: None,
                automatic: false,
                jumped: false,
            };
            let next = match node {
                Node::Question {
                    fact: Some(fact), ..
                } => self
                    .known_facts(src, &mut facts)?
                    .get(fact)
                    .and_then(|value| node.exits().find(|exit| exit.choice() == value)),
                Node::Branch { fact, .. } => {
                    let value = self.known_facts(src, &mut facts)?.get(fact);
                    node.branch_exit(value.map(String::as_str))
                }
                Node::Link { flow: linked } => {
                    visit.automatic = true;
                    self.trail.push(visit);
                    if !self.versions.contains_key(linked) {
                        let current = src
                            .flow(linked, None)
                            .ok_or_else(|| WalkError::UnknownFlow(linked.clone()))?;
                        self.versions
                            .insert(linked.clone(), current.version().clone());
                        newly_pinned.push(linked.clone());
                    }
                    flow = self.pinned(src, linked)?;
                    node_id = flow.start().to_owned();
                    continue;
                }
                _ => None,
            };
            // Every exit the engine takes by itself leads to a node.
            match next.and_then(|exit| Some((exit.choice().to_owned(), exit.to?.to_owned()))) {
                Some((answer, target)) => {
                    if let Node::Question {
                        fact: Some(fact), ..
                    } = node
                        && let Some(known) = facts.as_mut()
                    {
                        known.insert(fact.clone(), answer.clone());
                    }
                    visit.answer = Some(answer);
                    visit.automatic = true;
                    self.trail.push(visit);
                    node_id = target;
                }
                None => {
                    self.trail.push(visit);
                    return Ok(());
                }
            }
        }
        Err(WalkError::EndlessLoop)
    }

    /// The facts known now, read from the trail the first time they are needed.
    fn known_facts<'f>(
        &self,
        src: &impl FlowSource,
        facts: &'f mut Option<BTreeMap<String, String>>,
    ) -> Result<&'f BTreeMap<String, String>, WalkError> {
        if facts.is_none() {
            *facts = Some(self.facts(src)?);
        }
        Ok(facts.get_or_insert_default())
    }
}

/// A walk written up for a support ticket: Markdown through `Display`, JSON through serde.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transcript {
    /// The flow the walk started on.
    pub flow: String,
    /// Its title.
    pub title: String,
    /// The version of every flow passed through.
    pub versions: BTreeMap<String, Version>,
    /// Facts the site gave at the start.
    pub facts: BTreeMap<String, String>,
    /// Every node passed.
    pub history: Vec<HistoryEntry>,
    /// Where the walk stands.
    pub status: Status,
    /// The step it stands on.
    pub current: Step,
    /// Details collected at an escalation.
    pub details: BTreeMap<String, String>,
    /// The language it is written in.
    #[serde(default = "default_locale")]
    pub locale: String,
}

impl fmt::Display for Transcript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words = phrases::for_locale(&self.locale);
        let status_word = |status: Status| {
            words.statuses[match status {
                Status::Active => 0,
                Status::Resolved => 1,
                Status::Escalated => 2,
                Status::Done => 3,
            }]
        };
        writeln!(f, "# {}", self.title)?;
        writeln!(f)?;
        let versions: Vec<String> = self
            .versions
            .iter()
            .map(|(flow, v)| format!("`{flow}` {v}"))
            .collect();
        writeln!(f, "- {}: {}", words.flow, versions.join(", "))?;
        writeln!(f, "- {}: {}", words.status, status_word(self.status))?;
        if !self.facts.is_empty() {
            // Facts come from the API, so names and values are both written as literals.
            writeln!(f, "- {}:", words.facts_given)?;
            for (name, value) in &self.facts {
                f.write_str(&literal::item(2, &literal::span(name), value))?;
            }
        }
        writeln!(f)?;
        writeln!(f, "## {}", words.steps)?;
        writeln!(f)?;
        let mut number = 0;
        for entry in &self.history {
            let summary = first_line(&entry.text);
            match (entry.kind.as_str(), &entry.answer) {
                ("branch", _) => continue,
                ("link", _) => {
                    writeln!(f, "- {} (`{}`)", words.continued, entry.node)?;
                    continue;
                }
                (_, Some(answer)) => {
                    number += 1;
                    let how = if entry.automatic {
                        format!(" ({})", words.already_known)
                    } else {
                        String::new()
                    };
                    writeln!(f, "{number}. {summary}")?;
                    writeln!(f, "   - **{}**{how}", answer.label)?;
                }
                (_, None) => {}
            }
        }
        writeln!(f)?;
        writeln!(f, "## {}", words.now)?;
        writeln!(f)?;
        match &self.current.outcome {
            Some(Outcome {
                kind: Status::Resolved,
                resolved_by: Some(remedy),
                ..
            }) => writeln!(f, "{} `{remedy}`.", words.resolved_by)?,
            Some(o) => {
                let word = match o.kind {
                    Status::Resolved => words.outcomes[0],
                    Status::Escalated => words.outcomes[1],
                    Status::Done => words.outcomes[2],
                    Status::Active => status_word(Status::Active),
                };
                writeln!(f, "{word}: {}", first_line(&self.current.text))?;
            }
            None => writeln!(
                f,
                "{}: {}",
                words.waiting_at,
                first_line(&self.current.text)
            )?,
        }
        if let Some(o) = self
            .current
            .outcome
            .as_ref()
            .filter(|o| !o.collect.is_empty())
        {
            writeln!(f)?;
            writeln!(f, "## {}", words.details)?;
            writeln!(f)?;
            for detail in &o.collect {
                match self.details.get(&detail.id) {
                    Some(value) => f.write_str(&literal::item(0, &detail.label, value))?,
                    None => writeln!(f, "- {}: {}", detail.label, words.not_given)?,
                }
            }
        }
        Ok(())
    }
}

/// The answers a customer can give at a node, labelled in the language of `words`.
fn choices(node: &Node, words: &Phrases) -> Vec<Choice> {
    node.exits()
        .filter_map(|exit| {
            Some(Choice {
                id: exit.choice().to_owned(),
                label: exit.answer_label(words)?.to_owned(),
            })
        })
        .collect()
}

fn outcome(kind: Status, collect: Vec<Detail>) -> Outcome {
    Outcome {
        kind,
        resolved_by: None,
        collect,
        route: None,
    }
}

/// The answer ids a node offers.
fn offered(node: &Node) -> Vec<String> {
    node.exits()
        .filter(|exit| !exit.is_automatic())
        .map(|exit| exit.choice().to_owned())
        .collect()
}

fn node_of<'f>(flow: &'f Flow, id: &str) -> Result<&'f Node, WalkError> {
    flow.node(id).ok_or_else(|| WalkError::UnknownNode {
        flow: flow.id().to_owned(),
        node: id.to_owned(),
    })
}

/// What a customer read for an answer id at a node; the id itself for a branch's case.
fn answer_label(node: &Node, id: &str, words: &Phrases) -> String {
    node.exits()
        .find(|exit| exit.choice() == id)
        .and_then(|exit| exit.answer_label(words))
        .unwrap_or(id)
        .to_owned()
}

/// The first non-empty line of Markdown, for one-line summaries.
fn first_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

/// The facts a walk starting on the flow `flow` may be given, by name: the inputs of the flow
/// and of every flow it links to, however far. `None` if there is no such flow.
///
/// An input declared by several of them takes the values all of them declare (any value if
/// one declares none), and is signed if one of them says so.
pub fn inputs_of(src: &impl FlowSource, flow: &str) -> Option<BTreeMap<String, Input>> {
    let flow = nfc(flow);
    src.flow(flow.as_ref(), None)
        .map(|first| inputs_reached(src, &first))
}

/// [`inputs_of`] a flow already found.
fn inputs_reached(src: &impl FlowSource, flow: &Arc<Flow>) -> BTreeMap<String, Input> {
    let mut inputs: BTreeMap<String, Input> = BTreeMap::new();
    let mut seen = std::collections::BTreeSet::from([flow.id().to_owned()]);
    let mut next = vec![Arc::clone(flow)];
    while let Some(flow) = next.pop() {
        for input in &flow.raw().inputs {
            match inputs.get_mut(&input.name) {
                None => {
                    inputs.insert(input.name.clone(), input.clone());
                }
                Some(known) => {
                    known.signed |= input.signed;
                    if known.values.is_empty() || input.values.is_empty() {
                        known.values.clear();
                    } else {
                        for value in &input.values {
                            if !known.values.contains(value) {
                                known.values.push(value.clone());
                            }
                        }
                    }
                }
            }
        }
        for node in flow.raw().nodes.values() {
            if let Node::Link { flow: linked } = node
                && seen.insert(linked.clone())
                && let Some(linked) = src.flow(linked, None)
            {
                next.push(linked);
            }
        }
    }
    inputs
}
