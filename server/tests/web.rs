//! The website over plain HTTP, as a browser without JavaScript uses it: forms, 303
//! redirects, stale forms, the agent token, and flow text that tries to inject script.

use crate::support;

use reqwest::StatusCode;
use reqwest::header::{LOCATION, SET_COOKIE};
use support::{TestServer, no_redirects as http};

const TOKEN: &str = "test-agent-token";

async fn server(flows: std::path::PathBuf, store: &std::path::Path) -> TestServer {
    TestServer::with_agent_token(&flows, store, TOKEN).await
}

fn location(response: &reqwest::Response) -> String {
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

async fn page(http: &reqwest::Client, url: &str) -> String {
    let response = http.get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{url}");
    response.text().await.unwrap()
}

/// The value of hidden field `name` in a page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap() + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_walk_without_javascript_is_posts_and_redirects() {
    let store = tempfile::tempdir().unwrap();
    let server = server(support::workspace_root().join("flows"), store.path()).await;
    let base = &server.client.base;
    let http = http();

    let home = page(&http, &format!("{base}/?q=memo")).await;
    assert!(home.contains("/flows/deposit-missing-memo"), "{home}");

    let started = http
        .post(format!("{base}/flows/deposit-missing-memo/start?embed=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let step_url = format!("{base}{}", location(&started));
    assert!(step_url.contains("?embed=1#step"), "{step_url}");
    let session = step_url
        .trim_start_matches(&format!("{base}/s/"))
        .split('?')
        .next()
        .unwrap()
        .to_owned();

    let first = page(&http, &step_url).await;
    assert!(!first.contains("<header"), "embedded pages have no header");
    assert!(first.contains("Into my account here"));
    let moved = http
        .post(format!("{base}/s/{session}/answer?embed=1"))
        .form(&[("at", "direction"), ("pos", "0"), ("answer", "in")])
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&moved), format!("/s/{session}?embed=1#step"));
    let next = page(&http, &step_url).await;
    assert_eq!(hidden(&next, "at"), "why-memo");
    assert!(next.contains("Step 2"));

    let (_, api) = server
        .client
        .get(&format!("/api/v1/sessions/{session}"))
        .await;
    assert_eq!(
        api["step"]["node"], "why-memo",
        "the page and the API agree"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_stale_form_leaves_the_session_where_it_is() {
    let store = tempfile::tempdir().unwrap();
    let server = server(support::workspace_root().join("flows"), store.path()).await;
    let base = &server.client.base;
    let http = http();
    let started = http
        .post(format!("{base}/flows/deposit-missing-memo/start"))
        .send()
        .await
        .unwrap();
    let session = location(&started)
        .trim_start_matches("/s/")
        .trim_end_matches("#step")
        .to_owned();
    let answer = |at: &'static str, pos: &'static str, answer: &'static str| {
        http.post(format!("{base}/s/{session}/answer"))
            .form(&[("at", at), ("pos", pos), ("answer", answer)])
            .send()
    };
    assert_eq!(
        answer("direction", "0", "in").await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    // The same form again (a reload, or the browser's back button and another click).
    let stale = answer("direction", "0", "out").await.unwrap();
    assert_eq!(stale.status(), StatusCode::SEE_OTHER);
    // An answer the step does not offer, sent with the right position.
    let tampered = answer("why-memo", "1", "nonsense").await.unwrap();
    assert_eq!(tampered.status(), StatusCode::SEE_OTHER);
    // A stale back is ignored too.
    let back = http
        .post(format!("{base}/s/{session}/back"))
        .form(&[("at", "direction"), ("pos", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), StatusCode::SEE_OTHER);

    let (_, api) = server
        .client
        .get(&format!("/api/v1/sessions/{session}"))
        .await;
    assert_eq!(api["step"]["node"], "why-memo");
    assert_eq!(api["history"].as_array().unwrap().len(), 2);
    server.stop().await;
}

#[tokio::test]
async fn the_agent_console_needs_the_token() {
    let store = tempfile::tempdir().unwrap();
    let server = server(support::fixtures(), store.path()).await;
    let base = &server.client.base;
    let http = http();

    let console = http.get(format!("{base}/agent")).send().await.unwrap();
    assert_eq!(console.status(), StatusCode::UNAUTHORIZED);
    assert!(console.text().await.unwrap().contains("name=\"token\""));
    let api = http
        .get(format!("{base}/api/v1/agent/sessions/SW-00000000"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    let start = http
        .post(format!("{base}/agent/flows/sign-in/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        start.status(),
        StatusCode::UNAUTHORIZED,
        "no session is started"
    );

    let wrong = http
        .post(format!("{base}/agent/sign-in"))
        .form(&[("token", "guess")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().get(SET_COOKIE).is_none());

    let signed_in = http
        .post(format!("{base}/agent/sign-in"))
        .form(&[("token", TOKEN)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let cookie = signed_in.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(
        !cookie.contains(TOKEN),
        "the cookie does not carry the token itself"
    );
    let pair = cookie.split(';').next().unwrap().to_owned();
    let console = http
        .get(format!("{base}/agent"))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(console.status(), StatusCode::OK);

    let (id, _) = server.client.start("sign-in", serde_json::json!({})).await;
    let api = http
        .get(format!("{base}/api/v1/agent/sessions/{id}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn script_in_flow_text_never_reaches_the_page() {
    let store = tempfile::tempdir().unwrap();
    let flows = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile");
    let server = server(flows, store.path()).await;
    let base = &server.client.base;
    let http = http();
    let started = http
        .post(format!("{base}/flows/hostile/start"))
        .send()
        .await
        .unwrap();
    let step_url = format!("{base}{}", location(&started));
    let mut pages = vec![
        page(&http, &format!("{base}/")).await,
        page(&http, &format!("{base}/flows/hostile")).await,
        page(&http, &step_url).await,
    ];
    let session = step_url
        .trim_start_matches(&format!("{base}/s/"))
        .trim_end_matches("#step")
        .to_owned();
    http.post(format!("{base}/s/{session}/answer"))
        .form(&[("at", "ask"), ("pos", "0"), ("answer", "a")])
        .send()
        .await
        .unwrap();
    pages.push(page(&http, &step_url).await);
    let signed_in = http
        .post(format!("{base}/agent/sign-in"))
        .form(&[("token", TOKEN)])
        .send()
        .await
        .unwrap();
    let cookie = signed_in.headers()[SET_COOKIE].to_str().unwrap();
    let pair = cookie.split(';').next().unwrap().to_owned();
    let agent = http
        .get(format!("{base}/agent/s/{session}"))
        .header("cookie", pair)
        .send()
        .await
        .unwrap();
    assert_eq!(agent.status(), StatusCode::OK);
    pages.push(agent.text().await.unwrap());

    for html in &pages {
        // Our own script is the only one, loaded from our own file.
        assert_eq!(html.matches("<script").count(), 1, "{html}");
        // Escaped text may show the attack; no tag may carry it.
        for tag in tags(html) {
            let tag = tag.to_lowercase();
            for attack in ["onerror", "onload", "onclick", "javascript:", "iframe"] {
                assert!(!tag.contains(attack), "{attack} in <{tag}>");
            }
        }
    }
    assert!(
        pages[3].contains("rel=\"noopener noreferrer\""),
        "{}",
        pages[3]
    );
    server.stop().await;
}

/// The text inside every tag of a page (`<` in text is escaped, so these are real tags).
fn tags(html: &str) -> Vec<&str> {
    html.split('<')
        .skip(1)
        .filter_map(|rest| rest.split_once('>').map(|(tag, _)| tag))
        .collect()
}

#[tokio::test]
async fn without_javascript_the_case_summary_can_be_downloaded() {
    let store = tempfile::tempdir().unwrap();
    let server = server(support::fixtures(), store.path()).await;
    let client = &server.client;
    let (id, _) = client.start("second-factor", serde_json::json!({})).await;
    client.answer(&id, "no").await;
    client.answer(&id, "no").await;
    let (status, escalated) = client
        .post(
            &format!("/api/v1/sessions/{id}/details"),
            serde_json::json!({"details": {"uid": "U-1234"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{escalated}");
    let reference = escalated["reference"].as_str().unwrap().to_owned();

    let html = page(&http(), &client.url(&format!("/s/{id}"))).await;
    // The Copy button needs script and stays hidden without it; the link does not.
    assert!(
        html.contains(r#"class="copy" data-copy="transcript" hidden"#),
        "{html}"
    );
    let marker =
        format!(r#"<a href="/api/v1/sessions/{id}/transcript" download="case-{reference}.md">"#);
    assert!(html.contains(&marker), "{html}");
    let file = http()
        .get(client.url(&format!("/api/v1/sessions/{id}/transcript")))
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    let text = file.text().await.unwrap();
    assert!(
        text.contains(&reference) && text.contains("U-1234"),
        "{text}"
    );
    server.stop().await;
}
