//! The stepwise engine: troubleshooting flows read from RON, checked like code, and walked
//! one step at a time.
//!
//! The engine does no I/O beyond reading flow files and has no async: the server and the
//! command line call into it.
//!
//! - [`model`]: the flow types serde reads ([`RawFlow`]);
//! - [`source`]: reading files and locating ids in their text;
//! - [`diagnostic`]: errors and warnings a writer reads;
//! - [`check`]: the rules a flow must pass, on petgraph; produces [`Flow`]s;
//! - [`flow`]: checked flows, versions, the [`Catalog`];
//! - [`walk`]: a customer's walk through a flow;
//! - [`paths`]: every path a customer can take;
//! - [`diff`]: two versions of a flow compared as customer paths;
//! - [`scenario`]: scenario tests kept beside a flow, and their coverage;
//! - [`diagram`]: pictures of a flow (Mermaid, DOT, SVG);
//! - [`translate`]: a flow's texts in other languages, checked and applied;
//! - [`phrases`]: the engine's own few words, in each language it knows.

pub mod check;
pub mod diagnostic;
pub mod diagram;
pub mod diff;
mod exit;
mod files;
pub mod flow;
mod locale;
pub mod model;
pub mod paths;
pub mod phrases;
pub mod scenario;
pub mod source;
mod suggest;
mod syntax;
pub mod translate;
pub mod walk;

pub use check::{CheckReport, LONG_PATH_STEPS, check_alone, check_paths, check_sources};
pub use diagnostic::{Code, Diagnostic, Severity, Style};
pub use exit::{CONTINUE, DEFAULT_CASE, Exit, ExitKind, Exits, NOT_SOLVED, SOLVED};
pub use files::{MAX_FILE_SIZE, SCENARIO_SUFFIX, file_name_parts, is_flow_file, translation_path};
pub use flow::{Catalog, Flow, FlowSource, Version};
pub use locale::{DEFAULT_LOCALE, normalize_locale};
pub use model::{Node, RawFlow};
pub use source::{Source, Span};
pub use translate::{InLocale, Translations};
pub use walk::{
    Choice, HistoryEntry, Outcome, Status, Step, StepKind, Transcript, Walk, WalkError,
};
