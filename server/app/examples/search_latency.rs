//! How long a search takes: over the bundled flows, and over a generated catalog of 10,000
//! flows made of the bundled flows' words. Prints the time to build each index and the
//! median and slowest search over the customer queries in `tests/search/queries.ron`.
//!
//! `cargo run --release -p stepwise-app --example search_latency`

use std::path::Path;
use std::time::{Duration, Instant};

use stepwise_app::Library;
use stepwise_app::search::Index;
use stepwise_engine::{DEFAULT_LOCALE, Source, check_sources};

/// Flows in the generated catalog.
const GENERATED: usize = 10_000;
/// Times each query is run.
const ROUNDS: usize = 5;

#[derive(serde::Deserialize)]
struct Case {
    query: String,
}

fn main() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text = std::fs::read_to_string(workspace.join("tests/search/queries.ron"))
        .unwrap_or_else(|e| panic!("cannot read the query set: {e}"));
    let queries: Vec<String> = ron::from_str::<Vec<Case>>(&text)
        .unwrap_or_else(|e| panic!("the query set does not parse: {e}"))
        .into_iter()
        .map(|c| c.query)
        .collect();

    let (library, _) = Library::load(&workspace.join("flows"));
    let bundled: Vec<_> = library
        .catalog()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    measure("bundled", &bundled, &queries);

    let words: Vec<String> = bundled
        .iter()
        .flat_map(|f| {
            let raw = f.raw();
            let texts: Vec<String> = raw
                .nodes
                .values()
                .filter_map(|n| n.text())
                .map(str::to_owned)
                .chain([raw.title.clone(), raw.summary.clone()])
                .collect();
            texts
        })
        .flat_map(|t| {
            t.split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.len() > 2)
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
        })
        .collect();
    let started = Instant::now();
    let report = check_sources(generate(&words));
    let generated: Vec<_> = report.catalog.iter().map(|f| f.as_ref().clone()).collect();
    assert_eq!(
        generated.len(),
        GENERATED,
        "{:?}",
        report.diagnostics.first()
    );
    println!(
        "generated and checked {GENERATED} flows in {:?}",
        started.elapsed()
    );
    measure("generated", &generated, &queries);
}

fn measure(name: &str, flows: &[stepwise_engine::Flow], queries: &[String]) {
    let started = Instant::now();
    let index = Index::new(flows.iter(), DEFAULT_LOCALE);
    let built = started.elapsed();
    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..ROUNDS {
        for query in queries {
            let started = Instant::now();
            std::hint::black_box(index.search(query));
            times.push(started.elapsed());
        }
    }
    times.sort();
    let median = times[times.len() / 2];
    let p99 = times[times.len() * 99 / 100];
    let slowest = times[times.len() - 1];
    println!(
        "{name}: {} flows, index built in {built:?}; {} searches: median {median:?}, \
         99th percentile {p99:?}, slowest {slowest:?}",
        flows.len(),
        times.len()
    );
}

/// Flows of words picked from `words` by a fixed pseudo-random sequence: the same catalog on
/// every run.
fn generate(words: &[String]) -> Vec<Source> {
    let mut state: u64 = 0x5eed;
    let mut pick = |n: usize| -> String {
        (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                words[(state >> 33) as usize % words.len()].as_str()
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    (0..GENERATED)
        .map(|i| {
            let id = format!("generated-{i}");
            let text = format!(
                r#"Flow(id: "{id}", title: "{}", summary: "{}", tags: ["{}", "{}"], start: "ask",
                   nodes: {{
                       "ask": Question(text: "{}", answers: [
                           (id: "one", label: "{}", goto: "fix"),
                           (id: "two", label: "{}", goto: "done"),
                       ]),
                       "fix": Remedy(text: "{}", otherwise: "done"),
                       "done": Done(text: "{}"),
                   }})"#,
                pick(6),
                pick(20),
                pick(1),
                pick(2),
                pick(25),
                pick(4),
                pick(4),
                pick(60),
                pick(15)
            );
            Source::new(format!("{id}.ron"), text)
        })
        .collect()
}
