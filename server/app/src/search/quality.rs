//! The search over the bundled flows, measured with what customers type: every query in
//! `tests/search/queries.ron` is run and its expected flow looked for among the results.

use std::path::Path;

use serde::Deserialize;

use crate::Library;

/// The least share of queries whose flow must come first, and among the first three.
const TOP1_FLOOR: f64 = 0.9;
const TOP3_FLOOR: f64 = 0.97;

#[derive(Deserialize)]
struct Case {
    query: String,
    flow: String,
    #[serde(default = "english")]
    locale: String,
}

fn english() -> String {
    "en".to_owned()
}

/// The share of queries whose flow came first, and among the first three.
struct Rates {
    top1: f64,
    top3: f64,
}

fn measure(library: &Library, cases: &[Case]) -> Rates {
    let (mut top1, mut top3) = (0, 0);
    for case in cases {
        let hits = library.index_in(&case.locale).search(&case.query);
        let rank = hits.iter().position(|h| h.id == case.flow);
        match rank {
            Some(0) => top1 += 1,
            _ => {
                let found: Vec<&str> = hits.iter().take(3).map(|h| h.id.as_str()).collect();
                println!(
                    "miss [{}] {:?}: wanted {}, got {:?}",
                    case.locale, case.query, case.flow, found
                );
            }
        }
        if rank.is_some_and(|r| r < 3) {
            top3 += 1;
        }
    }
    let total = cases.len() as f64;
    Rates {
        top1: f64::from(top1) / total,
        top3: f64::from(top3) / total,
    }
}

#[test]
fn customers_find_the_flow_they_describe() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text = std::fs::read_to_string(workspace.join("tests/search/queries.ron")).unwrap();
    let cases: Vec<Case> = ron::from_str(&text).unwrap();
    let (library, report) = Library::load(&workspace.join("flows"));
    assert_eq!(report.errors(), 0);
    // Every expected flow is a bundled flow: a renamed flow must not count as a miss only.
    for case in &cases {
        assert!(library.catalog().get(&case.flow).is_some(), "{}", case.flow);
    }
    assert!(cases.len() >= 60, "only {} queries", cases.len());

    let rates = measure(&library, &cases);
    println!(
        "{} queries: top-1 {:.1}%, top-3 {:.1}%",
        cases.len(),
        rates.top1 * 100.0,
        rates.top3 * 100.0
    );
    // Floors below what the search reaches, so that a change that loses queries fails.
    assert!(rates.top1 >= TOP1_FLOOR, "top-1 fell below {TOP1_FLOOR}");
    assert!(rates.top3 >= TOP3_FLOOR, "top-3 fell below {TOP3_FLOOR}");
}
