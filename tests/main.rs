//! The end-to-end and snapshot tests as one binary: one link instead of one per file, and
//! every test in one process, run in parallel. Each file beside this one is a module.

mod diagnostics;
mod escalations;
mod file_errors;
mod graph;
mod layers;
mod layout;
mod paths;
