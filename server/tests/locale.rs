//! Flows in the customer's language over the API: `?lang=`, then `Accept-Language`, then the
//! session's language, then English; steps without a current translation fall back to
//! English and say so; search in each language; transcripts in the customer's language, and
//! in English for an agent who asks.

use crate::support;

use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Client, TestServer};

fn bundled() -> PathBuf {
    support::workspace_root().join("flows")
}

/// `POST path` with a JSON body and an `Accept-Language` header.
async fn post_in(client: &Client, path: &str, language: &str, body: Value) -> (StatusCode, Value) {
    let response = client
        .http
        .post(client.url(path))
        .header("accept-language", language)
        .json(&body)
        .send()
        .await
        .unwrap();
    support::json(response).await
}

async fn get_in(client: &Client, path: &str, language: &str) -> (StatusCode, Value) {
    let response = client
        .http
        .get(client.url(path))
        .header("accept-language", language)
        .send()
        .await
        .unwrap();
    support::json(response).await
}

async fn text_in(client: &Client, path: &str, language: &str) -> String {
    let response = client
        .http
        .get(client.url(path))
        .header("accept-language", language)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

const START: &str = "/api/v1/sessions";

fn p2p_dispute() -> Value {
    json!({"flow": "p2p-released-not-paid"})
}

#[tokio::test]
async fn the_language_comes_from_lang_then_accept_language_then_english() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&bundled(), store.path()).await;
    let client = &server.client;

    let (_, plain) = client.post(START, p2p_dispute()).await;
    assert_eq!(plain["step"]["locale"], "en");
    assert_eq!(plain["step"]["text"], "What made you release the crypto?");

    let (status, german) = post_in(client, START, "de-DE,de;q=0.9,en;q=0.5", p2p_dispute()).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(german["step"]["locale"], "de");
    assert_eq!(german["step"]["fallback"], false);
    assert_eq!(
        german["step"]["text"],
        "Warum haben Sie die Kryptowährung freigegeben?"
    );

    // A language nothing is translated into is passed over for the next one asked.
    let (_, next) = post_in(client, START, "fr-CH, fr;q=0.9, de;q=0.5", p2p_dispute()).await;
    assert_eq!(next["step"]["locale"], "de");

    // `?lang=` wins over the browser's languages.
    let (_, chosen) = post_in(client, "/api/v1/sessions?lang=en", "de", p2p_dispute()).await;
    assert_eq!(chosen["step"]["locale"], "en");
    let (_, unknown) = post_in(client, "/api/v1/sessions?lang=fr", "de", p2p_dispute()).await;
    assert_eq!(unknown["step"]["locale"], "en");

    let (status, bad) = client
        .post("/api/v1/sessions?lang=%3Cscript%3E", p2p_dispute())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["error"]["code"], "invalid_locale");
    for query in ["lang=", "lang=de%20", "lang=de&lang=en"] {
        let (status, body) = client
            .post(&format!("/api/v1/sessions?{query}"), p2p_dispute())
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["error"]["code"], "invalid_locale", "{query}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_session_keeps_its_language_until_the_customer_switches() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&bundled(), store.path()).await;
    let client = &server.client;

    let (_, started) = post_in(client, START, "de", p2p_dispute()).await;
    let id = started["id"].as_str().unwrap();
    // No language asked: the session's.
    let (_, step) = client.answer(id, "told").await;
    assert_eq!(step["step"]["locale"], "de");
    assert_eq!(step["step"]["answers"][0]["label"], "Ja, das hat geholfen");
    let (_, detail) = client.get(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(detail["customer_locale"], "de");

    // `?lang=` switches the session from then on.
    let (_, back) = client
        .post_empty(&format!("/api/v1/sessions/{id}/back?lang=en"))
        .await;
    assert_eq!(back["step"]["locale"], "en");
    let (_, again) = client.answer(id, "told").await;
    assert_eq!(again["step"]["locale"], "en");
    assert_eq!(again["step"]["answers"][0]["label"], "Yes, that solved it");
    server.stop().await;
}

#[tokio::test]
async fn an_untranslated_step_falls_back_to_english_and_is_marked() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&bundled(), store.path()).await;
    let client = &server.client;

    // deposit-missing-memo has no German translation: every step falls back.
    let (_, memo) = client
        .post(
            "/api/v1/sessions?lang=de",
            json!({"flow": "deposit-missing-memo"}),
        )
        .await;
    assert_eq!(memo["step"]["locale"], "de");
    assert_eq!(memo["step"]["fallback"], true);
    assert!(
        memo["step"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Did you leave out the memo"),
        "{memo}"
    );
    server.stop().await;
}

/// The bundled P2P flows, with the German text of one node translated from an older text.
fn with_a_stale_translation(dir: &Path) {
    for name in [
        "p2p-released-not-paid",
        "p2p-dispute",
        "p2p-paid-not-released",
    ] {
        for file in [format!("{name}.ron"), format!("{name}.de.ron")] {
            std::fs::copy(bundled().join(&file), dir.join(&file)).unwrap();
        }
    }
    let path = dir.join("p2p-released-not-paid.ron");
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text.replace(
        "Can you reach the buyer through the order chat?",
        "Can you still reach the buyer through the order chat?",
    );
    assert_ne!(text, edited, "the question to reword is in the flow");
    std::fs::write(path, edited).unwrap();
}

