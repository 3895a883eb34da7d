//! The embedded store: one SQLite file in WAL mode, written by a single thread that commits
//! every write waiting at that moment in one transaction (group commit), and read through a
//! small pool of read-only connections.
//!
//! Why one writer: SQLite takes one writer at a time anyway, and a sync per commit is the
//! cost that matters. Sixty-four answers arriving together share one transaction and one
//! sync, and each is acknowledged only after that sync.
//!
//! Sessions read back soon after they are written (the next answer comes seconds later), so
//! the writer also keeps the sessions it committed last in memory. Only the writer fills that
//! cache, in commit order and before it acknowledges, so it never holds anything older than
//! the database; a session not in it is read from the file.
//!
//! The writer also keeps whether the store can save changes, from its last commit, so that
//! readiness can say so. While it cannot, asking runs a small write of its own (a probe), so
//! the store notices by itself when it can again. A store that cannot be written when it is
//! opened (the disk is full, the file may not be written) still opens if it can be read: it
//! serves reads, refuses changes, and sets its writer up once it can.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use rusqlite::{Connection, ErrorCode, MAIN_DB, OptionalExtension, params};
use tokio::sync::{mpsc, oneshot};

use crate::{
    ArchivedFlow, Attempt, AttemptResult, CommitObserver, Delivery, DeliveryStatus, Event,
    EventKind, Party, SessionRecord, Store, StoreError, Synchronous, Ticket, UNFOUND_SEARCHES_KEPT,
    UnfoundSearch,
};

/// Writes waiting beyond this many go into the next transaction, which bounds commit latency.
const MAX_BATCH: usize = 512;
/// Writers wait (back-pressure) once this many writes are queued.
const QUEUE: usize = 4096;
/// Read connections kept open between requests.
const IDLE_READERS: usize = 8;
/// Sessions kept in memory after they are written.
const CACHED_SESSIONS: usize = 10_000;
/// Bytes of the file read through memory mapping rather than read calls.
const MMAP_SIZE: i64 = 256 * 1024 * 1024;
/// The writer's page cache, in KiB: big enough that updates rarely read pages back from the
/// file.
const WRITER_CACHE_KIB: i64 = 64 * 1024;
/// Pages the write-ahead log grows to before the writer copies it into the database file.
/// A page changed many times between two checkpoints is copied once.
const CHECKPOINT_PAGES: i64 = 10_000;
/// How long a connection waits for a lock held by another process before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Schema changes, in order; `PRAGMA user_version` records how many were applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/sqlite/V1_sessions_and_flow_versions.sql"),
    include_str!("../migrations/sqlite/V2_notes.sql"),
    include_str!("../migrations/sqlite/V3_events.sql"),
    include_str!("../migrations/sqlite/V4_outbox.sql"),
    include_str!("../migrations/sqlite/V5_event_party.sql"),
    include_str!("../migrations/sqlite/V6_unfound_searches.sql"),
];

/// Sessions deleted per transaction by a purge, so answers keep flowing while it runs.
const PURGE_BATCH: i64 = 1000;

/// Bytes the probe stores and deletes again: sixteen pages of 4 KiB, more than one change of a
/// session needs, so a store with room for the probe has room for the changes it refused.
const PROBE_BYTES: i64 = 64 * 1024;
/// While the store cannot save changes, it is probed at most this often, however often it
/// is asked.
const PROBE_EVERY: Duration = Duration::from_secs(1);

/// The SQLite store.
pub struct SqliteStore {
    writer: Option<mpsc::Sender<Message>>,
    recent: Arc<Recent>,
    thread: Option<JoinHandle<()>>,
    readers: Arc<ReadPool>,
    health: Arc<Health>,
}

/// What the writer thread is asked to do.
// Nearly every message is a write: boxing it for the sake of the rare maintenance message
// would cost an allocation per write.
#[allow(clippy::large_enum_variant)]
enum Message {
    /// A write, committed with the others waiting.
    Write(Job),
    /// Work on the writer's connection itself, between two commits.
    Maintain(Box<dyn FnOnce(&mut Connection) + Send>),
    /// Whether a change can be saved now: the probe's result.
    Probe(oneshot::Sender<Result<(), StoreError>>),
}

/// One write and where to send its result.
struct Job {
    write: Write,
    /// How many rows the write removed (purges), else 0.
    done: oneshot::Sender<Result<u64, StoreError>>,
}

/// The sessions committed last, by id.
type Recent = quick_cache::sync::Cache<String, SessionRecord>;

enum Write {
    Insert(SessionRecord, Vec<Event>, Vec<Delivery>),
    Update(SessionRecord, i64, Vec<Event>, Vec<Delivery>),
    Archive(Vec<ArchivedFlow>),
    /// Up to [`PURGE_BATCH`] sessions older than the cutoff.
    Purge(i64),
    /// One more search that found nothing: query, locale, when.
    Unfound(String, String, i64),
}

impl SqliteStore {
    /// Opens the database at `path`, creating it and its tables on first use.
    ///
    /// A database that cannot be written now (the disk is full, the file may not be written)
    /// but can be read, with this version's schema, opens all the same: reads are served,
    /// changes are refused with [`StoreError::Unavailable`] until it can be written, and
    /// [`Store::writable`] says why. One that cannot be read, or needs its schema upgraded,
    /// is refused.
    pub fn open(
        path: &Path,
        synchronous: Synchronous,
        observer: impl CommitObserver,
    ) -> Result<SqliteStore, StoreError> {
        let health = Arc::new(Health::default());
        let mut writer = Writer {
            conn: connect(path)?,
            path: path.to_owned(),
            synchronous,
            ready: false,
            health: Arc::clone(&health),
        };
        let writable = writer.check();

        let readers = Arc::new(ReadPool {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
        });
        // Open one reader now, so that a file we cannot read fails here, not on a request.
        let first = readers.get()?;
        if let Err(cause) = &writable {
            readable(&first, cause)?;
        }
        readers.put(first);
        // Only now that the store is served: what is logged then says it serves reads.
        health.record(writable.as_ref().map(drop));

        let (tx, rx) = mpsc::channel(QUEUE);
        let recent = Arc::new(Recent::new(CACHED_SESSIONS));
        let cache = Arc::clone(&recent);
        let thread = std::thread::Builder::new()
            .name("stepwise-store-writer".into())
            .spawn(move || write_loop(writer, rx, &cache, Box::new(observer)))
            .map_err(|e| StoreError::Database(format!("cannot start the writer: {e}")))?;
        Ok(SqliteStore {
            writer: Some(tx),
            recent,
            thread: Some(thread),
            readers,
            health,
        })
    }

