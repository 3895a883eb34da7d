//! The journey rules on small flows written inline, on the bundled flows, and on link
//! graphs with very many journeys.

use std::time::Instant;

use crate::check::{CheckReport, Settings, check_paths_with, check_sources_with};
use crate::diagnostic::{Code, Diagnostic};
use crate::source::Source;

/// A flow file named `<id>.ron` with the given start and nodes.
fn flow(id: &str, start: &str, nodes: &str) -> Source {
    Source::new(
        format!("{id}.ron"),
        format!(
            "Flow(id: \"{id}\", title: \"T\", summary: \"S\", start: \"{start}\", nodes: {{\n{nodes}\n}})\n"
        ),
    )
}

fn run(sources: Vec<Source>, journey_steps: usize) -> CheckReport {
    check_sources_with(sources, &Settings { journey_steps })
}

fn with_code(report: &CheckReport, code: Code) -> Vec<&Diagnostic> {
    report
        .diagnostics
        .iter()
        .filter(|d| d.code == code)
        .collect()
}

/// A flow of `steps` remedies in a row, then `end` (a node's text).
fn remedies(id: &str, steps: usize, end: &str) -> Source {
    let mut nodes = String::new();
    for i in 0..steps {
        nodes.push_str(&format!(
            "\"r{i}\": Remedy(text: \"try {i}\", otherwise: \"r{}\"),\n",
            i + 1
        ));
    }
    nodes.push_str(&format!("\"r{steps}\": {end},\n"));
    flow(id, "r0", &nodes)
}

#[test]
fn the_bundled_wallet_phone_facial_journey_is_long_under_the_default_limit() {
    let flows = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../flows"));
    let report = check_paths_with(std::slice::from_ref(&flows), Some(Settings::default()));
    let found = with_code(&report, Code::LongJourney);
    let wallet = found
        .iter()
        .find(|d| {
            d.path().ends_with("wallet-password-forgotten.ron") && d.message.contains("`phone`")
        })
        .unwrap_or_else(|| panic!("no long-journey at the wallet's phone link: {found:?}"));
    let help = wallet.help.as_deref().unwrap_or_default();
    assert!(
        help.contains(
            "`wallet-password-forgotten` (2 steps) -> `phone-not-working` (5 steps) -> \
             `facial-recognition-fails` (7 steps)"
        ),
        "{help}"
    );
    assert!(
        wallet.message.contains("up to 14 steps (more than 10)"),
        "{}",
        wallet.message
    );
    // The directory's own settings accept the bundled journeys.
    let report = check_paths_with(&[flows], None);
    assert_eq!(report.warnings(), 0, "{}", report.summary());
}

#[test]
fn a_journey_within_the_limit_or_not_crossing_links_is_not_warned() {
    let long_alone = remedies("alone", 9, "Done(text: \"ok\")");
    let report = run(
        vec![
            remedies("a", 3, "Link(flow: \"b\")"),
            remedies("b", 3, "Done(text: \"ok\")"),
            long_alone,
        ],
        6,
    );
    assert!(
        with_code(&report, Code::LongJourney).is_empty(),
        "{:?}",
        report.diagnostics
    );
    let report = run(
        vec![
            remedies("a", 3, "Link(flow: \"b\")"),
            remedies("b", 4, "Done(text: \"ok\")"),
        ],
        6,
    );
    let found = with_code(&report, Code::LongJourney);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].message.contains("up to 7 steps (more than 6)"),
        "{}",
        found[0].message
    );
}

#[test]
fn a_loop_of_flows_is_followed_once_round_and_ends() {
    // a -> b -> a: a journey that comes back to `a` counts `a` again only up to the link.
    let report = run(
        vec![
            remedies("a", 2, "Link(flow: \"b\")"),
            flow(
                "b",
                "q",
                r#""q": Question(text: "?", answers: [
                    (id: "back", label: "Back", goto: "again"),
                    (id: "done", label: "Done", goto: "done"),
                ]),
                "again": Link(flow: "a"),
                "done": Done(text: "ok"),"#,
            ),
        ],
        2,
    );
    let found = with_code(&report, Code::LongJourney);
    assert_eq!(found.len(), 2, "{found:?}");
    for d in found {
        assert!(d.message.contains("up to 3 steps"), "{}", d.message);
    }
}

