//! The customer's wizard: find a guide, then one step at a time until it is solved or handed
//! to support. Every move is a form POST answered by a redirect to the step (POST-redirect-GET),
//! so reloading and the browser's back button never repeat or undo a move.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use stepwise_engine::{
    Choice, DetailKind, FlowSource, InLocale, Status, Step, StepKind, WalkError,
};

use stepwise_app::webhooks::EventType;
use stepwise_app::{Asked, Error, Library, Session, context};
use stepwise_store::{Party, Ticket};

use super::catalog::{FlowCard, Group, groups, search};
use super::link::{self, Kept};
use super::moves::{self, Action, Answer, Back, FormAction, MoveForm, Restart};
use super::words::{self, Words};
use super::{Chrome, Layout, PageError, markdown, page, segment};
use crate::serve::AppState;

/// The wizard's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/flows/{id}", get(flow))
        .route("/flows/{id}/start", post(start))
        .route("/s/{id}", get(step))
        .route("/s/{id}/answer", post(make_move::<Answer>).get(to_session))
        .route("/s/{id}/back", post(make_move::<Back>).get(to_session))
        .route(
            "/s/{id}/restart",
            post(make_move::<Restart>).get(to_session),
        )
        .route("/s/{id}/details", post(details).get(to_session))
        .route("/s/{id}/feedback", post(feedback).get(to_session))
        .route("/s/{id}/leave", get(leave))
        .route("/s/{id}/summary.txt", get(summary_file))
}

/// A form's address opened in a browser (a reload after a refused form, a shared link): the
/// session's page, not an error.
async fn to_session(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(layout): Query<Layout>,
) -> Result<Response, PageError> {
    Session::load(&state, &id).await?;
    Ok(to_step(&id, &layout))
}

#[derive(Debug, Deserialize)]
struct HomeQuery {
    #[serde(default)]
    q: String,
    #[serde(flatten)]
    layout: Layout,
}

#[derive(Template)]
#[template(path = "wizard/home.html")]
struct HomePage {
    chrome: Chrome,
    query: String,
    results: Option<Vec<FlowCard>>,
    groups: Vec<Group>,
}

async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HomeQuery>,
) -> Result<Response, PageError> {
    let library = state.library();
    let locale = q.layout.locale(&library, &headers, None);
    let w = words::for_locale(&locale);
    let query = q.q.trim().to_owned();
    let results = (!query.is_empty()).then(|| search(&state.app, &library, &query, &locale));
    page(&HomePage {
        chrome: Chrome::customer(w.how_can_we_help, &q.layout)
            .in_language(&locale, &library, "/", &q.layout)
            .posting_to_embedder(&state, &headers, &q.layout)
            .with_problems(&state),
        groups: if results.is_some() {
            Vec::new()
        } else {
            groups(&library, &locale)
        },
        query,
        results,
    })
}

#[derive(Template)]
#[template(path = "wizard/flow.html")]
struct FlowPage {
    chrome: Chrome,
    flow: FlowCard,
    tags: Vec<String>,
    /// What the link carried, kept for the start form.
    kept: Vec<Kept>,
}

/// A flow's page. A link to it may carry facts (`?fact.platform=app`) and a context token
/// (`?ctx=…`): the start form keeps those the flow takes, and a refused token is said so
/// here, before the customer starts.
async fn flow(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(layout): Query<Layout>,
    Query(fields): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let library = state.library();
    let locale = layout.locale(&library, &headers, None);
    let flow = library
        .in_locale(&locale)
        .flow(&id, None)
        .ok_or(PageError::NotFound)?;
    let path = format!("/flows/{}", segment(flow.id()));
    let chrome = Chrome::customer(flow.title(), &layout)
        .in_language(&locale, &library, &path, &layout)
        .posting_to_embedder(&state, &headers, &layout)
        .with_problems(&state);
    let kept = match context::check_link(&state, flow.id(), &link::offered(&fields)) {
        Ok(checked) => checked.kept,
        Err(Error::Context(e)) => {
            let start_without = format!("{path}{}", chrome.query);
            return Ok(link::refused(flow.id(), &e, chrome, start_without));
        }
        Err(other) => return Err(other.into()),
    };
    page(&FlowPage {
        chrome,
        tags: flow.raw().tags.clone(),
        flow: FlowCard::of(&flow),
        kept: link::kept(&kept),
    })
}