    async fn write(&self, write: Write) -> Result<u64, StoreError> {
        let writer = self.writer.as_ref().ok_or(StoreError::Closed)?;
        let (done, acknowledged) = oneshot::channel();
        writer
            .send(Message::Write(Job { write, done }))
            .await
            .map_err(|_| StoreError::Closed)?;
        acknowledged.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `f` on the writer's own connection, between two commits, and returns its result.
    /// For maintenance that must happen on that connection, such as changing a limit
    /// (`PRAGMA max_page_count`) or reopening the file; the fault tests use it to make the
    /// store full or read-only under a running server.
    pub async fn with_writer<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    {
        let writer = self.writer.as_ref().ok_or(StoreError::Closed)?;
        let (done, finished) = oneshot::channel();
        let work = move |conn: &mut Connection| {
            let _ = done.send(f(conn).map_err(StoreError::from));
        };
        writer
            .send(Message::Maintain(Box::new(work)))
            .await
            .map_err(|_| StoreError::Closed)?;
        finished.await.map_err(|_| StoreError::Closed)?
    }

    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    {
        let pool = Arc::clone(&self.readers);
        tokio::task::spawn_blocking(move || {
            let conn = pool.get()?;
            let result = f(&conn);
            pool.put(conn);
            result.map_err(StoreError::from)
        })
        .await
        .map_err(|_| StoreError::Closed)?
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // Closing the channel lets the writer commit what is queued and stop.
        self.writer.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn insert_session_with(
        &self,
        session: SessionRecord,
        events: Vec<Event>,
        deliveries: Vec<Delivery>,
    ) -> Result<(), StoreError> {
        self.write(Write::Insert(session, events, deliveries))
            .await
            .map(drop)
    }

    async fn update_session_with(
        &self,
        session: SessionRecord,
        expected_revision: i64,
        events: Vec<Event>,
        deliveries: Vec<Delivery>,
    ) -> Result<(), StoreError> {
        self.write(Write::Update(
            session,
            expected_revision,
            events,
            deliveries,
        ))
        .await
        .map(drop)
    }

    async fn claim_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // One statement on the one writer: nothing else can take the same rows meanwhile.
        self.with_writer(move |conn| {
            conn.prepare_cached(&format!(
                "UPDATE deliveries SET next_attempt_at = ?2
                 WHERE id IN (SELECT id FROM deliveries
                              WHERE status = 'pending' AND next_attempt_at <= ?1
                              ORDER BY next_attempt_at LIMIT ?3)
                 RETURNING {DELIVERY_COLUMNS}"
            ))?
            .query_map(params![now, lease_until, limit], delivery_from)?
            .collect()
        })
        .await
    }

    async fn finish_attempt(
        &self,
        attempt: Attempt,
        result: AttemptResult,
    ) -> Result<(), StoreError> {
        self.with_writer(move |conn| {
            let tx = conn.transaction()?;
            tx.prepare_cached(
                "INSERT INTO delivery_attempts (delivery, at, outcome, took_ms)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                attempt.delivery,
                attempt.at,
                attempt.outcome,
                attempt.took_ms
            ])?;
            let (status, next, error, ticket) = match &result {
                AttemptResult::Delivered(ticket) => {
                    (DeliveryStatus::Delivered, attempt.at, None, ticket.clone())
                }
                AttemptResult::RetryAt(at) => {
                    (DeliveryStatus::Pending, *at, Some(&attempt.outcome), None)
                }
                AttemptResult::Failed => (
                    DeliveryStatus::Failed,
                    attempt.at,
                    Some(&attempt.outcome),
                    None,
                ),
            };
            tx.prepare_cached(
                "UPDATE deliveries SET status = ?2, next_attempt_at = ?3, attempts = attempts + 1,
                        last_error = ?4, ticket_id = ?5, ticket_url = ?6
                 WHERE id = ?1",
            )?
            .execute(params![
                attempt.delivery,
                status.as_str(),
                next,
                error,
                ticket.as_ref().map(|t| t.id.as_str()),
                ticket.as_ref().and_then(|t| t.url.as_deref())
            ])?;
            tx.commit()
        })
        .await
    }

