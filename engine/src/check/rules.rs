//! Rules about one flow on its own: its id and file name, summary, start, and each
//! question's answers and each branch's cases; how its ids are written is [`super::ids`].

use std::collections::HashMap;

use super::Parsed;
use crate::diagnostic::{Code, Diagnostic};
use crate::ids::{nfc, shown};
use crate::model::{Answer, Detail, Node, PRIORITIES, Route};
use crate::suggest::{Suggest, did_you_mean};

/// Questions with more answers than this are checked for duplicates with a map;
/// fewer are compared pairwise, which is faster than hashing for a handful.
const PAIRWISE_ANSWERS: usize = 8;

/// Checks everything about `flow` that needs no graph.
pub(super) fn check(flow: &Parsed, out: &mut Vec<Diagnostic>) {
    let raw = &flow.raw;
    super::ids::check(flow, out);
    super::text::check(flow, out);
    // The id is in NFC; a file name may not be (HFS+ stores names decomposed).
    if let Some(stem) = flow.source.stem()
        && nfc(stem) != raw.id.as_str()
    {
        out.push(
            flow.diagnostic(
                Code::IdMismatch,
                format!(
                    "flow id `{}` does not match the file name `{stem}.ron`",
                    raw.id
                ),
            )
            .with_label_at(flow.index().id, format!("expected `{stem}`"))
            .with_help(format!(
                "rename the file to `{}.ron`, or set `id: \"{stem}\"`",
                raw.id
            )),
        );
    }
    if raw.summary.trim().is_empty() {
        let index = flow.index();
        let (at, label) = match index.summary {
            Some(at) => (Some(at), "empty summary"),
            None => (index.flow, "this flow has no summary"),
        };
        out.push(
            flow.diagnostic(
                Code::MissingSummary,
                format!("flow `{}` has no summary", raw.id),
            )
            .with_label_at(at, label)
            .with_help(
                "add `summary: \"…\"`: a sentence or two that lists and search results show",
            ),
        );
    }
    if !raw.nodes.contains_key(&raw.start) {
        let suggestion = Suggest::new().closest(&raw.start, raw.nodes.keys().map(String::as_str));
        out.push(
            flow.diagnostic(
                Code::MissingStart,
                format!(
                    "`start` names `{}`, which is not a node of this flow",
                    raw.start
                ),
            )
            .with_label_at(flow.index().start, "no such node")
            .with_help(did_you_mean(
                suggestion,
                "`start` must be the id of the node the flow begins with",
            )),
        );
    }
    for (id, node) in &raw.nodes {
        if let Some(url) = node.text().and_then(remote_image) {
            out.push(
                flow.diagnostic(
                    Code::RemoteImage,
                    format!("node `{id}` shows an image from another site: {url}"),
                )
                .with_label_at(flow.spans(id).map(|n| n.key), "loads a remote image")
                .with_help(
                    "whoever serves the image sees every customer who reaches this step: serve it with the \
                     server's own assets, or serve with `--allow-remote-images` (pages block remote \
                     images otherwise)",
                ),
            );
        }
        match node {
            Node::Question { answers, .. } => check_answers(flow, id, answers, out),
            Node::Escalate { collect, route, .. } => {
                check_patterns(flow, id, collect, out);
                check_details(flow, id, collect, out);
                if let Some(route) = route {
                    check_route(flow, id, route, out);
                }
            }
            Node::Branch { cases, .. } if cases.is_empty() => out.push(
                flow.diagnostic(Code::EmptyBranch, format!("branch `{id}` has no cases"))
                    .with_label_at(flow.spans(id).map(|n| n.key), "always takes `default`")
                    .with_help(
                        "add `cases: { \"value\": \"node\" }`, or replace the branch with its default",
                    ),
            ),
            _ => {}
        }
    }
}

fn check_answers(flow: &Parsed, id: &str, answers: &[Answer], out: &mut Vec<Diagnostic>) {
    match answers.len() {
        0 => out.push(
            flow.diagnostic(Code::NoAnswers, format!("question `{id}` has no answers"))
                .with_label_at(
                    flow.spans(id).map(|n| n.key),
                    "a customer could never go on",
                )
                .with_help("add answers: `answers: [(id: \"yes\", label: \"Yes\", goto: \"…\")]`"),
        ),
        1 => out.push(
            flow.diagnostic(
                Code::OneAnswer,
                format!("question `{id}` has only one answer"),
            )
            .with_label_at(flow.spans(id).map(|n| n.key), "nothing to choose")
            .with_help("use `Info(text: …, next: …)` for a step with nothing to choose"),
        ),
        _ => {}
    }
    for (first, again) in duplicate_answers(answers) {
        let spans = flow.spans(id).map(|n| &n.answers);
        let span = |i: usize| spans.and_then(|a| a.get(i)).and_then(|a| a.id);
        let answer = &answers[again].id;
        let mut d = flow
            .diagnostic(
                Code::DuplicateAnswer,
                format!("answer id `{answer}` is used twice in question `{id}`"),
            )
            .with_label_at(span(again), "used again here");
        if d.primary.is_some() {
            d = d.with_label_at(span(first), "first used here");
        }
        out.push(d.with_help("answer ids must be unique within a question: rename one"));
    }
}

/// The longest queue and tag a route may name: helpdesks take short names.
const MAX_ROUTE_NAME: usize = 100;

