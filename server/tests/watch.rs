//! Live preview: with `--watch`, the server reloads flows when their files change. A broken
//! file is reported while its flow keeps serving its last good version; fixing the file
//! clears the report; a deleted file's flow is no longer offered; sessions in progress stay
//! on the version they started on. Without `--watch`, nothing changes until a restart.

use crate::support;

use std::path::Path;

use serde_json::{Value, json};
use stepwise::serve::{Config, Settings};
use support::{Client, TestServer, eventually, version};

/// A flow that links to nothing and nothing links to, so it can be deleted.
const SPARE: &str = r#"Flow(
    id: "spare",
    title: "A flow that is about to go",
    summary: "Asks one thing and finishes.",
    tags: ["spare"],
    start: "ask",
    nodes: {
        "ask": Question(
            text: "Is the light on?",
            answers: [
                (id: "yes", label: "Yes", goto: "lit"),
                (id: "no", label: "No", goto: "dark"),
            ],
        ),
        "lit": Done(text: "Nothing to fix."),
        "dark": Done(text: "Switch it on."),
    },
)
"#;

/// The agent token: diagnostics are for staff, even while writers preview.
const TOKEN: &str = "watch-agent-token";

const QUESTION: &str = "What happens when you sign in?";

fn flows_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(support::fixtures()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(dir.path().join("spare.ron"), SPARE).unwrap();
    dir
}

async fn start(flows: &Path, store: &Path, watch: bool) -> TestServer {
    let server = TestServer::start_with(Config {
        flows: flows.to_owned(),
        store: support::sqlite(store),
        settings: Settings {
            agent_token: Some(TOKEN.to_owned()),
            ..Settings::default()
        },
        watch,
    })
    .await;
    // The server answers only once it watches, so no change made after this goes unseen.
    let (status, _) = server.client.get("/api/v1/flows").await;
    assert_eq!(status, 200);
    server
}

/// Rewrites `file`, replacing `from` with `to`.
fn edit(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "`{from}` is not in {}", file.display());
    std::fs::write(file, text.replace(from, to)).unwrap();
}

