//! Load benchmark: requests/s and p50/p99 latency of (a) `GET /healthz` and (b) full session
//! cycles (start a session, answer until an outcome) against a running server, with the same
//! number of connections for both; or (c) with `--sessions N`, N customers at once, each on
//! a connection of its own, walking sessions step by step with a pause between steps, for
//! `--seconds`; then the error count and the servers' peak memory (VmHWM) are reported.
//!
//! ```text
//! cargo build --release -p stepwise --examples --bins
//! target/release/examples/load --spawn --flows flows          # starts the release server itself
//! target/release/examples/load --url http://127.0.0.1:8080    # or against a server you run
//! # two servers on one PostgreSQL database, every request to the next server in turn:
//! target/release/examples/load --spawn --store postgres://postgres@127.0.0.1:5432/load --instances 2
//! target/release/examples/load --spawn --sessions 10000 --seconds 60   # 10,000 customers
//! ```
//!
//! With several servers (`--instances`, or `--url` repeated) the generator sends each request
//! of a session to the next server in turn, as a load balancer without sticky sessions
//! would, so every session moves between them all the time.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{Value, json};

/// Flags of the load benchmark.
#[derive(Debug, Parser)]
struct Args {
    /// The server to load; repeat for several servers sharing one store.
    #[arg(long = "url", default_value = "http://127.0.0.1:8080")]
    urls: Vec<String>,
    /// Start the release `stepwise` binary instead, on a fresh SQLite store in a temporary
    /// directory unless `--store` names one.
    #[arg(long)]
    spawn: bool,
    /// With --spawn: the store URL to give the servers, e.g. a PostgreSQL database
    /// (`postgres://postgres@127.0.0.1:5432/load`, which must exist).
    #[arg(long)]
    store: Option<String>,
    /// With --spawn: how many servers to start on the store (more than one needs PostgreSQL).
    #[arg(long, default_value_t = 1)]
    instances: usize,
    /// With --spawn: the server binary (default: `stepwise` in the directory above this one).
    #[arg(long)]
    server: Option<PathBuf>,
    /// With --spawn: the flows to serve.
    #[arg(long, default_value = "flows")]
    flows: PathBuf,
    /// With --spawn: the SQLite `synchronous` setting (full, normal or off).
    #[arg(long, default_value = "full")]
    synchronous: String,
    /// With --spawn: the server's log filter (RUST_LOG), e.g. `info,stepwise::access=warn` to
    /// leave out the log line of every request. The server's own default when not given.
    #[arg(long)]
    server_log: Option<String>,
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Run one measurement only: `healthz` or `sessions`.
    #[arg(long)]
    only: Option<String>,
    /// Flows to cycle through (default: every flow the server lists).
    #[arg(long = "flow")]
    flows_to_walk: Vec<String>,
    /// Hold this many customers at once instead, each walking sessions step by step on a
    /// connection of its own, for `--seconds`.
    #[arg(long)]
    sessions: Option<usize>,
    /// With --sessions: the mean pause between two steps of a customer, in milliseconds
    /// (each pause is drawn between half and one and a half times this).
    #[arg(long, default_value_t = 1000)]
    think_ms: u64,
    /// With --sessions: seconds over which the customers arrive.
    #[arg(long, default_value_t = 5)]
    ramp_seconds: u64,
    /// The server's process id, for its peak memory (known already with --spawn).
    #[arg(long)]
    server_pid: Option<u32>,
}

