//! The agent token guards every staff route: each one refuses a request without it, with a
//! wrong one, and with a forged cookie, and changes nothing when it refuses. Session ids are
//! unguessable and sessions can only be read by id: there is no listing.

use crate::support;

use std::path::Path;

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use serde_json::Value;
use support::{TestServer, no_redirects as http};

const TOKEN: &str = "the-right-agent-token";

/// Every route behind the token, as written in the router: method and path.
const GUARDED: &[(&str, &str)] = &[
    ("GET", "/agent"),
    ("GET", "/agent/open"),
    ("GET", "/agent/flows/{id}"),
    ("POST", "/agent/flows/{id}/start"),
    ("GET", "/agent/s/{id}"),
    ("POST", "/agent/s/{id}/answer"),
    ("POST", "/agent/s/{id}/back"),
    ("POST", "/agent/s/{id}/restart"),
    ("POST", "/agent/s/{id}/jump"),
    ("POST", "/agent/s/{id}/note"),
    ("GET", "/api/v1/agent/sessions/{key}"),
    ("GET", "/agent/stats"),
    ("GET", "/agent/stats/{id}"),
    ("GET", "/api/v1/flows/{id}/stats"),
    ("GET", "/agent/webhooks"),
    ("POST", "/agent/webhooks/{id}/retry"),
];

/// Staff routes that need no token, and why.
const OPEN: &[(&str, &str)] = &[
    // Takes the token itself; tested below.
    ("POST", "/agent/sign-in"),
    // Only clears the cookie.
    ("POST", "/agent/sign-out"),
    // The writers' preview exists only under --watch, which this file's server does not
    // run: `live.rs` sends them no token, wrong ones and forged cookies.
    ("GET", "/preview"),
    ("GET", "/preview/{id}"),
];

async fn server(store: &Path) -> TestServer {
    TestServer::with_agent_token(&support::workspace_root().join("flows"), store, TOKEN).await
}

