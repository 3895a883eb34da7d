//! The JSON shapes the API sends, with their OpenAPI schemas. They mirror the engine's types
//! (which know nothing of HTTP or OpenAPI) and are built from them, so they cannot drift.

use std::collections::BTreeMap;

use serde::Serialize;
use stepwise_app::clock::rfc3339;
use stepwise_app::{Error, Library, Session};
use stepwise_engine::{Choice, HistoryEntry, Outcome, Status, Step, StepKind, Transcript};
use stepwise_engine::{Detail, DetailKind};
use utoipa::ToSchema;

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = Status)]
pub enum StatusView {
    Active,
    Resolved,
    Escalated,
    Done,
}

impl From<Status> for StatusView {
    fn from(s: Status) -> StatusView {
        match s {
            Status::Active => StatusView::Active,
            Status::Resolved => StatusView::Resolved,
            Status::Escalated => StatusView::Escalated,
            Status::Done => StatusView::Done,
        }
    }
}

/// The kind of step a client shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = StepKind)]
pub enum StepKindView {
    Question,
    Remedy,
    Info,
    Resolved,
    Escalate,
    Done,
}

impl From<StepKind> for StepKindView {
    fn from(k: StepKind) -> StepKindView {
        match k {
            StepKind::Question => StepKindView::Question,
            StepKind::Remedy => StepKindView::Remedy,
            StepKind::Info => StepKindView::Info,
            StepKind::Resolved => StepKindView::Resolved,
            StepKind::Escalate => StepKindView::Escalate,
            StepKind::Done => StepKindView::Done,
        }
    }
}

/// An answer the customer can give.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Choice)]
pub struct ChoiceView {
    /// The id to send back in `POST …/answer`.
    #[schema(example = "in")]
    pub id: String,
    /// What the customer reads on the button.
    #[schema(example = "Into my account here")]
    pub label: String,
}

impl From<Choice> for ChoiceView {
    fn from(c: Choice) -> ChoiceView {
        ChoiceView {
            id: c.id,
            label: c.label,
        }
    }
}

/// A detail support will need, collected at an escalation.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Detail)]
pub struct DetailView {
    /// The key to submit it under, e.g. `txid`.
    pub id: String,
    /// What the customer reads next to the field.
    pub label: String,
    /// Where to find it.
    pub help: Option<String>,
    /// Whether it may be left empty.
    pub optional: bool,
    /// Longest accepted value, in characters.
    pub max_len: usize,
    /// What sort of value it is; the server refuses a value not of its kind.
    pub kind: DetailKindView,
    /// A regular expression (Rust `regex` syntax) the whole value must match, if any.
    pub pattern: Option<String>,
}

/// What sort of value a detail is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = DetailKind)]
pub enum DetailKindView {
    Email,
    Phone,
    Amount,
    Date,
    Url,
    Txid,
    Text,
}

impl From<DetailKind> for DetailKindView {
    fn from(k: DetailKind) -> DetailKindView {
        match k {
            DetailKind::Email => DetailKindView::Email,
            DetailKind::Phone => DetailKindView::Phone,
            DetailKind::Amount => DetailKindView::Amount,
            DetailKind::Date => DetailKindView::Date,
            DetailKind::Url => DetailKindView::Url,
            DetailKind::Txid => DetailKindView::Txid,
            DetailKind::Text => DetailKindView::Text,
        }
    }
}

impl From<Detail> for DetailView {
    fn from(d: Detail) -> DetailView {
        DetailView {
            id: d.id,
            label: d.label,
            help: d.help,
            optional: d.optional,
            max_len: d.max_len,
            kind: d.kind.into(),
            pattern: d.pattern,
        }
    }
}

/// What happened, at an outcome.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Outcome)]
pub struct OutcomeView {
    /// Resolved, escalated or done.
    pub kind: StatusView,
    /// The remedy node that solved it, when a remedy did.
    pub resolved_by: Option<String>,
    /// The details to collect, at an escalation.
    pub collect: Vec<DetailView>,
}

impl From<Outcome> for OutcomeView {
    fn from(o: Outcome) -> OutcomeView {
        OutcomeView {
            kind: o.kind.into(),
            resolved_by: o.resolved_by,
            collect: o.collect.into_iter().map(DetailView::from).collect(),
        }
    }
}

/// Everything a client needs to show the current step.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Step)]
pub struct StepView {
    /// The flow this step belongs to (after a link, the linked flow).
    pub flow: String,
    /// That flow's title.
    pub flow_title: String,
    /// The node id.
    pub node: String,
    /// What kind of step it is.
    pub kind: StepKindView,
    /// Markdown.
    pub text: String,
    /// The answers offered; empty at an outcome.
    pub answers: Vec<ChoiceView>,
    /// What happened, at an outcome.
    pub outcome: Option<OutcomeView>,
    /// How many answers the customer has given to get here.
    pub position: usize,
    /// Whether `POST …/back` would move.
    pub can_go_back: bool,
    /// The language the step was asked in (`?lang=`, `Accept-Language`, the session's, or
    /// the source language `en`).
    #[schema(example = "de")]
    pub locale: String,
    /// Whether the step's texts are in the source language instead, because this step has
    /// no current translation into `locale`.
    pub fallback: bool,
}

impl From<Step> for StepView {
    fn from(s: Step) -> StepView {
        StepView {
            flow: s.flow,
            flow_title: s.flow_title,
            node: s.node,
            kind: s.kind.into(),
            text: s.text,
            answers: s.answers.into_iter().map(ChoiceView::from).collect(),
            outcome: s.outcome.map(OutcomeView::from),
            position: s.position,
            can_go_back: s.can_go_back,
            locale: s.locale,
            fallback: s.fallback,
        }
    }
}

