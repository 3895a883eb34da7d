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

/// The opening tag of the element with `id` in a page.
fn tag<'a>(html: &'a str, id: &str) -> &'a str {
    let marker = format!("id=\"{id}\"");
    let at = html.find(&marker).unwrap_or_else(|| panic!("no #{id}"));
    let start = html[..at].rfind('<').unwrap();
    let end = at + html[at..].find('>').unwrap();
    &html[start..=end]
}

#[tokio::test]
async fn an_escalation_form_fits_each_field_to_its_detail_and_says_what_is_wrong() {
    let store = tempfile::tempdir().unwrap();
    let server = server(support::workspace_root().join("flows"), store.path()).await;
    let base = &server.client.base;
    let (session, _) = server
        .client
        .start("phone-not-working", serde_json::json!({}))
        .await;
    for answer in ["no-sms", "no", "no", "no", "other"] {
        let (status, body) = server.client.answer(&session, answer).await;
        assert!(status.is_success(), "{answer}: {body}");
    }
    let http = http();
    let form = page(&http, &format!("{base}/s/{session}")).await;
    let account = tag(&form, "d-account");
    for attribute in [
        "type=\"email\"",
        "inputmode=\"email\"",
        "autocomplete=\"email\"",
        "spellcheck=\"false\"",
        "maxlength=\"120\"",
    ] {
        assert!(account.contains(attribute), "{attribute} in {account}");
    }
    assert!(tag(&form, "d-country").contains("type=\"text\""));
    assert!(!tag(&form, "d-country").contains("spellcheck"));
    // Descriptions and screenshots get a box of several lines; short text a line.
    assert!(
        tag(&form, "d-tried").starts_with("<textarea"),
        "{}",
        tag(&form, "d-tried")
    );
    assert!(tag(&form, "d-screenshots").starts_with("<textarea"));
    assert!(tag(&form, "d-phone-last-digits").starts_with("<input"));
    // Each field's counter is there for the script, hidden until it is needed.
    assert!(tag(&form, "d-tried-count").contains("hidden"));

    let refused = http
        .post(format!("{base}/s/{session}/details"))
        .form(&[
            ("d.account", "ana at example"),
            ("d.phone-last-digits", "48x1"),
            ("d.country", "UK"),
            ("d.tried", "Everything <b>twice</b>"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("The email of your account: enter an email address, like name@example.com."),
        "{html}"
    );
    assert!(html.contains(
        "Last 4 digits of the phone number on the account: this is not in the form asked for."
    ));
    // What the customer typed comes back as text, in the box it was typed in.
    assert!(
        html.contains("Everything &#60;b&#62;twice&#60;/b&#62;</textarea>"),
        "{html}"
    );
    server.stop().await;
}

#[tokio::test]
async fn leaving_a_sent_escalation_asks_first_and_keeps_the_case() {
    let store = tempfile::tempdir().unwrap();
    let server = server(support::workspace_root().join("flows"), store.path()).await;
    let client = &server.client;
    let base = &client.base;
    let http = http();
    let (id, _) = client
        .start("deposit-missing-memo", serde_json::json!({}))
        .await;
    for answer in ["in", "next", "missing"] {
        client.answer(&id, answer).await;
    }
    // A refused form's address, opened again, is the session's page.
    let response = http
        .get(format!("{base}/s/{id}/details"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with(&format!("/s/{id}")));
    let details = serde_json::json!({"details": {
        "coin": "XRP", "network": "XRP Ledger", "amount": "250", "txid": "E3FE6EA3D48F0C2B639448020EA4F03D4F4F8FFDB243A852A0F59177921B4879",
        "deposit-time": "2026-11-02 14:05 UTC", "address": "rDeposit123"
    }});
    let (_, body) = client
        .post(&format!("/api/v1/sessions/{id}/details"), details)
        .await;
    let reference = body["reference"].as_str().unwrap().to_owned();
    let step = page(&http, &format!("{base}/s/{id}")).await;
    let (at, pos) = (hidden(&step, "at"), hidden(&step, "pos"));

    for (action, button) in [("back", "Go back anyway"), ("restart", "Start over anyway")] {
        let response = http
            .post(format!("{base}/s/{id}/{action}"))
            .form(&[("at", at.as_str()), ("pos", pos.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let asks = location(&response);
        assert_eq!(asks, format!("/s/{id}/leave?to={action}"));
        let question = page(&http, &format!("{base}{asks}")).await;
        assert!(
            question.contains(&reference) && question.contains(button),
            "{question}"
        );
        // Nothing moved before the customer confirmed.
        let (_, session) = client.get(&format!("/api/v1/sessions/{id}")).await;
        assert_eq!(session["status"], "escalated");
    }
    let response = http
        .post(format!("{base}/s/{id}/back"))
        .form(&[
            ("at", at.as_str()),
            ("pos", pos.as_str()),
            ("confirmed", "yes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, session) = client.get(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(session["status"], "active");
    // The case keeps its reference: an agent who opens it finds it.
    let response = http
        .get(format!("{base}/api/v1/agent/sessions/{reference}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let console = http
        .get(format!("{base}/agent/s/{id}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(console.contains(&reference) && console.contains("then the customer went back"));
    // Once it is no longer an escalation, leaving asks nothing.
    let response = http
        .get(format!("{base}/s/{id}/leave?to=back"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    server.stop().await;
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
        html.contains(r#"class="copy" data-copy="summary-text" hidden"#),
        "{html}"
    );
    let marker = format!(r#"<a href="/s/{id}/summary.txt" download="case-{reference}.txt">"#);
    assert!(html.contains(&marker), "{html}");
    let file = http()
        .get(client.url(&format!("/s/{id}/summary.txt")))
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    assert!(
        file.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("case-{reference}.txt"))
    );
    let text = file.text().await.unwrap();
    assert!(
        text.contains(&reference) && text.contains("U-1234"),
        "{text}"
    );
    // Before the case went to support there is nothing to download.
    let (other, _) = client.start("second-factor", serde_json::json!({})).await;
    let none = http()
        .get(client.url(&format!("/s/{other}/summary.txt")))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), StatusCode::NOT_FOUND);
    server.stop().await;
}

#[tokio::test]
async fn a_help_centre_link_to_a_bundled_flow_carries_the_platform() {
    let store = tempfile::tempdir().unwrap();
    let server = server(support::workspace_root().join("flows"), store.path()).await;
    let base = &server.client.base;
    let http = http();
    let start = page(
        &http,
        &format!("{base}/flows/facial-recognition-fails?fact.platform=app"),
    )
    .await;
    assert_eq!(hidden(&start, "fact.platform"), "app");
    let response = http
        .post(format!("{base}/flows/facial-recognition-fails/start"))
        .form(&[("fact.platform", "app")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let id = location(&response)
        .trim_start_matches("/s/")
        .split(['#', '?'])
        .next()
        .unwrap()
        .to_owned();
    let (_, session) = server.client.get(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(session["facts"]["platform"], "app", "{session}");
    server.stop().await;
}