#[tokio::test]
async fn fallback_is_node_by_node() {
    let flows = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    with_a_stale_translation(flows.path());
    let server = TestServer::start(flows.path(), store.path()).await;
    let client = &server.client;

    let (_, first) = post_in(client, START, "de", p2p_dispute()).await;
    assert_eq!(first["step"]["fallback"], false);
    let id = first["id"].as_str().unwrap();
    let (_, check) = client.answer(id, "saw-it").await;
    assert_eq!(check["step"]["node"], "reversed");
    assert_eq!(check["step"]["fallback"], false);
    let (_, stale) = client.answer(id, "next").await;
    assert_eq!(stale["step"]["node"], "contactable");
    assert_eq!(stale["step"]["fallback"], true);
    assert_eq!(
        stale["step"]["text"],
        "Can you still reach the buyer through the order chat?"
    );
    // The answers of that node are still current, and are shown in German.
    assert_eq!(stale["step"]["answers"][0]["label"], "Ja, er antwortet");

    let (_, map) = get_in(client, "/api/v1/flows/p2p-released-not-paid", "de").await;
    assert_eq!(map["locale"], "de");
    assert_eq!(map["fallback"], json!(["contactable"]));
    server.stop().await;
}

#[tokio::test]
async fn search_works_in_each_language() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&bundled(), store.path()).await;
    let client = &server.client;

    let (_, german) = client.get("/api/v1/flows?q=Streitfall&lang=de").await;
    assert_eq!(german["locale"], "de");
    let hits: Vec<&str> = german["flows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(hits.first(), Some(&"p2p-dispute"), "{german}");
    assert_eq!(
        german["flows"][0]["title"],
        "Einen Streitfall zu einer P2P-Order eröffnen"
    );

    let (_, english) = client.get("/api/v1/flows?q=Streitfall").await;
    assert_eq!(
        english["flows"],
        json!([]),
        "German words are not English ones"
    );
    let (_, dispute) = client.get("/api/v1/flows?q=dispute").await;
    assert_eq!(dispute["flows"][0]["id"], "p2p-dispute");

    // Listing in German: translated flows in German, the rest in English, marked.
    let (_, list) = get_in(client, "/api/v1/flows", "de").await;
    let flows = list["flows"].as_array().unwrap();
    let by_id = |id: &str| flows.iter().find(|f| f["id"] == id).unwrap().clone();
    assert_eq!(by_id("p2p-dispute")["fallback"], false);
    assert_eq!(by_id("deposit-missing-memo")["fallback"], true);
    assert_eq!(
        by_id("deposit-missing-memo")["title"],
        "I forgot the tag or memo on a deposit"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_complete_walk_in_german_and_its_transcript_for_customer_and_agent() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&bundled(), store.path()).await;
    let client = &server.client;

    let (_, started) = post_in(
        client,
        START,
        "de",
        json!({"flow": "p2p-paid-not-released", "facts": {"platform": "app"}}),
    )
    .await;
    let id = started["id"].as_str().unwrap().to_owned();
    let mut walk = vec![render(&started["step"])];
    // A seller paid from someone else's account, on into the dispute flow, to support.
    for answer in [
        "seller",
        "name-mismatch",
        "next",
        "open",
        "next",
        "next",
        "no",
    ] {
        let (status, moved) = client.answer(&id, answer).await;
        assert_eq!(status, StatusCode::OK, "{moved}");
        walk.push(format!("> {answer}\n\n{}", render(&moved["step"])));
    }
    let (_, detail) = client.get(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(detail["status"], "escalated");
    assert_eq!(detail["step"]["flow"], "p2p-dispute");
    insta::assert_snapshot!("german_walk", walk.join("\n\n---\n\n"));

    // The customer's transcript is German whatever language its reader's browser asks for;
    // an agent asks for it in English.
    let transcript = format!("/api/v1/sessions/{id}/transcript");
    let customer = text_in(client, &transcript, "en").await;
    insta::assert_snapshot!("german_transcript", redact(&customer));
    let agent = text_in(client, &format!("{transcript}?lang=en"), "de").await;
    insta::assert_snapshot!("english_transcript_for_agent", redact(&agent));
    server.stop().await;
}

/// A step as a person reads it.
fn render(step: &Value) -> String {
    let mut out = format!(
        "[{} · {} · {} · fallback: {}]\n{}\n",
        step["flow"].as_str().unwrap_or_default(),
        step["node"].as_str().unwrap_or_default(),
        step["locale"].as_str().unwrap_or_default(),
        step["fallback"],
        step["text"].as_str().unwrap_or_default()
    );
    for answer in step["answers"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "\n- ({}) {}",
            answer["id"].as_str().unwrap_or_default(),
            answer["label"].as_str().unwrap_or_default()
        ));
    }
    for detail in step["outcome"]["collect"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "\n- [{}] {}",
            detail["id"].as_str().unwrap_or_default(),
            detail["label"].as_str().unwrap_or_default()
        ));
    }
    out
}

/// The transcript without its flow versions, which change whenever a flow is edited.
fn redact(transcript: &str) -> String {
    transcript
        .lines()
        .map(|line| match line.split_once(": `") {
            Some((head, _)) if line.starts_with("- ") => format!("{head}: [versions]"),
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}
