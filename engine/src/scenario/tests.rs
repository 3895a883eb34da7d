//! The scenario runner on the router and cabling fixtures: what passes, and where each kind
//! of failure points.

use super::*;
use crate::check::{CheckReport, check_sources};
use crate::diagnostic::Code;

const ROUTER: &str = include_str!("../../tests/fixtures/router.ron");
const CABLING: &str = include_str!("../../tests/fixtures/cabling.ron");

fn flows() -> CheckReport {
    let report = check_sources(vec![
        Source::new("router.ron", ROUTER),
        Source::new("cabling.ron", CABLING),
    ]);
    assert_eq!(report.errors(), 0, "{:?}", report.diagnostics);
    report
}

/// A scenario file for `router` holding the given scenarios.
fn file(scenarios: &str) -> ScenarioFile {
    let text =
        format!("Scenarios(\n    flow: \"router\",\n    scenarios: [\n{scenarios}\n    ],\n)\n");
    match parse(&Source::new("router.scenarios.ron", text)) {
        Ok(file) => file,
        Err(d) => panic!("{}", d.message),
    }
}

fn run_one(scenario: &str) -> ScenarioRun {
    let file = file(scenario);
    let runs = match run(&file, &flows()) {
        Ok(runs) => runs,
        Err(d) => panic!("{}", d.message),
    };
    assert_eq!(runs.len(), 1);
    runs.into_iter().next().unwrap_or_else(|| unreachable!())
}

/// The failure's code, message and the text its primary label underlines.
fn failure(run: &ScenarioRun) -> (Code, String, String) {
    let Some(d) = &run.failure else {
        panic!("`{}` passed", run.name);
    };
    let span = d.primary.as_ref().map(|l| l.span).unwrap_or_default();
    let text = d.source.text[span.start..span.end].to_owned();
    (d.code, d.message.clone(), text)
}

fn passes(run: &ScenarioRun) {
    if let Some(d) = &run.failure {
        panic!("{}", d.render(crate::Style::Plain));
    }
}

#[test]
fn a_walk_that_ends_as_expected_passes() {
    passes(&run_one(
        r#"(name: "web, lights off", answers: ["web", "off"], expect: (status: Done, node: "power"))"#,
    ));
}

#[test]
fn a_remedy_that_worked_is_expected_as_resolved_at_the_remedy() {
    passes(&run_one(
        r#"(name: "app restart works", answers: ["app", "yes"], expect: (status: Resolved, node: "restart-app"))"#,
    ));
}

#[test]
fn a_known_fact_skips_its_question_and_picks_the_branch_case() {
    passes(&run_one(
        r#"(name: "app given", facts: {"platform": "app"}, answers: ["restart-app=no"], expect: (status: Active, node: "lights"))"#,
    ));
}

#[test]
fn the_flow_after_a_link_can_be_expected() {
    passes(&run_one(
        r#"(name: "to cabling", answers: ["web", "on", "no", "next", "yes"],
            expect: (status: Escalated, node: "support", flow: "cabling"),
            details: Accepted({"serial": "SN-1"}))"#,
    ));
}