    async fn deliveries(
        &self,
        status: Option<DeliveryStatus>,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries
                 WHERE ?1 IS NULL OR status = ?1
                 ORDER BY created_at DESC, id LIMIT ?2"
            ))?
            .query_map(
                params![status.map(DeliveryStatus::as_str), limit],
                delivery_from,
            )?
            .collect()
        })
        .await
    }

    async fn attempts(&self, delivery: &str) -> Result<Vec<Attempt>, StoreError> {
        let delivery = delivery.to_owned();
        self.read(move |conn| {
            conn.prepare_cached(
                "SELECT delivery, at, outcome, took_ms FROM delivery_attempts
                 WHERE delivery = ?1 ORDER BY seq",
            )?
            .query_map([delivery], |row| {
                Ok(Attempt {
                    delivery: row.get(0)?,
                    at: row.get(1)?,
                    outcome: row.get(2)?,
                    took_ms: row.get(3)?,
                })
            })?
            .collect()
        })
        .await
    }

    async fn retry_delivery(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.with_writer(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE deliveries SET status = 'pending', next_attempt_at = ?2
                     WHERE id = ?1 AND status != 'delivered'",
                )?
                .execute(params![id, now])?;
            Ok(changed == 1)
        })
        .await
    }

    async fn idle_sessions(
        &self,
        from: i64,
        to: i64,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |conn| {
            conn.prepare_cached(
                "SELECT id FROM sessions
                 WHERE created_at >= ?1 AND updated_at < ?2 AND status = 'active'
                   AND NOT EXISTS (SELECT 1 FROM deliveries d
                                   WHERE d.session = sessions.id AND d.kind = 'session.abandoned')
                 ORDER BY updated_at LIMIT ?3",
            )?
            .query_map(params![from, to, limit], |row| row.get(0))?
            .collect()
        })
        .await
    }

    async fn enqueue_deliveries(&self, deliveries: Vec<Delivery>) -> Result<(), StoreError> {
        self.with_writer(move |conn| {
            let tx = conn.transaction()?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT OR IGNORE INTO deliveries (id, endpoint, kind, session, body, created_at,
                                                       status, next_attempt_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7)",
                )?;
                for d in &deliveries {
                    stmt.execute(params![
                        d.id,
                        d.endpoint,
                        d.kind,
                        d.session,
                        d.body,
                        d.created_at,
                        d.next_attempt_at
                    ])?;
                }
            }
            tx.commit()
        })
        .await
    }

    async fn next_delivery_at(&self) -> Result<Option<i64>, StoreError> {
        self.read(|conn| {
            conn.query_row(
                "SELECT min(next_attempt_at) FROM deliveries WHERE status = 'pending'",
                [],
                |row| row.get(0),
            )
        })
        .await
    }

    async fn ticket(&self, session: &str) -> Result<Option<Ticket>, StoreError> {
        let session = session.to_owned();
        self.read(move |conn| {
            conn.prepare_cached(
                "SELECT ticket_id, ticket_url FROM deliveries
                 WHERE session = ?1 AND ticket_id IS NOT NULL
                 ORDER BY next_attempt_at DESC LIMIT 1",
            )?
            .query_row([session], |row| {
                Ok(Ticket {
                    id: row.get(0)?,
                    url: row.get(1)?,
                })
            })
            .optional()
        })
        .await
    }

    async fn events(
        &self,
        flow: &str,
        from: i64,
        to: i64,
        version: Option<&str>,
    ) -> Result<Vec<Event>, StoreError> {
        let (flow, version) = (flow.to_owned(), version.map(str::to_owned));
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT e.session, e.flow, e.version, e.kind, e.node, e.value, e.at, e.by_agent
                 FROM events AS s JOIN events AS e ON e.session = s.session
                 WHERE s.flow = ?1 AND s.kind = 'started' AND s.at >= ?2 AND s.at < ?3
                   AND (?4 IS NULL OR s.version = ?4)
                 ORDER BY s.at, s.session, e.seq",
            )?;
            let rows = stmt.query_map(params![flow, from, to, version], |row| {
                let kind: String = row.get(3)?;
                Ok(Event {
                    session: row.get(0)?,
                    flow: row.get(1)?,
                    version: row.get(2)?,
                    kind: EventKind::parse(&kind).ok_or_else(|| {
                        rusqlite::Error::FromSqlConversionFailure(
                            3,
                            rusqlite::types::Type::Text,
                            format!("unknown event kind `{kind}`").into(),
                        )
                    })?,
                    node: row.get(4)?,
                    value: row.get(5)?,
                    at: row.get(6)?,
                    by: Party::from_agent(row.get(7)?),
                })
            })?;
            rows.collect()
        })
        .await
    }

    async fn purge(&self, cutoff: i64) -> Result<u64, StoreError> {
        let mut total = 0;
        loop {
            let purged = self.write(Write::Purge(cutoff)).await?;
            total += purged;
            if purged < PURGE_BATCH as u64 {
                return Ok(total);
            }
        }
    }

    async fn record_unfound_search(
        &self,
        query: &str,
        locale: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        self.write(Write::Unfound(query.to_owned(), locale.to_owned(), at))
            .await
            .map(drop)
    }

    async fn unfound_searches(&self, limit: u32) -> Result<Vec<UnfoundSearch>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT query, locale, count, first_at, last_at FROM unfound_searches
                 ORDER BY count DESC, last_at DESC, query LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit], |row| {
                Ok(UnfoundSearch {
                    query: row.get(0)?,
                    locale: row.get(1)?,
                    count: row.get(2)?,
                    first_at: row.get(3)?,
                    last_at: row.get(4)?,
                })
            })?;
            rows.collect()
        })
        .await
    }

    async fn session(&self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        if let Some(session) = self.recent.get(id) {
            return Ok(Some(session));
        }
        let id = id.to_owned();
        self.read(move |conn| {
            conn.prepare_cached(
                "SELECT id, flow, version, status, walk, revision, created_at, updated_at,
                        reference, details, feedback, notes
                 FROM sessions WHERE id = ?1",
            )?
            .query_row([&id], |row| {
                Ok(SessionRecord {
                    id: row.get(0)?,
                    flow: row.get(1)?,
                    version: row.get(2)?,
                    status: row.get(3)?,
                    walk: row.get(4)?,
                    revision: row.get(5)?,
                    created_at: row.get(6)?,
                    updated_at: row.get(7)?,
                    reference: row.get(8)?,
                    details: from_json(row, 9)?,
                    feedback: row.get(10)?,
                    notes: from_json(row, 11)?,
                })
            })
            .optional()
        })
        .await
    }

    async fn session_by_reference(&self, reference: &str) -> Result<Option<String>, StoreError> {
        let reference = reference.to_owned();
        self.read(move |conn| {
            conn.prepare_cached("SELECT id FROM sessions WHERE reference = ?1")?
                .query_row([&reference], |row| row.get(0))
                .optional()
        })
        .await
    }

    async fn archive_flows(&self, flows: Vec<ArchivedFlow>) -> Result<(), StoreError> {
        self.write(Write::Archive(flows)).await.map(drop)
    }

    async fn archived_flow(&self, id: &str, version: &str) -> Result<Option<String>, StoreError> {
        let (id, version) = (id.to_owned(), version.to_owned());
        self.read(move |conn| {
            conn.prepare_cached("SELECT source FROM flow_versions WHERE id = ?1 AND version = ?2")?
                .query_row([&id, &version], |row| row.get(0))
                .optional()
        })
        .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        if self.writer.as_ref().is_none_or(|w| w.is_closed()) {
            return Err(StoreError::Closed);
        }
        self.read(|conn| conn.query_row("SELECT 1", [], |_| Ok(())))
            .await
    }

    async fn writable(&self) -> Result<(), StoreError> {
        match self.health.failing() {
            None => Ok(()),
            Some(failing) if failing.checked.elapsed() < PROBE_EVERY => {
                Err(StoreError::Unavailable(failing.reason))
            }
            Some(_) => {
                let writer = self.writer.as_ref().ok_or(StoreError::Closed)?;
                let (done, probed) = oneshot::channel();
                writer
                    .send(Message::Probe(done))
                    .await
                    .map_err(|_| StoreError::Closed)?;
                probed.await.map_err(|_| StoreError::Closed)?
            }
        }
    }
}

