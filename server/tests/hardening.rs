//! What a security review and fault tests found, each held by a test: bad input is a 4xx,
//! never a 500, and the limits an operator sets are the ones that hold.

use crate::support;

use serde_json::{Value, json};
use stepwise::serve::{Config, Settings};
use support::TestServer;

#[tokio::test]
async fn a_page_form_for_an_id_no_session_has_is_not_found() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::fixtures(), store.path()).await;
    let http = support::no_redirects();
    for (path, form) in [
        ("/s/%0a/feedback", [("helpful", "maybe")]),
        ("/s/%0a/feedback", [("helpful", "yes")]),
        ("/s/%0d%0aSet-Cookie:x=1/answer", [("answer", "yes")]),
        ("/s/%E2%80%AE/back", [("at", "x")]),
        ("/s/%0a/restart", [("at", "x")]),
        ("/s/%0a/details", [("d.txid", "x")]),
    ] {
        let response = http
            .post(server.client.url(path))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_body_limit_above_two_mebibytes_is_the_one_that_holds() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(Config {
        flows: support::fixtures(),
        store: support::sqlite(store.path()),
        settings: Settings {
            body_limit: 4 * 1024 * 1024,
            ..Settings::default()
        },
        watch: false,
    })
    .await;
    let body = |size: usize| json!({"flow": "sign-in", "padding": "x".repeat(size)});
    // Under the limit: read and refused for what it says (an unknown field), not its size.
    let (status, reply) = server
        .client
        .post("/api/v1/sessions", body(3 * 1024 * 1024))
        .await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(reply["error"]["code"], "malformed_body");
    let (status, reply) = server
        .client
        .post("/api/v1/sessions", body(5 * 1024 * 1024))
        .await;
    assert_eq!(status, 413, "{reply}");
    assert_eq!(reply["error"]["code"], "body_too_large");
    server.stop().await;
}

