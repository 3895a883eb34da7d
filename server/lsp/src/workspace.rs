//! A flows directory as the editor sees it: every file in it, with the text of open
//! documents in place of what is saved, checked together as `stepwise check` and
//! `stepwise test` would check them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use stepwise_engine::scenario::{self, Places as ScenarioPlaces, ScenarioFile};
use stepwise_engine::translate::{self, parse::Places as TranslationPlaces};
use stepwise_engine::{
    CheckReport, Code, Diagnostic, Index, MAX_FILE_SIZE, SCENARIO_SUFFIX, Settings, Source,
    check_sources_with, file_name_parts, is_flow_file,
};

use crate::position::Lines;

/// What a file in a flows directory holds, by its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// A flow, `<id>.ron`.
    Flow,
    /// The scenarios of a flow, `<id>.scenarios.ron`.
    Scenarios,
    /// A translation of a flow, `<id>.<locale>.ron`.
    Translation {
        /// The flow it translates.
        flow: String,
        /// Its language.
        locale: String,
    },
}

impl Role {
    /// The role of a file by its name, if it is one a flows directory holds.
    pub fn of(path: &Path) -> Option<Role> {
        let name = path.file_name()?.to_str()?;
        if name.ends_with(SCENARIO_SUFFIX) {
            return Some(Role::Scenarios);
        }
        if let Some((flow, locale)) = file_name_parts(path) {
            return Some(Role::Translation { flow, locale });
        }
        is_flow_file(path).then_some(Role::Flow)
    }
}

/// The places read out of a file's text, by what it holds.
#[derive(Debug)]
pub enum Places {
    /// A flow's index.
    Flow(Index),
    /// A scenario file's places.
    Scenarios(ScenarioPlaces),
    /// A translation file's places.
    Translation(TranslationPlaces),
    /// Nothing: the file is too large to read.
    None,
}

/// One file of the directory, as checked.
#[derive(Debug)]
pub struct File {
    /// Its text and path.
    pub source: Source,
    /// What it holds.
    pub role: Role,
    /// Its lines, for positions.
    pub lines: Lines,
    /// Where things stand in it.
    pub places: Places,
    /// Whether the text is over the size limit (it is then not checked).
    pub too_large: bool,
}

impl File {
    fn new(source: Source, role: Role) -> File {
        let too_large = source.text.len() as u64 > MAX_FILE_SIZE;
        let places = if too_large {
            Places::None
        } else {
            match role {
                Role::Flow => Places::Flow(Index::of(&source.text)),
                Role::Scenarios => Places::Scenarios(ScenarioPlaces::of(&source.text)),
                Role::Translation { .. } => {
                    Places::Translation(TranslationPlaces::of(&source.text))
                }
            }
        };
        File {
            lines: Lines::new(Arc::clone(&source.text)),
            source,
            role,
            places,
            too_large,
        }
    }

    /// The flow index, for a flow file.
    pub fn index(&self) -> Option<&Index> {
        match &self.places {
            Places::Flow(index) => Some(index),
            _ => None,
        }
    }

    /// The text of the string at `span`, as an id.
    pub fn id_at(&self, span: stepwise_engine::Span) -> Option<String> {
        stepwise_engine::id_at(&self.source.text, span)
    }

    /// The id of the flow this file is, tests or translates (for a flow, its written id,
    /// else its file name).
    pub fn flow_id(&self) -> Option<String> {
        match (&self.role, &self.places) {
            (Role::Flow, Places::Flow(index)) => index
                .id
                .and_then(|span| self.id_at(span))
                .or_else(|| self.source.stem().map(str::to_owned)),
            (Role::Scenarios, Places::Scenarios(places)) => places
                .flow
                .and_then(|span| self.id_at(span))
                .or_else(|| self.stem_before(SCENARIO_SUFFIX)),
            (Role::Translation { flow, .. }, _) => Some(flow.clone()),
            _ => None,
        }
    }

    fn stem_before(&self, suffix: &str) -> Option<String> {
        let name = self.source.path.file_name()?.to_str()?;
        name.strip_suffix(suffix).map(str::to_owned)
    }
}

/// A flows directory, checked.
#[derive(Debug)]
pub struct Directory {
    /// Every file, flows first, each sorted by name.
    pub files: Vec<File>,
    /// The check of its flows.
    pub report: CheckReport,
    /// Every diagnostic, by file.
    pub diagnostics: BTreeMap<PathBuf, Vec<Diagnostic>>,
}

