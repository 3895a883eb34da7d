//! Webhooks, received by a real receiver on loopback that verifies every signature with the
//! `standardwebhooks` package from PyPI (a verifier none of us wrote): escalations with their
//! case, a receiver that is down and comes back, a server killed between the commit and the
//! send, a receiver that never answers, and two instances sharing one PostgreSQL.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use stepwise::serve::{Config, Settings};
use stepwise_app::webhooks::Webhooks;

use crate::support::postgres::TestDatabase;
use crate::support::{self, Binary, Client, TestServer, eventually, workspace_root};

const REQUIRE: &str = "STEPWISE_TEST_REQUIRE_PYTHON";
const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const TOKEN: &str = "webhooks-agent-token";

/// The receiver in `webhooks/receiver.py`, in a process of its own.
struct Receiver {
    port: u16,
    dir: tempfile::TempDir,
    python: PathBuf,
    child: Option<Child>,
}

impl Receiver {
    /// A receiver on a free port, not yet listening; `None` (the test skipped) without python.
    fn new() -> Option<Receiver> {
        let python = match support::python_venv(
            "webhooks-venv",
            "standardwebhooks",
            "standardwebhooks>=1.0.0,<2",
        ) {
            Ok(python) => python,
            Err(missing) => {
                support::skip_unless_required(REQUIRE, &missing);
                return None;
            }
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        Some(Receiver {
            port,
            dir: tempfile::tempdir().unwrap(),
            python,
            child: None,
        })
    }

    /// A receiver listening in `mode`; `None` (the test skipped) without python.
    fn listening(mode: &str) -> Option<Receiver> {
        let mut receiver = Receiver::new()?;
        receiver.set_mode(mode);
        receiver.start();
        Some(receiver)
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks", self.port)
    }

    fn set_mode(&self, mode: &str) {
        std::fs::write(self.dir.path().join("mode"), mode).unwrap();
    }

    /// Starts listening, and waits until it does.
    fn start(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/webhooks/receiver.py");
        let mut child = Command::new(&self.python)
            .arg(script)
            .arg(self.port.to_string())
            .arg(SECRET)
            .arg(self.dir.path().join("log"))
            .arg(self.dir.path().join("mode"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "listening");
        self.child = Some(child);
    }

    /// Every request received so far, in order.
    fn received(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("log"))
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    /// Waits until `count` requests were received; returns them all.
    async fn await_count(&self, count: usize) -> Vec<Value> {
        eventually(&format!("{count} webhooks received"), || async {
            let received = self.received();
            (received.len() >= count).then_some(received)
        })
        .await
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn settings(receiver: &Receiver) -> Settings {
    Settings {
        webhooks: Webhooks::new(vec![receiver.url()], &[]).unwrap(),
        webhook_secret: Some(SECRET.to_owned()),
        webhook_timeout: Duration::from_secs(2),
        agent_token: Some(TOKEN.to_owned()),
        ..Settings::default()
    }
}

async fn serve(store: &Path, settings: Settings) -> TestServer {
    TestServer::start_with(Config {
        flows: workspace_root().join("flows"),
        store: support::sqlite(store),
        settings,
        watch: false,
    })
    .await
}

const MEMO_DETAILS: &[(&str, &str)] = &[
    ("coin", "XRP"),
    ("network", "XRP Ledger"),
    ("amount", "250"),
    (
        "txid",
        "E3FE6EA3D48F0C2B639448020EA4F03D4F4F8FFDB243A852A0F59177921B4879",
    ),
    ("deposit-time", "2026-11-02 14:05 UTC"),
    ("address", "rDeposit123"),
];

/// Walks a deposit-missing-memo session to its escalation and sends the details; returns
/// the session id, its reference, and how long the details took to be answered.
async fn escalate(client: &Client) -> (String, String, Duration) {
    let (id, _) = client.start("deposit-missing-memo", json!({})).await;
    for answer in ["in", "next", "missing"] {
        let (status, body) = client.answer(&id, answer).await;
        assert!(status.is_success(), "{answer}: {body}");
    }
    let details: BTreeMap<_, _> = MEMO_DETAILS.iter().copied().collect();
    let sent = Instant::now();
    let (status, body) = client
        .post(
            &format!("/api/v1/sessions/{id}/details"),
            json!({ "details": details }),
        )
        .await;
    let took = sent.elapsed();
    assert!(status.is_success(), "{body}");
    (id, body["reference"].as_str().unwrap().to_owned(), took)
}

/// The page at `path` as staff (with the agent token) read it, redirects not followed.
async fn page(client: &Client, path: &str) -> String {
    support::no_redirects()
        .get(client.url(path))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// A webhook body with what changes from run to run replaced, for a snapshot.
fn redact(body: &Value) -> Value {
    let mut text = serde_json::to_string_pretty(body).unwrap();
    let data = &body["data"];
    for (value, name) in [
        (data["session"].as_str(), "[session]"),
        (data["reference"].as_str(), "[reference]"),
        (data["version"].as_str(), "[version]"),
        (body["timestamp"].as_str(), "[timestamp]"),
    ] {
        if let Some(value) = value {
            text = text.replace(value, name);
        }
    }
    let mut redacted: Value = serde_json::from_str(&text).unwrap();
    if let Some(versions) = redacted["data"]["transcript"]["json"]["versions"].as_object_mut() {
        for version in versions.values_mut() {
            *version = json!("[version]");
        }
    }
    let markdown = redacted["data"]["transcript"]["markdown"]
        .as_str()
        .map(|m| {
            m.lines()
                .map(|line| match line.starts_with("- Flow: ") {
                    true => "- Flow: [versions]",
                    false => line,
                })
                .collect::<Vec<_>>()
                .join("\n")
        });
    if let Some(markdown) = markdown {
        redacted["data"]["transcript"]["markdown"] = json!(markdown);
    }
    redacted
}

#[tokio::test]
async fn an_escalation_reaches_the_receiver_signed_with_its_case_and_its_ticket_is_kept() {
    let Some(receiver) = Receiver::listening("ok") else {
        return;
    };
    let store = tempfile::tempdir().unwrap();
    let server = serve(store.path(), settings(&receiver)).await;
    let client = &server.client;

    let (id, reference, _) = escalate(client).await;
    let received = receiver.await_count(1).await;
    let escalated = &received[0];
    assert_eq!(escalated["verified"], true, "{escalated}");
    assert!(escalated["id"].as_str().unwrap().starts_with("msg_"));
    let body = &escalated["body"];
    assert_eq!(body["type"], "session.escalated");
    assert_eq!(body["data"]["session"], id.as_str());
    assert_eq!(body["data"]["reference"], reference.as_str());
    insta::assert_json_snapshot!("escalated_body", redact(body));

    // The customer reached a resolved outcome and said it helped: two more, in order.
    let (other, _) = client.start("facial-recognition-fails", json!({})).await;
    for answer in ["login", "rejected", "yes"] {
        let (status, body) = client.answer(&other, answer).await;
        assert!(status.is_success(), "{answer}: {body}");
    }
    let (status, body) = client
        .post(
            &format!("/api/v1/sessions/{other}/feedback"),
            json!({"helpful": true}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let received = receiver.await_count(3).await;
    // Sent side by side, they may arrive in either order.
    let mut kinds: Vec<_> = received[1..]
        .iter()
        .map(|r| {
            (
                r["verified"].as_bool(),
                r["body"]["type"].as_str().map(str::to_owned),
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            (Some(true), Some("session.feedback".to_owned())),
            (Some(true), Some("session.resolved".to_owned()))
        ]
    );
    let feedback = received[1..]
        .iter()
        .find(|r| r["body"]["type"] == "session.feedback")
        .unwrap();
    assert_eq!(feedback["body"]["data"]["helpful"], true);

    // The receiver answered with a ticket: the escalation shows it to the customer and agents.
    let ticket = eventually("the ticket on the customer's page", || async {
        let page = page(client, &format!("/s/{id}")).await;
        page.contains("Ticket #1001").then_some(page)
    })
    .await;
    assert!(ticket.contains(&reference));
    let console = page(client, &format!("/agent/s/{id}")).await;
    assert!(
        console.contains(r#"href="https://desk.example/t/1001""#)
            && console.contains("Ticket #1001"),
        "{console}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_receiver_that_is_down_gets_the_delivery_once_it_is_back() {
    let Some(mut receiver) = Receiver::new() else {
        return;
    };
    receiver.set_mode("ok");
    let store = tempfile::tempdir().unwrap();
    let server = serve(store.path(), settings(&receiver)).await;
    let (_, reference, _) = escalate(&server.client).await;
    // Nothing listens: attempts fail and are recorded, and the delivery waits.
    let db = rusqlite::Connection::open(store.path().join("stepwise.db")).unwrap();
    let failed = eventually("two failed attempts", || async {
        let (attempts, error): (i64, Option<String>) = db
            .query_row("SELECT attempts, last_error FROM deliveries", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .ok()?;
        (attempts >= 2).then_some(error)
    })
    .await;
    assert_eq!(failed.as_deref(), Some("cannot connect"));
    receiver.start();
    let received = receiver.await_count(1).await;
    assert_eq!(received[0]["verified"], true);
    assert_eq!(received[0]["body"]["data"]["reference"], reference.as_str());
    let status = eventually("the delivery marked delivered", || async {
        db.query_row("SELECT status FROM deliveries", [], |r| {
            r.get::<_, String>(0)
        })
        .ok()
        .filter(|s| s == "delivered")
    })
    .await;
    assert_eq!(status, "delivered");
    server.stop().await;
}

#[tokio::test]
async fn a_server_killed_between_commit_and_send_delivers_after_restart_with_the_same_id() {
    // The first attempt is taken in but never answered: the server dies with it in flight.
    let Some(receiver) = Receiver::listening("hang") else {
        return;
    };
    let store = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", store.path().join("stepwise.db").display());
    let flows = workspace_root().join("flows");
    let url_flag = receiver.url();
    let flags = [
        "--webhook",
        url_flag.as_str(),
        "--webhook-secret",
        SECRET,
        "--webhook-timeout",
        "2s",
    ];
    let server = Binary::spawn_with(&flows, &url, &flags);
    let (_, reference, _) = escalate(&server.client).await;
    let first = receiver.await_count(1).await;
    server.kill9();

    receiver.set_mode("ok");
    let server = Binary::spawn_with(&flows, &url, &flags);
    let received = eventually("the delivery sent again after the restart", || async {
        let received = receiver.received();
        received
            .iter()
            .any(|r| r["mode"] == "ok")
            .then_some(received)
    })
    .await;
    let again = received.iter().find(|r| r["mode"] == "ok").unwrap();
    assert_eq!(again["verified"], true);
    assert_eq!(
        again["id"], first[0]["id"],
        "the same webhook-id on every attempt"
    );
    assert_eq!(again["body"]["data"]["reference"], reference.as_str());
    drop(server);
}

#[tokio::test]
async fn a_receiver_that_never_answers_never_slows_a_customers_answer() {
    let (Some(mut hanging), Some(mut slow)) = (Receiver::new(), Receiver::new()) else {
        return;
    };
    hanging.set_mode("hang");
    hanging.start();
    slow.set_mode("slow");
    slow.start();
    let stores = [(); 3].map(|()| tempfile::tempdir().unwrap());
    let quiet = serve(stores[0].path(), Settings::default()).await;
    let to_slow = serve(stores[1].path(), settings(&slow)).await;
    let to_hanging = serve(stores[2].path(), settings(&hanging)).await;
    const RUNS: usize = 10;
    let mut took: [Vec<Duration>; 3] = Default::default();
    for _ in 0..RUNS {
        for (i, server) in [&quiet, &to_slow, &to_hanging].into_iter().enumerate() {
            took[i].push(escalate(&server.client).await.2);
        }
    }
    // Every escalation was answered while the receiver held the deliveries unanswered.
    let received = hanging.await_count(1).await;
    assert!(received.iter().all(|r| r["mode"] == "hang"));
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut line = format!("escalation answer latency over {RUNS} runs, median / max:");
    for (i, name) in [
        "without webhooks",
        "with a receiver that takes 5 s",
        "with one that never answers",
    ]
    .into_iter()
    .enumerate()
    {
        took[i].sort();
        line.push_str(&format!(
            " {name} {:.1} / {:.1} ms;",
            ms(took[i][RUNS / 2]),
            ms(took[i][RUNS - 1])
        ));
    }
    println!("{line}");
    quiet.stop().await;
    to_slow.stop().await;
    to_hanging.stop().await;
}

#[tokio::test]
async fn two_instances_on_one_postgres_deliver_every_event() {
    let Some(mut receiver) = Receiver::new() else {
        return;
    };
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    receiver.set_mode("ok");
    receiver.start();
    let start = || async {
        TestServer::start_with(Config {
            flows: workspace_root().join("flows"),
            store: db.url.parse().unwrap(),
            settings: settings(&receiver),
            watch: false,
        })
        .await
    };
    let (one, two) = (start().await, start().await);
    const SESSIONS: usize = 12;
    let mut references = Vec::new();
    for i in 0..SESSIONS {
        let server = if i % 2 == 0 { &one } else { &two };
        references.push(escalate(&server.client).await.1);
    }
    let received = receiver.await_count(SESSIONS).await;
    assert!(received.iter().all(|r| r["verified"] == true));
    let mut delivered: Vec<String> = received
        .iter()
        .filter_map(|r| r["body"]["data"]["reference"].as_str().map(str::to_owned))
        .collect();
    delivered.sort();
    references.sort();
    let ids: std::collections::BTreeSet<String> = received
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect();
    println!(
        "two instances on one PostgreSQL: {SESSIONS} escalations, {} deliveries received, {} distinct",
        received.len(),
        ids.len()
    );
    delivered.dedup();
    assert_eq!(delivered, references);
    one.stop().await;
    two.stop().await;
}

/// The `stepwise` binary's output for `args`, and whether it succeeded.
fn stepwise(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .args(args)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn refusals_are_retried_a_huge_answer_is_cut_off_and_a_failed_delivery_can_be_sent_again() {
    let Some(receiver) = Receiver::listening("fail") else {
        return;
    };
    let store = tempfile::tempdir().unwrap();
    let server = serve(store.path(), settings(&receiver)).await;
    let (id, _, _) = escalate(&server.client).await;
    let db = rusqlite::Connection::open(store.path().join("stepwise.db")).unwrap();
    let last_error = || {
        db.query_row("SELECT last_error FROM deliveries", [], |r| {
            r.get::<_, Option<String>>(0)
        })
        .ok()
        .flatten()
    };
    // Each refusal is an attempt that failed and is tried again.
    for (mode, error) in [
        ("fail", "HTTP 503"),
        ("reject", "HTTP 400"),
        ("redirect", "HTTP 302"),
    ] {
        receiver.set_mode(mode);
        let seen = eventually(&format!("an attempt answered {error}"), || async {
            (last_error().as_deref() == Some(error)).then_some(())
        })
        .await;
        assert_eq!(seen, ());
    }
    // Ten megabytes of answer are not read: the delivery is taken, with no ticket.
    receiver.set_mode("huge");
    eventually("the delivery taken despite its huge answer", || async {
        db.query_row("SELECT status FROM deliveries", [], |r| {
            r.get::<_, String>(0)
        })
        .ok()
        .filter(|s| s == "delivered")
    })
    .await;
    let (status, body) = server.client.get(&format!("/api/v1/sessions/{id}")).await;
    assert!(status.is_success(), "{body}");
    let redirects = receiver
        .received()
        .iter()
        .filter(|r| r["mode"] == "redirect")
        .count();
    assert!(redirects >= 1);
    server.stop().await;

    // Given up on after a day (here: said so in the store), it is listed, then sent again.
    db.execute(
        "UPDATE deliveries SET status = 'failed', ticket_id = NULL",
        [],
    )
    .unwrap();
    let url = format!("sqlite://{}", store.path().join("stepwise.db").display());
    let (ok, listed, err) = stepwise(&["webhooks", "list", "--status", "failed", "--store", &url]);
    assert!(ok, "{err}");
    let delivery: String = db
        .query_row("SELECT id FROM deliveries", [], |r| r.get(0))
        .unwrap();
    assert!(
        listed.contains(&delivery) && listed.contains("failed"),
        "{listed}"
    );
    let (ok, json, err) = stepwise(&["webhooks", "list", "--json", "--store", &url]);
    assert!(ok, "{err}");
    let line: Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    let outcomes: Vec<_> = line["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        outcomes.starts_with(&["HTTP 503".to_owned()]),
        "{outcomes:?}"
    );
    assert_eq!(outcomes.last().map(String::as_str), Some("taken"));

    let (ok, _, err) = stepwise(&["webhooks", "retry", "msg_unknown", "--store", &url]);
    assert!(!ok);
    assert!(err.contains("no delivery `msg_unknown`"), "{err}");
    let (ok, said, err) = stepwise(&["webhooks", "retry", &delivery, "--store", &url]);
    assert!(ok, "{err}");
    assert!(said.contains(&delivery));
    receiver.set_mode("ok");
    let before = receiver.received().len();
    let server = serve(store.path(), settings(&receiver)).await;
    let received = receiver.await_count(before + 1).await;
    assert_eq!(received[before]["id"], delivery.as_str());
    assert_eq!(received[before]["verified"], true);
    server.stop().await;
}

#[test]
fn a_webhook_that_is_not_http_or_has_no_secret_stops_the_start() {
    for (flags, says) in [
        (
            vec![
                "--webhook",
                "ftp://desk.example/hooks",
                "--webhook-secret",
                SECRET,
            ],
            "is not an http:// or https:// URL",
        ),
        (
            vec!["--webhook", "https://desk.example/hooks"],
            "webhooks need a secret",
        ),
        (
            vec![
                "--webhook",
                "https://desk.example/hooks",
                "--webhook-secret",
                "whsec_c2hvcnQ=",
            ],
            "is not `whsec_` and base64",
        ),
        (
            vec![
                "--webhook",
                "https://desk.example/hooks",
                "--webhook-events",
                "exploded",
            ],
            "unknown webhook event `exploded`",
        ),
    ] {
        let store = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", store.path().join("s.db").display());
        let flows = workspace_root().join("flows");
        let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--store", &url];
        let flows = flows.to_string_lossy().into_owned();
        args.extend(["--flows", &flows]);
        args.extend(flags.iter().copied());
        let (ok, _, err) = stepwise(&args);
        assert!(!ok, "{flags:?} started");
        assert!(err.contains(says), "{flags:?}: {err}");
    }
}

#[tokio::test]
async fn the_customer_reads_that_the_request_was_sent_and_where_the_answer_goes() {
    let Some(receiver) = Receiver::listening("ok") else {
        return;
    };
    let store = tempfile::tempdir().unwrap();
    let server = serve(store.path(), settings(&receiver)).await;
    let client = &server.client;
    let (id, _) = client.start("phone-not-working", json!({})).await;
    for answer in ["no-sms", "no", "no", "no", "other"] {
        let (status, body) = client.answer(&id, answer).await;
        assert!(status.is_success(), "{answer}: {body}");
    }
    let (status, body) = client
        .post(
            &format!("/api/v1/sessions/{id}/details"),
            json!({"details": {
                "account": "ana@example.com", "phone-last-digits": "4821",
                "country": "UK", "tried": "Restarted the phone twice"
            }}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    receiver.await_count(1).await;
    let shown = eventually("the ticket on the page", || async {
        let shown = page(client, &format!("/s/{id}")).await;
        shown.contains("Ticket #").then_some(shown)
    })
    .await;
    assert!(
        shown.contains("We have sent your request to support"),
        "{shown}"
    );
    assert!(
        shown.contains("Support will answer you at <strong>ana@example.com</strong>."),
        "{shown}"
    );
    // Without webhooks the page says how to reach support instead, and promises no answer.
    let quiet_store = tempfile::tempdir().unwrap();
    let quiet = serve(quiet_store.path(), Settings::default()).await;
    let (other, _) = quiet.client.start("phone-not-working", json!({})).await;
    for answer in ["no-sms", "no", "no", "no", "other"] {
        quiet.client.answer(&other, answer).await;
    }
    quiet
        .client
        .post(
            &format!("/api/v1/sessions/{other}/details"),
            json!({"details": {
                "account": "ana@example.com", "phone-last-digits": "4821",
                "country": "UK", "tried": "Restarted the phone twice"
            }}),
        )
        .await;
    let shown = page(&quiet.client, &format!("/s/{other}")).await;
    assert!(shown.contains("Quote it when you chat with or call support"));
    assert!(!shown.contains("We have sent your request"));
    quiet.stop().await;
    server.stop().await;
}

#[tokio::test]
async fn a_session_left_idle_is_reported_abandoned_once() {
    let Some(receiver) = Receiver::listening("ok") else {
        return;
    };
    let store = tempfile::tempdir().unwrap();
    let server = serve(
        store.path(),
        Settings {
            abandon_after: Duration::from_secs(1),
            ..settings(&receiver)
        },
    )
    .await;
    let client = &server.client;
    let (id, _) = client.start("deposit-missing-memo", json!({})).await;
    client.answer(&id, "in").await;
    let received = receiver.await_count(1).await;
    assert_eq!(received[0]["verified"], true);
    let body = &received[0]["body"];
    assert_eq!(body["type"], "session.abandoned");
    assert_eq!(body["data"]["session"], id.as_str());
    assert_eq!(body["data"]["status"], "active");
    // Looked for again and again: still reported once.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let abandoned = receiver
        .received()
        .iter()
        .filter(|r| r["body"]["type"] == "session.abandoned")
        .count();
    assert_eq!(abandoned, 1);
    server.stop().await;
}

#[tokio::test]
async fn the_owner_page_lists_deliveries_with_their_attempts_and_sends_a_failed_one_again() {
    let Some(receiver) = Receiver::listening("reject") else {
        return;
    };
    let store = tempfile::tempdir().unwrap();
    let server = serve(store.path(), settings(&receiver)).await;
    let client = &server.client;
    escalate(client).await;
    let db = rusqlite::Connection::open(store.path().join("stepwise.db")).unwrap();
    eventually("a refused attempt", || async {
        db.query_row("SELECT last_error FROM deliveries", [], |r| {
            r.get::<_, Option<String>>(0)
        })
        .ok()
        .flatten()
        .filter(|e| e == "HTTP 400")
    })
    .await;
    // A day of retries, said so in the store.
    db.execute("UPDATE deliveries SET status = 'failed'", [])
        .unwrap();
    let id: String = db
        .query_row("SELECT id FROM deliveries", [], |r| r.get(0))
        .unwrap();
    let failed = page(client, "/agent/webhooks?status=failed").await;
    assert!(
        failed.contains(&id) && failed.contains("HTTP 400"),
        "{failed}"
    );
    assert!(failed.contains(&format!(r#"action="/agent/webhooks/{id}/retry""#)));
    let delivered = page(client, "/agent/webhooks?status=delivered").await;
    assert!(
        delivered.contains("No deliveries delivered."),
        "{delivered}"
    );

    receiver.set_mode("ok");
    let before = receiver.received().len();
    let response = support::no_redirects()
        .post(client.url(&format!("/agent/webhooks/{id}/retry")))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let received = receiver.await_count(before + 1).await;
    assert_eq!(received[before]["id"], id.as_str());
    let all = eventually("the delivery shown delivered", || async {
        let all = page(client, "/agent/webhooks").await;
        all.contains("delivery-delivered").then_some(all)
    })
    .await;
    assert!(all.contains("Ticket #"), "{all}");
    server.stop().await;
}