/// The peak resident memory of process `pid` so far, in MiB (Linux: VmHWM).
fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// How many files process `pid` has open (Linux: its sockets are among them).
fn open_files(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

/// A memory figure of process `pid` now, in MiB (Linux: `VmRSS`, `RssAnon`, `RssFile`).
fn memory_mib(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| {
        l.strip_prefix(field)
            .is_some_and(|rest| rest.starts_with(':'))
    })?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The resident memory of process `pid` now, in MiB.
fn rss_mib(pid: u32) -> Option<f64> {
    memory_mib(pid, "VmRSS")
}

/// CPU seconds a process has used so far (Linux), from `/proc/PID/stat`.
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// CPU used by the servers (when this process started them) and by this process.
#[derive(Clone, Copy)]
struct Cpu {
    server: Option<f64>,
    load: Option<f64>,
}

impl Cpu {
    fn now(servers: &[u32]) -> Cpu {
        let server = (!servers.is_empty())
            .then(|| {
                servers
                    .iter()
                    .map(|pid| cpu_seconds(&pid.to_string()))
                    .sum::<Option<f64>>()
            })
            .flatten();
        Cpu {
            server,
            load: cpu_seconds("self"),
        }
    }

    /// Microseconds of CPU per request since `before`, for the server and the generator.
    fn per_request(self, before: Cpu, requests: usize) -> String {
        let us = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if requests > 0 => {
                format!("{:.0} µs", (a - b) * 1e6 / requests as f64)
            }
            _ => "?".to_owned(),
        };
        format!(
            "CPU per request: server {}, load generator {}",
            us(self.server, before.server),
            us(self.load, before.load)
        )
    }
}

/// What one measurement saw.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: usize,
    cycles: usize,
    /// The first few failures, to say what went wrong.
    failures: Vec<String>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.errors += other.errors;
        self.cycles += other.cycles;
        for failure in other.failures {
            if self.failures.len() < 5 {
                self.failures.push(failure);
            }
        }
    }

    fn fail(&mut self, what: String) {
        self.errors += 1;
        if self.failures.len() < 5 {
            self.failures.push(what);
        }
    }

    fn report(&mut self, name: &str, elapsed: Duration, cpu: String) -> f64 {
        self.latencies.sort_unstable();
        let n = self.latencies.len();
        let at = |q: f64| {
            self.latencies
                .get(((n as f64 * q) as usize).min(n.saturating_sub(1)))
                .copied()
                .unwrap_or_default()
        };
        let rate = n as f64 / elapsed.as_secs_f64();
        print!(
            "{name:<16} {rate:>9.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms   errors {}",
            at(0.50).as_secs_f64() * 1e3,
            at(0.99).as_secs_f64() * 1e3,
            at(1.0).as_secs_f64() * 1e3,
            self.errors,
        );
        if self.cycles > 0 {
            print!(
                "   cycles {:.0}/s ({:.1} requests each)",
                self.cycles as f64 / elapsed.as_secs_f64(),
                n as f64 / self.cycles as f64
            );
        }
        println!();
        println!("{:<16} {cpu}", "");
        for failure in &self.failures {
            println!("{:<16} failed: {failure}", "");
        }
        rate
    }
}

/// Runs `work` on `connections` tasks, each with a client of its own, for `seconds`.
async fn measure<F, Fut>(args: &Args, work: F) -> (Tally, Duration)
where
    F: Fn(reqwest::Client, Arc<AtomicBool>, usize) -> Fut,
    Fut: std::future::Future<Output = Tally> + Send + 'static,
{
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let tasks: Vec<_> = (0..args.connections)
        .map(|i| {
            // One client per task: one keep-alive connection each.
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .expect("an HTTP client");
            tokio::spawn(work(client, Arc::clone(&stop), i))
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut tally = Tally::default();
    for task in tasks {
        if let Ok(t) = task.await {
            tally.merge(t);
        }
    }
    (tally, started.elapsed())
}

async fn healthz(
    client: reqwest::Client,
    stop: Arc<AtomicBool>,
    bases: Arc<Vec<String>>,
    seed: usize,
) -> Tally {
    let mut tally = Tally::default();
    let urls: Vec<String> = bases.iter().map(|b| format!("{b}/healthz")).collect();
    let mut n = seed;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let t = Instant::now();
        match client.get(&urls[n % urls.len()]).send().await {
            Ok(r) if r.status().is_success() => {
                let _ = r.bytes().await;
                tally.latencies.push(t.elapsed());
            }
            _ => tally.errors += 1,
        }
    }
    tally
}

/// The parts of a session response the load generator reads (a client reads what it shows).
#[derive(serde::Deserialize)]
struct Session {
    id: String,
    revision: i64,
    status: String,
    step: Step,
}

#[derive(serde::Deserialize)]
struct Step {
    answers: Vec<Choice>,
}

#[derive(serde::Deserialize)]
struct Choice {
    id: String,
}

async fn cycles(
    client: reqwest::Client,
    stop: Arc<AtomicBool>,
    bases: Arc<Vec<String>>,
    flows: Arc<Vec<String>>,
    seed: usize,
) -> Tally {
    let mut tally = Tally::default();
    let mut n = seed;
    // Each request goes to the next server in turn.
    let mut turn = seed;
    let mut next_base = || {
        turn += 1;
        &bases[turn % bases.len()]
    };
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let flow = &flows[n % flows.len()];
        let Some(mut session) = step(
            &client,
            &format!("{}/api/v1/sessions", next_base()),
            json!({ "flow": flow }),
            &mut tally,
        )
        .await
        else {
            continue;
        };
        let id = session.id.clone();
        let mut finished = true;
        for answered in 0..200 {
            let answers = &session.step.answers;
            if session.status != "active" || answers.is_empty() {
                break;
            }
            // Vary the path from one session to the next.
            let pick = &answers[(n + answered) % answers.len()].id;
            let url = format!("{}/api/v1/sessions/{id}/answer", next_base());
            let answer = json!({ "answer": pick, "revision": session.revision });
            // A failure is counted, with what went wrong, by `step`.
            match step(&client, &url, answer, &mut tally).await {
                Some(next) => session = next,
                None => {
                    finished = false;
                    break;
                }
            }
        }
        if finished {
            tally.cycles += 1;
        }
    }
    tally
}