/// Whether the store can save changes, as the writer's last commit or probe found. The writer
/// keeps it; anyone may read it.
#[derive(Default)]
struct Health(Mutex<Option<Failing>>);

/// Why the store cannot save changes, and when that was last found.
#[derive(Clone)]
struct Failing {
    reason: String,
    checked: Instant,
}

impl Health {
    /// Why the store cannot save changes, if it cannot.
    fn failing(&self) -> Option<Failing> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Records that a commit or a probe saved something, or why it could not. Changes of
    /// state are logged; a store that keeps failing is logged once per reason.
    fn record(&self, outcome: Result<(), &StoreError>) {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match outcome {
            Ok(()) => {
                if state.take().is_some() {
                    tracing::info!("the store saves changes again");
                }
            }
            Err(e) => {
                let reason = match e {
                    StoreError::Unavailable(reason) => reason.clone(),
                    // The database's own words are in the log already; readiness is public.
                    _ => "its writes fail".to_owned(),
                };
                if state.as_ref().is_none_or(|f| f.reason != reason) {
                    tracing::warn!(
                        %reason,
                        "the store cannot save changes now: reads are served, changes refused \
                         until it can"
                    );
                }
                *state = Some(Failing {
                    reason,
                    checked: Instant::now(),
                });
            }
        }
    }
}

/// Whether a store whose writer cannot write (for `cause`) can be served for reading:
/// `reader` reads it, and its schema is the one this version reads. Else `cause`, or why not.
fn readable(reader: &Connection, cause: &StoreError) -> Result<(), StoreError> {
    let StoreError::Unavailable(reason) = cause else {
        return Err(cause.clone());
    };
    let schema: i64 = reader.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if usize::try_from(schema).ok() != Some(MIGRATIONS.len()) {
        return Err(StoreError::Database(format!(
            "the database must be upgraded (schema {schema} to {}) but cannot be written: \
             {reason}",
            MIGRATIONS.len()
        )));
    }
    reader.query_row(
        "SELECT count(*) FROM sessions WHERE seq = 0",
        [],
        |_| Ok(()),
    )?;
    Ok(())
}

/// A connection to the file at `path`, read-write if the file may be written, else read-only.
fn connect(path: &Path) -> Result<Connection, rusqlite::Error> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

/// The writer thread's connection, and whether it is set up for writing.
struct Writer {
    conn: Connection,
    path: PathBuf,
    synchronous: Synchronous,
    /// False until the connection is set up (write-ahead log, schema): a store opened while
    /// it could not be written sets it up before its next commit or probe.
    ready: bool,
    health: Arc<Health>,
}

impl Writer {
    /// Sets the connection up for writing, unless it is already.
    fn prepare(&mut self) -> Result<(), StoreError> {
        if self.ready {
            return Ok(());
        }
        // SQLite opens a file it may not write read-only instead of failing, and such a
        // connection never writes: it is opened again, until the file may be written.
        if self.conn.is_readonly(MAIN_DB)? {
            let conn = connect(&self.path)?;
            if conn.is_readonly(MAIN_DB)? {
                return Err(StoreError::Unavailable(
                    "its file may not be written".to_owned(),
                ));
            }
            self.conn = conn;
        }
        set_up(&mut self.conn, self.synchronous)?;
        self.ready = true;
        Ok(())
    }

    /// Whether a change can be saved now, by saving one that leaves nothing behind.
    fn check(&mut self) -> Result<(), StoreError> {
        self.prepare()?;
        probe(&mut self.conn).map_err(StoreError::from)
    }

    /// [`Writer::check`], with the answer recorded.
    fn probe(&mut self) -> Result<(), StoreError> {
        let result = self.check();
        self.health.record(result.as_ref().map(drop));
        result
    }

    /// Commits `batch` (see [`commit`]); what it found is recorded. A commit that changed
    /// nothing (every write refused, or nothing new to archive) wrote nothing, so it says
    /// nothing of whether the store can write.
    fn commit(
        &mut self,
        batch: &[Job],
        recent: &Recent,
    ) -> Result<Vec<Result<u64, StoreError>>, StoreError> {
        let outcome = self.prepare().and_then(|()| {
            let before = self.conn.total_changes();
            let results = commit(&mut self.conn, batch, recent).map_err(|e| {
                tracing::error!(error = %e, writes = batch.len(), "store commit failed");
                StoreError::from(e)
            })?;
            if self.conn.total_changes() != before {
                self.health.record(Ok(()));
            }
            Ok(results)
        });
        if let Err(e) = &outcome {
            self.health.record(Err(e));
        }
        outcome
    }
}

