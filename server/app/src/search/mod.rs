//! Ranked search over flows: a query's words are matched against each flow's title, tags,
//! summary, id and node text, with more weight for the fields a customer reads first.

use stepwise_engine::Flow;

/// How much a word found in each field counts.
const TITLE: f64 = 8.0;
const TAG: f64 = 6.0;
const ID: f64 = 4.0;
const SUMMARY: f64 = 3.0;
const TEXT: f64 = 1.0;
/// A word that only starts a word of the flow ("with" for "withdrawal") counts this much.
const PREFIX: f64 = 0.5;

/// Words too common to tell flows apart.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "at", "be", "but", "by", "can", "do", "does", "for", "from", "how",
    "i", "if", "in", "is", "it", "me", "my", "not", "of", "on", "or", "so", "the", "to", "was",
    "what", "when", "why", "with", // German, for flows translated into it.
    "auf", "bei", "das", "dass", "der", "die", "ein", "eine", "einen", "es", "habe", "hat", "ich",
    "ist", "mein", "meine", "mit", "nicht", "oder", "und", "von", "was", "wie", "wurde", "zu",
];

/// The words of every searchable field of every flow, ready for scoring.
#[derive(Debug, Default)]
pub struct Index {
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    id: String,
    fields: Vec<(f64, Vec<String>)>,
}

/// A flow that matched, with its score (higher is better).
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The flow's id.
    pub id: String,
    /// How well it matched.
    pub score: f64,
}

/// Lowercase words of a text, split at anything that is not a letter or a digit.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

impl Index {
    /// Indexes the given flows.
    pub fn new<'a>(flows: impl IntoIterator<Item = &'a Flow>) -> Index {
        let entries = flows
            .into_iter()
            .map(|flow| {
                let raw = flow.raw();
                let text: String = raw
                    .nodes
                    .values()
                    .filter_map(|n| n.text())
                    .chain(raw.nodes.values().flat_map(answer_labels))
                    .collect::<Vec<_>>()
                    .join(" ");
                Entry {
                    id: raw.id.clone(),
                    fields: vec![
                        (TITLE, words(&raw.title)),
                        (TAG, raw.tags.iter().flat_map(|t| words(t)).collect()),
                        (ID, words(&raw.id)),
                        (SUMMARY, words(&raw.summary)),
                        (TEXT, words(&text)),
                    ],
                }
            })
            .collect();
        Index { entries }
    }

    /// The flows matching `query`, best first; ties keep index order.
    pub fn search(&self, query: &str) -> Vec<Hit> {
        let mut terms = words(query);
        terms.retain(|t| !STOP_WORDS.contains(&t.as_str()));
        terms.dedup();
        if terms.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<Hit> = self
            .entries
            .iter()
            .filter_map(|entry| {
                let mut score = 0.0;
                let mut matched = 0;
                for term in &terms {
                    let term_score: f64 = entry
                        .fields
                        .iter()
                        .map(|(weight, words)| weight * best_match(term, words))
                        .sum();
                    if term_score > 0.0 {
                        matched += 1;
                        score += term_score;
                    }
                }
                // A flow matching every word of the query beats one matching some of them.
                let coverage = f64::from(matched) / terms.len() as f64;
                (score > 0.0).then(|| Hit {
                    id: entry.id.clone(),
                    score: score * coverage * coverage,
                })
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        hits
    }
}

/// 1 for the word itself, [`PREFIX`] for a longer word it starts, else 0. Each field counts
/// a word once, so a long text that repeats a word does not outrank a title.
fn best_match(term: &str, words: &[String]) -> f64 {
    let mut best: f64 = 0.0;
    for word in words {
        if word == term {
            return 1.0;
        }
        if term.len() >= 3 && word.starts_with(term) {
            best = PREFIX;
        }
    }
    best
}

fn answer_labels(node: &stepwise_engine::Node) -> Vec<&str> {
    match node {
        stepwise_engine::Node::Question { answers, .. } => {
            answers.iter().map(|a| a.label.as_str()).collect()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stepwise_engine::Source;
    use stepwise_engine::check_sources;

    fn flow(id: &str, title: &str, tags: &str, text: &str) -> Source {
        Source::new(
            format!("{id}.ron"),
            format!(
                r#"Flow(id: "{id}", title: "{title}", summary: "", tags: [{tags}], start: "a",
                   nodes: {{ "a": Done(text: "{text}") }})"#
            ),
        )
    }

    fn index() -> Index {
        let report = check_sources(vec![
            flow(
                "memo",
                "I forgot the deposit memo",
                r#""deposit""#,
                "Contact support.",
            ),
            flow(
                "face",
                "Facial recognition fails",
                r#""kyc""#,
                "Try better light; memo.",
            ),
            flow(
                "tfa",
                "Lost my 2FA device",
                r#""2fa", "security""#,
                "Reset it.",
            ),
        ]);
        assert_eq!(report.catalog.len(), 3, "{:?}", report.diagnostics);
        Index::new(report.catalog.iter().map(|f| f.as_ref()))
    }

    fn ids(hits: Vec<Hit>) -> Vec<String> {
        hits.into_iter().map(|h| h.id).collect()
    }

    #[test]
    fn a_title_match_outranks_a_text_match() {
        assert_eq!(ids(index().search("memo")), ["memo", "face"]);
    }

    #[test]
    fn tags_and_prefixes_match_case_insensitively() {
        assert_eq!(ids(index().search("2FA")), ["tfa"]);
        assert_eq!(ids(index().search("recog")), ["face"]);
    }

    #[test]
    fn stop_words_and_unknown_words_match_nothing() {
        assert!(index().search("the my").is_empty());
        assert!(index().search("zebra").is_empty());
    }

    #[test]
    fn matching_every_word_beats_matching_one() {
        assert_eq!(ids(index().search("deposit memo")), ["memo", "face"]);
    }
}

#[cfg(test)]
mod quality;
