//! The flow types exactly as a writer writes them in RON; serde reads these.
//!
//! Nothing here is checked: a [`RawFlow`] becomes a [`crate::Flow`] only through
//! [`crate::check`], so the walker never meets an invalid graph. Where each node leads is
//! [`Node::exits`].

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize};

/// One support article as a graph of steps, as read from a `.ron` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Flow")]
pub struct RawFlow {
    /// Stable identifier; must match the file name without `.ron`.
    pub id: String,
    /// The question the customer is asking, as a heading.
    pub title: String,
    /// One or two sentences shown in lists and search results.
    #[serde(default)]
    pub summary: String,
    /// Words a customer might search for; also groups flows on the home page.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Facts the embedding site may give when it starts a session (e.g. `platform`), each
    /// a bare name or `(name: …, values: […], signed: …)`.
    #[serde(default)]
    pub inputs: Vec<Input>,
    /// The id of the first node.
    pub start: String,
    /// Every node, keyed by its id, in the order the writer wrote them.
    #[serde(deserialize_with = "unique_node_ids")]
    pub nodes: IndexMap<String, Node>,
}

/// A fact the embedding site may give when it starts a session: written `"platform"`, or
/// `(name: "platform", values: ["app", "web"])` to say which values it takes, with
/// `signed: true` when only a signed context token may give it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Input {
    /// The fact's name, as branches and questions read it.
    pub name: String,
    /// The values the site may give; empty means any.
    pub values: Vec<String>,
    /// Whether the value must come in a signed context token, never as a plain fact.
    pub signed: bool,
}

impl Input {
    /// An input of any value, given plainly: what a bare name in `inputs` declares.
    pub fn named(name: impl Into<String>) -> Input {
        Input {
            name: name.into(),
            ..Input::default()
        }
    }

    /// Whether the site may give this value (any, when no values are declared).
    pub fn takes(&self, value: &str) -> bool {
        self.values.is_empty() || self.values.iter().any(|v| v == value)
    }
}

