//! Traversal: facts, branches, remedies, links, back and restart, and bad answers.

use std::collections::BTreeMap;

use stepwise_engine::Source;
use stepwise_engine::{Catalog, Status, StepKind, Walk, WalkError, check_sources};

const ROUTER: &str = include_str!("fixtures/router.ron");
const CABLING: &str = include_str!("fixtures/cabling.ron");

fn catalog() -> Catalog {
    let report = check_sources(vec![
        Source::new("router.ron", ROUTER),
        Source::new("cabling.ron", CABLING),
    ]);
    assert_eq!(report.catalog.len(), 2, "{:?}", report.diagnostics);
    report.catalog
}

fn facts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn a_known_fact_skips_its_question_and_drives_the_branch() {
    let flows = catalog();
    let (walk, step) = Walk::start(&flows, "router", facts(&[("platform", "app")])).unwrap();
    assert_eq!(step.node, "restart-app");
    assert_eq!(step.kind, StepKind::Remedy);
    assert_eq!(step.position, 0);
    assert!(!step.can_go_back);
    assert_eq!(walk.status(), Status::Active);
}

#[test]
fn an_answer_records_its_fact_for_later_branches() {
    let flows = catalog();
    let (mut walk, step) = Walk::start(&flows, "router", BTreeMap::new()).unwrap();
    assert_eq!(step.node, "platform");
    let step = walk.answer(&flows, "app").unwrap();
    assert_eq!(step.node, "restart-app");
    assert_eq!(walk.facts(&flows).unwrap()["platform"], "app");
}

#[test]
fn a_branch_without_a_matching_case_takes_its_default() {
    let flows = catalog();
    let (_, step) = Walk::start(&flows, "router", facts(&[("platform", "web")])).unwrap();
    assert_eq!(step.node, "lights");
    let (_, step) = Walk::start(&flows, "router", facts(&[("platform", "tv")])).unwrap();
    // An unknown value cannot answer the question, so it is asked.
    assert_eq!(step.node, "platform");
}

#[test]
fn a_remedy_that_works_resolves_the_walk() {
    let flows = catalog();
    let (mut walk, _) = Walk::start(&flows, "router", facts(&[("platform", "web")])).unwrap();
    walk.answer(&flows, "on").unwrap();
    let step = walk.answer(&flows, "yes").unwrap();
    assert_eq!(step.kind, StepKind::Resolved);
    let outcome = step.outcome.unwrap();
    assert_eq!(outcome.resolved_by.as_deref(), Some("unplug"));
    assert_eq!(walk.status(), Status::Resolved);
    assert_eq!(walk.answer(&flows, "yes"), Err(WalkError::Finished));
}

#[test]
fn a_remedy_that_fails_goes_on_and_a_link_continues_in_the_other_flow() {
    let flows = catalog();
    let (mut walk, _) = Walk::start(&flows, "router", facts(&[("platform", "web")])).unwrap();
    walk.answer(&flows, "on").unwrap();
    let step = walk.answer(&flows, "no").unwrap();
    assert_eq!(step.kind, StepKind::Info);
    let step = walk.answer(&flows, "next").unwrap();
    assert_eq!(
        (step.flow.as_str(), step.node.as_str()),
        ("cabling", "cable")
    );
    assert_eq!(
        walk.versions().keys().collect::<Vec<_>>(),
        vec!["cabling", "router"]
    );
    let step = walk.answer(&flows, "yes").unwrap();
    assert_eq!(step.kind, StepKind::Escalate);
    assert_eq!(walk.status(), Status::Escalated);
}

#[test]
fn back_crosses_a_link_into_the_previous_flow() {
    let flows = catalog();
    let (mut walk, _) = Walk::start(&flows, "router", facts(&[("platform", "web")])).unwrap();
    for answer in ["on", "no", "next"] {
        walk.answer(&flows, answer).unwrap();
    }
    let step = walk.back(&flows).unwrap();
    assert_eq!((step.flow.as_str(), step.node.as_str()), ("router", "note"));
    let step = walk.back(&flows).unwrap();
    assert_eq!(step.node, "unplug");
    let step = walk.back(&flows).unwrap();
    assert_eq!(step.node, "lights");
    assert_eq!(walk.back(&flows), Err(WalkError::AtStart));
}

#[test]
fn back_undoes_a_recorded_fact() {
    let flows = catalog();
    let (mut walk, _) = Walk::start(&flows, "router", BTreeMap::new()).unwrap();
    walk.answer(&flows, "app").unwrap();
    let step = walk.back(&flows).unwrap();
    assert_eq!(step.node, "platform");
    assert!(!walk.facts(&flows).unwrap().contains_key("platform"));
    let step = walk.answer(&flows, "web").unwrap();
    assert_eq!(step.node, "lights");
}

#[test]
fn back_from_a_resolved_remedy_asks_again() {
    let flows = catalog();
    let (mut walk, _) = Walk::start(&flows, "router", facts(&[("platform", "app")])).unwrap();
    walk.answer(&flows, "yes").unwrap();
    let step = walk.back(&flows).unwrap();
    assert_eq!(step.kind, StepKind::Remedy);
    assert_eq!(walk.status(), Status::Active);
}

