//! A checked flow, its content version, and the catalog of flows a walk can move through.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{Node, RawFlow};
use crate::phrases::{self, Phrases};

/// A hash of a flow's meaning: the same for two files that differ only in whitespace,
/// comments or the order of nodes, different as soon as a customer could see a difference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Version(String);

impl Version {
    /// The version of a flow as written.
    pub fn of(raw: &RawFlow) -> Version {
        /// Everything but the nodes, which are hashed one by one in id order.
        #[derive(Serialize)]
        struct Header<'a> {
            id: &'a str,
            title: &'a str,
            summary: &'a str,
            tags: &'a [String],
            inputs: &'a [crate::model::Input],
            start: &'a str,
        }
        let mut hasher = Hasher::default();
        hasher.feed(&Header {
            id: &raw.id,
            title: &raw.title,
            summary: &raw.summary,
            tags: &raw.tags,
            inputs: &raw.inputs,
            start: &raw.start,
        });
        let mut ids: Vec<&String> = raw.nodes.keys().collect();
        ids.sort_unstable();
        for id in ids {
            hasher.feed(id);
            if let Some(node) = raw.nodes.get(id) {
                hasher.feed(node);
            }
        }
        let digest = hasher.sha.finalize();
        let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        Version(hex)
    }

    /// The version as text, e.g. `3f2a9c0e1b7d4a55`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Hashes values as JSON, one after another. JSON values delimit themselves, so the
/// sequence hashes unambiguously.
#[derive(Default)]
struct Hasher {
    sha: Sha256,
    /// Reused for every value: hashing a whole buffer is far faster than many tiny writes.
    buffer: Vec<u8>,
}

impl Hasher {
    fn feed(&mut self, value: &impl Serialize) {
        self.buffer.clear();
        // Serialising the engine's own plain data into memory cannot fail.
        let _ = serde_json::to_writer(&mut self.buffer, value);
        self.sha.update(&self.buffer);
    }
}

/// A flow that passed every check: every target exists, every node is reachable and can
/// reach an outcome. Only the checker ([`crate::check_paths`] and its kin) makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    raw: RawFlow,
    version: Version,
    /// The language its texts were asked for, and where they could not be given in it.
    language: Arc<Language>,
}

/// The language a flow's texts were asked for and what fell back to the source language.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Language {
    locale: String,
    /// Nodes with a text shown in the source language.
    fallback: BTreeSet<String>,
    /// Which of the title and summary are shown in the source language.
    header_fallback: HeaderFallback,
}

/// Which parts of a flow's header kept the source language's text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct HeaderFallback {
    pub(crate) title: bool,
    pub(crate) summary: bool,
}

impl Flow {
    /// Wraps a flow the checker has accepted.
    pub(crate) fn accepted(raw: RawFlow) -> Flow {
        let version = Version::of(&raw);
        Flow {
            raw,
            version,
            language: Arc::new(Language {
                locale: crate::locale::DEFAULT_LOCALE.to_owned(),
                fallback: BTreeSet::new(),
                header_fallback: HeaderFallback::default(),
            }),
        }
    }

    /// The same flow (same graph, same version) with its texts in another language.
    pub(crate) fn in_language(
        &self,
        raw: RawFlow,
        locale: &str,
        fallback: BTreeSet<String>,
        header_fallback: HeaderFallback,
    ) -> Flow {
        Flow {
            raw,
            version: self.version.clone(),
            language: Arc::new(Language {
                locale: locale.to_owned(),
                fallback,
                header_fallback,
            }),
        }
    }

    /// The language the flow's texts were asked for (`en` unless seen through
    /// [`crate::translate::InLocale`]).
    pub fn locale(&self) -> &str {
        &self.language.locale
    }

