//! Rules about how ids are written: no invisible, bidirectional-control or whitespace
//! characters, and no mixing of Latin, Cyrillic and Greek letters. Both make ids that look
//! the same and are not, which NFC (applied when the flow is read) cannot settle.
//!
//! One diagnostic per id, pointing at every place it is written, since a writer fixes the
//! id everywhere at once.

use std::collections::{HashMap, HashSet};

use super::Parsed;
use crate::diagnostic::{Code, Diagnostic};
use crate::ids::{Hidden, Mixed, describe, hidden, mixed, shown};
use crate::source::Span;
use crate::source::reader::id_at;

/// How many of an id's further places are labelled; the first is always labelled.
const LABELLED_PLACES: usize = 6;
/// How many distinct characters a message names.
const NAMED_CHARACTERS: usize = 3;

/// What is wrong with an id.
enum Problem {
    /// The characters it may not hold, each once, in order.
    Hidden(Vec<(char, Hidden)>),
    /// Its letters come from two scripts.
    Mixed(Mixed),
}

/// Checks every id and every reference to one in `flow`.
pub(super) fn check(flow: &Parsed, out: &mut Vec<Diagnostic>) {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut found: Vec<(&str, Problem)> = Vec::new();
    flow.raw.each_id(|id| {
        // Almost every id is printable ASCII: nothing to look at, and no index to build.
        if id.bytes().all(|b| b.is_ascii_graphic()) || !seen.insert(id) {
            return;
        }
        let mut chars: Vec<(char, Hidden)> = Vec::new();
        for c in id.chars() {
            if let Some(why) = hidden(c)
                && !chars.iter().any(|&(seen, _)| seen == c)
            {
                chars.push((c, why));
            }
        }
        if !chars.is_empty() {
            found.push((id, Problem::Hidden(chars)));
        }
        if let Some(mix) = mixed(id) {
            found.push((id, Problem::Mixed(mix)));
        }
    });
    if found.is_empty() {
        return;
    }
    // Grouped once: a flow may have very many ids, and many of them wrong.
    let wrong: HashSet<&str> = found.iter().map(|&(id, _)| id).collect();
    let mut at: HashMap<String, Vec<Span>> = HashMap::new();
    for (span, id) in places(flow) {
        if wrong.contains(id.as_str()) {
            at.entry(id).or_default().push(span);
        }
    }
    at.values_mut().for_each(|spans| spans.sort_unstable());
    for (id, problem) in found {
        let at = at.get(id).map(Vec::as_slice).unwrap_or_default();
        out.push(match problem {
            Problem::Hidden(chars) => invisible(flow, id, &chars, at),
            Problem::Mixed(mix) => confusable(flow, id, mix, at),
        });
    }
}

/// Every place an id is written, with the id it writes (unescaped, in NFC).
fn places(flow: &Parsed) -> Vec<(Span, String)> {
    let index = flow.index();
    let text = &flow.source.text;
    let mut spans: Vec<Span> = Vec::new();
    spans.extend(index.id);
    spans.extend(index.start);
    spans.extend(index.inputs.iter().copied());
    spans.extend(index.input_values.iter().map(|&(_, span)| span));
    let mut places = Vec::new();
    for node in &index.nodes {
        places.push((node.key, node.id.clone()));
        spans.extend(node.fact);
        for answer in &node.answers {
            spans.extend(answer.id);
            spans.extend(answer.goto);
        }
        spans.extend(node.otherwise);
        spans.extend(node.next);
        for &(value, to) in &node.cases {
            spans.push(value);
            spans.push(to);
        }
        spans.extend(node.default);
        spans.extend(node.flow);
        spans.extend(node.details.iter().flatten());
    }
    places.extend(
        spans
            .into_iter()
            .filter_map(|span| Some((span, id_at(text, span)?))),
    );
    places
}

/// Labels the first place as `first` and up to [`LABELLED_PLACES`] more as `again`.
fn labelled(mut d: Diagnostic, at: &[Span], first: String, again: &str) -> Diagnostic {
    let mut spans = at.iter().copied();
    if let Some(span) = spans.next() {
        d = d.with_label(span, first);
    }
    for span in spans.take(LABELLED_PLACES) {
        d = d.with_label(span, again);
    }
    d
}

fn invisible(flow: &Parsed, id: &str, chars: &[(char, Hidden)], at: &[Span]) -> Diagnostic {
    let mut named: Vec<String> = chars
        .iter()
        .take(NAMED_CHARACTERS)
        .map(|&(c, why)| format!("{} ({})", describe(c), why.what()))
        .collect();
    if chars.len() > NAMED_CHARACTERS {
        named.push(format!("{} more", chars.len() - NAMED_CHARACTERS));
    }
    let named = match named.as_slice() {
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        [] => String::new(),
    };
    let first = chars
        .first()
        .map_or_else(String::new, |&(c, _)| describe(c));
    let help = if chars.iter().all(|&(_, why)| why == Hidden::Space) {
        "write `-` or `_` where the id has whitespace, everywhere the id is written"
    } else if chars.iter().any(|&(_, why)| why == Hidden::Bidi) {
        "retype the id without it, everywhere the id is written: a bidirectional control \
         reorders the text around it, so the id shows as something it is not"
    } else {
        "retype the id without it, everywhere the id is written: a character that cannot be \
         seen makes ids that look the same but do not match"
    };
    let d = flow.diagnostic(
        Code::InvisibleCharacter,
        format!("the id `{}` holds {named}", shown(id)),
    );
    labelled(d, at, format!("holds {first}"), "the same id").with_help(help)
}

fn confusable(flow: &Parsed, id: &str, mix: Mixed, at: &[Span]) -> Diagnostic {
    let odd = format!(
        "`{}` is {} (U+{:04X})",
        mix.odd,
        mix.other.name(),
        u32::from(mix.odd)
    );
    let d = flow.diagnostic(
        Code::ConfusableId,
        format!(
            "the id `{}` mixes {} and {} letters",
            shown(id),
            mix.main.name(),
            mix.other.name()
        ),
    );
    labelled(d, at, odd, "the same id").with_help(format!(
        "write the id in one alphabet, everywhere it is written: a {} letter that looks like a \
         {} one makes an id that reads the same as another and does not match it",
        mix.other.name(),
        mix.main.name()
    ))
}
