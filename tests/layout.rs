//! The test layout holds: each crate builds its black-box tests as one binary from its
//! `main.rs`, so a test file there that `main.rs` does not declare would silently never run.

use std::path::Path;

/// The folders whose `main.rs` is the one test binary of their crate.
const TEST_ROOTS: [&str; 3] = ["engine/tests", "server/tests", "tests"];

#[test]
fn every_test_file_is_a_module_of_its_crates_one_binary() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace holds this crate");
    for root in TEST_ROOTS {
        let dir = workspace.join(root);
        let main = std::fs::read_to_string(dir.join("main.rs")).expect("a main.rs");
        for entry in std::fs::read_dir(&dir).expect("a test folder").flatten() {
            let path = entry.path();
            let module = if path.extension().is_some_and(|e| e == "rs") {
                path.file_stem()
            } else if path.join("mod.rs").is_file() {
                path.file_name()
            } else {
                continue;
            };
            let Some(module) = module.and_then(|m| m.to_str()) else {
                continue;
            };
            assert!(
                module == "main" || main.lines().any(|l| l == format!("mod {module};")),
                "{} is not declared in {root}/main.rs: add `mod {module};`",
                path.display()
            );
        }
    }
}
