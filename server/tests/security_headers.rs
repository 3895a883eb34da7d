//! Security headers on every kind of page and response, and templates that keep to what the
//! Content-Security-Policy allows: no inline script, no inline event handlers, no `style=`.

use crate::support;

use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION};
use stepwise::serve::{Config, Settings};
use support::{TestServer, no_redirects as http};

const TOKEN: &str = "headers-agent-token";

async fn server(store: &Path, frame_ancestors: Option<&str>) -> TestServer {
    let mut settings = Settings {
        agent_token: Some(TOKEN.to_owned()),
        ..Settings::default()
    };
    if let Some(sources) = frame_ancestors {
        settings.frame_ancestors = sources.to_owned();
    }
    TestServer::start_with(Config {
        flows: support::workspace_root().join("flows"),
        store: support::sqlite(store),
        settings,
        watch: false,
    })
    .await
}

/// The headers of `GET path`, with its status, as the agent when `agent` is set.
async fn get(server: &TestServer, path: &str, agent: bool) -> (StatusCode, HeaderMap) {
    let mut request = http().get(server.client.url(path));
    if agent {
        request = request.bearer_auth(TOKEN);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.headers().clone())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

/// The directives of a policy, by name.
fn directives(policy: &str) -> Vec<(String, String)> {
    policy
        .split(';')
        .filter_map(|d| {
            let d = d.trim();
            let (name, value) = d.split_once(' ').unwrap_or((d, ""));
            (!name.is_empty()).then(|| (name.to_owned(), value.to_owned()))
        })
        .collect()
}

fn directive(policy: &str, name: &str) -> String {
    directives(policy)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name} in {policy}"))
        .1
}

/// What every response must carry; returns its frame-ancestors.
fn assert_secure(path: &str, headers: &HeaderMap) -> String {
    let policy = header(headers, "content-security-policy");
    assert_eq!(directive(policy, "default-src"), "'none'", "{path}");
    assert_eq!(directive(policy, "script-src"), "'self'", "{path}");
    assert!(!policy.contains("unsafe-inline"), "{path}: {policy}");
    assert!(!policy.contains("unsafe-eval"), "{path}: {policy}");
    assert_eq!(directive(policy, "base-uri"), "'none'", "{path}");
    assert_eq!(directive(policy, "form-action"), "'self'", "{path}");
    assert_eq!(
        header(headers, "x-content-type-options"),
        "nosniff",
        "{path}"
    );
    assert_eq!(header(headers, "referrer-policy"), "no-referrer", "{path}");
    directive(policy, "frame-ancestors")
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let store = tempfile::tempdir().unwrap();
    let server = server(store.path(), None).await;
    let (id, _) = server
        .client
        .start("deposit-missing-memo", serde_json::json!({}))
        .await;

    let customer = [
        ("/", StatusCode::OK),
        ("/?q=memo", StatusCode::OK),
        ("/?embed=1", StatusCode::OK),
        ("/flows/deposit-missing-memo", StatusCode::OK),
        (&format!("/s/{id}"), StatusCode::OK),
        ("/flows/no-such-flow", StatusCode::NOT_FOUND),
        ("/assets/site.css", StatusCode::OK),
        ("/assets/site.js", StatusCode::OK),
        ("/assets/frame.js", StatusCode::OK),
        ("/embed.js", StatusCode::OK),
        ("/api/v1/flows", StatusCode::OK),
        (&format!("/api/v1/sessions/{id}"), StatusCode::OK),
        ("/api/v1/sessions/not-a-session", StatusCode::NOT_FOUND),
        ("/api/v1/openapi.json", StatusCode::OK),
        ("/healthz", StatusCode::OK),
        ("/no/such/route", StatusCode::NOT_FOUND),
    ];
    for (path, status) in customer {
        let (got, headers) = get(&server, path, false).await;
        assert_eq!(got, status, "{path}");
        assert_eq!(assert_secure(path, &headers), "'self'", "{path}");
    }

    // The console is never framed, signed in or not, whatever the settings say.
    let agent_path = format!("/agent/s/{id}");
    let console = [
        ("/agent", false, StatusCode::UNAUTHORIZED),
        ("/agent", true, StatusCode::OK),
        ("/agent/open?key=nothing", true, StatusCode::NOT_FOUND),
        (agent_path.as_str(), true, StatusCode::OK),
        (
            &format!("/api/v1/agent/sessions/{id}"),
            true,
            StatusCode::OK,
        ),
        (
            &format!("/api/v1/agent/sessions/{id}"),
            false,
            StatusCode::UNAUTHORIZED,
        ),
    ];
    for (path, agent, status) in console {
        let (got, headers) = get(&server, path, agent).await;
        assert_eq!(got, status, "{path}");
        assert_eq!(assert_secure(path, &headers), "'none'", "{path}");
        assert_eq!(header(&headers, "x-frame-options"), "DENY", "{path}");
    }
    server.stop().await;
}

