//! The rules a flow must pass before anyone walks it, and the report of one check run.
//!
//! Checking never stops at the first broken file: every file is read, every flow that
//! parses gets every rule, and cross-flow rules use whatever parsed. Only flows without
//! errors (and without links to flows with errors) reach the [`Catalog`].
//!
//! - `parse`: RON → [`RawFlow`], ron's errors as diagnostics;
//! - `rules`: one flow on its own (start, answers, summary, file name);
//! - `ids`: how a flow's ids are written (invisible characters, mixed alphabets);
//! - `text`: what its texts hold (control characters, raw HTML, placeholders);
//! - `graph`: one flow as a graph (targets, reachability, traps, long paths);
//! - `links`: flows together (links, link loops, facts, flows with errors);
//! - `journeys`: journeys that cross links (too long, questions asked again);
//! - `settings`: what a flows directory tunes (`stepwise.ron`).

mod graph;
mod ids;
mod inputs;
mod journeys;
mod links;
mod parse;
mod rules;
mod settings;
mod text;

pub use settings::{JOURNEY_STEPS, Settings};

use std::cell::OnceCell;
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::files::{file_name_parts, is_flow_file};
use crate::flow::{Catalog, Flow};
use crate::ids::nfc;
use crate::model::RawFlow;
use crate::source::Source;
use crate::source::index::{Index, NodeSpans};
use crate::translate::{self, Translations};

/// A question, remedy or info step: what a customer reads and acts on.
/// Paths with more of these than this from start to outcome get a `long-path` warning.
pub const LONG_PATH_STEPS: usize = 12;

/// Everything one check run found: the flows that passed, and every diagnostic.
#[derive(Debug, Default)]
pub struct CheckReport {
    /// The flows with no errors, ready to walk.
    pub catalog: Catalog,
    /// Every error and warning, ordered by file then position.
    pub diagnostics: Vec<Diagnostic>,
    /// How many flow files were checked (readable or not).
    pub files: usize,
    /// The translations of the flows that passed (see [`crate::translate`]).
    pub translations: Translations,
}