/// One customer: walks sessions step by step, pausing between steps, until `stop`; starts
/// another session whenever one reaches an outcome.
async fn customer(
    client: reqwest::Client,
    stop: Arc<AtomicBool>,
    bases: Arc<Vec<String>>,
    flows: Arc<Vec<String>>,
    think: Duration,
    seed: usize,
) -> Tally {
    let mut tally = Tally::default();
    // A small xorshift, so pauses and paths differ between customers without a dependency.
    let mut state = (seed as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let pause = |next: &mut dyn FnMut() -> u64| {
        let ms = think.as_millis() as u64;
        Duration::from_millis(ms / 2 + next() % (ms + 1))
    };
    // Each request goes to the next server in turn.
    let mut turn = seed;
    let mut next_base = || {
        turn += 1;
        &bases[turn % bases.len()]
    };
    'sessions: while !stop.load(Ordering::Relaxed) {
        let flow = &flows[(next() % flows.len() as u64) as usize];
        let session = step(
            &client,
            &format!("{}/api/v1/sessions", next_base()),
            json!({ "flow": flow }),
            &mut tally,
        )
        .await;
        let Some(mut session) = session else {
            continue;
        };
        let id = session.id.clone();
        for _ in 0..200 {
            let answers = &session.step.answers;
            if session.status != "active" || answers.is_empty() {
                tally.cycles += 1;
                continue 'sessions;
            }
            let pick = answers[(next() % answers.len() as u64) as usize].id.clone();
            tokio::time::sleep(pause(&mut next)).await;
            if stop.load(Ordering::Relaxed) {
                break 'sessions;
            }
            let url = format!("{}/api/v1/sessions/{id}/answer", next_base());
            let answer = json!({ "answer": pick, "revision": session.revision });
            match step(&client, &url, answer, &mut tally).await {
                Some(moved) => session = moved,
                None => continue 'sessions,
            }
        }
    }
    tally
}

/// One request of a walk: its latency, or the failure, in `tally`.
async fn step(
    client: &reqwest::Client,
    url: &str,
    body: Value,
    tally: &mut Tally,
) -> Option<Session> {
    let t = Instant::now();
    let response = match client.post(url).json(&body).send().await {
        Ok(response) => response,
        Err(e) => {
            tally.fail(format!("{url}: {e}"));
            return None;
        }
    };
    let status = response.status();
    let text = match response.text().await {
        Ok(text) => text,
        Err(e) => {
            tally.fail(format!("{url}: reading the answer: {e}"));
            return None;
        }
    };
    if !status.is_success() {
        tally.fail(format!("{url}: {status} {text}"));
        return None;
    }
    match serde_json::from_str(&text) {
        Ok(session) => {
            tally.latencies.push(t.elapsed());
            Some(session)
        }
        Err(e) => {
            tally.fail(format!("{url}: {e}: {text}"));
            None
        }
    }
}

