//! Listing, searching and mapping flows.

use crate::support;

use support::TestServer;

#[tokio::test]
async fn flows_are_listed_by_id_with_their_versions() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::fixtures(), store.path()).await;
    let (status, list) = server.client.get("/api/v1/flows").await;
    assert_eq!(status, 200);
    let flows = list["flows"].as_array().unwrap();
    let ids: Vec<&str> = flows.iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["second-factor", "sign-in"]);
    for flow in flows {
        assert_eq!(flow["version"].as_str().unwrap().len(), 16);
        assert!(flow.get("score").is_none());
    }
    server.stop().await;
}

#[tokio::test]
async fn search_ranks_title_and_tag_matches_first() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::fixtures(), store.path()).await;
    let ids = |q: &'static str| {
        let client = server.client.clone();
        async move {
            let (_, list) = client.get(&format!("/api/v1/flows?q={q}")).await;
            list["flows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    // Both flows are tagged 2fa; only one has it in its title.
    assert_eq!(ids("2FA").await, ["second-factor", "sign-in"]);
    assert_eq!(ids("password").await, ["sign-in"]);
    // "Authenticator" names 2FA: the flow that says the word first, then the one tagged 2FA.
    assert_eq!(ids("authenticator").await, ["second-factor", "sign-in"]);
    assert!(ids("zebra").await.is_empty());
    // An empty query lists everything.
    assert_eq!(ids("%20").await.len(), 2);
    server.stop().await;
}

#[tokio::test]
async fn a_flow_map_has_every_node_and_edge() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::fixtures(), store.path()).await;
    let (status, mut map) = server.client.get("/api/v1/flows/sign-in").await;
    assert_eq!(status, 200);
    // The version is a hash of the content: checked elsewhere, not pinned in the snapshot.
    map["version"] = "<version>".into();
    insta::assert_json_snapshot!(map);
    server.stop().await;
}

#[tokio::test]
async fn a_flow_map_in_german_labels_its_edges_in_german() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::workspace_root().join("flows"), store.path()).await;
    let label = |map: &serde_json::Value, from: &str, to: &str| {
        let edge = map["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["from"] == from && e["to"] == to)
            .unwrap_or_else(|| panic!("no edge {from} -> {to}: {map}"));
        edge["label"].as_str().unwrap().to_owned()
    };

    let path = "/api/v1/flows/p2p-released-not-paid";
    let (status, german) = server.client.get(&format!("{path}?lang=de")).await;
    assert_eq!(status, 200);
    assert_eq!(german["locale"], "de");
    assert_eq!(
        label(&german, "check-account", "contactable"),
        "Nicht gelöst"
    );
    assert_eq!(label(&german, "reversed", "contactable"), "Weiter");
    assert_eq!(label(&german, "contactable", "chat"), "Ja, er antwortet");
    let (_, english) = server.client.get(path).await;
    assert_eq!(
        label(&english, "check-account", "contactable"),
        "Not solved"
    );
    assert_eq!(label(&english, "reversed", "contactable"), "Continue");

    let (_, branching) = server.client.get("/api/v1/flows/p2p-dispute?lang=de").await;
    assert_eq!(
        label(&branching, "how-to-open", "open-app"),
        "platform = app"
    );
    assert_eq!(label(&branching, "how-to-open", "open-either"), "sonst");
    server.stop().await;
}

#[tokio::test]
async fn searching_the_bundled_flows_finds_what_customers_type() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::workspace_root().join("flows"), store.path()).await;
    for (query, best) in [
        ("memo", "deposit-missing-memo"),
        ("facial%20recognition", "facial-recognition-fails"),
        ("withdrawal%20not%20received", "withdrawal-not-received"),
    ] {
        let (_, list) = server.client.get(&format!("/api/v1/flows?q={query}")).await;
        assert_eq!(list["flows"][0]["id"], best, "{query}: {list}");
    }
    server.stop().await;
}