/// The connection set up for the writer: write-ahead log, sync and cache, schema up to date.
fn set_up(conn: &mut Connection, synchronous: Synchronous) -> Result<(), StoreError> {
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Database(format!(
            "the database cannot use a write-ahead log (journal mode is {mode})"
        )));
    }
    conn.pragma_update(None, "synchronous", synchronous.pragma())?;
    conn.pragma_update(None, "mmap_size", MMAP_SIZE)?;
    conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
    conn.pragma_update(None, "wal_autocheckpoint", CHECKPOINT_PAGES)?;
    migrate(conn)
}

/// Stores [`PROBE_BYTES`] and deletes them again, in one committed transaction: like a
/// change, it needs pages to put them in and room in the log to commit, and it leaves
/// nothing behind but free pages, which later changes use.
fn probe(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    let tx = conn.transaction()?;
    // Not a migration: it holds nothing between probes, and an older stepwise opens a file
    // that has it all the same.
    tx.execute_batch("CREATE TABLE IF NOT EXISTS write_probe (bytes BLOB NOT NULL)")?;
    tx.execute(
        "INSERT INTO write_probe (bytes) VALUES (zeroblob(?1))",
        [PROBE_BYTES],
    )?;
    tx.execute("DELETE FROM write_probe", [])?;
    tx.commit()
}

/// Column `index` of `row`, read from JSON.
fn from_json<T: serde::de::DeserializeOwned>(
    row: &rusqlite::Row<'_>,
    index: usize,
) -> Result<T, rusqlite::Error> {
    let text: String = row.get(index)?;
    serde_json::from_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// Brings the schema up to date, in one transaction.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let applied: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let applied = usize::try_from(applied).unwrap_or(usize::MAX);
    if applied > MIGRATIONS.len() {
        return Err(StoreError::Database(format!(
            "the database was written by a newer stepwise (schema {applied}, this one knows {})",
            MIGRATIONS.len()
        )));
    }
    // Nothing to write: a store that cannot be written opens if it is up to date.
    if applied == MIGRATIONS.len() {
        return Ok(());
    }
    let tx = conn.transaction()?;
    for migration in &MIGRATIONS[applied..] {
        tx.execute_batch(migration)?;
    }
    tx.pragma_update(None, "user_version", MIGRATIONS.len() as i64)?;
    tx.commit()?;
    Ok(())
}

/// The writer thread: take every write waiting, commit them together, then acknowledge each.
/// A failed commit (the disk is full, the file became read-only) undoes the whole batch and
/// is reported to each writer; the thread carries on, so writes succeed again once the store
/// recovers.
fn write_loop(
    mut writer: Writer,
    mut rx: mpsc::Receiver<Message>,
    recent: &Recent,
    observer: Box<dyn CommitObserver>,
) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    let mut next = rx.blocking_recv();
    while let Some(message) = next.take() {
        match message {
            Message::Maintain(work) => {
                work(&mut writer.conn);
                next = rx.blocking_recv();
                continue;
            }
            Message::Probe(done) => {
                let result = match writer.health.failing() {
                    None => Ok(()),
                    // Probes asked for together are answered by the first.
                    Some(failing) if failing.checked.elapsed() < PROBE_EVERY => {
                        Err(StoreError::Unavailable(failing.reason))
                    }
                    Some(_) => writer.probe(),
                };
                let _ = done.send(result);
                next = rx.blocking_recv();
                continue;
            }
            Message::Write(job) => batch.push(job),
        }
        // Maintenance asked for while the batch was gathered waits until it is committed.
        let mut after = None;
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Message::Write(job)) => batch.push(job),
                Ok(maintain) => {
                    after = Some(maintain);
                    break;
                }
                Err(_) => break,
            }
        }
        let started = Instant::now();
        let outcome = writer.commit(&batch, recent);
        observer.observe_commit(batch.len(), started.elapsed());
        match outcome {
            Ok(results) => {
                for (job, result) in batch.drain(..).zip(results) {
                    if result.is_ok()
                        && let Write::Insert(session, ..) | Write::Update(session, ..) = job.write
                    {
                        recent.insert(session.id.clone(), session);
                    }
                    let _ = job.done.send(result);
                }
            }
            Err(error) => {
                for job in batch.drain(..) {
                    let _ = job.done.send(Err(error.clone()));
                }
            }
        }
        next = after.or_else(|| rx.blocking_recv());
    }
}

/// A write the database refused on its own (the others in the batch still commit), or a
/// failure that undoes the whole batch.
enum Refusal {
    Refused(StoreError),
    Fatal(rusqlite::Error),
}

/// Applies a batch in one transaction. A refused write (a conflict, a duplicate key) changes
/// nothing — SQLite undoes a failed statement only — so the others still commit.
fn commit(
    conn: &mut Connection,
    batch: &[Job],
    recent: &Recent,
) -> Result<Vec<Result<u64, StoreError>>, rusqlite::Error> {
    let tx = conn.transaction()?;
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        match apply(&tx, &job.write, recent) {
            Ok(count) => results.push(Ok(count)),
            Err(Refusal::Refused(e)) => results.push(Err(e)),
            Err(Refusal::Fatal(e)) => return Err(e),
        }
    }
    tx.commit()?;
    Ok(results)
}

