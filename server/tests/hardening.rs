//! What a security review and fault tests found, each held by a test: bad input is a 4xx,
//! never a 500, and the limits an operator sets are the ones that hold.

mod support;

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
    let db = support::postgres::TestDatabase::create().await;
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
