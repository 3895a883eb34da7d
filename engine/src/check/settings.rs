//! A flows directory's settings for the checker, kept in `stepwise.ron` beside the flows
//! so that `stepwise check`, the server and the language server read the same ones.

use std::path::Path;

use ron::extensions::Extensions;
use serde::Deserialize;

use crate::diagnostic::Diagnostic;
use crate::files::SETTINGS_FILE;
use crate::source::Source;
use crate::syntax::{Grammar, diagnose};

/// How many steps (questions, remedies and information steps) a journey that crosses
/// `Link`s may have before `long-journey` warns, unless the settings say otherwise.
pub const JOURNEY_STEPS: usize = 10;

/// What a writer may tune about the checks of one flows directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename = "Settings")]
pub struct Settings {
    /// The most steps a journey across links may have without a `long-journey` warning.
    #[serde(default = "journey_steps")]
    pub journey_steps: usize,
}

fn journey_steps() -> usize {
    JOURNEY_STEPS
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            journey_steps: JOURNEY_STEPS,
        }
    }
}

/// The words of a settings file's diagnostics.
const SETTINGS: Grammar = Grammar {
    noun: "settings",
    shape: "a settings file holds one `Settings(journey_steps: 10)`",
    variant: "setting",
    parentheses: "write the settings in parentheses, e.g. `Settings(journey_steps: 12)`",
    field_hint: |field| match field {
        "journey_steps" => " with a number of steps",
        _ => "",
    },
};

impl Settings {
    /// The settings of the directory `dir`: its `stepwise.ron`, or the defaults when it has
    /// none. A file that cannot be read or parsed is reported, and the defaults apply.
    pub fn of_dir(dir: &Path) -> (Settings, Option<Diagnostic>) {
        let path = dir.join(SETTINGS_FILE);
        if !path.is_file() {
            return (Settings::default(), None);
        }
        match Source::read(&path) {
            Ok(source) => match Settings::parse(&source) {
                Ok(settings) => (settings, None),
                Err(d) => (Settings::default(), Some(*d)),
            },
            Err(d) => (Settings::default(), Some(*d)),
        }
    }

    /// The settings for checking `paths`: those of the first directory named, or else of
    /// the directory of the first file named.
    pub fn for_paths(paths: &[std::path::PathBuf]) -> (Settings, Option<Diagnostic>) {
        let dir = paths.iter().find(|p| p.is_dir()).cloned().or_else(|| {
            paths.first().map(|file| match file.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
                _ => std::path::PathBuf::from("."),
            })
        });
        match dir {
            Some(dir) => Settings::of_dir(&dir),
            None => (Settings::default(), None),
        }
    }

    /// Reads settings from the text of a `stepwise.ron`.
    pub fn parse(source: &Source) -> Result<Settings, Box<Diagnostic>> {
        ron::Options::default()
            .with_default_extension(Extensions::IMPLICIT_SOME)
            .from_str::<Settings>(&source.text)
            .map_err(|e| Box::new(diagnose(source, &e, &SETTINGS)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_their_fields_and_default_the_rest() {
        let read = |text: &str| Settings::parse(&Source::new("flows/stepwise.ron", text));
        assert_eq!(
            read("Settings(journey_steps: 16)").ok(),
            Some(Settings { journey_steps: 16 })
        );
        assert_eq!(read("()").ok(), Some(Settings::default()));
        let wrong = read("Settings(journey_step: 16)").err().map(|d| d.code);
        assert_eq!(wrong, Some(crate::Code::UnknownField));
    }
}
