//! The end-to-end and snapshot tests as one binary: one link instead of one per file, and
//! every test in one process, run in parallel. Each file beside this one is a module.

mod diagnostics;
mod file_errors;
mod graph;
mod layers;
mod paths;

/// Cargo.toml builds only this file: a test file beside it that is not declared above would
/// silently never run.
#[test]
fn every_test_file_is_a_module_of_this_binary() {
    let main = include_str!("main.rs");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(dir).unwrap() {
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
            "{} is not declared in main.rs: add `mod {module};`",
            path.display()
        );
    }
}