/// Holds a route to what a helpdesk can take: a queue, a known priority, plain tags.
fn check_route(flow: &Parsed, id: &str, route: &Route, out: &mut Vec<Diagnostic>) {
    let plain = |name: &str| {
        !name.is_empty()
            && name.chars().count() <= MAX_ROUTE_NAME
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/'))
    };
    let mut problems = Vec::new();
    if !plain(&route.queue) {
        problems.push(format!(
            "its queue `{}` is not a plain name",
            shown(&route.queue)
        ));
    }
    if !PRIORITIES.contains(&route.priority.as_str()) {
        let near = crate::suggest::closest(&route.priority, PRIORITIES.iter().copied());
        let hint = near.map_or(String::new(), |near| format!(" (did you mean `{near}`?)"));
        problems.push(format!(
            "its priority `{}` is none of {}{hint}",
            shown(&route.priority),
            PRIORITIES.join(", ")
        ));
    }
    for tag in route.tags.iter().filter(|t| !plain(t)) {
        problems.push(match tag.is_empty() {
            true => "a tag is empty".to_owned(),
            false => format!("its tag `{}` is not a plain name", shown(tag)),
        });
    }
    if problems.is_empty() {
        return;
    }
    out.push(
        flow.diagnostic(
            Code::InvalidRoute,
            format!("the route of `{id}` cannot be sent: {}", problems.join("; ")),
        )
        .with_label_at(flow.spans(id).map(|n| n.key), "in this escalation")
        .with_help(
            "a queue and tags are names a helpdesk takes (letters, digits, `-`, `_`, `.`, `:`, `/`; \
             at most 100 characters), and the priority is low, normal, high or urgent",
        ),
    );
}

/// Refuses a detail's `pattern` that does not compile: the walk could never check it.
fn check_patterns(flow: &Parsed, id: &str, collect: &[Detail], out: &mut Vec<Diagnostic>) {
    for (k, detail) in collect.iter().enumerate() {
        let Some(pattern) = &detail.pattern else {
            continue;
        };
        let Err(error) = crate::details::compile_pattern(pattern) else {
            continue;
        };
        // regex's message spans lines and draws its own pointer; its last line says why.
        let why = match &error {
            regex::Error::CompiledTooBig(_) => "it would compile too big".to_owned(),
            error => error
                .to_string()
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(|l| l.trim().trim_start_matches("error: ").to_owned())
                .unwrap_or_default(),
        };
        let at = flow
            .spans(id)
            .and_then(|n| n.patterns.get(k).copied().flatten());
        out.push(
            flow.diagnostic(
                Code::InvalidPattern,
                format!(
                    "the pattern of detail `{}` in `{id}` is not a regular expression: {why}",
                    detail.id
                ),
            )
            .with_label_at(at, "does not compile")
            .with_help(
                "write the pattern in the syntax of Rust's `regex` crate (no look-around or \
                 back-references); it must match the whole answer, e.g. `[0-9]{4}`",
            ),
        );
    }
}

/// Refuses an escalation that collects one detail id twice.
fn check_details(flow: &Parsed, id: &str, details: &[Detail], out: &mut Vec<Diagnostic>) {
    for (first, again) in duplicates(details.iter().map(|d| d.id.as_str()).collect()) {
        let spans = flow.spans(id).map(|n| &n.details);
        let span = |i: usize| spans.and_then(|d| d.get(i).copied().flatten());
        let detail = &details[again].id;
        let mut d = flow
            .diagnostic(
                Code::DuplicateDetail,
                format!("escalation `{id}` collects detail `{detail}` twice"),
            )
            .with_label_at(span(again), "collected again here");
        if d.primary.is_some() {
            d = d.with_label_at(span(first), "first collected here");
        } else {
            d = d.with_label_at(flow.spans(id).map(|n| n.key), "in this escalation");
        }
        out.push(d.with_help(
            "the customer would be asked twice and one answer lost: remove one, or give it \
             its own id",
        ));
    }
}

/// Pairs `(first, again)` of answers sharing an id, by position.
fn duplicate_answers(answers: &[Answer]) -> Vec<(usize, usize)> {
    duplicates(answers.iter().map(|a| a.id.as_str()).collect())
}

/// Pairs `(first, again)` of equal ids, by position.
fn duplicates(ids: Vec<&str>) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    if ids.len() <= PAIRWISE_ANSWERS {
        for (j, b) in ids.iter().enumerate() {
            if let Some(i) = ids[..j].iter().position(|a| a == b) {
                found.push((i, j));
            }
        }
    } else {
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
        for (j, id) in ids.iter().enumerate() {
            if let Some(&i) = seen.get(id) {
                found.push((i, j));
            } else {
                seen.insert(id, j);
            }
        }
    }
    found
}

/// The first image `text` loads from another site, as Markdown (`![…](https://…)`) or as
/// an HTML `<img>`, if any.
fn remote_image(text: &str) -> Option<String> {
    use pulldown_cmark::{Event, Parser, Tag};
    let remote = |url: &str| {
        let url = url.trim().to_ascii_lowercase();
        url.starts_with("http:") || url.starts_with("https:") || url.starts_with("//")
    };
    Parser::new(text).find_map(|event| match event {
        Event::Start(Tag::Image { dest_url, .. }) if remote(&dest_url) => {
            Some(dest_url.to_string())
        }
        Event::Html(html) | Event::InlineHtml(html) => {
            let lower = html.to_ascii_lowercase();
            let at = lower.find("<img")?;
            let src = lower[at..].find("src=")? + at + 4;
            let value = html[src..].trim_start_matches(['"', '\'', ' ']);
            let end = value.find(['"', '\'', ' ', '>']).unwrap_or(value.len());
            remote(&value[..end]).then(|| value[..end].to_owned())
        }
        _ => None,
    })
}
