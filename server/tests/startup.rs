//! Starting and stopping the real binary: a broken flow file is reported and the good flows
//! are served; SIGTERM stops the server cleanly; a timeout or connection cap of zero, which
//! would refuse every client, is refused at start; so is a flows directory that is missing
//! or holds no flow that passes, unless the operator starts it unready (or writers watch
//! it), and then `/readyz` says `no_flows` until a flow passes.

use crate::support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

#[test]
fn a_broken_flow_file_is_reported_and_the_good_ones_served() {
    let flows = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(support::fixtures()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, flows.path().join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(
        flows.path().join("broken.ron"),
        "Flow(id: \"broken\", title: ",
    )
    .unwrap();
    let store = tempfile::tempdir().unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .arg("--flows")
        .arg(flows.path())
        .arg("--store")
        .arg(format!("sqlite://{}", store.path().join("s.db").display()))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines, log) = std::sync::mpsc::channel::<Value>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines.send(serde_json::from_str(&line).unwrap_or(Value::String(line)));
        }
    });
    let mut seen = Vec::new();
    let serving = loop {
        let line = log.recv_timeout(Duration::from_secs(30)).unwrap();
        seen.push(line.clone());
        if line["fields"]["listen"].is_string() {
            break line;
        }
    };
    assert_eq!(serving["fields"]["flows"], 2, "{serving}");
    assert_eq!(serving["fields"]["errors"], 1, "{serving}");
    let problem = seen
        .iter()
        .find(|l| l["level"] == "ERROR")
        .unwrap_or_else(|| panic!("no error in {seen:?}"));
    assert!(
        problem["fields"]["file"]
            .as_str()
            .unwrap()
            .ends_with("broken.ron"),
        "{problem}"
    );
    assert!(problem["fields"]["line"].is_u64(), "{problem}");

    // SIGTERM: the server stops on its own, cleanly.
    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    let rest: Vec<Value> = log.iter().collect();
    assert!(
        rest.iter()
            .any(|l| l["fields"]["message"] == "stepwise stopped"),
        "{rest:?}"
    );
}

#[test]
fn a_zero_timeout_or_connection_cap_is_refused_before_serving() {
    for (flag, value) in [
        ("--header-timeout", "0"),
        ("--body-timeout", "0"),
        ("--max-connections", "0"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_stepwise"))
            .args(["serve", "--listen", "127.0.0.1:0", flag, value])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{flag} {value}");
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(message.contains(flag), "{message}");
    }
}

/// `stepwise serve` over `flows` with the flags `extra`, run to its end: it must not serve.
fn refused(flows: &std::path::Path, extra: &[&str]) -> (std::process::Output, std::path::PathBuf) {
    let store = tempfile::tempdir().unwrap().keep();
    let db = store.join("s.db");
    let output = Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .arg("--flows")
        .arg(flows)
        .arg("--store")
        .arg(format!("sqlite://{}", db.display()))
        .args(extra)
        .output()
        .unwrap();
    (output, db)
}

#[test]
fn a_missing_flows_directory_is_refused_before_serving() {
    let parent = tempfile::tempdir().unwrap();
    let missing = parent.path().join("flows");
    let (output, db) = refused(&missing, &[]);
    let log = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{log}");
    assert!(log.contains("does not exist"), "{log}");
    assert!(log.contains("--start-unready"), "{log}");
    // It stopped before listening, and before opening (and so creating) the store.
    assert!(!log.contains("stepwise is serving"), "{log}");
    assert!(!db.exists());
    assert!(!missing.exists(), "only --watch creates the directory");
}

#[test]
fn a_directory_where_no_flow_passes_is_refused_before_serving() {
    let flows = tempfile::tempdir().unwrap();
    let (output, _) = refused(flows.path(), &[]);
    let log = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{log}");
    assert!(log.contains("no flow files"), "{log}");

    std::fs::write(
        flows.path().join("broken.ron"),
        "Flow(id: \"broken\", title: ",
    )
    .unwrap();
    let (output, _) = refused(flows.path(), &[]);
    let log = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{log}");
    assert!(
        log.contains("none of the 1 flow files") && log.contains("passes its checks"),
        "{log}"
    );
    assert!(!log.contains("stepwise is serving"), "{log}");
}

/// `/readyz` as status and JSON.
async fn readiness(client: &support::Client) -> (u16, Value) {
    let (status, body) = client.get("/readyz").await;
    (status.as_u16(), body)
}

/// Waits until `/readyz` answers 200.
async fn until_ready(client: &support::Client) {
    support::eventually("/readyz answers 200", || async {
        (readiness(client).await.0 == 200).then_some(())
    })
    .await;
}

fn copy_fixtures(to: &std::path::Path) {
    for entry in std::fs::read_dir(support::fixtures()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

#[tokio::test]
async fn start_unready_serves_not_ready_until_a_flow_passes() {
    let flows = tempfile::tempdir().unwrap();
    std::fs::write(
        flows.path().join("broken.ron"),
        "Flow(id: \"broken\", title: ",
    )
    .unwrap();
    let store = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", store.path().join("s.db").display());
    let server = support::Binary::spawn_with(flows.path(), &db, &["--start-unready"]);
    let (status, body) = readiness(&server.client).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "no_flows", "{body}");
    assert_eq!(body["error"]["code"], "no_flows", "{body}");
    assert_eq!(server.client.get("/healthz").await.0, 200);

    // A good flow arrives with the next deploy, and a reload serves it.
    copy_fixtures(flows.path());
    server.signal("HUP");
    until_ready(&server.client).await;
    assert!(support::version(&server.client, "sign-in").await.is_some());
}

#[tokio::test]
async fn watch_starts_on_a_missing_directory_and_is_ready_once_a_flow_passes() {
    let parent = tempfile::tempdir().unwrap();
    let flows = parent.path().join("new-flows");
    let store = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", store.path().join("s.db").display());
    let server = support::Binary::spawn_with(&flows, &db, &["--watch"]);
    assert!(flows.is_dir(), "--watch creates the directory");
    let (status, body) = readiness(&server.client).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "no_flows", "{body}");

    // The writer's first flow: the watcher serves it, and the server becomes ready.
    copy_fixtures(&flows);
    until_ready(&server.client).await;
}

#[test]
fn watch_on_a_directory_that_cannot_be_created_is_refused() {
    let parent = tempfile::tempdir().unwrap();
    // A file where the directory's parent should be.
    let blocker = parent.path().join("a-file");
    std::fs::write(&blocker, "").unwrap();
    let (output, _) = refused(&blocker.join("flows"), &["--watch"]);
    let log = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{log}");
    assert!(log.contains("cannot create the flows directory"), "{log}");
}
