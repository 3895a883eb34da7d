//! Walks every flow to an outcome through the HTTP API, following every answer of every step
//! at least once across the runs. The walk is driven by what the API says (the flow's map and
//! each step), not by knowledge of particular flows.

use crate::support;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::Path;

use reqwest::StatusCode;
use serde_json::{Value, json};
use stepwise::serve::Settings;
use support::{Client, TestServer};

/// Sessions started per flow and set of facts before giving up on finding new answers.
const MAX_SESSIONS: usize = 200;
/// Answers in one session before it counts as going round in circles.
const MAX_STEPS: usize = 300;

/// An answer offered at a node: (flow, node, answer id).
type Offered = (String, String, String);

/// A flow's map as the API gives it.
struct Map {
    /// node → (answer or case, target node)
    edges: HashMap<String, Vec<(Option<String>, String)>>,
    outcomes: BTreeSet<String>,
    /// Nodes where the customer answers.
    steps: BTreeSet<String>,
}

impl Map {
    fn new(map: &Value) -> Map {
        let mut edges: HashMap<String, Vec<(Option<String>, String)>> = HashMap::new();
        for e in map["edges"].as_array().unwrap() {
            edges
                .entry(e["from"].as_str().unwrap().to_owned())
                .or_default()
                .push((
                    e["answer"].as_str().map(str::to_owned),
                    e["to"].as_str().unwrap().to_owned(),
                ));
        }
        let outcomes = map["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| ["resolved", "escalate", "done"].contains(&n["kind"].as_str().unwrap()))
            .map(|n| n["id"].as_str().unwrap().to_owned())
            .collect();
        let steps = map["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| ["question", "remedy", "info"].contains(&n["kind"].as_str().unwrap()))
            .map(|n| n["id"].as_str().unwrap().to_owned())
            .collect();
        Map {
            edges,
            outcomes,
            steps,
        }
    }

    /// Steps from `from` to the nearest node satisfying `wanted`, within this flow.
    fn distance(&self, from: &str, wanted: impl Fn(&str) -> bool) -> Option<usize> {
        let mut seen = BTreeSet::from([from.to_owned()]);
        let mut queue = VecDeque::from([(from.to_owned(), 0)]);
        while let Some((node, d)) = queue.pop_front() {
            if wanted(&node) {
                return Some(d);
            }
            for (_, to) in self.edges.get(&node).into_iter().flatten() {
                if seen.insert(to.clone()) {
                    queue.push_back((to.clone(), d + 1));
                }
            }
        }
        None
    }

    /// Where answering `answer` at `node` leads within the flow (`None`: to an outcome, e.g.
    /// a remedy that worked).
    fn target(&self, node: &str, answer: &str) -> Option<&str> {
        self.edges
            .get(node)?
            .iter()
            .find(|(a, _)| a.as_deref() == Some(answer))
            .map(|(_, to)| to.as_str())
    }
}

struct Explorer {
    client: Client,
    maps: BTreeMap<String, Map>,
    covered: BTreeSet<Offered>,
    /// Every answer any step offered.
    offered: BTreeSet<Offered>,
    outcomes: BTreeMap<String, usize>,
}

impl Explorer {
    /// Picks the answer to give: one never given at this node, else the one leading closest
    /// to a node with an answer never given, else the one ending the session soonest.
    fn choose(&self, step: &Value, taken_here: &BTreeSet<String>) -> String {
        let flow = step["flow"].as_str().unwrap();
        let node = step["node"].as_str().unwrap();
        let answers: Vec<String> = step["answers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect();
        let key = |a: &str| (flow.to_owned(), node.to_owned(), a.to_owned());
        if let Some(a) = answers.iter().find(|a| !self.covered.contains(&key(a))) {
            return a.clone();
        }
        let map = &self.maps[flow];
        let uncovered_at = |n: &str| {
            self.offered
                .iter()
                .filter(|(f, m, _)| f == flow && m == n)
                .any(|o| !self.covered.contains(o))
        };
        let unexplored = |n: &str| {
            map.steps.contains(n) && !self.offered.iter().any(|(f, m, _)| f == flow && m == n)
        };
        let score = |a: &String| {
            let Some(to) = map.target(node, a) else {
                return (usize::MAX - 1, usize::MAX, 0);
            };
            let towards_new = map
                .distance(to, |n| uncovered_at(n) || unexplored(n))
                .unwrap_or(usize::MAX - 2);
            let to_outcome = map
                .distance(to, |n| map.outcomes.contains(n))
                .unwrap_or(usize::MAX);
            (towards_new, to_outcome, usize::from(taken_here.contains(a)))
        };
        answers.iter().min_by_key(|a| score(a)).unwrap().clone()
    }

    /// One session from start to outcome; true if it gave an answer never given before.
    async fn session(&mut self, flow: &str, facts: &Value) -> bool {
        let (id, first) = self.client.start(flow, facts.clone()).await;
        let mut step = first["step"].clone();
        let mut status = first["status"].as_str().unwrap().to_owned();
        let mut learned = false;
        let mut taken: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
        for _ in 0..MAX_STEPS {
            if status != "active" {
                break;
            }
            let here = (
                step["flow"].as_str().unwrap().to_owned(),
                step["node"].as_str().unwrap().to_owned(),
            );
            for a in step["answers"].as_array().unwrap() {
                let a = a["id"].as_str().unwrap().to_owned();
                self.offered.insert((here.0.clone(), here.1.clone(), a));
            }
            let answer = self.choose(&step, taken.entry(here.clone()).or_default());
            taken
                .entry(here.clone())
                .or_default()
                .insert(answer.clone());
            learned |= self.covered.insert((here.0, here.1, answer.clone()));
            let (code, body) = self.client.answer(&id, &answer).await;
            assert_eq!(code, StatusCode::OK, "{flow}: answering {answer}: {body}");
            step = body["step"].clone();
            status = body["status"].as_str().unwrap().to_owned();
        }
        assert_ne!(
            status, "active",
            "{flow}: no outcome after {MAX_STEPS} answers"
        );
        self.finish(&id, &step, &status).await;
        // Questions the engine answered by itself from known facts count as followed too.
        let (_, session) = self.client.get(&format!("/api/v1/sessions/{id}")).await;
        for h in session["history"].as_array().unwrap() {
            if let Some(a) = h["answer"]["id"].as_str() {
                let key = (
                    h["flow"].as_str().unwrap().to_owned(),
                    h["node"].as_str().unwrap().to_owned(),
                    a.to_owned(),
                );
                if h["automatic"].as_bool().unwrap() && h["kind"] == "question" {
                    learned |= self.covered.insert(key);
                }
            }
        }
        learned
    }

    /// At the outcome: the step says what happened; escalations take their details and give a
    /// reference; other outcomes take feedback.
    async fn finish(&mut self, id: &str, step: &Value, status: &str) {
        let outcome = &step["outcome"];
        assert_eq!(outcome["kind"], status, "{step}");
        assert!(step["answers"].as_array().unwrap().is_empty(), "{step}");
        *self.outcomes.entry(status.to_owned()).or_default() += 1;
        if status == "escalated" {
            let details: BTreeMap<String, String> = outcome["collect"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| {
                    let max = d["max_len"].as_u64().unwrap() as usize;
                    // A value of the detail's kind, as the API describes it.
                    let value = match d["kind"].as_str().unwrap() {
                        "email" => "ana@example.com".to_owned(),
                        "phone" => "+44 20 7946 0958".to_owned(),
                        "amount" => "250".to_owned(),
                        "date" => "2026-03-31".to_owned(),
                        "url" => "https://example.com/shot.png".to_owned(),
                        "txid" => "7".repeat(64),
                        _ => "7".repeat(max.min(8)),
                    };
                    (d["id"].as_str().unwrap().to_owned(), value)
                })
                .collect();
            let (code, receipt) = self
                .client
                .post(
                    &format!("/api/v1/sessions/{id}/details"),
                    json!({ "details": details }),
                )
                .await;
            assert_eq!(code, StatusCode::OK, "{receipt}");
            let reference = receipt["reference"].as_str().unwrap();
            assert!(receipt["transcript"].as_str().unwrap().contains(reference));
        } else {
            let (code, body) = self
                .client
                .post(
                    &format!("/api/v1/sessions/{id}/feedback"),
                    json!({ "helpful": true }),
                )
                .await;
            assert_eq!(code, StatusCode::NO_CONTENT, "{body}");
        }
    }
}

/// Fact values worth starting with: none, and each value a branch or question knows for each
/// fact the flow takes from the site.
fn fact_sets(map: &Value) -> Vec<Value> {
    let mut sets = vec![json!({})];
    for input in map["inputs"].as_array().unwrap() {
        let input = input.as_str().unwrap();
        let nodes_on_fact: BTreeSet<&str> = map["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["fact"].as_str() == Some(input))
            .map(|n| n["id"].as_str().unwrap())
            .collect();
        let values: BTreeSet<&str> = map["edges"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| nodes_on_fact.contains(e["from"].as_str().unwrap()))
            .filter_map(|e| e["answer"].as_str())
            .collect();
        for value in values {
            sets.push(json!({ input: value }));
        }
    }
    sets
}

async fn walk_every_flow(dir: &Path) -> Explorer {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(stepwise::serve::Config {
        flows: dir.to_owned(),
        store: support::sqlite(store.path()),
        settings: Settings::default(),
        watch: false,
    })
    .await;
    let client = server.client.clone();
    let (_, list) = client.get("/api/v1/flows").await;
    let ids: Vec<String> = list["flows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    let files = std::fs::read_dir(dir)
        .unwrap()
        // Scenario files and translations live beside the flows they are about.
        .filter(|e| stepwise_engine::is_flow_file(&e.as_ref().unwrap().path()))
        .count();
    assert_eq!(
        ids.len(),
        files,
        "every flow file in {} is served",
        dir.display()
    );
    let mut maps = BTreeMap::new();
    let mut raw_maps = BTreeMap::new();
    for id in &ids {
        let (code, map) = client.get(&format!("/api/v1/flows/{id}")).await;
        assert_eq!(code, StatusCode::OK);
        maps.insert(id.clone(), Map::new(&map));
        raw_maps.insert(id.clone(), map);
    }
    let mut explorer = Explorer {
        client,
        maps,
        covered: BTreeSet::new(),
        offered: BTreeSet::new(),
        outcomes: BTreeMap::new(),
    };
    for id in &ids {
        for facts in fact_sets(&raw_maps[id]) {
            let mut idle = 0;
            for _ in 0..MAX_SESSIONS {
                if explorer.session(id, &facts).await {
                    idle = 0;
                } else {
                    idle += 1;
                }
                // Two sessions in a row with nothing new: this start is explored.
                if idle == 2 {
                    break;
                }
            }
        }
    }
    // Every answer of every step any session met, and every answer of every question in the
    // maps, was followed.
    let mut expected = explorer.offered.clone();
    for (flow, map) in &raw_maps {
        let questions: BTreeSet<&str> = map["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "question")
            .map(|n| n["id"].as_str().unwrap())
            .collect();
        for e in map["edges"].as_array().unwrap() {
            if questions.contains(e["from"].as_str().unwrap()) {
                expected.insert((
                    flow.clone(),
                    e["from"].as_str().unwrap().to_owned(),
                    e["answer"].as_str().unwrap().to_owned(),
                ));
            }
        }
    }
    let missed: Vec<_> = expected.difference(&explorer.covered).collect();
    assert!(missed.is_empty(), "answers never followed: {missed:?}");
    server.stop().await;
    explorer
}

#[tokio::test]
async fn every_fixture_flow_walks_to_every_outcome() {
    let explorer = walk_every_flow(&support::fixtures()).await;
    // sign-in offers 10 answers, second-factor 6.
    assert_eq!(explorer.covered.len(), 16, "{:?}", explorer.covered);
    for outcome in ["resolved", "escalated", "done"] {
        assert!(
            explorer.outcomes.contains_key(outcome),
            "{:?}",
            explorer.outcomes
        );
    }
}

#[tokio::test]
async fn every_bundled_flow_walks_to_an_outcome() {
    let dir = support::workspace_root().join("flows");
    let explorer = walk_every_flow(&dir).await;
    assert!(
        !explorer.covered.is_empty(),
        "no bundled flows in {}",
        dir.display()
    );
}
