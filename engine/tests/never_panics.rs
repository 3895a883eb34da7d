//! Loading and checking never panic, whatever the text: every flow under `flows/` and
//! every case under `tests/broken/` is mutated at random (characters and spans deleted,
//! inserted and replaced, lines duplicated, the end cut off), then checked and every
//! diagnostic rendered. Scenario files are mutated the same way and run.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use stepwise_engine::scenario;
use stepwise_engine::{CheckReport, Source, Style, check_paths, check_sources};

/// The texts to mutate, with their file names.
fn corpus() -> &'static [(String, String)] {
    static CORPUS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        for dir in ["flows", "tests/broken"] {
            collect(&root.join(dir), &mut files);
        }
        files.sort();
        let corpus: Vec<(String, String)> = files
            .iter()
            .filter_map(|path| {
                let text = std::fs::read_to_string(path).ok()?;
                let name = path.file_name()?.to_str()?.to_owned();
                Some((name, text))
            })
            .collect();
        assert!(corpus.len() >= 10, "the corpus is there: {}", corpus.len());
        corpus
    })
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.flatten().map(|e| e.path()) {
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "ron") {
            files.push(path);
        }
    }
}

/// The bundled flows, checked once, for the scenarios to run against.
fn bundled() -> &'static CheckReport {
    static BUNDLED: OnceLock<CheckReport> = OnceLock::new();
    BUNDLED.get_or_init(|| check_paths(&[Path::new(env!("CARGO_MANIFEST_DIR")).join("../flows")]))
}

/// Parses and runs a scenario file over the bundled flows, rendering every failure.
fn run_and_render(source: &Source) {
    let failures: Vec<_> = match scenario::parse(source) {
        Err(d) => vec![*d],
        Ok(file) => match scenario::run(&file, bundled()) {
            Err(d) => vec![*d],
            Ok(runs) => runs.into_iter().filter_map(|r| r.failure).collect(),
        },
    };
    for d in failures {
        assert!(!d.render(Style::Plain).is_empty());
    }
}

/// Pieces of RON (and of things that are not) worth inserting.
const PIECES: &[&str] = &[
    "\"",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "#",
    "!",
    "r#\"",
    "\"#",
    "/*",
    "*/",
    "//",
    "\\",
    "\\u{",
    "'",
    "é",
    "\u{0}",
    "\n",
    "Some(",
    "None",
    "Link(flow: \"a\")",
    "Info(text: \"t\", next: \"done\")",
    "\"done\": Done(text: \"x\"),",
    "#![enable(implicit_some)]",
    "1e999",
    "-",
    "_",
    "Flow(",
    "id: \"x\",",
    "start",
    "nodes: {}",
    "answers: [\"x=\"]",
    "expect: ()",
    "(status: Done)",
    "Rejected(given: {}, problems: [\"a\"])",
    "\u{fffd}",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, piece: usize },
    InsertChar { at: usize, c: char },
    Replace { at: usize, len: usize, piece: usize },
    DuplicateLine { at: usize },
    SwapSpans { a: usize, b: usize, len: usize },
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), 0..PIECES.len()).prop_map(|(at, piece)| Mutation::Insert { at, piece }),
        (any::<usize>(), any::<char>()).prop_map(|(at, c)| Mutation::InsertChar { at, c }),
        (any::<usize>(), 1usize..20, 0..PIECES.len())
            .prop_map(|(at, len, piece)| Mutation::Replace { at, len, piece }),
        any::<usize>().prop_map(|at| Mutation::DuplicateLine { at }),
        (any::<usize>(), any::<usize>(), 1usize..30).prop_map(|(a, b, len)| Mutation::SwapSpans {
            a,
            b,
            len
        }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

/// A char boundary near `at` (taken modulo the length).
fn boundary(text: &str, at: usize) -> usize {
    let mut i = at % (text.len() + 1);
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &mut String, mutation: &Mutation) {
    match *mutation {
        Mutation::Delete { at, len } => {
            let start = boundary(text, at);
            let end = boundary(text, start + len.min(text.len() - start));
            text.replace_range(start..end.max(start), "");
        }
        Mutation::Insert { at, piece } => {
            let at = boundary(text, at);
            text.insert_str(at, PIECES[piece]);
        }
        Mutation::InsertChar { at, c } => {
            let at = boundary(text, at);
            text.insert(at, c);
        }
        Mutation::Replace { at, len, piece } => {
            let start = boundary(text, at);
            let end = boundary(text, start + len.min(text.len() - start));
            text.replace_range(start..end.max(start), PIECES[piece]);
        }
        Mutation::DuplicateLine { at } => {
            let at = boundary(text, at);
            let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            let end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
            let line = text[start..end].to_owned();
            text.insert_str(end, &line);
        }
        Mutation::SwapSpans { a, b, len } => {
            let (a, b) = (boundary(text, a), boundary(text, b));
            let (first, second) = (a.min(b), a.max(b));
            let first_end = boundary(text, (first + len).min(second));
            let second_end = boundary(text, (second + len).min(text.len()));
            let one = text[first..first_end].to_owned();
            let two = text[second..second_end].to_owned();
            text.replace_range(second..second_end, &one);
            text.replace_range(first..first_end, &two);
        }
        Mutation::Truncate { at } => {
            let at = boundary(text, at);
            text.truncate(at);
        }
    }
}

/// Checks the sources and renders everything found, as `stepwise check` would.
fn check_and_render(sources: Vec<Source>) {
    let report = check_sources(sources);
    for d in &report.diagnostics {
        assert!(!d.render(Style::Plain).is_empty());
        let _ = d.render(Style::Colour);
        let _ = serde_json::to_string(&d.to_json()).expect("JSON");
    }
    let _ = report.summary();
}

proptest! {
    // A few hundred cases keep the suite fast; `PROPTEST_CASES=100000` searches harder.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300),
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_flows_never_make_the_checker_panic(
        pick in any::<usize>(),
        other in any::<usize>(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let corpus = corpus();
        let (name, text) = &corpus[pick % corpus.len()];
        let mut text = text.clone();
        for m in &mutations {
            apply(&mut text, m);
        }
        // With another, intact flow beside it, so the cross-flow rules run too.
        let (other_name, other_text) = &corpus[other % corpus.len()];
        check_and_render(vec![
            Source::new(name.as_str(), text),
            Source::new(format!("other/{other_name}"), other_text.as_str()),
        ]);
    }

    #[test]
    fn arbitrary_bytes_never_make_the_checker_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        match Source::from_bytes("bytes.ron", bytes) {
            Ok(source) => check_and_render(vec![source]),
            Err(d) => {
                assert!(!d.render(Style::Plain).is_empty());
            }
        }
    }

    #[test]
    fn mutated_scenarios_never_make_the_runner_panic(
        pick in any::<usize>(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let scenarios: Vec<&(String, String)> = corpus()
            .iter()
            .filter(|(name, _)| name.ends_with(".scenarios.ron"))
            .collect();
        prop_assert!(!scenarios.is_empty());
        let (name, text) = scenarios[pick % scenarios.len()];
        let mut text = text.clone();
        for m in &mutations {
            apply(&mut text, m);
        }
        run_and_render(&Source::new(name.as_str(), text));
    }
}
