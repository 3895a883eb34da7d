//! Ranked search over flows, on an index kept in memory (tantivy): each flow's title, tags,
//! summary and step texts are analysed in the flow's language (word forms stemmed, common
//! words dropped), the domain's synonyms added as concepts (`synonyms.rs`), and scored by
//! BM25 with the title and tags weighing more than the body. A query word the flows do not
//! hold is looked up with a spelling mistake or two forgiven ("withdrawl" finds
//! "withdrawal").
//!
//! An index is built when flows load, and built again on each reload: flows are few enough
//! that a new one takes milliseconds.

mod analysis;
mod synonyms;

use stepwise_engine::{Flow, Node};
use tantivy::collector::TopDocs;
use tantivy::query::{
    BooleanQuery, BoostQuery, DisjunctionMaxQuery, FuzzyTermQuery, Query, TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::{PreTokenizedString, Token};
use tantivy::{IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use analysis::Analysis;
use synonyms::Synonyms;

/// How much a match in each field counts, against one in the body text.
const TITLE: f32 = 4.0;
const TAGS: f32 = 3.0;
const SUMMARY: f32 = 2.0;
const BODY: f32 = 1.0;
/// A word found only in another field than the best adds this share of its score there.
const OTHER_FIELDS: f32 = 0.3;
/// A concept the query names counts this much against one of its own words.
const CONCEPT: f32 = 0.8;
/// A word found with a spelling mistake scores a constant; this is that score against the
/// field's weight (a word found as typed scores by BM25, typically 1 to 3).
const MISSPELT: f32 = 1.0;
/// Query terms beyond this many are ignored: a search box holds a question, not an essay.
const MOST_TERMS: usize = 32;
/// Flows a search returns at most: past these, nobody reads on.
const MOST_HITS: usize = 100;
/// Memory the index writer may use while it builds (the least the library takes).
const WRITER_MEMORY: usize = 15_000_000;

/// The searchable fields of every flow in one language, ready for queries.
pub struct Index {
    /// `None` when the index could not be built (logged): every search then finds nothing.
    built: Option<Built>,
    analysis: Analysis,
    synonyms: Synonyms,
}

struct Built {
    reader: IndexReader,
    fields: Fields,
    /// How many flows it holds.
    len: usize,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    title: Field,
    tags: Field,
    summary: Field,
    body: Field,
}

impl Fields {
    /// The text fields with their weights.
    fn weighted(self) -> [(Field, f32); 4] {
        [
            (self.title, TITLE),
            (self.tags, TAGS),
            (self.summary, SUMMARY),
            (self.body, BODY),
        ]
    }
}

/// A flow that matched, with its score (higher is better).
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The flow's id.
    pub id: String,
    /// How well it matched.
    pub score: f64,
}

impl Index {
    /// Indexes flows written in (or translated into) `locale`.
    pub fn new<'a>(flows: impl IntoIterator<Item = &'a Flow>, locale: &str) -> Index {
        let analysis = Analysis::for_locale(locale);
        let synonyms = Synonyms::new(&analysis, &synonyms::groups(locale));
        let built = build(flows, &analysis, &synonyms)
            .inspect_err(|e| {
                tracing::error!(error = %e, locale, "cannot build the search index; searches find nothing")
            })
            .ok();
        Index {
            built,
            analysis,
            synonyms,
        }
    }

    /// The flows matching `query`, best first, at most a hundred.
    pub fn search(&self, query: &str) -> Vec<Hit> {
        let Some(built) = &self.built else {
            return Vec::new();
        };
        let mut terms = self.analysis.terms(query);
        terms.truncate(MOST_TERMS);
        let concepts: Vec<String> = self
            .synonyms
            .concepts(&terms)
            .into_iter()
            .map(str::to_owned)
            .collect();
        terms.sort();
        terms.dedup();
        if terms.is_empty() || built.len == 0 {
            return Vec::new();
        }
        let searcher = built.reader.searcher();
        let known = |term: &str| {
            built.fields.weighted().iter().any(|(field, _)| {
                searcher
                    .doc_freq(&Term::from_field_text(*field, term))
                    .is_ok_and(|n| n > 0)
            })
        };
        let mut clauses: Vec<Box<dyn Query>> = Vec::new();
        for term in &terms {
            clauses.push(match known(term) {
                true => by_field(built.fields, term, 1.0),
                false => misspelt(built.fields, term),
            });
        }
        for concept in &concepts {
            clauses.push(by_field(built.fields, concept, CONCEPT));
        }
        let query = BooleanQuery::union(clauses);
        let found = match searcher.search(
            &query,
            &TopDocs::with_limit(built.len.min(MOST_HITS)).order_by_score(),
        ) {
            Ok(found) => found,
            Err(e) => {
                tracing::error!(error = %e, "search failed");
                return Vec::new();
            }
        };
        found
            .into_iter()
            .filter_map(|(score, address)| {
                let doc: TantivyDocument = searcher.doc(address).ok()?;
                let id = doc.get_first(built.fields.id)?.as_str()?.to_owned();
                Some(Hit {
                    id,
                    score: f64::from(score),
                })
            })
            .collect()
    }
}

