//! The walk: random valid flows (and the bundled ones) walked with random moves — answers
//! offered and not, back, restart, jumps, details, a trip through JSON as the store keeps
//! it. Never a panic; after every move the walk stands at a node of its flow; a refused move
//! leaves the walk as it was.

#![no_main]

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use stepwise_engine::{Catalog, Source, Walk, check_sources};

/// A node between the start and the outcomes; its targets are indices of later nodes.
#[derive(Arbitrary, Debug)]
enum Inner {
    Question {
        answers: Vec<u8>,
        fact: Option<bool>,
    },
    Remedy {
        otherwise: u8,
    },
    Info {
        next: u8,
    },
    Branch {
        on_second: bool,
        cases: Vec<(bool, u8)>,
        default: u8,
    },
}

/// How a walk ends.
#[derive(Arbitrary, Debug)]
enum End {
    Resolved,
    Done,
    Escalate {
        details: u8,
        optional: u8,
        max_len: u8,
    },
    Link,
}

#[derive(Arbitrary, Debug)]
enum Move {
    Offered(u8),
    Answer(String),
    Back,
    Restart,
    Jump(u8),
    JumpTo(String),
    Details(Vec<(u8, String)>),
    ThroughJson,
}

#[derive(Arbitrary, Debug)]
struct Input {
    bundled: Option<u8>,
    inner: Vec<Inner>,
    ends: Vec<End>,
    facts: Vec<(u8, String)>,
    moves: Vec<Move>,
}

const FACTS: [&str; 2] = ["first", "second"];
const VALUES: [&str; 3] = ["a", "b", "c"];

/// The flow a `Link` leads to.
const LINKED: &str = r#"Flow(id: "linked", title: "Linked", start: "ask", inputs: ["first"],
  nodes: {
    "ask": Question(text: "Which?", fact: "first", answers: [
        (id: "a", label: "A", goto: "fixed"), (id: "b", label: "B", goto: "help")]),
    "fixed": Resolved(text: "Fixed."),
    "help": Escalate(text: "Support.", collect: [(id: "serial", label: "Serial", max_len: 8)]),
  })"#;

/// A flow that passes every check by construction: targets only point forward, the first
/// target of every inner node is the next node, and an outcome nothing reaches is left out.
fn flow_text(inner: &[Inner], ends: &[End]) -> String {
    let inner = &inner[..inner.len().min(12)];
    let ends = if ends.is_empty() {
        &[End::Resolved][..]
    } else {
        &ends[..ends.len().min(4)]
    };
    let total = inner.len() + ends.len();
    let id = |i: usize| format!("n{i}");
    // A later node than `i`, from a fuzzed byte.
    let later = |i: usize, b: u8| i + 1 + usize::from(b) % (total - i - 1);
    let mut targets: Vec<Vec<usize>> = Vec::new();
    let mut nodes = Vec::new();
    for (i, node) in inner.iter().enumerate() {
        let mut to = vec![i + 1];
        let text = match node {
            Inner::Question { answers, fact } => {
                let fact = match fact {
                    Some(second) => format!("fact: \"{}\", ", FACTS[usize::from(*second)]),
                    None => String::new(),
                };
                to.extend(answers.iter().take(VALUES.len() - 1).map(|b| later(i, *b)));
                let answers: String = to
                    .iter()
                    .zip(VALUES)
                    .map(|(t, v)| format!("(id: \"{v}\", label: \"{v}\", goto: \"{}\"),", id(*t)))
                    .collect();
                format!("Question(text: \"Q{i}?\", {fact}answers: [{answers}])")
            }
            Inner::Remedy { otherwise } => {
                to = vec![later(i, *otherwise)];
                format!("Remedy(text: \"Try {i}.\", otherwise: \"{}\")", id(to[0]))
            }
            Inner::Info { next } => {
                to = vec![later(i, *next)];
                format!("Info(text: \"Read {i}.\", next: \"{}\")", id(to[0]))
            }
            Inner::Branch {
                on_second,
                cases,
                default,
            } => {
                let mut map = String::new();
                let mut seen = Vec::new();
                for (second, b) in cases.iter().take(3) {
                    let value = VALUES[usize::from(*second) + seen.len() % 2];
                    if seen.contains(&value) {
                        continue;
                    }
                    seen.push(value);
                    let t = later(i, *b);
                    to.push(t);
                    let _ = write!(map, "\"{value}\": \"{}\",", id(t));
                }
                let default = later(i, *default);
                to.push(default);
                // The branch's first target is the next node, as a case.
                let _ = write!(map, "\"z\": \"{}\",", id(i + 1));
                format!(
                    "Branch(fact: \"{}\", cases: {{{map}}}, default: \"{}\")",
                    FACTS[usize::from(*on_second)],
                    id(default)
                )
            }
        };
        targets.push(to);
        nodes.push(text);
    }
    for (k, end) in ends.iter().enumerate() {
        let text = match end {
            End::Resolved => format!("Resolved(text: \"Fixed {k}.\")"),
            End::Done => format!("Done(text: \"Nothing to fix {k}.\")"),
            End::Escalate {
                details,
                optional,
                max_len,
            } => {
                let collect: String = (0..usize::from(*details % 4))
                    .map(|d| {
                        let optional = optional >> d & 1 == 1;
                        let max_len = 1 + usize::from(*max_len % 40);
                        format!("(id: \"d{d}\", label: \"D{d}\", optional: {optional}, max_len: {max_len}),")
                    })
                    .collect();
                format!("Escalate(text: \"Support {k}.\", collect: [{collect}])")
            }
            End::Link => "Link(flow: \"linked\")".to_owned(),
        };
        nodes.push(text);
        targets.push(Vec::new());
    }
    // Keep the nodes something reaches (every inner node is, through its predecessor).
    let mut reached = vec![false; total];
    reached[0] = true;
    for i in 0..total {
        if reached[i] {
            for &t in &targets[i] {
                reached[t] = true;
            }
        }
    }
    let mut body = String::new();
    for (i, node) in nodes.iter().enumerate() {
        if reached[i] {
            let _ = writeln!(body, "    \"{}\": {node},", id(i));
        }
    }
    format!(
        "Flow(id: \"fuzzed\", title: \"Fuzzed\", inputs: [\"first\", \"second\"], start: \"n0\",\n  nodes: {{\n{body}  }})"
    )
}

