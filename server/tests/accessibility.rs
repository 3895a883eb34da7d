//! Every kind of page checked by axe-core in chromium, at a phone's width and a desktop's:
//! a violation of any rule fails the suite, with the page, the width, the rule and the
//! elements. axe-core comes from npm (`tests/browser/package.json`, installed by `tests/run`
//! with `npm ci`) and is injected into each page over WebDriver; without it, or without
//! chromium, the test skips unless `STEPWISE_TEST_REQUIRE_BROWSER` is set.

use crate::browser::{Driver, REQUIRE, TOKEN, click, navigate};
use crate::support;

use std::path::PathBuf;

use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use stepwise::serve::{Config, Settings};
use support::TestServer;

/// The widths every page is checked at: a phone's and a desktop's.
const WIDTHS: [(u32, u32); 2] = [(390, 844), (1280, 900)];

/// Where `npm ci --prefix tests/browser` puts axe-core.
fn axe_path() -> PathBuf {
    support::workspace_root().join("tests/browser/node_modules/axe-core/axe.min.js")
}

/// One rule broken on one page.
#[derive(Debug)]
struct Violation {
    page: String,
    width: u32,
    rule: String,
    impact: String,
    targets: Vec<String>,
}

/// Runs axe-core over the page the browser shows and returns what it found.
async fn check(browser: &Client, axe: &str, page: &str, width: u32) -> Vec<Violation> {
    let loaded = browser
        .execute("return typeof window.axe === 'object';", vec![])
        .await
        .unwrap();
    if loaded != json!(true) {
        browser.execute(axe, vec![]).await.unwrap();
    }
    let found = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             axe.run(document).then(r => done(r.violations.map(v => ({\
               rule: v.id, impact: v.impact || '',\
               targets: v.nodes.map(n => n.target.join(' '))\
             }))), e => done([{ rule: 'axe-failed', impact: String(e), targets: [] }]));",
            vec![],
        )
        .await
        .unwrap();
    found
        .as_array()
        .expect("axe's violations are a list")
        .iter()
        .map(|v| Violation {
            page: page.to_owned(),
            width,
            rule: v["rule"].as_str().unwrap_or_default().to_owned(),
            impact: v["impact"].as_str().unwrap_or_default().to_owned(),
            targets: v["targets"]
                .as_array()
                .map(|t| {
                    t.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

/// Checks the page the browser shows at each width, and that the page itself does not
/// scroll sideways (a wide table or chart may scroll in its own box, never the page).
async fn check_widths(browser: &Client, axe: &str, page: &str, found: &mut Vec<Violation>) {
    for (width, height) in WIDTHS {
        browser.set_window_size(width, height).await.unwrap();
        found.extend(check(browser, axe, page, width).await);
        let overflow = browser
            .execute(
                "const d = document.documentElement; return d.scrollWidth - d.clientWidth;",
                vec![],
            )
            .await
            .unwrap();
        if overflow.as_i64().is_some_and(|px| px > 0) {
            // The innermost elements that reach past the window's edge, to say where to look.
            let wide = browser
                .execute(
                    "const w = document.documentElement.clientWidth;
                     const past = [...document.querySelectorAll('body *')]
                       .filter(e => e.getBoundingClientRect().right > w + 1);
                     return past.filter(e => !past.some(o => o !== e && e.contains(o)))
                       .slice(0, 3)
                       .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                         + (typeof e.className === 'string' && e.className
                            ? '.' + e.className.trim().split(/\\s+/).join('.') : ''));",
                    vec![],
                )
                .await
                .unwrap();
            found.push(Violation {
                page: page.to_owned(),
                width,
                rule: "page-scrolls-sideways".to_owned(),
                impact: format!("{overflow} px wider than the window"),
                targets: serde_json::from_value(wide).unwrap_or_default(),
            });
        }
    }
}

/// Presses the console's *Open* button.
async fn click_open(browser: &Client) -> Result<(), fantoccini::error::CmdError> {
    browser
        .find(Locator::XPath("//button[normalize-space(.)=\"Open\"]"))
        .await?
        .click()
        .await
}

/// Opens `path` and checks it at each width.
async fn visit(browser: &Client, axe: &str, base: &str, path: &str, found: &mut Vec<Violation>) {
    browser.goto(&format!("{base}{path}")).await.unwrap();
    browser.find(Locator::Css("main")).await.unwrap();
    check_widths(browser, axe, path, found).await;
}

#[tokio::test]
async fn every_kind_of_page_passes_axe_at_phone_and_desktop_widths() {
    let axe = match std::fs::read_to_string(axe_path()) {
        Ok(axe) => axe,
        Err(_) => {
            support::skip_unless_required(
                REQUIRE,
                &format!(
                    "{} is missing (npm ci --prefix tests/browser)",
                    axe_path().display()
                ),
            );
            return;
        }
    };
    // Under --watch, so the writers' preview pages are there too; the flows are a copy, so
    // nothing here can change them.
    let flows = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(support::workspace_root().join("flows")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, flows.path().join(path.file_name().unwrap())).unwrap();
    }
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
    let client = &server.client;
    let Some(driver) = Driver::start_or_skip() else {
        return;
    };
    // Sessions at each kind of step: a question, a remedy, a resolved outcome, an
    // escalation's form and its reference with the transcript.
    let walk = |flow: &'static str, answers: &'static [&'static str]| async move {
        let (id, _) = client.start(flow, json!({})).await;
        for answer in answers {
            let (status, body) = client.answer(&id, answer).await;
            assert!(status.is_success(), "{flow} {answer}: {body}");
        }
        id
    };
    let question = walk("facial-recognition-fails", &[]).await;
    let remedy = walk("facial-recognition-fails", &["login", "rejected"]).await;
    let resolved = walk("facial-recognition-fails", &["login", "rejected", "yes"]).await;
    const MEMO: &[&str] = &["in", "next", "missing"];
    let form = walk("deposit-missing-memo", MEMO).await;
    let escalated = walk("deposit-missing-memo", MEMO).await;
    let details = json!({"details": {
        "coin": "XRP", "network": "XRP Ledger", "amount": "250",
        "txid": "E3FE6EA3D48F0C2B639448020EA4F03D4F4F8FFDB243A852A0F59177921B4879",
        "deposit-time": "2026-11-02 14:05 UTC", "address": "rDeposit123"
    }});
    let (status, body) = client
        .post(&format!("/api/v1/sessions/{escalated}/details"), details)
        .await;
    assert!(status.is_success(), "{body}");

    let browser = driver.browser(true).await;
    let base = &client.base;
    let mut found = Vec::new();
    for path in [
        "/".to_owned(),
        // German, with the guides that have no translation marked as English.
        "/?lang=de".to_owned(),
        "/?q=memo".to_owned(),
        "/?q=nothing-matches-this".to_owned(),
        "/?lang=de".to_owned(),
        "/flows/deposit-missing-memo".to_owned(),
        format!("/s/{question}"),
        format!("/s/{remedy}"),
        format!("/s/{resolved}"),
        format!("/s/{form}"),
        format!("/s/{escalated}"),
        // In a frame the embed script made on this server's own pages ('self').
        "/?embed=1".to_owned(),
        format!(
            "/s/{form}?embed=1&embed_origin={}",
            url::form_urlencoded::byte_serialize(base.as_bytes()).collect::<String>()
        ),
        "/flows/no-such-flow".to_owned(),
        "/flows/deposit-missing-memo?ctx=not-a-token".to_owned(),
        "/s/no-such-session".to_owned(),
        "/agent".to_owned(),
    ] {
        visit(&browser, &axe, base, &path, &mut found).await;
    }
    // The escalation form, sent with what is required missing.
    browser.goto(&format!("{base}/s/{form}")).await.unwrap();
    click(&browser, "Get my reference").await;
    check_widths(&browser, &axe, "escalation form with errors", &mut found).await;

    // Staff pages, signed in.
    browser.goto(&format!("{base}/agent")).await.unwrap();
    browser
        .find(Locator::Id("token"))
        .await
        .unwrap()
        .send_keys(TOKEN)
        .await
        .unwrap();
    click(&browser, "Sign in").await;
    for path in [
        "/agent".to_owned(),
        "/agent?q=withdrawal".to_owned(),
        "/agent/flows/deposit-missing-memo".to_owned(),
        format!("/agent/s/{escalated}"),
        format!("/agent/s/{remedy}"),
        "/agent/stats".to_owned(),
        "/agent/webhooks".to_owned(),
        "/agent/stats/facial-recognition-fails".to_owned(),
        "/agent/stats/deposit-missing-memo".to_owned(),
        "/preview".to_owned(),
        "/preview/deposit-missing-memo".to_owned(),
        "/preview/deposit-missing-memo?a=in&a=next".to_owned(),
    ] {
        visit(&browser, &axe, base, &path, &mut found).await;
    }
    // An escalation reference that matches nothing.
    browser.goto(&format!("{base}/agent")).await.unwrap();
    let key = browser.find(Locator::Id("key")).await.unwrap();
    key.send_keys("SW-NOSUCH").await.unwrap();
    navigate(&browser, click_open(&browser)).await;
    check_widths(&browser, &axe, "console, no such session", &mut found).await;
    browser.close().await.unwrap();
    server.stop().await;

    let report: Vec<String> = found
        .iter()
        .map(|v| {
            format!(
                "{} at {} px: {} ({}) on {}",
                v.page,
                v.width,
                v.rule,
                v.impact,
                v.targets.join(", ")
            )
        })
        .collect();
    assert!(report.is_empty(), "axe-core found:\n{}", report.join("\n"));
}