    /// The engine's own words in the language of the flow's texts.
    pub fn phrases(&self) -> &'static Phrases {
        phrases::for_locale(self.locale())
    }

    /// Whether a node's texts are shown in the source language because the asked one has no
    /// current translation of them.
    pub fn is_fallback(&self, node: &str) -> bool {
        self.language.fallback.contains(node)
    }

    /// Whether the title or summary is shown in the source language.
    pub fn header_is_fallback(&self) -> bool {
        self.title_is_fallback() || self.summary_is_fallback()
    }

    /// Whether the title is shown in the source language: no current translation of it.
    pub fn title_is_fallback(&self) -> bool {
        self.language.header_fallback.title
    }

    /// Whether the summary is shown in the source language.
    pub fn summary_is_fallback(&self) -> bool {
        self.language.header_fallback.summary
    }

    /// The flow's id.
    pub fn id(&self) -> &str {
        &self.raw.id
    }

    /// The flow's title.
    pub fn title(&self) -> &str {
        &self.raw.title
    }

    /// The flow's content version.
    pub fn version(&self) -> &Version {
        &self.version
    }

    /// The flow as written.
    pub fn raw(&self) -> &RawFlow {
        &self.raw
    }

    /// The id of the first node.
    pub fn start(&self) -> &str {
        &self.raw.start
    }

    /// A node by id.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.raw.nodes.get(id)
    }
}

/// Where a walk finds the flows it moves through, at the versions it is pinned to.
pub trait FlowSource {
    /// The flow `id`; at exactly `version` when given, else the current one.
    fn flow(&self, id: &str, version: Option<&Version>) -> Option<Arc<Flow>>;
}

/// Every flow that passed the checks, by id.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    flows: BTreeMap<String, Arc<Flow>>,
}

impl Catalog {
    /// A catalog of the given checked flows.
    pub fn new(flows: impl IntoIterator<Item = Flow>) -> Catalog {
        Catalog {
            flows: flows
                .into_iter()
                .map(|f| (f.id().to_owned(), Arc::new(f)))
                .collect(),
        }
    }

    /// The current flow with this id (in any normalisation form: ids are kept in NFC).
    pub fn get(&self, id: &str) -> Option<&Arc<Flow>> {
        self.flows.get(crate::ids::nfc(id).as_ref())
    }

    /// Every flow, ordered by id.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Flow>> {
        self.flows.values()
    }

    /// How many flows there are.
    pub fn len(&self) -> usize {
        self.flows.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }
}

impl FlowSource for Catalog {
    fn flow(&self, id: &str, version: Option<&Version>) -> Option<Arc<Flow>> {
        let flow = self.get(id)?;
        match version {
            Some(v) if v != flow.version() => None,
            _ => Some(Arc::clone(flow)),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::check_sources;
    use crate::source::Source;

    fn version_of(text: &str) -> String {
        let report = check_sources(vec![Source::new("v.ron", text)]);
        let flow = report.catalog.get("v").map(|f| f.version().to_string());
        flow.unwrap_or_else(|| panic!("{:?}", report.diagnostics))
    }

    const FLOW: &str = r#"Flow(id: "v", title: "T", summary: "S", tags: [], start: "a",
        nodes: {
            "a": Question(text: "Q?", answers: [
                (id: "y", label: "Yes", goto: "b"), (id: "n", label: "No", goto: "c")]),
            "b": Done(text: "Fine."),
            "c": Resolved(text: "Fixed."),
        })"#;

    #[test]
    fn whitespace_comments_and_node_order_keep_the_version() {
        let reordered = r#"
            // The same flow, written differently.
            Flow(id: "v", title: "T", summary: "S", tags: [], start: "a", nodes: {
                "c": Resolved(text: "Fixed."),
                "b": Done(text: "Fine."),
                "a": Question(
                    text: "Q?",
                    answers: [
                        (id: "y", label: "Yes", goto: "b"),
                        (id: "n", label: "No", goto: "c"),
                    ],
                ),
            })"#;
        assert_eq!(version_of(FLOW), version_of(reordered));
    }

    #[test]
    fn a_change_a_customer_could_see_changes_the_version() {
        assert_ne!(
            version_of(FLOW),
            version_of(&FLOW.replace("Fixed.", "Fixed!"))
        );
        assert_ne!(
            version_of(FLOW),
            version_of(&FLOW.replace(r#"label: "No""#, r#"label: "Nope""#))
        );
    }
}
