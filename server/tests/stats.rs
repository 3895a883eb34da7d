//! A flow's figures: a scripted set of sessions is walked through the real API on loopback,
//! and `GET /api/v1/flows/{id}/stats` and `stepwise stats` must give the figures counted by
//! hand; retention deletes old sessions with their events.

use crate::cli;
use crate::support;

use std::path::Path;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use stepwise::serve::{Config, Settings};
use stepwise_store::StoreConfig;
use support::postgres::TestDatabase;
use support::{Client, TestServer};

const TOKEN: &str = "owner-token";

fn copy_fixtures(to: &Path) {
    for entry in std::fs::read_dir(support::fixtures()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

/// A server over `flows` and `store` that counts every unfinished session as abandoned at
/// once, so the figures do not depend on how long the test takes.
async fn server(flows: &Path, store: &Path) -> TestServer {
    server_on(flows, support::sqlite(store)).await
}

/// [`server`] on any store.
async fn server_on(flows: &Path, store: StoreConfig) -> TestServer {
    let mut server = TestServer::start_with(Config {
        flows: flows.to_owned(),
        store,
        settings: Settings {
            abandon_after: Duration::ZERO,
            agent_token: Some(TOKEN.to_owned()),
            ..Settings::default()
        },
        watch: false,
    })
    .await;
    // The figures are for the flows' owners: every request carries the agent token.
    let mut token = reqwest::header::HeaderMap::new();
    let bearer = format!("Bearer {TOKEN}");
    token.insert(reqwest::header::AUTHORIZATION, bearer.parse().unwrap());
    server.client.http = reqwest::Client::builder()
        .default_headers(token)
        .build()
        .unwrap();
    server
}

/// Walks one session: `moves` are answers, or `<back>`, `<restart>`, `<helpful>`,
/// `<unhelpful>`.
async fn walk(client: &Client, flow: &str, facts: Value, moves: &[&str]) -> String {
    let (id, _) = client.start(flow, facts).await;
    for m in moves {
        let (status, body) = match *m {
            "<back>" => {
                client
                    .post_empty(&format!("/api/v1/sessions/{id}/back"))
                    .await
            }
            "<restart>" => {
                client
                    .post_empty(&format!("/api/v1/sessions/{id}/restart"))
                    .await
            }
            "<helpful>" | "<unhelpful>" => {
                client
                    .post(
                        &format!("/api/v1/sessions/{id}/feedback"),
                        json!({"helpful": *m == "<helpful>"}),
                    )
                    .await
            }
            answer => client.answer(&id, answer).await,
        };
        assert!(status.is_success(), "{m}: {body}");
    }
    id
}

/// The scripted sessions on `sign-in` (and one on `second-factor`, which must not count).
/// Counted by hand:
///
/// | session | path | ends | answers |
/// |---|---|---|---|
/// | a | platform, what-fails, reset-password, yes; helpful | resolved by reset-password | 3 |
/// | b | (platform=app given) update-app, yes | resolved by update-app | 1 |
/// | c | platform, update-app, no, what-fails, fine; not helpful | done | 3 |
/// | d | platform, what-fails, about-2fa, second-factor/clock, device, support | escalated | 5 |
/// | e | platform, what-fails, back | abandoned at platform | |
/// | f | platform, what-fails | abandoned at what-fails | |
/// | g | platform, what-fails, reset-password, yes, back, no, about-2fa | abandoned at about-2fa | |
/// | h | platform, update-app, restart, platform, what-fails, fine | done | 2 |
async fn script(client: &Client) {
    let none = json!({});
    walk(
        client,
        "sign-in",
        none.clone(),
        &["web", "password", "yes", "<helpful>"],
    )
    .await;
    walk(client, "sign-in", json!({"platform": "app"}), &["yes"]).await;
    walk(
        client,
        "sign-in",
        none.clone(),
        &["app", "no", "nothing", "<unhelpful>"],
    )
    .await;
    walk(
        client,
        "sign-in",
        none.clone(),
        &["web", "code", "next", "no", "no"],
    )
    .await;
    walk(client, "sign-in", none.clone(), &["web", "<back>"]).await;
    walk(client, "sign-in", none.clone(), &["web"]).await;
    walk(
        client,
        "sign-in",
        none.clone(),
        &["web", "password", "yes", "<back>", "no"],
    )
    .await;
    walk(
        client,
        "sign-in",
        none.clone(),
        &["app", "<restart>", "web", "nothing"],
    )
    .await;
    walk(client, "second-factor", none, &["yes"]).await;
}

/// The figures with what depends on the moment or the version hash blanked out.
fn stable(mut stats: Value) -> Value {
    for version in stats["versions"].as_array_mut().unwrap() {
        version["version"] = json!("[version]");
        version["first_start"] = json!("[time]");
    }
    for point in stats["trend"]["points"].as_array_mut().unwrap() {
        point["from"] = json!("[day]");
    }
    stats
}

#[tokio::test]
async fn figures_of_scripted_sessions_match_hand_counts() {
    let flows = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    copy_fixtures(flows.path());
    let server = server(flows.path(), store.path()).await;
    let client = &server.client;
    script(client).await;

    let (status, stats) = client.get("/api/v1/flows/sign-in/stats").await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    let s = &stats["summary"];
    assert_eq!(s["starts"], 8);
    assert_eq!(
        (&s["resolved"], &s["escalated"], &s["done"], &s["finished"]),
        (&json!(2), &json!(1), &json!(2), &json!(5))
    );
    assert_eq!((&s["abandoned"], &s["in_progress"]), (&json!(3), &json!(0)));
    // One denominator: each way of standing is a share of the 8 starts, and they add up.
    assert_eq!(
        s["share_of_starts"],
        json!({"resolved": 0.25, "escalated": 0.125, "done": 0.25, "abandoned": 0.375, "in_progress": 0.0})
    );
    assert_eq!(stats["agents"]["starts"], 0);
    assert_eq!(s["median_steps"], 3.0); // 1, 2, 3, 3, 5
    assert_eq!((&s["helpful"], &s["not_helpful"]), (&json!(1), &json!(1)));

    let node = |id: &str| {
        let n = stats["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["node"] == id)
            .unwrap_or_else(|| panic!("no {id} in {stats}"));
        (
            n["reached"].as_u64().unwrap(),
            n["dropped_off"].as_u64().unwrap(),
        )
    };
    assert_eq!(node("platform"), (7, 1));
    assert_eq!(node("what-fails"), (7, 1));
    assert_eq!(node("update-app"), (3, 0));
    assert_eq!(node("reset-password"), (2, 0));
    assert_eq!(node("about-2fa"), (2, 1));
    assert_eq!(node("fine"), (2, 0));
    assert_eq!(node("second-factor/support"), (1, 0));
    // In the flow's order (breadth first from the start, the linked flow after the link),
    // not by count: update-app (3) comes before what-fails (7), the second branch of the
    // branch.
    let order: Vec<&str> = stats["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["node"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        [
            "platform",
            "update-app",
            "what-fails",
            "reset-password",
            "about-2fa",
            "fine",
            "second-factor/clock",
            "second-factor/device",
            "second-factor/support"
        ]
    );
    // Named by their words, Markdown and all cut at a word.
    let labels: Vec<&str> = stats["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels[0], "Are you signing in with the app or on the…");
    assert_eq!(labels[3], "Use Forgot password on the sign-in page.");
    assert_eq!(labels[6], "Set your phone's clock to update automatically…");

    let remedies: Vec<(&str, u64, u64)> = stats["remedies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["remedy"].as_str().unwrap(),
                r["resolved"].as_u64().unwrap(),
                r["reached"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(remedies, [("reset-password", 1, 2), ("update-app", 1, 3)]);

    insta::assert_json_snapshot!("sign_in_stats", stable(stats));

    let (_, other) = client.get("/api/v1/flows/second-factor/stats").await;
    assert_eq!(other["summary"]["starts"], 1);
    assert_eq!(other["summary"]["resolved"], 1);
    server.stop().await;
}

#[tokio::test]
async fn figures_follow_the_period_and_the_version() {
    let flows = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    copy_fixtures(flows.path());
    let first = server(flows.path(), store.path()).await;
    walk(&first.client, "sign-in", json!({}), &["web", "nothing"]).await;
    let (_, map) = first.client.get("/api/v1/flows/sign-in").await;
    let old = map["version"].as_str().unwrap().to_owned();
    first.stop().await;

    // The writer rewords a question; sessions from now on are on the new version.
    let path = flows.path().join("sign-in.ron");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("What happens when you sign in?", "What goes wrong?"),
    )
    .unwrap();
    let second = server(flows.path(), store.path()).await;
    let client = &second.client;
    walk(client, "sign-in", json!({}), &["web", "password", "yes"]).await;
    walk(client, "sign-in", json!({}), &["web", "password", "yes"]).await;

    let (_, all) = client.get("/api/v1/flows/sign-in/stats").await;
    assert_eq!(all["summary"]["starts"], 3);
    // The trend: all three started today, one point.
    assert_eq!(all["trend"]["unit"], "day");
    assert_eq!(all["trend"]["points"].as_array().unwrap().len(), 1);
    assert_eq!(all["trend"]["points"][0]["summary"]["starts"], 3);
    let versions: Vec<(String, u64, u64)> = all["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_str().unwrap().to_owned(),
                v["summary"]["done"].as_u64().unwrap(),
                v["summary"]["resolved"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(versions.len(), 2, "{all}");
    assert_eq!(
        (versions[0].0.as_str(), versions[0].1, versions[0].2),
        (old.as_str(), 1, 0)
    );
    assert_eq!((versions[1].1, versions[1].2), (0, 2));

    let (_, only_old) = client
        .get(&format!("/api/v1/flows/sign-in/stats?version={old}"))
        .await;
    assert_eq!(only_old["summary"]["starts"], 1);
    assert_eq!(only_old["version"], old.as_str());
    let (_, none) = client.get("/api/v1/flows/sign-in/stats?version=0000").await;
    assert_eq!(none["summary"]["starts"], 0);
    assert_eq!(none["summary"]["share_of_starts"], Value::Null);

    // Periods: dates and RFC 3339 times, [from, to).
    let (status, past) = client
        .get("/api/v1/flows/sign-in/stats?from=2000-01-01&to=2000-01-02T00:00:00%2B01:00")
        .await;
    assert_eq!(status, StatusCode::OK, "{past}");
    assert_eq!(past["summary"]["starts"], 0);
    assert_eq!(past["from"], "2000-01-01T00:00:00.000Z");
    assert_eq!(past["to"], "2000-01-01T23:00:00.000Z");
    let (_, since) = client
        .get("/api/v1/flows/sign-in/stats?from=2000-01-01")
        .await;
    assert_eq!(since["summary"]["starts"], 3);

    // The two versions side by side on the owner's page: by default the two last started.
    let new = versions[1].0.as_str();
    let (_, page) = owner_page(client, "/agent/stats/sign-in").await;
    let compare = &page[page
        .find("id=\"compare\"")
        .unwrap_or_else(|| panic!("{page}"))..];
    for line in [
        format!(
            "<th scope=\"col\">A <code>{old}</code></th><th scope=\"col\">B <code>{new}</code></th>"
        ),
        "<th scope=\"row\">Starts</th><td>1</td><td>2</td><td>+1</td>".to_owned(),
        "<th scope=\"row\">Resolved</th><td>0 · 0.0%</td><td>2 · 100.0%</td><td>+100 points</td>"
            .to_owned(),
        "<th scope=\"row\">Done</th><td>1 · 100.0%</td><td>0 · 0.0%</td><td>−100 points</td>"
            .to_owned(),
        "<th scope=\"row\">Median answers</th><td>2</td><td>3</td><td>+1</td>".to_owned(),
    ] {
        assert!(compare.contains(&line), "no {line} in {compare}");
    }
    // Asked the other way round, the change turns.
    let (_, page) = owner_page(client, &format!("/agent/stats/sign-in?a={new}&b={old}")).await;
    assert!(
        page.contains("<th scope=\"row\">Resolved</th><td>2 · 100.0%</td><td>0 · 0.0%</td><td>−100 points</td>"),
        "{page}"
    );
    second.stop().await;
}

#[tokio::test]
async fn bad_periods_and_unknown_flows_are_json_errors() {
    let flows = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    copy_fixtures(flows.path());
    let server = server(flows.path(), store.path()).await;
    let client = &server.client;
    let (status, body) = client.get("/api/v1/flows/nope/stats").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "unknown_flow");
    for (name, query) in [
        ("from_not_a_date", "from=yesterday"),
        ("to_not_a_day", "to=2026-02-30"),
        ("from_after_to", "from=2026-11-02&to=2026-11-01"),
    ] {
        let (status, body) = client
            .get(&format!("/api/v1/flows/sign-in/stats?{query}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["error"]["code"], "invalid_period", "{query}");
        insta::assert_snapshot!(
            format!("bad_period_{name}"),
            body["error"]["message"].as_str().unwrap()
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn retention_deletes_old_sessions_and_their_events_and_keeps_recent_ones() {
    let flows = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    copy_fixtures(flows.path());
    let first = server(flows.path(), store.path()).await;
    let old = walk(&first.client, "sign-in", json!({}), &["web", "nothing"]).await;
    let recent = walk(&first.client, "sign-in", json!({}), &["web"]).await;
    first.stop().await;

    // Age one session by 40 days, as if it had been walked then.
    let forty_days: i64 = 40 * 24 * 60 * 60 * 1000;
    {
        let db = rusqlite::Connection::open(store.path().join("stepwise.db")).unwrap();
        let aged = db
            .execute(
                "UPDATE sessions SET created_at = created_at - ?2, updated_at = updated_at - ?2
                 WHERE id = ?1",
                rusqlite::params![old, forty_days],
            )
            .unwrap();
        assert_eq!(aged, 1);
        db.execute(
            "UPDATE events SET at = at - ?2 WHERE session = ?1",
            rusqlite::params![old, forty_days],
        )
        .unwrap();
    }
    let events = |session: &str| -> i64 {
        let db = rusqlite::Connection::open(store.path().join("stepwise.db")).unwrap();
        db.query_row(
            "SELECT count(*) FROM events WHERE session = ?1",
            [session],
            |row| row.get(0),
        )
        .unwrap()
    };
    assert_eq!((events(&old), events(&recent)), (4, 2));

    let kept = TestServer::start_with(Config {
        flows: flows.path().to_owned(),
        store: support::sqlite(store.path()),
        settings: Settings {
            retain: Some(Duration::from_secs(30 * 24 * 60 * 60)),
            agent_token: Some(TOKEN.to_owned()),
            ..Settings::default()
        },
        watch: false,
    })
    .await;
    let client = &kept.client;
    let (status, _) = client.get(&format!("/api/v1/sessions/{old}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = client.get(&format!("/api/v1/sessions/{recent}")).await;
    assert_eq!(status, StatusCode::OK);
    let (_, stats) = owner_page(client, "/api/v1/flows/sign-in/stats").await;
    let stats: serde_json::Value = serde_json::from_str(&stats).unwrap();
    assert_eq!(stats["summary"]["starts"], 1);
    kept.stop().await;
    assert_eq!((events(&old), events(&recent)), (0, 2));
}

/// Timestamps (`2026-11-29T19:00:00.000Z`) replaced by a placeholder of the same width.
fn mask_times(text: &str) -> String {
    text.split_inclusive([' ', '\n'])
        .map(|word| {
            let bare = word.trim_end();
            let is_time = bare.len() == 24 && bare.ends_with('Z') && bare.as_bytes()[10] == b'T';
            if is_time {
                word.replacen(bare, "YYYY-MM-DDTHH:MM:SS.mmmZ", 1)
            } else {
                word.to_owned()
            }
        })
        .collect()
}

#[tokio::test]
async fn the_command_line_prints_the_same_figures_as_a_table_and_as_json() {
    let flows = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    copy_fixtures(flows.path());
    let server = server(flows.path(), store.path()).await;
    script(&server.client).await;
    let (_, api) = server.client.get("/api/v1/flows/sign-in/stats").await;
    server.stop().await;

    let flows_dir = flows.path().to_str().unwrap();
    let url = format!("sqlite://{}", store.path().join("stepwise.db").display());
    let run = |extra: &[&str]| {
        let mut args = vec![
            "stats",
            "sign-in",
            "--flows",
            flows_dir,
            "--store",
            &url,
            "--abandon-after",
            "0s",
        ];
        args.extend_from_slice(extra);
        cli::stepwise(&args)
    };
    let table = run(&[]);
    assert!(table.status.success(), "{}", cli::stderr(&table));
    insta::assert_snapshot!("sign_in_table", mask_times(&cli::stdout(&table)));

    let json = run(&["--json"]);
    assert!(json.status.success(), "{}", cli::stderr(&json));
    let printed: Value = serde_json::from_str(&cli::stdout(&json)).unwrap();
    assert_eq!(printed, api);

    let old = run(&["--to", "2000-01-01"]);
    assert!(
        cli::stdout(&old).contains("Starts               0"),
        "{}",
        cli::stdout(&old)
    );
}

#[test]
fn the_command_line_refuses_bad_dates_and_missing_stores() {
    let bad = cli::stepwise(&[
        "stats",
        "sign-in",
        "--flows",
        "server/tests/fixtures/flows",
        "--from",
        "soon",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        cli::stderr(&bad).contains("`from` is not a date"),
        "{}",
        cli::stderr(&bad)
    );
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("none.db").display());
    let missing = cli::stepwise(&[
        "stats",
        "sign-in",
        "--flows",
        "server/tests/fixtures/flows",
        "--store",
        &url,
    ]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        cli::stderr(&missing).contains("there is no store"),
        "{}",
        cli::stderr(&missing)
    );
    assert!(!dir.path().join("none.db").exists());
}

/// A page of the owner's figures, read with the agent token.
async fn owner_page(client: &Client, path: &str) -> (StatusCode, String) {
    let response = client
        .http
        .get(client.url(path))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

/// The cells of the overview's row of `flow`, as text.
fn overview_row(html: &str, flow: &str) -> Vec<String> {
    let start = html
        .find(&format!("href=\"/agent/stats/{flow}"))
        .unwrap_or_else(|| panic!("no row of {flow} in {html}"));
    let end = html[start..].find("</tr>").unwrap() + start;
    html[start..end]
        .split("<td")
        .skip(1)
        .map(|cell| {
            let text = cell.split_once('>').unwrap().1;
            text.split_once("</td>").unwrap().0.to_owned()
        })
        .collect()
}

/// The shares in a row's cells (`2 · 25.0%`), in thousandths, added up.
fn shares_sum(cells: &[String]) -> u64 {
    cells
        .iter()
        .filter_map(|c| c.split_once(" · "))
        .map(|(_, share)| {
            let tenths: f64 = share.trim_end_matches('%').parse().unwrap();
            (tenths * 10.0).round() as u64
        })
        .sum()
}

/// The `<svg>` element with `id` in `html`.
fn svg(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("id=\"{id}\" viewBox="))
        .and_then(|at| html[..at].rfind("<svg "))
        .unwrap_or_else(|| panic!("no chart {id} in {html}"));
    let end = html[start..].find("</svg>").unwrap() + start + "</svg>".len();
    html[start..end].to_owned()
}

#[tokio::test]
async fn the_owner_page_draws_the_figures_and_says_them_in_text() {
    let flows = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    copy_fixtures(flows.path());
    let server = server(flows.path(), store.path()).await;
    let client = &server.client;
    script(client).await;

    // Without the token, the sign-in form.
    let response = reqwest::Client::new()
        .get(client.url("/agent/stats"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let (status, overview) = owner_page(client, "/agent/stats").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        overview.contains("href=\"/agent/stats/sign-in\""),
        "{overview}"
    );
    let row = overview_row(&overview, "sign-in");
    assert_eq!(
        row,
        [
            "8",
            "2 · 25.0%",
            "1 · 12.5%",
            "2 · 25.0%",
            "3 · 37.5%",
            "0 · 0.0%",
            "3",
            "0"
        ],
        "{overview}"
    );
    assert_eq!(shares_sum(&row), 1000, "a row's shares add up to 100%");

    let (status, page) = owner_page(client, "/agent/stats/sign-in").await;
    assert_eq!(status, StatusCode::OK);
    let funnel = svg(&page, "chart-funnel");
    let outcomes = svg(&page, "chart-outcomes");
    assert!(
        funnel.contains("<title id=\"chart-funnel-title\">"),
        "{funnel}"
    );
    insta::assert_snapshot!("sign_in_funnel_svg", funnel);
    insta::assert_snapshot!("sign_in_outcomes_svg", outcomes);
    // The same figures in words beside the pictures.
    for line in [
        "<dt>Started by customers</dt><dd>8</dd>",
        "<dt>Resolved</dt><dd>2 · 25.0% of starts</dd>",
        "<dt>Escalated</dt><dd>1 · 12.5% of starts</dd>",
        "<dt>Done</dt><dd>2 · 25.0% of starts</dd>",
        "<dt>Abandoned</dt><dd>3 · 37.5% of starts</dd>",
        "<dt>In progress</dt><dd>0 · 0.0% of starts</dd>",
        "<th scope=\"row\">Codes depend on your phone&#39;s clock. We will… <code class=\"small\">about-2fa</code></th><td>2</td><td>1</td>",
    ] {
        assert!(page.contains(line), "no {line} in {page}");
    }
    // The trend charts: one per figure, each point a day.
    for id in ["starts", "resolved", "escalated", "abandoned"] {
        let chart = svg(&page, &format!("trend-{id}"));
        assert_eq!(chart.matches("<rect class=\"point\"").count(), 1, "{chart}");
    }
    assert!(svg(&page, "trend-starts").contains(": 8 started</title>"));
    assert!(svg(&page, "trend-resolved").contains(": 25.0% of 8 starts</title>"));

    let (status, bad) = owner_page(client, "/agent/stats/sign-in?from=soon").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad.contains("`from` is not a date"), "{bad}");
    let (status, _) = owner_page(client, "/agent/stats/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    server.stop().await;
}

#[tokio::test]
async fn a_remedy_past_a_link_is_named_with_its_flow() {
    let flows = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    copy_fixtures(flows.path());
    let server = server(flows.path(), store.path()).await;
    let client = &server.client;
    walk(
        client,
        "sign-in",
        json!({}),
        &["web", "code", "next", "yes"],
    )
    .await;
    let (_, stats) = client.get("/api/v1/flows/sign-in/stats").await;
    assert_eq!(stats["summary"]["resolved"], 1);
    let linked = stats["remedies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["remedy"] == "second-factor/clock")
        .unwrap_or_else(|| panic!("{stats}"));
    assert_eq!(
        (&linked["resolved"], &linked["reached"]),
        (&json!(1), &json!(1))
    );
    server.stop().await;
}

/// The console, as an agent uses it: a form post with the agent token, redirects not
/// followed.
async fn console(client: &Client, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = http
        .post(client.url(path))
        .bearer_auth(TOKEN)
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
    response
}

/// Starts a session on `flow` in the console, as an agent does for a caller.
async fn agent_start(client: &Client, flow: &str) -> String {
    let response = console(client, &format!("/agent/flows/{flow}/start"), &[]).await;
    let to = response.headers()["location"].to_str().unwrap();
    let id = to.trim_start_matches("/agent/s/").trim_end_matches("#step");
    id.to_owned()
}

/// Makes an agent's move on session `id` from the step it stands on, and checks that it
/// moved to `lands_on`: `answer` or `jump` with what they name, or `restart`.
async fn agent_move(client: &Client, id: &str, action: &str, value: &str, lands_on: &str) {
    let (_, before) = client.get(&format!("/api/v1/sessions/{id}")).await;
    let at = before["step"]["node"].as_str().unwrap().to_owned();
    let pos = before["step"]["position"].to_string();
    let field = if action == "jump" { "node" } else { "answer" };
    let form = [("at", at.as_str()), ("pos", pos.as_str()), (field, value)];
    console(client, &format!("/agent/s/{id}/{action}"), &form).await;
    let (_, after) = client.get(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(after["step"]["node"], lands_on, "{action} {value}: {after}");
}

/// The lines of a `/metrics` scrape about sessions and flow files, with their help.
async fn session_metrics(client: &Client) -> String {
    let text = client
        .http
        .get(client.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let about = |line: &str| {
        [
            "stepwise_sessions",
            "stepwise_session_feedback",
            "stepwise_flow_files",
        ]
        .iter()
        .any(|name| line.contains(name))
    };
    // Series come in no fixed order within a metric: sorted, each after its help and type.
    let mut lines: Vec<&str> = text.lines().filter(|line| about(line)).collect();
    let block = |line: &str| {
        let name = line
            .trim_start_matches("# HELP ")
            .trim_start_matches("# TYPE ");
        let name = name.split(['{', ' ']).next().unwrap_or("").to_owned();
        (name, !line.starts_with('#'), line.starts_with("# TYPE"))
    };
    let order = |line: &str| {
        let (name, sample, is_type) = block(line);
        (name, sample, is_type, line.to_owned())
    };
    lines.sort_by_key(|line| order(line));
    lines.join("\n")
}

/// Customers' sessions and agents' work on `second-factor` (clock → device → support),
/// counted by hand:
///
/// | session | customer's part | agents' part |
/// |---|---|---|
/// | c1 | no, no: escalated | agent restarts it (at clock), leaves it: abandoned |
/// | c2 | no, no, back: abandoned at device (un-escalated) | |
/// | c3 | yes: resolved by clock; helpful | |
/// | c4 | stops at clock: abandoned there | agent jumps to support: escalated |
/// | a1 | | started in the console, jump to support: escalated |
/// | a2 | | started in the console, yes: resolved |
///
/// Customers: 4 started; 1 resolved, 1 escalated, 2 abandoned (25/25/0/50/0%); median
/// answers 1.5 (c3's 1, c1's 2).
/// Agents: 4; 1 resolved, 2 escalated, 1 abandoned.
#[tokio::test]
async fn agents_sessions_and_moves_are_counted_apart_and_metrics_agree_on_sqlite() {
    let store = tempfile::tempdir().unwrap();
    agents_apart(support::sqlite(store.path())).await;
}

#[tokio::test]
async fn agents_sessions_and_moves_are_counted_apart_and_metrics_agree_on_postgres() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    agents_apart(StoreConfig::Postgres(db.url.clone())).await;
}

/// The sessions above on `store`: the API, the owner's pages and `/metrics` must all give
/// the hand counts.
async fn agents_apart(store: StoreConfig) {
    let flows = tempfile::tempdir().unwrap();
    copy_fixtures(flows.path());
    let server = server_on(flows.path(), store).await;
    let client = &server.client;
    let none = json!({});
    let c1 = walk(client, "second-factor", none.clone(), &["no", "no"]).await;
    walk(
        client,
        "second-factor",
        none.clone(),
        &["no", "no", "<back>"],
    )
    .await;
    walk(client, "second-factor", none.clone(), &["yes", "<helpful>"]).await;
    let c4 = walk(client, "second-factor", none.clone(), &[]).await;
    agent_move(client, &c1, "restart", "", "clock").await;
    agent_move(client, &c4, "jump", "support", "support").await;
    let a1 = agent_start(client, "second-factor").await;
    agent_move(client, &a1, "jump", "support", "support").await;
    let a2 = agent_start(client, "second-factor").await;
    agent_move(client, &a2, "answer", "yes", "clock").await;

    let (_, stats) = client.get("/api/v1/flows/second-factor/stats").await;
    let counts = |s: &Value| {
        [
            "starts",
            "resolved",
            "escalated",
            "done",
            "abandoned",
            "in_progress",
        ]
        .map(|k| s[k].as_u64().unwrap())
    };
    assert_eq!(counts(&stats["summary"]), [4, 1, 1, 0, 2, 0], "{stats}");
    assert_eq!(
        stats["summary"]["share_of_starts"],
        json!({"resolved": 0.25, "escalated": 0.25, "done": 0.0, "abandoned": 0.5, "in_progress": 0.0})
    );
    assert_eq!(counts(&stats["agents"]), [4, 1, 2, 0, 1, 0], "{stats}");
    // Nobody customer escalated by a jump, and the restart left no drop-off at the start.
    let node = |id: &str| {
        let n = stats["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["node"] == id)
            .unwrap_or_else(|| panic!("no {id} in {stats}"));
        (
            n["reached"].as_u64().unwrap(),
            n["dropped_off"].as_u64().unwrap(),
        )
    };
    assert_eq!(node("clock"), (4, 1)); // c4 only
    assert_eq!(node("device"), (2, 1)); // c2
    assert_eq!(node("support"), (2, 0)); // c1, c2

    // The owner's pages say the same counts.
    let (_, overview) = owner_page(client, "/agent/stats").await;
    let row = overview_row(&overview, "second-factor");
    assert_eq!(
        row,
        [
            "4",
            "1 · 25.0%",
            "1 · 25.0%",
            "0 · 0.0%",
            "2 · 50.0%",
            "0 · 0.0%",
            "1.5",
            "4"
        ],
        "{overview}"
    );
    assert_eq!(shares_sum(&row), 1000);
    let (_, page) = owner_page(client, "/agent/stats/second-factor").await;
    for line in [
        "<dt>Escalated</dt><dd>1 · 25.0% of starts</dd>",
        "<dt>Abandoned</dt><dd>2 · 50.0% of starts</dd>",
        "<dt>Run by agents</dt><dd>4</dd>",
        "<dt>Escalated</dt><dd>2 · 50.0% of these</dd>",
        "<dt>Resolved</dt><dd>1 · 25.0% of these</dd>",
    ] {
        assert!(page.contains(line), "no {line} in {page}");
    }

    // And so does /metrics, from the same reports: the un-escalated c2 is abandoned there too.
    insta::assert_snapshot!("scripted_session_metrics", session_metrics(client).await);
    server.stop().await;
}

#[tokio::test]
async fn searches_that_found_nothing_are_counted_on_the_owner_page_as_text() {
    let flows = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    copy_fixtures(flows.path());
    let server = server(flows.path(), store.path()).await;
    let client = &server.client;

    let (status, page) = owner_page(client, "/agent/stats").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("No search has come back empty yet."),
        "{page}"
    );

    // The same query three times, as the customer page, the API and the console see it,
    // written differently; one that finds a flow; and markup.
    let searches = [
        "/?q=Zebra%20%20crossing",
        "/api/v1/flows?q=zebra+CROSSING",
        "/agent?q=%20zebra%20crossing%20",
        "/?q=sign%20in",
        "/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    ];
    for path in searches {
        let (status, _) = owner_page(client, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    let page = support::eventually("the searches are counted", || async {
        let (_, page) = owner_page(client, "/agent/stats").await;
        (page.contains("<th scope=\"row\">zebra crossing</th><td>en</td><td>3</td>")
            && page.contains("alert(1)"))
        .then_some(page)
    })
    .await;
    // What a customer typed is shown as text, never as markup.
    assert!(
        page.contains("<th scope=\"row\">&#60;script&#62;alert(1)&#60;/script&#62;</th>"),
        "{page}"
    );
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(!page.contains(">sign in<"), "{page}");
    server.stop().await;
}