/// Starts a session with the facts the start form kept from the link.
async fn start(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(layout): Query<Layout>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, PageError> {
    let library = state.library();
    let locale = layout.locale(&library, &headers, None);
    // A form that cannot be read carries nothing: the session starts without facts.
    let fields = form.map(|Form(fields)| fields).unwrap_or_default();
    let facts = match context::from_link(&state, &id, &link::offered(&fields)) {
        Ok(facts) => facts,
        Err(Error::Context(e)) => {
            let chrome = Chrome::customer(words::for_locale(&locale).link_refused, &layout)
                .in_language(
                    &locale,
                    &library,
                    &format!("/flows/{}", segment(&id)),
                    &layout,
                );
            let start_without = format!("/flows/{}{}", segment(&id), chrome.query);
            return Ok(link::refused(&id, &e, chrome, start_without));
        }
        Err(other) => return Err(other.into()),
    };
    let (session, _) = Session::start(&state, &id, facts, &locale, Party::Customer).await?;
    Ok(to_step(&session.record.id, &layout))
}

/// The redirect to a session's current step, with focus on its heading.
fn to_step(id: &str, layout: &Layout) -> Response {
    Redirect::to(&format!("/s/{}{}#step", segment(id), layout.query())).into_response()
}

/// Text details longer than this may run to several lines, and get a box of several lines.
const MULTILINE_LEN: usize = 200;

/// The `<input>` attributes that suit a kind of detail: the type, the keyboard a phone
/// shows, and what the browser may fill in.
pub struct Input {
    pub kind: &'static str,
    pub inputmode: Option<&'static str>,
    pub autocomplete: Option<&'static str>,
    /// Whether spelling checks and capitals would spoil it (an id, an address).
    pub verbatim: bool,
}

impl Input {
    fn of(kind: DetailKind) -> Input {
        let (kind, inputmode, autocomplete, verbatim) = match kind {
            DetailKind::Email => ("email", Some("email"), Some("email"), true),
            DetailKind::Phone => ("tel", Some("tel"), Some("tel"), true),
            DetailKind::Amount => ("text", Some("decimal"), Some("off"), true),
            // A date picker needs no keyboard of its own.
            DetailKind::Date => ("date", None, Some("off"), true),
            DetailKind::Url => ("url", Some("url"), Some("off"), true),
            DetailKind::Txid => ("text", Some("text"), Some("off"), true),
            DetailKind::Text => ("text", None, None, false),
        };
        Input {
            kind,
            inputmode,
            autocomplete,
            verbatim,
        }
    }
}

/// A detail to collect, as a form field.
pub struct Field {
    /// The detail id.
    pub id: String,
    /// The label.
    pub label: String,
    /// Where to find it.
    pub help: Option<String>,
    /// Whether it must be given.
    pub required: bool,
    /// Longest value.
    pub max_len: usize,
    /// How the browser is asked to take it (its kind's input type and keyboard).
    pub input: Input,
    /// Whether it is a description or the like, typed in a box of several lines.
    pub multiline: bool,
    /// What was typed.
    pub value: String,
    /// What is wrong with it.
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "wizard/step.html")]
struct StepPage {
    chrome: Chrome,
    id: String,
    /// The id of the flow the step is in, for the page's `data-stepwise-flow`.
    flow: String,
    flow_title: String,
    kind: &'static str,
    number: usize,
    heading: String,
    body: String,
    answers: Vec<Choice>,
    at: String,
    pos: usize,
    can_go_back: bool,
    trail: Vec<String>,
    fields: Vec<Field>,
    has_errors: bool,
    /// Whether the step is shown in English for want of a translation.
    fallback: bool,
    reference: Option<String>,
    /// Whether the escalation went to the helpdesk by webhook.
    sent: bool,
    /// The helpdesk's ticket, once it answered with one.
    ticket: Option<Ticket>,
    /// The case as the customer reads it back, once it went to support.
    summary: Option<Summary>,
    /// The email address the customer gave for the answer, if the escalation asked for one.
    reply_to: Option<String>,
    feedback: Option<bool>,
}