fn bundled() -> &'static Catalog {
    static BUNDLED: OnceLock<Catalog> = OnceLock::new();
    BUNDLED.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../flows");
        stepwise_engine::check_paths(&[dir]).catalog
    })
}

/// The walk must stand at a node of the flow it says it is in.
fn assert_at_a_node(walk: &Walk, flows: &Catalog) {
    let step = walk.current(flows).expect("the walk has a current step");
    let flow = flows
        .get(&step.flow)
        .expect("the step's flow is in the catalog");
    assert!(
        flow.node(&step.node).is_some(),
        "{} is not a node of {}",
        step.node,
        step.flow
    );
    walk.history(flows).expect("the walk has a history");
    walk.transcript(flows).expect("the walk has a transcript");
}

fuzz_target!(|input: Input| {
    let generated;
    let (flows, flow): (&Catalog, String) = match input.bundled {
        Some(pick) => {
            let flows = bundled();
            let ids: Vec<&str> = flows.iter().map(|f| f.id()).collect();
            if ids.is_empty() {
                return;
            }
            (flows, ids[usize::from(pick) % ids.len()].to_owned())
        }
        None => {
            if input.inner.is_empty() {
                return;
            }
            let text = flow_text(&input.inner, &input.ends);
            let report = check_sources(vec![
                Source::new("fuzzed.ron", text.as_str()),
                Source::new("linked.ron", LINKED),
            ]);
            assert!(
                report.catalog.get("fuzzed").is_some(),
                "a generated flow fails its checks:\n{text}\n{:#?}",
                report
                    .diagnostics
                    .iter()
                    .map(|d| d.render(stepwise_engine::Style::Plain))
                    .collect::<Vec<_>>()
            );
            generated = report.catalog;
            (&generated, "fuzzed".to_owned())
        }
    };
    let facts: BTreeMap<String, String> = input
        .facts
        .iter()
        .take(4)
        .map(|(k, v)| {
            (
                FACTS
                    .get(usize::from(*k % 3))
                    .map_or_else(|| v.clone(), |f| (*f).to_owned()),
                v.clone(),
            )
        })
        .collect();
    let Ok((mut walk, _)) = Walk::start(flows, &flow, facts) else {
        return;
    };
    assert_at_a_node(&walk, flows);
    for m in input.moves.iter().take(64) {
        let before = walk.clone();
        let result = match m {
            Move::Offered(pick) => {
                let step = walk.current(flows).expect("a current step");
                match step
                    .answers
                    .get(usize::from(*pick) % step.answers.len().max(1))
                {
                    Some(choice) => walk.answer(flows, &choice.id.clone()).map(drop),
                    None => walk.answer(flows, "none").map(drop),
                }
            }
            Move::Answer(text) => walk.answer(flows, text).map(drop),
            Move::Back => walk.back(flows).map(drop),
            Move::Restart => walk.restart(flows).map(drop),
            Move::Jump(pick) => {
                let step = walk.current(flows).expect("a current step");
                let ids: Vec<String> = flows
                    .get(&step.flow)
                    .map(|f| f.raw().nodes.keys().cloned().collect())
                    .unwrap_or_default();
                match ids.get(usize::from(*pick) % ids.len().max(1)) {
                    Some(node) => walk.jump(flows, node).map(drop),
                    None => Ok(()),
                }
            }
            Move::JumpTo(node) => walk.jump(flows, node).map(drop),
            Move::Details(pairs) => {
                let details = pairs
                    .iter()
                    .take(5)
                    .map(|(d, v)| (format!("d{}", d % 5), v.clone()))
                    .collect();
                walk.submit_details(flows, details)
            }
            Move::ThroughJson => {
                let json = serde_json::to_string(&walk).expect("a walk as JSON");
                let back: Walk = serde_json::from_str(&json).expect("a walk from JSON");
                assert_eq!(back, walk);
                Ok(())
            }
        };
        if result.is_err() {
            assert_eq!(walk, before, "a refused move changed the walk: {m:?}");
        }
        assert_at_a_node(&walk, flows);
    }
});