/// Applies one write; returns how many sessions it removed.
fn apply(conn: &Connection, write: &Write, recent: &Recent) -> Result<u64, Refusal> {
    let details_json = |s: &SessionRecord| serde_json::to_string(&s.details).unwrap_or_default();
    let notes_json = |s: &SessionRecord| serde_json::to_string(&s.notes).unwrap_or_default();
    match write {
        Write::Insert(s, events, deliveries) => conn
            .prepare_cached(
                "INSERT INTO sessions (id, flow, version, status, walk, revision, created_at,
                                       updated_at, reference, details, feedback, notes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    s.id,
                    s.flow,
                    s.version,
                    s.status,
                    s.walk,
                    s.revision,
                    s.created_at,
                    s.updated_at,
                    s.reference,
                    details_json(s),
                    s.feedback,
                    notes_json(s)
                ])
            })
            .map_err(refusal)
            .and_then(|_| record(conn, events))
            .and_then(|_| enqueue(conn, deliveries)),
        Write::Update(s, expected, events, deliveries) => {
            // Indexed columns are set only when they change: setting them at every answer
            // would rewrite their index pages too. The reference goes first, so that a taken
            // reference is refused before anything else of the session changed.
            if s.reference.is_some() {
                conn.prepare_cached(
                    "UPDATE sessions SET reference = ?2
                     WHERE id = ?1 AND revision = ?3 AND reference IS NOT ?2",
                )
                .and_then(|mut stmt| stmt.execute(params![s.id, s.reference, expected]))
                .map_err(refusal)?;
            }
            let changed = conn
                .prepare_cached(
                    "UPDATE sessions SET status = ?2, walk = ?3, revision = ?4, updated_at = ?5,
                                         details = ?6, feedback = ?7, notes = ?9
                     WHERE id = ?1 AND revision = ?8",
                )
                .and_then(|mut stmt| {
                    stmt.execute(params![
                        s.id,
                        s.status,
                        s.walk,
                        s.revision,
                        s.updated_at,
                        details_json(s),
                        s.feedback,
                        expected,
                        notes_json(s)
                    ])
                })
                .map_err(refusal)?;
            if changed == 1 {
                record(conn, events)?;
                enqueue(conn, deliveries)
            } else {
                Err(Refusal::Refused(StoreError::Conflict))
            }
        }
        Write::Archive(flows) => {
            let now = super::now_millis();
            let mut stmt = conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO flow_versions (id, version, source, archived_at)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(Refusal::Fatal)?;
            for f in flows {
                stmt.execute(params![f.id, f.version, f.source, now])
                    .map_err(Refusal::Fatal)?;
            }
            Ok(0)
        }
        Write::Purge(cutoff) => purge(conn, *cutoff, recent).map_err(Refusal::Fatal),
        Write::Unfound(query, locale, at) => {
            count_unfound(conn, query, locale, *at).map_err(Refusal::Fatal)
        }
    }
}

/// Counts a search that found nothing: once more if the query is kept, else as a new one
/// while fewer than [`UNFOUND_SEARCHES_KEPT`] are.
fn count_unfound(
    conn: &Connection,
    query: &str,
    locale: &str,
    at: i64,
) -> Result<u64, rusqlite::Error> {
    let counted = conn
        .prepare_cached(
            "UPDATE unfound_searches
             SET count = count + 1, first_at = min(first_at, ?3), last_at = max(last_at, ?3)
             WHERE query = ?1 AND locale = ?2",
        )?
        .execute(params![query, locale, at])?;
    if counted == 0 {
        conn.prepare_cached(
            "INSERT INTO unfound_searches (query, locale, count, first_at, last_at)
             SELECT ?1, ?2, 1, ?3, ?3
             WHERE (SELECT count(*) FROM unfound_searches) < ?4",
        )?
        .execute(params![query, locale, at, UNFOUND_SEARCHES_KEPT])?;
    }
    Ok(0)
}

/// Appends a session's events.
fn record(conn: &Connection, events: &[Event]) -> Result<u64, Refusal> {
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO events (session, flow, version, kind, node, value, at, by_agent)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .map_err(Refusal::Fatal)?;
    for e in events {
        stmt.execute(params![
            e.session,
            e.flow,
            e.version,
            e.kind.as_str(),
            e.node,
            e.value,
            e.at,
            e.by == Party::Agent
        ])
        .map_err(Refusal::Fatal)?;
    }
    Ok(0)
}

/// The columns [`delivery_from`] reads, in its order.
const DELIVERY_COLUMNS: &str = "id, endpoint, kind, session, body, created_at, status, attempts,
     next_attempt_at, last_error, ticket_id, ticket_url";

fn delivery_from(row: &rusqlite::Row<'_>) -> Result<Delivery, rusqlite::Error> {
    let status: String = row.get(6)?;
    let ticket_id: Option<String> = row.get(10)?;
    Ok(Delivery {
        id: row.get(0)?,
        endpoint: row.get(1)?,
        kind: row.get(2)?,
        session: row.get(3)?,
        body: row.get(4)?,
        created_at: row.get(5)?,
        status: DeliveryStatus::parse(&status).unwrap_or(DeliveryStatus::Failed),
        attempts: row.get(7)?,
        next_attempt_at: row.get(8)?,
        last_error: row.get(9)?,
        ticket: match ticket_id {
            Some(id) => Some(Ticket {
                id,
                url: row.get(11)?,
            }),
            None => None,
        },
    })
}

/// Puts a change's webhook deliveries in the outbox.
fn enqueue(conn: &Connection, deliveries: &[Delivery]) -> Result<u64, Refusal> {
    if deliveries.is_empty() {
        return Ok(0);
    }
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO deliveries (id, endpoint, kind, session, body, created_at, status,
                                     next_attempt_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7)",
        )
        .map_err(Refusal::Fatal)?;
    for d in deliveries {
        stmt.execute(params![
            d.id,
            d.endpoint,
            d.kind,
            d.session,
            d.body,
            d.created_at,
            d.next_attempt_at
        ])
        .map_err(Refusal::Fatal)?;
    }
    Ok(0)
}

