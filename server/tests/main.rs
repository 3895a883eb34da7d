//! The server's black-box tests as one binary: one link instead of one per file, and every
//! test in one process, run in parallel. Each file beside this one is a module; `support` and
//! `cli` are the helpers they share.

mod cli;
mod support;

mod agent_token;
mod bad_requests;
mod browser;
mod check_cli;
mod diff_cli;
mod durability;
mod flows;
mod graph;
mod hardening;
mod instances;
mod limits;
mod locale;
mod new_cli;
mod openapi;
mod operations;
mod paths_cli;
mod pinning;
mod play_cli;
mod reload;
mod revisions;
mod security_headers;
mod slow_clients;
mod startup;
mod stats;
mod store;
mod store_faults;
mod test_cli;
mod translate_cli;
mod walk_every_flow;
mod watch;
mod web;
mod web_locale;

/// `autotests = false` builds only this file: a test file beside it that is not declared above
/// would silently never run.
#[test]
fn every_test_file_is_a_module_of_this_binary() {
    let main = include_str!("main.rs");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let module = if path.extension().is_some_and(|e| e == "rs") {
            path.file_stem()
        } else if path.join("mod.rs").is_file() {
            path.file_name()
        } else {
            continue;
        };
        let module = module.and_then(|m| m.to_str()).unwrap();
        assert!(
            module == "main" || main.lines().any(|l| l == format!("mod {module};")),
            "{} is not declared in tests/main.rs: add `mod {module};`",
            path.display()
        );
    }
}