#[test]
fn an_answer_not_offered_is_rejected_and_changes_nothing() {
    let flows = catalog();
    let (mut walk, _) = Walk::start(&flows, "router", BTreeMap::new()).unwrap();
    let before = walk.clone();
    let err = walk.answer(&flows, "tv").unwrap_err();
    assert_eq!(
        err,
        WalkError::NotOffered {
            answer: "tv".into(),
            offered: vec!["app".into(), "web".into()],
        }
    );
    assert_eq!(walk, before);
}

#[test]
fn restart_returns_to_the_first_step_with_the_given_facts() {
    let flows = catalog();
    let (mut walk, first) = Walk::start(&flows, "router", facts(&[("platform", "web")])).unwrap();
    walk.answer(&flows, "off").unwrap();
    assert_eq!(walk.status(), Status::Done);
    let step = walk.restart(&flows).unwrap();
    assert_eq!(step, first);
    assert_eq!(walk.status(), Status::Active);
}

#[test]
fn an_unknown_flow_is_an_error() {
    let flows = catalog();
    assert_eq!(
        Walk::start(&flows, "toaster", BTreeMap::new()).unwrap_err(),
        WalkError::UnknownFlow("toaster".into())
    );
}

#[test]
fn details_are_checked_at_an_escalation() {
    let flows = catalog();
    let (mut walk, _) = Walk::start(&flows, "router", facts(&[("platform", "web")])).unwrap();
    assert_eq!(
        walk.submit_details(&flows, BTreeMap::new()),
        Err(WalkError::NotEscalated)
    );
    for answer in ["on", "no", "next", "yes"] {
        walk.answer(&flows, answer).unwrap();
    }
    let Err(WalkError::InvalidDetails { problems }) = walk.submit_details(
        &flows,
        facts(&[("serial", "12345678901"), ("colour", "red")]),
    ) else {
        panic!("expected invalid details");
    };
    let ids: Vec<_> = problems.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["colour", "serial"]);
    assert!(walk.details().is_empty());
    walk.submit_details(&flows, facts(&[("serial", " SN-1 ")]))
        .unwrap();
    assert_eq!(walk.details()["serial"], "SN-1");
}

#[test]
fn a_walk_survives_serialization() {
    let flows = catalog();
    let (mut walk, _) = Walk::start(&flows, "router", BTreeMap::new()).unwrap();
    walk.answer(&flows, "web").unwrap();
    let json = serde_json::to_string(&walk).unwrap();
    let back: Walk = serde_json::from_str(&json).unwrap();
    assert_eq!(back, walk);
    assert_eq!(back.current(&flows).unwrap().node, "lights");
}

#[test]
fn the_transcript_lists_questions_answers_and_the_outcome() {
    let flows = catalog();
    let (mut walk, _) = Walk::start(&flows, "router", facts(&[("platform", "web")])).unwrap();
    for answer in ["on", "no", "next", "yes"] {
        walk.answer(&flows, answer).unwrap();
    }
    walk.submit_details(&flows, facts(&[("serial", "SN-1")]))
        .unwrap();
    let transcript = walk.transcript(&flows).unwrap().to_string();
    let versions = walk.versions();
    let expected = format!(
        "# My router is down

- Flow: `cabling` {}, `router` {}
- Status: escalated
- Facts given:
  - `platform`: `web`

## Steps

1. Where are you reading this?
   - **On the website** (already known)
2. Are the lights on?
   - **Yes**
3. Unplug it for **30 seconds**.
   - **No, it still isn't working**
4. We will hand you over to the cabling guide.
   - **Continue**
- Continued in another flow (`cabling`)
5. Is the cable firmly in?
   - **Yes**

## Now

Escalated to support: Call us.

## Details for support

- Serial number: `SN-1`
- Photo link: (not given)
",
        versions["cabling"], versions["router"]
    );
    assert_eq!(transcript, expected);
}

#[test]
fn a_jump_moves_to_any_node_and_back_undoes_it() {
    let flows = catalog();
    let (mut walk, _) = Walk::start(&flows, "router", facts(&[("platform", "web")])).unwrap();
    walk.answer(&flows, "on").unwrap();
    let step = walk.jump(&flows, "note").unwrap();
    assert_eq!(step.node, "note");
    assert_eq!(step.position, 2);
    let history = walk.history(&flows).unwrap();
    let jumped = history.iter().find(|h| h.node == "unplug").unwrap();
    assert_eq!(jumped.answer.as_ref().unwrap().id, stepwise_engine::JUMPED);
    let step = walk.back(&flows).unwrap();
    assert_eq!(step.node, "unplug");
    assert_eq!(step.kind, StepKind::Remedy);
    let step = walk.back(&flows).unwrap();
    assert_eq!(step.node, "lights");
}

#[test]
fn a_jump_to_a_missing_node_changes_nothing() {
    let flows = catalog();
    let (mut walk, _) = Walk::start(&flows, "router", facts(&[("platform", "web")])).unwrap();
    let before = walk.clone();
    assert!(matches!(
        walk.jump(&flows, "nowhere"),
        Err(WalkError::UnknownNode { .. })
    ));
    assert_eq!(walk, before);
}

