//! The OpenAPI document describes every route the server has, and is a valid OpenAPI 3.1
//! document whose references all resolve.

use crate::support;

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::Value;
use support::TestServer;

/// The API as the product describes it: every route a client can call.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/flows"),
    ("GET", "/api/v1/flows/{id}"),
    ("GET", "/api/v1/flows/{id}/stats"),
    ("GET", "/api/v1/diagnostics"),
    ("POST", "/api/v1/sessions"),
    ("GET", "/api/v1/sessions/{id}"),
    ("POST", "/api/v1/sessions/{id}/answer"),
    ("POST", "/api/v1/sessions/{id}/back"),
    ("POST", "/api/v1/sessions/{id}/restart"),
    ("POST", "/api/v1/sessions/{id}/details"),
    ("POST", "/api/v1/sessions/{id}/feedback"),
    ("GET", "/api/v1/sessions/{id}/transcript"),
    ("GET", "/api/v1/agent/sessions/{key}"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
];

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

async fn document(server: &TestServer) -> (String, Value) {
    let response = server
        .client
        .http
        .get(server.client.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap();
    (text, value)
}

fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|m| METHODS.contains(&m.to_uppercase().as_str()))
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect()
}

#[tokio::test]
async fn the_document_lists_every_route_and_only_routes_that_exist() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::fixtures(), store.path()).await;
    let (_, doc) = document(&server).await;
    let documented = operations(&doc);
    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(documented, expected);

    // Each documented operation is routed, and each documented path answers every other
    // method with 405: the router has nothing the document does not say.
    let client = &server.client;
    let paths: BTreeSet<&String> = documented.iter().map(|(_, p)| p).collect();
    for path in paths {
        let url = client.url(&path.replace("{id}", "00000000-0000-4000-8000-000000000000"));
        for method in METHODS {
            let response = client
                .http
                .request(Method::from_bytes(method.as_bytes()).unwrap(), &url)
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = response.status();
            let text = response.text().await.unwrap();
            let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            if documented.contains(&((*method).to_owned(), path.clone())) {
                assert_ne!(status, 405, "{method} {path}");
                assert_ne!(
                    body["error"]["code"], "not_found",
                    "{method} {path}: {body}"
                );
                assert!(!status.is_server_error(), "{method} {path}: {body}");
            } else {
                assert_eq!(status, 405, "{method} {path}: {body}");
            }
        }
    }
    server.stop().await;
}

/// Every `$ref` in `value`, as a JSON pointer into the document.
fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => found.push(r),
                    _ => refs(v, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_is_valid_openapi_3_1() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::fixtures(), store.path()).await;
    let (text, doc) = document(&server).await;

    // The typed OpenAPI 3.1 model accepts it, and its version is one it supports.
    let spec = oas3::from_json(&text).unwrap();
    let version = spec.validate_version().unwrap();
    assert_eq!((version.major, version.minor), (3, 1));
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));

    // Every reference points at something in the document.
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for r in found {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("external ref {r}"));
        assert!(doc.pointer(pointer).is_some(), "unresolved {r}");
    }

    // Every operation has a unique id, a tag, a summary and at least one response; every
    // schema it names resolves through the typed model.
    let mut ids = BTreeSet::new();
    for (path, method, op) in spec.operations() {
        let id = op.operation_id.clone().unwrap_or_default();
        assert!(ids.insert(id.clone()), "{method} {path}: duplicate id {id}");
        assert!(!op.tags.is_empty(), "{method} {path}");
        assert!(op.summary.is_some(), "{method} {path}");
        let responses = op.responses.as_ref().unwrap();
        assert!(!responses.is_empty(), "{method} {path}");
        for response in responses.values() {
            let response = response.resolve(&spec).unwrap();
            for media in response.content.values() {
                if let Some(schema) = &media.schema {
                    schema.resolve(&spec).unwrap();
                }
            }
        }
    }
    server.stop().await;
}
