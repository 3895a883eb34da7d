//! The live preview in a real browser: a writer's preview page and a customer's page follow
//! edits saved to disk without reloading, and a broken edit shows as diagnostics on the
//! preview while the last good version stays served (and the customer sees none of it).

use crate::browser::{Driver, TOKEN, assert_no_policy_violations, click, screenshot};
use crate::support;

use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use stepwise::serve::{Config, Settings};
use support::TestServer;

/// How long a page may take to follow a save before the test gives up: far more than the
/// second it takes, so a loaded machine does not fail the test.
const PATIENCE: Duration = Duration::from_secs(60);

fn edit(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "`{from}` is not in {}", file.display());
    std::fs::write(file, text.replace(from, to)).unwrap();
}

/// Runs `script` in the page until it returns `true`.
async fn wait_for(browser: &Client, what: &str, script: &str) {
    let started = Instant::now();
    loop {
        if browser.execute(script, vec![]).await.unwrap() == json!(true) {
            return;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "after {PATIENCE:?}, still not: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Marks the page, so a test can tell a page that changed in place from one reloaded.
async fn mark_page(browser: &Client) {
    browser
        .execute("window.notReloaded = true;", vec![])
        .await
        .unwrap();
}

async fn not_reloaded(browser: &Client) -> bool {
    browser
        .execute("return window.notReloaded === true;", vec![])
        .await
        .unwrap()
        == json!(true)
}

async fn text_of(browser: &Client, css: &str) -> String {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_writer_sees_each_save_and_a_broken_one_as_diagnostics() {
    let flows = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(support::fixtures()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, flows.path().join(path.file_name().unwrap())).unwrap();
    }
    let file = flows.path().join("sign-in.ron");
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(Config {
        flows: flows.path().to_owned(),
        store: support::sqlite(store.path()),
        settings: Settings {
            agent_token: Some(TOKEN.to_owned()),
            ..Settings::default()
        },
        watch: true,
    })
    .await;
    let (status, _) = server.client.get("/api/v1/flows").await;
    assert_eq!(status, 200);
    let Some(driver) = Driver::start_or_skip() else {
        return;
    };
    let base = &server.client.base;

    let writer = driver.browser(true).await;
    writer.goto(&format!("{base}/agent")).await.unwrap();
    writer
        .find(Locator::Id("token"))
        .await
        .unwrap()
        .send_keys(TOKEN)
        .await
        .unwrap();
    click(&writer, "Sign in").await;
    writer
        .goto(&format!("{base}/preview/sign-in"))
        .await
        .unwrap();
    // The map marks where the walk stands: the first question.
    let here = writer
        .execute(
            "return [...document.querySelectorAll('#map .node.here')].map(n => n.dataset.node);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(here, json!(["platform"]));
    let link = writer.find(Locator::LinkText("The website")).await.unwrap();
    crate::browser::navigate(&writer, link.click()).await;
    assert_eq!(
        text_of(&writer, "#walk-step").await,
        "What happens when you sign in?"
    );
    let here: Value = writer
        .execute(
            "const n = document.querySelector('#map .node.here');\
             return [n.dataset.node, getComputedStyle(n.querySelector(':not(text):not(title)')).strokeWidth];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(here, json!(["what-fails", "4px"]));
    mark_page(&writer).await;

    let customer = driver.browser(true).await;
    customer.goto(&format!("{base}/")).await.unwrap();
    mark_page(&customer).await;

    // A save: the walk's step and the customer's list both change, neither page reloaded.
    edit(&file, "What happens when you sign in?", "What goes wrong?");
    edit(&file, "I cannot sign in", "I cannot log in");
    wait_for(
        &writer,
        "the preview shows the edit",
        "const s = document.getElementById('walk-step');\
         return !!s && s.textContent === 'What goes wrong?';",
    )
    .await;
    assert!(not_reloaded(&writer).await, "the preview page was reloaded");
    wait_for(
        &customer,
        "the customer's page shows the edit",
        "return document.querySelector('main').textContent.includes('I cannot log in');",
    )
    .await;
    assert!(
        not_reloaded(&customer).await,
        "the customer's page was reloaded"
    );
    screenshot(&writer, "preview").await;

    // A broken save: diagnostics on the preview, the last good version still walked.
    edit(
        &file,
        r#"label: "It works now", goto"#,
        r#"label: "It works now" goto"#,
    );
    wait_for(
        &writer,
        "the preview shows the diagnostics",
        "return document.getElementById('problems').textContent.includes('sign-in.ron:31:55');",
    )
    .await;
    assert!(not_reloaded(&writer).await, "the preview page was reloaded");
    assert_eq!(text_of(&writer, "#walk-step").await, "What goes wrong?");
    let status = text_of(&writer, "#preview-status").await;
    assert!(status.contains("the last that passed"), "{status}");
    screenshot(&writer, "preview-broken").await;
    // On a phone's width the preview stacks and nothing overflows sideways.
    writer.set_window_size(390, 844).await.unwrap();
    let overflow = writer
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        overflow,
        json!(false),
        "the preview overflows a phone's width"
    );
    screenshot(&writer, "preview-phone").await;
    writer.set_window_size(1280, 900).await.unwrap();
    let (_, served) = server.client.get("/api/v1/flows/sign-in").await;
    assert_eq!(served["title"], "I cannot log in", "the last good version");
    // The customer's page never shows writers' diagnostics.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let main = text_of(&customer, "main").await;
    assert!(!main.contains("sign-in.ron"), "{main}");
    assert!(main.contains("I cannot log in"), "{main}");

    assert_no_policy_violations(&writer).await;
    assert_no_policy_violations(&customer).await;
    writer.close().await.unwrap();
    customer.close().await.unwrap();
    server.stop().await;
}
