//! Details at an escalation: each kind and pattern checked by the walk, with the problem
//! said in the customer's language.

use std::collections::BTreeMap;

use stepwise_engine::{Catalog, DetailProblem, Source, Walk, WalkError, check_sources};

const CONTACT: &str = r#"Flow(
    id: "contact",
    title: "Contact support",
    summary: "Straight to a person.",
    start: "contact",
    nodes: {
        "contact": Escalate(
            text: "Tell us how to reach you.",
            collect: [
                (id: "email", label: "Your email", kind: email),
                (id: "phone", label: "Your phone number", kind: phone, optional: true),
                (id: "amount", label: "Amount", kind: amount, optional: true),
                (id: "date", label: "Date of the deposit", kind: date, optional: true),
                (id: "link", label: "Link to a screenshot", kind: url, optional: true),
                (id: "txid", label: "TxID", kind: txid, optional: true),
                (id: "digits", label: "Last 4 digits", pattern: "[0-9]{4}", optional: true, max_len: 4),
                (id: "what", label: "What happened", kind: text, max_len: 1000),
            ],
        ),
    },
)"#;

fn catalog() -> Catalog {
    let report = check_sources(vec![Source::new("contact.ron", CONTACT)]);
    assert_eq!(report.errors(), 0, "{:?}", report.diagnostics);
    report.catalog
}

fn details(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn problems(walk: &mut Walk, flows: &Catalog, given: &[(&str, &str)]) -> Vec<DetailProblem> {
    match walk.submit_details(flows, details(given)) {
        Err(WalkError::InvalidDetails { problems }) => problems,
        other => panic!("expected invalid details, got {other:?}"),
    }
}

#[test]
fn each_kind_refuses_a_value_not_of_it_and_says_what_it_wants() {
    let flows = catalog();
    let (mut walk, _) = Walk::start(&flows, "contact", BTreeMap::new()).unwrap();
    let found = problems(
        &mut walk,
        &flows,
        &[
            ("email", "ana at example.com"),
            ("phone", "call me"),
            ("amount", "about half a coin"),
            ("date", "2026-02-30"),
            ("link", "javascript:alert(1)"),
            ("txid", "abc"),
            ("digits", "12a4"),
            ("what", "It never arrived."),
        ],
    );
    let by_id: BTreeMap<&str, &str> = found
        .iter()
        .map(|p| (p.id.as_str(), p.problem.as_str()))
        .collect();
    assert_eq!(
        by_id.keys().copied().collect::<Vec<_>>(),
        ["amount", "date", "digits", "email", "link", "phone", "txid"]
    );
    assert_eq!(
        by_id["email"],
        "Your email: enter an email address, like name@example.com."
    );
    assert!(
        by_id["date"].contains("year-month-day"),
        "{}",
        by_id["date"]
    );
    assert!(
        by_id["txid"].contains("transaction ID"),
        "{}",
        by_id["txid"]
    );
    assert!(
        by_id["digits"].starts_with("Last 4 digits: "),
        "{}",
        by_id["digits"]
    );
    assert!(
        walk.details().is_empty(),
        "nothing is kept while a detail is refused"
    );
}

#[test]
fn values_of_each_kind_are_accepted_and_kept_trimmed() {
    let flows = catalog();
    let (mut walk, _) = Walk::start(&flows, "contact", BTreeMap::new()).unwrap();
    walk.submit_details(
        &flows,
        details(&[
            ("email", " ana@example.com "),
            ("phone", "+44 20 7946 0958"),
            ("amount", "1,500.75"),
            ("date", "2024-02-29"),
            ("link", "https://example.com/shot.png"),
            (
                "txid",
                "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060",
            ),
            ("digits", "0958"),
            ("what", "It never arrived.\nI waited two days."),
        ]),
    )
    .unwrap();
    assert_eq!(walk.details()["email"], "ana@example.com");
    assert_eq!(walk.details().len(), 8);
}

#[test]
fn optional_details_left_empty_are_not_checked_against_their_kind() {
    let flows = catalog();
    let (mut walk, _) = Walk::start(&flows, "contact", BTreeMap::new()).unwrap();
    walk.submit_details(
        &flows,
        details(&[("email", "ana@example.com"), ("phone", "  "), ("what", "x")]),
    )
    .unwrap();
    assert!(!walk.details().contains_key("phone"));
}

#[test]
fn problems_are_said_in_the_walks_language() {
    let flows = catalog();
    let (mut walk, _) = Walk::start(&flows, "contact", BTreeMap::new()).unwrap();
    walk.set_locale("de");
    let found = problems(
        &mut walk,
        &flows,
        &[("email", "ana"), ("amount", "viel"), ("surname", "x")],
    );
    let by_id: BTreeMap<&str, &str> = found
        .iter()
        .map(|p| (p.id.as_str(), p.problem.as_str()))
        .collect();
    assert_eq!(
        by_id["email"],
        "Your email: Bitte geben Sie eine E-Mail-Adresse ein, zum Beispiel name@example.com."
    );
    assert!(by_id["amount"].contains("als Zahl"), "{}", by_id["amount"]);
    assert_eq!(
        by_id["what"],
        "What happened: Bitte füllen Sie dieses Feld aus."
    );
    assert_eq!(by_id["surname"], "wird hier nicht abgefragt");
}

#[test]
fn a_long_value_is_refused_for_its_length_before_its_kind() {
    let flows = catalog();
    let (mut walk, _) = Walk::start(&flows, "contact", BTreeMap::new()).unwrap();
    let long = "9".repeat(5);
    let found = problems(
        &mut walk,
        &flows,
        &[
            ("email", "ana@example.com"),
            ("what", "x"),
            ("digits", &long),
        ],
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0].problem,
        "Last 4 digits must be at most 4 characters"
    );
}

proptest::proptest! {
    #[test]
    fn any_text_in_any_detail_is_accepted_or_refused_never_a_panic(
        values in proptest::collection::vec(".{0,80}", 8)
    ) {
        let flows = catalog();
        let (mut walk, _) = Walk::start(&flows, "contact", BTreeMap::new()).unwrap();
        let ids = ["email", "phone", "amount", "date", "link", "txid", "digits", "what"];
        let given: BTreeMap<String, String> = ids
            .iter()
            .zip(values)
            .map(|(id, value)| (id.to_string(), value))
            .collect();
        match walk.submit_details(&flows, given) {
            Ok(()) | Err(WalkError::InvalidDetails { .. }) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
}