impl std::fmt::Display for Input {
    /// `platform`, or `platform (app, web; signed)`: as a writer reads it in a diff.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)?;
        match (self.values.is_empty(), self.signed) {
            (true, false) => Ok(()),
            (true, true) => f.write_str(" (signed)"),
            (false, signed) => {
                write!(f, " ({}", self.values.join(", "))?;
                if signed {
                    f.write_str("; signed")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// The fields of an input written `(…)`, as serde names them.
pub(crate) const INPUT_FIELDS: &[&str] = &["name", "values", "signed"];

/// The written form of an input with more than a name.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Input")]
struct InputFields {
    /// Optional here only so that its absence gets a message of its own: ron would name the
    /// flow, not the input, as what misses it.
    #[serde(default)]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    values: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    signed: bool,
}

impl Serialize for Input {
    /// A bare name stays a bare string, so the [`crate::Version`] of a flow written before
    /// inputs had values is what it was.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.values.is_empty() && !self.signed {
            return serializer.serialize_str(&self.name);
        }
        InputFields {
            name: Some(self.name.clone()),
            values: self.values.clone(),
            signed: self.signed,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Input {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Input, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Input;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a fact's name, or (name: \"…\", values: [\"…\"], signed: true)")
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Input, E> {
                Ok(Input::named(name))
            }
            fn visit_string<E: serde::de::Error>(self, name: String) -> Result<Input, E> {
                Ok(Input::named(name))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Input, A::Error> {
                let fields =
                    InputFields::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                let name = fields.name.ok_or_else(|| {
                    serde::de::Error::custom(
                        "an input written `(…)` needs its fact's `name: \"…\"`",
                    )
                })?;
                Ok(Input {
                    name,
                    values: fields.values,
                    signed: fields.signed,
                })
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// One step of a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Node {
    /// Ask the customer something; each answer leads somewhere.
    Question {
        /// Markdown.
        text: String,
        /// Record the chosen answer's id as this fact; if the fact is already known,
        /// the question is skipped and the matching answer taken.
        #[serde(default)]
        fact: Option<String>,
        answers: Vec<Answer>,
    },
    /// Something to try. The engine then asks whether it helped: yes ends the walk
    /// resolved by this remedy, no goes on to `otherwise`.
    Remedy {
        /// Markdown.
        text: String,
        otherwise: String,
    },
    /// Something the customer should know before going on.
    Info {
        /// Markdown.
        text: String,
        next: String,
    },
    /// Choose the next node from a known fact, without asking.
    Branch {
        fact: String,
        /// Fact value → node id.
        cases: IndexMap<String, String>,
        /// Where to go when the fact is unknown or has another value.
        default: String,
    },
    /// Continue in another flow; its outcomes end this walk.
    Link { flow: String },
    /// The problem is solved.
    Resolved {
        /// Markdown.
        text: String,
    },
    /// Hand the customer to a person, with the details support needs.
    Escalate {
        /// Markdown.
        text: String,
        #[serde(default)]
        collect: Vec<Detail>,
        /// Where support should put the case; sent with the escalation, shown to agents.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        route: Option<Route>,
    },
    /// Nothing to fix (e.g. it is working as intended, or a guided read is over).
    Done {
        /// Markdown.
        text: String,
    },
}

/// One answer to a question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// Stable id clients send back; also the fact value when the question records one.
    pub id: String,
    /// What the customer reads on the button.
    pub label: String,
    /// The node this answer leads to.
    pub goto: String,
}

/// Where an escalation goes in the helpdesk: `route: (queue: "payments", priority: "high",
/// tags: ["withdrawal"])`. The checker holds it to [`PRIORITIES`] and plain names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// The queue, group or team the case belongs to.
    pub queue: String,
    /// One of [`PRIORITIES`]; `normal` when left out.
    #[serde(default = "normal_priority")]
    pub priority: String,
    /// Labels for the ticket.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// The priorities a route may name, lowest first.
pub const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];

fn normal_priority() -> String {
    "normal".to_owned()
}

/// A detail support will ask for at an escalation (coin, amount, TxID…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Detail {
    /// Stable key, e.g. `txid`.
    pub id: String,
    /// What the customer reads next to the field.
    pub label: String,
    /// A hint on where to find it.
    #[serde(default)]
    pub help: Option<String>,
    /// Whether the customer may leave it empty.
    #[serde(default)]
    pub optional: bool,
    /// Longest accepted answer, in characters.
    #[serde(default = "Detail::default_max_len")]
    pub max_len: usize,
    /// What sort of value it is: how it is checked and which keyboard a phone shows.
    // Left out of what is hashed when it is the default, so versions written before kinds
    // existed keep their version.
    #[serde(default, skip_serializing_if = "DetailKind::is_text")]
    pub kind: DetailKind,
    /// A regular expression (the `regex` crate's syntax) the whole answer must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

impl Detail {
    fn default_max_len() -> usize {
        500
    }
}

/// What sort of value a detail is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DetailKind {
    /// An email address.
    Email,
    /// A phone number, with its country code or not.
    Phone,
    /// A number, such as an amount of a coin.
    Amount,
    /// A calendar date, written `YYYY-MM-DD`.
    Date,
    /// A web address (`http` or `https`).
    Url,
    /// A blockchain transaction id (hash).
    Txid,
    /// Any text.
    #[default]
    Text,
}

impl DetailKind {
    /// Every kind, in the order the docs list them.
    pub const ALL: [DetailKind; 7] = [
        DetailKind::Email,
        DetailKind::Phone,
        DetailKind::Amount,
        DetailKind::Date,
        DetailKind::Url,
        DetailKind::Txid,
        DetailKind::Text,
    ];

    /// The kind as a writer writes it, e.g. `email`.
    pub fn as_str(self) -> &'static str {
        match self {
            DetailKind::Email => "email",
            DetailKind::Phone => "phone",
            DetailKind::Amount => "amount",
            DetailKind::Date => "date",
            DetailKind::Url => "url",
            DetailKind::Txid => "txid",
            DetailKind::Text => "text",
        }
    }

    /// Whether it is the default, any text.
    pub fn is_text(&self) -> bool {
        *self == DetailKind::Text
    }
}

impl Node {
    /// Whether the walk ends here (within this flow a link also ends it: the other flow takes over).
    pub fn is_outcome(&self) -> bool {
        matches!(
            self,
            Node::Resolved { .. } | Node::Escalate { .. } | Node::Done { .. }
        )
    }

    /// A short lowercase name of the kind, as shown to writers and clients.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Node::Question { .. } => "question",
            Node::Remedy { .. } => "remedy",
            Node::Info { .. } => "info",
            Node::Branch { .. } => "branch",
            Node::Link { .. } => "link",
            Node::Resolved { .. } => "resolved",
            Node::Escalate { .. } => "escalate",
            Node::Done { .. } => "done",
        }
    }

    /// The Markdown text of the node, if it has any.
    pub fn text(&self) -> Option<&str> {
        match self {
            Node::Question { text, .. }
            | Node::Remedy { text, .. }
            | Node::Info { text, .. }
            | Node::Resolved { text }
            | Node::Escalate { text, .. }
            | Node::Done { text } => Some(text),
            Node::Branch { .. } | Node::Link { .. } => None,
        }
    }
}

impl RawFlow {
    /// Brings every id and every reference to one to NFC, so that ids that look the same
    /// are the same (see [`crate::ids`]). Node ids, the map's keys, are brought to NFC as
    /// they are read, where two that are the same in NFC are refused as a duplicate.
    pub(crate) fn normalize_ids(&mut self) {
        use crate::ids::{into_nfc, to_nfc};
        to_nfc(&mut self.id);
        to_nfc(&mut self.start);
        for input in &mut self.inputs {
            to_nfc(&mut input.name);
            input.values.iter_mut().for_each(to_nfc);
        }
        for node in self.nodes.values_mut() {
            match node {
                Node::Question { fact, answers, .. } => {
                    fact.iter_mut().for_each(to_nfc);
                    for answer in answers {
                        to_nfc(&mut answer.id);
                        to_nfc(&mut answer.goto);
                    }
                }
                Node::Remedy { otherwise, .. } => to_nfc(otherwise),
                Node::Info { next, .. } => to_nfc(next),
                Node::Branch {
                    fact,
                    cases,
                    default,
                } => {
                    to_nfc(fact);
                    to_nfc(default);
                    // Rebuilt only when needed: a map's keys cannot change in place.
                    if cases.keys().any(|value| !value.is_ascii()) {
                        *cases = std::mem::take(cases)
                            .into_iter()
                            .map(|(value, to)| (into_nfc(value), into_nfc(to)))
                            .collect();
                    } else {
                        cases.values_mut().for_each(to_nfc);
                    }
                }
                Node::Link { flow } => to_nfc(flow),
                Node::Escalate { collect, .. } => {
                    collect.iter_mut().for_each(|detail| to_nfc(&mut detail.id));
                }
                Node::Resolved { .. } | Node::Done { .. } => {}
            }
        }
    }

