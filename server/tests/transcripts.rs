//! The transcript agents paste into tickets, read through a standard CommonMark renderer:
//! what customers and agents typed shows as text, never as HTML, a link or a section.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};
use serde_json::json;

use crate::support::{TestServer, no_redirects, workspace_root};

const TOKEN: &str = "transcripts-agent-token";

#[tokio::test]
async fn hostile_details_and_notes_show_as_text_in_the_ticket_transcript() {
    let store = tempfile::tempdir().unwrap();
    let server =
        TestServer::with_agent_token(&workspace_root().join("flows"), store.path(), TOKEN).await;
    let client = &server.client;
    let (id, _) = client.start("deposit-missing-memo", json!({})).await;
    for answer in ["in", "next", "missing"] {
        let (status, body) = client.answer(&id, answer).await;
        assert!(status.is_success(), "{answer}: {body}");
    }
    let details = json!({"details": {
        "coin": "<script>alert(1)</script>",
        "network": "[click me](javascript:alert(3))",
        "amount": "250",
        "txid": "E3FE6EA3D48F0C2B639448020EA4F03D4F4F8FFDB243A852A0F59177921B4879",
        "deposit-time": "<https://evil.example/login>",
        "address": "```\n# Not a heading\n```",
        "memo-used": "<img src=x onerror=alert(2)> `` ` ``",
        "screenshots": "…\n\n## Reference\n\nSW-FAKE0001\n\n![x](https://evil.example/p.png)\n\n[a]: javascript:alert(4)\n\n[a]",
    }});
    let (status, body) = client
        .post(&format!("/api/v1/sessions/{id}/details"), details)
        .await;
    assert!(status.is_success(), "{body}");
    let reference = body["reference"].as_str().unwrap().to_owned();
    let no_redirects = no_redirects();
    for note in [
        "Called back.\n\n## Reference\n\nSW-FAKE0002",
        "<a href=\"javascript:alert(5)\">open</a>",
    ] {
        let response = no_redirects
            .post(client.url(&format!("/agent/s/{id}/note")))
            .bearer_auth(TOKEN)
            .form(&[("text", note)])
            .send()
            .await
            .unwrap();
        assert!(response.status().is_redirection(), "{}", response.status());
    }
    let response = client
        .http
        .get(client.url(&format!("/api/v1/agent/sessions/{id}")))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let session: serde_json::Value = response.json().await.unwrap();
    let markdown = session["transcript"].as_str().unwrap();

    let mut headings = Vec::new();
    let mut heading: Option<String> = None;
    let mut live = Vec::new();
    for event in Parser::new_ext(markdown, Options::all()) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => headings.extend(heading.take()),
            Event::Text(text) | Event::Code(text) => {
                if let Some(heading) = &mut heading {
                    heading.push_str(&text);
                }
            }
            Event::Html(html) | Event::InlineHtml(html) => live.push(html.into_string()),
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                live.push(dest_url.into_string())
            }
            _ => {}
        }
    }
    assert_eq!(
        headings,
        [
            "I forgot the tag or memo on a deposit",
            "Steps",
            "Now",
            "Details for support",
            "Reference",
            "Notes by support",
        ],
        "{markdown}"
    );
    assert!(live.is_empty(), "{live:?}\n{markdown}");
    let mut page = String::new();
    html::push_html(&mut page, Parser::new_ext(markdown, Options::all()));
    for tag in ["<script", "<img", "<a "] {
        assert!(!page.contains(tag), "{tag} in {page}");
    }
    assert_eq!(page.matches(&reference).count(), 1, "{page}");
    server.stop().await;
}