/// Deletes up to [`PURGE_BATCH`] sessions older than `cutoff` with their events, and drops
/// them from the cache of recent sessions (were the commit to fail, a dropped entry is only
/// read from the file again).
fn purge(conn: &Connection, cutoff: i64, recent: &Recent) -> Result<u64, rusqlite::Error> {
    let ids: Vec<String> = conn
        .prepare_cached(
            "DELETE FROM sessions WHERE seq IN (
                 SELECT seq FROM sessions WHERE created_at < ?1 AND updated_at < ?1 LIMIT ?2)
             RETURNING id",
        )?
        .query_map(params![cutoff, PURGE_BATCH], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let mut events = conn.prepare_cached("DELETE FROM events WHERE session = ?1")?;
    // A delivery holds what the customer gave: it goes with its session.
    let mut attempts = conn.prepare_cached(
        "DELETE FROM delivery_attempts WHERE delivery IN
             (SELECT id FROM deliveries WHERE session = ?1)",
    )?;
    let mut deliveries = conn.prepare_cached("DELETE FROM deliveries WHERE session = ?1")?;
    for id in &ids {
        events.execute([id])?;
        attempts.execute([id])?;
        deliveries.execute([id])?;
        recent.remove(id);
    }
    conn.prepare_cached("DELETE FROM unfound_searches WHERE last_at < ?1")?
        .execute([cutoff])?;
    Ok(ids.len() as u64)
}

fn refusal(e: rusqlite::Error) -> Refusal {
    match e.sqlite_error() {
        Some(err) if err.code == ErrorCode::ConstraintViolation => {
            let what = if e.to_string().contains("reference") {
                "escalation reference"
            } else {
                "session id"
            };
            Refusal::Refused(StoreError::Duplicate(what))
        }
        _ => Refusal::Fatal(e),
    }
}