impl Directory {
    /// Reads and checks the directory `path`, with `open` (path → text) in place of what is
    /// on disk.
    pub fn check(path: &Path, open: &HashMap<PathBuf, Arc<str>>) -> Directory {
        let mut found: BTreeMap<PathBuf, Role> = BTreeMap::new();
        let mut problems = Vec::new();
        if let Ok(entries) = std::fs::read_dir(path) {
            for entry in entries.flatten() {
                let file = entry.path();
                if let Some(role) = Role::of(&file)
                    && file.is_file()
                {
                    found.insert(file, role);
                }
            }
        }
        for file in open.keys() {
            if file.parent() == Some(path)
                && let Some(role) = Role::of(file)
            {
                found.insert(file.clone(), role);
            }
        }
        let mut files = Vec::new();
        for (file, role) in found {
            let source = match open.get(&file) {
                Some(text) => Source::new(&file, Arc::clone(text)),
                None => match Source::read(&file) {
                    Ok(source) => source,
                    Err(d) => {
                        problems.push(*d);
                        continue;
                    }
                },
            };
            files.push(File::new(source, role));
        }
        files.sort_by_key(|f| (f.role != Role::Flow, f.source.path.clone()));

        for file in files.iter().filter(|f| f.too_large) {
            problems.push(Diagnostic::new(
                Code::FileTooLarge,
                &Source::new(&file.source.path, ""),
                format!(
                    "`{}` is {} bytes, more than the {MAX_FILE_SIZE} a flow file may hold; it is not checked",
                    file.source.name(),
                    file.source.text.len()
                ),
            ));
        }
        let flows: Vec<Source> = files
            .iter()
            .filter(|f| f.role == Role::Flow && !f.too_large)
            .map(|f| f.source.clone())
            .collect();
        // The directory's settings as saved: `stepwise check` reads the same.
        let (settings, problem) = Settings::of_dir(path);
        problems.extend(problem);
        let mut report = check_sources_with(flows, &settings);
        report.files += files
            .iter()
            .filter(|f| f.role == Role::Flow && f.too_large)
            .count();
        let broken: BTreeSet<String> = report
            .diagnostics
            .iter()
            .chain(&problems)
            .filter(|d| d.is_error())
            .filter_map(|d| d.source.stem().map(str::to_owned))
            .collect();
        let translations: Vec<Source> = files
            .iter()
            .filter(|f| matches!(f.role, Role::Translation { .. }) && !f.too_large)
            .map(|f| f.source.clone())
            .collect();
        let (found_translations, translation_diagnostics) =
            translate::check_sources(&translations, &report.catalog, &broken);
        report.translations = found_translations;
        let mut diagnostics = std::mem::take(&mut report.diagnostics);
        diagnostics.extend(problems);
        diagnostics.extend(translation_diagnostics);
        for file in files
            .iter()
            .filter(|f| f.role == Role::Scenarios && !f.too_large)
        {
            diagnostics.extend(scenario_diagnostics(&file.source, &report, &broken));
        }
        let mut by_file: BTreeMap<PathBuf, Vec<Diagnostic>> = BTreeMap::new();
        for diagnostic in diagnostics {
            by_file
                .entry(diagnostic.path().to_owned())
                .or_default()
                .push(diagnostic);
        }
        for list in by_file.values_mut() {
            list.sort_by_key(Diagnostic::offset);
        }
        Directory {
            files,
            report,
            diagnostics: by_file,
        }
    }

    /// The file at `path`.
    pub fn file(&self, path: &Path) -> Option<&File> {
        self.files.iter().find(|f| f.source.path == path)
    }

    /// The flow files.
    pub fn flows(&self) -> impl Iterator<Item = &File> {
        self.files.iter().filter(|f| f.role == Role::Flow)
    }

    /// The flow file of the flow `id`.
    pub fn flow(&self, id: &str) -> Option<&File> {
        self.flows()
            .find(|f| f.flow_id().as_deref() == Some(id))
            .or_else(|| self.flows().find(|f| f.source.stem() == Some(id)))
    }
}

/// What running a scenario file finds wrong: it does not parse, or its scenarios fail.
fn scenario_diagnostics(
    source: &Source,
    report: &CheckReport,
    broken: &BTreeSet<String>,
) -> Vec<Diagnostic> {
    let file: ScenarioFile = match scenario::parse(source) {
        Ok(file) => file,
        Err(d) => return vec![*d],
    };
    // A flow with errors is reported in its own file; its scenarios wait for it.
    if broken.contains(&file.flow) {
        return Vec::new();
    }
    match scenario::run(&file, report) {
        Ok(runs) => runs.into_iter().filter_map(|run| run.failure).collect(),
        Err(d) => vec![*d],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directorys_settings_apply_as_they_do_for_stepwise_check() {
        // The case's `stepwise.ron` accepts 4 steps; its login journey has 6.
        let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/broken/long-journey");
        let dir = Directory::check(&case, &HashMap::new());
        let codes: Vec<Code> = dir.diagnostics.values().flatten().map(|d| d.code).collect();
        assert_eq!(codes, [Code::LongJourney]);
        assert!(
            dir.files.iter().all(|f| f.source.name() != "stepwise.ron"),
            "the settings file is not a flow"
        );
    }
}