/// A case as its customer reads it back: their answers and what they gave, in their words,
/// with no ids; and the same as plain text, to paste into a chat.
struct Summary {
    answered: Vec<(String, String)>,
    given: Vec<(String, String)>,
    text: String,
}

fn summary(
    session: &Session,
    library: &InLocale<'_, Library>,
    step: &Step,
    w: &Words,
) -> Result<Summary, WalkError> {
    let answered: Vec<(String, String)> = session
        .walk
        .history(library)?
        .into_iter()
        .filter(|h| matches!(h.kind.as_str(), "question" | "remedy"))
        .filter_map(|h| {
            let (asked, _) = markdown::split_heading(&h.text);
            Some((asked, h.answer?.label))
        })
        .filter(|(asked, _)| !asked.is_empty())
        .collect();
    let given: Vec<(String, String)> = step
        .outcome
        .iter()
        .flat_map(|o| &o.collect)
        .filter_map(|d| Some((d.label.clone(), session.record.details.get(&d.id)?.clone())))
        .collect();
    let mut text = format!("{} — {}\n", w.case_summary, step.flow_title);
    if let Some(reference) = &session.record.reference {
        text.push_str(&format!("{}: {reference}\n", w.your_reference));
    }
    text.push_str(&format!("\n{}:\n", w.your_answers));
    for (asked, answer) in &answered {
        text.push_str(&format!("- {asked} — {answer}\n"));
    }
    if !given.is_empty() {
        text.push_str(&format!("\n{}:\n", w.what_you_gave));
        for (label, value) in &given {
            text.push_str(&format!("- {label}: {value}\n"));
        }
    }
    Ok(Summary {
        answered,
        given,
        text,
    })
}

/// The answers given so far, for the breadcrumb.
fn trail(session: &Session, library: &InLocale<'_, Library>) -> Result<Vec<String>, WalkError> {
    Ok(session
        .walk
        .history(library)?
        .into_iter()
        .filter(|h| !h.automatic)
        .filter_map(|h| h.answer.map(|a| a.label))
        .collect())
}

