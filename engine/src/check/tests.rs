//! Unit tests of each rule, on small flows written inline.

use super::*;
use crate::diagnostic::Style;

/// A flow file named `<id>.ron` with the given start and nodes.
fn flow(id: &str, start: &str, nodes: &str) -> (String, String) {
    (
        format!("{id}.ron"),
        format!(
            "Flow(id: \"{id}\", title: \"T\", summary: \"S\", start: \"{start}\", nodes: {{\n{nodes}\n}})\n"
        ),
    )
}

fn run(files: &[(String, String)]) -> CheckReport {
    check_sources(
        files
            .iter()
            .map(|(path, text)| Source::new(path.as_str(), text.as_str()))
            .collect(),
    )
}

fn codes(report: &CheckReport) -> Vec<Code> {
    report.diagnostics.iter().map(|d| d.code).collect()
}

/// The one diagnostic with `code`, asserting there is exactly one.
fn only(report: &CheckReport, code: Code) -> &Diagnostic {
    let found: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == code)
        .collect();
    assert_eq!(found.len(), 1, "one {code} in {:?}", codes(report));
    found[0]
}

/// The text a diagnostic's primary label points at.
fn pointed(d: &Diagnostic) -> &str {
    let span = d.primary.as_ref().expect("a primary label").span;
    &d.source.text[span.start..span.end]
}

const DONE: &str = r#""done": Done(text: "ok"),"#;

#[test]
fn a_sound_flow_has_no_diagnostics_and_is_served() {
    let report = run(&[flow(
        "ok",
        "ask",
        r#""ask": Question(text: "?", answers: [
            (id: "a", label: "A", goto: "fix"),
            (id: "b", label: "B", goto: "done"),
        ]),
        "fix": Remedy(text: "try", otherwise: "esc"),
        "esc": Escalate(text: "call", collect: [(id: "txid", label: "TxID")]),
        "done": Done(text: "ok"),"#,
    )]);
    assert_eq!(codes(&report), []);
    assert!(report.catalog.get("ok").is_some());
    assert_eq!(report.summary(), "checked 1 flow: 0 errors, 0 warnings");
}

#[test]
fn unknown_target_points_at_it_and_suggests_the_closest_node() {
    let report = run(&[flow(
        "f",
        "a",
        &format!(r#""a": Info(text: "i", next: "dnoe"), {DONE}"#),
    )]);
    let d = only(&report, Code::UnknownTarget);
    assert_eq!(pointed(d), "\"dnoe\"");
    assert_eq!(d.help.as_deref(), Some("did you mean `done`?"));
    assert!(report.catalog.is_empty());
}

#[test]
fn missing_start_is_an_error() {
    let report = run(&[flow("f", "begin", DONE)]);
    let d = only(&report, Code::MissingStart);
    assert_eq!(pointed(d), "\"begin\"");
    assert_eq!(codes(&report), [Code::MissingStart]);
}

#[test]
fn duplicate_node_points_at_both_keys() {
    let report = run(&[flow("f", "done", &format!("{DONE} {DONE}"))]);
    let d = only(&report, Code::DuplicateNode);
    assert_eq!(pointed(d), "\"done\"");
    let first = d.secondary[0].span;
    assert!(first.start < d.primary.as_ref().map_or(0, |l| l.span.start));
}

#[test]
fn duplicate_answer_id_is_an_error() {
    let report = run(&[flow(
        "f",
        "q",
        &format!(
            r#""q": Question(text: "?", answers: [
                (id: "y", label: "Y", goto: "done"),
                (id: "y", label: "Also", goto: "done"),
            ]), {DONE}"#
        ),
    )]);
    let d = only(&report, Code::DuplicateAnswer);
    assert_eq!(pointed(d), "\"y\"");
    assert_eq!(d.secondary.len(), 1);
}

