//! What a security review and fault tests found, each held by a test: bad input is a 4xx,
//! never a 500, and the limits an operator sets are the ones that hold.

mod support;

use serde_json::json;
use stepwise::serve::{Config, Settings};
use support::TestServer;

#[tokio::test]
async fn a_page_form_for_an_id_no_session_has_is_not_found() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::fixtures(), store.path()).await;
    let http = support::no_redirects();
    for (path, form) in [
        ("/s/%0a/feedback", [("helpful", "maybe")]),
        ("/s/%0a/feedback", [("helpful", "yes")]),
        ("/s/%0d%0aSet-Cookie:x=1/answer", [("answer", "yes")]),
        ("/s/%E2%80%AE/back", [("at", "x")]),
        ("/s/%0a/restart", [("at", "x")]),
        ("/s/%0a/details", [("d.txid", "x")]),
    ] {
        let response = http
            .post(server.client.url(path))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_body_limit_above_two_mebibytes_is_the_one_that_holds() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(Config {
        flows: support::fixtures(),
        store: support::sqlite(store.path()),
        settings: Settings {
            body_limit: 4 * 1024 * 1024,
            ..Settings::default()
        },
        watch: false,
    })
    .await;
    let body = |size: usize| json!({"flow": "sign-in", "padding": "x".repeat(size)});
    // Under the limit: read and refused for what it says (an unknown field), not its size.
    let (status, reply) = server
        .client
        .post("/api/v1/sessions", body(3 * 1024 * 1024))
        .await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(reply["error"]["code"], "malformed_body");
    let (status, reply) = server
        .client
        .post("/api/v1/sessions", body(5 * 1024 * 1024))
        .await;
    assert_eq!(status, 413, "{reply}");
    assert_eq!(reply["error"]["code"], "body_too_large");
    server.stop().await;
}
