//! Context in: facts a wizard or console link carries (`?fact.NAME=VALUE`), and signed
//! context tokens (`?ctx=…`, or `context` in the API) made by PyJWT, a third-party JWT
//! library (in a venv under the target directory, as `tests/run` makes it; this test makes
//! it too when it can). Without python3 and its venv module the token tests skip, unless
//! `STEPWISE_TEST_REQUIRE_PYTHON` is set. Every test is real HTTP on loopback; one drives
//! chromium, and skips without it unless `STEPWISE_TEST_REQUIRE_BROWSER` is set.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::{Value, json};
use stepwise::serve::{Config, Settings};
use stepwise_app::context::ContextKey;

use crate::support::{self, TestServer, no_redirects};

/// Set (to `1`) to fail rather than skip when PyJWT cannot be had.
const REQUIRE: &str = "STEPWISE_TEST_REQUIRE_PYTHON";
const SECRET: &str = "a-context-secret-of-more-than-32-bytes";
const AGENT: &str = "context-agent-token";
const FLOW: &str = "card-declined";

/// A flow with a plain input of declared values, a signed one, and one of any value.
const FLOW_TEXT: &str = r#"Flow(
    id: "card-declined",
    title: "My card was declined",
    summary: "Why a card payment fails.",
    inputs: [
        (name: "platform", values: ["app", "web"]),
        (name: "kyc", values: ["pending", "verified"], signed: true),
        "account",
    ],
    start: "platform",
    nodes: {
        "platform": Question(text: "Where do you pay?", fact: Some("platform"), answers: [
            (id: "app", label: "In the app", goto: "kyc"),
            (id: "web", label: "On the website", goto: "kyc"),
        ]),
        "kyc": Branch(fact: "kyc", cases: {"pending": "wait", "verified": "account"}, default: "ask-kyc"),
        "account": Branch(fact: "account", cases: {"business": "limits"}, default: "limits"),
        "ask-kyc": Question(text: "Is your identity verified?", answers: [
            (id: "yes", label: "Yes", goto: "limits"),
            (id: "no", label: "No", goto: "wait"),
        ]),
        "wait": Resolved(text: "Card payments open once your identity is verified."),
        "limits": Resolved(text: "Check your card's limits."),
    },
)"#;

/// The flows directory of these tests.
fn flows() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(format!("{FLOW}.ron")), FLOW_TEXT).unwrap();
    dir
}

async fn server(flows: &Path, store: &Path, secret: Option<&str>) -> TestServer {
    TestServer::start_with(Config {
        flows: flows.to_owned(),
        store: support::sqlite(store),
        settings: Settings {
            agent_token: Some(AGENT.to_owned()),
            context_key: secret.map(|s| ContextKey::new(s).unwrap()),
            ..Settings::default()
        },
        watch: false,
    })
    .await
}

/// `GET path` as a page: status and HTML.
async fn page(server: &TestServer, path: &str, agent: bool) -> (StatusCode, String) {
    let mut request = no_redirects().get(server.client.url(path));
    if agent {
        request = request.bearer_auth(AGENT);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// The hidden fields of a page's start form, as a browser would post them.
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let attr = |tag: &str, name: &str| {
        tag.split_once(&format!("{name}=\""))
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(value, _)| unescape(value))
    };
    html.split("<input type=\"hidden\"")
        .skip(1)
        .filter_map(|tag| {
            let tag = tag.split('>').next().unwrap_or_default();
            Some((attr(tag, "name")?, attr(tag, "value")?))
        })
        .collect()
}

