//! What is wrong with a translation: texts not translated, translations of texts that have
//! changed since (stale), and translations of ids the flow no longer has (orphans).

use super::parse::{Parsed, TextPlace};
use super::{Text, fingerprint};
use crate::diagnostic::{Code, Diagnostic};
use crate::flow::{Catalog, Flow};
use crate::model::Node;
use crate::source::Span;
use crate::suggest::{Suggest, closest, did_you_mean};

/// Checks the translation of `flow` into `locale` and adds what is wrong to `out`.
pub fn check(flow: &Flow, locale: &str, parsed: &Parsed, out: &mut Vec<Diagnostic>) {
    let raw = flow.raw();
    let tr = &parsed.translation;
    let places = &parsed.places;
    let mut check = Checker {
        parsed,
        locale,
        out,
        node: None,
    };

    let mut top_missing = Vec::new();
    check.text(
        "the title",
        &raw.title,
        tr.title.as_ref(),
        places.title,
        &mut top_missing,
    );
    if !raw.summary.trim().is_empty() {
        check.text(
            "the summary",
            &raw.summary,
            tr.summary.as_ref(),
            places.summary,
            &mut top_missing,
        );
    }
    check.missing(&top_missing, places.file, None);

    for (id, node) in &raw.nodes {
        check.node = Some(id.clone());
        let entry = tr.nodes.get(id);
        let place = places.node(id);
        let mut missing = Vec::new();
        if let Some(text) = node.text() {
            check.text(
                "the text",
                text,
                entry.and_then(|e| e.text.as_ref()),
                place.and_then(|p| p.text),
                &mut missing,
            );
        }
        match node {
            Node::Question { answers, .. } => {
                for answer in answers {
                    let at = place.and_then(|p| {
                        p.answers
                            .iter()
                            .find(|(a, _, _)| a == &answer.id)
                            .map(|(_, _, t)| *t)
                    });
                    check.text(
                        &format!("answer `{}`", answer.id),
                        &answer.label,
                        entry.and_then(|e| e.answers.get(&answer.id)),
                        at,
                        &mut missing,
                    );
                }
            }
            Node::Escalate { collect, .. } => {
                for detail in collect {
                    let given = entry.and_then(|e| e.details.get(&detail.id));
                    let at = place.and_then(|p| p.details.iter().find(|d| d.id == detail.id));
                    check.text(
                        &format!("the label of detail `{}`", detail.id),
                        &detail.label,
                        given.and_then(|g| g.label.as_ref()),
                        at.and_then(|a| a.label),
                        &mut missing,
                    );
                    if let Some(help) = &detail.help {
                        check.text(
                            &format!("the help of detail `{}`", detail.id),
                            help,
                            given.and_then(|g| g.help.as_ref()),
                            at.and_then(|a| a.help),
                            &mut missing,
                        );
                    }
                }
            }
            _ => {}
        }
        let at = place.map(|p| p.key).or(places.file);
        check.missing(&missing, at, Some(id));
    }

    check.node = None;
    check.orphans(flow);
}

/// Collects the diagnostics of one translation file.
struct Checker<'a> {
    parsed: &'a Parsed,
    locale: &'a str,
    out: &'a mut Vec<Diagnostic>,
    /// The node whose texts are being checked, if any.
    node: Option<String>,
}

