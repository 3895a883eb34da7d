//! The embed kit. Over HTTP: `/embed.js` and the framed pages' script are served as scripts,
//! and a framed page names the origin it posts to only where `--frame-ancestors` allows it. In
//! chromium: the repository's host page (`docs/embed/host.html`), served from a second
//! loopback origin under a strict Content-Security-Policy, embeds the wizard with one script
//! tag; a customer walks a flow to an escalation inside the frame, and the host page sees the
//! frame follow each step's height and receives `step` and `escalated`, while messages from a
//! third origin, and from a frame the script did not make, are ignored; other walks end in
//! `resolved` and `done`.

use crate::browser::{Driver, assert_no_policy_violations, click, heading, navigate, screenshot};
use crate::support;

use std::path::Path;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::header;
use axum::routing::get;
use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use serde_json::{Value, json};
use stepwise::serve::{Config, Settings};
use support::{TestServer, no_redirects};

/// The origin the repository's host page expects stepwise at, replaced by the test server's.
const DOCUMENTED_ORIGIN: &str = "http://127.0.0.1:8080";

async fn server(store: &Path, frame_ancestors: &str) -> TestServer {
    TestServer::start_with(Config {
        flows: support::workspace_root().join("flows"),
        store: support::sqlite(store),
        settings: Settings {
            frame_ancestors: frame_ancestors.to_owned(),
            ..Settings::default()
        },
        watch: false,
    })
    .await
}