/// Holds `n` customers at once for `--seconds`, and reports what they saw and the first
/// server's memory.
async fn hold_sessions(
    args: &Args,
    n: usize,
    bases: &Arc<Vec<String>>,
    flows: Vec<String>,
    pids: &[u32],
) {
    let pid = pids.first().copied();
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) if limit < n as u64 + 64 => {
            println!("warning: only {limit} open files allowed for {n} connections");
        }
        Ok(_) => {}
        Err(e) => println!("warning: cannot raise the limit on open files: {e}"),
    }
    let stop = Arc::new(AtomicBool::new(false));
    let flows = Arc::new(flows);
    let think = Duration::from_millis(args.think_ms);
    let ramp = Duration::from_secs(args.ramp_seconds);
    let before = Cpu::now(pids);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        // One client each, so one connection each; idle connections are dropped before the
        // server's header timeout would close them under a request.
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .pool_idle_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .build()
            .expect("an HTTP client");
        let arrive = ramp.mul_f64(i as f64 / n as f64);
        let (stop, bases, flows) = (Arc::clone(&stop), Arc::clone(bases), Arc::clone(&flows));
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(arrive).await;
            customer(client, stop, bases, flows, think, i).await
        }));
    }
    // Sample the server's memory and open files while the customers walk: a plateau, not a
    // climb, is what bounded memory looks like.
    let until = Duration::from_secs(args.seconds);
    let (mut rss_max, mut files_max): (f64, usize) = (0.0, 0);
    let mut timeline = Vec::new();
    let mut second = 0;
    while started.elapsed() < until {
        tokio::time::sleep(Duration::from_secs(1).min(until.saturating_sub(started.elapsed())))
            .await;
        second += 1;
        if let Some(rss) = pid.and_then(rss_mib) {
            rss_max = rss_max.max(rss);
            if second % 10 == 0 {
                // Heap and stacks apart from pages of the memory-mapped database file, which
                // the store caps (and the kernel can drop).
                let (anon, file) = pid
                    .map(|pid| (memory_mib(pid, "RssAnon"), memory_mib(pid, "RssFile")))
                    .unwrap_or_default();
                timeline.push(format!(
                    "{second} s {rss:.0} ({:.0} anonymous, {:.0} file-backed)",
                    anon.unwrap_or(0.0),
                    file.unwrap_or(0.0)
                ));
            }
        }
        if let Some(files) = pid.and_then(open_files) {
            files_max = files_max.max(files);
        }
    }
    stop.store(true, Ordering::Relaxed);
    let mut tally = Tally::default();
    for task in tasks {
        match task.await {
            Ok(t) => tally.merge(t),
            Err(e) => tally.fail(format!("a customer task failed: {e}")),
        }
    }
    let elapsed = started.elapsed();
    let cpu = Cpu::now(pids).per_request(before, tally.latencies.len());
    println!(
        "{n} customers, one connection each, {} ms mean pause between steps",
        args.think_ms
    );
    tally.report("walked sessions", elapsed, cpu);
    match pid.and_then(peak_rss_mib) {
        Some(peak) => {
            println!(
                "server memory: peak RSS (VmHWM) {peak:.0} MiB, highest RSS sampled under load {rss_max:.0} MiB"
            );
            println!("server RSS over time (MiB): {}", timeline.join(", "));
            println!("server open files at most: {files_max} (connections, store, logs)");
        }
        None => println!("server memory: unknown (give --server-pid, or use --spawn)"),
    }
}

