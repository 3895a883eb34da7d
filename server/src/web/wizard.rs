//! The customer's wizard: find a guide, then one step at a time until it is solved or handed
//! to support. Every move is a form POST answered by a redirect to the step (POST-redirect-GET),
//! so reloading and the browser's back button never repeat or undo a move.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use stepwise_engine::{Choice, Flow, FlowSource, InLocale, Step, StepKind, WalkError};

use super::words::{self, Words};
use super::{Chrome, Layout, PageError, markdown, page};
use crate::error::AppError;
use crate::library::Library;
use crate::locale::Asked;
use crate::serve::AppState;
use crate::sessions::{Move, Session};

/// The wizard's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/flows/{id}", get(flow))
        .route("/flows/{id}/start", post(start))
        .route("/s/{id}", get(step))
        .route("/s/{id}/answer", post(answer))
        .route("/s/{id}/back", post(back))
        .route("/s/{id}/restart", post(restart))
        .route("/s/{id}/details", post(details))
        .route("/s/{id}/feedback", post(feedback))
}

/// A flow as a card in a list.
pub struct FlowCard {
    /// The flow id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its summary.
    pub summary: String,
}

impl FlowCard {
    fn of(flow: &Flow) -> FlowCard {
        FlowCard {
            id: flow.id().to_owned(),
            title: flow.title().to_owned(),
            summary: flow.raw().summary.clone(),
        }
    }
}

/// Flows under one heading.
pub struct Group {
    /// The heading: the first tag of each flow in it.
    pub name: String,
    /// The flows.
    pub flows: Vec<FlowCard>,
}

/// The flows matching `query` in `locale`, best first.
pub fn search(library: &Library, query: &str, locale: &str) -> Vec<FlowCard> {
    let flows = library.in_locale(locale);
    library
        .index_in(locale)
        .search(query)
        .iter()
        .filter_map(|hit| flows.flow(&hit.id, None))
        .map(|f| FlowCard::of(&f))
        .collect()
}

