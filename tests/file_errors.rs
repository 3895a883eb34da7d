//! Files that cannot be read as flows (missing, not UTF-8, too large) are reported by
//! name, and the rest of a run goes on. The files are made here, not kept in the
//! repository.

use std::path::{Path, PathBuf};

use stepwise_engine::{Code, MAX_FILE_SIZE, check_paths};
use stepwise_tests::{in_a_process_of_its_own, render};

const FLOW: &str = r#"Flow(
    id: "ID",
    title: "A flow",
    summary: "Fine.",
    start: "done",
    nodes: {
        "done": Done(text: "Nothing to fix."),
    },
)
"#;

fn flow(id: &str) -> String {
    FLOW.replace("ID", id)
}

/// It changes the working directory so that the reported paths, and so the snapshots, are
/// the same on every machine: in a process of its own, so that the other tests keep theirs.
#[test]
fn unreadable_files_are_reported_by_name_and_the_rest_is_checked() {
    if !in_a_process_of_its_own(
        module_path!(),
        "unreadable_files_are_reported_by_name_and_the_rest_is_checked",
    ) {
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("stepwise-file-errors");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::env::set_current_dir(&dir).expect("cd to temp dir");

    let mut not_utf8 = flow("not-utf8").into_bytes();
    let at = flow("not-utf8").find("A flow").expect("title") + 2;
    not_utf8[at] = 0xE9; // Latin-1 `é`
    std::fs::write("not-utf8.ron", not_utf8).expect("write");

    // Exactly at the limit is fine; one byte over is refused unread.
    let mut at_limit = flow("at-limit");
    at_limit.push_str("//");
    at_limit.push_str(&"x".repeat(MAX_FILE_SIZE as usize - at_limit.len()));
    std::fs::write("at-limit.ron", &at_limit).expect("write");
    std::fs::write("file-too-large.ron", at_limit + "x").expect("write");

    std::fs::write("fine.ron", flow("fine")).expect("write");

    for (name, code) in [
        ("not-utf8.ron", Code::NotUtf8),
        ("file-too-large.ron", Code::FileTooLarge),
        ("unreadable.ron", Code::Unreadable),
    ] {
        let report = check_paths(&[PathBuf::from(name), PathBuf::from("fine.ron")]);
        let codes: Vec<Code> = report.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, [code], "{name}");
        assert!(
            report.catalog.get("fine").is_some(),
            "{name} stopped the others"
        );
        insta::assert_snapshot!(name.trim_end_matches(".ron"), render(&report));
    }

    let report = check_paths(&[PathBuf::from("at-limit.ron")]);
    assert!(report.diagnostics.is_empty(), "{}", render(&report));

    let report = check_paths(&[Path::new(".").to_owned()]);
    assert_eq!(report.files, 4);
    assert_eq!(report.errors(), 2);
    assert_eq!(report.catalog.len(), 2);
}