/// A term looked for in every field: the best field's score, and a share of the others'.
fn by_field(fields: Fields, term: &str, weight: f32) -> Box<dyn Query> {
    let per_field = fields
        .weighted()
        .into_iter()
        .map(|(field, boost)| {
            let query = TermQuery::new(
                Term::from_field_text(field, term),
                IndexRecordOption::WithFreqs,
            );
            Box::new(BoostQuery::new(Box::new(query), boost * weight)) as Box<dyn Query>
        })
        .collect();
    Box::new(DisjunctionMaxQuery::with_tie_breaker(
        per_field,
        OTHER_FIELDS,
    ))
}

/// A term no flow holds, looked for with spelling mistakes forgiven: one in a word of up to
/// seven letters, two in a longer one; none in a word of three letters or fewer, where one
/// mistake makes another word. A term may also be the start of a word ("recog").
fn misspelt(fields: Fields, term: &str) -> Box<dyn Query> {
    let letters = term.chars().count();
    let distance = match letters {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    };
    let per_field = fields
        .weighted()
        .into_iter()
        .flat_map(|(field, boost)| {
            let term = Term::from_field_text(field, term);
            let mut queries: Vec<Box<dyn Query>> = Vec::new();
            if distance > 0 {
                queries.push(Box::new(BoostQuery::new(
                    Box::new(FuzzyTermQuery::new(term.clone(), distance, true)),
                    boost * MISSPELT,
                )));
            }
            if letters >= 3 {
                queries.push(Box::new(BoostQuery::new(
                    Box::new(FuzzyTermQuery::new_prefix(term, 0, true)),
                    boost * MISSPELT * 0.5,
                )));
            }
            queries
        })
        .collect();
    Box::new(DisjunctionMaxQuery::with_tie_breaker(
        per_field,
        OTHER_FIELDS,
    ))
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    // Texts come analysed already (terms and concepts): the index only counts them.
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        id: builder.add_text_field("id", STRING | STORED),
        title: builder.add_text_field("title", text.clone()),
        tags: builder.add_text_field("tags", text.clone()),
        summary: builder.add_text_field("summary", text.clone()),
        body: builder.add_text_field("body", text),
    };
    (builder.build(), fields)
}

fn build<'a>(
    flows: impl IntoIterator<Item = &'a Flow>,
    analysis: &Analysis,
    synonyms: &Synonyms,
) -> tantivy::Result<Built> {
    let (schema, fields) = schema();
    let index = tantivy::Index::create_in_ram(schema);
    let mut writer: IndexWriter = index.writer_with_num_threads(1, WRITER_MEMORY)?;
    let mut len = 0;
    for flow in flows {
        let raw = flow.raw();
        let body: Vec<&str> = raw
            .nodes
            .values()
            .filter_map(Node::text)
            .chain(raw.nodes.values().flat_map(answer_labels))
            .collect();
        let mut doc = TantivyDocument::default();
        doc.add_text(fields.id, &raw.id);
        let texts = [
            (fields.title, raw.title.clone()),
            (fields.tags, raw.tags.join(". ")),
            (fields.summary, raw.summary.clone()),
            (fields.body, body.join(" ")),
        ];
        for (field, text) in texts {
            doc.add_pre_tokenized_text(field, analysed(text, analysis, synonyms));
        }
        writer.add_document(doc)?;
        len += 1;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?;
    Ok(Built {
        reader,
        fields,
        len,
    })
}

/// A text as the index takes it: its terms, then the concepts they name.
fn analysed(text: String, analysis: &Analysis, synonyms: &Synonyms) -> PreTokenizedString {
    let terms = analysis.terms(&text);
    let concepts: Vec<String> = synonyms
        .concepts(&terms)
        .into_iter()
        .map(str::to_owned)
        .collect();
    let tokens = terms
        .into_iter()
        .chain(concepts)
        .enumerate()
        .map(|(position, text)| Token {
            position,
            text,
            ..Token::default()
        })
        .collect();
    PreTokenizedString { text, tokens }
}

fn answer_labels(node: &Node) -> Vec<&str> {
    match node {
        Node::Question { answers, .. } => answers.iter().map(|a| a.label.as_str()).collect(),
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
        Index::new(report.catalog.iter().map(|f| f.as_ref()), "en")
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
    fn a_spelling_mistake_is_forgiven() {
        assert_eq!(ids(index().search("facial recogniton"))[0], "face");
        assert_eq!(ids(index().search("deposti")), ["memo"]);
    }

    #[test]
    fn a_synonym_finds_a_flow_that_never_says_the_word() {
        assert_eq!(ids(index().search("selfie")), ["face"]);
        assert_eq!(ids(index().search("google authenticator")), ["tfa"]);
        assert_eq!(ids(index().search("destination tag"))[0], "memo");
    }

    #[test]
    fn matching_every_word_beats_matching_one() {
        assert_eq!(ids(index().search("deposit memo")), ["memo", "face"]);
    }
}

#[cfg(test)]
mod quality;
