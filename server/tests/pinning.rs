//! A session stays on the flow version it started on: when a flow file changes (and the
//! server restarts), sessions in progress finish on the old version, new ones get the new.

use crate::support;

use std::path::Path;

use serde_json::json;
use support::TestServer;

fn copy_fixtures(to: &Path) {
    for entry in std::fs::read_dir(support::fixtures()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

#[tokio::test]
async fn sessions_finish_on_the_version_they_started_on() {
    let flows = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    copy_fixtures(flows.path());

    let server = TestServer::start(flows.path(), store.path()).await;
    let (id, first) = server.client.start("sign-in", json!({})).await;
    let old_version = first["version"].as_str().unwrap().to_owned();
    let (_, step) = server.client.answer(&id, "web").await;
    assert_eq!(step["step"]["node"], "what-fails");
    let (in_link, _) = server
        .client
        .start("sign-in", json!({"platform": "web"}))
        .await;
    for answer in ["code", "next"] {
        server.client.answer(&in_link, answer).await;
    }
    server.stop().await;

    // The writer changes the question between two answers of that session; and the linked
    // flow too.
    let path = flows.path().join("sign-in.ron");
    let text = std::fs::read_to_string(&path).unwrap();
    let changed = text
        .replace("What happens when you sign in?", "What goes wrong?")
        .replace(
            r#"(id: "nothing", label: "It works now", goto: "fine"),"#,
            r#"(id: "nothing", label: "It works now", goto: "fine"),
                (id: "locked", label: "My account is locked", goto: "fine"),"#,
        );
    assert_ne!(changed, text);
    std::fs::write(&path, changed).unwrap();
    let linked = flows.path().join("second-factor.ron");
    let text = std::fs::read_to_string(&linked).unwrap();
    std::fs::write(
        &linked,
        text.replace("then try a new code", "then wait a minute"),
    )
    .unwrap();

    let server = TestServer::start(flows.path(), store.path()).await;
    let client = server.client.clone();

    // The old session still sees the old question, with the old answers only.
    let (_, session) = client.get(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(session["version"], old_version);
    assert_eq!(session["step"]["text"], "What happens when you sign in?");
    assert_eq!(session["step"]["answers"].as_array().unwrap().len(), 3);
    let (status, body) = client.answer(&id, "locked").await;
    assert_eq!(status, 422, "{body}");

    // It enters the linked flow: it never saw that flow, so it gets the current version.
    let (_, step) = client.answer(&id, "code").await;
    let (_, step2) = client.answer(&id, "next").await;
    assert_eq!(step["step"]["node"], "about-2fa");
    assert!(
        step2["step"]["text"]
            .as_str()
            .unwrap()
            .contains("wait a minute")
    );
    for answer in ["no", "no"] {
        client.answer(&id, answer).await;
    }
    let (_, done) = client.get(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(done["status"], "escalated");
    assert_eq!(done["version"], old_version);
    let transcript = client
        .http
        .get(client.url(&format!("/api/v1/sessions/{id}/transcript")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        transcript.contains("What happens when you sign in?"),
        "{transcript}"
    );
    assert!(transcript.contains(&old_version), "{transcript}");

    // A session that was already in the linked flow stays on its old version too.
    let (_, linked_step) = client.get(&format!("/api/v1/sessions/{in_link}")).await;
    assert_eq!(linked_step["step"]["node"], "clock");
    assert!(
        linked_step["step"]["text"]
            .as_str()
            .unwrap()
            .contains("then try a new code")
    );
    let (status, _) = client.answer(&in_link, "yes").await;
    assert!(status.is_success());

    // A new session gets the new version.
    let (_, fresh) = client.start("sign-in", json!({"platform": "web"})).await;
    assert_ne!(fresh["version"], old_version);
    assert_eq!(fresh["step"]["text"], "What goes wrong?");
    assert_eq!(fresh["step"]["answers"].as_array().unwrap().len(), 4);
    let (_, map) = client.get("/api/v1/flows/sign-in").await;
    assert_eq!(map["version"], fresh["version"]);
    server.stop().await;
}
