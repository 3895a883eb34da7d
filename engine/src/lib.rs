//! The stepwise engine: troubleshooting flows read from RON, checked like code, and walked
//! one step at a time.
//!
//! The engine does no I/O beyond reading flow files and has no async: the server and the
//! command line call into it.
//!
//! Everything an embedder needs is here at the root: [`check_paths`] reads and checks a
//! directory of flows into a [`CheckReport`], whose [`Catalog`] holds the [`Flow`]s that
//! passed and whose [`Diagnostic`]s say what did not; a [`Walk`] takes a customer through a
//! flow [`Step`] by step to an [`Outcome`] and writes a [`Transcript`]; [`InLocale`] shows
//! the flows in another language; [`Node::exits`] lists where each node leads and
//! [`paths()`] every way through a flow. The tools built on these keep a module each:
//! [`diagram`], [`diff`], [`scenario`], [`translate`], [`phrases`], the engine's own
//! words in each language it speaks, and [`placeholder`], the texts a new flow starts with.
//!
//! ```
//! use std::collections::BTreeMap;
//! use std::path::PathBuf;
//!
//! use stepwise_engine::{InLocale, Status, Walk, check_paths};
//!
//! let flows = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../flows"));
//! let report = check_paths(&[flows]);
//! assert_eq!(report.errors(), 0, "{}", report.summary());
//!
//! let catalog = &report.catalog;
//! let (mut walk, mut step) = Walk::start(catalog, "p2p-released-not-paid", BTreeMap::new())?;
//! while step.outcome.is_none() {
//!     // A client shows `step.text` and offers `step.answers`; this one takes the first.
//!     step = walk.answer(catalog, &step.answers[0].id)?;
//! }
//! assert_eq!(walk.status(), Status::Resolved);
//! println!("{}", walk.transcript(catalog)?);
//!
//! // The same walk as a customer reading German sees it.
//! let german = InLocale::new(catalog, &report.translations, "de");
//! println!("{}", walk.transcript(&german)?);
//! # Ok::<(), stepwise_engine::WalkError>(())
//! ```

// The core, re-exported below: embedders name its types from the root.
mod check;
mod details;
mod diagnostic;
mod exit;
mod files;
mod flow;
mod ids;
mod locale;
mod model;
mod paths;
mod source;
mod suggest;
mod syntax;
mod walk;

pub mod diagram;
pub mod diff;
pub mod literal;
pub mod phrases;
pub mod placeholder;
pub mod scenario;
pub mod translate;

pub use check::{
    CheckReport, JOURNEY_STEPS, LONG_PATH_STEPS, Settings, check_alone, check_paths,
    check_paths_with, check_sources, check_sources_with,
};
pub use diagnostic::{
    Code, Diagnostic, JsonDiagnostic, JsonLabel, Label, RENDER_WIDTH, Severity, Style, render_all,
};
pub use exit::{CONTINUE, DEFAULT_CASE, Exit, ExitKind, Exits, NOT_SOLVED, SOLVED};
pub use files::{
    BACKUP_SUFFIXES, MAX_FILE_SIZE, SCENARIO_SUFFIX, SETTINGS_FILE, file_name_parts, is_backup,
    is_flow_file, translation_path,
};
pub use flow::{Catalog, Flow, FlowSource, Version};
pub use ids::nfc;
pub use locale::{DEFAULT_LOCALE, normalize_locale};
pub use model::{Answer, Detail, DetailKind, Input, Node, PRIORITIES, RawFlow, Route};
pub use paths::{CustomerPath, PathEnd, PathStep, Paths, paths};
pub use phrases::Phrases;
pub use source::index::{AnswerSpans, Index, NodeSpans};
pub use source::{LineCol, Source, Span, id_at, string_at};
pub use translate::{InLocale, Translations};
pub use walk::{
    Choice, DetailProblem, HistoryEntry, JUMPED, Outcome, Status, Step, StepKind, Transcript, Walk,
    WalkError, inputs_of,
};
