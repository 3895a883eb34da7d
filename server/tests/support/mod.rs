//! Shared helpers for the server's end-to-end tests: a server in this process on a loopback
//! port, the real binary as a child process, and a small JSON client.

pub mod postgres;

use std::future::Future;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use stepwise::serve::{Config, ServeError, Settings};
use stepwise_store::StoreConfig;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Whether the environment variable `require` asks for the tests that need some service to
/// run: set to anything but empty or `0`.
pub fn required(require: &str) -> bool {
    std::env::var_os(require).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Skips the calling test, saying why, since a service it needs is `missing`; or fails it when
/// `require` is set (see [`required`]), as `tests/run` does so that no test goes unrun.
pub fn skip_unless_required(require: &str, missing: &str) {
    if required(require) {
        panic!("{missing}, and {require} is set");
    }
    let thread = std::thread::current();
    let test = thread.name().filter(|n| *n != "main").unwrap_or("a test");
    // Straight to stderr: libtest hides what a passing test prints, and a skip should show.
    let _ = writeln!(
        std::io::stderr(),
        "skipped {test}: {missing} (set {require}=1 to make this a failure)"
    );
}

/// The workspace's root directory.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// The small flows kept for these tests.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/flows")
}

/// A store URL for an SQLite file in `dir`.
pub fn sqlite(dir: &Path) -> StoreConfig {
    StoreConfig::Sqlite {
        path: dir.join("stepwise.db"),
        synchronous: Default::default(),
    }
}

/// A JSON client for one server.
#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

impl Client {
    /// A client for the server at `base` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base: String) -> Client {
        Client {
            base,
            http: reqwest::Client::new(),
        }
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// `GET path`, as JSON.
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self.http.get(self.url(path)).send().await.unwrap();
        json(response).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        json(response).await
    }

    /// `POST path` with no body.
    pub async fn post_empty(&self, path: &str) -> (StatusCode, Value) {
        let response = self.http.post(self.url(path)).send().await.unwrap();
        json(response).await
    }

    /// Starts a session on `flow` and returns its id and the whole response.
    pub async fn start(&self, flow: &str, facts: Value) -> (String, Value) {
        let (status, body) = self
            .post(
                "/api/v1/sessions",
                serde_json::json!({"flow": flow, "facts": facts}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (body["id"].as_str().unwrap().to_owned(), body)
    }

    /// Answers the current step of session `id`.
    pub async fn answer(&self, id: &str, answer: &str) -> (StatusCode, Value) {
        self.post(
            &format!("/api/v1/sessions/{id}/answer"),
            serde_json::json!({ "answer": answer }),
        )
        .await
    }
}

/// A response's status and JSON body (`null` when there is none).
pub async fn json(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, body)
}

/// A client that does not follow redirects, so each 303 can be checked.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A server running in this process on a loopback port of its own.
pub struct TestServer {
    pub client: Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), ServeError>>>,
}

impl TestServer {
    /// Serves the flows in `flows` with an SQLite store in `store_dir`.
    pub async fn start(flows: &Path, store_dir: &Path) -> TestServer {
        TestServer::start_with(Config {
            flows: flows.to_owned(),
            store: sqlite(store_dir),
            settings: Settings::default(),
            watch: false,
        })
        .await
    }

    /// Serves the flows in `flows` with an SQLite store in `store_dir`, the agent console
    /// open to `token`.
    pub async fn with_agent_token(flows: &Path, store_dir: &Path, token: &str) -> TestServer {
        TestServer::start_with(Config {
            flows: flows.to_owned(),
            store: sqlite(store_dir),
            settings: Settings {
                agent_token: Some(token.to_owned()),
                ..Settings::default()
            },
            watch: false,
        })
        .await
    }