#[test]
fn an_answer_not_offered_is_reported_at_that_answer() {
    let run = run_one(r#"(name: "typo", answers: ["web", "of"], expect: (status: Done))"#);
    let (code, message, text) = failure(&run);
    assert_eq!(code, Code::AnswerNotOffered);
    assert_eq!(text, "\"of\"");
    assert!(
        message.contains("`of` is not an answer at `lights`"),
        "{message}"
    );
    let help = run.failure.and_then(|d| d.help).unwrap_or_default();
    assert!(help.starts_with("did you mean `off`?"), "{help}");
    assert!(help.contains("`on` (Yes)"), "{help}");
}

#[test]
fn an_answer_after_the_outcome_is_reported_at_that_answer() {
    let (code, message, text) = failure(&run_one(
        r#"(name: "too long", answers: ["web", "off", "next"], expect: (status: Done))"#,
    ));
    assert_eq!(code, Code::AnswerNotOffered);
    assert_eq!(text, "\"next\"");
    assert!(message.contains("ended done at `power`"), "{message}");
}

#[test]
fn an_answer_meant_for_another_node_is_reported() {
    let (code, message, text) = failure(&run_one(
        r#"(name: "pinned", answers: ["platform=web", "unplug=on"], expect: (status: Done))"#,
    ));
    assert_eq!(code, Code::UnexpectedStep);
    assert_eq!(text, "\"unplug=on\"");
    assert!(message.contains("the walk is at `lights`"), "{message}");
}

#[test]
fn a_different_outcome_is_reported_at_the_expectation() {
    let run = run_one(
        r#"(name: "wrong end", answers: ["web", "off"], expect: (status: Escalated, node: "support"))"#,
    );
    let (code, message, text) = failure(&run);
    assert_eq!(code, Code::UnexpectedOutcome);
    assert_eq!(text, r#"(status: Escalated, node: "support")"#);
    assert_eq!(
        message,
        "expected status escalated, node `support`, but the walk ended done at `power` of flow `router`"
    );
    let help = run.failure.and_then(|d| d.help).unwrap_or_default();
    assert_eq!(
        help,
        "the walk went platform=web → by-platform[default] → lights=off → power"
    );
}

#[test]
fn a_walk_still_waiting_is_not_an_outcome() {
    let (code, message, _) = failure(&run_one(
        r#"(name: "stops early", answers: ["web"], expect: (status: Done))"#,
    ));
    assert_eq!(code, Code::UnexpectedOutcome);
    assert!(
        message.contains("is waiting at `lights` of flow `router` (question)"),
        "{message}"
    );
}

#[test]
fn details_refused_when_they_should_be_accepted_fail() {
    let (code, message, text) = failure(&run_one(
        r#"(name: "long serial", answers: ["web", "on", "no", "next", "yes"],
            expect: (status: Escalated), details: Accepted({"serial": "SN-123456789"}))"#,
    ));
    assert_eq!(code, Code::UnexpectedDetails);
    assert_eq!(text, r#"Accepted({"serial": "SN-123456789"})"#);
    assert!(
        message.contains("`serial` Serial number must be at most 10 characters"),
        "{message}"
    );
}

#[test]
fn details_refused_for_the_expected_ids_pass() {
    passes(&run_one(
        r#"(name: "no serial", answers: ["web", "on", "no", "next", "yes"],
            expect: (status: Escalated), details: Rejected(given: {"photo": "x"}, problems: ["serial"]))"#,
    ));
}

#[test]
fn details_accepted_when_they_should_be_refused_fail() {
    let (code, message, _) = failure(&run_one(
        r#"(name: "fine serial", answers: ["web", "on", "no", "next", "yes"],
            expect: (status: Escalated), details: Rejected(given: {"serial": "SN-1"}))"#,
    ));
    assert_eq!(code, Code::UnexpectedDetails);
    assert!(
        message.contains("accepted, but the scenario expects them refused"),
        "{message}"
    );
}

#[test]
fn details_away_from_an_escalation_fail() {
    let (code, message, _) = failure(&run_one(
        r#"(name: "done", answers: ["web", "off"], expect: (status: Done), details: Accepted({}))"#,
    ));
    assert_eq!(code, Code::UnexpectedDetails);
    assert!(
        message.contains("only be given at an escalation"),
        "{message}"
    );
}

