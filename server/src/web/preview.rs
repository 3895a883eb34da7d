//! The writers' preview, at `/preview` and `/preview/{id}`: a flow's map with the node a walk
//! stands on, the current diagnostics of its files, a walk to click through with the facts a
//! site could give, and every path. Open pages follow each save ([`super::live`]).
//!
//! Only while writers preview (`--watch`), and only to signed-in staff: the page shows the
//! server's files and their errors, which are no business of customers, and on a production
//! server, which never reloads on a save, there is nothing to preview.
//!
//! The walk lives in the page's address (`?fact.NAME=VALUE&a=ANSWER&a=…`), not in the store:
//! each render replays it on the flow as it is now, so a saved edit shows at once and a
//! preview leaves no session behind. Where an edit took away an answer the walk had taken,
//! the walk stops before it and says so.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path as FilePath;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use stepwise_engine::{
    CustomerPath, DEFAULT_CASE, Diagnostic, Flow, Node, SCENARIO_SUFFIX, Step, StepKind, Style,
    Walk, file_name_parts, paths,
};

use super::{Chrome, PageError, agent, markdown, page, segment};
use crate::serve::AppState;
use stepwise_app::Library;

/// Paths listed at most; a flow with more says the list was cut short.
const MAX_PATHS: usize = 500;

/// Characters of an answer id quoted back in a note: the address may carry anything.
const MAX_QUOTED: usize = 80;

/// The query key of an answer taken, and the prefix of a fact's.
const ANSWER_KEY: &str = "a";
const FACT_PREFIX: &str = "fact.";

/// A signed-in member of staff on a server that writers preview. Elsewhere the pages do not
/// exist; before sign-in they are the sign-in form.
pub struct Writer;

impl FromRequestParts<AppState> for Writer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Writer, Response> {
        if !state.previewing() {
            return Err(PageError::NotFound.into_response());
        }
        if !state.agent.admits(&parts.headers) {
            return Err(agent::sign_in_page(None, None));
        }
        Ok(Writer)
    }
}

/// The preview's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/preview", get(index))
        .route("/preview/{id}", get(flow_page))
}

/// One problem in a file, as a writer reads it.
struct Problem {
    severity: String,
    code: &'static str,
    /// `file:line:column`.
    place: String,
    message: String,
    /// The diagnostic as `stepwise check` prints it, with its snippet.
    rendered: String,
}

impl Problem {
    fn of(d: &Diagnostic) -> Problem {
        let json = d.to_json();
        let place = match (json.line, json.column) {
            (Some(line), Some(column)) => format!("{}:{line}:{column}", json.file),
            _ => json.file.clone(),
        };
        Problem {
            severity: d.severity.to_string(),
            code: d.code.as_str(),
            place,
            message: json.message,
            rendered: d.render(Style::Plain),
        }
    }
}

/// A flow (or a file that would be one) in the preview's list.
struct Entry {
    id: String,
    title: String,
    errors: usize,
    warnings: usize,
    served: bool,
}

#[derive(Template)]
#[template(path = "preview/index.html")]
struct IndexPage {
    chrome: Chrome,
    entries: Vec<Entry>,
    /// Problems in files that belong to no flow by their name.
    unowned: Vec<Problem>,
}

/// The flow a file belongs to, by its name: `ID.ron`, `ID.scenarios.ron` or `ID.LOCALE.ron`.
fn owner_of(path: &FilePath) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    if let Some(id) = name.strip_suffix(SCENARIO_SUFFIX) {
        return Some(id.to_owned());
    }
    if let Some((flow, _)) = file_name_parts(path) {
        return Some(flow);
    }
    Some(name.strip_suffix(".ron")?.to_owned())
}