    /// Serves with the given configuration.
    pub async fn start_with(config: Config) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(stepwise::serve::run(listener, config, async {
            let _ = stopped.await;
        }));
        TestServer {
            client: Client::new(base),
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Shuts down gracefully and waits until the server (and its store) has stopped.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

/// The fixtures served in this process over a store the test opened itself, so that it can
/// make the store fail under the running server.
pub struct OverStore {
    pub client: Client,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl OverStore {
    /// Serves the fixtures over `store` on a free loopback port.
    pub async fn start(
        store: std::sync::Arc<dyn stepwise_store::Store>,
        metrics: stepwise_app::Metrics,
    ) -> OverStore {
        let (library, report) = stepwise_app::Library::load(&fixtures());
        assert_eq!(report.errors(), 0);
        let state = stepwise::serve::AppState::new(library, store, metrics, Settings::default())
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = Client::new(format!("http://{}", listener.local_addr().unwrap()));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, stepwise::serve::app(state))
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        OverStore {
            client,
            stop: Some(stop),
            task,
        }
    }

    /// Shuts down gracefully and waits until the server has stopped.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.await.unwrap();
    }
}

/// The python of the venv `target/tools/NAME` with `requirement` installed (checked by
/// importing `module`), made if missing. The tests that drive a client none of us wrote
/// (pytest-lsp, the `standardwebhooks` verifier) run it.
pub fn python_venv(name: &str, module: &str, requirement: &str) -> Result<PathBuf, String> {
    // Tests run in parallel: one makes the venv while the others wait for it.
    static MAKING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _making = MAKING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let venv = target.join("tools").join(name);
    let python = venv.join("bin/python");
    let has_module = |python: &Path| {
        Command::new(python)
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if has_module(&python) {
        return Ok(python);
    }
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .map_err(|e| format!("python3 cannot be run: {e}"))?;
    if !made.status.success() {
        return Err(format!(
            "python3 -m venv failed: {}",
            String::from_utf8_lossy(&made.stderr)
        ));
    }
    let installed = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", requirement])
        .output()
        .map_err(|e| format!("pip cannot be run: {e}"))?;
    if !installed.status.success() || !has_module(&python) {
        return Err(format!(
            "{requirement} could not be installed: {}",
            String::from_utf8_lossy(&installed.stderr)
        ));
    }
    Ok(python)
}

/// The agent token of every server [`Binary::spawn`] starts.
pub const AGENT_TOKEN: &str = "binary-agent-token";

/// The real `stepwise` binary, serving in a child process.
pub struct Binary {
    pub client: Client,
    child: Child,
    /// Every line it has logged so far.
    logs: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Binary {
    /// Starts `stepwise serve` on a free loopback port and waits until it serves.
    pub fn spawn(flows: &Path, store: &str) -> Binary {
        Binary::spawn_with(flows, store, &[])
    }

    /// [`Binary::spawn`], with more flags of `stepwise serve`.
    pub fn spawn_with(flows: &Path, store: &str, extra: &[&str]) -> Binary {
        Binary::spawn_env(flows, store, extra, &[])
    }

    /// Starts `stepwise serve` with the flags `extra` and the environment variables `env`
    /// (`RUST_LOG` only when given there), and waits until it serves.
    pub fn spawn_env(flows: &Path, store: &str, extra: &[&str], env: &[(&str, &str)]) -> Binary {
        let mut child = Command::new(env!("CARGO_BIN_EXE_stepwise"))
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .args(["--agent-token", AGENT_TOKEN])
            .arg("--flows")
            .arg(flows)
            .args(["--store", store])
            .args(extra)
            .env_remove("RUST_LOG")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (found, address) = mpsc::channel();
        let logs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = std::sync::Arc::clone(&logs);
        // Read the log for the address it listens on, then keep draining it.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                kept.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(line.clone());
                let listen = serde_json::from_str::<Value>(&line)
                    .ok()
                    .and_then(|v| v["fields"]["listen"].as_str().map(str::to_owned));
                if let Some(listen) = listen {
                    let _ = found.send(listen);
                }
            }
        });
        let listen = address
            .recv_timeout(Duration::from_secs(30))
            .expect("the server logs where it listens");
        Binary {
            client: Client::new(format!("http://{listen}")),
            child,
            logs,
        }
    }

    /// The lines it has logged so far.
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends the process a signal, e.g. `TERM` or `HUP`.
    pub fn signal(&self, name: &str) {
        let sent = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{name} failed");
    }

    /// Waits for the process to exit by itself, for at most `within`; `None` if it is
    /// still running then.
    pub fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if started.elapsed() > within {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the process with SIGKILL: no shutdown, no flushing.
    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How long a test waits for the server to notice something before it fails.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// Polls `probe` until it returns something, or fails after [`DEADLINE`] saying what never
/// happened.
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "after {DEADLINE:?}, still not: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The version of `flow` the server offers now, if it offers it.
pub async fn version(client: &Client, flow: &str) -> Option<String> {
    let (status, body) = client.get(&format!("/api/v1/flows/{flow}")).await;
    (status == 200).then(|| body["version"].as_str().unwrap().to_owned())
}
