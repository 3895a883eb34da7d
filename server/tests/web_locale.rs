//! The pages in the customer's language: `<html lang>`, the language switch, the wizard's own
//! words, flow text in German with English marked where a step has no translation, and the
//! agent console showing a German customer's transcript in both languages.

use crate::support;

use reqwest::StatusCode;
use reqwest::header::LOCATION;
use support::{TestServer, no_redirects as http};

const TOKEN: &str = "test-agent-token";

async fn server(store: &std::path::Path) -> TestServer {
    TestServer::with_agent_token(&support::workspace_root().join("flows"), store, TOKEN).await
}

async fn page(request: reqwest::RequestBuilder) -> String {
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

/// Starts a session from the flow page and returns the step page's path.
async fn start(http: &reqwest::Client, base: &str, path: &str, language: &str) -> String {
    let started = http
        .post(format!("{base}{path}"))
        .header("accept-language", language)
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    started.headers()[LOCATION].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_home_page_follows_the_browser_and_the_switch() {
    let store = tempfile::tempdir().unwrap();
    let server = server(store.path()).await;
    let base = &server.client.base;
    let http = http();

    let german = page(
        http.get(format!("{base}/"))
            .header("accept-language", "de-AT,de;q=0.8"),
    )
    .await;
    assert!(german.contains(r#"<html lang="de">"#), "{german}");
    assert!(german.contains("Wie können wir helfen?"));
    assert!(german.contains("Einen Streitfall zu einer P2P-Order eröffnen"));
    // The switch offers English, and says which language the page is in.
    assert!(german.contains(r#"<a href="/?lang=en" hreflang="en" lang="en">English</a>"#));
    assert!(german.contains(r#"<strong aria-current="true" lang="de">Deutsch</strong>"#));

    let english = page(
        http.get(format!("{base}/?lang=en"))
            .header("accept-language", "de"),
    )
    .await;
    assert!(english.contains(r#"<html lang="en">"#));
    assert!(english.contains("How can we help?"));
    // A chosen language stays on the links.
    assert!(english.contains(r#"href="/flows/p2p-dispute?lang=en""#));

    let search = page(http.get(format!("{base}/?lang=de&q=Streitfall"))).await;
    assert!(search.contains("Anleitungen zu “Streitfall”"), "{search}");
    assert!(search.contains(r#"href="/flows/p2p-dispute?lang=de""#));
    server.stop().await;
}

#[tokio::test]
async fn a_walk_in_german_marks_steps_shown_in_english() {
    let store = tempfile::tempdir().unwrap();
    let server = server(store.path()).await;
    let base = &server.client.base;
    let http = http();

    let step = start(&http, base, "/flows/p2p-released-not-paid/start", "de").await;
    let first = page(http.get(format!("{base}{step}"))).await;
    assert!(first.contains(r#"<html lang="de">"#));
    assert!(first.contains("Warum haben Sie die Kryptowährung freigegeben?"));
    assert!(first.contains("Frage · Schritt 1"));
    assert!(!first.contains("noch nicht auf Deutsch verfügbar"));

    // A flow nobody translated: German page, English step, said so.
    let memo = start(&http, base, "/flows/deposit-missing-memo/start", "de").await;
    let untranslated = page(http.get(format!("{base}{memo}"))).await;
    assert!(untranslated.contains(r#"<html lang="de">"#));
    assert!(untranslated.contains("noch nicht auf Deutsch verfügbar"));
    assert!(untranslated.contains(r#"<h1 id="step" tabindex="-1" lang="en">Did you leave out"#));
    server.stop().await;
}

#[tokio::test]
async fn an_agent_sees_a_german_customers_transcript_in_both_languages() {
    let store = tempfile::tempdir().unwrap();
    let server = server(store.path()).await;
    let base = &server.client.base;
    let client = &server.client;
    let http = http();

    let response = client
        .http
        .post(client.url("/api/v1/sessions?lang=de"))
        .json(&serde_json::json!({"flow": "p2p-released-not-paid"}))
        .send()
        .await
        .unwrap();
    let (_, started) = support::json(response).await;
    let id = started["id"].as_str().unwrap();
    client.answer(id, "mistake").await;

    let console = page(
        http.get(format!("{base}/agent/s/{id}"))
            .header("authorization", format!("Bearer {TOKEN}")),
    )
    .await;
    assert!(console.contains(r#"<html lang="en">"#));
    assert!(console.contains("What made you release the crypto?"));
    assert!(console.contains(r#"<pre id="customer-transcript" lang="de""#));
    assert!(console.contains("Warum haben Sie die Kryptowährung freigegeben?"));
    server.stop().await;
}

#[tokio::test]
async fn the_german_home_page_marks_guides_shown_in_english() {
    let store = tempfile::tempdir().unwrap();
    let server = server(store.path()).await;
    let home = page(http().get(format!("{}/?lang=de", server.client.base))).await;
    let card = |id: &str| -> String {
        let start = home
            .find(&format!(r#"href="/flows/{id}?lang=de""#))
            .unwrap_or_else(|| panic!("no card for {id}"));
        home[start..].split("</li>").next().unwrap().to_owned()
    };
    // Translated: the German title, not marked.
    let dispute = card("p2p-dispute");
    assert!(
        dispute.contains("<strong>Einen Streitfall zu einer P2P-Order eröffnen</strong>"),
        "{dispute}"
    );
    assert!(!dispute.contains("Auf Englisch") && !dispute.contains(r#"lang="en""#));
    // Not translated: the English title, marked as English for readers and screen readers.
    let memo = card("deposit-missing-memo");
    assert!(
        memo.contains(r#"<strong lang="en">I forgot the tag or memo on a deposit</strong>"#),
        "{memo}"
    );
    assert!(
        memo.contains(r#"<small class="lang-badge">Auf Englisch</small>"#),
        "{memo}"
    );
    assert!(memo.contains(r#"<span lang="en">"#), "{memo}");
    // The English page marks nothing.
    let english = page(http().get(format!("{}/?lang=en", server.client.base))).await;
    assert!(!english.contains("lang-badge"));
    server.stop().await;
}
