//! Every id of a flows directory and where it stands: node ids, answer ids, flow ids and
//! facts, in flows, scenarios and translations. Definition, references, rename, hover and
//! the code lenses all read this one list.

use std::collections::HashMap;

use stepwise_engine::scenario;
use stepwise_engine::{Span, Walk};

use crate::workspace::{Directory, File, Places, Role};

/// How many questions recording one fact value a branch case is matched with.
const MAX_QUESTIONS_PER_VALUE: usize = 16;

/// What an id names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Symbol {
    /// A node of a flow.
    Node { flow: String, node: String },
    /// An answer of a question.
    Answer {
        flow: String,
        node: String,
        answer: String,
    },
    /// A flow.
    Flow(String),
    /// A fact, by name (facts carry across linked flows).
    Fact(String),
}

/// How an occurrence uses its symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Where it is defined: a node's key, an answer's id, a flow's id.
    Definition,
    /// A target, a link, a scenario's answer, a translation's key.
    Reference,
    /// A question or `inputs` that sets a fact.
    Sets,
    /// A branch that reads a fact.
    Reads,
}

/// How the text of an occurrence is rewritten when its symbol is renamed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spelling {
    /// The string is the id.
    Whole,
    /// A scenario's `node=answer`, naming the node.
    ScenarioNode { answer: String },
    /// A scenario's `answer` or `node=answer`, naming the answer.
    ScenarioAnswer { node: Option<String> },
}

/// One place an id stands.
#[derive(Debug, Clone)]
pub struct Occurrence {
    /// What it names.
    pub symbol: Symbol,
    /// How it uses it.
    pub kind: Use,
    /// The file, as an index into [`Directory::files`].
    pub file: usize,
    /// The string, with its quotes.
    pub span: Span,
    /// How to rewrite it.
    pub spelling: Spelling,
}

/// Every occurrence in a directory, in file order.
pub fn occurrences(dir: &Directory) -> Vec<Occurrence> {
    let mut found = Vec::new();
    for (i, file) in dir.files.iter().enumerate() {
        let mut add = |symbol: Symbol, kind: Use, span: Span, spelling: Spelling| {
            found.push(Occurrence {
                symbol,
                kind,
                file: i,
                span,
                spelling,
            });
        };
        match &file.places {
            Places::Flow(_) => flow(file, &mut add),
            Places::Scenarios(places) => scenarios(dir, file, places, &mut add),
            Places::Translation(places) => {
                let Role::Translation { flow, .. } = &file.role else {
                    continue;
                };
                for node in &places.nodes {
                    let symbol = Symbol::Node {
                        flow: flow.clone(),
                        node: node.id.clone(),
                    };
                    add(symbol, Use::Reference, node.key, Spelling::Whole);
                    for (answer, key, _) in &node.answers {
                        let symbol = Symbol::Answer {
                            flow: flow.clone(),
                            node: node.id.clone(),
                            answer: answer.clone(),
                        };
                        add(symbol, Use::Reference, *key, Spelling::Whole);
                    }
                }
            }
            Places::None => {}
        }
    }
    found
}

type Add<'a> = dyn FnMut(Symbol, Use, Span, Spelling) + 'a;

