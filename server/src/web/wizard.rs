//! The customer's wizard: find a guide, then one step at a time until it is solved or handed
//! to support. Every move is a form POST answered by a redirect to the step (POST-redirect-GET),
//! so reloading and the browser's back button never repeat or undo a move.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use stepwise_engine::{Choice, FlowSource, InLocale, Step, StepKind, WalkError};

use stepwise_app::{Asked, Error, Library, Session};

use super::catalog::{FlowCard, Group, groups, search};
use super::moves::{self, Answer, Back, FormAction, MoveForm, Restart};
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
        .route("/s/{id}/answer", post(make_move::<Answer>))
        .route("/s/{id}/back", post(make_move::<Back>))
        .route("/s/{id}/restart", post(make_move::<Restart>))
        .route("/s/{id}/details", post(details))
        .route("/s/{id}/feedback", post(feedback))
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
    Redirect::to(&format!("/s/{}{}#step", segment(id), layout.query())).into_response()
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
        stepwise_app::transcript::markdown(&t, session.record.reference.as_deref())
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
    moves::make(&state, &id, &chosen(&layout), A::ACTION, form).await?;
    Ok(to_step(&id, &layout))
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
        Err(Error::Walk(WalkError::InvalidDetails { problems })) => {
            let errors = problems.into_iter().map(|p| (p.id, p.problem)).collect();
            let session = Session::load(&state, &id).await?;
            let page = step_page(&state, &session, &layout, Some((typed, errors)))?;
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