/// An attribute's text as the browser reads it: askama writes `&`, `"`, `'`, `<` and `>`
/// as entities.
fn unescape(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some((before, after)) = rest.split_once('&') {
        out.push_str(before);
        let (entity, tail) = after.split_once(';').unwrap_or((after, ""));
        let decoded = match entity {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            _ => entity
                .strip_prefix('#')
                .and_then(|n| n.parse::<u32>().ok())
                .and_then(char::from_u32),
        };
        out.push(decoded.unwrap_or_else(|| panic!("an entity not understood: &{entity};")));
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// Posts a start form with `fields`; returns the status and where it leads.
async fn post_start(
    server: &TestServer,
    path: &str,
    fields: &[(String, String)],
    agent: bool,
) -> (StatusCode, String, String) {
    let mut request = no_redirects().post(server.client.url(path)).form(fields);
    if agent {
        request = request.bearer_auth(AGENT);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, response.text().await.unwrap())
}

/// Sessions started so far on the flow, as the metrics count them.
async fn sessions_started(server: &TestServer) -> u64 {
    let text = reqwest::get(server.client.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Every session of the flow, whatever its outcome and whoever ran it.
    text.lines()
        .filter(|l| l.starts_with("stepwise_sessions{") && l.contains(&format!("flow=\"{FLOW}\"")))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// The node a session's current step stands on.
async fn node_of(server: &TestServer, session: &str) -> String {
    let (status, body) = server
        .client
        .get(&format!("/api/v1/sessions/{session}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["step"]["node"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_link_keeps_the_declared_values_of_declared_inputs_and_ignores_the_rest() {
    let flows = flows();
    let store = tempfile::tempdir().unwrap();
    let server = server(flows.path(), store.path(), None).await;
    let link = format!(
        "/flows/{FLOW}?fact.platform=app&fact.platform=web&fact.colour=red\
         &fact.account=business&fact.=x&embed=1"
    );
    let (status, html) = page(&server, &link, false).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    // `account` takes any value, so no link may give it; `colour` is no input; the second
    // `platform` is a repeat.
    assert_eq!(
        hidden_fields(&html),
        [("fact.platform".to_owned(), "app".to_owned())]
    );
    assert!(
        html.contains(&format!("action=\"/flows/{FLOW}/start?embed=1\"")),
        "{html}"
    );
    let (status, location, _) = post_start(
        &server,
        &format!("/flows/{FLOW}/start?embed=1"),
        &hidden_fields(&html),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let session = location
        .strip_prefix("/s/")
        .and_then(|rest| rest.split('?').next())
        .unwrap();
    // The platform question is skipped; kyc is unknown, so it is asked.
    assert_eq!(node_of(&server, session).await, "ask-kyc");

    // A value the input does not declare is ignored too, never an error page.
    let (status, html) = page(
        &server,
        &format!("/flows/{FLOW}?fact.platform=desktop"),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(hidden_fields(&html).is_empty(), "{html}");
    // And so is what a hand-made form posts beyond them.
    let forged = [
        ("fact.platform".to_owned(), "desktop".to_owned()),
        ("fact.account".to_owned(), "business".to_owned()),
    ];
    let (status, location, _) =
        post_start(&server, &format!("/flows/{FLOW}/start"), &forged, false).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let session = location
        .strip_prefix("/s/")
        .unwrap()
        .split('#')
        .next()
        .unwrap();
    assert_eq!(node_of(&server, session).await, "platform");
    server.stop().await;
}

#[tokio::test]
async fn a_signed_input_given_plainly_is_refused_with_a_way_to_start_without_it() {
    let flows = flows();
    let store = tempfile::tempdir().unwrap();
    let server = server(flows.path(), store.path(), Some(SECRET)).await;
    let (status, html) = page(
        &server,
        &format!("/flows/{FLOW}?fact.platform=app&fact.kyc=verified&embed=1"),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        html.contains("This link has expired or is not valid"),
        "{html}"
    );
    assert!(
        html.contains(&format!("href=\"/flows/{FLOW}?embed=1\"")),
        "the page offers to start without the link's facts: {html}"
    );
    let forged = [("fact.kyc".to_owned(), "verified".to_owned())];
    let (status, _, html) =
        post_start(&server, &format!("/flows/{FLOW}/start"), &forged, false).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        html.contains("This link has expired or is not valid"),
        "{html}"
    );
    assert_eq!(sessions_started(&server).await, 0);

    let (status, body) = server
        .client
        .post(
            "/api/v1/sessions",
            json!({"flow": FLOW, "facts": {"kyc": "verified"}}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "unsigned_fact", "{body}");
    assert_eq!(sessions_started(&server).await, 0);
    server.stop().await;
}

#[tokio::test]
async fn a_value_the_input_does_not_declare_is_refused_by_the_api() {
    let flows = flows();
    let store = tempfile::tempdir().unwrap();
    let server = server(flows.path(), store.path(), None).await;
    let (status, body) = server
        .client
        .post(
            "/api/v1/sessions",
            json!({"flow": FLOW, "facts": {"platform": "desktop"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "undeclared_value", "{body}");
    // An input without values takes any.
    let (_, body) = server
        .client
        .start(FLOW, json!({"platform": "web", "account": "business"}))
        .await;
    assert_eq!(body["step"]["node"], "ask-kyc", "{body}");
    server.stop().await;
}

#[tokio::test]
async fn a_malformed_token_is_a_400_with_an_error_code_and_a_token_without_a_secret_is_refused() {
    let flows = flows();
    let store = tempfile::tempdir().unwrap();
    let server = server(flows.path(), store.path(), Some(SECRET)).await;
    for malformed in ["not-a-token", "a.b.c", &"x".repeat(5000), "e30.e30.e30"] {
        let (status, body) = server
            .client
            .post(
                "/api/v1/sessions",
                json!({"flow": FLOW, "context": malformed}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"]["code"], "malformed_context", "{body}");
    }
    let (status, html) = page(&server, &format!("/flows/{FLOW}?ctx=not-a-token"), false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        html.contains("This link has expired or is not valid"),
        "{html}"
    );
    assert_eq!(sessions_started(&server).await, 0);
    server.stop().await;

    let store = tempfile::tempdir().unwrap();
    let server = self::server(flows.path(), store.path(), None).await;
    let (status, body) = server
        .client
        .post(
            "/api/v1/sessions",
            json!({"flow": FLOW, "context": "a.b.c"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "context_not_accepted", "{body}");
    server.stop().await;
}

/// The venv's python with PyJWT installed, made if missing.
fn jwt_python() -> Result<PathBuf, String> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| support::workspace_root().join("target"));
    let venv = target.join("tools/jwt-venv");
    let python = venv.join("bin/python");
    let has_jwt = |python: &Path| {
        Command::new(python)
            .args(["-c", "import jwt"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if has_jwt(&python) {
        return Ok(python);
    }
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .map_err(|e| format!("python3 cannot be run: {e}"))?;
    if !made.status.success() {
        return Err(format!(
            "python3 -m venv failed: {}",
            String::from_utf8_lossy(&made.stderr)
        ));
    }
    let installed = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "PyJWT>=2.8,<3"])
        .output()
        .map_err(|e| format!("pip cannot be run: {e}"))?;
    if !installed.status.success() || !has_jwt(&python) {
        return Err(format!(
            "PyJWT could not be installed: {}",
            String::from_utf8_lossy(&installed.stderr)
        ));
    }
    Ok(python)
}

/// Tokens for `FLOW` signed with `SECRET` by PyJWT, by case; none if PyJWT cannot be had.
fn pyjwt_tokens() -> Option<BTreeMap<String, String>> {
    let python = match jwt_python() {
        Ok(python) => python,
        Err(why) => {
            support::skip_unless_required(REQUIRE, &why);
            return None;
        }
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/context/make_tokens.py");
    let made = Command::new(python)
        .arg(script)
        .args([SECRET, FLOW])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    Some(serde_json::from_slice(&made.stdout).unwrap())
}

#[tokio::test]
async fn tokens_made_by_pyjwt_are_taken_only_when_valid() {
    let Some(tokens) = pyjwt_tokens() else {
        return;
    };
    let flows = flows();
    let store = tempfile::tempdir().unwrap();
    let server = server(flows.path(), store.path(), Some(SECRET)).await;
    for valid in ["valid", "valid_any_flow"] {
        let (status, body) = server
            .client
            .post(
                "/api/v1/sessions",
                json!({"flow": FLOW, "facts": {"platform": "app"}, "context": tokens[valid]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{valid}: {body}");
        // Both questions skipped: the platform given plainly, the KYC state signed.
        assert_eq!(body["step"]["node"], "limits", "{valid}: {body}");
    }
    let refused = [
        ("expired", StatusCode::FORBIDDEN, "context_expired"),
        ("wrong_key", StatusCode::FORBIDDEN, "invalid_context"),
        ("alg_none", StatusCode::FORBIDDEN, "invalid_context"),
        ("hs512", StatusCode::FORBIDDEN, "invalid_context"),
        ("no_exp", StatusCode::FORBIDDEN, "invalid_context"),
        ("tampered", StatusCode::FORBIDDEN, "invalid_context"),
        ("undeclared_value", StatusCode::FORBIDDEN, "invalid_context"),
        ("undeclared_fact", StatusCode::FORBIDDEN, "invalid_context"),
        ("other_flow", StatusCode::FORBIDDEN, "invalid_context"),
    ];
    let before = sessions_started(&server).await;
    assert_eq!(before, 2);
    for (case, status, code) in refused {
        let (got, body) = server
            .client
            .post(
                "/api/v1/sessions",
                json!({"flow": FLOW, "context": tokens[case]}),
            )
            .await;
        assert_eq!(got, status, "{case}: {body}");
        assert_eq!(body["error"]["code"], code, "{case}: {body}");
        // The message says what is wrong, never the token.
        let message = body["error"]["message"].as_str().unwrap();
        assert!(!message.contains(&tokens[case]), "{case}: {message}");

        let (got, html) = page(
            &server,
            &format!("/flows/{FLOW}?ctx={}", tokens[case]),
            false,
        )
        .await;
        assert_eq!(got, status, "{case}");
        assert!(
            html.contains("This link has expired or is not valid"),
            "{case}: {html}"
        );
        let fields = [("ctx".to_owned(), tokens[case].clone())];
        let (got, _, _) =
            post_start(&server, &format!("/flows/{FLOW}/start"), &fields, false).await;
        assert_eq!(got, status, "{case}");
    }
    assert_eq!(
        sessions_started(&server).await,
        before,
        "a refused token starts nothing"
    );

    // The wizard link keeps a valid token through its start form.
    let link = format!("/flows/{FLOW}?fact.platform=web&ctx={}", tokens["valid"]);
    let (status, html) = page(&server, &link, false).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let fields = hidden_fields(&html);
    assert_eq!(fields.len(), 2, "{html}");
    let (status, location, _) =
        post_start(&server, &format!("/flows/{FLOW}/start"), &fields, false).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let session = location
        .strip_prefix("/s/")
        .unwrap()
        .split('#')
        .next()
        .unwrap();
    assert_eq!(node_of(&server, session).await, "limits");
    server.stop().await;
}

#[tokio::test]
async fn a_console_link_opens_the_flow_with_the_tickets_facts() {
    let Some(tokens) = pyjwt_tokens() else {
        return;
    };
    let flows = flows();
    let store = tempfile::tempdir().unwrap();
    let server = server(flows.path(), store.path(), Some(SECRET)).await;
    let link = format!(
        "/agent/flows/{FLOW}?fact.platform=app&fact.colour=red&ctx={}",
        tokens["valid"]
    );

    // Not signed in: the sign-in form, which comes back to the link.
    let (status, html) = page(&server, &link, false).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let next = hidden_fields(&html);
    assert_eq!(next.len(), 1, "{html}");
    assert_eq!(next[0].0, "next");
    let signed_in = [
        ("token".to_owned(), AGENT.to_owned()),
        ("next".to_owned(), next[0].1.clone()),
    ];
    let (status, location, _) = post_start(&server, "/agent/sign-in", &signed_in, false).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, link);
    // Never anywhere else.
    let elsewhere = [
        ("token".to_owned(), AGENT.to_owned()),
        ("next".to_owned(), "//evil.example/agent".to_owned()),
    ];
    let (_, location, _) = post_start(&server, "/agent/sign-in", &elsewhere, false).await;
    assert_eq!(location, "/agent");

    let (status, html) = page(&server, &link, true).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("<dt>platform</dt><dd>app</dd>"), "{html}");
    assert!(html.contains("<dt>kyc</dt><dd>verified"), "{html}");
    assert!(!html.contains("colour"), "{html}");
    let fields = hidden_fields(&html);
    let (status, location, _) = post_start(
        &server,
        &format!("/agent/flows/{FLOW}/start"),
        &fields,
        true,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let session = location
        .strip_prefix("/agent/s/")
        .unwrap()
        .split('#')
        .next()
        .unwrap();
    assert_eq!(node_of(&server, session).await, "limits");

    // An expired token: the console says so and offers the flow without it.
    let link = format!("/agent/flows/{FLOW}?ctx={}", tokens["expired"]);
    let (status, html) = page(&server, &link, true).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        html.contains(&format!("href=\"/agent/flows/{FLOW}\"")),
        "{html}"
    );
    server.stop().await;
}

#[tokio::test]
async fn an_ignored_link_fact_is_logged_with_the_flow_and_name_cut_short_and_without_control_characters()
 {
    let flows = flows();
    let store = tempfile::tempdir().unwrap();
    let binary = support::Binary::spawn(
        flows.path(),
        &format!("sqlite://{}", store.path().join("s.db").display()),
    );
    let hostile = format!("%1b%5B31m%0Aforged%20line{}", "x".repeat(300));
    let url = binary.client.url(&format!(
        "/flows/{FLOW}?fact.colour={hostile}&fact.platform=desktop"
    ));
    let status = reqwest::get(url).await.unwrap().status();
    assert_eq!(status, StatusCode::OK);
    let lines = support::eventually("the ignored facts are logged", || {
        let lines: Vec<Value> = binary
            .logs()
            .into_iter()
            .filter_map(|line| serde_json::from_str::<Value>(&line).ok())
            .filter(|v| v["fields"]["message"] == "a fact the link offered was ignored")
            .collect();
        async move { (lines.len() == 2).then_some(lines) }
    })
    .await;
    for line in &lines {
        let fields = &line["fields"];
        assert_eq!(fields["flow"], FLOW, "{line}");
        let value = fields["value"].as_str().unwrap();
        assert!(!value.chars().any(char::is_control), "{line}");
        assert!(value.chars().count() <= 41, "cut short: {line}");
    }
    assert_eq!(lines[0]["fields"]["fact"], "colour");
    assert!(
        lines[0]["fields"]["value"]
            .as_str()
            .unwrap()
            .starts_with("\\u{1b}[31m\\nforged line"),
        "{}",
        lines[0]
    );
    assert_eq!(lines[1]["fields"]["fact"], "platform");
    assert_eq!(lines[1]["fields"]["value"], "desktop");
}

#[test]
fn a_short_context_secret_is_refused_at_start_up() {
    let output = Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("STEPWISE_CONTEXT_SECRET", "too-short")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("at least 32 bytes"), "{stderr}");
    assert!(
        !stderr.contains("too-short"),
        "the secret is never printed: {stderr}"
    );
}

#[tokio::test]
async fn in_the_browser_a_link_with_facts_starts_where_the_facts_lead() {
    use crate::browser::{Driver, click, heading, navigate};
    use fantoccini::Locator;

    let flows = flows();
    let store = tempfile::tempdir().unwrap();
    let server = server(flows.path(), store.path(), Some(SECRET)).await;
    let Some(driver) = Driver::start_or_skip() else {
        return;
    };
    let browser = driver.browser(true).await;
    let base = &server.client.base;

    browser
        .goto(&format!(
            "{base}/flows/{FLOW}?fact.platform=app&fact.colour=red"
        ))
        .await
        .unwrap();
    click(&browser, "Start").await;
    assert_eq!(heading(&browser).await, "Is your identity verified?");

    // A signed fact given plainly: the page says so, and starts without it.
    browser
        .goto(&format!("{base}/flows/{FLOW}?fact.kyc=verified&embed=1"))
        .await
        .unwrap();
    assert_eq!(
        heading(&browser).await,
        "This link has expired or is not valid"
    );
    let without = browser
        .find(Locator::LinkText("Start without the link's details"))
        .await
        .unwrap();
    navigate(&browser, without.click()).await;
    click(&browser, "Start").await;
    assert_eq!(heading(&browser).await, "Where do you pay?");

    if let Some(tokens) = pyjwt_tokens() {
        browser
            .goto(&format!(
                "{base}/flows/{FLOW}?fact.platform=web&ctx={}",
                tokens["valid"]
            ))
            .await
            .unwrap();
        click(&browser, "Start").await;
        let text = browser
            .find(Locator::Css("main"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(text.contains("Check your card's limits."), "{text}");
    }
    browser.close().await.unwrap();
    server.stop().await;
}