fn flow(file: &File, add: &mut Add<'_>) {
    let Some(index) = file.index() else {
        return;
    };
    let Some(flow_id) = file.flow_id() else {
        return;
    };
    let node = |id: String| Symbol::Node {
        flow: flow_id.clone(),
        node: id,
    };
    if let Some(span) = index.id {
        add(
            Symbol::Flow(flow_id.clone()),
            Use::Definition,
            span,
            Spelling::Whole,
        );
    }
    let target = |span: Option<Span>, add: &mut Add<'_>| {
        if let Some(span) = span
            && let Some(id) = file.id_at(span)
        {
            add(node(id), Use::Reference, span, Spelling::Whole);
        }
    };
    target(index.start, add);
    for &span in &index.inputs {
        if let Some(fact) = file.id_at(span) {
            add(Symbol::Fact(fact), Use::Sets, span, Spelling::Whole);
        }
    }
    // The questions recording each fact value, for the answers branches match on.
    let mut recorded: HashMap<(String, String), Vec<String>> = HashMap::new();
    for spans in &index.nodes {
        let fact = spans.fact.and_then(|s| file.id_at(s));
        if let Some(fact) = &fact
            && !spans.answers.is_empty()
        {
            for answer in spans.answers.iter().filter_map(|a| a.id) {
                if let Some(answer) = file.id_at(answer) {
                    let questions = recorded.entry((fact.clone(), answer)).or_default();
                    // Flows have one or two; a bound keeps a hostile file linear.
                    if questions.len() < MAX_QUESTIONS_PER_VALUE {
                        questions.push(spans.id.clone());
                    }
                }
            }
        }
    }
    for spans in &index.nodes {
        add(
            node(spans.id.clone()),
            Use::Definition,
            spans.key,
            Spelling::Whole,
        );
        for answer in &spans.answers {
            if let Some(span) = answer.id
                && let Some(id) = file.id_at(span)
            {
                let symbol = Symbol::Answer {
                    flow: flow_id.clone(),
                    node: spans.id.clone(),
                    answer: id,
                };
                add(symbol, Use::Definition, span, Spelling::Whole);
            }
            target(answer.goto, add);
        }
        target(spans.otherwise, add);
        target(spans.next, add);
        target(spans.default, add);
        let is_branch = !spans.cases.is_empty() || spans.default.is_some();
        let fact = spans.fact.and_then(|s| file.id_at(s));
        if let (Some(span), Some(fact)) = (spans.fact, &fact) {
            let kind = if is_branch { Use::Reads } else { Use::Sets };
            add(Symbol::Fact(fact.clone()), kind, span, Spelling::Whole);
        }
        for &(value, to) in &spans.cases {
            target(Some(to), add);
            // A case matches the answer of a question that records the branch's fact.
            if let (Some(fact), Some(value_id)) = (&fact, file.id_at(value)) {
                let key = (fact.clone(), value_id);
                for question in recorded.get(&key).into_iter().flatten() {
                    let symbol = Symbol::Answer {
                        flow: flow_id.clone(),
                        node: question.clone(),
                        answer: key.1.clone(),
                    };
                    add(symbol, Use::Reference, value, Spelling::Whole);
                }
            }
        }
        if let Some(span) = spans.flow
            && let Some(linked) = file.id_at(span)
        {
            add(Symbol::Flow(linked), Use::Reference, span, Spelling::Whole);
        }
    }
}