#[test]
fn very_many_journeys_are_counted_without_following_each() {
    // Each of 60 layers of flows links to both flows of the next: 2^60 journeys.
    let layers = 60;
    let mut sources = Vec::new();
    for layer in 0..layers {
        for side in ["l", "r"] {
            let id = format!("f{layer}{side}");
            if layer + 1 == layers {
                sources.push(remedies(&id, 1, "Done(text: \"ok\")"));
                continue;
            }
            sources.push(flow(
                &id,
                "q",
                &format!(
                    r#""q": Question(text: "?", answers: [
                        (id: "l", label: "L", goto: "left"),
                        (id: "r", label: "R", goto: "right"),
                    ]),
                    "left": Link(flow: "f{next}l"),
                    "right": Link(flow: "f{next}r"),"#,
                    next = layer + 1
                ),
            ));
        }
    }
    let started = Instant::now();
    let report = run(sources, 1000);
    println!(
        "{} flows in layers of two: {:?}",
        layers * 2,
        started.elapsed()
    );
    assert_eq!(report.errors(), 0, "{:?}", report.diagnostics.first());
    assert!(with_code(&report, Code::LongJourney).is_empty());
    let d = run(
        (0..layers)
            .flat_map(|layer| ["l", "r"].map(|side| (layer, side)))
            .map(|(layer, side)| {
                let id = format!("f{layer}{side}");
                if layer + 1 == layers {
                    remedies(&id, 1, "Done(text: \"ok\")")
                } else {
                    remedies(&id, 1, &format!("Link(flow: \"f{}{side}\")", layer + 1))
                }
            })
            .collect(),
        59,
    );
    // f0l goes through 60 flows of one step each.
    let found = with_code(&d, Code::LongJourney);
    assert!(
        found.iter().any(|d| d.message.contains("up to 60 steps")),
        "{found:?}"
    );
}

#[test]
fn a_linked_question_on_a_fact_recorded_on_every_way_is_asked_again_only_without_the_answer() {
    let linked = |answers: &str| {
        flow(
            "b",
            "status",
            &format!(
                r#""status": Question(text: "?", fact: "status", answers: [{answers}]),
                "done": Done(text: "ok"),"#
            ),
        )
    };
    let asking = flow(
        "a",
        "status",
        r#""status": Question(text: "?", fact: "status", answers: [
            (id: "open", label: "Open", goto: "more"),
            (id: "closed", label: "Closed", goto: "more"),
            (id: "gone", label: "Gone", goto: "done"),
        ]),
        "more": Link(flow: "b"),
        "done": Done(text: "ok"),"#,
    );
    // `gone` never reaches the link, so only `open` is missing.
    let report = run(
        vec![
            asking.clone(),
            linked(
                r#"(id: "closed", label: "C", goto: "done"), (id: "x", label: "X", goto: "done")"#,
            ),
        ],
        100,
    );
    let found = with_code(&report, Code::AskedAgain);
    assert_eq!(found.len(), 1, "{found:?}");
    let help = found[0].help.as_deref().unwrap_or_default();
    assert!(help.contains("can be `open`,"), "{help}");
    assert!(!help.contains("gone"), "{help}");
    // Every value recorded has its answer: the walk skips the question.
    let report = run(
        vec![
            asking,
            linked(
                r#"(id: "open", label: "O", goto: "done"), (id: "closed", label: "C", goto: "done")"#,
            ),
        ],
        100,
    );
    assert!(with_code(&report, Code::AskedAgain).is_empty());
    // A way to the link that records nothing: the question is needed.
    let report = run(
        vec![
            flow(
                "a",
                "first",
                r#""first": Question(text: "?", answers: [
                    (id: "ask", label: "Ask", goto: "status"),
                    (id: "skip", label: "Skip", goto: "more"),
                ]),
                "status": Question(text: "?", fact: "status", answers: [
                    (id: "open", label: "Open", goto: "more"),
                    (id: "other", label: "Other", goto: "more"),
                ]),
                "more": Link(flow: "b"),"#,
            ),
            linked(
                r#"(id: "closed", label: "C", goto: "done"), (id: "x", label: "X", goto: "done")"#,
            ),
        ],
        100,
    );
    assert!(
        with_code(&report, Code::AskedAgain).is_empty(),
        "{:?}",
        report.diagnostics
    );
}