/// Every flow in `locale`, grouped by its first tag.
pub fn groups(library: &Library, locale: &str) -> Vec<Group> {
    let mut groups: BTreeMap<String, Vec<FlowCard>> = BTreeMap::new();
    for flow in library.flows_in(locale) {
        let tag = flow
            .raw()
            .tags
            .first()
            .cloned()
            .unwrap_or_else(|| words::for_locale(locale).other.to_owned());
        let mut name: Vec<char> = tag.chars().collect();
        if let Some(first) = name.first_mut() {
            *first = first.to_ascii_uppercase();
        }
        groups
            .entry(name.into_iter().collect())
            .or_default()
            .push(FlowCard::of(&flow));
    }
    groups
        .into_iter()
        .map(|(name, flows)| Group { name, flows })
        .collect()
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
    let results = (!query.is_empty()).then(|| search(&library, &query, &locale));
    page(&HomePage {
        chrome: Chrome::customer(w.how_can_we_help, &q.layout)
            .in_language(&locale, &library, "/", &q.layout)
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
}

async fn flow(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(layout): Query<Layout>,
) -> Result<Response, PageError> {
    let library = state.library();
    let locale = layout.locale(&library, &headers, None);
    let flow = library
        .in_locale(&locale)
        .flow(&id, None)
        .ok_or(PageError::NotFound)?;
    page(&FlowPage {
        chrome: Chrome::customer(flow.title(), &layout)
            .in_language(&locale, &library, &format!("/flows/{id}"), &layout)
            .with_problems(&state),
        tags: flow.raw().tags.clone(),
        flow: FlowCard::of(&flow),
    })
}

async fn start(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(layout): Query<Layout>,
) -> Result<Response, PageError> {
    let locale = layout.locale(&state.library(), &headers, None);
    let (session, _) = Session::start(&state, &id, BTreeMap::new(), &locale).await?;
    Ok(to_step(&session.record.id, &layout))
}

/// The redirect to a session's current step, with focus on its heading.
fn to_step(id: &str, layout: &Layout) -> Response {
    Redirect::to(&format!("/s/{id}{}#step", layout.query())).into_response()
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
    transcript: String,
    feedback: Option<bool>,
}

/// The kind of a step as a word for classes and template choices.
pub fn kind_word(kind: StepKind) -> &'static str {
    match kind {
        StepKind::Question => "question",
        StepKind::Remedy => "remedy",
        StepKind::Info => "info",
        StepKind::Resolved => "resolved",
        StepKind::Escalate => "escalate",
        StepKind::Done => "done",
    }
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
        })
        .collect();
    let transcript = if session.record.reference.is_some() {
        let t = session.walk.transcript(library)?;
        crate::api::transcript::markdown(&t, session.record.reference.as_deref())
    } else {
        String::new()
    };
    Ok(StepPage {
        chrome: Chrome::customer(format!("{heading} · {}", step.flow_title), layout)
            .in_language(
                &locale,
                &shared,
                &format!("/s/{}", session.record.id),
                layout,
            )
            .with_problems(state),
        fallback: step.fallback,
        id: session.record.id.clone(),
        flow_title: step.flow_title.clone(),
        kind: kind_word(step.kind),
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
        transcript,
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
    Query(layout): Query<Layout>,
) -> Result<Response, PageError> {
    let session = Session::load(&state, &id).await?;
    page(&step_page(&state, &session, &layout, None)?)
}

/// Where the form was shown: a move is applied only if the session still stands there.
#[derive(Debug, Deserialize)]
struct MoveForm {
    #[serde(default)]
    at: String,
    #[serde(default)]
    pos: usize,
    #[serde(default)]
    answer: String,
}

/// Applies `change` if the session still stands where the form was shown. A stale form (an
/// old tab, the browser's back button), a move the step does not offer, or a race with
/// another tab leaves the session as it is: the customer simply sees the current step.
pub async fn guarded_move(
    state: &AppState,
    id: &str,
    asked: &Asked,
    (at, pos): (&str, usize),
    change: Move,
) -> Result<(), PageError> {
    let result = Session::apply_if(state, id, asked, None, change, |walk, flows| {
        let here = walk.current(flows)?;
        if here.node != at || here.position != pos {
            // Refused like a finished walk: nothing changes, and the caller shows the step.
            return Err(WalkError::Finished);
        }
        Ok(())
    })
    .await;
    match result {
        Ok(_) | Err(AppError::Walk(_) | AppError::Conflict) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

async fn answer(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(layout): Query<Layout>,
    Form(form): Form<MoveForm>,
) -> Result<Response, PageError> {
    guarded_move(
        &state,
        &id,
        &chosen(&layout),
        (&form.at, form.pos),
        Move::Answer(form.answer.clone()),
    )
    .await?;
    Ok(to_step(&id, &layout))
}

async fn back(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(layout): Query<Layout>,
    Form(form): Form<MoveForm>,
) -> Result<Response, PageError> {
    guarded_move(
        &state,
        &id,
        &chosen(&layout),
        (&form.at, form.pos),
        Move::Back,
    )
    .await?;
    Ok(to_step(&id, &layout))
}

async fn restart(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(layout): Query<Layout>,
) -> Result<Response, PageError> {
    match Session::apply(&state, &id, &chosen(&layout), Move::Restart).await {
        Ok(_) | Err(AppError::Conflict) => Ok(to_step(&id, &layout)),
        Err(e) => Err(e.into()),
    }
}

async fn details(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(layout): Query<Layout>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let typed: BTreeMap<String, String> = form
        .into_iter()
        .filter_map(|(name, value)| Some((name.strip_prefix("d.")?.to_owned(), value)))
        .collect();
    match Session::submit_details(&state, &id, typed.clone()).await {
        Ok(_) => Ok(to_step(&id, &layout)),
        Err(AppError::Walk(WalkError::InvalidDetails { problems })) => {
            let errors = problems.into_iter().map(|p| (p.id, p.problem)).collect();
            let session = Session::load(&state, &id).await?;
            let page = step_page(&state, &session, &layout, Some((typed, errors)))?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(AppError::Walk(_) | AppError::Conflict) => Ok(to_step(&id, &layout)),
        Err(e) => Err(e.into()),
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
        _ => return Ok(to_step(&id, &layout)),
    };
    match Session::give_feedback(&state, &id, helpful).await {
        Ok(()) | Err(AppError::NotFinished | AppError::Conflict) => Ok(to_step(&id, &layout)),
        Err(e) => Err(e.into()),
    }
}