fn scenarios(dir: &Directory, file: &File, places: &scenario::Places, add: &mut Add<'_>) {
    let Some(flow_id) = file.flow_id() else {
        return;
    };
    if let Some(span) = places.flow {
        add(
            Symbol::Flow(flow_id.clone()),
            Use::Reference,
            span,
            Spelling::Whole,
        );
    }
    let parsed = scenario::parse(&file.source).ok();
    for (i, place) in places.scenarios.iter().enumerate() {
        let written = parsed.as_ref().and_then(|p| p.scenarios.get(i));
        for &span in &place.facts {
            if let Some(fact) = file.id_at(span) {
                add(Symbol::Fact(fact), Use::Sets, span, Spelling::Whole);
            }
        }
        if let Some(span) = place.expect_flow
            && let Some(id) = file.id_at(span)
        {
            add(Symbol::Flow(id), Use::Reference, span, Spelling::Whole);
        }
        if let Some(span) = place.expect_node
            && let Some(id) = file.id_at(span)
        {
            let flow = place
                .expect_flow
                .and_then(|s| file.id_at(s))
                .unwrap_or_else(|| flow_id.clone());
            add(
                Symbol::Node { flow, node: id },
                Use::Reference,
                span,
                Spelling::Whole,
            );
        }
        // Where each answer is given, as the scenario's walk finds it.
        let at_nodes = written
            .map(|s| walked(dir, &flow_id, s))
            .unwrap_or_default();
        for (j, &span) in place.answers.iter().enumerate() {
            let Some(text) = stepwise_engine::string_at(&file.source.text, span) else {
                continue;
            };
            let (node, answer) = match text.split_once('=') {
                Some((node, answer)) => (Some(node.trim().to_owned()), answer.trim().to_owned()),
                None => (None, text.trim().to_owned()),
            };
            let step = at_nodes.get(j).cloned().flatten();
            if let Some(node) = &node {
                let flow = step.as_ref().map_or(flow_id.clone(), |(f, _)| f.clone());
                add(
                    Symbol::Node {
                        flow,
                        node: node.clone(),
                    },
                    Use::Reference,
                    span,
                    Spelling::ScenarioNode {
                        answer: answer.clone(),
                    },
                );
            }
            let at = match (&node, &step) {
                (Some(node), Some((flow, _))) => Some((flow.clone(), node.clone())),
                (Some(node), None) => Some((flow_id.clone(), node.clone())),
                (None, Some((flow, node))) => Some((flow.clone(), node.clone())),
                (None, None) => None,
            };
            if let Some((flow, at)) = at
                && is_answer_of(dir, &flow, &at, &answer)
            {
                add(
                    Symbol::Answer {
                        flow,
                        node: at,
                        answer,
                    },
                    Use::Reference,
                    span,
                    Spelling::ScenarioAnswer { node },
                );
            }
        }
    }
}

/// The flow and node each answer of a scenario is given at, walking it through the checked
/// flows (`None` from where the walk cannot go on).
fn walked(
    dir: &Directory,
    flow: &str,
    written: &scenario::Scenario,
) -> Vec<Option<(String, String)>> {
    let catalog = &dir.report.catalog;
    let Ok((mut walk, mut step)) = Walk::start(catalog, flow, written.facts.clone()) else {
        return Vec::new();
    };
    let mut at = Vec::new();
    for answer in &written.answers {
        at.push(Some((step.flow.clone(), step.node.clone())));
        match walk.answer(catalog, &answer.answer) {
            Ok(next) => step = next,
            Err(_) => break,
        }
    }
    at
}

/// Whether `answer` is an answer id of the question `node` of `flow`.
fn is_answer_of(dir: &Directory, flow: &str, node: &str, answer: &str) -> bool {
    let Some(file) = dir.flow(flow) else {
        return false;
    };
    let Some(index) = file.index() else {
        return false;
    };
    index.node(node).is_some_and(|spans| {
        spans
            .answers
            .iter()
            .filter_map(|a| a.id)
            .any(|span| file.id_at(span).as_deref() == Some(answer))
    })
}

/// The occurrence whose string holds `offset` in file `file`.
pub fn at(occurrences: &[Occurrence], file: usize, offset: usize) -> Option<&Occurrence> {
    // A scenario's `node=answer` names two symbols: the side the cursor is on wins.
    let mut hits = occurrences
        .iter()
        .filter(|o| o.file == file && o.span.start <= offset && offset <= o.span.end);
    let first = hits.next()?;
    let Some(second) = hits.next() else {
        return Some(first);
    };
    Some(match (&first.spelling, &second.spelling, &first.symbol) {
        (Spelling::ScenarioNode { .. }, _, _) | (_, Spelling::ScenarioNode { .. }, _) => {
            let (node, answer) = if matches!(first.spelling, Spelling::ScenarioNode { .. }) {
                (first, second)
            } else {
                (second, first)
            };
            let Symbol::Node { node: name, .. } = &node.symbol else {
                return Some(first);
            };
            // `"` then the node's name, then `=`.
            if offset <= node.span.start + 1 + name.len() {
                node
            } else {
                answer
            }
        }
        _ => first,
    })
}

/// The index of a file in the directory.
pub fn file_index(dir: &Directory, file: &File) -> usize {
    dir.files
        .iter()
        .position(|f| f.source.path == file.source.path)
        .unwrap_or(usize::MAX)
}