#[test]
fn very_many_shared_facts_and_links_are_checked_in_bounded_time() {
    // 2,000 questions each recording its own fact, then 500 links to a flow that asks
    // about every one of those facts with other answers: a million pairs to look at.
    let facts = 2000;
    let links = 500;
    let mut nodes = String::new();
    for i in 0..facts {
        nodes.push_str(&format!(
            "\"q{i}\": Question(text: \"?\", fact: \"f{i}\", answers: [(id: \"a\", label: \"A\", goto: \"q{}\"), (id: \"b\", label: \"B\", goto: \"q{}\")]),\n",
            i + 1,
            i + 1
        ));
    }
    nodes.push_str(&format!("\"q{facts}\": Question(text: \"?\", answers: ["));
    for l in 0..links {
        nodes.push_str(&format!("(id: \"l{l}\", label: \"L\", goto: \"link{l}\"),"));
    }
    nodes.push_str("]),\n");
    for l in 0..links {
        nodes.push_str(&format!("\"link{l}\": Link(flow: \"asks\"),\n"));
    }
    let mut asks = String::new();
    for i in 0..facts {
        asks.push_str(&format!(
            "\"q{i}\": Question(text: \"?\", fact: \"f{i}\", answers: [(id: \"x\", label: \"X\", goto: \"q{}\"), (id: \"y\", label: \"Y\", goto: \"q{}\")]),\n",
            i + 1,
            i + 1
        ));
    }
    asks.push_str(&format!("\"q{facts}\": Done(text: \"ok\"),\n"));
    let started = Instant::now();
    let report = run(
        vec![flow("many", "q0", &nodes), flow("asks", "q0", &asks)],
        1_000_000,
    );
    println!(
        "{facts} shared facts, {links} links: {:?}, {} asked-again",
        started.elapsed(),
        with_code(&report, Code::AskedAgain).len()
    );
    assert_eq!(report.errors(), 0, "{:?}", report.diagnostics.first());
    assert!(!with_code(&report, Code::AskedAgain).is_empty());
}

#[test]
fn a_question_the_link_already_answers_counts_no_step() {
    let asking = |second: &str| {
        flow(
            "a",
            "status",
            &format!(
                r#""status": Question(text: "?", fact: "status", answers: [
                    (id: "open", label: "Open", goto: "more"),
                    (id: "{second}", label: "Other", goto: "more"),
                ]),
                "more": Link(flow: "b"),"#
            ),
        )
    };
    // In `b` the known status leads past the question, and only to the short way.
    let linked = flow(
        "b",
        "status",
        r#""status": Question(text: "?", fact: "status", answers: [
            (id: "open", label: "Open", goto: "r0"),
            (id: "closed", label: "Closed", goto: "long0"),
        ]),
        "r0": Remedy(text: "try", otherwise: "done"),
        "long0": Remedy(text: "try", otherwise: "long1"),
        "long1": Remedy(text: "try", otherwise: "long2"),
        "long2": Remedy(text: "try", otherwise: "done"),
        "done": Done(text: "ok"),"#,
    );
    // open or closed: 1 step in `a`, `b`'s question skipped, then at most 3 remedies.
    let report = run(vec![asking("closed"), linked.clone()], 4);
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    let report = run(vec![asking("closed"), linked.clone()], 3);
    let found = with_code(&report, Code::LongJourney);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].message.contains("up to 4 steps"),
        "{}",
        found[0].message
    );
    // A value `b` has no answer for: asked again, and counted.
    let report = run(vec![asking("unknown"), linked], 4);
    assert_eq!(with_code(&report, Code::AskedAgain).len(), 1);
    let found = with_code(&report, Code::LongJourney);
    assert!(found[0].message.contains("up to 5 steps"), "{:?}", found);
}
