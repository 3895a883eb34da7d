//! A flow in another language: the same graph and version, with every text that has a
//! current translation swapped in and the nodes that kept a source text marked.

use std::collections::BTreeSet;

use super::{Text, Translation};
use crate::flow::{Flow, HeaderFallback};
use crate::model::Node;

/// `flow` with its texts in `locale` where `translation` has them and they are current.
///
/// A translation applies only while its fingerprint matches the text of *this* version of
/// the flow, so a session pinned to an older version sees the translations of that version's
/// texts, never a translation of words it does not show.
pub fn localize(flow: &Flow, locale: &str, translation: Option<&Translation>) -> Flow {
    let empty = Translation::default();
    let tr = translation.unwrap_or(&empty);
    let mut raw = flow.raw().clone();
    let mut header_fallback = HeaderFallback::default();
    swap(
        &mut raw.title,
        tr.title.as_ref(),
        &mut header_fallback.title,
    );
    if !raw.summary.trim().is_empty() {
        swap(
            &mut raw.summary,
            tr.summary.as_ref(),
            &mut header_fallback.summary,
        );
    }
    if !tr.tags.is_empty() {
        raw.tags = tr.tags.clone();
    }
    let mut fallback = BTreeSet::new();
    for (id, node) in raw.nodes.iter_mut() {
        let entry = tr.nodes.get(id);
        let mut fell_back = false;
        match node {
            Node::Question { text, answers, .. } => {
                swap(text, entry.and_then(|e| e.text.as_ref()), &mut fell_back);
                for answer in answers {
                    let given = entry.and_then(|e| e.answers.get(&answer.id));
                    swap(&mut answer.label, given, &mut fell_back);
                }
            }
            Node::Escalate { text, collect, .. } => {
                swap(text, entry.and_then(|e| e.text.as_ref()), &mut fell_back);
                for detail in collect {
                    let given = entry.and_then(|e| e.details.get(&detail.id));
                    swap(
                        &mut detail.label,
                        given.and_then(|g| g.label.as_ref()),
                        &mut fell_back,
                    );
                    if let Some(help) = detail.help.as_mut() {
                        swap(help, given.and_then(|g| g.help.as_ref()), &mut fell_back);
                    }
                }
            }
            Node::Remedy { text, .. }
            | Node::Info { text, .. }
            | Node::Resolved { text }
            | Node::Done { text } => {
                swap(text, entry.and_then(|e| e.text.as_ref()), &mut fell_back);
            }
            Node::Branch { .. } | Node::Link { .. } => {}
        }
        if fell_back {
            fallback.insert(id.clone());
        }
    }
    flow.in_language(raw, locale, fallback, header_fallback)
}

/// Puts the translation in place of `text` if it is current; notes a fallback if not.
fn swap(text: &mut String, given: Option<&Text>, fell_back: &mut bool) {
    match Text::of(given, text) {
        Some(translated) => *text = translated.to_owned(),
        None => *fell_back = true,
    }
}
