//! The agent console: find a flow and run it for a customer beside its diagram, jump, add
//! notes, and open any session by id or escalation reference. Everything here, and the
//! agent's JSON route, needs the agent token; there is no way in without it.

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use stepwise_engine::{Choice, DEFAULT_LOCALE, FlowSource, Node, StepKind};

use super::catalog::{FlowCard, Group, groups, search};
use super::link::{self, Kept};
use super::moves::{self, Answer, Back, FormAction, Jump, MoveForm, Restart};
use super::{Chrome, PageError, markdown, page, segment};
use crate::auth::{self, COOKIE};
use crate::security;
use crate::serve::AppState;
use stepwise_app::{Asked, Session, context};
use stepwise_store::{Note, Party, Ticket};

/// The longest note kept, in characters.
const MAX_NOTE: usize = 2000;

/// A signed-in agent; without one, the page is the sign-in form.
pub struct Agent;

impl FromRequestParts<AppState> for Agent {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Agent, Response> {
        let moves = !matches!(
            parts.method,
            axum::http::Method::GET | axum::http::Method::HEAD
        );
        if moves && auth::cross_site(&parts.headers) {
            // The console's own forms post from its own pages; this one came from another.
            let mut refused = sign_in_page(
                Some(
                    "That form came from another site, so it was not sent. Open the console and try again.",
                ),
                None,
            );
            *refused.status_mut() = StatusCode::FORBIDDEN;
            return Err(refused);
        }
        if state.agent.admits(&parts.headers) {
            Ok(Agent)
        } else {
            // A page asked for by its address (a ticket sidebar's link) opens once signed in.
            let next = (parts.method == axum::http::Method::GET)
                .then(|| parts.uri.path_and_query().map(|p| p.as_str().to_owned()))
                .flatten()
                .filter(|next| return_to(next).is_some());
            Err(sign_in_page(None, next))
        }
    }
}

/// The console's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agent", get(console))
        .route("/agent/sign-in", post(sign_in))
        .route("/agent/sign-out", post(sign_out))
        .route("/agent/open", get(open))
        .route("/agent/flows/{id}", get(flow))
        .route("/agent/flows/{id}/start", post(start))
        .route("/agent/s/{id}", get(session))
        .route("/agent/s/{id}/answer", post(make_move::<Answer>))
        .route("/agent/s/{id}/back", post(make_move::<Back>))
        .route("/agent/s/{id}/restart", post(make_move::<Restart>))
        .route("/agent/s/{id}/jump", post(make_move::<Jump>))
        .route("/agent/s/{id}/note", post(note))
}

#[derive(Template)]
#[template(path = "agent/sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    error: Option<&'static str>,
    /// The console page to open once signed in.
    next: Option<String>,
}

/// The sign-in form, answered `401`: what staff pages show before sign-in. `next` is the
/// console page to go to once signed in.
pub(super) fn sign_in_page(error: Option<&'static str>, next: Option<String>) -> Response {
    let page = SignInPage {
        chrome: Chrome::agent("Sign in"),
        error,
        next,
    };
    match page.render() {
        Ok(body) => (StatusCode::UNAUTHORIZED, Html(body)).into_response(),
        Err(_) => StatusCode::UNAUTHORIZED.into_response(),
    }
}

#[derive(Deserialize)]
struct SignIn {
    #[serde(default)]
    token: String,
    #[serde(default)]
    next: String,
}

/// `next` if it is a console page of this site, so signing in can never lead elsewhere.
fn return_to(next: &str) -> Option<&str> {
    let console = next == "/agent" || next.starts_with("/agent/") || next.starts_with("/agent?");
    // ASCII only, as a `Location` header must be (an address's own is percent-encoded).
    let plain = next.len() <= 2048
        && next.is_ascii()
        && !next.contains("//")
        && !next
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace());
    (console && plain).then_some(next)
}

async fn sign_in(State(state): State<AppState>, Form(form): Form<SignIn>) -> Response {
    let next = return_to(&form.next).map(str::to_owned);
    if !state.agent.accepts(form.token.trim()) {
        return sign_in_page(
            Some("That token is not right. Check it and try again."),
            next,
        );
    }
    let framed = state.settings.console_frame_ancestors.is_some();
    let cookie = format!(
        "{COOKIE}={}; {}; Max-Age=43200",
        state.agent.cookie_value(),
        auth::cookie_attributes(framed)
    );
    let to = next.as_deref().unwrap_or("/agent");
    ([(header::SET_COOKIE, cookie)], Redirect::to(to)).into_response()
}