fn step_page(
    state: &AppState,
    session: &Session,
    layout: &Layout,
    headers: &HeaderMap,
    typed: Option<(BTreeMap<String, String>, BTreeMap<String, String>)>,
) -> Result<StepPage, PageError> {
    let shared = state.library();
    let locale = layout.locale(&shared, &HeaderMap::new(), Some(session.walk.locale()));
    let w = words::for_locale(&locale);
    let library = &shared.in_locale(&locale);
    let step: Step = session.walk.current(library)?;
    let (heading, body) = match step.kind {
        StepKind::Question => {
            let (heading, rest) = markdown::split_heading(&step.text);
            if heading.is_empty() {
                (w.tell_us_more.to_owned(), rest)
            } else {
                (heading, rest)
            }
        }
        StepKind::Remedy => (w.try_this.to_owned(), markdown::render(&step.text)),
        StepKind::Info => (w.good_to_know.to_owned(), markdown::render(&step.text)),
        StepKind::Resolved => (w.glad.to_owned(), resolved_text(&step, w)),
        StepKind::Escalate if session.record.reference.is_some() => {
            (w.all_set.to_owned(), markdown::render(&step.text))
        }
        StepKind::Escalate => (w.to_support.to_owned(), markdown::render(&step.text)),
        StepKind::Done => (w.all_done.to_owned(), markdown::render(&step.text)),
    };
    let (values, errors) =
        typed.unwrap_or_else(|| (session.record.details.clone(), BTreeMap::new()));
    let fields: Vec<Field> = step
        .outcome
        .as_ref()
        .map(|o| o.collect.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|d| Field {
            value: values.get(&d.id).cloned().unwrap_or_default(),
            error: errors.get(&d.id).cloned(),
            id: d.id,
            label: d.label,
            help: d.help,
            required: !d.optional,
            max_len: d.max_len,
            input: Input::of(d.kind),
            multiline: d.kind == DetailKind::Text && d.max_len > MULTILINE_LEN,
        })
        .collect();
    let summary = match session.record.reference {
        Some(_) => Some(summary(session, library, &step, w)?),
        None => None,
    };
    Ok(StepPage {
        chrome: Chrome::customer(format!("{heading} · {}", step.flow_title), layout)
            .in_language(
                &locale,
                &shared,
                &format!("/s/{}", session.record.id),
                layout,
            )
            .posting_to_embedder(state, headers, layout)
            .with_problems(state),
        fallback: step.fallback,
        id: session.record.id.clone(),
        flow: step.flow.clone(),
        flow_title: step.flow_title.clone(),
        kind: step.kind.as_str(),
        number: step.position + 1,
        heading,
        body,
        answers: step.answers.clone(),
        at: step.node.clone(),
        pos: step.position,
        can_go_back: step.can_go_back,
        trail: trail(session, library)?,
        has_errors: !errors.is_empty(),
        fields,
        reference: session.record.reference.clone(),
        sent: session.record.reference.is_some() && state.app.webhooks.sends(EventType::Escalated),
        ticket: None,
        summary,
        reply_to: step
            .outcome
            .iter()
            .flat_map(|o| &o.collect)
            .filter(|d| d.kind == DetailKind::Email)
            .find_map(|d| session.record.details.get(&d.id).cloned())
            .filter(|_| session.record.reference.is_some()),
        feedback: session.record.feedback,
    })
}

/// What a resolved step says: the flow's own words, or a line of our own after a remedy.
fn resolved_text(step: &Step, w: &Words) -> String {
    let solved_by_remedy = step
        .outcome
        .as_ref()
        .is_some_and(|o| o.resolved_by.is_some());
    if solved_by_remedy {
        markdown::render(w.fixed_it)
    } else {
        markdown::render(&step.text)
    }
}

async fn step(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(layout): Query<Layout>,
) -> Result<Response, PageError> {
    let session = Session::load(&state, &id).await?;
    let mut step = step_page(&state, &session, &layout, &headers, None)?;
    if step.sent {
        // The page shows without the ticket rather than not at all.
        step.ticket = state
            .store
            .ticket(&session.record.id)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "cannot read a session's ticket");
                None
            });
    }
    page(&step)
}

/// One of the step's moves, then the step it leads to.
async fn make_move<A: FormAction>(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(layout): Query<Layout>,
    form: Result<Form<MoveForm>, FormRejection>,
) -> Result<Response, PageError> {
    let form = match A::ACTION.read(form) {
        Ok(form) => form,
        Err(rejection) => return Ok(rejection.into_response()),
    };
    // Leaving an escalation that went to support is asked first: the case is not undone.
    let leaving = matches!(A::ACTION, Action::Back | Action::Restart);
    if leaving && !form.confirmed() {
        let session = Session::load(&state, &id).await?;
        if sent_to_support(&session) {
            let to = if A::ACTION == Action::Back {
                "back"
            } else {
                "restart"
            };
            let query = layout.query();
            let joiner = if query.is_empty() { "?" } else { "&" };
            return Ok(
                Redirect::to(&format!("/s/{}/leave{query}{joiner}to={to}", segment(&id)))
                    .into_response(),
            );
        }
    }
    moves::make(
        &state,
        &id,
        &chosen(&layout),
        A::ACTION,
        form,
        Party::Customer,
    )
    .await?;
    Ok(to_step(&id, &layout))
}