/// One node the session passed through.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = HistoryEntry)]
pub struct HistoryView {
    /// The flow of the node.
    pub flow: String,
    /// The node id.
    pub node: String,
    /// The node's kind (`question`, `remedy`, `branch`, `link`…).
    pub kind: String,
    /// The node's Markdown text (empty for branches and links).
    pub text: String,
    /// The answer taken, if any.
    pub answer: Option<ChoiceView>,
    /// Whether the engine took it by itself (a known fact, a branch, a link).
    pub automatic: bool,
}

impl From<HistoryEntry> for HistoryView {
    fn from(h: HistoryEntry) -> HistoryView {
        HistoryView {
            flow: h.flow,
            node: h.node,
            kind: h.kind,
            text: h.text,
            answer: h.answer.map(ChoiceView::from),
            automatic: h.automatic,
        }
    }
}

/// A session and the step it stands on: the answer to every move.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Session)]
pub struct SessionView {
    /// The session id: keep it to come back later.
    #[schema(example = "3f0b8f0e-3c1a-4e8e-9a57-2d6c0f1e7b44")]
    pub id: String,
    /// The flow the session started on.
    pub flow: String,
    /// The version of that flow the session is pinned to.
    pub version: String,
    /// Counts the session's changes: send it back with an answer so that an answer to a step
    /// that has moved on meanwhile is refused (409) rather than applied to the new step.
    #[schema(example = 3)]
    pub revision: i64,
    /// Where the session stands.
    pub status: StatusView,
    /// The current step.
    pub step: StepView,
}

/// A session in full: the current step, how it got there, and what was collected.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionDetail {
    /// The session id.
    pub id: String,
    /// The flow the session started on.
    pub flow: String,
    /// The version of that flow the session is pinned to.
    pub version: String,
    /// Counts the session's changes (see `Session.revision`).
    pub revision: i64,
    /// Where the session stands.
    pub status: StatusView,
    /// The language the customer reads the session in.
    #[schema(example = "de")]
    pub customer_locale: String,
    /// The current step.
    pub step: StepView,
    /// The version of every flow the session passed through.
    pub versions: BTreeMap<String, String>,
    /// The facts the site gave at the start.
    pub facts: BTreeMap<String, String>,
    /// Every node passed, with the answer taken at each.
    pub history: Vec<HistoryView>,
    /// When the session started (RFC 3339).
    pub created_at: String,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
    /// The escalation reference, once details were submitted.
    pub reference: Option<String>,
    /// The details collected at an escalation.
    pub details: BTreeMap<String, String>,
    /// Whether the customer said the outcome helped.
    pub feedback: Option<bool>,
}

impl SessionView {
    /// `session`, standing on `step`: what every move answers.
    pub fn new(session: &Session, step: Step) -> SessionView {
        SessionView {
            id: session.record.id.clone(),
            flow: session.record.flow.clone(),
            version: session.record.version.clone(),
            revision: session.record.revision,
            status: session.walk.status().into(),
            step: step.into(),
        }
    }
}

impl SessionDetail {
    /// `session` in full, read in `locale`.
    pub fn new(session: &Session, library: &Library, locale: &str) -> Result<SessionDetail, Error> {
        let flows = library.in_locale(locale);
        let step = session.walk.current(&flows)?;
        let history = session.walk.history(&flows)?;
        let record = &session.record;
        Ok(SessionDetail {
            id: record.id.clone(),
            flow: record.flow.clone(),
            version: record.version.clone(),
            revision: record.revision,
            status: session.walk.status().into(),
            customer_locale: session.walk.locale().to_owned(),
            step: step.into(),
            versions: versions(session.walk.versions()),
            facts: session.walk.given_facts().clone(),
            history: history.into_iter().map(HistoryView::from).collect(),
            created_at: rfc3339(record.created_at),
            updated_at: rfc3339(record.updated_at),
            reference: record.reference.clone(),
            details: record.details.clone(),
            feedback: record.feedback,
        })
    }
}

/// A session written up for a support ticket.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Transcript)]
pub struct TranscriptView {
    /// The session id.
    pub session: String,
    /// The escalation reference, once details were submitted.
    pub reference: Option<String>,
    /// The flow the walk started on.
    pub flow: String,
    /// Its title.
    pub title: String,
    /// The version of every flow passed through.
    pub versions: BTreeMap<String, String>,
    /// Facts the site gave at the start.
    pub facts: BTreeMap<String, String>,
    /// Every node passed.
    pub history: Vec<HistoryView>,
    /// Where the walk stands.
    pub status: StatusView,
    /// The step it stands on.
    pub current: StepView,
    /// Details collected at an escalation.
    pub details: BTreeMap<String, String>,
    /// The language it is written in.
    pub locale: String,
}

impl TranscriptView {
    /// The engine's transcript of session `session`.
    pub fn new(session: String, reference: Option<String>, t: Transcript) -> TranscriptView {
        TranscriptView {
            session,
            reference,
            flow: t.flow,
            title: t.title,
            versions: versions(&t.versions),
            facts: t.facts,
            history: t.history.into_iter().map(HistoryView::from).collect(),
            status: t.status.into(),
            current: t.current.into(),
            details: t.details,
            locale: t.locale,
        }
    }
}

/// Versions as plain strings, flow by flow.
pub fn versions(versions: &BTreeMap<String, stepwise_engine::Version>) -> BTreeMap<String, String> {
    versions
        .iter()
        .map(|(flow, v)| (flow.clone(), v.to_string()))
        .collect()
}