#[tokio::test]
async fn the_agent_session_page_allows_exactly_its_own_inline_style() {
    let store = tempfile::tempdir().unwrap();
    let server = server(store.path(), None).await;
    let (id, _) = server
        .client
        .start("deposit-missing-memo", serde_json::json!({}))
        .await;
    let response = http()
        .get(server.client.url(&format!("/agent/s/{id}")))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let policy = header(response.headers(), "content-security-policy").to_owned();
    let html = response.text().await.unwrap();
    let style = html
        .split_once("<style>")
        .and_then(|(_, rest)| rest.split_once("</style>"))
        .map(|(style, _)| style)
        .expect("the session page has its path highlight as a <style>");
    assert!(style.contains("stroke"), "{style}");
    let sources = directive(&policy, "style-src");
    let hashes: Vec<&str> = sources
        .split(' ')
        .filter(|s| s.contains("sha256"))
        .collect();
    assert_eq!(hashes.len(), 1, "{policy}");
    // Recompute the hash the browser will: SHA-256 of the element's text, base64.
    let digest = {
        use sha2::Digest;
        sha2::Sha256::digest(style.as_bytes())
    };
    let expected = format!(
        "'sha256-{}'",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, digest)
    );
    assert_eq!(hashes[0], expected);
    server.stop().await;
}

#[tokio::test]
async fn customer_pages_may_be_framed_where_the_settings_say() {
    let store = tempfile::tempdir().unwrap();
    let sources = "'self' https://help.example.com";
    let server = server(store.path(), Some(sources)).await;
    let (_, headers) = get(&server, "/?embed=1", false).await;
    assert_eq!(assert_secure("/", &headers), sources);
    assert!(headers.get("x-frame-options").is_none());
    let (_, headers) = get(&server, "/agent", true).await;
    assert_eq!(assert_secure("/agent", &headers), "'none'");
    server.stop().await;
}

#[tokio::test]
async fn the_console_may_be_framed_by_the_helpdesks_the_settings_name() {
    let store = tempfile::tempdir().unwrap();
    let sidebar = "https://example.zendesk.com https://desk.example.com";
    let server = TestServer::start_with(Config {
        flows: support::workspace_root().join("flows"),
        store: support::sqlite(store.path()),
        settings: Settings {
            agent_token: Some(TOKEN.to_owned()),
            console_frame_ancestors: Some(sidebar.to_owned()),
            ..Settings::default()
        },
        watch: false,
    })
    .await;
    let (id, _) = server
        .client
        .start("deposit-missing-memo", serde_json::json!({}))
        .await;
    let session = format!("/agent/s/{id}");
    for (path, agent) in [
        ("/agent", false),
        ("/agent", true),
        ("/agent/flows/deposit-missing-memo", true),
        (session.as_str(), true),
    ] {
        let (_, headers) = get(&server, path, agent).await;
        assert_eq!(assert_secure(path, &headers), sidebar, "{path}");
        assert!(headers.get("x-frame-options").is_none(), "{path}");
    }
    // Customer pages keep their own setting.
    let (_, headers) = get(&server, "/", false).await;
    assert_eq!(assert_secure("/", &headers), "'self'");
    server.stop().await;
}

