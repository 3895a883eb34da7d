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