async fn index(_: Writer, State(state): State<AppState>) -> Result<Response, PageError> {
    let generation = state.generation();
    let library = state.library();
    let mut entries: BTreeMap<String, Entry> = library
        .catalog()
        .iter()
        .map(|f| {
            let entry = Entry {
                id: f.id().to_owned(),
                title: f.title().to_owned(),
                errors: 0,
                warnings: 0,
                served: true,
            };
            (f.id().to_owned(), entry)
        })
        .collect();
    let mut unowned = Vec::new();
    for d in library.diagnostics() {
        let Some(id) = owner_of(d.path()) else {
            unowned.push(Problem::of(d));
            continue;
        };
        let entry = entries.entry(id.clone()).or_insert_with(|| Entry {
            title: String::new(),
            id,
            errors: 0,
            warnings: 0,
            served: false,
        });
        match d.is_error() {
            true => entry.errors += 1,
            false => entry.warnings += 1,
        }
    }
    page(&IndexPage {
        chrome: Chrome::agent("Preview").live_at(&state, generation),
        entries: entries.into_values().collect(),
        unowned,
    })
}

/// A fact the walk can start with, and the values the flow knows for it.
struct FactChoice {
    name: String,
    values: Vec<String>,
    chosen: String,
}

/// A step of the walk so far.
struct Passed {
    node: String,
    kind: String,
    summary: String,
    answer: Option<String>,
    /// The preview with the walk taken back to this step.
    href: String,
}

/// An answer offered at the step the walk stands on, as a link that takes it.
struct Offered {
    label: String,
    href: String,
}

/// One path through the flow.
struct PathLine {
    text: String,
    /// The preview walking this path.
    href: String,
}

/// What the walk shows.
struct WalkView {
    flow: String,
    flow_title: String,
    node: String,
    kind: &'static str,
    heading: String,
    body: String,
    outcome: Option<String>,
    collect: Vec<String>,
    offered: Vec<Offered>,
    back: Option<String>,
    path: Vec<Passed>,
}

#[derive(Template)]
#[template(path = "preview/flow.html")]
struct FlowPage {
    chrome: Chrome,
    id: String,
    title: String,
    /// The version served, if any passes.
    version: Option<String>,
    /// Whether the file has errors while a version is served: the last good one.
    held: bool,
    problems: Vec<Problem>,
    /// Errors in other flows' files, which the index lists.
    elsewhere: usize,
    facts: Vec<FactChoice>,
    walk: Option<WalkView>,
    /// Why the walk stopped short of the answers in the address, or could not start.
    walk_note: Option<String>,
    restart: String,
    diagram: String,
    paths: Vec<PathLine>,
    paths_truncated: bool,
}

/// The walk asked for by the address.
struct Asked {
    facts: BTreeMap<String, String>,
    answers: Vec<String>,
}

impl Asked {
    fn read(pairs: Vec<(String, String)>) -> Asked {
        let mut facts = BTreeMap::new();
        let mut answers = Vec::new();
        for (key, value) in pairs {
            if key == ANSWER_KEY {
                answers.push(value);
            } else if let Some(name) = key.strip_prefix(FACT_PREFIX)
                && !value.is_empty()
            {
                facts.insert(name.to_owned(), value);
            }
        }
        Asked { facts, answers }
    }
}

/// `/preview/ID?fact.…&a=…` for these facts and answers.
fn href(id: &str, facts: &BTreeMap<String, String>, answers: &[String]) -> String {
    let encode = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
    let mut query: Vec<String> = facts
        .iter()
        .map(|(name, value)| format!("{FACT_PREFIX}{}={}", encode(name), encode(value)))
        .collect();
    query.extend(
        answers
            .iter()
            .map(|a| format!("{ANSWER_KEY}={}", encode(a))),
    );
    let mut out = format!("/preview/{}", segment(id));
    if !query.is_empty() {
        out.push('?');
        out.push_str(&query.join("&"));
    }
    out
}

