//! The rules a flow must pass before anyone walks it.

use std::path::PathBuf;

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::flow::{Catalog, Flow};
use crate::model::RawFlow;
use crate::source::Source;

/// Everything one check run found: the flows that passed, and every diagnostic.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub catalog: Catalog,
    pub diagnostics: Vec<Diagnostic>,
    pub files: usize,
}

/// Checks flow files and directories of them.
pub fn check_paths(paths: &[PathBuf]) -> CheckReport {
    let mut sources = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(path)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "ron"))
                .collect();
            files.sort();
            sources.extend(files.iter().filter_map(|p| Source::read(p).ok()));
        } else if let Ok(s) = Source::read(path) {
            sources.push(s);
        }
    }
    check_sources(sources)
}

/// Checks flows already in memory.
pub fn check_sources(sources: Vec<Source>) -> CheckReport {
    let files = sources.len();
    let mut flows = Vec::new();
    let mut diagnostics = Vec::new();
    let options =
        ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    for source in sources {
        match options.from_str::<RawFlow>(&source.text) {
            Ok(raw) => flows.push(Flow::accepted(raw)),
            Err(e) => diagnostics.push(Diagnostic {
                code: Code::Syntax,
                severity: Severity::Error,
                path: source.path.clone(),
                message: e.to_string(),
            }),
        }
    }
    CheckReport {
        catalog: Catalog::new(flows),
        diagnostics,
        files,
    }
}
