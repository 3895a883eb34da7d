//! The live preview over a real loopback server: `/live/events` streams one `catalog` event
//! per reload (a broken edit too), only under `--watch`, and ends when the server stops;
//! `/preview/{id}` shows a flow's diagnostics, map, walk and paths to signed-in staff only,
//! and keeps serving the last good version while the file is broken.

use crate::support;

use std::path::Path;
use std::time::Duration;

use reqwest::StatusCode;
use stepwise::serve::{Config, Settings};
use support::{Client, TestServer, eventually};

/// The text a person reads in the part of `page` from `start` to the end of the first
/// `</section>` after it: tags dropped, entities read, blank lines squeezed.
fn text_of_section(page: &str, start: &str) -> String {
    let from = page
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {page}"));
    let to = page[from..]
        .find("</section>")
        .map_or(page.len(), |end| from + end);
    let mut text = String::new();
    let mut in_tag = false;
    for c in page[from..to].chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#x2F;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    text.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

const TOKEN: &str = "live-agent-token";

/// How long a test waits for an event before it calls the stream stuck: far longer than a
/// reload takes, so a slow machine never fails the test.
const PATIENCE: Duration = Duration::from_secs(60);

fn flows_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(support::fixtures()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    dir
}

async fn start(flows: &Path, store: &Path, watch: bool) -> TestServer {
    let server = TestServer::start_with(Config {
        flows: flows.to_owned(),
        store: support::sqlite(store),
        settings: Settings {
            agent_token: Some(TOKEN.to_owned()),
            ..Settings::default()
        },
        watch,
    })
    .await;
    // The server answers only once it watches, so no change made after this goes unseen.
    let (status, _) = server.client.get("/api/v1/flows").await;
    assert_eq!(status, 200);
    server
}

fn edit(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "`{from}` is not in {}", file.display());
    std::fs::write(file, text.replace(from, to)).unwrap();
}

/// An open event stream, read event by event.
struct Events {
    response: reqwest::Response,
    buffer: String,
}

impl Events {
    async fn open(client: &Client) -> Events {
        let response = client
            .http
            .get(client.url("/live/events"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let kind = response.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(kind.starts_with("text/event-stream"), "{kind}");
        Events {
            response,
            buffer: String::new(),
        }
    }

    /// The next event's name and data (keep-alive comments skipped); `None` once the stream
    /// has ended.
    async fn next(&mut self) -> Option<(String, String)> {
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(name))
                        .map(|v| v.trim_start().to_owned())
                };
                if let (Some(event), Some(data)) = (field("event:"), field("data:")) {
                    return Some((event, data));
                }
            }
            let chunk = tokio::time::timeout(PATIENCE, self.response.chunk())
                .await
                .expect("no event came")
                .unwrap()?;
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// The generation the next `catalog` event announces.
    async fn generation(&mut self) -> u64 {
        let (event, data) = self.next().await.expect("the stream ended");
        assert_eq!(event, "catalog");
        data.parse().unwrap()
    }
}