/// The case summary as a text file: what works without script, where the Copy button
/// cannot. Only once the case went to support, as on the page.
async fn summary_file(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(layout): Query<Layout>,
) -> Result<Response, PageError> {
    let session = Session::load(&state, &id).await?;
    let Some(reference) = session.record.reference.clone() else {
        return Err(PageError::NotFound);
    };
    let shared = state.library();
    let locale = layout.locale(&shared, &headers, Some(session.walk.locale()));
    let library = shared.in_locale(&locale);
    let step = session.walk.current(&library)?;
    let text = summary(&session, &library, &step, words::for_locale(&locale))?.text;
    let disposition = format!("attachment; filename=\"case-{reference}.txt\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        text,
    )
        .into_response())
}

/// Whether the session stands on an escalation the customer has sent (it has a reference).
fn sent_to_support(session: &Session) -> bool {
    session.record.reference.is_some() && session.walk.status() == Status::Escalated
}

#[derive(Debug, Deserialize)]
struct LeaveQuery {
    #[serde(default)]
    to: String,
    #[serde(flatten)]
    layout: Layout,
}

#[derive(Template)]
#[template(path = "wizard/leave.html")]
struct LeavePage {
    chrome: Chrome,
    id: String,
    reference: String,
    restart: bool,
    at: String,
    pos: usize,
}

/// Asks before Back or Start over leave an escalation the customer sent.
async fn leave(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<LeaveQuery>,
) -> Result<Response, PageError> {
    let session = Session::load(&state, &id).await?;
    let Some(reference) = session
        .record
        .reference
        .clone()
        .filter(|_| sent_to_support(&session))
    else {
        return Ok(to_step(&id, &q.layout));
    };
    let shared = state.library();
    let locale = q
        .layout
        .locale(&shared, &HeaderMap::new(), Some(session.walk.locale()));
    let w = words::for_locale(&locale);
    let step = session.walk.current(&shared.in_locale(&locale))?;
    page(&LeavePage {
        chrome: Chrome::customer(w.leave_heading, &q.layout)
            .posting_to_embedder(&state, &headers, &q.layout),
        id,
        reference,
        restart: q.to == "restart",
        at: step.node,
        pos: step.position,
    })
}

async fn details(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(layout): Query<Layout>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let typed: BTreeMap<String, String> = form
        .into_iter()
        .filter_map(|(name, value)| Some((name.strip_prefix("d.")?.to_owned(), value)))
        .collect();
    match Session::submit_details(&state, &id, typed.clone()).await {
        Err(Error::Walk(WalkError::InvalidDetails { problems })) => {
            let errors = problems.into_iter().map(|p| (p.id, p.problem)).collect();
            let session = Session::load(&state, &id).await?;
            let page = step_page(&state, &session, &layout, &headers, Some((typed, errors)))?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        other => {
            moves::unless_stale(other.map(drop))?;
            Ok(to_step(&id, &layout))
        }
    }
}

/// The language a customer chose with the switch, which a move makes the session's.
fn chosen(layout: &Layout) -> Asked {
    Asked {
        lang: layout.lang(),
        accept: Vec::new(),
    }
}

#[derive(Debug, Deserialize)]
struct Feedback {
    #[serde(default)]
    helpful: String,
}

async fn feedback(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(layout): Query<Layout>,
    Form(form): Form<Feedback>,
) -> Result<Response, PageError> {
    let helpful = match form.helpful.as_str() {
        "yes" => true,
        "no" => false,
        // Nothing to record; but only a session that exists has a step to go back to.
        _ => {
            Session::load(&state, &id).await?;
            return Ok(to_step(&id, &layout));
        }
    };
    moves::unless_stale(Session::give_feedback(&state, &id, helpful).await)?;
    Ok(to_step(&id, &layout))
}