impl CheckReport {
    /// How many diagnostics are errors.
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    /// How many diagnostics are warnings.
    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }

    /// The closing line, e.g. `checked 15 flows: 0 errors, 2 warnings`.
    pub fn summary(&self) -> String {
        format!(
            "checked {}: {}, {}",
            plural(self.files, "flow"),
            plural(self.errors(), "error"),
            plural(self.warnings(), "warning")
        )
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Checks flow files and directories of them (a directory's `*.ron` files, sorted,
/// without `*.scenarios.ron`), and the translations beside them (`<flow>.<locale>.ron`),
/// with the settings of their directory (see [`Settings::for_paths`]).
///
/// A file named on its own is checked in the context of its directory, as it is served:
/// its links reach the flows beside it and facts they set count. Only the named files and
/// directories are reported (and counted).
pub fn check_paths(paths: &[PathBuf]) -> CheckReport {
    check_paths_with(paths, None)
}

/// Checks as [`check_paths`] does, with `settings` in place of the directory's when given.
pub fn check_paths_with(paths: &[PathBuf], settings: Option<Settings>) -> CheckReport {
    let mut problems = Vec::new();
    let settings = match settings {
        Some(settings) => settings,
        None => {
            let (settings, problem) = Settings::for_paths(paths);
            problems.extend(problem);
            settings
        }
    };
    // `stepwise check flows flows/a.ron` names a.ron twice; check it once.
    let mut named = Vec::new();
    let mut seen = HashSet::new();
    for path in paths {
        let found = if path.is_dir() {
            match flow_files(path) {
                Ok(found) => found,
                Err(d) => {
                    problems.push(*d);
                    continue;
                }
            }
        } else if file_name_parts(path).is_some() {
            // A translation named alone is checked against its flow, which is checked too.
            let (flow, _) = file_name_parts(path).unwrap_or_default();
            let flow_file = path.with_file_name(format!("{flow}.ron"));
            if flow_file.is_file() {
                vec![flow_file]
            } else {
                Vec::new()
            }
        } else {
            vec![path.clone()]
        };
        for file in found {
            if seen.insert(same_file(&file)) {
                named.push(file);
            }
        }
    }
    let context = context_of(paths, &mut seen);
    let files = named.len();
    let mut sources = Vec::new();
    // Files that could not be read: a link to one is to a flow with errors, not unknown.
    let mut unread = HashSet::new();
    let mut context_sources = HashSet::new();
    for (file, reported) in named
        .iter()
        .map(|f| (f, true))
        .chain(context.iter().map(|f| (f, false)))
    {
        if !reported {
            context_sources.insert(file.clone());
        }
        match Source::read(file) {
            Ok(source) => sources.push(source),
            Err(d) => {
                if let Some(stem) = d.source.stem() {
                    unread.insert(nfc(stem).into_owned());
                }
                if reported {
                    problems.push(*d);
                }
            }
        }
    }
    let mut report = check(sources, unread.clone(), &settings);
    report.files = files;
    report.diagnostics.extend(problems);
    // Translations of flows with errors wait for their flow to be fixed.
    let mut broken: BTreeSet<String> = unread.into_iter().collect();
    broken.extend(
        report
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .filter_map(|d| d.source.stem().map(|stem| nfc(stem).into_owned())),
    );
    report
        .diagnostics
        .retain(|d| !context_sources.contains(d.path()));
    let mut with_translations: Vec<PathBuf> = paths.to_vec();
    for path in paths {
        if path.is_file() && is_flow_file(path) {
            with_translations.extend(translation_files_of(path));
        }
    }
    let (translations, found) =
        translate::check_paths(&with_translations, &report.catalog, &broken);
    report.translations = translations;
    report.diagnostics.extend(found);
    sort(&mut report.diagnostics);
    report
}

/// The flow files beside the files named on their own, which are not named themselves.
fn context_of(paths: &[PathBuf], seen: &mut HashSet<PathBuf>) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for path in paths {
        if path.is_file() {
            let dir = match path.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
                _ => PathBuf::from("."),
            };
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
    }
    let mut context = Vec::new();
    for dir in dirs {
        // A directory that cannot be listed gives no context; the named file is still read.
        for file in flow_files(&dir).unwrap_or_default() {
            if seen.insert(same_file(&file)) {
                context.push(file);
            }
        }
    }
    context
}

/// A file's path as compared to tell whether two names are one file.
fn same_file(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_owned())
}

/// The translation files beside a flow file.
fn translation_files_of(flow_file: &Path) -> Vec<PathBuf> {
    let Some(stem) = flow_file.file_stem().and_then(|s| s.to_str()) else {
        return Vec::new();
    };
    let dir = match flow_file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| flow_file.with_file_name(e.file_name()))
        .filter(|p| file_name_parts(p).is_some_and(|(flow, _)| flow == stem))
        .collect()
}

/// The flow files in a directory, sorted.
fn flow_files(dir: &Path) -> Result<Vec<PathBuf>, Box<Diagnostic>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Box::new(Diagnostic::new(
            Code::Unreadable,
            &Source::new(dir, ""),
            format!("cannot read the directory `{}`: {e}", dir.display()),
        ))
    })?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        // Scenario files and translations live beside the flows they are about.
        .filter(|p| is_flow_file(p))
        .collect();
    files.sort();
    Ok(files)
}

/// A flow that parsed, with its source and (when a diagnostic needs one) its index.
pub(crate) struct Parsed {
    pub source: Source,
    pub raw: RawFlow,
    index: OnceCell<Index>,
}

impl Parsed {
    /// Where things stand in the text; read only when a diagnostic needs a place.
    pub fn index(&self) -> &Index {
        self.index.get_or_init(|| Index::of(&self.source.text))
    }

    /// Where the node with this id stands in the text.
    pub fn spans(&self, id: &str) -> Option<&NodeSpans> {
        self.index().node_at(self.raw.nodes.get_index_of(id), id)
    }

