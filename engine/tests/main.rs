//! The engine's black-box tests as one binary: one link instead of one per file, and every
//! test in one process, run in parallel. Each file beside this one is a module.

mod details;
mod diagram;
mod never_panics;
mod paths;
mod transcript;
mod walk;