    /// Calls `f` with every id and every reference to one: the flow's own, then each
    /// node's (kept in step with [`RawFlow::normalize_ids`]).
    pub(crate) fn each_id<'a>(&'a self, mut f: impl FnMut(&'a str)) {
        f(&self.id);
        for input in &self.inputs {
            f(&input.name);
            input.values.iter().for_each(|value| f(value));
        }
        f(&self.start);
        for (id, node) in &self.nodes {
            f(id);
            match node {
                Node::Question { fact, answers, .. } => {
                    if let Some(fact) = fact {
                        f(fact);
                    }
                    for answer in answers {
                        f(&answer.id);
                        f(&answer.goto);
                    }
                }
                Node::Remedy { otherwise, .. } => f(otherwise),
                Node::Info { next, .. } => f(next),
                Node::Branch {
                    fact,
                    cases,
                    default,
                } => {
                    f(fact);
                    for (value, to) in cases {
                        f(value);
                        f(to);
                    }
                    f(default);
                }
                Node::Link { flow } => f(flow),
                Node::Escalate { collect, .. } => collect.iter().for_each(|d| f(&d.id)),
                Node::Resolved { .. } | Node::Done { .. } => {}
            }
        }
    }
}

/// Reads a flow's nodes, refusing an id written twice.
fn unique_node_ids<'de, D>(deserializer: D) -> Result<IndexMap<String, Node>, D::Error>
where
    D: Deserializer<'de>,
{
    // The checker recognises this message to point at both places.
    unique_keys(deserializer, "a map of node ids to nodes", |id| {
        format!("duplicate node id `{id}`")
    })
}

/// Reads a map keyed by ids, refusing a key written twice (a plain map would silently keep
/// the last); `twice` says what is wrong with a key written again. Keys are brought to NFC,
/// so two spellings of one id that look the same are the same key (see [`crate::ids`]).
pub(crate) fn unique_keys<'de, D, V>(
    deserializer: D,
    expecting: &'static str,
    twice: fn(&str) -> String,
) -> Result<IndexMap<String, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    struct UniqueKeys<V> {
        expecting: &'static str,
        twice: fn(&str) -> String,
        values: std::marker::PhantomData<V>,
    }

    impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for UniqueKeys<V> {
        type Value = IndexMap<String, V>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str(self.expecting)
        }

        fn visit_map<A>(self, mut map: A) -> Result<Self::Value, A::Error>
        where
            A: serde::de::MapAccess<'de>,
        {
            let mut entries = IndexMap::new();
            while let Some(key) = map.next_key::<String>()? {
                let key = crate::ids::into_nfc(key);
                if entries.contains_key(&key) {
                    return Err(serde::de::Error::custom((self.twice)(&key)));
                }
                let value = map.next_value::<V>()?;
                entries.insert(key, value);
            }
            Ok(entries)
        }
    }

    deserializer.deserialize_map(UniqueKeys {
        expecting,
        twice,
        values: std::marker::PhantomData,
    })
}