async fn sign_out(State(state): State<AppState>) -> Response {
    let framed = state.settings.console_frame_ancestors.is_some();
    let cookie = format!("{COOKIE}=; {}; Max-Age=0", auth::cookie_attributes(framed));
    ([(header::SET_COOKIE, cookie)], Redirect::to("/agent")).into_response()
}

#[derive(Deserialize, Default)]
struct ConsoleQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    key: String,
}

#[derive(Template)]
#[template(path = "agent/console.html")]
struct ConsolePage {
    chrome: Chrome,
    query: String,
    results: Option<Vec<FlowCard>>,
    groups: Vec<Group>,
    key: String,
    not_found: bool,
}

async fn console(
    _: Agent,
    State(state): State<AppState>,
    Query(q): Query<ConsoleQuery>,
) -> Result<Response, PageError> {
    let query = q.q.trim().to_owned();
    let results =
        (!query.is_empty()).then(|| search(&state.app, &state.library(), &query, DEFAULT_LOCALE));
    page(&ConsolePage {
        chrome: Chrome::agent("Console").with_problems(&state),
        groups: if results.is_some() {
            Vec::new()
        } else {
            groups(&state.library(), DEFAULT_LOCALE)
        },
        query,
        results,
        key: String::new(),
        not_found: false,
    })
}