#[test]
fn an_empty_expectation_fails() {
    let (code, _, text) = failure(&run_one(r#"(name: "vague", answers: ["web"], expect: ())"#));
    assert_eq!(code, Code::NothingExpected);
    assert_eq!(text, "()");
}

#[test]
fn an_empty_fact_is_refused_at_the_facts() {
    let (code, _, text) = failure(&run_one(
        r#"(name: "blank", facts: {"platform": " "}, expect: (node: "platform"))"#,
    ));
    assert_eq!(code, Code::InvalidFact);
    assert_eq!(text, r#"{"platform": " "}"#);
}

#[test]
fn two_scenarios_with_one_name_fail_the_second() {
    let file = file(
        r#"(name: "same", answers: ["web"], expect: (node: "lights")),
           (name: "same", answers: ["app"], expect: (node: "restart-app")),"#,
    );
    let runs = match run(&file, &flows()) {
        Ok(runs) => runs,
        Err(d) => panic!("{}", d.message),
    };
    assert!(runs[0].passed());
    let (code, _, text) = failure(&runs[1]);
    assert_eq!(code, Code::DuplicateScenario);
    assert_eq!(text, "\"same\"");
}

#[test]
fn scenarios_of_an_unknown_flow_cannot_run() {
    let text = r#"Scenarios(flow: "rooter", scenarios: [])"#;
    let Ok(file) = parse(&Source::new("rooter.scenarios.ron", text)) else {
        panic!("parses");
    };
    let Err(d) = run(&file, &flows()) else {
        panic!("an unknown flow ran");
    };
    assert_eq!(d.code, Code::UnknownFlow);
    assert_eq!(d.help.as_deref(), Some("did you mean `router`?"));
}

#[test]
fn scenarios_of_a_flow_with_errors_cannot_run() {
    let broken = ROUTER.replace("goto: \"power\"", "goto: \"pwr\"");
    let report = check_sources(vec![
        Source::new("router.ron", broken),
        Source::new("cabling.ron", CABLING),
    ]);
    let Err(d) = run(&file(""), &report) else {
        panic!("a broken flow ran");
    };
    assert_eq!(d.code, Code::BrokenLink);
}

#[test]
fn a_file_named_for_another_flow_cannot_run() {
    let text = r#"Scenarios(flow: "router", scenarios: [])"#;
    let Ok(file) = parse(&Source::new("cabling.scenarios.ron", text)) else {
        panic!("parses");
    };
    let Err(d) = run(&file, &flows()) else {
        panic!("a misnamed file ran");
    };
    assert_eq!(d.code, Code::IdMismatch);
}

#[test]
fn coverage_lists_what_no_scenario_reaches() {
    let file = file(
        r#"(name: "web off", answers: ["web", "off"], expect: (status: Done)),
           (name: "app fixed", answers: ["app", "yes"], expect: (status: Resolved)),"#,
    );
    let report = flows();
    let runs = match run(&file, &report) {
        Ok(runs) => runs,
        Err(d) => panic!("{}", d.message),
    };
    let coverage = Coverage::of(
        report.catalog.iter().map(|f| f.as_ref()),
        runs.iter().flat_map(|r| &r.visits),
    );
    let router = coverage
        .flows
        .iter()
        .find(|f| f.flow == "router")
        .unwrap_or_else(|| panic!("router is covered"));
    assert_eq!(router.missed_nodes, ["unplug", "note", "cabling"]);
    let missed: Vec<String> = router
        .missed_answers
        .iter()
        .map(|(n, a)| format!("{n}={a}"))
        .collect();
    assert_eq!(
        missed,
        [
            "restart-app=no",
            "lights=on",
            "unplug=yes",
            "unplug=no",
            "note=next"
        ]
    );
    assert!(!coverage.is_complete());
    let text = coverage.to_string();
    assert!(text.starts_with("coverage: 5 of 11 nodes"), "{text}");
}

#[test]
fn coverage_is_complete_when_every_node_and_answer_is_reached() {
    let file = file(
        r#"(name: "web off", answers: ["web", "off"], expect: (status: Done)),
           (name: "app fixed", answers: ["app", "yes"], expect: (status: Resolved)),
           (name: "app not fixed, unplug works", answers: ["app", "no", "on", "yes"], expect: (status: Resolved, node: "unplug")),
           (name: "to cabling, fixed", answers: ["web", "on", "no", "next", "no"], expect: (status: Resolved, flow: "cabling")),
           (name: "to cabling, support", answers: ["web", "on", "no", "next", "yes"], expect: (status: Escalated, flow: "cabling")),"#,
    );
    let report = flows();
    let runs = match run(&file, &report) {
        Ok(runs) => runs,
        Err(d) => panic!("{}", d.message),
    };
    assert!(runs.iter().all(ScenarioRun::passed));
    let coverage = Coverage::of(
        report.catalog.iter().map(|f| f.as_ref()),
        runs.iter().flat_map(|r| &r.visits),
    );
    assert!(coverage.is_complete(), "{coverage}");
}
