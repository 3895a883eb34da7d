use std::collections::{BTreeMap, BTreeSet};

use super::extract::extract;
use super::*;
use crate::check::check_sources as check_flows;
use crate::diagnostic::Code;
use crate::walk::Walk;

const FLOW: &str = r#"Flow(id: "card", title: "Card declined", summary: "When a card fails.", start: "kind",
    nodes: {
        "kind": Question(text: "Which card?", answers: [
            (id: "debit", label: "Debit", goto: "limit"),
            (id: "credit", label: "Credit", goto: "contact")]),
        "limit": Remedy(text: "Check the limit.", otherwise: "contact"),
        "contact": Escalate(text: "Contact us.", collect: [(id: "last4", label: "Last four digits")]),
    })"#;

fn catalog() -> Catalog {
    let report = check_flows(vec![Source::new("card.ron", FLOW)]);
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    report.catalog
}

fn t(text: &str, source: &str) -> String {
    format!("(text: {text:?}, source: {:?})", fingerprint(source))
}

/// German for everything but the remedy, whose translation is of an older text.
fn german() -> String {
    format!(
        r#"Translation(
            title: {}, summary: {},
            nodes: {{
                "kind": (text: {}, answers: {{"debit": {}, "credit": {}}}),
                "limit": (text: {}),
                "contact": (text: {}, details: {{"last4": (label: {})}}),
            }},
        )"#,
        t("Karte abgelehnt", "Card declined"),
        t("Wenn eine Karte versagt.", "When a card fails."),
        t("Welche Karte?", "Which card?"),
        t("Debit", "Debit"),
        t("Kredit", "Credit"),
        t("Prüfen Sie das Limit.", "Check the old limit."),
        t("Schreiben Sie uns.", "Contact us."),
        t("Letzte vier Ziffern", "Last four digits"),
    )
}

fn translations(text: &str) -> (Translations, Vec<Diagnostic>) {
    check_sources(
        &[Source::new("card.de.ron", text)],
        &catalog(),
        &BTreeSet::new(),
    )
}

#[test]
fn a_stale_translation_is_reported_and_not_shown() {
    let (translations, found) = translations(&german());
    let codes: Vec<Code> = found.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::StaleTranslation]);
    let flows = catalog();
    let german = InLocale::new(&flows, &translations, "de");
    let (mut walk, step) = Walk::start(&german, "card", BTreeMap::new()).expect("starts");
    assert_eq!(step.text, "Welche Karte?");
    assert_eq!(step.locale, "de");
    assert!(!step.fallback);
    let step = walk.answer(&german, "debit").expect("answers");
    assert_eq!(step.text, "Check the limit.");
    assert!(step.fallback, "the stale remedy falls back");
    assert_eq!(step.answers[0].label, "Ja, das hat geholfen");
}

#[test]
fn a_locale_without_translations_falls_back_everywhere() {
    let flows = catalog();
    let none = Translations::default();
    let french = InLocale::new(&flows, &none, "fr");
    let (_, step) = Walk::start(&french, "card", BTreeMap::new()).expect("starts");
    assert_eq!(step.text, "Which card?");
    assert!(step.fallback);
    assert_eq!(step.locale, "fr");
}

#[test]
fn translations_keep_the_flow_version() {
    let flows = catalog();
    let (translations, _) = translations(&german());
    let german = InLocale::new(&flows, &translations, "de");
    let source = flows.get("card").expect("card");
    let translated = german.flow("card", None).expect("card in German");
    assert_eq!(source.version(), translated.version());
    assert_eq!(translated.title(), "Karte abgelehnt");
}

#[test]
fn a_translation_written_twice_is_refused() {
    let (_, found) = translations(&format!(
        r#"Translation(nodes: {{"kind": (text: {}), "kind": (text: {})}})"#,
        t("A", "Which card?"),
        t("B", "Which card?")
    ));
    assert_eq!(found.len(), 1);
    assert!(
        found[0].message.contains("translated twice"),
        "{}",
        found[0].message
    );
}