fn encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn the_embed_script_is_served_as_a_script_with_a_long_cache() {
    let store = tempfile::tempdir().unwrap();
    let server = server(store.path(), "'self'").await;
    for (path, cache, marker) in [
        (
            "/embed.js",
            "public, max-age=86400",
            "addEventListener(\"message\"",
        ),
        ("/assets/frame.js", "public, max-age=300", "postMessage"),
    ] {
        let response = reqwest::get(server.client.url(path)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers().clone();
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8",
            "{path}"
        );
        assert_eq!(headers[header::CACHE_CONTROL], cache, "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        if path == "/embed.js" {
            // Other sites load it, some of them cross-origin isolated.
            assert_eq!(headers["cross-origin-resource-policy"], "cross-origin");
        }
        let text = response.text().await.unwrap();
        assert!(text.contains(marker), "{path}: {text}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_framed_page_posts_only_to_an_origin_the_settings_allow() {
    let store = tempfile::tempdir().unwrap();
    let server = server(store.path(), "'self' https://help.example.com").await;
    let (id, _) = server.client.start("deposit-missing-memo", json!({})).await;
    let base = server.client.base.clone();
    let page = |query: String| {
        let url = server.client.url(&format!("/s/{id}{query}"));
        async move {
            let response = reqwest::get(url).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.text().await.unwrap()
        }
    };
    let allowed = [
        "https://help.example.com".to_owned(),
        // 'self': the origin the request's Host names.
        base.clone(),
    ];
    for origin in allowed {
        let html = page(format!("?embed=1&embed_origin={}", encoded(&origin))).await;
        assert!(
            html.contains(&format!("data-stepwise-origin=\"{origin}\"")),
            "{origin}: {html}"
        );
        assert!(html.contains("/assets/frame.js"), "{origin}");
        // Links and forms keep the origin, so every later step posts to it too.
        assert!(
            html.contains(&format!("embed_origin={}", encoded(&origin))),
            "{origin}"
        );
    }
    let refused = [
        "?embed=1&embed_origin=https%3A%2F%2Fevil.example".to_owned(),
        "?embed=1&embed_origin=https%3A%2F%2Fhelp.example.com.evil.example".to_owned(),
        "?embed=1&embed_origin=http%3A%2F%2Fhelp.example.com".to_owned(),
        "?embed=1&embed_origin=https%3A%2F%2Fhelp.example.com%2Fpath".to_owned(),
        "?embed=1&embed_origin=null".to_owned(),
        "?embed=1&embed_origin=%22%3E%3Cscript%3E".to_owned(),
        // Not framed: nothing to post to.
        "?embed_origin=https%3A%2F%2Fhelp.example.com".to_owned(),
        "?embed=1".to_owned(),
    ];
    for query in refused {
        let html = page(query.clone()).await;
        assert!(!html.contains("data-stepwise-origin"), "{query}: {html}");
        assert!(!html.contains("/assets/frame.js"), "{query}");
        assert!(!html.contains("<script>"), "{query}");
    }
    // The step's state is on the page for the frame's script to read.
    let html = page(String::new()).await;
    assert!(
        html.contains(
            "data-stepwise-flow=\"deposit-missing-memo\" data-stepwise-kind=\"question\" \
             data-stepwise-step=\"1\""
        ),
        "{html}"
    );

    // A move keeps the origin on the redirect to the next step.
    let response = no_redirects()
        .post(server.client.url(&format!(
            "/s/{id}/answer?embed=1&embed_origin=https%3A%2F%2Fhelp.example.com"
        )))
        .form(&[("at", "direction"), ("pos", "0"), ("answer", "in")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[header::LOCATION].to_str().unwrap();
    assert_eq!(
        location,
        format!("/s/{id}?embed=1&embed_origin=https%3A%2F%2Fhelp.example.com#step")
    );
    server.stop().await;
}

/// A site on a loopback origin of its own: each path with its content type and body, every
/// response under `policy`. Stops when the handle is aborted.
async fn site(
    listener: tokio::net::TcpListener,
    files: Vec<(&'static str, &'static str, String)>,
    policy: String,
) -> tokio::task::JoinHandle<()> {
    let mut router = Router::new();
    for (path, kind, body) in files {
        let policy = policy.clone();
        router = router.route(
            path,
            get(move || async move {
                (
                    [
                        (header::CONTENT_TYPE, kind.to_owned()),
                        (header::CONTENT_SECURITY_POLICY, policy),
                    ],
                    body,
                )
            }),
        );
    }
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    })
}

async fn loopback() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    (listener, origin)
}

fn docs(name: &str) -> String {
    std::fs::read_to_string(support::workspace_root().join("docs/embed").join(name)).unwrap()
}

/// Waits up to ten seconds for `check` to give a value.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The items of a list the host page's own script fills, as the JSON each one holds.
async fn listed(browser: &Client, list: &str) -> Vec<Value> {
    let mut found = Vec::new();
    for item in browser
        .find_all(Locator::Css(&format!("#{list} li")))
        .await
        .unwrap()
    {
        let text = item.text().await.unwrap();
        found.push(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")));
    }
    found
}

const MAIN_FRAME: &str = ".stepwise-embed iframe";

async fn enter_main_frame(browser: &Client) {
    browser.enter_parent_frame().await.unwrap();
    let frame = browser.find(Locator::Css(MAIN_FRAME)).await.unwrap();
    frame.enter_frame().await.unwrap();
}

/// With the browser in the embedded frame: waits until the frame on the host page is as tall
/// as the page it shows, checks the page then needs no scrollbar, and returns the height and
/// how long after the page was shown the frame had it.
async fn frame_follows_its_content(browser: &Client) -> (u64, Duration) {
    let shown = Instant::now();
    let content = browser
        .execute(
            "return Math.ceil(document.documentElement.getBoundingClientRect().height);",
            vec![],
        )
        .await
        .unwrap()
        .as_u64()
        .unwrap();
    browser.enter_parent_frame().await.unwrap();
    let script =
        format!("return document.querySelector('{MAIN_FRAME}').getBoundingClientRect().height;");
    let settled = eventually("the frame's height to follow its content", || async {
        let height = browser.execute(&script, vec![]).await.ok()?.as_f64()?;
        ((height - content as f64).abs() < 1.0).then_some(height)
    })
    .await;
    enter_main_frame(browser).await;
    let scroll = browser
        .execute(
            "const e = document.documentElement;\
             return [e.scrollHeight, e.clientHeight, e.scrollWidth, e.clientWidth];",
            vec![],
        )
        .await
        .unwrap();
    let [sh, ch, sw, cw] = [0, 1, 2, 3].map(|i| scroll[i].as_u64().unwrap());
    assert!(sh <= ch && sw <= cw, "the framed page scrolls: {scroll}");
    (settled as u64, shown.elapsed())
}

#[tokio::test]
async fn a_help_centre_embeds_the_wizard_and_hears_the_escalation() {
    let (host_listener, host) = loopback().await;
    let (forger_listener, forger) = loopback().await;
    let store = tempfile::tempdir().unwrap();
    let server = server(store.path(), &format!("'self' {host}")).await;
    let Some(driver) = Driver::start_or_skip() else {
        return;
    };
    let stepwise = server.client.base.clone();

    // A frame of stepwise that the embed script did not make: its messages come from the
    // right origin, but not from the script's own frame.
    let (other, _) = server
        .client
        .start("facial-recognition-fails", json!({}))
        .await;
    let test_only = format!(
        "<section aria-label=\"Test only\">\
         <iframe id=\"plain\" src=\"{stepwise}/s/{other}?embed=1&amp;embed_origin={origin}\" \
         title=\"Another guide in a plain frame\"></iframe>\
         <iframe id=\"forger\" src=\"{forger}/forge.html\" title=\"Another site\"></iframe>\
         <div id=\"ctx-check\"></div>\
         <script src=\"{DOCUMENTED_ORIGIN}/embed.js\" data-target=\"ctx-check\" \
         data-ctx=\"a.b c&amp;d=e\" data-fact-kyc_state=\"pending review\" data-lang=\"de\" \
         data-title=\"Home\"></script>\
         </section></main>",
        origin = encoded(&host),
    );
    let page = docs("host.html")
        .replace(
            &format!("frame-src {DOCUMENTED_ORIGIN}"),
            &format!("frame-src {DOCUMENTED_ORIGIN} {forger}"),
        )
        .replace("</main>", &test_only)
        .replace(DOCUMENTED_ORIGIN, &stepwise);
    let strict = format!(
        "default-src 'none'; script-src 'self' {stepwise}; frame-src {stepwise} {forger}; \
         style-src 'self'"
    );
    let host_site = site(
        host_listener,
        vec![
            ("/host.html", "text/html; charset=utf-8", page),
            ("/host.js", "text/javascript", docs("host.js")),
            ("/host.css", "text/css", docs("host.css")),
        ],
        strict,
    )
    .await;
    let forged = "parent.postMessage({source: 'stepwise', type: 'escalated', \
                  flow: 'deposit-missing-memo', reference: 'SW-FORGED01'}, '*');\n\
                  parent.postMessage({source: 'stepwise', type: 'height', height: 3}, '*');\n";
    let forger_site = site(
        forger_listener,
        vec![
            (
                "/forge.html",
                "text/html; charset=utf-8",
                "<!doctype html><html lang=\"en\"><title>Forger</title>\
                 <script src=\"/forge.js\"></script></html>"
                    .to_owned(),
            ),
            ("/forge.js", "text/javascript", forged.to_owned()),
        ],
        "default-src 'none'; script-src 'self'".to_owned(),
    )
    .await;

    let browser = driver.browser(true).await;
    browser.goto(&format!("{host}/host.html")).await.unwrap();

    // The script built the frame's address from its own tag.
    let frame = browser.find(Locator::Css(MAIN_FRAME)).await.unwrap();
    let src = url::Url::parse(&frame.attr("src").await.unwrap().unwrap()).unwrap();
    assert_eq!(src.origin().ascii_serialization(), stepwise);
    assert_eq!(src.path(), "/flows/deposit-missing-memo");
    let query: Vec<(String, String)> = src.query_pairs().into_owned().collect();
    for pair in [
        ("embed", "1"),
        ("embed_origin", host.as_str()),
        ("fact.platform", "web"),
    ] {
        assert!(
            query.contains(&(pair.0.to_owned(), pair.1.to_owned())),
            "{pair:?} in {src}"
        );
    }
    let other_frame = browser
        .find(Locator::Css("#ctx-check iframe"))
        .await
        .unwrap();
    let other_src = url::Url::parse(&other_frame.attr("src").await.unwrap().unwrap()).unwrap();
    assert_eq!(other_src.path(), "/", "no data-flow: the home page");
    let query: Vec<(String, String)> = other_src.query_pairs().into_owned().collect();
    for pair in [
        ("ctx", "a.b c&d=e"),
        ("fact.kyc_state", "pending review"),
        ("lang", "de"),
    ] {
        assert!(
            query.contains(&(pair.0.to_owned(), pair.1.to_owned())),
            "{pair:?} in {other_src}"
        );
    }

    // The forger's messages reach the window before the walk starts.
    eventually("the forged message to arrive", || async {
        let messages = listed(&browser, "messages").await;
        messages
            .iter()
            .any(|m| m["origin"] == forger.as_str() && m["data"]["type"] == "escalated")
            .then_some(())
    })
    .await;

    // The walk, inside the frame; the frame follows each page's height.
    enter_main_frame(&browser).await;
    let mut heights = vec![("start", frame_follows_its_content(&browser).await)];
    assert_eq!(
        heading(&browser).await,
        "I forgot the tag or memo on a deposit"
    );
    click(&browser, "Start").await;
    heights.push(("question", frame_follows_its_content(&browser).await));
    for answer in ["Into my account here", "Continue", "I left it empty"] {
        click(&browser, answer).await;
        heights.push((answer, frame_follows_its_content(&browser).await));
    }
    assert_eq!(heading(&browser).await, "Let's get you to our support team");
    for (field, value) in [
        ("d-coin", "XRP"),
        ("d-network", "XRP Ledger"),
        ("d-amount", "250"),
        (
            "d-txid",
            "E3FE6EA3D48F0C2B639448020EA4F03D4F4F8FFDB243A852A0F59177921B4879",
        ),
        ("d-deposit-time", "2026-11-02 14:05 UTC"),
        ("d-address", "rDepositAddress123"),
    ] {
        browser
            .find(Locator::Id(field))
            .await
            .unwrap()
            .send_keys(value)
            .await
            .unwrap();
    }
    click(&browser, "Get my reference").await;
    heights.push(("reference", frame_follows_its_content(&browser).await));
    let reference = browser
        .find(Locator::Id("reference"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(reference.starts_with("SW-"), "{reference}");
    // A narrower host page makes the same step taller: the frame follows without a reload.
    browser.set_window_size(390, 844).await.unwrap();
    enter_main_frame(&browser).await;
    let narrow = frame_follows_its_content(&browser).await;
    assert!(
        narrow.0 > heights.last().unwrap().1.0,
        "narrower but not taller: {narrow:?}"
    );
    heights.push(("reference at 390 px", narrow));
    browser.set_window_size(1280, 900).await.unwrap();
    for (page, (height, after)) in &heights {
        println!("frame height on {page:?}: {height} px, matched {after:?} after the test saw it");
    }
    let mut distinct: Vec<u64> = heights.iter().map(|(_, (h, _))| *h).collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert!(
        distinct.len() > 1,
        "the frame never changed height: {heights:?}"
    );

    // The host page's own script listed what the embed passed on.
    browser.enter_parent_frame().await.unwrap();
    let events = eventually("the escalated event", || async {
        let events = listed(&browser, "events").await;
        events
            .iter()
            .any(|e| e["type"] == "escalated")
            .then_some(events)
    })
    .await;
    println!("events on the host page: {events:#?}");
    assert_eq!(
        events[0],
        json!({"source": "stepwise", "type": "step", "flow": "deposit-missing-memo",
               "kind": "question", "step": 1})
    );
    let escalated: Vec<&Value> = events.iter().filter(|e| e["type"] == "escalated").collect();
    assert_eq!(escalated.len(), 1, "{events:#?}");
    assert_eq!(
        *escalated[0],
        json!({"source": "stepwise", "type": "escalated", "flow": "deposit-missing-memo",
               "reference": reference})
    );
    let at = events
        .iter()
        .position(|e| e["type"] == "escalated")
        .unwrap();
    assert_eq!(events[at - 1]["type"], "step");
    assert_eq!(events[at - 1]["kind"], "escalate");
    assert!(
        events.iter().all(|e| e["flow"] == "deposit-missing-memo"),
        "only the script's own frame is heard: {events:#?}"
    );
    // The plain frame posted too, from stepwise's origin, and was not heard.
    let messages = listed(&browser, "messages").await;
    assert!(
        messages
            .iter()
            .any(|m| m["origin"] == stepwise.as_str()
                && m["data"]["flow"] == "facial-recognition-fails"),
        "{messages:#?}"
    );
    let height = browser
        .execute(
            &format!("return document.querySelector('{MAIN_FRAME}').height;"),
            vec![],
        )
        .await
        .unwrap();
    assert_ne!(height, json!("3"), "the forged height was ignored");

    // A frame without the embed script still shows the wizard.
    let plain = browser.find(Locator::Id("plain")).await.unwrap();
    plain.enter_frame().await.unwrap();
    assert_eq!(
        heading(&browser).await,
        "What were you doing when the face check failed?"
    );
    browser.enter_parent_frame().await.unwrap();
    screenshot(&browser, "embed-host-page").await;
    assert_no_policy_violations(&browser).await;

    browser.close().await.unwrap();
    host_site.abort();
    forger_site.abort();
    server.stop().await;
}

/// Answers the framed step with the answer whose id is `id`, and waits for the next page.
async fn answer(browser: &Client, id: &str) {
    let button = browser
        .find(Locator::Css(&format!(
            "button[name='answer'][value='{id}']"
        )))
        .await
        .unwrap_or_else(|e| panic!("no answer {id:?}: {e}"));
    navigate(browser, button.click()).await;
}

#[tokio::test]
async fn the_host_hears_a_resolved_walk_and_a_done_walk() {
    let (host_listener, host) = loopback().await;
    let store = tempfile::tempdir().unwrap();
    let server = server(store.path(), &format!("'self' {host}")).await;
    let Some(driver) = Driver::start_or_skip() else {
        return;
    };
    let stepwise = server.client.base.clone();
    let page_for = |flow: &str| {
        docs("host.html")
            .replace(
                "data-flow=\"deposit-missing-memo\"",
                &format!("data-flow=\"{flow}\""),
            )
            .replace(DOCUMENTED_ORIGIN, &stepwise)
    };
    let host_site = site(
        host_listener,
        vec![
            (
                "/resolved.html",
                "text/html; charset=utf-8",
                page_for("wallet-password-forgotten"),
            ),
            (
                "/done.html",
                "text/html; charset=utf-8",
                page_for("account-restricted"),
            ),
            ("/host.js", "text/javascript", docs("host.js")),
            ("/host.css", "text/css", docs("host.css")),
        ],
        format!(
            "default-src 'none'; script-src 'self' {stepwise}; frame-src {stepwise}; \
             style-src 'self'"
        ),
    )
    .await;
    let browser = driver.browser(true).await;

    // The last step's kind is the name of the event it sends.
    let walks: [(&str, &str, &[&str], &str); 2] = [
        (
            "resolved.html",
            "wallet-password-forgotten",
            &["account", "worked"],
            "resolved",
        ),
        (
            "done.html",
            "account-restricted",
            &["asks-info", "yes", "recent"],
            "done",
        ),
    ];
    for (page, flow, answers, outcome) in walks {
        browser.goto(&format!("{host}/{page}")).await.unwrap();
        enter_main_frame(&browser).await;
        click(&browser, "Start").await;
        for id in answers {
            answer(&browser, id).await;
        }
        browser.enter_parent_frame().await.unwrap();
        let events = eventually(&format!("the {outcome} event"), || async {
            let events = listed(&browser, "events").await;
            events
                .iter()
                .any(|e| e["type"] == outcome)
                .then_some(events)
        })
        .await;
        let steps: Vec<(&str, u64)> = events
            .iter()
            .filter(|e| e["type"] == "step")
            .map(|e| (e["kind"].as_str().unwrap(), e["step"].as_u64().unwrap()))
            .collect();
        assert_eq!(steps.len(), answers.len() + 1, "{events:#?}");
        assert_eq!(steps.last().unwrap().0, outcome, "{events:#?}");
        assert!(
            steps.windows(2).all(|w| w[1].1 == w[0].1 + 1),
            "one step after another: {steps:?}"
        );
        assert_eq!(
            events.last().unwrap(),
            &json!({"source": "stepwise", "type": outcome, "flow": flow}),
            "{events:#?}"
        );
        assert!(
            events.iter().all(|e| e["type"] != "escalated"),
            "{events:#?}"
        );
    }
    assert_no_policy_violations(&browser).await;
    browser.close().await.unwrap();
    host_site.abort();
    server.stop().await;
}