async fn flow_page(
    _: Writer,
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, PageError> {
    // A query that is not a form's (`?%zz`) asks for no walk in particular.
    let asked = Asked::read(query.map(|Query(pairs)| pairs).unwrap_or_default());
    let generation = state.generation();
    let library = state.library();
    let flow = library.catalog().get(&id).cloned();
    let problems: Vec<Problem> = library
        .diagnostics()
        .iter()
        .filter(|d| owner_of(d.path()).as_deref() == Some(id.as_str()))
        .map(Problem::of)
        .collect();
    if flow.is_none() && problems.is_empty() {
        return Err(PageError::NotFound);
    }
    let elsewhere = library
        .diagnostics()
        .iter()
        .filter(|d| d.is_error() && owner_of(d.path()).as_deref() != Some(id.as_str()))
        .count();
    let held = flow.is_some()
        && library
            .diagnostics()
            .iter()
            .any(|d| d.is_error() && d.path().file_name() == Some(format!("{id}.ron").as_ref()));
    let mut page_data = FlowPage {
        chrome: Chrome::agent(format!(
            "Preview · {}",
            flow.as_ref().map_or(id.as_str(), |f| f.title())
        ))
        .live_at(&state, generation),
        title: flow
            .as_ref()
            .map_or_else(String::new, |f| f.title().to_owned()),
        version: flow.as_ref().map(|f| f.version().to_string()),
        held,
        problems,
        elsewhere,
        facts: Vec::new(),
        walk: None,
        walk_note: None,
        restart: href(&id, &asked.facts, &[]),
        diagram: String::new(),
        paths: Vec::new(),
        paths_truncated: false,
        id,
    };
    if let Some(flow) = flow {
        fill(&mut page_data, &library, &flow, &asked);
    }
    page(&page_data)
}

/// The parts of the page only a flow that passes has: facts, walk, map and paths.
fn fill(page: &mut FlowPage, library: &Library, flow: &Arc<Flow>, asked: &Asked) {
    page.facts = facts_of(flow)
        .into_iter()
        .map(|(name, values)| FactChoice {
            chosen: asked.facts.get(&name).cloned().unwrap_or_default(),
            name,
            values: values.into_iter().collect(),
        })
        .collect();
    let (walk, note) = replay(library, &page.id, asked);
    page.walk_note = note;
    let mut here = None;
    let mut visited = HashSet::new();
    let mut taken = HashSet::new();
    if let Some((walk, step)) = &walk {
        let history = walk.history(library).unwrap_or_default();
        let in_flow: Vec<&str> = history
            .iter()
            .filter(|h| h.flow == page.id)
            .map(|h| h.node.as_str())
            .collect();
        visited.extend(in_flow.iter().map(|n| n.to_string()));
        for pair in history.windows(2) {
            if pair[0].flow == page.id && pair[1].flow == page.id {
                taken.insert((pair[0].node.clone(), pair[1].node.clone()));
            }
        }
        if step.flow == page.id {
            here = Some(step.node.clone());
        }
        page.walk = Some(view_of(&page.id, &asked.facts, walk, step, library));
    }
    let resolved_by = walk
        .as_ref()
        .and_then(|(_, step)| step.outcome.as_ref()?.resolved_by.clone());
    page.diagram = mark(
        &stepwise_engine::diagram::svg(flow),
        &Marks {
            here: here.as_deref(),
            solved_by: resolved_by.as_deref(),
            visited: &visited,
            taken: &taken,
        },
    );
    let all = paths(flow, MAX_PATHS);
    page.paths_truncated = all.truncated;
    page.paths = all
        .paths
        .iter()
        .map(|p| {
            let (facts, answers) = walk_along(flow, p);
            PathLine {
                text: p.to_string(),
                href: href(&page.id, &facts, &answers),
            }
        })
        .collect();
}

/// The facts and answers that walk `path`: the customer's choices as answers, and as facts
/// the choices the engine made from what the site gave (a fact no earlier step recorded).
fn walk_along(flow: &Flow, path: &CustomerPath) -> (BTreeMap<String, String>, Vec<String>) {
    let mut facts = BTreeMap::new();
    let mut answers = Vec::new();
    let mut recorded = BTreeSet::new();
    for step in &path.steps {
        if step.automatic {
            let fact = match flow.node(&step.node) {
                Some(Node::Branch { fact, .. }) => Some(fact),
                Some(Node::Question {
                    fact: Some(fact), ..
                }) => Some(fact),
                _ => None,
            };
            // A branch's choice reads `fact=value`; a skipped question's is the answer id.
            let value = fact.map(|fact| {
                let value = step.choice.strip_prefix(&format!("{fact}="));
                (fact, value.unwrap_or(&step.choice))
            });
            if let Some((fact, value)) = value
                && !recorded.contains(fact)
                && step.choice != DEFAULT_CASE
            {
                facts.insert(fact.clone(), value.to_owned());
            }
        } else {
            answers.push(step.choice.clone());
        }
        if let Some((name, _)) = &step.records {
            recorded.insert(name.clone());
        }
    }
    (facts, answers)
}

/// The facts a site may give `flow` (its inputs) and those it reads (branches) or records
/// (questions), with the values it knows for each.
fn facts_of(flow: &Flow) -> BTreeMap<String, BTreeSet<String>> {
    let mut facts: BTreeMap<String, BTreeSet<String>> = flow
        .raw()
        .inputs
        .iter()
        .map(|input| (input.name.clone(), input.values.iter().cloned().collect()))
        .collect();
    for node in flow.raw().nodes.values() {
        match node {
            Node::Branch { fact, cases, .. } => {
                facts
                    .entry(fact.clone())
                    .or_default()
                    .extend(cases.keys().cloned());
            }
            Node::Question {
                fact: Some(fact),
                answers,
                ..
            } => {
                facts
                    .entry(fact.clone())
                    .or_default()
                    .extend(answers.iter().map(|a| a.id.clone()));
            }
            _ => {}
        }
    }
    facts
}

/// The walk of the address on the flows as they are now, and why it stopped short, if it did.
fn replay(library: &Library, id: &str, asked: &Asked) -> (Option<(Walk, Step)>, Option<String>) {
    let (mut walk, mut step) = match Walk::start(library, id, asked.facts.clone()) {
        Ok(started) => started,
        Err(e) => return (None, Some(format!("The walk cannot start: {e}."))),
    };
    for answer in &asked.answers {
        match walk.answer(library, answer) {
            Ok(next) => step = next,
            Err(_) => {
                let quoted: String = answer.chars().take(MAX_QUOTED).collect();
                let note = format!(
                    "The walk stops at `{}`: `{quoted}` is not an answer there (any more).",
                    step.node
                );
                return (Some((walk, step)), Some(note));
            }
        }
    }
    (Some((walk, step)), None)
}

fn view_of(
    id: &str,
    facts: &BTreeMap<String, String>,
    walk: &Walk,
    step: &Step,
    library: &Library,
) -> WalkView {
    let history = walk.history(library).unwrap_or_default();
    // The answers a customer gave, in order: each step of the trail left by one.
    let given: Vec<String> = history
        .iter()
        .filter(|h| !h.automatic)
        .filter_map(|h| h.answer.as_ref().map(|a| a.id.clone()))
        .collect();
    let mut taken_so_far = 0;
    let path = history
        .iter()
        .filter(|h| h.kind != "branch")
        .map(|h| {
            let passed = Passed {
                node: h.node.clone(),
                kind: h.kind.clone(),
                summary: markdown::split_heading(&h.text).0,
                answer: h.answer.as_ref().map(|a| match h.automatic {
                    true => format!("{} (already known)", a.label),
                    false => a.label.clone(),
                }),
                href: href(id, facts, &given[..taken_so_far.min(given.len())]),
            };
            if !h.automatic && h.answer.is_some() {
                taken_so_far += 1;
            }
            passed
        })
        .collect();
    let (heading, body) = match step.kind {
        StepKind::Question => markdown::split_heading(&step.text),
        _ => (String::new(), markdown::render(&step.text)),
    };
    let offered = step
        .answers
        .iter()
        .map(|choice| {
            let mut next = given.clone();
            next.push(choice.id.clone());
            Offered {
                label: choice.label.clone(),
                href: href(id, facts, &next),
            }
        })
        .collect();
    WalkView {
        flow: step.flow.clone(),
        flow_title: step.flow_title.clone(),
        node: step.node.clone(),
        kind: step.kind.as_str(),
        heading,
        body,
        outcome: step.outcome.as_ref().map(|o| o.kind.as_str().to_owned()),
        collect: step
            .outcome
            .iter()
            .flat_map(|o| o.collect.iter().map(|d| d.label.clone()))
            .collect(),
        offered,
        back: (!given.is_empty()).then(|| href(id, facts, &given[..given.len() - 1])),
        path,
    }
}

/// What to mark on the map.
struct Marks<'a> {
    /// The node the walk stands on.
    here: Option<&'a str>,
    /// The remedy whose "solved" end the walk reached.
    solved_by: Option<&'a str>,
    visited: &'a HashSet<String>,
    taken: &'a HashSet<(String, String)>,
}