#[test]
fn duplicate_answers_are_found_in_long_questions_too() {
    let answers: String = (0..20)
        .map(|i| format!(r#"(id: "a{}", label: "L", goto: "done"),"#, i % 19))
        .collect();
    let report = run(&[flow(
        "f",
        "q",
        &format!(r#""q": Question(text: "?", answers: [{answers}]), {DONE}"#),
    )]);
    assert_eq!(pointed(only(&report, Code::DuplicateAnswer)), "\"a0\"");
}

#[test]
fn question_without_answers_is_an_error() {
    let report = run(&[flow("f", "q", r#""q": Question(text: "?", answers: []),"#)]);
    assert_eq!(pointed(only(&report, Code::NoAnswers)), "\"q\"");
    // The dead end is that error, not also a trap.
    assert_eq!(codes(&report), [Code::NoAnswers]);
}

#[test]
fn one_answer_question_is_a_warning_and_the_flow_is_still_served() {
    let report = run(&[flow(
        "f",
        "q",
        &format!(
            r#""q": Question(text: "?", answers: [(id: "go", label: "Go", goto: "done")]), {DONE}"#
        ),
    )]);
    assert_eq!(only(&report, Code::OneAnswer).severity, Severity::Warning);
    assert_eq!(report.catalog.len(), 1);
}

#[test]
fn unreachable_nodes_are_reported_once_per_group() {
    let report = run(&[flow(
        "f",
        "done",
        &format!(
            r#"{DONE}
            "orphan": Info(text: "i", next: "after"),
            "after": Info(text: "i", next: "done"),
            "loop-a": Info(text: "i", next: "loop-b"),
            "loop-b": Info(text: "i", next: "loop-a"),"#
        ),
    )]);
    let found: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::UnreachableNode)
        .map(pointed)
        .collect();
    assert_eq!(found, ["\"orphan\"", "\"loop-a\""]);
}

#[test]
fn a_loop_with_no_way_out_is_a_trap_shown_as_a_cycle() {
    let report = run(&[flow(
        "f",
        "q",
        &format!(
            r#""q": Question(text: "?", answers: [
                (id: "a", label: "A", goto: "done"),
                (id: "b", label: "B", goto: "x"),
            ]),
            "x": Info(text: "i", next: "y"),
            "y": Info(text: "i", next: "x"),
            {DONE}"#
        ),
    )]);
    let d = only(&report, Code::Trap);
    assert_eq!(d.message, "`x -> y -> x` loops with no way to an outcome");
    assert_eq!(pointed(d), "\"x\"");
    let labels: Vec<_> = d.secondary.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(labels, ["on to `y`", "back to `x`"]);
}

#[test]
fn a_node_leading_to_itself_is_a_trap() {
    let report = run(&[flow(
        "f",
        "q",
        &format!(
            r#""q": Question(text: "?", answers: [
                (id: "a", label: "A", goto: "done"),
                (id: "b", label: "B", goto: "x"),
            ]),
            "x": Info(text: "i", next: "x"),
            {DONE}"#
        ),
    )]);
    assert_eq!(
        only(&report, Code::Trap).message,
        "node `x` leads only to itself"
    );
}

#[test]
fn loops_with_a_way_out_are_not_traps() {
    let report = run(&[
        flow(
            "f",
            "q",
            &format!(
                r#""q": Question(text: "?", answers: [
                (id: "again", label: "Again", goto: "fix"),
                (id: "stop", label: "Stop", goto: "done"),
            ]),
            "fix": Info(text: "i", next: "q"),
            "r": Remedy(text: "try", otherwise: "r2"),
            "r2": Info(text: "i", next: "r"),
            "link": Link(flow: "g"),
            "to-link": Info(text: "i", next: "link"),
            {DONE}"#
            ),
        ),
        flow("g", "done", DONE),
    ]);
    assert!(
        !codes(&report).contains(&Code::Trap),
        "{:?}",
        codes(&report)
    );
}

#[test]
fn a_loop_through_an_unknown_target_is_not_also_called_a_trap() {
    let report = run(&[flow(
        "f",
        "x",
        r#""x": Question(text: "?", answers: [
            (id: "a", label: "A", goto: "y"),
            (id: "b", label: "B", goto: "dnoe"),
        ]),
        "y": Info(text: "i", next: "x"),"#,
    )]);
    assert_eq!(codes(&report), [Code::UnknownTarget]);
}