/// A session id, or an escalation reference, to the session id.
async fn open(
    _: Agent,
    State(state): State<AppState>,
    Query(q): Query<ConsoleQuery>,
) -> Result<Response, PageError> {
    if let Some(id) = Session::find(&state, &q.key).await? {
        return Ok(Redirect::to(&format!("/agent/s/{}", segment(&id))).into_response());
    }
    let page = ConsolePage {
        chrome: Chrome::agent("Console").with_problems(&state),
        query: String::new(),
        results: None,
        groups: groups(&state.library(), DEFAULT_LOCALE),
        key: q.key.trim().to_owned(),
        not_found: true,
    };
    Ok((StatusCode::NOT_FOUND, Html(page.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "agent/flow.html")]
struct FlowPage {
    chrome: Chrome,
    flow: FlowCard,
    /// The facts the link gives plainly, as the agent reads them.
    facts: Vec<(String, String)>,
    /// The facts its context token gives, checked.
    signed: Vec<(String, String)>,
    /// What the link carried, kept for the start form.
    kept: Vec<Kept>,
}

/// A flow, ready to run for a customer: what a helpdesk's ticket sidebar links to, with the
/// ticket's facts (`?fact.platform=app`, `?ctx=…`).
async fn flow(
    _: Agent,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(fields): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let library = state.library();
    let flow = library.flow(&id, None).ok_or(PageError::NotFound)?;
    let path = format!("/agent/flows/{}", segment(flow.id()));
    let chrome = Chrome::agent(flow.title()).with_problems(&state);
    let offered = link::offered(&fields);
    let checked = match context::check_link(&state, flow.id(), &offered) {
        Ok(checked) => checked,
        Err(stepwise_app::Error::Context(e)) => {
            return Ok(link::refused(flow.id(), &e, chrome, path));
        }
        Err(other) => return Err(other.into()),
    };
    page(&FlowPage {
        chrome,
        flow: FlowCard::of(&flow),
        facts: checked.kept.facts.clone(),
        signed: checked.signed.into_iter().collect(),
        kept: link::kept(&checked.kept),
    })
}

async fn start(
    _: Agent,
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, PageError> {
    // A form that cannot be read carries nothing: the session starts without facts.
    let fields = form.map(|Form(fields)| fields).unwrap_or_default();
    let facts = match context::from_link(&state, &id, &link::offered(&fields)) {
        Ok(facts) => facts,
        Err(stepwise_app::Error::Context(e)) => {
            let chrome = Chrome::agent("Link refused");
            let start_without = format!("/agent/flows/{}", segment(&id));
            return Ok(link::refused(&id, &e, chrome, start_without));
        }
        Err(other) => return Err(other.into()),
    };
    let (session, _) = Session::start(&state, &id, facts, DEFAULT_LOCALE, Party::Agent).await?;
    Ok(to_session(&session.record.id))
}

fn to_session(id: &str) -> Response {
    Redirect::to(&format!("/agent/s/{}#step", segment(id))).into_response()
}

/// A node of the flow, for the jump list.
struct Target {
    id: String,
    label: String,
}

/// One node the session passed, for the path list.
struct Passed {
    node: String,
    kind: String,
    summary: String,
    answer: Option<String>,
}

#[derive(Template)]
#[template(path = "agent/session.html")]
struct SessionPage {
    chrome: Chrome,
    id: String,
    flow_title: String,
    status: &'static str,
    kind: &'static str,
    heading: String,
    body: String,
    answers: Vec<Choice>,
    at: String,
    pos: usize,
    can_go_back: bool,
    targets: Vec<Target>,
    path: Vec<Passed>,
    notes: Vec<(String, String, String)>,
    details: Vec<(String, String)>,
    reference: Option<String>,
    /// The helpdesk's ticket for the case, once a webhook receiver opened one.
    ticket: Option<Ticket>,
    /// Where support files the case, at an escalation that says.
    route: Option<stepwise_engine::Route>,
    feedback: Option<bool>,
    transcript: String,
    /// The transcript in the customer's language, when it is not the agent's.
    customer_transcript: Option<(String, String)>,
    diagram: String,
    diagram_style: String,
}

/// Whether an id can go into a CSS selector as it is.
fn plain_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A `<style>` block marking the current node and the path taken on the diagram.
fn diagram_style(current: &str, visited: &[String], edges: &BTreeSet<(String, String)>) -> String {
    let mut css = String::new();
    for node in visited.iter().filter(|n| plain_id(n)) {
        css.push_str(&format!(
            ".diagram [id=\"node-{node}\"] > :not(text):not(title) {{ stroke: var(--path); stroke-width: 2.5px; }}\n"
        ));
    }
    for (from, to) in edges.iter().filter(|(f, t)| plain_id(f) && plain_id(t)) {
        css.push_str(&format!(
            ".diagram .edge[data-from=\"{from}\"][data-to=\"{to}\"] path {{ stroke: var(--path); stroke-width: 2.5px; }}\n"
        ));
    }
    if plain_id(current) {
        css.push_str(&format!(
            ".diagram [id=\"node-{current}\"] > :not(text):not(title) {{ fill: var(--here-fill); stroke: var(--here); stroke-width: 4px; }}\n"
        ));
    }
    css
}

async fn session(
    _: Agent,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let session = Session::load(&state, &id).await?;
    let mut page = session_page(&state, &session)?;
    if session.record.reference.is_some() {
        // The page shows without the ticket rather than not at all.
        page.ticket = state.store.ticket(&id).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot read a session's ticket");
            None
        });
    }
    // The path highlight is an inline <style>; the policy allows exactly that text.
    let policy = security::content_security_policy(
        security::console_framing(&state.settings),
        &[&page.diagram_style],
        state.settings.allow_remote_images,
    );
    let mut response = super::page(&page)?;
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    Ok(response)
}

fn session_page(state: &AppState, session: &Session) -> Result<SessionPage, PageError> {
    let library = state.library();
    let library = library.as_ref();
    let step = session.walk.current(library)?;
    let history = session.walk.history(library)?;
    let flow = library
        .flow(&step.flow, session.walk.versions().get(&step.flow))
        .ok_or_else(|| PageError::Internal(format!("flow {} is not loaded", step.flow)))?;
    let (heading, body) = match step.kind {
        StepKind::Question => markdown::split_heading(&step.text),
        _ => (String::new(), markdown::render(&step.text)),
    };
    let visited: Vec<String> = history
        .iter()
        .filter(|h| h.flow == step.flow)
        .map(|h| h.node.clone())
        .collect();
    let edges: BTreeSet<(String, String)> = history
        .windows(2)
        .filter(|w| w[0].flow == step.flow && w[1].flow == step.flow)
        .map(|w| (w[0].node.clone(), w[1].node.clone()))
        .collect();
    let targets = flow
        .raw()
        .nodes
        .iter()
        .map(|(id, node)| Target {
            id: id.clone(),
            label: format!("{id} — {}", node_summary(node)),
        })
        .collect();
    let path = history
        .iter()
        .filter(|h| h.kind != "branch")
        .map(|h| Passed {
            node: h.node.clone(),
            kind: h.kind.clone(),
            summary: markdown::split_heading(&h.text).0,
            answer: h.answer.as_ref().map(|a| {
                if h.automatic {
                    format!("{} (already known)", a.label)
                } else {
                    a.label.clone()
                }
            }),
        })
        .collect();
    let transcript = session.walk.transcript(library)?;
    // In the order the flow asks for them, then any others the session holds.
    let asked: Vec<(String, String)> = step
        .outcome
        .as_ref()
        .map(|o| {
            o.collect
                .iter()
                .map(|d| (d.id.clone(), d.label.clone()))
                .collect()
        })
        .unwrap_or_default();
    let given = &session.record.details;
    let details: Vec<(String, String)> = asked
        .iter()
        .filter_map(|(id, label)| Some((label.clone(), given.get(id)?.clone())))
        .chain(
            given
                .iter()
                .filter(|(id, _)| !asked.iter().any(|(a, _)| a == *id))
                .map(|(id, v)| (id.clone(), v.clone())),
        )
        .collect();
    Ok(SessionPage {
        chrome: Chrome::agent(format!("Session · {}", step.flow_title)).with_problems(state),
        id: session.record.id.clone(),
        flow_title: step.flow_title.clone(),
        status: session.walk.status().as_str(),
        kind: step.kind.as_str(),
        heading,
        body,
        answers: step.answers.clone(),
        at: step.node.clone(),
        pos: step.position,
        can_go_back: step.can_go_back,
        targets,
        path,
        notes: session
            .record
            .notes
            .iter()
            .map(|n: &Note| {
                (
                    stepwise_app::clock::rfc3339(n.at),
                    n.node.clone(),
                    n.text.clone(),
                )
            })
            .collect(),
        details,
        reference: session.record.reference.clone(),
        ticket: None,
        route: step.outcome.as_ref().and_then(|o| o.route.clone()),
        feedback: session.record.feedback,
        transcript: stepwise_app::transcript::markdown(
            &transcript,
            session.record.reference.as_deref(),
            &session.record.notes,
        ),
        customer_transcript: customer_transcript(state, session)?,
        diagram: stepwise_engine::diagram::svg(&flow),
        diagram_style: diagram_style(&step.node, &visited, &edges),
    })
}

/// The transcript as the customer reads it, when their language is not the console's.
fn customer_transcript(
    state: &AppState,
    session: &Session,
) -> Result<Option<(String, String)>, PageError> {
    let locale = session.walk.locale();
    if locale == DEFAULT_LOCALE {
        return Ok(None);
    }
    let library = state.library();
    let transcript = session.walk.transcript(&library.in_locale(locale))?;
    let text = stepwise_app::transcript::markdown(
        &transcript,
        session.record.reference.as_deref(),
        &session.record.notes,
    );
    Ok(Some((locale.to_owned(), text)))
}

/// A short description of a node for the jump list.
fn node_summary(node: &Node) -> String {
    let kind = node.kind_name();
    match node.text() {
        Some(text) => {
            let (first, _) = markdown::split_heading(text);
            let short: String = first.chars().take(60).collect();
            if first.chars().count() > 60 {
                format!("{kind}: {short}…")
            } else {
                format!("{kind}: {short}")
            }
        }
        None => kind.to_owned(),
    }
}

/// One of the console's moves, then the session page.
async fn make_move<A: FormAction>(
    _: Agent,
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: Result<Form<MoveForm>, FormRejection>,
) -> Result<Response, PageError> {
    let form = match A::ACTION.read(form) {
        Ok(form) => form,
        Err(rejection) => return Ok(rejection.into_response()),
    };
    // The agent reads in the source language; the customer's stays the session's.
    moves::make(
        &state,
        &id,
        &Asked::default(),
        A::ACTION,
        form,
        Party::Agent,
    )
    .await?;
    Ok(to_session(&id))
}

#[derive(Deserialize)]
struct NoteForm {
    #[serde(default)]
    text: String,
}

async fn note(
    _: Agent,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<NoteForm>,
) -> Result<Response, PageError> {
    let text: String = form.text.trim().chars().take(MAX_NOTE).collect();
    if !text.is_empty() {
        moves::unless_stale(Session::add_note(&state, &id, &text).await.map(drop))?;
    }
    Ok(Redirect::to(&format!("/agent/s/{}#notes", segment(&id))).into_response())
}
