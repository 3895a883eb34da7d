//! Every case in `broken/` renders the diagnostics a writer should read: one reviewed
//! snapshot per case. A case is a file, or a folder of files checked together (and its
//! subfolders), named after the code it must raise.

use std::path::{Path, PathBuf};

use stepwise_engine::{Code, check_paths};
use stepwise_tests::render;

/// Made by `file_errors.rs`, not kept as files.
const MADE_AT_TEST_TIME: [Code; 3] = [Code::FileTooLarge, Code::NotUtf8, Code::Unreadable];

/// The case's paths relative to this crate (the tests' working directory), so the
/// snapshots do not depend on where the repository is.
fn case_paths(path: &Path) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = root.canonicalize().unwrap_or_else(|_| root.to_owned());
    let relative = path.strip_prefix(&root).unwrap_or(path).to_owned();
    let mut paths = vec![relative.clone()];
    if path.is_dir() {
        let mut subfolders: Vec<PathBuf> = std::fs::read_dir(path)
            .expect("case folder is readable")
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| relative.join(e.file_name()))
            .collect();
        subfolders.sort();
        paths.extend(subfolders);
    }
    paths
}

/// The code a case is named after: the longest code its name starts with.
fn code_of(name: &str) -> Option<Code> {
    Code::ALL
        .iter()
        .copied()
        .filter(|c| name == c.as_str() || name.starts_with(&format!("{}-", c.as_str())))
        .max_by_key(|c| c.as_str().len())
}

#[test]
fn each_broken_case_renders_its_diagnostics() {
    insta::glob!("broken/*", |path| {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let name = name.strip_suffix(".ron").unwrap_or(name);
        let code = code_of(name).unwrap_or_else(|| panic!("{name} is not named after a code"));
        let report = check_paths(&case_paths(path));
        assert!(
            report.diagnostics.iter().any(|d| d.code == code),
            "{name} does not raise {code}"
        );
        insta::assert_snapshot!(render(&report));
    });
}

#[test]
fn every_code_has_a_broken_case() {
    let broken = Path::new(env!("CARGO_MANIFEST_DIR")).join("broken");
    for code in Code::ALL {
        // Scenario files raise these; the engine's scenario tests and `stepwise test`'s
        // snapshot cover them.
        if MADE_AT_TEST_TIME.contains(code) || code.is_scenario() {
            continue;
        }
        let file = broken.join(format!("{code}.ron"));
        let folder = broken.join(code.as_str());
        assert!(
            file.is_file() || folder.is_dir(),
            "no broken case for {code}: add broken/{code}.ron"
        );
    }
}