#[test]
fn extract_keeps_what_is_done_and_marks_what_is_stale() {
    let flows = catalog();
    let flow = flows.get("card").expect("card");
    let (text, counts) = extract(flow, "de", None);
    assert_eq!(counts.missing, 8);
    let (_, found) = translations(&text);
    assert!(found.iter().all(|d| d.code == Code::MissingTranslation));

    let old = parse::parse(&Source::new("card.de.ron", german())).expect("parses");
    let (text, counts) = extract(flow, "de", Some(&old.translation));
    assert_eq!((counts.kept, counts.stale, counts.missing), (7, 1, 0));
    assert!(text.contains("STALE"), "{text}");
    // The updated file still says the same, so it still has the one stale text.
    let (_, found) = translations(&text);
    let codes: Vec<Code> = found.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::StaleTranslation]);
}

#[test]
fn a_flow_is_translated_once_per_source() {
    let flows = catalog();
    let (translations, _) = translations(&german());
    let german = InLocale::new(&flows, &translations, "de");
    let first = german.flow("card", None).expect("card");
    let again = german.flow("card", None).expect("card");
    assert!(Arc::ptr_eq(&first, &again));
}

#[test]
fn a_translation_names_ids_in_any_normalisation_form() {
    let flow = "Flow(id: \"menu\", title: \"Menu\", summary: \"S\", start: \"caf\u{e9}\", nodes: {
        \"caf\u{e9}\": Question(text: \"Which?\", answers: [
            (id: \"cr\u{e8}me\", label: \"Cream\", goto: \"fin\"),
            (id: \"noir\", label: \"Black\", goto: \"fin\")]),
        \"fin\": Done(text: \"Enjoy.\"),
    })";
    let report = check_flows(vec![Source::new("menu.ron", flow)]);
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    let german = format!(
        "Translation(title: {}, summary: {}, nodes: {{
            \"cafe\u{301}\": (text: {}, answers: {{\"cre\u{300}me\": {}, \"noir\": {}}}),
            \"fin\": (text: {}),
        }})",
        t("Karte", "Menu"),
        t("Z", "S"),
        t("Welcher?", "Which?"),
        t("Sahne", "Cream"),
        t("Schwarz", "Black"),
        t("Guten Appetit.", "Enjoy."),
    );
    let (translations, found) = check_sources(
        &[Source::new("menu.de.ron", german)],
        &report.catalog,
        &BTreeSet::new(),
    );
    assert!(found.is_empty(), "{found:?}");
    let in_german = InLocale::new(&report.catalog, &translations, "de");
    let (_, step) = Walk::start(&in_german, "menu", BTreeMap::new()).expect("starts");
    assert_eq!(step.text, "Welcher?");
    assert_eq!(step.answers[0].label, "Sahne");
}

#[test]
fn the_title_and_the_summary_say_apart_whether_they_kept_the_source_text() {
    let flows = catalog();
    let (full, _) = translations(&german());
    let german = InLocale::new(&flows, &full, "de").flow("card", None);
    let german = german.expect("card in German");
    assert!(!german.title_is_fallback() && !german.summary_is_fallback());

    // A stale summary: the title is German, the summary English.
    let stale_summary = german_with_summary(&t("Alt.", "An older summary."));
    let (stale, _) = translations(&stale_summary);
    let flow = InLocale::new(&flows, &stale, "de").flow("card", None);
    let flow = flow.expect("card in German");
    assert_eq!(flow.title(), "Karte abgelehnt");
    assert!(!flow.title_is_fallback());
    assert!(flow.summary_is_fallback() && flow.header_is_fallback());

    // No translation at all: both English.
    let (none, _) = translations("Translation(nodes: {})");
    let flow = InLocale::new(&flows, &none, "de").flow("card", None);
    let flow = flow.expect("card in German");
    assert!(flow.title_is_fallback() && flow.summary_is_fallback());
}

fn german_with_summary(summary: &str) -> String {
    format!(
        r#"Translation(title: {}, summary: {summary}, nodes: {{}})"#,
        t("Karte abgelehnt", "Card declined"),
    )
}