/// Read-only connections, opened on demand and kept for reuse.
struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ReadPool {
    fn get(&self) -> Result<Connection, rusqlite::Error> {
        if let Some(conn) = self.idle.lock().ok().and_then(|mut idle| idle.pop()) {
            return Ok(conn);
        }
        let conn = Connection::open(&self.path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "query_only", true)?;
        conn.pragma_update(None, "mmap_size", MMAP_SIZE)?;
        Ok(conn)
    }

    fn put(&self, conn: Connection) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < IDLE_READERS
        {
            idle.push(conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use crate::Note;

    fn record(id: &str) -> SessionRecord {
        SessionRecord {
            id: id.into(),
            flow: "f".into(),
            version: "v1".into(),
            status: "active".into(),
            walk: "{}".into(),
            revision: 1,
            created_at: 1,
            updated_at: 1,
            reference: None,
            details: BTreeMap::new(),
            feedback: None,
            notes: Vec::new(),
        }
    }

    fn open(dir: &tempfile::TempDir) -> SqliteStore {
        SqliteStore::open(&dir.path().join("s.db"), Synchronous::Full, ()).unwrap()
    }

    #[tokio::test]
    async fn a_full_log_of_unfound_searches_counts_the_kept_ones_and_keeps_no_new_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        store.record_unfound_search("kept", "en", 1).await.unwrap();
        // Fill the log up to its limit in one statement.
        store
            .with_writer(|conn| {
                conn.execute(
                    "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
                     INSERT INTO unfound_searches (query, locale, count, first_at, last_at)
                     SELECT 'q' || i, 'en', 1, 1, 1 FROM n",
                    [crate::UNFOUND_SEARCHES_KEPT],
                )
            })
            .await
            .unwrap();
        store.record_unfound_search("new", "en", 2).await.unwrap();
        store.record_unfound_search("kept", "en", 3).await.unwrap();
        let all = store.unfound_searches(u32::MAX).await.unwrap();
        assert_eq!(all.len() as i64, crate::UNFOUND_SEARCHES_KEPT);
        assert!(all.iter().all(|u| u.query != "new"));
        assert_eq!((all[0].query.as_str(), all[0].count), ("kept", 2));
    }

    #[tokio::test]
    async fn notes_and_references_read_back_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = record("a");
        {
            let store = open(&dir);
            store.insert_session(s.clone(), Vec::new()).await.unwrap();
            let mut next = s.clone();
            next.revision = 2;
            next.reference = Some("SW-ABCDEFGH".into());
            next.notes.push(Note {
                at: 1,
                node: "start".into(),
                text: "Customer is on the app".into(),
            });
            store
                .update_session(next.clone(), 1, Vec::new())
                .await
                .unwrap();
            s = next;
        }
        let store = open(&dir);
        assert_eq!(store.session("a").await.unwrap(), Some(s));
        assert_eq!(
            store.session_by_reference("SW-ABCDEFGH").await.unwrap(),
            Some("a".to_owned())
        );
        assert_eq!(
            store.session_by_reference("SW-00000000").await.unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn a_session_reads_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let mut s = record("a");
        s.details.insert("coin".into(), "BTC".into());
        s.feedback = Some(true);
        store.insert_session(s.clone(), Vec::new()).await.unwrap();
        assert_eq!(store.session("a").await.unwrap(), Some(s));
        assert_eq!(store.session("b").await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_stale_update_is_a_conflict_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        store.insert_session(record("a"), Vec::new()).await.unwrap();
        let mut next = record("a");
        next.revision = 2;
        next.status = "resolved".into();
        store
            .update_session(next.clone(), 1, Vec::new())
            .await
            .unwrap();
        let mut stale = record("a");
        stale.revision = 2;
        stale.walk = "stale".into();
        assert!(matches!(
            store.update_session(stale, 1, Vec::new()).await,
            Err(StoreError::Conflict)
        ));
        assert_eq!(store.session("a").await.unwrap(), Some(next));
    }

    #[tokio::test]
    async fn a_taken_reference_is_refused_without_failing_other_writes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(open(&dir));
        for id in ["a", "b", "c"] {
            store.insert_session(record(id), Vec::new()).await.unwrap();
        }
        let with_ref = |id: &str| {
            let mut s = record(id);
            s.revision = 2;
            s.reference = Some("SW-SAME".into());
            s
        };
        let (first, second) = tokio::join!(
            store.update_session(with_ref("a"), 1, Vec::new()),
            store.update_session(with_ref("b"), 1, Vec::new())
        );
        assert!(first.is_ok() != second.is_ok(), "{first:?} {second:?}");
        let mut c = record("c");
        c.revision = 2;
        store.update_session(c, 1, Vec::new()).await.unwrap();
    }

    #[tokio::test]
    async fn concurrent_writes_all_commit() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(open(&dir));
        let writes = (0..200).map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .insert_session(record(&format!("s{i}")), Vec::new())
                    .await
            })
        });
        for w in writes.collect::<Vec<_>>() {
            w.await.unwrap().unwrap();
        }
        for i in 0..200 {
            assert!(store.session(&format!("s{i}")).await.unwrap().is_some());
        }
    }

    fn event(session: &str, kind: EventKind, node: &str, at: i64) -> Event {
        Event {
            session: session.into(),
            flow: "f".into(),
            version: "v1".into(),
            kind,
            node: node.into(),
            value: None,
            at,
            by: Party::Customer,
        }
    }

    #[tokio::test]
    async fn a_database_from_before_events_upgrades_and_keeps_its_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.execute_batch(MIGRATIONS[1]).unwrap();
            conn.pragma_update(None, "user_version", 2).unwrap();
            conn.execute(
                "INSERT INTO sessions (id, flow, version, status, walk, revision, created_at,
                                       updated_at, details)
                 VALUES ('old', 'f', 'v1', 'active', '{}', 1, 1, 1, '{}')",
                [],
            )
            .unwrap();
        }
        let store = open(&dir);
        assert!(store.session("old").await.unwrap().is_some());
        store
            .insert_session(
                record("a"),
                vec![event("a", EventKind::Started, "start", 5)],
            )
            .await
            .unwrap();
        assert_eq!(store.events("f", 0, 10, None).await.unwrap().len(), 1);
        assert_eq!(store.purge(2).await.unwrap(), 2);
    }

    /// The store at `path`, opened through a URI that makes SQLite open it read-only, as it
    /// does a file it may not write.
    fn open_read_only(path: &Path) -> Result<SqliteStore, StoreError> {
        let uri = format!("file:{}?mode=ro", path.display());
        SqliteStore::open(Path::new(&uri), Synchronous::Full, ())
    }

    #[tokio::test]
    async fn a_store_that_cannot_be_written_opens_for_reading_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        drop(open(&dir).insert_session(record("a"), Vec::new()).await);
        let store = open_read_only(&path).unwrap();
        assert_eq!(store.session("a").await.unwrap(), Some(record("a")));
        store.ping().await.unwrap();
        let refused = store.insert_session(record("b"), Vec::new()).await;
        assert!(
            matches!(refused, Err(StoreError::Unavailable(_))),
            "{refused:?}"
        );
        let Err(StoreError::Unavailable(reason)) = store.writable().await else {
            panic!("a read-only store says it is writable");
        };
        assert_eq!(reason, "its file may not be written");
    }

    #[tokio::test]
    async fn a_commit_that_wrote_nothing_does_not_make_a_failing_store_writable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let store = open(&dir);
        store
            .with_writer(move |conn| {
                *conn =
                    Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
                Ok(())
            })
            .await
            .unwrap();
        let refused = store.insert_session(record("a"), Vec::new()).await;
        assert!(
            matches!(refused, Err(StoreError::Unavailable(_))),
            "{refused:?}"
        );
        store.archive_flows(Vec::new()).await.unwrap();
        let still = store.writable().await;
        assert!(
            matches!(&still, Err(StoreError::Unavailable(r)) if r == "it is read-only"),
            "{still:?}"
        );
    }

    #[tokio::test]
    async fn a_store_that_must_be_upgraded_and_cannot_be_written_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "journal_mode", "WAL").unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
        }
        let refused = open_read_only(&path).err().map(|e| e.to_string());
        assert!(
            refused
                .as_deref()
                .is_some_and(|e| e.contains("must be upgraded")),
            "{refused:?}"
        );
    }

    #[tokio::test]
    async fn a_store_that_cannot_be_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(open_read_only(&dir.path().join("missing.db")).is_err());
    }

    #[tokio::test]
    async fn a_full_store_says_so_until_space_is_made_then_recovers_by_itself() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        store.writable().await.unwrap();
        store
            .with_writer(|conn| {
                let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
                conn.pragma_update(None, "max_page_count", pages)
            })
            .await
            .unwrap();
        let big = |i: usize| {
            let mut s = record(&format!("s{i}"));
            s.walk = "x".repeat(10_000);
            s
        };
        let mut i = 0;
        let refused = loop {
            i += 1;
            assert!(i < 1_000, "the store never filled up");
            if let Err(e) = store.insert_session(big(i), Vec::new()).await {
                break e;
            }
        };
        assert!(matches!(&refused, StoreError::Unavailable(r) if r == "it is full"));
        let full = || async {
            matches!(store.writable().await, Err(StoreError::Unavailable(r)) if r == "it is full")
        };
        assert!(full().await);
        // Probed again, it is still full: the probe needs the room a change needs.
        tokio::time::sleep(PROBE_EVERY).await;
        assert!(full().await);

        store
            .with_writer(|conn| conn.pragma_update(None, "max_page_count", 1_073_741_823))
            .await
            .unwrap();
        tokio::time::sleep(PROBE_EVERY).await;
        store.writable().await.unwrap();
        store.insert_session(big(i), Vec::new()).await.unwrap();
    }

    #[tokio::test]
    async fn data_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = open(&dir);
            store.insert_session(record("a"), Vec::new()).await.unwrap();
            store
                .archive_flows(vec![ArchivedFlow {
                    id: "f".into(),
                    version: "v1".into(),
                    source: "Flow()".into(),
                }])
                .await
                .unwrap();
        }
        let store = open(&dir);
        assert!(store.session("a").await.unwrap().is_some());
        assert_eq!(
            store.archived_flow("f", "v1").await.unwrap().as_deref(),
            Some("Flow()")
        );
        assert_eq!(store.archived_flow("f", "v2").await.unwrap(), None);
        store.ping().await.unwrap();
    }
}