#[test]
fn link_to_an_unknown_flow_suggests_a_known_one() {
    let report = run(&[
        flow("f", "l", r#""l": Link(flow: "securty"),"#),
        flow("security", "done", DONE),
    ]);
    let d = only(&report, Code::UnknownFlow);
    assert_eq!(pointed(d), "\"securty\"");
    assert_eq!(d.help.as_deref(), Some("did you mean `security`?"));
}

#[test]
fn flows_that_only_link_to_each_other_are_a_link_loop() {
    let report = run(&[
        flow("a", "l", r#""l": Link(flow: "b"),"#),
        flow("b", "l", r#""l": Link(flow: "a"),"#),
    ]);
    let found: Vec<_> = report
        .diagnostics
        .iter()
        .map(|d| (d.code, d.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                Code::LinkLoop,
                "flows `a -> b -> a` link to each other and none of them reaches an outcome"
            ),
            (
                Code::LinkLoop,
                "flows `b -> a -> b` link to each other and none of them reaches an outcome"
            ),
        ]
    );
    assert!(report.catalog.is_empty());
}

#[test]
fn a_flow_that_only_links_to_itself_is_a_link_loop() {
    let report = run(&[flow("a", "l", r#""l": Link(flow: "a"),"#)]);
    assert_eq!(
        only(&report, Code::LinkLoop).message,
        "flow `a` links to itself and never reaches an outcome"
    );
}

#[test]
fn flows_linking_to_each_other_with_a_way_out_are_fine() {
    let report = run(&[
        flow(
            "a",
            "q",
            &format!(
                r#""q": Question(text: "?", answers: [
                    (id: "more", label: "More", goto: "l"),
                    (id: "stop", label: "Stop", goto: "done"),
                ]),
                "l": Link(flow: "b"), {DONE}"#
            ),
        ),
        flow("b", "l", r#""l": Link(flow: "a"),"#),
    ]);
    assert_eq!(codes(&report), []);
    assert_eq!(report.catalog.len(), 2);
}

#[test]
fn a_link_to_a_flow_with_errors_keeps_the_linking_flow_out_too() {
    let report = run(&[
        flow("a", "l", r#""l": Link(flow: "b"),"#),
        flow("b", "x", r#""x": Info(text: "i", next: "nowhere"),"#),
        flow("c", "l", r#""l": Link(flow: "a"),"#),
    ]);
    let found: Vec<_> = report
        .diagnostics
        .iter()
        .map(|d| (d.path().display().to_string(), d.code))
        .collect();
    assert_eq!(
        found,
        [
            ("a.ron".to_owned(), Code::BrokenLink),
            ("b.ron".to_owned(), Code::UnknownTarget),
            ("c.ron".to_owned(), Code::BrokenLink),
        ]
    );
    assert!(report.catalog.is_empty());
}

#[test]
fn a_link_to_a_file_that_did_not_parse_is_a_broken_link_not_an_unknown_flow() {
    let report = run(&[
        flow("a", "l", r#""l": Link(flow: "b"),"#),
        ("b.ron".to_owned(), "Flow(".to_owned()),
    ]);
    assert_eq!(codes(&report), [Code::BrokenLink, Code::Syntax]);
}

#[test]
fn a_branch_on_a_fact_nothing_sets_is_an_error() {
    let report = run(&[flow(
        "f",
        "q",
        &format!(
            r#""q": Question(text: "?", fact: "platform", answers: [
                (id: "app", label: "App", goto: "b"),
                (id: "web", label: "Web", goto: "b"),
            ]),
            "b": Branch(fact: "platfrom", cases: {{"app": "done"}}, default: "done"),
            {DONE}"#
        ),
    )]);
    let d = only(&report, Code::UnknownFact);
    assert_eq!(pointed(d), "\"platfrom\"");
    assert_eq!(d.help.as_deref(), Some("did you mean `platform`?"));
}

#[test]
fn facts_can_come_from_inputs_or_from_any_flow_linking_here() {
    let branch = format!(
        r#""b": Branch(fact: "platform", cases: {{"app": "done"}}, default: "done"), {DONE}"#
    );
    let (path, text) = flow("given", "b", &branch);
    let given = (
        path,
        text.replace("start:", "inputs: [\"platform\"], start:"),
    );
    let report = run(&[
        given,
        flow(
            "asker",
            "q",
            r#""q": Question(text: "?", fact: Some("platform"), answers: [
                (id: "app", label: "App", goto: "l"),
                (id: "web", label: "Web", goto: "l"),
            ]),
            "l": Link(flow: "middle"),"#,
        ),
        flow("middle", "l", r#""l": Link(flow: "branching"),"#),
        flow("branching", "b", &branch),
    ]);
    assert_eq!(codes(&report), []);
}

#[test]
fn flow_id_must_match_the_file_name() {
    let (_, text) = flow("other", "done", DONE);
    let report = run(&[("flows/mine.ron".to_owned(), text)]);
    let d = only(&report, Code::IdMismatch);
    assert_eq!(pointed(d), "\"other\"");
    assert_eq!(
        d.message,
        "flow id `other` does not match the file name `mine.ron`"
    );
}

#[test]
fn two_files_with_one_flow_id_are_refused() {
    let (_, text) = flow("same", "done", DONE);
    let report = run(&[
        ("one/same.ron".to_owned(), text.clone()),
        ("two/same.ron".to_owned(), text),
    ]);
    let d = only(&report, Code::DuplicateFlow);
    assert_eq!(d.path(), Path::new("two/same.ron"));
    assert_eq!(report.catalog.len(), 1);
}

fn chain(steps: usize) -> String {
    let mut nodes: String = (0..steps)
        .map(|i| format!("\"s{i}\": Info(text: \"i\", next: \"s{}\"),\n", i + 1))
        .collect();
    nodes.push_str(&format!("\"s{steps}\": Done(text: \"ok\"),"));
    nodes
}

#[test]
fn a_very_long_path_is_a_warning() {
    let report = run(&[flow("f", "s0", &chain(LONG_PATH_STEPS + 1))]);
    let d = only(&report, Code::LongPath);
    assert_eq!(
        d.message,
        "a customer may go through up to 13 steps from `s0` to `s13` (more than 12)"
    );
    assert_eq!(report.catalog.len(), 1);
    let report = run(&[flow("f", "s0", &chain(LONG_PATH_STEPS))]);
    assert_eq!(codes(&report), []);
}

#[test]
fn missing_or_empty_summary_is_a_warning() {
    let (path, text) = flow("f", "done", DONE);
    let report = run(&[(path.clone(), text.replace("summary: \"S\", ", ""))]);
    assert_eq!(pointed(only(&report, Code::MissingSummary)), "Flow");
    let report = run(&[(path, text.replace("\"S\"", "\" \""))]);
    assert_eq!(pointed(only(&report, Code::MissingSummary)), "\" \"");
}

#[test]
fn a_remote_image_is_a_warning_and_a_local_one_is_not() {
    for text in [
        "See ![the screen](https://tracker.example/pixel.png)",
        "See <img alt=x src=\\\"//cdn.example/a.png\\\">",
    ] {
        let nodes = format!(r#""done": Done(text: "{text}"),"#);
        let report = run(&[flow("f", "done", &nodes)]);
        let d = only(&report, Code::RemoteImage);
        assert!(d.message.contains("example"), "{}", d.message);
        assert_eq!(pointed(d), "\"done\"");
        assert_eq!(report.catalog.len(), 1, "a warning: the flow is served");
    }
    let local = r#""done": Done(text: "See ![the screen](/assets/screen.png)"),"#;
    assert_eq!(codes(&run(&[flow("f", "done", local)])), []);
}

#[test]
fn a_branch_without_cases_is_a_warning() {
    let (path, text) = flow(
        "f",
        "b",
        &format!(r#""b": Branch(fact: "x", cases: {{}}, default: "done"), {DONE}"#),
    );
    let report = run(&[(path, text.replace("nodes:", "inputs: [\"x\"], nodes:"))]);
    assert_eq!(codes(&report), [Code::EmptyBranch]);
}

#[test]
fn an_unknown_node_kind_suggests_the_right_one() {
    let report = run(&[flow("f", "q", r#""q": Questoin(text: "?", answers: []),"#)]);
    let d = only(&report, Code::UnknownKind);
    assert_eq!(pointed(d), "Questoin");
    let help = d.help.as_deref().unwrap_or_default();
    assert!(help.starts_with("did you mean `Question`?"), "{help}");
}

#[test]
fn an_unknown_field_lists_the_valid_ones() {
    let report = run(&[flow("f", "i", r#""i": Info(text: "t", nxt: "i"),"#)]);
    let d = only(&report, Code::UnknownField);
    assert_eq!(pointed(d), "nxt");
    let help = d.help.as_deref().unwrap_or_default();
    assert!(help.starts_with("did you mean `next`?"), "{help}");
}

#[test]
fn a_missing_field_is_named() {
    let report = run(&[flow("f", "r", r#""r": Remedy(text: "t"),"#)]);
    let d = only(&report, Code::MissingField);
    assert!(
        d.message.starts_with("missing field `otherwise`"),
        "{}",
        d.message
    );
}

#[test]
fn a_value_of_the_wrong_type_is_named() {
    let report = run(&[flow("f", "d", r#""d": Done(text: 42),"#)]);
    let d = only(&report, Code::WrongType);
    assert_eq!(d.message, "expected a string in double quotes");
    assert_eq!(pointed(d), "42");
}

#[test]
fn a_syntax_error_has_line_and_column() {
    let report = run(&[(
        "f.ron".to_owned(),
        "Flow(\n    id: \"f\"\n    title: \"T\",\n)".to_owned(),
    )]);
    let d = only(&report, Code::Syntax);
    let json = d.to_json();
    assert_eq!((json.line, json.column), (Some(3), Some(5)));
}

#[test]
fn an_unclosed_string_is_pointed_at_where_it_opens() {
    let report = run(&[(
        "f.ron".to_owned(),
        "Flow(\n    id: \"f,\n    title: \"T\",\n)".to_owned(),
    )]);
    let d = only(&report, Code::Syntax);
    assert_eq!(d.secondary[0].text, "this string runs on past its line");
    assert_eq!(d.secondary[0].span.start, 14);
}

#[test]
fn a_broken_file_does_not_stop_the_others() {
    let report = run(&[
        ("a.ron".to_owned(), "Flow(id: ".to_owned()),
        flow("b", "x", r#""x": Info(text: "i", next: "y"),"#),
        flow("c", "done", DONE),
    ]);
    assert_eq!(codes(&report), [Code::Syntax, Code::UnknownTarget]);
    assert!(report.catalog.get("c").is_some());
    assert_eq!(report.files, 3);
}

#[test]
fn diagnostics_are_ordered_by_file_then_position() {
    let report = run(&[
        flow(
            "z",
            "q",
            r#""q": Question(text: "?", answers: [(id: "a", label: "A", goto: "nope")]),"#,
        ),
        flow("a", "nope", DONE),
    ]);
    let found: Vec<_> = report
        .diagnostics
        .iter()
        .map(|d| (d.path().display().to_string(), d.code))
        .collect();
    assert_eq!(
        found,
        [
            ("a.ron".to_owned(), Code::MissingStart),
            ("z.ron".to_owned(), Code::OneAnswer),
            ("z.ron".to_owned(), Code::UnknownTarget),
        ]
    );
}

#[test]
fn a_very_long_chain_is_checked_without_overflowing_the_stack() {
    // Test threads have small stacks: a recursive graph walk would overflow here.
    let report = run(&[flow("f", "s0", &chain(50_000))]);
    assert_eq!(codes(&report), [Code::LongPath]);
}

#[test]
fn components_come_sinks_first() {
    let mut graph: petgraph::graph::DiGraph<(), ()> = petgraph::graph::DiGraph::new();
    let a = graph.add_node(());
    let b = graph.add_node(());
    graph.add_edge(a, b, ());
    let components = graph::Components::of(&graph);
    assert_eq!(components.sccs[0], [b]);
}

#[test]
fn check_paths_reads_a_directory_and_reports_what_it_cannot_read() {
    let dir = std::env::temp_dir().join(format!("stepwise-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (_, text) = flow("good", "done", DONE);
    std::fs::write(dir.join("good.ron"), text).expect("write");
    std::fs::write(dir.join("good.scenarios.ron"), "not a flow").expect("write");
    std::fs::write(dir.join("notes.txt"), "not a flow").expect("write");
    std::fs::write(dir.join("bad.ron"), b"\xff").expect("write");
    let (_, linking) = flow("linking", "l", r#""l": Link(flow: "bad"),"#);
    std::fs::write(dir.join("linking.ron"), linking).expect("write");
    let missing = dir.join("missing.ron");
    let report = check_paths(&[dir.clone(), missing, dir.join("good.ron")]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(report.files, 4);
    // The link is to a file that could not be read: a broken link, not an unknown flow.
    assert_eq!(
        codes(&report),
        [Code::NotUtf8, Code::BrokenLink, Code::Unreadable]
    );
    assert!(report.catalog.get("good").is_some());
    for d in &report.diagnostics {
        assert!(!d.render(Style::Plain).is_empty());
    }
}

/// "café" with `é` as one character (NFC) and as `e` and a combining accent (NFD).
const CAFE_NFC: &str = "caf\u{e9}";
const CAFE_NFD: &str = "cafe\u{301}";

#[test]
fn answer_ids_that_are_the_same_in_nfc_are_duplicates() {
    let report = run(&[flow(
        "f",
        "q",
        &format!(
            r#""q": Question(text: "?", answers: [
                (id: "{CAFE_NFC}", label: "Coffee", goto: "done"),
                (id: "{CAFE_NFD}", label: "Also coffee", goto: "done"),
            ]), {DONE}"#
        ),
    )]);
    let d = only(&report, Code::DuplicateAnswer);
    assert_eq!(
        d.message,
        format!("answer id `{CAFE_NFC}` is used twice in question `q`")
    );
    assert_eq!(pointed(d), format!("\"{CAFE_NFD}\""));
    let first = d.secondary[0].span;
    assert_eq!(
        &d.source.text[first.start..first.end],
        format!("\"{CAFE_NFC}\"")
    );
    assert!(report.catalog.is_empty());
}

#[test]
fn node_ids_that_are_the_same_in_nfc_are_duplicates() {
    let report = run(&[flow(
        "f",
        CAFE_NFC,
        &format!(
            r#""{CAFE_NFC}": Done(text: "ok"),
            "{CAFE_NFD}": Resolved(text: "ok"),"#
        ),
    )]);
    let d = only(&report, Code::DuplicateNode);
    assert_eq!(d.message, format!("node id `{CAFE_NFC}` is used twice"));
    assert_eq!(pointed(d), format!("\"{CAFE_NFD}\""));
    let first = d.secondary[0].span;
    assert_eq!(
        &d.source.text[first.start..first.end],
        format!("\"{CAFE_NFC}\"")
    );
    let json = d.to_json();
    assert_eq!((json.line, json.column), (Some(3), Some(13)));
}

#[test]
fn ids_and_references_are_read_in_nfc() {
    let nodes = |cafe: &str| {
        format!(
            r#""q": Question(text: "?", fact: "{cafe}-fact", answers: [
                (id: "{cafe}", label: "Coffee", goto: "{cafe}-node"),
                (id: "tea", label: "Tea", goto: "b"),
            ]),
            "b": Branch(fact: "{cafe}-fact", cases: {{"{cafe}": "{cafe}-node"}}, default: "esc"),
            "esc": Escalate(text: "call", collect: [(id: "{cafe}-detail", label: "L")]),
            "{cafe}-node": Info(text: "i", next: "l"),
            "l": Link(flow: "{cafe}"),"#
        )
    };
    let linked = |cafe: &str| {
        let reads = format!(
            r#""b": Branch(fact: "{cafe}-in", cases: {{"x": "done"}}, default: "done"), {DONE}"#
        );
        let (_, text) = flow(cafe, "b", &reads);
        (
            format!("{cafe}.ron"),
            text.replace("start:", &format!("inputs: [\"{cafe}-in\"], start:")),
        )
    };
    let composed = run(&[flow("f", "q", &nodes(CAFE_NFC)), linked(CAFE_NFC)]);
    let decomposed = run(&[flow("f", "q", &nodes(CAFE_NFD)), linked(CAFE_NFD)]);
    assert_eq!(codes(&decomposed), []);
    for id in ["f", CAFE_NFC] {
        let (a, b) = (composed.catalog.get(id), decomposed.catalog.get(id));
        assert_eq!(a.map(|f| f.raw()), b.map(|f| f.raw()), "{id}");
        assert!(a.is_some(), "{id}");
    }
    // Looked up by either form.
    assert!(decomposed.catalog.get(CAFE_NFD).is_some());
}

#[test]
fn a_file_name_in_nfd_matches_its_id_in_nfc() {
    let (_, text) = flow(CAFE_NFC, "done", DONE);
    let report = run(&[(format!("{CAFE_NFD}.ron"), text)]);
    assert_eq!(codes(&report), []);
}

#[test]
fn a_zero_width_space_in_an_id_is_an_error_at_every_place_it_is_written() {
    let id = "do\u{200b}ne";
    let report = run(&[flow(
        "f",
        "q",
        &format!(
            r#""q": Question(text: "?", answers: [
                (id: "a", label: "A", goto: "{id}"),
                (id: "b", label: "B", goto: "{id}"),
            ]),
            "{id}": Done(text: "ok"),"#
        ),
    )]);
    let d = only(&report, Code::InvisibleCharacter);
    assert_eq!(
        d.message,
        "the id `do\\u{200b}ne` holds U+200B ZERO WIDTH SPACE (an invisible character)"
    );
    assert_eq!(pointed(d), format!("\"{id}\""));
    assert_eq!(
        d.primary.as_ref().map(|l| l.text.as_str()),
        Some("holds U+200B ZERO WIDTH SPACE")
    );
    assert_eq!(d.secondary.len(), 2);
    let json = d.to_json();
    assert_eq!((json.line, json.column), (Some(3), Some(45)));
    assert!(
        d.help
            .as_deref()
            .unwrap_or_default()
            .starts_with("retype the id")
    );
    assert_eq!(codes(&report), [Code::InvisibleCharacter]);
    assert!(report.catalog.is_empty());
}

#[test]
fn a_right_to_left_override_in_an_answer_id_is_an_error() {
    let id = "on\u{202e}ly";
    let report = run(&[flow(
        "f",
        "q",
        &format!(
            r#""q": Question(text: "?", answers: [
                (id: "yes", label: "Yes", goto: "done"),
                (id: "{id}", label: "No", goto: "done"),
            ]), {DONE}"#
        ),
    )]);
    let d = only(&report, Code::InvisibleCharacter);
    assert_eq!(
        d.message,
        "the id `on\\u{202e}ly` holds U+202E RIGHT-TO-LEFT OVERRIDE (a bidirectional control)"
    );
    assert!(
        !d.message.contains('\u{202e}'),
        "the message shows no override"
    );
    assert_eq!(pointed(d), format!("\"{id}\""));
}

#[test]
fn a_hidden_character_written_as_an_escape_is_found_too() {
    let report = run(&[flow(
        "f",
        "q",
        &format!(
            r#""q": Question(text: "?", fact: "pay\u{{2060}}ment", answers: [
                (id: "card", label: "Card", goto: "done"),
                (id: "bank", label: "Bank", goto: "done"),
            ]), {DONE}"#
        ),
    )]);
    let d = only(&report, Code::InvisibleCharacter);
    assert!(d.message.contains("U+2060 WORD JOINER"), "{}", d.message);
    assert_eq!(pointed(d), "\"pay\\u{2060}ment\"");
}

#[test]
fn whitespace_in_an_id_is_an_error() {
    let report = run(&[flow("f", "all done", r#""all done": Done(text: "ok"),"#)]);
    let d = only(&report, Code::InvisibleCharacter);
    assert_eq!(
        d.message,
        "the id `all done` holds U+0020 SPACE (whitespace)"
    );
    assert_eq!(pointed(d), "\"all done\"");
    assert_eq!(d.secondary.len(), 1, "the start names it too");
    assert!(
        d.help
            .as_deref()
            .unwrap_or_default()
            .starts_with("write `-` or `_`")
    );
}

#[test]
fn every_kind_of_id_is_checked() {
    let bad = |what: &str| format!("{what}\u{feff}");
    let (path, text) = flow(
        "f",
        "q",
        &format!(
            r#""q": Question(text: "?", fact: "{asked}", answers: [
                (id: "{answer}", label: "A", goto: "b"),
                (id: "other", label: "B", goto: "b"),
            ]),
            "b": Branch(fact: "{given}", cases: {{"{value}": "esc"}}, default: "l"),
            "esc": Escalate(text: "call", collect: [(id: "{detail}", label: "L")]),
            "l": Link(flow: "{linked}"),"#,
            asked = bad("asked"),
            answer = bad("answer"),
            given = bad("given"),
            value = bad("value"),
            detail = bad("detail"),
            linked = bad("linked"),
        ),
    );
    let text = text.replace("start:", &format!("inputs: [\"{}\"], start:", bad("given")));
    let report = run(&[(path, text)]);
    let found: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::InvisibleCharacter)
        .map(|d| (pointed(d).to_owned(), d.secondary.len()))
        .collect();
    let quoted = |what: &str| format!("\"{}\"", bad(what));
    assert_eq!(
        found,
        [
            (quoted("given"), 1),
            (quoted("asked"), 0),
            (quoted("answer"), 0),
            (quoted("value"), 0),
            (quoted("detail"), 0),
            (quoted("linked"), 0),
        ]
    );
}

#[test]
fn a_cyrillic_look_alike_in_a_latin_id_is_a_warning() {
    let id = "p\u{430}ssword";
    let report = run(&[flow(
        "f",
        "q",
        &format!(
            r#""q": Question(text: "?", answers: [
                (id: "{id}", label: "Password", goto: "done"),
                (id: "other", label: "Other", goto: "done"),
            ]), {DONE}"#
        ),
    )]);
    let d = only(&report, Code::ConfusableId);
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(
        d.message,
        format!("the id `{id}` mixes Latin and Cyrillic letters")
    );
    assert_eq!(pointed(d), format!("\"{id}\""));
    assert_eq!(
        d.primary.as_ref().map(|l| l.text.as_str()),
        Some("`\u{430}` is Cyrillic (U+0430)")
    );
    assert_eq!(report.catalog.len(), 1, "a warning: the flow is served");
}

#[test]
fn ids_in_one_alphabet_are_fine() {
    let report = run(&[flow(
        "f",
        "пароль",
        r#""пароль": Question(text: "?", fact: "способ", answers: [
            (id: "почта", label: "Почта", goto: "готово"),
            (id: "телефон-2", label: "Телефон", goto: "λήξη"),
        ]),
        "готово": Done(text: "ok"),
        "λήξη": Done(text: "ok"),"#,
    )]);
    assert_eq!(codes(&report), []);
}

#[test]
fn many_ids_with_spaces_are_each_reported_in_linear_time() {
    let mut nodes: String = (0..20_000)
        .map(|i| format!("\"s {i}\": Info(text: \"i\", next: \"s {}\"),\n", i + 1))
        .collect();
    nodes.push_str("\"s 20000\": Done(text: \"ok\"),");
    let report = run(&[flow("f", "s 0", &nodes)]);
    let found = codes(&report)
        .into_iter()
        .filter(|&c| c == Code::InvisibleCharacter)
        .count();
    assert_eq!(found, 20_001);
}

#[test]
fn inputs_may_declare_their_values_and_be_signed() {
    let (path, text) = flow(
        "f",
        "b",
        &format!(
            r#""b": Branch(fact: "platform", cases: {{"app": "done", "web": "done"}}, default: "done"), {DONE}"#
        ),
    );
    let written =
        r#"inputs: ["tier", (name: "platform", values: ["app", "web"], signed: true)], start:"#;
    let text = text.replace("start:", written).replace(
        "\"b\": Branch",
        r#""t": Branch(fact: "tier", cases: {"gold": "b"}, default: "b"), "b": Branch"#,
    );
    let text = text.replace("start: \"b\"", "start: \"t\"");
    let report = run(&[(path, text)]);
    assert_eq!(codes(&report), []);
    let flow = report.catalog.get("f").expect("served");
    let inputs = &flow.raw().inputs;
    assert_eq!(inputs[0], crate::Input::named("tier"));
    assert_eq!(inputs[1].values, ["app", "web"]);
    assert!(inputs[1].signed);
}

#[test]
fn an_input_with_an_unknown_field_is_refused() {
    let (path, text) = flow("f", "done", DONE);
    let text = text.replace("start:", r#"inputs: [(name: "x", valuez: ["a"])], start:"#);
    let report = run(&[(path, text)]);
    let d = only(&report, Code::UnknownField);
    assert_eq!(d.message, "unknown field `valuez` in an input");
    let (path, text) = flow("f", "done", DONE);
    let text = text.replace("start:", r#"inputs: [(values: ["a"])], start:"#);
    let report = run(&[(path, text)]);
    let d = only(&report, Code::Syntax);
    assert_eq!(
        d.message,
        "an input written `(…)` needs its fact's `name: \"…\"`"
    );
}

#[test]
fn an_input_nothing_reads_is_a_warning() {
    let (path, text) = flow("f", "done", DONE);
    let report = run(&[(
        path,
        text.replace("start:", r#"inputs: ["platform"], start:"#),
    )]);
    let d = only(&report, Code::UnusedInput);
    assert_eq!(pointed(d), "\"platform\"");
    assert!(
        report.catalog.get("f").is_some(),
        "a warning does not refuse the flow"
    );
}

#[test]
fn an_input_read_in_a_linked_flow_is_used() {
    let (path, text) = flow("given", "l", r#""l": Link(flow: "branching"),"#);
    let given = (
        path,
        text.replace("start:", r#"inputs: ["platform"], start:"#),
    );
    let branch = format!(
        r#""b": Branch(fact: "platform", cases: {{"app": "done"}}, default: "done"), {DONE}"#
    );
    let report = run(&[given, flow("branching", "b", &branch)]);
    assert_eq!(codes(&report), []);
}

#[test]
fn a_declared_value_no_branch_or_question_matches_is_a_warning() {
    let nodes = format!(
        r#""q": Question(text: "?", fact: Some("platform"), answers: [
            (id: "app", label: "App", goto: "done"),
            (id: "web", label: "Web", goto: "done"),
        ]), {DONE}"#
    );
    let (path, text) = flow("f", "q", &nodes);
    let written = r#"inputs: [(name: "platform", values: ["app", "desktop"])], start:"#;
    let report = run(&[(path, text.replace("start:", written))]);
    let d = only(&report, Code::UnusedInputValue);
    assert_eq!(pointed(d), "\"desktop\"");
}

#[test]
fn an_input_written_long_or_bare_is_the_same_version_and_values_change_it() {
    let version = |inputs: &str| {
        let branch =
            format!(r#""b": Branch(fact: "p", cases: {{"a": "done"}}, default: "done"), {DONE}"#);
        let (path, text) = flow("f", "b", &branch);
        let report = run(&[(
            path,
            text.replace("start:", &format!("inputs: [{inputs}], start:")),
        )]);
        assert_eq!(codes(&report), [], "{inputs}");
        report.catalog.get("f").expect("served").version().clone()
    };
    let bare = version(r#""p""#);
    assert_eq!(version(r#"(name: "p")"#), bare);
    assert_eq!(version(r#"Input(name: "p")"#), bare);
    assert_ne!(version(r#"(name: "p", values: ["a"])"#), bare);
    assert_ne!(version(r#"(name: "p", signed: true)"#), bare);
}

#[test]
fn a_typo_in_a_300_000_character_id_is_suggested_and_rendered() {
    let id = "a".repeat(300_000);
    let mut typo = id.clone();
    typo.replace_range(150_000..150_001, "b");
    let started = std::time::Instant::now();
    let report = run(&[flow(
        "f",
        &id,
        &format!(r#""{id}": Info(text: "i", next: "{typo}"), {DONE}"#),
    )]);
    let checked = started.elapsed();
    let d = only(&report, Code::UnknownTarget);
    assert_eq!(d.help, Some(format!("did you mean `{id}`?")));
    let text = d.render(Style::Plain);
    assert!(text.contains("…"), "the line is cut");
    println!(
        "checked in {checked:?}, rendered in {:?}",
        started.elapsed() - checked
    );
}

#[test]
fn thousands_of_diagnostics_render_in_time_linear_in_their_number() {
    let answers: Vec<String> = (0..3_000)
        .map(|i| format!(r#"(id: "a{i}", label: "A", goto: "missing-{i}"),"#))
        .collect();
    let report = run(&[flow(
        "many",
        "ask",
        &format!(
            "\"ask\": Question(text: \"?\", answers: [\n{}\n]), {DONE}",
            answers.join("\n")
        ),
    )]);
    let unknown = codes(&report)
        .into_iter()
        .filter(|&c| c == Code::UnknownTarget);
    assert_eq!(unknown.count(), 3_000);
    let started = std::time::Instant::now();
    let json: Vec<_> = report.diagnostics.iter().map(Diagnostic::to_json).collect();
    let as_json = started.elapsed();
    let text = crate::render_all(&report.diagnostics, Style::Plain);
    let as_text = started.elapsed() - as_json;
    assert_eq!(json.len(), report.diagnostics.len());
    assert!(text.contains("[many.ron:3001:"), "line numbers run on");
    println!("3,000 diagnostics: {as_json:?} as JSON, {as_text:?} as text");
}

#[test]
fn problems_after_the_first_error_are_reported_too_in_linear_time() {
    let mut nodes = String::from(r#""ask": Questoin(text: "?", answers: []),"#);
    for i in 0..20_000 {
        nodes.push_str(&format!("\n\"n{i}\": Done(text: \"ok\"),"));
    }
    nodes.push_str("\n\"n5\": Done(text: \"again\"),\n\"bad\": Done(txt: \"typo\"),");
    let started = std::time::Instant::now();
    let report = run(&[flow("f", "ask", &nodes)]);
    println!(
        "20,000 nodes after the first error: {:?}",
        started.elapsed()
    );
    assert_eq!(
        codes(&report),
        [Code::UnknownKind, Code::DuplicateNode, Code::UnknownField]
    );
}