/// The diagram with classes added to the `<g>` of the node the walk stands on (`here`), the
/// nodes it passed (`visited`) and the edges it took (`taken`), for the stylesheet to draw.
/// Classes rather than a `<style>` of the page: a page refreshed in place keeps its
/// Content-Security-Policy, which allows no style it did not list. One pass over the text.
fn mark(svg: &str, marks: &Marks<'_>) -> String {
    let mut out = String::with_capacity(svg.len() + 64);
    let mut rest = svg;
    while let Some(at) = rest.find("<g ") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find('>').map_or(rest.len(), |e| at + e + 1);
        let tag = &rest[at..end];
        match class_for(tag, marks) {
            Some(class) => out.push_str(&tag.replacen("class=\"", &format!("class=\"{class} "), 1)),
            None => out.push_str(tag),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The class a `<g>` start tag of the diagram gets, if any.
fn class_for(tag: &str, marks: &Marks<'_>) -> Option<&'static str> {
    if let Some(node) = attribute(tag, "data-node") {
        let node = unescape(node);
        if marks.here == Some(node.as_str()) {
            return Some("here");
        }
        return marks.visited.contains(&node).then_some("visited");
    }
    if let Some(remedy) = attribute(tag, "data-solved-by") {
        return (marks.solved_by == Some(unescape(remedy).as_str())).then_some("here");
    }
    let from = unescape(attribute(tag, "data-from")?);
    let to = unescape(attribute(tag, "data-to")?);
    marks.taken.contains(&(from, to)).then_some("taken")
}

/// The raw value of attribute `name` in a start tag.
fn attribute<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

/// An attribute value as the diagram escaped it, read back.
fn unescape(value: &str) -> String {
    value
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_go_on_the_node_the_edge_and_the_visited_nodes() {
        let svg = concat!(
            r#"<svg><g class="edges"><g class="edge" data-from="a" data-to="b&amp;c" data-choice="x"><path/></g>"#,
            r#"<g class="edge" data-from="b&amp;c" data-to="a"></g></g>"#,
            r#"<g id="node-a" class="node kind-question" data-node="a" data-kind="question"></g>"#,
            r#"<g id="node-b&amp;c" class="node kind-remedy" data-node="b&amp;c" data-kind="remedy"></g></svg>"#,
        );
        let visited = HashSet::from(["a".to_owned(), "b&c".to_owned()]);
        let taken = HashSet::from([("a".to_owned(), "b&c".to_owned())]);
        let marked = mark(
            svg,
            &Marks {
                here: Some("b&c"),
                solved_by: None,
                visited: &visited,
                taken: &taken,
            },
        );
        assert!(
            marked.contains(r#"<g class="taken edge" data-from="a""#),
            "{marked}"
        );
        assert!(
            marked.contains(r#"<g class="edge" data-from="b&amp;c""#),
            "{marked}"
        );
        assert!(
            marked.contains(r#"<g id="node-a" class="visited node"#),
            "{marked}"
        );
        assert!(
            marked.contains(r#"class="here node kind-remedy""#),
            "{marked}"
        );
        assert!(marked.contains(r#"<g class="edges">"#), "{marked}");
    }

    #[test]
    fn a_query_holds_facts_and_answers_in_order() {
        let asked = Asked::read(vec![
            ("a".into(), "web".into()),
            ("fact.platform".into(), "app".into()),
            ("fact.empty".into(), String::new()),
            ("other".into(), "x".into()),
            ("a".into(), "no".into()),
        ]);
        assert_eq!(asked.answers, ["web", "no"]);
        assert_eq!(
            asked.facts,
            BTreeMap::from([("platform".to_owned(), "app".to_owned())])
        );
        assert_eq!(
            href("a b", &asked.facts, &asked.answers),
            "/preview/a%20b?fact.platform=app&a=web&a=no"
        );
    }
}
