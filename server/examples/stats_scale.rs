//! How long a flow's figures take as its sessions grow: fills a fresh SQLite store with
//! `--sessions` scripted sessions of one flow (about six events each), then times reading
//! their events and computing the figures, and a purge of all of them.
//!
//! ```text
//! cargo run --release -p stepwise --example stats_scale -- --sessions 100000
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use stepwise_app::metrics::StoreMetrics;
use stepwise_app::stats::{Settings, figures};
use stepwise_store::sqlite::SqliteStore;
use stepwise_store::{Event, EventKind, Party, SessionRecord, Store, Synchronous, now_millis};

/// Flags of the benchmark.
#[derive(Debug, Parser)]
struct Args {
    /// Sessions to store.
    #[arg(long, default_value_t = 100_000)]
    sessions: usize,
    /// Sessions written at once (they share commits).
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
}

/// The moves of session `i`: one of four shapes, so every figure has something to count.
fn moves(i: usize) -> Vec<(EventKind, &'static str, Option<&'static str>)> {
    use EventKind::*;
    match i % 4 {
        0 => vec![
            (Started, "q1", None),
            (Answered, "fix-a", Some("yes")),
            (Answered, "fix-a", Some("yes")),
            (Resolved, "fix-a", Some("fix-a")),
            (Helpful, "fix-a", Some("yes")),
        ],
        1 => vec![
            (Started, "q1", None),
            (Answered, "fix-a", Some("yes")),
            (Answered, "fix-b", Some("no")),
            (Answered, "support", Some("no")),
            (Escalated, "support", None),
        ],
        2 => vec![
            (Started, "q1", None),
            (Answered, "q2", Some("no")),
            (Back, "q1", None),
        ],
        _ => vec![
            (Started, "q1", None),
            (Answered, "q2", Some("no")),
            (Answered, "fine", Some("fine")),
            (Done, "fine", None),
        ],
    }
}

fn session(i: usize, at: i64) -> (SessionRecord, Vec<Event>) {
    let id = format!("s{i:08}");
    let record = SessionRecord {
        id: id.clone(),
        flow: "bench".into(),
        version: if i.is_multiple_of(2) { "v1" } else { "v2" }.into(),
        status: "active".into(),
        walk: "{}".into(),
        revision: 1,
        created_at: at,
        updated_at: at,
        reference: None,
        details: BTreeMap::new(),
        feedback: None,
        notes: Vec::new(),
    };
    let events = moves(i)
        .into_iter()
        .map(|(kind, node, value)| Event {
            session: id.clone(),
            flow: "bench".into(),
            version: record.version.clone(),
            kind,
            node: node.into(),
            value: value.map(str::to_owned),
            at,
            by: Party::Customer,
        })
        .collect();
    (record, events)
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(
            &dir.path().join("bench.db"),
            Synchronous::Normal,
            StoreMetrics::default(),
        )
        .expect("the store opens"),
    );
    let at = now_millis() - 60 * 60 * 1000;

    let started = Instant::now();
    let mut events_written = 0;
    for chunk in (0..args.sessions)
        .collect::<Vec<_>>()
        .chunks(args.concurrency)
    {
        let writes: Vec<_> = chunk
            .iter()
            .map(|&i| {
                let (record, events) = session(i, at);
                events_written += events.len();
                let store = Arc::clone(&store);
                tokio::spawn(async move { store.insert_session(record, events).await })
            })
            .collect();
        for write in writes {
            write.await.expect("a write task").expect("a write");
        }
    }
    let filled = started.elapsed();
    println!(
        "filled {} sessions, {} events in {:.1} s",
        args.sessions,
        events_written,
        filled.as_secs_f64()
    );

    let settings = Settings {
        now: now_millis(),
        abandon_after: Duration::from_secs(30 * 60).as_millis() as i64,
    };
    for round in 1..=3 {
        let started = Instant::now();
        let events = store
            .events("bench", i64::MIN, i64::MAX, None)
            .await
            .expect("events read");
        let read = started.elapsed();
        let computed = figures(&events, &["fix-a".into(), "fix-b".into()], settings);
        let total = started.elapsed();
        println!(
            "round {round}: read {} events in {:.0} ms, figures in {:.0} ms, total {:.0} ms \
             ({} starts, resolved share {:?})",
            events.len(),
            read.as_secs_f64() * 1000.0,
            (total - read).as_secs_f64() * 1000.0,
            total.as_secs_f64() * 1000.0,
            computed.summary.starts,
            computed.summary.share_of_starts.map(|s| s.resolved),
        );
    }

    let started = Instant::now();
    let purged = store.purge(now_millis()).await.expect("purge");
    println!(
        "purged {purged} sessions with their events in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