#[tokio::test]
async fn a_framed_console_keeps_its_cookie_in_the_frame_and_refuses_forms_from_other_sites() {
    for framed in [false, true] {
        let store = tempfile::tempdir().unwrap();
        let server = TestServer::start_with(Config {
            flows: support::workspace_root().join("flows"),
            store: support::sqlite(store.path()),
            settings: Settings {
                agent_token: Some(TOKEN.to_owned()),
                console_frame_ancestors: framed.then(|| "https://example.zendesk.com".to_owned()),
                ..Settings::default()
            },
            watch: false,
        })
        .await;
        let response = http()
            .post(server.client.url("/agent/sign-in"))
            .form(&[("token", TOKEN)])
            .send()
            .await
            .unwrap();
        let cookie = header(response.headers(), "set-cookie").to_owned();
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        match framed {
            // A frame under another site gets only such a cookie.
            true => assert!(
                cookie.contains("SameSite=None")
                    && cookie.contains("Secure")
                    && cookie.contains("Partitioned"),
                "{cookie}"
            ),
            false => assert!(cookie.contains("SameSite=Strict"), "{cookie}"),
        }
        let start = server.client.url("/agent/flows/deposit-missing-memo/start");
        for (site, status) in [
            ("cross-site", StatusCode::FORBIDDEN),
            ("same-site", StatusCode::FORBIDDEN),
            ("same-origin", StatusCode::SEE_OTHER),
        ] {
            let response = http()
                .post(&start)
                .bearer_auth(TOKEN)
                .header("sec-fetch-site", site)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), status, "framed {framed}, {site}");
        }
        server.stop().await;
    }
}

#[test]
fn the_console_frame_ancestors_flag_refuses_what_is_not_a_source() {
    for bad in [
        "https://desk.example.com; script-src *",
        "'unsafe-inline'",
        "",
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_stepwise"))
            .args(["serve", "--console-frame-ancestors", bad])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("--console-frame-ancestors"),
            "{bad}: {stderr}"
        );
    }
}

#[test]
fn the_frame_ancestors_flag_refuses_what_is_not_a_source() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .args(["serve", "--frame-ancestors", "'self'; script-src *"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("frame-ancestors source"), "{stderr}");
}

#[tokio::test]
async fn a_redirect_carries_the_headers_too() {
    let store = tempfile::tempdir().unwrap();
    let server = server(store.path(), None).await;
    let response = http()
        .post(
            server
                .client
                .url("/flows/deposit-missing-memo/start?embed=1"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(response.headers().contains_key(LOCATION));
    assert_secure("/flows/…/start", response.headers());
    server.stop().await;
}

fn templates() -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    let mut dirs = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("templates")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let text = std::fs::read_to_string(&path).unwrap();
                found.push((path, text));
            }
        }
    }
    assert!(found.len() >= 5, "templates found: {}", found.len());
    found
}

#[test]
fn templates_have_no_inline_script_handlers_or_style_attributes() {
    for (path, text) in templates() {
        let lower = text.to_ascii_lowercase();
        let name = path.display();
        for (at, _) in lower.match_indices("<script") {
            let tag = &lower[at..lower[at..].find('>').map_or(lower.len(), |end| at + end)];
            assert!(tag.contains(" src="), "{name}: inline <script>: {tag}");
            let after = &lower[at + tag.len() + 1..];
            assert!(
                after.starts_with("</script>"),
                "{name}: a script element with a body"
            );
        }
        assert!(!lower.contains("javascript:"), "{name}: a javascript: URL");
        assert!(!lower.contains(" style="), "{name}: a style attribute");
        // Inline event handlers: ` onclick=`, ` onload=`, …
        for (at, _) in lower.match_indices(" on") {
            let word: String = lower[at + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            let next = lower[at + 1 + word.len()..].chars().next();
            assert!(
                !(word.len() > 2 && next == Some('=')),
                "{name}: an inline event handler `{word}=`"
            );
        }
    }
}

#[test]
fn only_the_agent_session_page_has_an_inline_style_and_its_policy_covers_it() {
    for (path, text) in templates() {
        if text.contains("<style") {
            assert!(
                path.ends_with("agent/session.html"),
                "{}: an inline <style> needs its hash in the page's policy",
                path.display()
            );
        }
    }
}