/// A release server, killed when dropped.
struct Spawned {
    child: Child,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The release `stepwise` binary: `--server`, or beside the directory of this example.
fn server_binary(args: &Args) -> Result<PathBuf, String> {
    if let Some(server) = &args.server {
        return Ok(server.clone());
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    // target/release/examples/load → target/release/stepwise
    exe.parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("stepwise"))
        .ok_or_else(|| "cannot find the stepwise binary".to_owned())
}

/// Starts one server on `store` and returns it with the URL it serves.
fn spawn(args: &Args, server: &Path, store: &str) -> Result<(Spawned, String), String> {
    use std::io::{BufRead, BufReader};
    let mut command = Command::new(server);
    if let Some(filter) = &args.server_log {
        command.env("RUST_LOG", filter);
    }
    let mut child = command
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--store",
            store,
        ])
        .arg("--flows")
        .arg(&args.flows)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", server.display()))?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(listen) = serde_json::from_str::<Value>(&line)
                .ok()
                .and_then(|v| v["fields"]["listen"].as_str().map(str::to_owned))
            {
                let _ = tx.send(listen);
            }
        }
    });
    let Ok(listen) = rx.recv_timeout(Duration::from_secs(30)) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err("the server did not log where it listens (is RUST_LOG below info, or the store unreachable?)".into());
    };
    Ok((Spawned { child }, format!("http://{listen}")))
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let mut args = Args::parse();
    // Kept until the end: the servers and the SQLite store's directory.
    let mut servers = Vec::new();
    let mut _dir = None;
    if args.spawn {
        let store = match &args.store {
            Some(store) => store.clone(),
            None => {
                let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
                let store = format!(
                    "sqlite://{}?synchronous={}",
                    dir.path().join("load.db").display(),
                    args.synchronous
                );
                _dir = Some(dir);
                store
            }
        };
        if args.instances > 1 && !store.starts_with("postgres") {
            return Err(
                "several instances share a PostgreSQL store only (--store postgres://…)".into(),
            );
        }
        let binary = server_binary(&args)?;
        args.urls.clear();
        for _ in 0..args.instances.max(1) {
            let (server, url) = spawn(&args, &binary, &store)?;
            servers.push(server);
            args.urls.push(url);
        }
        let shown = match store.starts_with("postgres") {
            true => "postgres://…".to_owned(),
            false => store,
        };
        println!(
            "started {} × {} on {shown}",
            servers.len(),
            binary.display()
        );
    }
    let mut pids: Vec<u32> = servers.iter().map(|s| s.child.id()).collect();
    pids.extend(args.server_pid);
    let bases: Arc<Vec<String>> = Arc::new(
        args.urls
            .iter()
            .map(|u| u.trim_end_matches('/').to_owned())
            .collect(),
    );
    let base = bases[0].clone();
    let flows = if args.flows_to_walk.is_empty() {
        let list: Value = reqwest::get(format!("{base}/api/v1/flows"))
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        list["flows"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["id"].as_str().map(str::to_owned))
            .collect()
    } else {
        args.flows_to_walk.clone()
    };
    if flows.is_empty() {
        return Err("the server has no flows to walk".into());
    }
    if let Some(n) = args.sessions {
        println!(
            "{n} customers for {} s, {} flows, {}; load average {}",
            args.seconds,
            flows.len(),
            bases.join(" + "),
            std::fs::read_to_string("/proc/loadavg")
                .unwrap_or_default()
                .trim()
        );
        hold_sessions(&args, n, &bases, flows, &pids).await;
        return Ok(());
    }
    println!(
        "{} connections, {} s each, {} flows, {}; load average {}",
        args.connections,
        args.seconds,
        flows.len(),
        bases.join(" + "),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );

    let run = |what: &str| args.only.as_deref().is_none_or(|only| only == what);
    let mut health_rate = None;
    if run("healthz") {
        let before = Cpu::now(&pids);
        let (mut health, elapsed) =
            measure(&args, |c, stop, i| healthz(c, stop, Arc::clone(&bases), i)).await;
        let cpu = Cpu::now(&pids).per_request(before, health.latencies.len());
        health_rate = Some(health.report("GET /healthz", elapsed, cpu));
    }
    if !run("sessions") {
        return Ok(());
    }

    let flows = Arc::new(flows);
    let before = Cpu::now(&pids);
    let (mut session, elapsed) = measure(&args, |c, stop, i| {
        cycles(c, stop, Arc::clone(&bases), Arc::clone(&flows), i * 7919)
    })
    .await;
    let cpu = Cpu::now(&pids).per_request(before, session.latencies.len());
    let session_rate = session.report("session cycles", elapsed, cpu);
    if let Some(health_rate) = health_rate {
        println!(
            "session requests run at {:.0}% of /healthz requests/s",
            100.0 * session_rate / health_rate.max(1.0)
        );
    }
    Ok(())
}