    /// A diagnostic about this flow.
    pub fn diagnostic(&self, code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, &self.source, message)
    }
}

/// Checks flows already in memory (no size limit applies), with the default settings.
pub fn check_sources(sources: Vec<Source>) -> CheckReport {
    check_sources_with(sources, &Settings::default())
}

/// Checks flows already in memory with the settings of their directory.
pub fn check_sources_with(sources: Vec<Source>, settings: &Settings) -> CheckReport {
    check(sources, HashSet::new(), settings)
}

/// Checks one version of a flow on its own, away from its directory (`stepwise diff`
/// compares a file from git history with the one being edited): its own rules and its
/// graph, but not its links to other flows, facts that linking flows set, or its file name.
///
/// Returns the flow if it has no errors, and every diagnostic either way.
pub fn check_alone(source: &Source) -> (Option<Flow>, Vec<Diagnostic>) {
    let raw = match parse::parse(source) {
        Ok(raw) => raw,
        Err(found) => return (None, found),
    };
    let flow = Parsed {
        source: source.clone(),
        raw,
        index: OnceCell::new(),
    };
    let mut found = Vec::new();
    rules::check(&flow, &mut found);
    graph::check(&flow, &mut found);
    // A version out of git lives in a temporary file whose name is not the flow's id.
    found.retain(|d| d.code != Code::IdMismatch);
    sort(&mut found);
    let accepted = (!found.iter().any(Diagnostic::is_error)).then(|| Flow::accepted(flow.raw));
    (accepted, found)
}

/// Checks `sources`; `unparsed` names flows whose files could not even be read.
fn check(sources: Vec<Source>, mut unparsed: HashSet<String>, settings: &Settings) -> CheckReport {
    let files = sources.len();
    let mut diagnostics = Vec::new();
    let mut flows = Vec::new();
    // Files that did not parse: their names still tell a link where it meant to go.
    for source in sources {
        match parse::parse(&source) {
            Ok(raw) => flows.push(Parsed {
                source,
                raw,
                index: OnceCell::new(),
            }),
            Err(found) => {
                if let Some(stem) = source.stem() {
                    unparsed.insert(nfc(stem).into_owned());
                }
                diagnostics.extend(found);
            }
        }
    }

    // Per-flow diagnostics, kept apart so the cross-flow rules know which flows failed.
    let mut per_flow: Vec<Vec<Diagnostic>> = Vec::with_capacity(flows.len());
    let mut shapes = Vec::with_capacity(flows.len());
    for flow in &flows {
        let mut found = Vec::new();
        rules::check(flow, &mut found);
        shapes.push(graph::check(flow, &mut found));
        per_flow.push(found);
    }
    links::check(&flows, &shapes, &unparsed, &mut per_flow);
    journeys::check(&flows, settings, &mut per_flow);

    let mut accepted = Vec::new();
    for (flow, found) in flows.into_iter().zip(per_flow) {
        if !found.iter().any(Diagnostic::is_error) {
            accepted.push(Flow::accepted(flow.raw));
        }
        diagnostics.extend(found);
    }
    sort(&mut diagnostics);
    CheckReport {
        catalog: Catalog::new(accepted),
        diagnostics,
        files,
        translations: Translations::default(),
    }
}

/// Orders diagnostics by file, then by position in it (stable otherwise).
fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| a.path().cmp(b.path()).then(a.offset().cmp(&b.offset())));
}

/// A loop of names as `a -> b -> a`, shortened when very long.
pub(crate) fn cycle_text<'n>(cycle: impl IntoIterator<Item = &'n str>) -> String {
    const SHOWN: usize = 8;
    let cycle: Vec<&str> = cycle.into_iter().collect();
    let Some(first) = cycle.first() else {
        return String::new();
    };
    let mut parts: Vec<&str> = cycle.iter().take(SHOWN).copied().collect();
    if cycle.len() > SHOWN {
        parts.push("…");
    }
    parts.push(first);
    parts.join(" -> ")
}

#[cfg(test)]
mod tests;