impl Checker<'_> {
    fn diagnostic(&self, code: Code, message: String) -> Diagnostic {
        Diagnostic::new(code, &self.parsed.source, message)
    }

    /// One text: stale is reported at once, missing is gathered per node.
    fn text(
        &mut self,
        what: &str,
        source: &str,
        given: Option<&Text>,
        place: Option<TextPlace>,
        missing: &mut Vec<String>,
    ) {
        let Some(given) = given.filter(|g| !g.text.trim().is_empty()) else {
            missing.push(what.to_owned());
            return;
        };
        let now = fingerprint(source);
        if given.source == now {
            return;
        }
        let at = place.map(|p| p.fingerprint());
        let what = match &self.node {
            Some(id) => format!("{what} of node `{id}`"),
            None => what.to_owned(),
        };
        let stale = self
            .diagnostic(
                Code::StaleTranslation,
                format!(
                    "{what} was translated from a text that has changed since; it is not shown until it is updated"
                ),
            )
            .with_label_at(at, format!("the source text now has fingerprint `{now}`"))
            .with_help(format!(
                "the text now reads: \"{}\"; update the translation, then set `source: \"{now}\"` \
                 (`stepwise translate extract {} FLOW` marks every stale text in the file)",
                first_line(source),
                self.locale
            ));
        self.out.push(stale);
    }

    /// One diagnostic for the texts of a node (or of the flow) that nobody translated.
    fn missing(&mut self, missing: &[String], at: Option<Span>, node: Option<&str>) {
        if missing.is_empty() {
            return;
        }
        let whose = match node {
            Some(id) => format!("node `{id}`"),
            None => "the flow".to_owned(),
        };
        let message = format!(
            "{} of {whose} {} no `{}` translation",
            list(missing),
            if missing.len() == 1 { "has" } else { "have" },
            self.locale
        );
        let label = match node {
            Some(id) if self.parsed.places.node(id).is_some() => {
                "translate the rest of this node".to_owned()
            }
            Some(id) => format!("no entry for `{id}`"),
            None => "in this file".to_owned(),
        };
        let d = self
            .diagnostic(Code::MissingTranslation, message)
            .with_label_at(at, label)
            .with_help(format!(
                "the source language is shown there instead; `stepwise translate extract {} FLOW` \
                 adds every missing entry with its fingerprint",
                self.locale
            ));
        self.out.push(d);
    }

    /// Entries for ids the flow does not have (any more).
    fn orphans(&mut self, flow: &Flow) {
        let raw = flow.raw();
        let parsed = self.parsed;
        let mut suggest = Suggest::new();
        for place in &parsed.places.nodes {
            let Some(node) = raw.nodes.get(&place.id) else {
                let guess = suggest.closest(&place.id, raw.nodes.keys().map(String::as_str));
                let d = self
                    .diagnostic(
                        Code::OrphanTranslation,
                        format!("flow `{}` has no node `{}`", raw.id, place.id),
                    )
                    .with_label(place.key, "no such node")
                    .with_help(did_you_mean(
                        guess,
                        "the node was removed or renamed: remove this entry, or move it to the new id",
                    ));
                self.out.push(d);
                continue;
            };
            if node.text().is_none()
                && let Some(text) = place.text
            {
                let d = self
                    .diagnostic(
                        Code::OrphanTranslation,
                        format!(
                            "node `{}` is a {} and has no text to translate",
                            place.id,
                            node.kind_name()
                        ),
                    )
                    .with_label(text.whole, "nothing to translate")
                    .with_help("remove this text");
                self.out.push(d);
            }
            let answer_ids: Vec<&str> = match node {
                Node::Question { answers, .. } => answers.iter().map(|a| a.id.as_str()).collect(),
                _ => Vec::new(),
            };
            for (id, key, _) in &place.answers {
                if answer_ids.contains(&id.as_str()) {
                    continue;
                }
                let guess = suggest.closest(id, answer_ids.iter().copied());
                let d = self
                    .diagnostic(
                        Code::OrphanTranslation,
                        format!("node `{}` has no answer `{id}`", place.id),
                    )
                    .with_label(*key, "no such answer")
                    .with_help(did_you_mean(
                        guess,
                        "the answer was removed or renamed: remove this entry, or move it to the new id",
                    ));
                self.out.push(d);
            }
            let details: &[crate::model::Detail] = match node {
                Node::Escalate { collect, .. } => collect,
                _ => &[],
            };
            for place_detail in &place.details {
                match details.iter().find(|d| d.id == place_detail.id) {
                    Some(detail) => {
                        if detail.help.is_none()
                            && let Some(help) = place_detail.help
                        {
                            let d = self
                                .diagnostic(
                                    Code::OrphanTranslation,
                                    format!(
                                        "detail `{}` of node `{}` has no help to translate",
                                        detail.id, place.id
                                    ),
                                )
                                .with_label(help.whole, "nothing to translate")
                                .with_help("remove this help, or add one to the flow first");
                            self.out.push(d);
                        }
                    }
                    None => {
                        let guess = suggest
                            .closest(&place_detail.id, details.iter().map(|d| d.id.as_str()));
                        let d = self
                            .diagnostic(
                                Code::OrphanTranslation,
                                format!(
                                    "node `{}` collects no detail `{}`",
                                    place.id, place_detail.id
                                ),
                            )
                            .with_label(place_detail.key, "no such detail")
                            .with_help(did_you_mean(
                                guess,
                                "the detail was removed or renamed: remove this entry, or move it to the new id",
                            ));
                        self.out.push(d);
                    }
                }
            }
        }
    }
}

/// A translation file whose flow does not exist.
pub(super) fn no_such_flow(parsed: &Parsed, flow: &str, catalog: &Catalog) -> Diagnostic {
    let guess = closest(flow, catalog.iter().map(|f| f.id()));
    Diagnostic::new(
        Code::OrphanTranslation,
        &parsed.source,
        format!("there is no flow `{flow}` to translate"),
    )
    .with_label_at(parsed.places.file, "translates a flow that does not exist")
    .with_help(did_you_mean(
        guess,
        "a translation is named after its flow: `<flow>.<locale>.ron` beside `<flow>.ron`",
    ))
}

/// `a`, `b` and `c`.
fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The first non-empty line, shortened, for a help text.
fn first_line(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    const SHOWN: usize = 60;
    if line.chars().count() > SHOWN {
        let cut: String = line.chars().take(SHOWN).collect();
        format!("{cut}…")
    } else {
        line.to_owned()
    }
}
