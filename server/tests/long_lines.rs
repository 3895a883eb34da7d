//! A flow whose error stands 100,000 characters into one line (minified or generated text)
//! is reported by every command and by the server, at start and on a `--watch` reload, with
//! the line cut around the place: never a panic.

use crate::cli::{stderr, stdout, stepwise_in};
use crate::support;

use std::path::Path;

use stepwise::serve::{Config, Settings};
use support::{TestServer, eventually};

const TOKEN: &str = "long-lines-agent-token";

/// How far into its line the error stands.
const INTO_THE_LINE: usize = 100_000;

/// A flow on one line whose `next` names no node, after a very long text.
fn long_line_flow() -> String {
    format!(
        r#"Flow(id: "long-line", title: "Long", summary: "One line.", start: "a", nodes: {{"a": Info(text: "{}", next: "nowhere"), "b": Done(text: "Done.")}})"#,
        "x".repeat(INTO_THE_LINE)
    ) + "\n"
}

fn flows_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("long-line.ron"), long_line_flow()).unwrap();
    dir
}

/// Checks that a command reported the unknown target, cut, and exited 1 rather than panicking.
fn reported(output: &std::process::Output, what: &str) -> String {
    let text = stdout(output) + &stderr(output);
    assert_eq!(output.status.code(), Some(1), "{what}: {text}");
    assert!(text.contains("stepwise::unknown-target"), "{what}: {text}");
    assert!(text.contains("names `nowhere`"), "{what}: {text}");
    // The snippet shows the place, cut: far fewer characters than the line.
    assert!(text.contains("…"), "{what}: {text}");
    assert!(
        text.len() < INTO_THE_LINE / 10,
        "{what}: {} bytes",
        text.len()
    );
    text
}

#[test]
fn check_cuts_the_line_and_names_the_column_in_characters() {
    let dir = flows_dir();
    let text = reported(&stepwise_in(dir.path(), &["check", "."]), "check");
    // `"a": Info(text: "` and the text come before `"nowhere"`.
    let column = long_line_flow().find("\"nowhere\"").unwrap() + 1;
    assert!(
        text.contains(&format!("long-line.ron:1:{column}]")),
        "{column}: {text}"
    );
    let json = stdout(&stepwise_in(
        dir.path(),
        &["check", ".", "--format", "json"],
    ));
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let unknown = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "unknown-target")
        .expect("unknown-target in JSON");
    assert_eq!(unknown["column"], column);
}

#[test]
fn paths_and_graph_report_it_too() {
    let dir = flows_dir();
    let flows = dir.path().to_str().unwrap();
    reported(
        &stepwise_in(dir.path(), &["paths", "long-line", "--flows", flows]),
        "paths",
    );
    for format in ["mermaid", "svg"] {
        reported(
            &stepwise_in(
                dir.path(),
                &["graph", "long-line", "--flows", flows, "--format", format],
            ),
            format,
        );
    }
}

async fn diagnostics(client: &support::Client) -> Vec<serde_json::Value> {
    let response = client
        .http
        .get(client.url("/api/v1/diagnostics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let (status, body) = support::json(response).await;
    assert_eq!(status, 200, "{body}");
    body.as_array().unwrap().clone()
}

async fn serve(flows: &Path, store: &Path, watch: bool) -> TestServer {
    TestServer::start_with(Config {
        flows: flows.to_owned(),
        store: support::sqlite(store),
        settings: Settings {
            agent_token: Some(TOKEN.to_owned()),
            ..Settings::default()
        },
        watch,
    })
    .await
}

fn names_the_long_line(diagnostics: &[serde_json::Value]) -> bool {
    diagnostics
        .iter()
        .any(|d| d["code"] == "unknown-target" && d["file"].as_str().unwrap().contains("long-line"))
}

#[tokio::test]
async fn the_server_starts_with_such_a_file_and_reports_it() {
    let flows = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(support::fixtures()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, flows.path().join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(flows.path().join("long-line.ron"), long_line_flow()).unwrap();
    let store = tempfile::tempdir().unwrap();
    let server = serve(flows.path(), store.path(), false).await;
    let (status, _) = server.client.get("/api/v1/flows").await;
    assert_eq!(status, 200);
    assert!(names_the_long_line(&diagnostics(&server.client).await));
    server.stop().await;
}

#[tokio::test]
async fn a_watched_reload_of_such_a_file_is_reported_and_serving_goes_on() {
    let flows = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(support::fixtures()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, flows.path().join(path.file_name().unwrap())).unwrap();
    }
    let store = tempfile::tempdir().unwrap();
    let server = serve(flows.path(), store.path(), true).await;
    let (status, _) = server.client.get("/api/v1/flows").await;
    assert_eq!(status, 200);
    std::fs::write(flows.path().join("long-line.ron"), long_line_flow()).unwrap();
    let client = &server.client;
    eventually("the long line's error is reported", || async move {
        names_the_long_line(&diagnostics(client).await).then_some(())
    })
    .await;
    let (status, _) = server.client.get("/api/v1/flows").await;
    assert_eq!(status, 200);
    server.stop().await;
}
