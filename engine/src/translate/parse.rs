//! RON text → [`Translation`]: serde reads the values, and the forgiving reader finds where
//! each node, answer, detail and text stands, so that diagnostics point at them.

use indexmap::IndexMap;
use ron::extensions::Extensions;
use serde::{Deserialize, Deserializer};

use super::Translation;
use crate::diagnostic::Diagnostic;
use crate::source::lex::Token;
use crate::source::reader::Reader;
use crate::source::{Source, Span};
use crate::syntax::{Grammar, diagnose};

/// A translation file that parsed, and where its parts stand.
#[derive(Debug)]
pub struct Parsed {
    /// The file.
    pub source: Source,
    /// What it says.
    pub translation: Translation,
    /// Where it says it.
    pub places: Places,
}

/// Where the parts of a translation file stand.
#[derive(Debug, Default)]
pub struct Places {
    /// The `Translation` name, else its opening parenthesis.
    pub file: Option<Span>,
    /// The title's text.
    pub title: Option<TextPlace>,
    /// The summary's text.
    pub summary: Option<TextPlace>,
    /// Every node entry, in the order written.
    pub nodes: Vec<NodePlace>,
}

/// Where one node's entry stands.
#[derive(Debug, Default)]
pub struct NodePlace {
    /// The node id, in NFC as ids are compared.
    pub id: String,
    /// Its key, with quotes.
    pub key: Span,
    /// Its text.
    pub text: Option<TextPlace>,
    /// Each answer: id, key, text.
    pub answers: Vec<(String, Span, TextPlace)>,
    /// Each detail: id, key, label, help.
    pub details: Vec<DetailPlace>,
}

/// Where one detail's entry stands.
#[derive(Debug, Default)]
pub struct DetailPlace {
    /// The detail id, in NFC.
    pub id: String,
    /// Its key, with quotes.
    pub key: Span,
    /// Its label.
    pub label: Option<TextPlace>,
    /// Its help.
    pub help: Option<TextPlace>,
}

/// Where one `(text: …, source: …)` stands.
#[derive(Debug, Default, Clone, Copy)]
pub struct TextPlace {
    /// The whole value.
    pub whole: Span,
    /// The value of `text`.
    pub text: Option<Span>,
    /// The value of `source`.
    pub source: Option<Span>,
}

impl TextPlace {
    /// The fingerprint if written, else the whole value.
    pub fn fingerprint(&self) -> Span {
        self.source.unwrap_or(self.whole)
    }
}

impl Places {
    /// The entry of a node.
    pub fn node(&self, id: &str) -> Option<&NodePlace> {
        self.nodes.iter().find(|n| n.id == id)
    }
}

/// The words of a translation file's diagnostics.
const TRANSLATION: Grammar = Grammar {
    noun: "translation file",
    shape: "a translation file holds one `Translation(title: (text: …, source: …), nodes: {…})`",
    variant: "value",
    parentheses: "write a text as `(text: \"…\", source: \"…\")`",
    field_hint,
};

/// What a missing field of a translation file usually holds.
fn field_hint(field: &str) -> &'static str {
    match field {
        "text" => " with the translated text",
        "source" => {
            " with the fingerprint of the source text (`stepwise translate extract` writes it)"
        }
        _ => "",
    }
}

/// Reads a translation file; syntax and type errors come back as the diagnostic a writer reads.
pub fn parse(source: &Source) -> Result<Parsed, Box<Diagnostic>> {
    let translation = ron::Options::default()
        .with_default_extension(Extensions::IMPLICIT_SOME)
        .from_str::<Translation>(&source.text)
        .map_err(|e| Box::new(diagnose(source, &e, &TRANSLATION)))?;
    Ok(Parsed {
        places: Places::of(&source.text),
        source: source.clone(),
        translation,
    })
}

impl Places {
    /// Reads the places out of a translation file's text. Never fails.
    pub fn of(text: &str) -> Places {
        let mut reader = Reader::new(text);
        let mut places = Places::default();
        reader.skip_attributes();
        let Some((name, open)) = reader.open_group() else {
            return places;
        };
        places.file = Some(name.unwrap_or(open));
        reader.fields(|reader, field| match field {
            "title" => places.title = text_place(reader),
            "summary" => places.summary = text_place(reader),
            "nodes" if reader.peek_punct(0) == Some(b'{') => {
                reader.entries(|reader, key| {
                    if let Some(node) = node(reader, key) {
                        places.nodes.push(node);
                    }
                });
            }
            _ => {
                reader.skip();
            }
        });
        places
    }
}

fn node(reader: &mut Reader<'_>, key: Token) -> Option<NodePlace> {
    let mut node = NodePlace {
        id: reader.id(key)?,
        key: key.span,
        ..NodePlace::default()
    };
    if reader.open_group().is_none() {
        reader.skip();
        return Some(node);
    }
    reader.fields(|reader, field| match field {
        "text" => node.text = text_place(reader),
        "answers" if reader.peek_punct(0) == Some(b'{') => {
            reader.entries(|reader, key| {
                let id = reader.id(key).unwrap_or_default();
                let place = text_place(reader).unwrap_or(TextPlace {
                    whole: key.span,
                    ..TextPlace::default()
                });
                node.answers.push((id, key.span, place));
            });
        }
        "details" if reader.peek_punct(0) == Some(b'{') => {
            reader.entries(|reader, key| {
                let mut detail = DetailPlace {
                    id: reader.id(key).unwrap_or_default(),
                    key: key.span,
                    ..DetailPlace::default()
                };
                if reader.open_group().is_some() {
                    reader.fields(|reader, field| match field {
                        "label" => detail.label = text_place(reader),
                        "help" => detail.help = text_place(reader),
                        _ => {
                            reader.skip();
                        }
                    });
                } else {
                    reader.skip();
                }
                node.details.push(detail);
            });
        }
        _ => {
            reader.skip();
        }
    });
    Some(node)
}

/// One `(text: …, source: …)`, also written `Some(…)`.
fn text_place(reader: &mut Reader<'_>) -> Option<TextPlace> {
    let mut wrappers = 0;
    while reader
        .peek(0)
        .is_some_and(|t| reader.slice(t.span) == "Some")
        && reader.peek_punct(1) == Some(b'(')
    {
        reader.bump();
        reader.bump();
        wrappers += 1;
    }
    let start = reader.here();
    let place = if reader.open_group().is_some() {
        let mut place = TextPlace::default();
        let end = reader.fields(|reader, field| match field {
            "text" => place.text = Some(reader.value()),
            "source" => place.source = reader.string(),
            _ => {
                reader.skip();
            }
        });
        place.whole = Span::new(start, end);
        Some(place)
    } else {
        reader.skip();
        None
    };
    for _ in 0..wrappers {
        if reader.peek_punct(0) == Some(b')') {
            reader.bump();
        }
    }
    place
}

/// Reads a map of translations, refusing an id translated twice.
pub(crate) fn translated_once<'de, D, V>(deserializer: D) -> Result<IndexMap<String, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    crate::model::unique_keys(deserializer, "a map of ids to translations", |id| {
        format!("`{id}` is translated twice")
    })
}
