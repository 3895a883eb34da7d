//! A broken flow file never replaces the good one, on either way of reloading: a change seen
//! by `--watch`, or `SIGHUP` sent to the real binary. A file that fails its checks and a
//! file cut off partway (a save caught mid-write) are each reported with their place at
//! `/api/v1/diagnostics`, while new sessions keep getting the last good version; a good file
//! is served again once it is fixed.

use crate::support;

use std::path::Path;

use serde_json::{Value, json};
use stepwise::serve::{Config, Settings};
use support::{Binary, Client, TestServer, eventually, version};

const QUESTION: &str = "What happens when you sign in?";

fn flows_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(support::fixtures()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    dir
}

/// The diagnostics the server reports now, read as staff: they are behind the agent token,
/// previewing or not.
async fn diagnostics(client: &Client) -> Value {
    let response = client
        .http
        .get(client.url("/api/v1/diagnostics"))
        .bearer_auth(support::AGENT_TOKEN)
        .send()
        .await
        .unwrap();
    support::json(response).await.1
}

/// The first diagnostic with `code`, once the server reports one.
async fn reported(client: &Client, code: &str) -> Value {
    eventually(&format!("a `{code}` diagnostic is reported"), || async {
        let found = diagnostics(client).await;
        found
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == code)
            .cloned()
    })
    .await
}

/// New sessions on `sign-in` get `version` and its first question.
async fn still_served(client: &Client, version: &str) {
    let (_, started) = client.start("sign-in", json!({"platform": "web"})).await;
    assert_eq!(started["version"], version);
    assert_eq!(started["step"]["text"], QUESTION);
}

/// Breaks `sign-in.ron` in two ways and fixes it, calling `reload` after each change.
async fn broken_files_never_replace_the_good_version(
    client: &Client,
    flows: &Path,
    reload: impl Fn(),
) {
    let file = flows.join("sign-in.ron");
    let good = std::fs::read_to_string(&file).unwrap();
    let first = version(client, "sign-in").await.unwrap();
    let (pinned, _) = client.start("sign-in", json!({"platform": "web"})).await;

    // A file that parses but fails its checks: an answer leads nowhere.
    std::fs::write(
        &file,
        good.replace(r#"goto: "about-2fa""#, r#"goto: "about-2ffa""#),
    )
    .unwrap();
    reload();
    let problem = reported(client, "unknown-target").await;
    assert!(
        problem["file"].as_str().unwrap().ends_with("sign-in.ron"),
        "{problem}"
    );
    assert_eq!(problem["line"], 30, "{problem}");
    assert!(
        problem["help"].as_str().unwrap().contains("about-2fa"),
        "{problem}"
    );
    assert_eq!(version(client, "sign-in").await, Some(first.clone()));
    still_served(client, &first).await;

    // A file cut off partway, as a save caught mid-write.
    let cut = good.find(r#""about-2fa": Info("#).unwrap();
    std::fs::write(&file, &good[..cut]).unwrap();
    reload();
    let problem = reported(client, "syntax").await;
    assert!(
        problem["file"].as_str().unwrap().ends_with("sign-in.ron"),
        "{problem}"
    );
    assert_eq!(problem["line"], 37, "{problem}");
    assert_eq!(version(client, "sign-in").await, Some(first.clone()));
    still_served(client, &first).await;
    // The other flows are untouched, and sessions in progress carry on.
    assert!(version(client, "second-factor").await.is_some());
    let (status, moved) = client.answer(&pinned, "code").await;
    assert_eq!(status, 200, "{moved}");

    // The fix is served, and the report cleared.
    std::fs::write(&file, good.replace(QUESTION, "What goes wrong?")).unwrap();
    reload();
    let fixed = eventually("the fixed flow is served", || async {
        version(client, "sign-in").await.filter(|v| *v != first)
    })
    .await;
    assert_eq!(diagnostics(client).await, json!([]));
    let (_, started) = client.start("sign-in", json!({"platform": "web"})).await;
    assert_eq!(started["version"], fixed);
    assert_eq!(started["step"]["text"], "What goes wrong?");
}

#[tokio::test]
async fn watch_never_serves_a_broken_file() {
    let flows = flows_dir();
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(Config {
        flows: flows.path().to_owned(),
        store: support::sqlite(store.path()),
        settings: Settings {
            agent_token: Some(support::AGENT_TOKEN.to_owned()),
            ..Settings::default()
        },
        watch: true,
    })
    .await;
    // The server answers only once it watches.
    assert!(version(&server.client, "sign-in").await.is_some());
    broken_files_never_replace_the_good_version(&server.client, flows.path(), || {}).await;
    server.stop().await;
}

#[tokio::test]
async fn sighup_never_serves_a_broken_file() {
    let flows = flows_dir();
    let store = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", store.path().join("stepwise.db").display());
    let server = Binary::spawn(flows.path(), &url);
    let pid = server.pid().to_string();
    let hangup = || {
        let sent = std::process::Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap();
        assert!(sent.success());
    };
    broken_files_never_replace_the_good_version(&server.client, flows.path(), hangup).await;
    // Still the same process: SIGHUP reloads, it does not stop the server.
    assert_eq!(server.pid().to_string(), pid);
    let (status, _) = server.client.get("/healthz").await;
    assert_eq!(status, 200);
    server.kill9();
}
