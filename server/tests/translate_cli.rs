//! `stepwise translate extract`: a new file lists every text to translate; an update keeps
//! what is translated, marks what went stale and leaves out ids the flow no longer has.

use std::path::Path;

use crate::cli;

use cli::{stderr, stdout, stepwise_in as stepwise};

const FLOW: &str = include_str!("../../tests/broken/stale-translation/card.ron");

fn flows_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("flows")).expect("flows dir");
    std::fs::write(dir.path().join("flows/card.ron"), FLOW).expect("flow written");
    dir
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).expect("file readable")
}

#[test]
fn extract_writes_a_skeleton_of_every_text() {
    let dir = flows_dir();
    let output = stepwise(dir.path(), &["translate", "extract", "de", "card"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "wrote flows/card.de.ron: 0 translated, 0 stale, 9 to translate\n"
    );
    insta::assert_snapshot!("extract_new", read(dir.path(), "flows/card.de.ron"));

    // Untranslated texts are missing: warnings, the flow is still served in English.
    let check = stepwise(dir.path(), &["check"]);
    assert!(check.status.success());
    assert!(stdout(&check).ends_with("checked 1 flow: 0 errors, 4 warnings\n"));
}

#[test]
fn extract_again_keeps_what_is_done_and_marks_what_is_stale() {
    let dir = flows_dir();
    let first = stepwise(
        dir.path(),
        &["translate", "extract", "de", "flows/card.ron"],
    );
    assert!(first.status.success(), "{}", stderr(&first));
    // A translator translates two texts, and an entry stays behind for a node since removed.
    let done = read(dir.path(), "flows/card.de.ron")
        .replace(
            "    nodes: {\n",
            "    nodes: {\n        \"retry\": (text: (text: \"Nochmal\", source: \"0000\")),\n",
        )
        .replacen(
            r#"(text: "", "#,
            r#"(text: "Meine Karte wurde abgelehnt", "#,
            1,
        )
        .replace(
            r#"text: (text: "", source: "f8b51316"),"#,
            r#"text: (text: "Prüfen Sie Ihr Tageslimit in der Banking-App.", source: "f8b51316"),"#,
        );
    std::fs::write(dir.path().join("flows/card.de.ron"), done).expect("written");
    // Then the flow changes: the remedy's text is reworded.
    let reworded = FLOW.replace(
        "Check your daily limit in the banking app.",
        "Check your daily and monthly limits in the banking app.",
    );
    std::fs::write(dir.path().join("flows/card.ron"), reworded).expect("written");

    let check = stepwise(dir.path(), &["check"]);
    assert!(
        stdout(&check).contains("stepwise::stale-translation"),
        "{}",
        stdout(&check)
    );

    let again = stepwise(dir.path(), &["translate", "extract", "de", "card"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(
        stdout(&again),
        "updated flows/card.de.ron: 1 translated, 1 stale, 7 to translate; \
         left out 1 entry for ids the flow no longer has\n"
    );
    insta::assert_snapshot!("extract_updated", read(dir.path(), "flows/card.de.ron"));
}

#[test]
fn extract_refuses_the_source_language_and_bad_tags() {
    let dir = flows_dir();
    let en = stepwise(dir.path(), &["translate", "extract", "en", "card"]);
    assert!(!en.status.success());
    assert!(
        stderr(&en).contains("flows are written in `en`"),
        "{}",
        stderr(&en)
    );
    let bad = stepwise(dir.path(), &["translate", "extract", "../x", "card"]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("is not a language tag"),
        "{}",
        stderr(&bad)
    );
    assert!(!dir.path().join("flows/card.en.ron").exists());
}

#[test]
fn extract_leaves_a_file_that_does_not_parse_alone() {
    let dir = flows_dir();
    std::fs::write(dir.path().join("flows/card.de.ron"), "Translation(title: (").expect("written");
    let output = stepwise(dir.path(), &["translate", "extract", "de", "card"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("fix it first"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        read(dir.path(), "flows/card.de.ron"),
        "Translation(title: ("
    );
}