/// How a request tries to get in.
#[derive(Debug, Clone, Copy)]
enum Credentials<'a> {
    None,
    Bearer(&'a str),
    Cookie(&'a str),
}

async fn send(
    server: &TestServer,
    method: &str,
    path: &str,
    form: &[(&str, &str)],
    credentials: Credentials<'_>,
) -> reqwest::Response {
    let url = server.client.url(path);
    let mut request = match method {
        "GET" => http().get(url),
        _ => http().post(url).form(form),
    };
    request = match credentials {
        Credentials::None => request,
        Credentials::Bearer(token) => request.header(AUTHORIZATION, format!("Bearer {token}")),
        Credentials::Cookie(value) => request.header(COOKIE, format!("stepwise_agent={value}")),
    };
    request.send().await.unwrap()
}

/// The concrete path and form of a guarded route, on session `id`.
fn request_for(route: &str, id: &str, at: &str) -> (String, Vec<(&'static str, String)>) {
    let path = route
        .replace(
            "{id}",
            if route.starts_with("/agent/flows")
                || route.starts_with("/agent/stats")
                || route.starts_with("/api/v1/flows")
            {
                "deposit-missing-memo"
            } else {
                id
            },
        )
        .replace("{key}", id);
    let form = match route.rsplit('/').next() {
        Some("answer") => vec![
            ("at", at.to_owned()),
            ("pos", "0".into()),
            ("answer", "in".into()),
        ],
        Some("jump") => vec![
            ("at", at.to_owned()),
            ("pos", "0".into()),
            ("node", "contact-support".into()),
        ],
        Some("note") => vec![("text", "written without the token".into())],
        _ => Vec::new(),
    };
    let path = if route == "/agent/open" {
        format!("{path}?key={id}")
    } else {
        path
    };
    (path, form)
}

/// The cookie the server gives for the right token.
async fn sign_in_cookie(server: &TestServer) -> String {
    let response = send(
        server,
        "POST",
        "/agent/sign-in",
        &[("token", TOKEN)],
        Credentials::None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap();
    let pair = cookie.split(';').next().unwrap();
    pair.split_once('=').unwrap().1.to_owned()
}

#[tokio::test]
async fn every_agent_route_refuses_a_missing_or_wrong_token_and_changes_nothing() {
    let store = tempfile::tempdir().unwrap();
    let server = server(store.path()).await;
    let (id, started) = server
        .client
        .start("deposit-missing-memo", serde_json::json!({}))
        .await;
    let at = started["step"]["node"].as_str().unwrap().to_owned();
    let right_cookie = sign_in_cookie(&server).await;
    // The cookie a wrong token would have been given, and a cookie one character off.
    let mut off_by_one = right_cookie.clone();
    let last = if off_by_one.ends_with('0') { "1" } else { "0" };
    off_by_one.replace_range(off_by_one.len() - 1.., last);
    let wrong = [
        Credentials::None,
        Credentials::Bearer("the-wrong-agent-token"),
        Credentials::Bearer(""),
        Credentials::Bearer(&right_cookie),
        Credentials::Cookie(TOKEN),
        Credentials::Cookie(&off_by_one),
        Credentials::Cookie(""),
    ];
    let (_, before) = server.client.get(&format!("/api/v1/sessions/{id}")).await;
    let count_before = session_count(store.path());

    for (method, route) in GUARDED {
        let (path, form) = request_for(route, &id, &at);
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        for credentials in wrong {
            let response = send(&server, method, &path, &form, credentials).await;
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{method} {path} with {credentials:?}"
            );
            let json = route.starts_with("/api/");
            let body = response.text().await.unwrap();
            if json {
                let body: Value = serde_json::from_str(&body).unwrap();
                assert_eq!(body["error"]["code"], "unauthorized");
            } else {
                assert!(body.contains("id=\"token\""), "{path}: the sign-in form");
            }
        }
        // Nothing moved, no note, no new session.
        let (_, now) = server.client.get(&format!("/api/v1/sessions/{id}")).await;
        assert_eq!(now, before, "{method} {path} changed the session");
        assert_eq!(session_count(store.path()), count_before, "{method} {path}");
    }

    // The right token, by header or by the sign-in cookie, opens every one of them.
    for (method, route) in GUARDED {
        let (path, form) = request_for(route, &id, &at);
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        for credentials in [
            Credentials::Bearer(TOKEN),
            Credentials::Cookie(&right_cookie),
        ] {
            let response = send(&server, method, &path, &form, credentials).await;
            assert!(
                response.status().is_success() || response.status().is_redirection(),
                "{method} {path} with {credentials:?}: {}",
                response.status()
            );
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn signing_in_with_a_wrong_token_sets_no_cookie() {
    let store = tempfile::tempdir().unwrap();
    let server = server(store.path()).await;
    for token in [
        "",
        "the-wrong-agent-token",
        &TOKEN[..TOKEN.len() - 1],
        &format!("{TOKEN}x"),
    ] {
        let response = send(
            &server,
            "POST",
            "/agent/sign-in",
            &[("token", token)],
            Credentials::None,
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{token:?}");
        assert!(response.headers().get(SET_COOKIE).is_none(), "{token:?}");
    }
    let cookie = sign_in_cookie(&server).await;
    assert!(
        !cookie.contains(TOKEN),
        "the cookie carries a hash, not the token"
    );
    server.stop().await;
}

/// Every staff route in the source is in [`GUARDED`] or [`OPEN`], so a route added later
/// cannot skip this test.
#[test]
fn every_staff_route_in_the_router_is_tested() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![src];
    let mut found = Vec::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (at, _) in text.match_indices(".route(\"") {
            let rest = &text[at + ".route(\"".len()..];
            let route = &rest[..rest.find('"').unwrap()];
            // `.route("/path", post(handler))`: the method is the call after the path.
            let handler = &rest[..rest.find(')').unwrap_or(rest.len())];
            let method = if handler.contains("post(") {
                "POST"
            } else {
                "GET"
            };
            let staff = route.starts_with("/agent")
                || route.starts_with("/api/v1/agent")
                || route.starts_with("/owner")
                || route.starts_with("/preview")
                || route.starts_with("/api/v1/owner");
            if staff {
                found.push((method, route.to_owned(), path.display().to_string()));
            }
        }
    }
    assert!(found.len() >= GUARDED.len(), "found {found:?}");
    for (method, route, file) in found {
        let known = GUARDED
            .iter()
            .chain(OPEN)
            .any(|(m, r)| *m == method && *r == route);
        assert!(known, "{method} {route} ({file}) is not in GUARDED or OPEN");
    }
}

#[tokio::test]
async fn sessions_are_read_by_unguessable_id_only() {
    let store = tempfile::tempdir().unwrap();
    let server = server(store.path()).await;
    let mut ids = std::collections::BTreeSet::new();
    for _ in 0..50 {
        let (id, _) = server
            .client
            .start("deposit-missing-memo", serde_json::json!({}))
            .await;
        // A random (version 4) UUID: 122 bits from the operating system's generator.
        let uuid = uuid::Uuid::parse_str(&id).unwrap();
        assert_eq!(uuid.get_version_num(), 4, "{id}");
        ids.insert(id);
    }
    assert_eq!(ids.len(), 50);

    // No listing: not on the API, not by a prefix, not without the token.
    let listing = http()
        .get(server.client.url("/api/v1/sessions"))
        .send()
        .await
        .unwrap();
    assert_eq!(listing.status(), StatusCode::METHOD_NOT_ALLOWED);
    for path in [
        "/api/v1/agent/sessions",
        "/api/v1/agent/sessions/",
        "/agent/s/",
        "/s/",
    ] {
        let response = http().get(server.client.url(path)).send().await.unwrap();
        assert!(
            matches!(
                response.status(),
                StatusCode::NOT_FOUND | StatusCode::UNAUTHORIZED | StatusCode::METHOD_NOT_ALLOWED
            ),
            "{path}: {}",
            response.status()
        );
    }
    let some = ids.iter().next().unwrap();
    let guess = format!("{}0000", &some[..some.len() - 4]);
    let (status, body) = server
        .client
        .get(&format!("/api/v1/sessions/{guess}"))
        .await;
    if guess != *some {
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
    server.stop().await;
}

/// How many sessions the store holds, read from its file directly.
fn session_count(store: &Path) -> i64 {
    let db = rusqlite::Connection::open(store.join("stepwise.db")).unwrap();
    db.query_row("SELECT count(*) FROM sessions", [], |row| row.get(0))
        .unwrap()
}
