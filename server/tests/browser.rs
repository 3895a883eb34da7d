//! The website in a real browser: Debian's chromium, headless, driven over WebDriver by
//! chromedriver. Each test starts its own chromedriver on a free port and a server in this
//! process with a store of its own; screenshots of the key pages go to
//! `target/screenshots/`. `tests/run` installs chromium and chromedriver when missing; without
//! them on `PATH` the tests skip, unless `STEPWISE_TEST_REQUIRE_BROWSER` is set.

use crate::support;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use stepwise::serve::{Config, Settings};
use support::TestServer;

pub(crate) const TOKEN: &str = "browser-agent-token";

/// Set (to `1`) to fail rather than skip these tests when chromium or chromedriver is missing.
pub(crate) const REQUIRE: &str = "STEPWISE_TEST_REQUIRE_BROWSER";

/// chromedriver, stopped when dropped.
pub(crate) struct Driver {
    child: Child,
    url: String,
    chromium: PathBuf,
    _profiles: tempfile::TempDir,
}

/// Where `program` is on `PATH`.
pub(crate) fn on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

impl Driver {
    /// `None`, the test skipped, without chromium and chromedriver (see [`REQUIRE`]).
    pub(crate) fn start_or_skip() -> Option<Driver> {
        let (chromium, chromedriver) = match (on_path("chromium"), on_path("chromedriver")) {
            (Some(chromium), Some(chromedriver)) => (chromium, chromedriver),
            (chromium, _) => {
                let missing = if chromium.is_none() {
                    "chromium"
                } else {
                    "chromedriver"
                };
                support::skip_unless_required(REQUIRE, &format!("{missing} is not on PATH"));
                return None;
            }
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            chromium,
            _profiles: tempfile::tempdir().unwrap(),
        })
    }

    /// A new headless browser; `javascript` false turns scripts off.
    pub(crate) async fn browser(&self, javascript: bool) -> Client {
        let profile = tempfile::Builder::new()
            .prefix("profile")
            .tempdir_in(self._profiles.path())
            .unwrap()
            .keep();
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--window-size=1280,900".to_owned(),
            format!("--user-data-dir={}", profile.display()),
        ];
        if !javascript {
            args.push("--blink-settings=scriptEnabled=false".to_owned());
        }
        let mut options = json!({ "binary": self.chromium, "args": args });
        if !javascript {
            options["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("goog:chromeOptions".into(), options);
        // The console log, where the browser reports what the Content-Security-Policy blocked.
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps)
            .connect(&self.url)
            .await
            .unwrap()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn server(flows: PathBuf, store: &Path) -> TestServer {
    TestServer::start_with(Config {
        flows,
        store: support::sqlite(store),
        settings: Settings {
            agent_token: Some(TOKEN.to_owned()),
            ..Settings::default()
        },
        watch: false,
    })
    .await
}

pub(crate) fn bundled() -> PathBuf {
    support::workspace_root().join("flows")
}

/// Saves a screenshot of the page as `target/screenshots/NAME.png`.
pub(crate) async fn screenshot(browser: &Client, name: &str) {
    let dir = support::workspace_root().join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = browser.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// chromedriver's request for the browser's console log since the last one.
#[derive(Debug)]
struct ConsoleLog;

impl fantoccini::wd::WebDriverCompatibleCommand for ConsoleLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (reqwest::Method, Option<String>) {
        (
            reqwest::Method::POST,
            Some(r#"{"type":"browser"}"#.to_owned()),
        )
    }
}

/// Asserts that the Content-Security-Policy blocked nothing on the pages seen so far.
pub(crate) async fn assert_no_policy_violations(browser: &Client) {
    let log = browser.issue_cmd(ConsoleLog).await.unwrap();
    let entries = log.as_array().expect("the console log is a list");
    let blocked: Vec<&str> = entries
        .iter()
        .filter_map(|entry| entry["message"].as_str())
        .filter(|message| message.contains("Content Security Policy"))
        .collect();
    assert!(blocked.is_empty(), "the policy blocked: {blocked:#?}");
}

/// Clicks the button whose text is `label` and waits for the next page.
pub(crate) async fn click(browser: &Client, label: &str) {
    let xpath = format!("//button[normalize-space(.)=\"{label}\"]");
    let button = browser
        .find(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("no button {label:?}: {e}"));
    navigate(browser, button.click()).await;
}

/// Runs `action` and waits until the page it was on has been replaced.
pub(crate) async fn navigate<F, T>(browser: &Client, action: F)
where
    F: std::future::Future<Output = Result<T, fantoccini::error::CmdError>>,
{
    let old = browser.find(Locator::Css("html")).await.unwrap();
    action.await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while old.attr("lang").await.is_ok() {
        assert!(Instant::now() < deadline, "the page did not change");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    browser.find(Locator::Css("main")).await.unwrap();
}

/// The text of the step's heading.
pub(crate) async fn heading(browser: &Client) -> String {
    browser
        .find(Locator::Id("step"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The session id in the current URL (`/s/ID` or `/agent/s/ID`).
pub(crate) async fn session_id(browser: &Client) -> String {
    let url = browser.current_url().await.unwrap();
    url.path().rsplit('/').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_customer_walks_in_german_and_switches_to_english() {
    let store = tempfile::tempdir().unwrap();
    let server = server(bundled(), store.path()).await;
    let Some(driver) = Driver::start_or_skip() else {
        return;
    };
    let browser = driver.browser(true).await;
    let base = &server.client.base;

    browser.goto(&format!("{base}/?lang=de")).await.unwrap();
    let html = browser.find(Locator::Css("html")).await.unwrap();
    assert_eq!(html.attr("lang").await.unwrap().as_deref(), Some("de"));
    assert_eq!(heading(&browser).await, "Wie können wir helfen?");
    let link = browser
        .find(Locator::Css(
            "a[href='/flows/p2p-released-not-paid?lang=de']",
        ))
        .await
        .unwrap();
    navigate(&browser, link.click()).await;
    click(&browser, "Starten").await;
    assert_eq!(
        heading(&browser).await,
        "Warum haben Sie die Kryptowährung freigegeben?"
    );
    click(
        &browser,
        "Ich habe versehentlich freigegeben, ohne zu prüfen",
    )
    .await;
    assert_eq!(heading(&browser).await, "Versuchen Sie Folgendes");
    screenshot(&browser, "wizard-step-german").await;

    // The switch shows the same step in English, and the session stays in English.
    let english = browser
        .find(Locator::Css("nav.languages a[hreflang='en']"))
        .await
        .unwrap();
    navigate(&browser, english.click()).await;
    let html = browser.find(Locator::Css("html")).await.unwrap();
    assert_eq!(html.attr("lang").await.unwrap().as_deref(), Some("en"));
    assert_eq!(heading(&browser).await, "Try this");
    click(&browser, "No, still not working").await;
    assert_eq!(
        heading(&browser).await,
        "Can you reach the buyer through the order chat?"
    );
    browser.close().await.unwrap();
    server.stop().await;
}

#[tokio::test]
async fn a_customer_fixes_facial_recognition_and_says_it_helped() {
    let store = tempfile::tempdir().unwrap();
    let server = server(bundled(), store.path()).await;
    let Some(driver) = Driver::start_or_skip() else {
        return;
    };
    let browser = driver.browser(true).await;
    let base = &server.client.base;

    browser.goto(&format!("{base}/")).await.unwrap();
    let search = browser.find(Locator::Id("q")).await.unwrap();
    search.send_keys("face").await.unwrap();
    click(&browser, "Search").await;
    let link = browser
        .find(Locator::Css("a[href='/flows/facial-recognition-fails']"))
        .await
        .unwrap();
    navigate(&browser, link.click()).await;
    click(&browser, "Start").await;
    assert_eq!(
        heading(&browser).await,
        "What were you doing when the face check failed?"
    );
    // The script moves focus to the new step's heading.
    let focused = browser.active_element().await.unwrap();
    assert_eq!(focused.attr("id").await.unwrap().as_deref(), Some("step"));

    click(&browser, "Logging in").await;
    assert_eq!(heading(&browser).await, "What happens when you try?");
    // Back undoes the answer; answering again moves on.
    click(&browser, "← Back").await;
    assert_eq!(
        heading(&browser).await,
        "What were you doing when the face check failed?"
    );
    click(&browser, "Logging in").await;
    click(&browser, "The check runs, but says it failed").await;
    assert_eq!(heading(&browser).await, "Try this");
    screenshot(&browser, "wizard-step").await;
    // On a phone's width the answers stack and nothing overflows sideways.
    browser.set_window_size(390, 844).await.unwrap();
    let overflow = browser
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(overflow, json!(false));
    screenshot(&browser, "wizard-step-phone").await;
    browser.set_window_size(1280, 900).await.unwrap();
    // The browser's own back button may show the old question again; its form is stale,
    // and answering it leaves the session where it is.
    navigate(&browser, browser.back()).await;
    if heading(&browser).await == "What happens when you try?" {
        click(
            &browser,
            "The page freezes, keeps loading or doesn't respond",
        )
        .await;
    }
    assert_eq!(heading(&browser).await, "Try this");
    let body = browser.find(Locator::Css(".prose")).await.unwrap();
    assert!(
        body.text().await.unwrap().contains("Indoors"),
        "still the lighting remedy"
    );

    click(&browser, "Yes, it's working now").await;
    assert_eq!(heading(&browser).await, "Glad that's sorted");
    click(&browser, "Yes").await;
    let thanks = browser.find(Locator::Css(".thanks")).await.unwrap();
    assert!(thanks.text().await.unwrap().contains("glad it helped"));

    let id = session_id(&browser).await;
    let (_, session) = server.client.get(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(session["status"], "resolved");
    assert_eq!(session["feedback"], true, "the feedback is stored");
    assert_no_policy_violations(&browser).await;
    browser.close().await.unwrap();
    server.stop().await;
}

#[tokio::test]
async fn an_escalated_memo_case_reaches_the_agent_by_its_reference() {
    let store = tempfile::tempdir().unwrap();
    let server = server(bundled(), store.path()).await;
    let Some(driver) = Driver::start_or_skip() else {
        return;
    };
    let customer = driver.browser(true).await;
    let base = &server.client.base;

    customer
        .goto(&format!("{base}/flows/deposit-missing-memo"))
        .await
        .unwrap();
    click(&customer, "Start").await;
    for answer in ["Into my account here", "Continue", "I left it empty"] {
        click(&customer, answer).await;
    }
    assert_eq!(
        heading(&customer).await,
        "Let's get you to our support team"
    );
    // A submit with required details missing shows errors next to the fields, keeping values.
    customer
        .find(Locator::Id("d-coin"))
        .await
        .unwrap()
        .send_keys("XRP")
        .await
        .unwrap();
    click(&customer, "Get my reference").await;
    let error = customer.find(Locator::Id("d-amount-error")).await.unwrap();
    assert!(error.text().await.unwrap().contains("required"));
    let coin = customer.find(Locator::Id("d-coin")).await.unwrap();
    assert_eq!(coin.prop("value").await.unwrap().as_deref(), Some("XRP"));
    // Focus is on the list of what to fix, and each item leads to its field.
    let focused = customer
        .execute("return document.activeElement.id;", vec![])
        .await
        .unwrap();
    assert_eq!(focused.as_str(), Some("error-summary"));
    let link = customer
        .find(Locator::Css("#error-summary a[href='#d-amount']"))
        .await
        .unwrap();
    assert!(link.text().await.unwrap().contains("required"));
    screenshot(&customer, "escalation-form").await;
    for (field, value) in [
        ("d-network", "XRP Ledger"),
        ("d-amount", "250"),
        (
            "d-txid",
            "E3FE6EA3D48F0C2B639448020EA4F03D4F4F8FFDB243A852A0F59177921B4879",
        ),
        ("d-deposit-time", "2026-11-02 14:05 UTC"),
        ("d-address", "rDepositAddress123"),
    ] {
        customer
            .find(Locator::Id(field))
            .await
            .unwrap()
            .send_keys(value)
            .await
            .unwrap();
    }
    click(&customer, "Get my reference").await;
    let reference = customer
        .find(Locator::Id("reference"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(reference.starts_with("SW-"), "{reference}");
    // The customer's summary reads as their own answers and details, with no internal ids.
    let summary = customer
        .find(Locator::Css("section.summary"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(summary.contains("I left it empty"), "{summary}");
    assert!(
        summary.contains("E3FE6EA3D48F0C2B639448020EA4F03D4F4F8FFDB243A852A0F59177921B4879"),
        "{summary}"
    );
    for internal in ["deposit-missing-memo", "wrong-or-missing", "`"] {
        assert!(!summary.contains(internal), "{internal} in {summary}");
    }
    let copy = customer.find(Locator::Css("button.copy")).await.unwrap();
    assert!(
        copy.is_displayed().await.unwrap(),
        "the copy button shows with script on"
    );
    screenshot(&customer, "escalation").await;
    assert_no_policy_violations(&customer).await;
    customer.close().await.unwrap();

    // The agent signs in and opens the session by the reference the customer reads out.
    let agent = driver.browser(true).await;
    agent.goto(&format!("{base}/agent")).await.unwrap();
    agent
        .find(Locator::Id("token"))
        .await
        .unwrap()
        .send_keys(TOKEN)
        .await
        .unwrap();
    click(&agent, "Sign in").await;
    agent
        .find(Locator::Id("key"))
        .await
        .unwrap()
        .send_keys(&reference.to_lowercase())
        .await
        .unwrap();
    click(&agent, "Open").await;
    let page = agent.find(Locator::Css("main")).await.unwrap();
    let text = page.text().await.unwrap();
    assert!(text.contains(&reference), "{text}");
    assert!(
        text.contains("XRP Ledger") && text.contains("rDepositAddress123"),
        "{text}"
    );
    let transcript = agent.find(Locator::Id("transcript")).await.unwrap();
    assert!(
        transcript
            .text()
            .await
            .unwrap()
            .contains("## Details for support")
    );
    assert!(
        agent
            .find(Locator::Css("button.copy"))
            .await
            .unwrap()
            .is_displayed()
            .await
            .unwrap()
    );
    // The diagram marks where the session stands.
    let here = agent
        .execute(
            "const n = document.querySelector('[id=\"node-contact\"] > :not(text):not(title)');\
             return getComputedStyle(n).strokeWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(here, json!("4px"));
    screenshot(&agent, "agent-session").await;
    assert_no_policy_violations(&agent).await;
    agent.close().await.unwrap();
    server.stop().await;
}

#[tokio::test]
async fn an_agent_runs_a_flow_jumps_and_notes() {
    let store = tempfile::tempdir().unwrap();
    let server = server(bundled(), store.path()).await;
    let Some(driver) = Driver::start_or_skip() else {
        return;
    };
    let agent = driver.browser(true).await;
    let base = &server.client.base;

    agent.goto(&format!("{base}/agent")).await.unwrap();
    agent
        .find(Locator::Id("token"))
        .await
        .unwrap()
        .send_keys(TOKEN)
        .await
        .unwrap();
    click(&agent, "Sign in").await;
    agent
        .find(Locator::Id("q"))
        .await
        .unwrap()
        .send_keys("withdrawal")
        .await
        .unwrap();
    click(&agent, "Search").await;
    screenshot(&agent, "agent-console").await;
    click(&agent, "Run").await;
    let id = session_id(&agent).await;
    let (_, before) = server.client.get(&format!("/api/v1/sessions/{id}")).await;
    let start = before["step"]["node"].as_str().unwrap().to_owned();

    // Clicking a node of the diagram jumps there.
    let target = agent
        .execute(
            "const nodes = [...document.querySelectorAll('.diagram .node[data-node]')]\
               .filter(n => n.dataset.node !== arguments[0] && n.dataset.kind === 'remedy');\
             return nodes[0].dataset.node;",
            vec![json!(start)],
        )
        .await
        .unwrap();
    let target = target.as_str().unwrap().to_owned();
    let node = agent
        .find(Locator::Css(&format!("[id=\"node-{target}\"]")))
        .await
        .unwrap();
    navigate(&agent, node.click()).await;
    let (_, after) = server.client.get(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(after["step"]["node"], json!(target));
    // The inline style that marks where the walk is applies: its hash is in the policy.
    let width = agent
        .execute(
            "const node = document.querySelector(`[id=\"node-${arguments[0]}\"] > :not(text):not(title)`);\
             return getComputedStyle(node).strokeWidth;",
            vec![json!(target)],
        )
        .await
        .unwrap();
    assert_eq!(width, json!("4px"));

    let note = agent.find(Locator::Id("note-text")).await.unwrap();
    note.send_keys("Customer is on the mobile app")
        .await
        .unwrap();
    click(&agent, "Add note").await;
    let notes = agent.find(Locator::Css(".notes")).await.unwrap();
    assert!(
        notes
            .text()
            .await
            .unwrap()
            .contains("Customer is on the mobile app")
    );

    // Back undoes the jump.
    click(&agent, "← Back").await;
    let (_, back) = server.client.get(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(back["step"]["node"], json!(start));
    assert_no_policy_violations(&agent).await;
    agent.close().await.unwrap();
    server.stop().await;
}

/// Walks the memo guide to its escalation form.
async fn memo_escalation(browser: &Client, base: &str) {
    browser
        .goto(&format!("{base}/flows/deposit-missing-memo"))
        .await
        .unwrap();
    click(browser, "Start").await;
    for answer in ["Into my account here", "Continue", "I left it empty"] {
        click(browser, answer).await;
    }
}

/// The value of a field's attribute, by the field's id.
async fn attr(browser: &Client, id: &str, name: &str) -> Option<String> {
    browser
        .find(Locator::Id(id))
        .await
        .unwrap()
        .attr(name)
        .await
        .unwrap()
}

#[tokio::test]
async fn each_detail_gets_the_field_that_fits_it_and_a_counter_near_its_limit() {
    let store = tempfile::tempdir().unwrap();
    let server = server(bundled(), store.path()).await;
    let Some(driver) = Driver::start_or_skip() else {
        return;
    };
    let base = &server.client.base;
    let customer = driver.browser(true).await;
    memo_escalation(&customer, base).await;
    // The kinds' keyboards and the multi-line box for a description.
    assert_eq!(
        attr(&customer, "d-amount", "inputmode").await.as_deref(),
        Some("decimal")
    );
    assert_eq!(
        attr(&customer, "d-txid", "spellcheck").await.as_deref(),
        Some("false")
    );
    assert_eq!(
        attr(&customer, "d-coin", "type").await.as_deref(),
        Some("text")
    );
    let screenshots = customer.find(Locator::Id("d-screenshots")).await.unwrap();
    assert_eq!(screenshots.tag_name().await.unwrap(), "textarea");
    assert_eq!(
        attr(&customer, "d-screenshots", "maxlength")
            .await
            .as_deref(),
        Some("1000")
    );
    // The counter shows near the limit and says when the field is full.
    let coin = customer.find(Locator::Id("d-coin")).await.unwrap();
    let counter = customer.find(Locator::Id("d-coin-count")).await.unwrap();
    coin.send_keys("XRP").await.unwrap();
    assert!(
        !counter.is_displayed().await.unwrap(),
        "no counter far from the limit"
    );
    coin.send_keys(&"x".repeat(30)).await.unwrap();
    assert!(counter.is_displayed().await.unwrap());
    assert_eq!(counter.text().await.unwrap(), "33 of 40 characters");
    coin.send_keys(&"y".repeat(20)).await.unwrap();
    assert_eq!(counter.text().await.unwrap(), "40 of 40 characters");
    assert_eq!(
        counter.attr("class").await.unwrap().as_deref(),
        Some("counter full")
    );
    screenshot(&customer, "escalation-counter").await;
    // A TxID that is not one is refused with what is wanted, next to the field.
    customer
        .find(Locator::Id("d-txid"))
        .await
        .unwrap()
        .send_keys("my transfer")
        .await
        .unwrap();
    click(&customer, "Get my reference").await;
    let error = customer.find(Locator::Id("d-txid-error")).await.unwrap();
    assert!(
        error
            .text()
            .await
            .unwrap()
            .contains("transaction ID (TxID)"),
        "{}",
        error.text().await.unwrap()
    );
    assert_no_policy_violations(&customer).await;
    customer.close().await.unwrap();

    // Without script the limit still holds, and no counter shows.
    let plain = driver.browser(false).await;
    memo_escalation(&plain, base).await;
    let coin = plain.find(Locator::Id("d-coin")).await.unwrap();
    coin.send_keys(&"z".repeat(50)).await.unwrap();
    assert_eq!(coin.prop("value").await.unwrap().map(|v| v.len()), Some(40));
    let counter = plain.find(Locator::Id("d-coin-count")).await.unwrap();
    assert!(!counter.is_displayed().await.unwrap());
    plain.close().await.unwrap();
    server.stop().await;
}

#[tokio::test]
async fn the_wizard_works_with_javascript_off() {
    let store = tempfile::tempdir().unwrap();
    let server = server(bundled(), store.path()).await;
    let Some(driver) = Driver::start_or_skip() else {
        return;
    };
    let browser = driver.browser(false).await;
    let base = &server.client.base;

    browser.goto(&format!("{base}/?embed=1")).await.unwrap();
    let scripted = browser
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .attr("class")
        .await
        .unwrap();
    assert_eq!(scripted.as_deref(), Some("embed"));
    let link = browser
        .find(Locator::Css(
            "a[href='/flows/facial-recognition-fails?embed=1']",
        ))
        .await
        .unwrap();
    navigate(&browser, link.click()).await;
    click(&browser, "Start").await;
    click(&browser, "Verifying my identity").await;
    click(&browser, "Yes, I'm logged in").await;
    click(
        &browser,
        "The camera doesn't open, or the screen stays black",
    )
    .await;
    assert_eq!(heading(&browser).await, "Try this");
    click(&browser, "← Back").await;
    assert_eq!(heading(&browser).await, "What happens when you try?");
    click(&browser, "The check runs, but says it failed").await;
    click(&browser, "Yes, it's working now").await;
    assert_eq!(heading(&browser).await, "Glad that's sorted");
    let url = browser.current_url().await.unwrap();
    assert_eq!(url.query(), Some("embed=1"), "the embedded layout is kept");
    assert!(
        browser.find(Locator::Css("header.site")).await.is_err(),
        "no header when embedded"
    );
    browser.close().await.unwrap();
    server.stop().await;
}

#[tokio::test]
async fn script_in_a_flow_never_runs() {
    let store = tempfile::tempdir().unwrap();
    let flows = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile");
    let server = server(flows, store.path()).await;
    let Some(driver) = Driver::start_or_skip() else {
        return;
    };
    let browser = driver.browser(true).await;
    let base = &server.client.base;

    let pwned = || async {
        browser
            .execute("return [document.title, window.pwned || null];", vec![])
            .await
            .unwrap()
    };
    browser.goto(&format!("{base}/")).await.unwrap();
    assert_eq!(pwned().await[1], json!(null));
    browser
        .goto(&format!("{base}/flows/hostile"))
        .await
        .unwrap();
    click(&browser, "Start").await;
    let state = pwned().await;
    assert_eq!(state[1], json!(null));
    assert!(!state[0].as_str().unwrap().starts_with("pwned"), "{state}");
    // The answer label carries an image with a handler; it shows as text.
    let label = browser
        .find(Locator::Css("button.choice"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(label.contains("onerror"), "{label}");
    let choice = browser.find(Locator::Css("button.choice")).await.unwrap();
    navigate(&browser, choice.click()).await;
    assert_eq!(pwned().await[1], json!(null));
    browser.close().await.unwrap();
    server.stop().await;
}

#[tokio::test]
async fn an_owner_sees_where_sessions_of_a_flow_stop() {
    let store = tempfile::tempdir().unwrap();
    let server = server(bundled(), store.path()).await;
    let client = &server.client;
    // Two resolved by the lighting remedy, one still at the network remedy.
    for answers in [
        &["login", "rejected", "yes"][..],
        &["login", "rejected", "yes"][..],
        &["login", "stuck"][..],
    ] {
        let (id, _) = client.start("facial-recognition-fails", json!({})).await;
        for answer in answers {
            let (status, body) = client.answer(&id, answer).await;
            assert!(status.is_success(), "{body}");
        }
    }
    let Some(driver) = Driver::start_or_skip() else {
        return;
    };
    let owner = driver.browser(true).await;
    let base = &client.base;

    owner.goto(&format!("{base}/agent")).await.unwrap();
    owner
        .find(Locator::Id("token"))
        .await
        .unwrap()
        .send_keys(TOKEN)
        .await
        .unwrap();
    click(&owner, "Sign in").await;
    let figures = owner.find(Locator::LinkText("Flow figures")).await.unwrap();
    navigate(&owner, figures.click()).await;
    assert_eq!(heading(&owner).await, "Flow figures");
    let flow = owner
        .find(Locator::Css(
            "a[href='/agent/stats/facial-recognition-fails']",
        ))
        .await
        .unwrap();
    navigate(&owner, flow.click()).await;
    assert_eq!(heading(&owner).await, "Facial recognition fails");

    let funnel = owner.find(Locator::Css("svg#chart-funnel")).await.unwrap();
    assert!(funnel.is_displayed().await.unwrap());
    let size = funnel.rectangle().await.unwrap();
    assert!(
        size.2 > 300.0 && size.3 > 100.0,
        "the chart is drawn: {size:?}"
    );
    let bars = owner
        .find_all(Locator::Css("svg#chart-funnel g.bar"))
        .await
        .unwrap();
    // purpose, symptom, lighting, network.
    assert_eq!(bars.len(), 4);
    let title = owner
        .find(Locator::Css("svg#chart-funnel > title"))
        .await
        .unwrap()
        .html(true)
        .await
        .unwrap();
    assert!(title.contains("Facial recognition fails"), "{title}");
    let outcomes = owner
        .find(Locator::Css("svg#chart-outcomes"))
        .await
        .unwrap();
    assert!(outcomes.is_displayed().await.unwrap());
    let listed = owner
        .find(Locator::Css(".figures-list"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Shares of the 3 starts: 2 resolved, 1 still in progress.
    assert!(listed.contains("2 · 66.7% of starts"), "{listed}");
    assert!(listed.contains("1 · 33.3% of starts"), "{listed}");
    // Steps by their words, in the flow's order.
    let first = owner
        .find(Locator::Css("svg#chart-funnel g.bar text.label"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!first.contains("purpose") && first.len() > 12, "{first}");
    // No text of any chart runs past its picture, at a phone's width or a desktop's.
    for (width, height) in [(390, 844), (1280, 900)] {
        owner.set_window_size(width, height).await.unwrap();
        let clipped = owner
            .execute(
                "return Array.from(document.querySelectorAll('svg.chart')).flatMap(svg => \
                   Array.from(svg.querySelectorAll('text')).filter(t => { \
                     const b = t.getBBox(); \
                     return b.x < -0.5 || b.x + b.width > svg.viewBox.baseVal.width + 0.5; \
                   }).map(t => svg.id + ': ' + t.textContent));",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(clipped, json!([]), "clipped at {width} px");
        let page = owner
            .execute(
                "const d = document.documentElement; return d.scrollWidth - d.clientWidth;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(page, json!(0), "the page scrolls sideways at {width} px");
    }
    screenshot(&owner, "owner-figures").await;
    owner.close().await.unwrap();
    server.stop().await;
}

#[tokio::test]
async fn without_javascript_the_case_summary_is_offered_as_a_download() {
    let store = tempfile::tempdir().unwrap();
    let server = server(support::fixtures(), store.path()).await;
    let Some(driver) = Driver::start_or_skip() else {
        return;
    };
    let client = &server.client;
    let (id, _) = client.start("second-factor", json!({})).await;
    client.answer(&id, "no").await;
    client.answer(&id, "no").await;
    let (status, escalated) = client
        .post(
            &format!("/api/v1/sessions/{id}/details"),
            json!({"details": {"uid": "U-1234"}}),
        )
        .await;
    assert_eq!(status, 200, "{escalated}");
    let reference = escalated["reference"].as_str().unwrap();

    let browser = driver.browser(false).await;
    browser
        .goto(&client.url(&format!("/s/{id}")))
        .await
        .unwrap();
    let copy = browser.find(Locator::Css("button.copy")).await.unwrap();
    assert!(
        !copy.is_displayed().await.unwrap(),
        "a Copy button that cannot work stays hidden without script"
    );
    let link = browser
        .find(Locator::Css("a[download]"))
        .await
        .expect("the summary is offered as a file");
    assert!(link.is_displayed().await.unwrap());
    assert_eq!(
        link.attr("download").await.unwrap().as_deref(),
        Some(format!("case-{reference}.txt").as_str())
    );
    // What the link fetches is the summary on the page.
    let href = link.prop("href").await.unwrap().unwrap();
    let file = client.http.get(&href).send().await.unwrap();
    assert_eq!(file.status(), 200);
    let text = file.text().await.unwrap();
    // The text version sits in a disclosure; its words are the file's.
    let shown = browser
        .find(Locator::Id("summary-text"))
        .await
        .unwrap()
        .prop("textContent")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(text.trim(), shown.trim());
    browser.close().await.unwrap();
    server.stop().await;
}
