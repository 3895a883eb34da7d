//! The flows the server serves: the current catalog read from the flows directory (and read
//! again on each reload, keeping a broken flow on its last good version), and the older
//! versions that pinned sessions still need, rebuilt from the sources in the store.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use stepwise_engine::Source;
use stepwise_engine::translate::apply::localize;
use stepwise_engine::{
    Catalog, CheckReport, Code, DEFAULT_LOCALE, Diagnostic, Flow, FlowSource, InLocale, Style,
    Translations, Version, WalkError, check_paths, check_sources,
};

use crate::error::Error;
use crate::search::Index;
use stepwise_store::{ArchivedFlow, Store};

/// Flows by id and version.
type Versions = HashMap<(String, Version), Arc<Flow>>;

/// Current flows, their sources, a search index, and the old versions loaded so far.
pub struct Library {
    dir: PathBuf,
    catalog: Catalog,
    /// The current source of each flow in the catalog, by flow id.
    sources: BTreeMap<String, Source>,
    index: Index,
    /// Old versions loaded so far, shared with the libraries that reloads make from this one.
    archived: Arc<RwLock<Versions>>,
    /// What the check that made this library found wrong with the files.
    diagnostics: Vec<Diagnostic>,
    /// The translations of the current flows.
    translations: Translations,
    /// A search index per language flows are translated into.
    indexes: BTreeMap<String, Index>,
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
            index: Index::new(report.catalog.iter().map(|f| f.as_ref()), DEFAULT_LOCALE),
            indexes: indexes(&report.catalog, &report.translations),
            catalog: report.catalog.clone(),
            sources,
            archived: Arc::default(),
            diagnostics: report.diagnostics.clone(),
            translations: report.translations.clone(),
        };
        (library, report)
    }

    /// The current flows.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// What the last check of the flow files found: errors (each keeping a flow out, or on
    /// its last good version) and warnings.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// How many files the last check found errors in.
    pub fn files_with_errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == stepwise_engine::Severity::Error)
            .map(|d| d.source.path.as_path())
            .collect::<std::collections::HashSet<_>>()
            .len()
    }

    /// The search index over the current flows.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// The search index over the current flows in a language (the source language's if
    /// no flow is translated into it).
    pub fn index_in(&self, locale: &str) -> &Index {
        self.indexes.get(locale).unwrap_or(&self.index)
    }

    /// The translations of the current flows.
    pub fn translations(&self) -> &Translations {
        &self.translations
    }

    /// Every flow, pinned or current, in a language: translated texts where they are current,
    /// the source text (marked) elsewhere.
    pub fn in_locale<'a>(&'a self, locale: &'a str) -> InLocale<'a, Library> {
        InLocale::new(self, &self.translations, locale)
    }

    /// The current flows in a language, ordered by id.
    pub fn flows_in(&self, locale: &str) -> Vec<Arc<Flow>> {
        let flows = self.in_locale(locale);
        self.catalog
            .iter()
            .filter_map(|f| flows.flow(f.id(), None))
            .collect()
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

    /// Checks the flows directory again, for a library to serve next. A flow whose file passes
    /// is served as it is now; one whose file has errors keeps the version this library
    /// serves, if any; one whose file is gone is no longer offered. Versions this library
    /// serves and the next does not stay at hand for the sessions pinned to them. The report
    /// says what is wrong with the files as they are.
    pub fn reload(&self) -> (Library, CheckReport) {
        let report = check_paths(std::slice::from_ref(&self.dir));
        // The files as read now, by flow id (a flow passes only in a file named after it).
        let mut chosen = BTreeMap::new();
        let mut on_disk = BTreeMap::new();
        // The flows put back to their last good source.
        let mut held = BTreeSet::new();
        for path in flow_files(&self.dir) {
            let Some(id) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            if let Ok(source) = Source::read(&path) {
                on_disk.insert(id.to_owned(), Arc::clone(&source.text));
                chosen.insert(id.to_owned(), source);
            } else if let Some(old) = self.sources.get(id) {
                chosen.insert(id.to_owned(), old.clone());
                held.insert(id.to_owned());
            }
        }
        // Put back the last good source of each flow that fails, and leave out those that
        // have none, until every flow left passes. Flows that fail only by linking to a
        // failing flow wait a round: they may pass once that flow is back on its good
        // version. Each round changes at least one flow, and a flow at most twice (new to
        // old, old to gone), so this ends.
        let catalog = loop {
            let check = check_sources(chosen.values().cloned().collect());
            let failed: BTreeSet<String> = chosen
                .keys()
                .filter(|id| check.catalog.get(id).is_none())
                .cloned()
                .collect();
            if failed.is_empty() {
                break check.catalog;
            }
            let broken_themselves: BTreeSet<String> = check
                .diagnostics
                .iter()
                .filter(|d| d.is_error() && d.code != Code::BrokenLink)
                .filter_map(|d| d.source.stem())
                .filter(|id| failed.contains(*id))
                .map(str::to_owned)
                .collect();
            let now = match broken_themselves.is_empty() {
                true => failed,
                false => broken_themselves,
            };
            for id in now {
                chosen.remove(&id);
                match self.sources.get(&id) {
                    Some(old) if held.insert(id.clone()) => {
                        chosen.insert(id, old.clone());
                    }
                    _ => {
                        held.remove(&id);
                    }
                }
            }
        };
        for (id, source) in &chosen {
            if on_disk.get(id) != Some(&source.text)
                && let Some(flow) = catalog.get(id)
            {
                tracing::warn!(flow = %id, version = %flow.version(),
                    "serving the last good version of this flow until its file passes the checks");
            }
        }
        if let Ok(mut archived) = self.archived.write() {
            for flow in self.catalog.iter() {
                let still = catalog
                    .get(flow.id())
                    .is_some_and(|f| f.version() == flow.version());
                if !still {
                    archived.insert(
                        (flow.id().to_owned(), flow.version().clone()),
                        Arc::clone(flow),
                    );
                }
            }
        }
        let library = Library {
            dir: self.dir.clone(),
            index: Index::new(catalog.iter().map(|f| f.as_ref()), DEFAULT_LOCALE),
            indexes: indexes(&catalog, &report.translations),
            catalog,
            sources: chosen,
            archived: Arc::clone(&self.archived),
            diagnostics: report.diagnostics.clone(),
            translations: report.translations.clone(),
        };
        (library, report)
    }

    /// Makes sure every flow version in `versions` can be served, loading old ones from the
    /// store. Walks call [`FlowSource::flow`], which cannot wait for the store, so a handler
    /// calls this first.
    pub async fn prepare(
        &self,
        store: &dyn Store,
        versions: &BTreeMap<String, Version>,
    ) -> Result<(), Error> {
        for (id, version) in versions {
            if self.flow(id, Some(version)).is_some() {
                continue;
            }
            let unavailable = || {
                Error::Walk(WalkError::FlowUnavailable {
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

/// A search index for each language some flow is translated into.
fn indexes(catalog: &Catalog, translations: &Translations) -> BTreeMap<String, Index> {
    translations
        .locales()
        .into_iter()
        .filter(|locale| locale != DEFAULT_LOCALE)
        .map(|locale| {
            let flows: Vec<Flow> = catalog
                .iter()
                .map(|f| localize(f, &locale, translations.get(f.id(), &locale)))
                .collect();
            let index = Index::new(flows.iter(), &locale);
            (locale, index)
        })
        .collect()
}

/// The flow files of a directory, as the checker finds them: `*.ron` but neither scenarios
/// nor translations.
fn flow_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| stepwise_engine::is_flow_file(p))
        .collect()
}

/// Logs each diagnostic with its place and the rendered snippet: an error leaves its flow out
/// (or on its last good version), a warning does not.
pub fn log_diagnostics(diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        let place = d.to_json();
        let rendered = d.render(Style::Plain);
        if d.is_error() {
            tracing::error!(file = %place.file, line = place.line, column = place.column,
                code = %d.code, "flow not served as written: {}\n{rendered}", d.message);
        } else {
            tracing::warn!(file = %place.file, line = place.line, column = place.column,
                code = %d.code, "flow warning: {}\n{rendered}", d.message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        // The server's test fixtures, shared rather than copied.
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/flows");
        for name in ["sign-in.ron", "second-factor.ron"] {
            std::fs::copy(from.join(name), dir.path().join(name)).unwrap();
        }
        dir
    }

    fn edit(file: &Path, from: &str, to: &str) {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(text.contains(from));
        std::fs::write(file, text.replace(from, to)).unwrap();
    }

    fn version(library: &Library, id: &str) -> Option<Version> {
        library.catalog().get(id).map(|f| f.version().clone())
    }

    #[test]
    fn a_good_edit_is_served_while_the_flow_it_links_to_is_broken() {
        let dir = fixtures();
        let (first, report) = Library::load(dir.path());
        assert_eq!(report.errors(), 0);
        edit(
            &dir.path().join("sign-in.ron"),
            "What happens when you sign in?",
            "What goes wrong?",
        );
        edit(
            &dir.path().join("second-factor.ron"),
            "start: \"clock\",",
            "start: \"clock\"",
        );

        let (next, report) = first.reload();
        let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["syntax", "broken-link"]);
        assert_eq!(next.diagnostics().len(), 2);
        // The linked flow stays on its good version; the edit that links to it is served.
        assert_eq!(
            version(&next, "second-factor"),
            version(&first, "second-factor")
        );
        let edited = version(&next, "sign-in").unwrap();
        assert_ne!(Some(&edited), version(&first, "sign-in").as_ref());
        let archive = next.archive();
        assert!(archive.iter().any(|a| a.id == "sign-in"
            && a.version == edited.to_string()
            && a.source.contains("What goes wrong?")));
        // The version no longer current is still at hand for the sessions pinned to it.
        let old = version(&first, "sign-in").unwrap();
        assert!(next.flow("sign-in", Some(&old)).is_some());
    }

    #[test]
    fn a_new_broken_flow_is_left_out_and_a_deleted_one_is_gone() {
        let dir = fixtures();
        let (first, _) = Library::load(dir.path());
        assert!(!first.index().search("sign").is_empty());
        std::fs::write(dir.path().join("fresh.ron"), "Flow(").unwrap();
        std::fs::remove_file(dir.path().join("sign-in.ron")).unwrap();

        let (next, report) = first.reload();
        assert_eq!(report.errors(), 1);
        assert!(next.catalog().get("fresh").is_none());
        assert!(next.catalog().get("sign-in").is_none());
        assert!(next.catalog().get("second-factor").is_some());
        assert!(next.index().search("sign").is_empty());
    }
}
