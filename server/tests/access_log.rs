//! The access log of the real binary: one line per request, in the format the README
//! documents (a snapshot, so that a change to it shows in review), and the log level set by
//! `--log-level` or `RUST_LOG`.

use crate::support;

use std::time::Duration;

use serde_json::{Value, json};
use support::Binary;

fn start(store: &tempfile::TempDir, extra: &[&str], env: &[(&str, &str)]) -> Binary {
    let db = format!("sqlite://{}", store.path().join("s.db").display());
    Binary::spawn_env(&support::fixtures(), &db, extra, env)
}

/// The access lines logged so far, as JSON.
fn access_lines(server: &Binary) -> Vec<Value> {
    server
        .logs()
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["target"] == "stepwise::access")
        .collect()
}

/// Waits until the server has logged at least `count` access lines, and returns them.
async fn until_logged(server: &Binary, count: usize) -> Vec<Value> {
    support::eventually("the access lines are written", || async {
        let lines = access_lines(server);
        (lines.len() >= count).then_some(lines)
    })
    .await
}

#[tokio::test]
async fn each_request_is_logged_once_in_the_documented_format() {
    let store = tempfile::tempdir().unwrap();
    let server = start(&store, &[], &[]);
    let client = &server.client;
    let (id, _) = client.start("sign-in", json!({})).await;
    let response = client
        .http
        .get(client.url(&format!("/api/v1/sessions/{id}")))
        .header("x-request-id", "snapshot-request")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    until_logged(&server, 2).await;
    // Give a second line of the same request the time to show up, if there were one.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let lines = access_lines(&server);
    let of_it: Vec<&Value> = lines
        .iter()
        .filter(|l| l["span"]["request_id"] == "snapshot-request")
        .collect();
    assert_eq!(of_it.len(), 1, "{of_it:#?}");
    let mut line = of_it[0].clone();
    // Never the session id itself: a keyed hash stands for it.
    let path = line["span"]["path"].as_str().unwrap().to_owned();
    assert!(!path.contains(&id), "{path}");
    assert!(!server.logs().iter().any(|l| l.contains(&id)));
    assert!(line["fields"]["latency_ms"].is_f64() || line["fields"]["latency_ms"].is_u64());
    // What varies from run to run.
    line["timestamp"] = json!("[timestamp]");
    line["fields"]["latency_ms"] = json!("[latency_ms]");
    let tag = path.rsplit('/').next().unwrap();
    assert!(tag.starts_with('~') && tag.len() == 13, "{path}");
    line["span"]["path"] = json!(path.replace(tag, "~[hash]"));
    insta::assert_json_snapshot!(line);
}

#[tokio::test]
async fn the_log_level_comes_from_the_flag_then_rust_log() {
    // Each filter keeps the line saying where the server listens, which the test reads.
    const WARN: &str = "warn,stepwise::serve=info";
    for (extra, env, logged) in [
        (&[][..], &[][..], true),
        (&["--log-level", WARN][..], &[][..], false),
        (&[][..], &[("RUST_LOG", WARN)][..], false),
        (
            &[][..],
            &[("RUST_LOG", "info,stepwise::access=off")][..],
            false,
        ),
        (
            &["--log-level", "info"][..],
            &[("RUST_LOG", WARN)][..],
            true,
        ),
    ] {
        let store = tempfile::tempdir().unwrap();
        let server = start(&store, extra, env);
        assert_eq!(server.client.get("/healthz").await.0, 200);
        if logged {
            until_logged(&server, 1).await;
        } else {
            tokio::time::sleep(Duration::from_millis(500)).await;
            assert_eq!(
                access_lines(&server),
                Vec::<Value>::new(),
                "{extra:?} {env:?}"
            );
        }
    }
}

/// Stops the server with SIGTERM and returns every line it logged, up to its last one.
async fn stop_and_read(mut server: Binary) -> Vec<String> {
    server.signal("TERM");
    let status = server.wait_exit(support::DEADLINE);
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
    // The reader thread may still be draining the pipe; the last line says it is done.
    support::eventually("the last line is read", || async {
        let logs = server.logs();
        logs.iter()
            .any(|l| l.contains("stepwise stopped"))
            .then_some(logs)
    })
    .await
}

fn access_count(logs: &[String]) -> usize {
    logs.iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["target"] == "stepwise::access")
        .count()
}

#[tokio::test]
async fn access_log_none_writes_no_access_line_but_the_other_lines() {
    let store = tempfile::tempdir().unwrap();
    let server = start(&store, &["--access-log", "none"], &[]);
    for _ in 0..20 {
        assert_eq!(server.client.get("/healthz").await.0, 200);
    }
    let logs = stop_and_read(server).await;
    assert_eq!(access_count(&logs), 0, "{logs:#?}");
    assert!(
        logs.iter().any(|l| l.contains("asked to stop")),
        "{logs:#?}"
    );
}

#[tokio::test]
async fn access_log_sample_writes_every_nth_request() {
    let store = tempfile::tempdir().unwrap();
    let server = start(&store, &["--access-log", "sample=5"], &[]);
    for _ in 0..52 {
        assert_eq!(server.client.get("/healthz").await.0, 200);
    }
    // Requests 1, 6, …, 51.
    assert_eq!(access_count(&stop_and_read(server).await), 11);
}

#[tokio::test]
async fn lines_written_just_before_sigterm_are_in_the_log_after_exit() {
    const REQUESTS: usize = 2_000;
    let store = tempfile::tempdir().unwrap();
    let server = start(&store, &[], &[]);
    let client = server.client.clone();
    let workers: Vec<_> = (0..16)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                for _ in 0..REQUESTS / 16 {
                    assert_eq!(client.get("/healthz").await.0, 200);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    // At once, while the writer thread may still have lines queued.
    let logs = stop_and_read(server).await;
    assert_eq!(access_count(&logs), REQUESTS);
}

#[test]
fn a_bad_access_log_setting_is_refused_with_the_choices() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .args(["serve", "--access-log", "sample=0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("all, none or sample=N"), "{stderr}");
}