/// A page as staff see it.
async fn staff_page(client: &Client, path: &str) -> (StatusCode, String) {
    let response = client
        .http
        .get(client.url(path))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn each_reload_is_one_event_and_a_broken_edit_is_one_too() {
    let flows = flows_dir();
    let store = tempfile::tempdir().unwrap();
    let server = start(flows.path(), store.path(), true).await;
    let client = server.client.clone();
    let file = flows.path().join("sign-in.ron");

    let mut events = Events::open(&client).await;
    assert_eq!(
        events.generation().await,
        0,
        "the stream starts with the current one"
    );
    // A page rendered now carries the generation it shows.
    let (_, home) = staff_page(&client, "/").await;
    assert!(
        home.contains(r#"data-live="/live/events" data-generation="0""#),
        "{home}"
    );

    // From the write to the event: the settling time of the watcher, a reload, the store's
    // record of the new version. Printed, not asserted (run with --nocapture to read it).
    let saved = std::time::Instant::now();
    edit(&file, "What happens when you sign in?", "What goes wrong?");
    assert_eq!(events.generation().await, 1);
    eprintln!("a save reached an open stream in {:?}", saved.elapsed());
    // The broken edit is announced as well: its diagnostics changed.
    edit(
        &file,
        r#"label: "It works now", goto"#,
        r#"label: "It works now" goto"#,
    );
    let broken = events.generation().await;
    assert!(broken >= 2, "{broken}");
    let (status, page) = staff_page(&client, "/preview/sign-in").await;
    assert_eq!(status, 200);
    assert!(page.contains("sign-in.ron:31:55"), "{page}");
    let dir = flows.path().display().to_string();
    insta::assert_snapshot!(
        "broken_file_diagnostics",
        text_of_section(
            &page,
            r#"<section class="card" aria-labelledby="problems-h""#
        )
        .replace(&dir, "[flows]")
    );
    assert!(page.contains("the last that passed"), "{page}");
    // The last good version is still walked, and still mapped.
    assert!(page.contains("What goes wrong?"), "{page}");
    assert!(page.contains(r#"data-node="what-fails""#), "{page}");
    // A second listener hears the same generation.
    let mut late = Events::open(&client).await;
    assert_eq!(late.generation().await, broken);

    // The stream ends when the server stops, and does not hold the stop up.
    tokio::time::timeout(PATIENCE, server.stop())
        .await
        .expect("an open event stream held the server up");
    assert_eq!(events.next().await, None);
    assert_eq!(late.next().await, None);
}

#[tokio::test]
async fn without_watch_there_is_no_stream_no_preview_and_pages_do_not_ask() {
    let store = tempfile::tempdir().unwrap();
    let server = start(&support::fixtures(), store.path(), false).await;
    let client = &server.client;
    let (status, body) = client.get("/live/events").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    for path in ["/preview", "/preview/sign-in"] {
        let (status, page) = staff_page(client, path).await;
        assert_eq!(status, 404, "{path}: {page}");
    }
    let (_, home) = staff_page(client, "/").await;
    assert!(!home.contains("data-live"), "{home}");
    assert!(!home.contains("live.js"), "{home}");
    server.stop().await;
}

#[tokio::test]
async fn the_preview_is_for_signed_in_staff() {
    let store = tempfile::tempdir().unwrap();
    let server = start(&support::fixtures(), store.path(), true).await;
    let client = &server.client;
    let wrong_bearer = format!("Bearer {TOKEN}x");
    let wrong: [(&str, &str); 4] = [
        ("", ""),
        ("authorization", &wrong_bearer),
        ("cookie", "stepwise_agent=live-agent-token"),
        ("cookie", "stepwise_agent="),
    ];
    for path in ["/preview", "/preview/sign-in", "/preview/sign-in?a=web"] {
        for (name, value) in wrong {
            let mut request = client.http.get(client.url(path));
            if !name.is_empty() {
                request = request.header(name, value);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 401, "{path} with {name}: {value}");
            let page = response.text().await.unwrap();
            assert!(page.contains(r#"id="token""#), "the sign-in form: {page}");
            assert!(!page.contains("sign-in.ron"), "{page}");
        }
    }
    let (status, index) = staff_page(client, "/preview").await;
    assert_eq!(status, 200);
    assert!(index.contains(r#"href="/preview/sign-in""#), "{index}");
    let (status, _) = staff_page(client, "/preview/no-such-flow").await;
    assert_eq!(status, 404);
    server.stop().await;
}

#[tokio::test]
async fn the_walk_is_in_the_address_and_replayed_on_the_flow_as_it_is() {
    let store = tempfile::tempdir().unwrap();
    let server = start(&support::fixtures(), store.path(), true).await;
    let client = &server.client;

    let (status, page) = staff_page(client, "/preview/sign-in").await;
    assert_eq!(status, 200);
    // The map, with the node the walk stands on marked, the facts, and every path.
    assert!(
        page.contains(r#"class="here node kind-question start""#),
        "{page}"
    );
    assert!(page.contains(r#"name="fact.platform""#), "{page}");
    assert!(page.contains("Every path ("), "{page}");
    assert!(page.contains(r#"href="/preview/sign-in?a=web""#), "{page}");
    // Each path is a link that walks it, facts included.
    assert!(
        page.contains(r#"href="/preview/sign-in?a=web&#38;a=nothing""#),
        "{page}"
    );

    // An answer taken: the next step, the first node visited, the edge taken.
    let (_, page) = staff_page(client, "/preview/sign-in?a=web").await;
    assert!(page.contains("What happens when you sign in?"), "{page}");
    assert!(page.contains(r#"class="visited node"#), "{page}");
    assert!(page.contains(r#"class="taken edge""#), "{page}");
    assert!(page.contains(r#"href="/preview/sign-in">← Back"#) || page.contains("← Back"));

    insta::assert_snapshot!(
        "walk_after_one_answer",
        text_of_section(&page, r#"<section class="card" aria-labelledby="walk-h""#)
    );
    insta::assert_snapshot!(
        "every_path",
        text_of_section(&page, r#"<section class="card" aria-labelledby="paths-h""#)
    );

    // A fact the site gives skips the question that would ask it.
    let (_, page) = staff_page(client, "/preview/sign-in?fact.platform=web").await;
    assert!(page.contains("What happens when you sign in?"), "{page}");
    assert!(page.contains(r#"<option value="web" selected>"#), "{page}");
    server.stop().await;
}

#[tokio::test]
async fn hostile_addresses_get_a_page_never_a_failure() {
    let store = tempfile::tempdir().unwrap();
    let server = start(&support::fixtures(), store.path(), true).await;
    let client = &server.client;
    let long = "ä".repeat(300);
    let cases = [
        format!("/preview/sign-in?a={long}"),
        "/preview/sign-in?a=%3Cscript%3Ealert(1)%3C%2Fscript%3E".to_owned(),
        "/preview/sign-in?fact.nope=1".to_owned(),
        "/preview/sign-in?fact.platform=%E2%80%AE%00".to_owned(),
        "/preview/sign-in?%zz=%".to_owned(),
        format!("/preview/sign-in?{}", "a=web&".repeat(300)),
    ];
    for path in &cases {
        let (status, page) = staff_page(client, path).await;
        assert_eq!(status, 200, "{path}: {page}");
        assert!(!page.contains("<script>alert"), "{path}");
    }
    let (_, page) = staff_page(client, &cases[0]).await;
    assert!(page.contains("is not an answer there"), "{page}");
    assert!(!page.contains(&long), "the id is cut short in the note");
    let (_, page) = staff_page(client, &cases[2]).await;
    assert!(page.contains("The walk cannot start"), "{page}");
    let (status, _) = staff_page(client, &format!("/preview/{}", "x".repeat(5000))).await;
    assert!(status.is_client_error(), "{status}");
    server.stop().await;
}

#[tokio::test]
async fn a_new_broken_file_is_previewed_by_its_diagnostics_alone() {
    let flows = flows_dir();
    let store = tempfile::tempdir().unwrap();
    let server = start(flows.path(), store.path(), true).await;
    let client = server.client.clone();
    std::fs::write(
        flows.path().join("draft.ron"),
        "Flow(id: \"draft\", title: ",
    )
    .unwrap();
    let page = eventually("the draft is previewed", || async {
        let (status, page) = staff_page(&client, "/preview/draft").await;
        (status == 200).then_some(page)
    })
    .await;
    assert!(page.contains("No version of"), "{page}");
    assert!(page.contains("draft.ron:1:"), "{page}");
    let (_, index) = staff_page(&client, "/preview").await;
    assert!(index.contains("not served"), "{index}");
    server.stop().await;
}

/// A flow that branches on a fact only the site gives: no question asks it.
const BY_SITE: &str = r#"Flow(
    id: "by-site",
    title: "Depends on the platform",
    summary: "Branches on what the site says.",
    tags: ["site"],
    inputs: ["platform"],
    start: "which",
    nodes: {
        "which": Branch(fact: "platform", cases: { "app": "on-app" }, default: "elsewhere"),
        "on-app": Done(text: "On the app."),
        "elsewhere": Done(text: "Somewhere else."),
    },
)
"#;

#[tokio::test]
async fn a_path_decided_by_a_fact_the_site_gives_is_walked_with_that_fact() {
    let flows = tempfile::tempdir().unwrap();
    std::fs::write(flows.path().join("by-site.ron"), BY_SITE).unwrap();
    let store = tempfile::tempdir().unwrap();
    let server = start(flows.path(), store.path(), true).await;
    let client = &server.client;
    let (status, page) = staff_page(client, "/preview/by-site").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(r#"href="/preview/by-site?fact.platform=app""#),
        "{page}"
    );
    assert!(page.contains(r#"href="/preview/by-site""#), "{page}");
    let (_, walked) = staff_page(client, "/preview/by-site?fact.platform=app").await;
    assert!(walked.contains("On the app."), "{walked}");
    assert!(
        walked.contains(r#"class="here node kind-done""#),
        "{walked}"
    );
    server.stop().await;
}
