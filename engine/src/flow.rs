//! A checked flow, its content version, and the catalog of flows a walk can move through.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{Node, RawFlow};

/// A hash of a flow's meaning: the same for two files that differ only in whitespace,
/// comments or the order of nodes, different as soon as a customer could see a difference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Version(String);

impl Version {
    /// The version of a flow as written.
    pub fn of(raw: &RawFlow) -> Version {
        // serde_json's default map is sorted, so node order and field order do not count.
        let canonical =
            serde_json::to_vec(&serde_json::to_value(raw).unwrap_or_default()).unwrap_or_default();
        let digest = Sha256::digest(&canonical);
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

/// A flow that passed every check: every target exists, every node is reachable and can
/// reach an outcome. Only [`crate::check`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    raw: RawFlow,
    version: Version,
}

impl Flow {
    /// Wraps a flow the checker has accepted.
    pub(crate) fn accepted(raw: RawFlow) -> Flow {
        let version = Version::of(&raw);
        Flow { raw, version }
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

    /// The current flow with this id.
    pub fn get(&self, id: &str) -> Option<&Arc<Flow>> {
        self.flows.get(id)
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
        let flow = self.flows.get(id)?;
        match version {
            Some(v) if v != flow.version() => None,
            _ => Some(Arc::clone(flow)),
        }
    }
}