#[test]
fn a_jump_from_an_outcome_reopens_the_walk() {
    let flows = catalog();
    let (mut walk, _) = Walk::start(&flows, "router", facts(&[("platform", "app")])).unwrap();
    walk.answer(&flows, "yes").unwrap();
    assert_eq!(walk.status(), Status::Resolved);
    let step = walk.jump(&flows, "lights").unwrap();
    assert_eq!(step.node, "lights");
    assert_eq!(walk.status(), Status::Active);
}

/// A flow whose ids have accents, written in `form` (an id in NFC or NFD), in a file named
/// after its id in that form.
fn accented(form: fn(&str) -> String) -> Catalog {
    let text = format!(
        r#"Flow(id: "{menu}", title: "Menu", summary: "S", inputs: ["{region}"], start: "{choice}",
        nodes: {{
            "{choice}": Branch(fact: "{region}", cases: {{"{orleans}": "{end}"}}, default: "{drink}"),
            "{drink}": Question(text: "?", answers: [
                (id: "{cafe}", label: "Coffee", goto: "{end}"),
                (id: "the", label: "Tea", goto: "{cream}"),
            ]),
            "{cream}": Done(text: "Milk?"),
            "{end}": Resolved(text: "Enjoy."),
        }})"#,
        menu = form("menu-caf\u{e9}"),
        region = form("r\u{e9}gion"),
        choice = form("o\u{f9}"),
        orleans = form("orl\u{e9}ans"),
        end = form("fin-\u{e9}t\u{e9}"),
        drink = form("boisson-caf\u{e9}"),
        cafe = form("caf\u{e9}"),
        cream = form("cr\u{e8}me"),
    );
    let report = check_sources(vec![Source::new(
        format!("{}.ron", form("menu-caf\u{e9}")),
        text,
    )]);
    assert_eq!(report.catalog.len(), 1, "{:?}", report.diagnostics);
    report.catalog
}

/// The NFD form of the few accented letters `accented` uses.
fn nfd(id: &str) -> String {
    id.replace('\u{e9}', "e\u{301}")
        .replace('\u{e8}', "e\u{300}")
        .replace('\u{f9}', "u\u{300}")
}

#[test]
fn ids_from_a_client_match_in_any_normalisation_form() {
    for (written, sent) in [
        (
            str::to_owned as fn(&str) -> String,
            nfd as fn(&str) -> String,
        ),
        (nfd, str::to_owned),
    ] {
        let flows = accented(written);
        let (mut walk, step) =
            Walk::start(&flows, &sent("menu-caf\u{e9}"), BTreeMap::new()).unwrap();
        assert_eq!(step.node, "boisson-caf\u{e9}", "ids are kept in NFC");
        let step = walk.answer(&flows, &sent("caf\u{e9}")).unwrap();
        assert_eq!(step.kind, StepKind::Resolved);
        let history = walk.history(&flows).unwrap();
        let answered = history.iter().find(|entry| !entry.automatic).unwrap();
        assert_eq!(answered.answer.as_ref().unwrap().id, "caf\u{e9}");

        walk.back(&flows).unwrap();
        let step = walk.jump(&flows, &sent("cr\u{e8}me")).unwrap();
        assert_eq!(step.node, "cr\u{e8}me");

        let given = facts(&[(&sent("r\u{e9}gion"), &sent("orl\u{e9}ans"))]);
        let (_, step) = Walk::start(&flows, "menu-caf\u{e9}", given).unwrap();
        assert_eq!(
            step.node, "fin-\u{e9}t\u{e9}",
            "the fact's name and value match the branch"
        );
    }
}

#[test]
fn a_fact_with_a_value_its_input_does_not_declare_is_refused() {
    let report = check_sources(vec![Source::new(
        "f.ron",
        r#"Flow(id: "f", title: "F", summary: "s",
            inputs: [(name: "platform", values: ["app", "web"])], start: "b",
            nodes: {
                "b": Branch(fact: "platform", cases: {"app": "a", "web": "w"}, default: "w"),
                "a": Resolved(text: "App."),
                "w": Resolved(text: "Web."),
            })"#,
    )]);
    assert_eq!(report.catalog.len(), 1, "{:?}", report.diagnostics);
    let flows = report.catalog;
    let given = |value: &str| BTreeMap::from([("platform".to_owned(), value.to_owned())]);
    let (_, step) = Walk::start(&flows, "f", given("app")).unwrap();
    assert_eq!(step.node, "a");
    let refused = Walk::start(&flows, "f", given("desktop")).unwrap_err();
    assert!(
        matches!(&refused, WalkError::UndeclaredValue { name, value, .. } if name == "platform" && value == "desktop"),
        "{refused:?}"
    );
    assert_eq!(
        refused.to_string(),
        "fact `platform` takes `app`, `web`, not `desktop`"
    );
    let inputs = stepwise_engine::inputs_of(&flows, "f").unwrap();
    assert_eq!(inputs["platform"].values, ["app", "web"]);
}
