//! The flows the server serves: the current catalog read from the flows directory, and the
//! older versions that pinned sessions still need, rebuilt from the sources in the store.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use stepwise_engine::source::Source;
use stepwise_engine::{
    Catalog, CheckReport, Flow, FlowSource, Version, WalkError, check_paths, check_sources,
};

use crate::error::AppError;
use crate::search::Index;
use crate::store::{ArchivedFlow, Store};

/// Current flows, their sources, a search index, and the old versions loaded so far.
pub struct Library {
    dir: PathBuf,
    catalog: Catalog,
    /// The current source of each flow in the catalog, by flow id.
    sources: BTreeMap<String, Source>,
    index: Index,
    archived: RwLock<HashMap<(String, Version), Arc<Flow>>>,
}

impl Library {
    /// Checks every flow in `dir`. The good flows are served; the report says what was wrong
    /// with the others (a broken file never takes the good ones down).
    pub fn load(dir: &Path) -> (Library, CheckReport) {
        let report = check_paths(&[dir.to_owned()]);
        // Keep the text of each flow that passed, to record it in the store. A file may change
        // between the check and this read; checking the texts read keeps only those that
        // still have the version the catalog serves.
        let read: Vec<Source> = report
            .catalog
            .iter()
            .filter_map(|f| Source::read(&dir.join(format!("{}.ron", f.id()))).ok())
            .collect();
        let reread = check_sources(read.clone());
        let sources = read
            .into_iter()
            .filter_map(|source| {
                let id = source.path.file_stem()?.to_str()?.to_owned();
                let now = report.catalog.get(&id)?;
                let then = reread.catalog.get(&id)?;
                (now.version() == then.version()).then_some((id, source))
            })
            .collect();
        let library = Library {
            dir: dir.to_owned(),
            index: Index::new(report.catalog.iter().map(|f| f.as_ref())),
            catalog: report.catalog.clone(),
            sources,
            archived: RwLock::default(),
        };
        (library, report)
    }

    /// The current flows.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The search index over the current flows.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// The source of every current flow, for the store to keep.
    pub fn archive(&self) -> Vec<ArchivedFlow> {
        self.catalog
            .iter()
            .filter_map(|flow| {
                let source = self.sources.get(flow.id())?;
                Some(ArchivedFlow {
                    id: flow.id().to_owned(),
                    version: flow.version().to_string(),
                    source: source.text.to_string(),
                })
            })
            .collect()
    }

    /// Makes sure every flow version in `versions` can be served, loading old ones from the
    /// store. Walks call [`FlowSource::flow`], which cannot wait for the store, so a handler
    /// calls this first.
    pub async fn prepare(
        &self,
        store: &dyn Store,
        versions: &BTreeMap<String, Version>,
    ) -> Result<(), AppError> {
        for (id, version) in versions {
            if self.flow(id, Some(version)).is_some() {
                continue;
            }
            let unavailable = || {
                AppError::Walk(WalkError::FlowUnavailable {
                    flow: id.clone(),
                    version: version.to_string(),
                })
            };
            let text = store
                .archived_flow(id, version.as_str())
                .await?
                .ok_or_else(unavailable)?;
            let flow = self.rebuild(id, version, text).ok_or_else(unavailable)?;
            if let Ok(mut archived) = self.archived.write() {
                archived.insert((id.clone(), version.clone()), flow);
            }
        }
        Ok(())
    }

    /// Checks an old source of flow `id` among the current sources of the other flows (its
    /// links must resolve), and returns it if it still has the version asked for.
    fn rebuild(&self, id: &str, version: &Version, text: String) -> Option<Arc<Flow>> {
        let path = self.dir.join(format!("{id}.ron"));
        let mut sources: Vec<Source> = self
            .sources
            .iter()
            .filter(|(other, _)| other.as_str() != id)
            .map(|(_, s)| s.clone())
            .collect();
        sources.push(Source::new(path, text));
        let report = check_sources(sources);
        let flow = report.catalog.get(id).filter(|f| f.version() == version);
        if flow.is_none() {
            tracing::warn!(flow = id, %version, diagnostics = ?report.diagnostics,
                "a stored flow version no longer passes the checks");
        }
        flow.cloned()
    }
}

impl FlowSource for Library {
    fn flow(&self, id: &str, version: Option<&Version>) -> Option<Arc<Flow>> {
        let current = self.catalog.get(id);
        match version {
            None => current.cloned(),
            Some(v) if current.is_some_and(|f| f.version() == v) => current.cloned(),
            Some(v) => self
                .archived
                .read()
                .ok()?
                .get(&(id.to_owned(), v.clone()))
                .cloned(),
        }
    }
}