/// Ends every other connection to the test's database, as a failover or an operator would.
async fn kill_connections(url: &str) {
    let Ok((client, connection)) = tokio_postgres::connect(url, tokio_postgres::NoTls).await else {
        return;
    };
    let driver = tokio::spawn(connection);
    let _ = client
        .simple_query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .await;
    drop(client);
    let _ = driver.await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_database_connections_are_answered_503_never_500() {
    let Some(db) = support::postgres::TestDatabase::create_or_skip().await else {
        return;
    };
    let server = TestServer::start_with(Config {
        flows: support::fixtures(),
        store: stepwise_store::StoreConfig::Postgres(db.url.clone()),
        settings: Settings {
            session_rate: None,
            ..Settings::default()
        },
        watch: false,
    })
    .await;
    // The store migrates as the server starts: only kill once it serves.
    support::eventually("the server is ready", || async {
        (server.client.get("/readyz").await.0 == 200).then_some(())
    })
    .await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let killer = {
        let (url, stop) = (db.url.clone(), stop.clone());
        tokio::spawn(async move {
            let mut kills = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if std::env::var_os("NO_KILL").is_none() {
                    kill_connections(&url).await;
                }
                kills += 1;
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            kills
        })
    };
    let mut walkers = Vec::new();
    for _ in 0..4 {
        let client = server.client.clone();
        walkers.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            for _ in 0..40 {
                let (status, body) = client
                    .post("/api/v1/sessions", json!({"flow": "second-factor"}))
                    .await;
                statuses.push((status.as_u16(), body.clone()));
                let Some(id) = body["id"].as_str() else {
                    continue;
                };
                for answer in ["no", "no"] {
                    let (status, body) = client.answer(id, answer).await;
                    statuses.push((status.as_u16(), body));
                }
                let (status, body) = client.get(&format!("/api/v1/sessions/{id}")).await;
                statuses.push((status.as_u16(), body));
            }
            statuses
        }));
    }
    let mut statuses = Vec::new();
    for walker in walkers {
        statuses.extend(walker.await.unwrap());
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let kills = killer.await.unwrap();

    let unavailable: Vec<&Value> = statuses
        .iter()
        .filter(|(status, _)| *status == 503)
        .map(|(_, body)| body)
        .collect();
    let mut by_status = std::collections::BTreeMap::new();
    for (status, _) in &statuses {
        *by_status.entry(*status).or_insert(0) += 1;
    }
    println!(
        "{} requests while every connection was killed {kills} times: {by_status:?}",
        statuses.len()
    );
    for (status, body) in &statuses {
        // A conflict is a move that met another's half-done retry: a 4xx, not a fault.
        assert!(matches!(status, 200 | 201 | 409 | 503), "{status} {body}");
    }
    for body in unavailable {
        assert_eq!(body["error"]["code"], "store_unavailable", "{body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            !message.contains("FATAL") && !message.contains("terminat"),
            "{message}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn session_ids_never_reach_the_log_only_their_keyed_hash() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let store = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .args(["--log-key", "operator-secret", "--agent-token", "t"])
        .arg("--flows")
        .arg(support::fixtures())
        .arg("--store")
        .arg(format!("sqlite://{}", store.path().join("s.db").display()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, log) = std::sync::mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let mut seen = Vec::new();
    let listen = loop {
        let line = log
            .recv_timeout(std::time::Duration::from_secs(30))
            .unwrap();
        let listen = serde_json::from_str::<Value>(&line)
            .ok()
            .and_then(|v| v["fields"]["listen"].as_str().map(str::to_owned));
        seen.push(line);
        if let Some(listen) = listen {
            break listen;
        }
    };
    let client = support::Client::new(format!("http://{listen}"));
    let (id, _) = client.start("second-factor", json!({})).await;
    client.answer(&id, "no").await;
    client.get(&format!("/api/v1/sessions/{id}")).await;
    support::no_redirects()
        .get(client.url(&format!("/s/{id}")))
        .send()
        .await
        .unwrap();
    client
        .http
        .get(client.url(&format!("/api/v1/agent/sessions/{id}")))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    // SIGTERM: the server finishes, writes its last lines and closes the log.
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    child.wait().unwrap();
    reader.join().unwrap();
    seen.extend(log.try_iter());
    let seen = seen.join("\n");
    assert!(!seen.contains(&id), "the log holds the session id:\n{seen}");
    let tag = stepwise::logs::LogKey::new(Some("operator-secret")).tag(&id);
    let lines = seen.lines().filter(|line| line.contains(&tag)).count();
    assert!(
        lines >= 4,
        "each request's line names the session by {tag}:\n{seen}"
    );
}

/// The `img-src` directive of a response's Content-Security-Policy.
fn image_sources(response: &reqwest::Response) -> String {
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    policy
        .split(';')
        .map(str::trim)
        .find_map(|directive| directive.strip_prefix("img-src "))
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn pages_with_a_customers_answers_are_never_cached_nor_load_remote_images() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::with_agent_token(&support::fixtures(), store.path(), "t").await;
    let (id, _) = server.client.start("second-factor", json!({})).await;
    let http = support::no_redirects();
    for path in [
        format!("/s/{id}"),
        format!("/api/v1/sessions/{id}"),
        format!("/api/v1/sessions/{id}/transcript"),
        format!("/agent/s/{id}"),
        format!("/api/v1/agent/sessions/{id}"),
    ] {
        let response = http
            .get(server.client.url(&path))
            .bearer_auth("t")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
        let images = image_sources(&response);
        assert!(!images.contains("https:"), "{path}: img-src {images}");
    }
    // What carries nothing of a customer may be cached.
    let style = http
        .get(server.client.url("/assets/site.css"))
        .send()
        .await
        .unwrap();
    assert_ne!(style.headers()["cache-control"], "no-store");
    server.stop().await;

    let server = TestServer::start_with(Config {
        flows: support::fixtures(),
        store: support::sqlite(store.path()),
        settings: Settings {
            allow_remote_images: true,
            ..Settings::default()
        },
        watch: false,
    })
    .await;
    let page = http
        .get(server.client.url(&format!("/s/{id}")))
        .send()
        .await
        .unwrap();
    assert!(image_sources(&page).contains("https:"));
    server.stop().await;
}

/// A server that counts each test client by the address it names in `X-Forwarded-For`.
async fn behind_a_proxy(store: &std::path::Path, settings: Settings) -> TestServer {
    TestServer::start_with(Config {
        flows: support::workspace_root().join("flows"),
        store: support::sqlite(store),
        settings: Settings {
            forwarded_for: true,
            ..settings
        },
        watch: false,
    })
    .await
}

/// Moves session `id` back and forth as the client `forwarded` until one is refused; the
/// statuses and the refusal.
async fn move_until_refused(
    server: &TestServer,
    id: &str,
    forwarded: &str,
    most: usize,
) -> (usize, Option<reqwest::Response>) {
    for made in 0..most {
        let step = if made % 2 == 0 { "answer" } else { "back" };
        let response = support::no_redirects()
            .post(server.client.url(&format!("/api/v1/sessions/{id}/{step}")))
            .header("x-forwarded-for", forwarded)
            .json(&if step == "answer" {
                json!({"answer": "in"})
            } else {
                json!({})
            })
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            return (made, Some(response));
        }
        assert!(response.status().is_success(), "{}", response.status());
    }
    (most, None)
}

#[tokio::test]
async fn moves_are_limited_per_session_and_per_client() {
    use std::num::NonZeroU32;
    let store = tempfile::tempdir().unwrap();
    let settings = Settings {
        session_rate: None,
        client_move_rate: NonZeroU32::new(30),
        session_move_rate: NonZeroU32::new(10),
        ..Settings::default()
    };
    let server = behind_a_proxy(store.path(), settings).await;
    let (id, _) = server.client.start("deposit-missing-memo", json!({})).await;
    let (made, refused) = move_until_refused(&server, &id, "192.0.2.1", 100).await;
    // The allowance comes back by one every six seconds: a slow machine may earn one more.
    assert!((10..=11).contains(&made), "the session's allowance: {made}");
    let refused = refused.unwrap();
    assert!(refused.headers().contains_key("retry-after"));
    let (_, body) = support::json(refused).await;
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    // The session stays as the last accepted move left it.
    let (_, now) = server.client.get(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(now["history"].as_array().map(Vec::len), Some(1), "{now}");

    // One client over many sessions: its own allowance, whatever the proxy wrote for it.
    let mut made = 0;
    for _ in 0..10 {
        let (id, _) = server.client.start("deposit-missing-memo", json!({})).await;
        let (here, refused) = move_until_refused(&server, &id, "[2001:db8::7]:4711", 4).await;
        made += here;
        if refused.is_some() {
            break;
        }
    }
    assert!((30..=32).contains(&made), "the client's allowance: {made}");
    // Another client is not held up.
    let (id, _) = server.client.start("deposit-missing-memo", json!({})).await;
    assert_eq!(
        move_until_refused(&server, &id, "198.51.100.2", 4).await.0,
        4
    );
    server.stop().await;
}

#[tokio::test]
async fn a_client_the_proxy_names_unreadably_is_limited_all_the_same() {
    use std::num::NonZeroU32;
    let store = tempfile::tempdir().unwrap();
    let settings = Settings {
        session_rate: NonZeroU32::new(2),
        ..Settings::default()
    };
    let server = behind_a_proxy(store.path(), settings).await;
    for forwarded in ["192.0.2.9:5555", "[2001:db8::9]:443", "", "unknown"] {
        let statuses = {
            let mut statuses = Vec::new();
            for _ in 0..3 {
                let response = support::no_redirects()
                    .post(server.client.url("/api/v1/sessions"))
                    .header("x-forwarded-for", format!("10.0.0.1, {forwarded}"))
                    .json(&json!({"flow": "deposit-missing-memo"}))
                    .send()
                    .await
                    .unwrap();
                statuses.push(response.status().as_u16());
            }
            statuses
        };
        assert_eq!(
            statuses,
            [201, 201, 429],
            "X-Forwarded-For: 10.0.0.1, {forwarded}"
        );
    }
    for forwarded in [
        "for=192.0.2.60;proto=https",
        "for=\"[2001:db8:2::60]:8080\"",
    ] {
        let mut statuses = Vec::new();
        for _ in 0..3 {
            let response = support::no_redirects()
                .post(server.client.url("/api/v1/sessions"))
                .header("forwarded", forwarded)
                .json(&json!({"flow": "deposit-missing-memo"}))
                .send()
                .await
                .unwrap();
            statuses.push(response.status().as_u16());
        }
        assert_eq!(statuses, [201, 201, 429], "Forwarded: {forwarded}");
    }
    server.stop().await;
}

#[tokio::test]
async fn facts_a_flow_does_not_take_are_refused_and_never_echoed_whole() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start(&support::workspace_root().join("flows"), store.path()).await;
    let long = "n".repeat(60_000);
    for (flow, facts) in [
        ("deposit-missing-memo", json!({"platform": "app"})),
        ("facial-recognition-fails", json!({"colour": "blue"})),
        ("facial-recognition-fails", json!({ long.clone(): "x" })),
        (
            "facial-recognition-fails",
            json!({"platform\u{202e}": "app"}),
        ),
    ] {
        let (status, body) = server
            .client
            .post("/api/v1/sessions", json!({"flow": flow, "facts": facts}))
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["code"], "undeclared_fact", "{body}");
        assert!(
            body.to_string().len() < 1_000,
            "the reply repeats the name whole"
        );
    }
    // A declared fact is taken, and so is one a linked flow declares.
    let (_, started) = server
        .client
        .start("facial-recognition-fails", json!({"platform": "app"}))
        .await;
    assert_eq!(started["status"], "active");
    server.stop().await;
}

#[tokio::test]
async fn metrics_can_ask_for_a_token_or_live_on_a_listener_of_their_own() {
    let store = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(Config {
        flows: support::fixtures(),
        store: support::sqlite(store.path()),
        settings: Settings {
            metrics_token: Some("scraper".to_owned()),
            ..Settings::default()
        },
        watch: false,
    })
    .await;
    let http = reqwest::Client::new();
    let url = server.client.url("/metrics");
    let refused = http.get(&url).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let (_, body) = support::json(refused).await;
    assert_eq!(body["error"]["code"], "unauthorized");
    let wrong = http.get(&url).bearer_auth("guess").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let scraped = http.get(&url).bearer_auth("scraper").send().await.unwrap();
    assert_eq!(scraped.status(), 200);
    assert!(
        scraped
            .text()
            .await
            .unwrap()
            .contains("stepwise_http_requests_total")
    );
    server.stop().await;

    // A free port for the metrics' own listener.
    let address = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap();
    let server = TestServer::start_with(Config {
        flows: support::fixtures(),
        store: support::sqlite(store.path()),
        settings: Settings {
            metrics_listen: Some(address),
            ..Settings::default()
        },
        watch: false,
    })
    .await;
    let (status, body) = server.client.get("/metrics").await;
    assert_eq!(status, 404, "{body}");
    let private = support::eventually("the metrics listener serves", || async {
        let response = http
            .get(format!("http://{address}/metrics"))
            .send()
            .await
            .ok()?;
        response.text().await.ok()
    })
    .await;
    assert!(
        private.contains("stepwise_http_requests_total"),
        "{private}"
    );
    let (status, _) = support::json(
        http.get(format!("http://{address}/api/v1/flows"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404, "nothing else is on the metrics listener");
    server.stop().await;
}

#[tokio::test]
async fn the_flow_files_problems_are_for_staff_even_while_writers_preview() {
    let store = tempfile::tempdir().unwrap();
    for watch in [false, true] {
        let server = TestServer::start_with(Config {
            flows: support::fixtures(),
            store: support::sqlite(store.path()),
            settings: Settings {
                agent_token: Some("t".to_owned()),
                ..Settings::default()
            },
            watch,
        })
        .await;
        let (status, body) = server.client.get("/api/v1/diagnostics").await;
        assert_eq!(status, 401, "watch: {watch}: {body}");
        assert_eq!(body["error"]["code"], "unauthorized");
        let staff = server
            .client
            .http
            .get(server.client.url("/api/v1/diagnostics"))
            .bearer_auth("t")
            .send()
            .await
            .unwrap();
        assert_eq!(staff.status(), 200, "watch: {watch}");
        server.stop().await;
    }
}