/// The customer home page, as HTML.
async fn home_page(client: &Client) -> String {
    let response = client.http.get(client.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// The agent console's home page, as HTML.
async fn console_page(client: &Client) -> String {
    let response = client
        .http
        .get(client.url("/agent"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

async fn diagnostics(client: &Client) -> Vec<Value> {
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

/// A new web session's first step on `sign-in`: its version and question.
async fn first_step(client: &Client) -> (String, String) {
    let (_, body) = client.start("sign-in", json!({"platform": "web"})).await;
    (
        body["version"].as_str().unwrap().to_owned(),
        body["step"]["text"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn edits_are_served_broken_files_keep_the_last_good_version_and_fixes_clear_the_report() {
    let flows = flows_dir();
    let store = tempfile::tempdir().unwrap();
    let server = start(flows.path(), store.path(), true).await;
    let client = server.client.clone();
    let file = flows.path().join("sign-in.ron");

    assert_eq!(diagnostics(&client).await, Vec::<Value>::new());
    let (first, text) = first_step(&client).await;
    assert_eq!(text, QUESTION);
    // A session in progress on the first version.
    let (pinned, _) = client.start("sign-in", json!({})).await;
    let (_, step) = client.answer(&pinned, "web").await;
    assert_eq!(step["step"]["text"], QUESTION);

    // An edit is served to new sessions under a new version.
    edit(&file, QUESTION, "What goes wrong?");
    let second = eventually("the edited flow is served", || async {
        version(&client, "sign-in").await.filter(|v| *v != first)
    })
    .await;
    assert_eq!(
        first_step(&client).await,
        (second.clone(), "What goes wrong?".into())
    );
    // A session on the second version, which only the reload ever served.
    let (on_second, _) = client.start("sign-in", json!({"platform": "web"})).await;

    // A syntax error is reported with its place, and the flow keeps its last good version.
    edit(
        &file,
        r#"label: "It works now", goto"#,
        r#"label: "It works now" goto"#,
    );
    // Waiting for the place, not just any report: a reload may have caught the file half
    // written.
    let reported = eventually("the broken file is reported at its place", || async {
        let found = diagnostics(&client).await;
        found.iter().any(|d| d["line"] == 31).then_some(found)
    })
    .await;
    assert_eq!(reported.len(), 1, "{reported:?}");
    let error = &reported[0];
    assert_eq!(error["code"], "syntax");
    assert_eq!(error["severity"], "error");
    assert!(
        error["file"].as_str().unwrap().ends_with("sign-in.ron"),
        "{error}"
    );
    assert_eq!(error["line"], 31);
    assert_eq!(error["column"], 55);
    assert!(error["message"].as_str().unwrap().contains("expected"));
    assert!(error["help"].is_string());
    assert_eq!(version(&client, "sign-in").await, Some(second.clone()));
    // Staff see the problem on their pages; customers never do, nor can they ask for it.
    let page = console_page(&client).await;
    assert!(page.contains(r#"class="banner""#), "{page}");
    assert!(page.contains("sign-in.ron:31:55"), "{page}");
    let page = home_page(&client).await;
    assert!(!page.contains(r#"class="banner""#), "{page}");
    assert!(!page.contains("sign-in.ron"), "{page}");
    let (status, body) = client.get("/api/v1/diagnostics").await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "unauthorized", "{body}");
    assert_eq!(
        first_step(&client).await,
        (second.clone(), "What goes wrong?".into())
    );
    let (_, list) = client.get("/api/v1/flows").await;
    assert!(
        list["flows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "sign-in")
    );

    // Fixing it clears the report and serves the fix.
    edit(
        &file,
        r#"label: "It works now" goto"#,
        r#"label: "It works now", goto"#,
    );
    edit(&file, "What goes wrong?", "What stops you?");
    let third = eventually("the fixed flow is served", || async {
        version(&client, "sign-in").await.filter(|v| *v != second)
    })
    .await;
    assert_ne!(third, first);
    assert_eq!(diagnostics(&client).await, Vec::<Value>::new());
    assert!(!console_page(&client).await.contains(r#"class="banner""#));
    assert_eq!(first_step(&client).await, (third, "What stops you?".into()));

    // The session that started on the first version finishes on it.
    let (_, session) = client.get(&format!("/api/v1/sessions/{pinned}")).await;
    assert_eq!(session["version"], first);
    assert_eq!(session["step"]["text"], QUESTION);
    let (status, done) = client.answer(&pinned, "nothing").await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["status"], "done", "{done}");
    server.stop().await;

    // The store recorded the second version when it was served: after a restart, the
    // session started on it still finishes on it.
    let server = start(flows.path(), store.path(), false).await;
    let (_, session) = server
        .client
        .get(&format!("/api/v1/sessions/{on_second}"))
        .await;
    assert_eq!(session["version"], second);
    assert_eq!(session["step"]["text"], "What goes wrong?");
    let (status, _) = server.client.answer(&on_second, "nothing").await;
    assert_eq!(status, 200);
    server.stop().await;
}

#[tokio::test]
async fn a_deleted_flow_is_no_longer_offered_but_its_sessions_finish() {
    let flows = flows_dir();
    let store = tempfile::tempdir().unwrap();
    let server = start(flows.path(), store.path(), true).await;
    let client = server.client.clone();
    let (session, _) = client.start("spare", json!({})).await;

    std::fs::remove_file(flows.path().join("spare.ron")).unwrap();
    eventually("the deleted flow is gone", || async {
        version(&client, "spare").await.is_none().then_some(())
    })
    .await;
    let (_, list) = client.get("/api/v1/flows").await;
    let ids: Vec<&Value> = list["flows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["id"])
        .collect();
    assert_eq!(ids, [&json!("second-factor"), &json!("sign-in")]);
    let (status, _) = client
        .post("/api/v1/sessions", json!({"flow": "spare", "facts": {}}))
        .await;
    assert_eq!(status, 404);

    let (status, done) = client.answer(&session, "no").await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["step"]["text"], "Switch it on.");
    assert_eq!(diagnostics(&client).await, Vec::<Value>::new());
    server.stop().await;
}

#[tokio::test]
async fn without_watch_a_changed_file_waits_for_a_restart() {
    let flows = flows_dir();
    let (watched_store, still_store) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let still = start(flows.path(), still_store.path(), false).await;
    let watched = start(flows.path(), watched_store.path(), true).await;
    let before = version(&still.client, "sign-in").await.unwrap();

    edit(
        &flows.path().join("sign-in.ron"),
        QUESTION,
        "What goes wrong?",
    );
    // Once the watching server has seen the change, the other has had as long to see it.
    eventually("the watching server serves the edit", || async {
        version(&watched.client, "sign-in")
            .await
            .filter(|v| *v != before)
    })
    .await;
    assert_eq!(
        version(&still.client, "sign-in").await,
        Some(before.clone())
    );
    assert_eq!(first_step(&still.client).await, (before, QUESTION.into()));
    watched.stop().await;
    still.stop().await;
}
