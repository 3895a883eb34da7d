//! Where sessions and flow versions are kept: the [`Store`] trait, the records it holds,
//! and the `--store` setting that picks an implementation.
//!
//! The server talks to the trait only: [`sqlite`] for one process, [`postgres`] for several
//! sharing one database.

pub mod postgres;
pub mod sqlite;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

/// One customer's session as stored: the walk as JSON plus what operators query on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Random, unguessable id.
    pub id: String,
    /// The flow the session started on.
    pub flow: String,
    /// The version of that flow the session is pinned to.
    pub version: String,
    /// `active`, `resolved`, `escalated` or `done`.
    pub status: String,
    /// The engine's walk, serialized as JSON.
    pub walk: String,
    /// Bumped by every change; a write names the revision it read (optimistic concurrency).
    pub revision: i64,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Milliseconds since the Unix epoch.
    pub updated_at: i64,
    /// The escalation reference support sees, once details were submitted.
    pub reference: Option<String>,
    /// The details collected at an escalation.
    pub details: BTreeMap<String, String>,
    /// Whether the customer said the outcome helped.
    pub feedback: Option<bool>,
    /// Notes support staff added while following the session, oldest first.
    pub notes: Vec<Note>,
}

/// A note an agent added to a session at one step.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Note {
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    /// The node the session stood on.
    pub node: String,
    /// What the agent wrote (plain text).
    pub text: String,
}

/// The source text of one version of one flow, kept so sessions pinned to it can finish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedFlow {
    /// The flow id.
    pub id: String,
    /// The content version.
    pub version: String,
    /// The RON text as the writer wrote it.
    pub source: String,
}

/// A search that found no flow, counted per query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnfoundSearch {
    /// What was searched for, as the server normalised it.
    pub query: String,
    /// The language searched in.
    pub locale: String,
    /// How many times it was searched for.
    pub count: i64,
    /// When it was first searched for, in milliseconds since the Unix epoch.
    pub first_at: i64,
    /// When it was last searched for.
    pub last_at: i64,
}

/// Distinct unfound searches a store keeps: once it holds this many, a query it holds is
/// still counted but a new one is not kept, so a flood of distinct queries cannot grow it
/// without bound. Retention ([`Store::purge`]) makes room again.
pub const UNFOUND_SEARCHES_KEPT: i64 = 10_000;

/// What happened to a session, as recorded for the figures a flow's owner reads.
///
/// A session writes its events in the same transaction as the change that caused them, so
/// the figures never count a move the session does not hold, nor miss one it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The session's id.
    pub session: String,
    /// The flow the session started on (a linked flow's steps count for the one started).
    pub flow: String,
    /// The version of that flow the session is pinned to.
    pub version: String,
    /// What happened.
    pub kind: EventKind,
    /// Where the session stands after the event: a node id of `flow`, or `other-flow/node`
    /// for a node reached through a link.
    pub node: String,
    /// The answer id for `answered`, the target node for `jumped`, the remedy id for
    /// `resolved` by a remedy, `yes` or `no` for `helpful`; else nothing.
    pub value: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    /// Who made the move: the customer on their own, or an agent.
    pub by: Party,
}

/// Who made a session's move: the figures count customers' own sessions apart from what
/// agents do for callers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Party {
    /// The customer, on the help centre or through the API.
    #[default]
    Customer,
    /// An agent, in the console.
    Agent,
}

impl Party {
    /// The party a stored `by_agent` flag names.
    pub fn from_agent(by_agent: bool) -> Party {
        if by_agent {
            Party::Agent
        } else {
            Party::Customer
        }
    }

    /// The name shown in figures and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Party::Customer => "customer",
            Party::Agent => "agent",
        }
    }
}

/// The kinds of [`Event`], stored as their lowercase names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// The session started and stands on its first step.
    Started,
    /// The customer answered the step they stood on.
    Answered,
    /// An agent jumped to another node.
    Jumped,
    /// The last answer was undone.
    Back,
    /// The session went back to its first step.
    Restarted,
    /// The session reached a resolved outcome (by a remedy, when `value` names one).
    Resolved,
    /// The session reached an escalation.
    Escalated,
    /// The session reached a done outcome.
    Done,
    /// The customer said whether the outcome helped.
    Helpful,
}

impl EventKind {
    /// Every kind, in the order above.
    pub const ALL: [EventKind; 9] = [
        EventKind::Started,
        EventKind::Answered,
        EventKind::Jumped,
        EventKind::Back,
        EventKind::Restarted,
        EventKind::Resolved,
        EventKind::Escalated,
        EventKind::Done,
        EventKind::Helpful,
    ];

    /// The name stored.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Started => "started",
            EventKind::Answered => "answered",
            EventKind::Jumped => "jumped",
            EventKind::Back => "back",
            EventKind::Restarted => "restarted",
            EventKind::Resolved => "resolved",
            EventKind::Escalated => "escalated",
            EventKind::Done => "done",
            EventKind::Helpful => "helpful",
        }
    }

    /// The kind stored as `name`, if it is one.
    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// A webhook delivery in the outbox: written in the transaction of the change that causes
/// it, sent after commit, retried until it is delivered or given up on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The `webhook-id`: the same on every attempt, so a receiver can drop repeats.
    pub id: String,
    /// The URL it is sent to.
    pub endpoint: String,
    /// The event type, such as `session.escalated`.
    pub kind: String,
    /// The session it is about.
    pub session: String,
    /// The JSON body, sent and signed exactly as stored.
    pub body: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: i64,
    /// When it is next due (while pending), in milliseconds since the Unix epoch.
    pub next_attempt_at: i64,
    /// What the last failed attempt met.
    pub last_error: Option<String>,
    /// The ticket the receiver answered with, if it did.
    pub ticket: Option<Ticket>,
}

/// Where a [`Delivery`] stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// The receiver took it (a 2xx answer).
    Delivered,
    /// Every attempt failed; it waits for someone to send it again.
    Failed,
}

impl DeliveryStatus {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    /// The status stored as `name`, if it is one.
    pub fn parse(name: &str) -> Option<DeliveryStatus> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Delivered,
            DeliveryStatus::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}

/// A helpdesk ticket a webhook receiver opened for a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// The ticket's id in the helpdesk, as the customer and agents may quote it.
    pub id: String,
    /// Where agents open it, if the receiver said.
    pub url: Option<String>,
}

/// One attempt to send a [`Delivery`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The delivery's id.
    pub delivery: String,
    /// When it was made, in milliseconds since the Unix epoch.
    pub at: i64,
    /// What came of it: `HTTP 200`, `HTTP 503`, `timed out`, `connection refused`…
    pub outcome: String,
    /// How long it took, in milliseconds.
    pub took_ms: i64,
}

/// What an attempt leaves a delivery as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResult {
    /// Taken, with the ticket the receiver answered with, if any.
    Delivered(Option<Ticket>),
    /// Not taken; tried again from this time on.
    RetryAt(i64),
    /// Not taken, and given up on until someone sends it again.
    Failed,
}

/// What a store can fail with.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The record changed since it was read.
    #[error("the session changed since it was read")]
    Conflict,
    /// A session with this id, or this escalation reference, exists already.
    #[error("duplicate {0}")]
    Duplicate(&'static str),
    /// The store is shutting down or its writer stopped.
    #[error("the store is closed")]
    Closed,
    /// The store cannot take the change now, for a reason outside the request (it is full,
    /// read-only, locked by another program, or its disk fails); the same request may succeed
    /// once the store recovers; or the database cannot be reached now (it is down, or every
    /// connection is busy). Nothing of the change was kept.
    #[error("the store cannot save changes now: {0}")]
    Unavailable(String),
    /// The database said no.
    #[error("database error: {0}")]
    Database(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        use rusqlite::ErrorCode;
        let reason = match e.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => "it is full",
            Some(ErrorCode::ReadOnly) => "it is read-only",
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                "another program holds its lock"
            }
            Some(ErrorCode::SystemIoFailure | ErrorCode::CannotOpen) => {
                "its file cannot be read or written"
            }
            Some(ErrorCode::PermissionDenied) => "its file may not be written",
            _ => return StoreError::Database(e.to_string()),
        };
        StoreError::Unavailable(reason.to_owned())
    }
}

/// Durable storage of sessions, their events and flow versions.
///
/// Every write returns only once it is durable to the degree the store was configured for,
/// so a handler may acknowledge a change as soon as the write returns.
///
/// Events are written with the session change that caused them, in one transaction: either
/// both are stored or neither is (a refused write stores no events).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Stores a new session and its `events`; [`StoreError::Duplicate`] if the id is taken
    /// (and then no event is stored).
    async fn insert_session(
        &self,
        session: SessionRecord,
        events: Vec<Event>,
    ) -> Result<(), StoreError> {
        self.insert_session_with(session, events, Vec::new()).await
    }

    /// [`Store::insert_session`], with webhook `deliveries` put in the outbox in the same
    /// transaction: either the session and all of them are stored, or none.
    async fn insert_session_with(
        &self,
        session: SessionRecord,
        events: Vec<Event>,
        deliveries: Vec<Delivery>,
    ) -> Result<(), StoreError>;

    /// Replaces a session if it is still at `expected_revision`, else [`StoreError::Conflict`];
    /// [`StoreError::Duplicate`] if its escalation reference is taken by another session.
    /// `events` are appended, after the session's earlier events, only if the session was
    /// replaced.
    async fn update_session(
        &self,
        session: SessionRecord,
        expected_revision: i64,
        events: Vec<Event>,
    ) -> Result<(), StoreError> {
        self.update_session_with(session, expected_revision, events, Vec::new())
            .await
    }

    /// [`Store::update_session`], with webhook `deliveries` put in the outbox in the same
    /// transaction, only if the session was replaced.
    async fn update_session_with(
        &self,
        session: SessionRecord,
        expected_revision: i64,
        events: Vec<Event>,
        deliveries: Vec<Delivery>,
    ) -> Result<(), StoreError>;

    /// Takes up to `limit` pending deliveries due at `now`, oldest first, and holds them until
    /// `lease_until`: no other caller, in this process or another sharing the database, is
    /// given them before then. A delivery whose sender died is given out again once its
    /// lease ends.
    async fn claim_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError>;

    /// Records an attempt and what it leaves its delivery as.
    async fn finish_attempt(
        &self,
        attempt: Attempt,
        result: AttemptResult,
    ) -> Result<(), StoreError>;

    /// Deliveries, newest first, only those of `status` when one is given.
    async fn deliveries(
        &self,
        status: Option<DeliveryStatus>,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError>;

    /// A delivery's attempts, oldest first.
    async fn attempts(&self, delivery: &str) -> Result<Vec<Attempt>, StoreError>;

    /// Makes a failed (or pending) delivery due again at `now`; whether there was one.
    async fn retry_delivery(&self, id: &str, now: i64) -> Result<bool, StoreError>;

    /// When the next pending delivery is due, if any is.
    async fn next_delivery_at(&self) -> Result<Option<i64>, StoreError>;

    /// Active sessions that started at or after `from` and last changed before `to`, that no
    /// `session.abandoned` delivery names yet: up to `limit`, longest idle first.
    async fn idle_sessions(
        &self,
        from: i64,
        to: i64,
        limit: usize,
    ) -> Result<Vec<String>, StoreError>;

    /// Puts `deliveries` in the outbox on their own (no session change causes them); one
    /// whose id is there already is left as it is, so putting it twice sends it once.
    async fn enqueue_deliveries(&self, deliveries: Vec<Delivery>) -> Result<(), StoreError>;

    /// The latest ticket a receiver opened for `session`.
    async fn ticket(&self, session: &str) -> Result<Option<Ticket>, StoreError>;

    /// Every event of every session of `flow` that started in `[from, to)` (by the `at` of
    /// its `started` event), and only sessions pinned to `version` when one is given. Events
    /// of such a session after `to` are included. Ordered by session start (ties by session
    /// id), then within a session in the order they were written.
    async fn events(
        &self,
        flow: &str,
        from: i64,
        to: i64,
        version: Option<&str>,
    ) -> Result<Vec<Event>, StoreError>;

    /// Deletes every session that started before `cutoff` and last changed before it, with
    /// all its events; returns how many sessions went. Sessions are gone for good: a later
    /// read of one finds nothing. Unfound searches last searched for before `cutoff` go too.
    async fn purge(&self, cutoff: i64) -> Result<u64, StoreError>;

    /// Counts one more search for `query` in `locale` that found nothing, at `at` (see
    /// [`UNFOUND_SEARCHES_KEPT`]).
    async fn record_unfound_search(
        &self,
        query: &str,
        locale: &str,
        at: i64,
    ) -> Result<(), StoreError>;

    /// The searches that found nothing, most counted first (ties: the latest first), at most
    /// `limit` of them.
    async fn unfound_searches(&self, limit: u32) -> Result<Vec<UnfoundSearch>, StoreError>;

    /// A session by id.
    async fn session(&self, id: &str) -> Result<Option<SessionRecord>, StoreError>;

    /// The id of the session with escalation reference `reference`.
    async fn session_by_reference(&self, reference: &str) -> Result<Option<String>, StoreError>;

    /// Records flow versions; versions already recorded are left as they are.
    async fn archive_flows(&self, flows: Vec<ArchivedFlow>) -> Result<(), StoreError>;

    /// The source of one version of a flow, if it was ever recorded.
    async fn archived_flow(&self, id: &str, version: &str) -> Result<Option<String>, StoreError>;

    /// Whether the store answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Whether the store can save changes now: [`StoreError::Unavailable`] with the reason
    /// when it cannot (full, read-only, failing disk), even though it may still answer reads.
    ///
    /// Cheap while writes succeed: a store says what its last commit found and checks again,
    /// with a small write of its own, only while it is failing, so asking is also how it
    /// notices that it recovered. Stores that cannot tell (PostgreSQL, whose `ping` covers a
    /// database that is down) say yes.
    async fn writable(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Told of every commit a store makes, for the operator's figures. The store knows nothing
/// of how they are kept or shown.
pub trait CommitObserver: Send + Sync + 'static {
    /// One transaction of `writes` writes was committed, in `took` (sync included).
    fn observe_commit(&self, writes: usize, took: Duration);
}

/// Nobody is told.
impl CommitObserver for () {
    fn observe_commit(&self, _writes: usize, _took: Duration) {}
}

/// How much an SQLite commit survives before it is acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// Sync the write-ahead log at every commit: survives a crash of the process and a loss
    /// of power.
    #[default]
    Full,
    /// Sync only at checkpoints: survives a crash of the process; a loss of power may lose
    /// the last commits (the database stays consistent).
    Normal,
    /// Never sync: survives a crash of the process; a loss of power may corrupt the database.
    Off,
}

impl Synchronous {
    /// The value of SQLite's `PRAGMA synchronous`.
    pub fn pragma(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
            Synchronous::Off => "OFF",
        }
    }
}

/// The `--store` setting: which store, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// An SQLite file, created on first use: `sqlite://PATH[?synchronous=full|normal|off]`.
    Sqlite {
        path: PathBuf,
        synchronous: Synchronous,
    },
    /// A PostgreSQL URL: `postgres://USER@HOST:PORT/DB[?pool_size=N&…]`, shared by every
    /// instance.
    Postgres(String),
}

/// Why a `--store` value was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StoreConfigError {
    #[error(
        "`{0}` is not a store URL; expected `sqlite://PATH[?synchronous=full|normal|off]` or `postgres://…`"
    )]
    Scheme(String),
    #[error("`{0}` names no file; expected `sqlite://PATH`")]
    EmptyPath(String),
    #[error("unknown store option `{0}`; the SQLite store takes `synchronous=full|normal|off`")]
    Option(String),
}

impl FromStr for StoreConfig {
    type Err = StoreConfigError;

    fn from_str(url: &str) -> Result<StoreConfig, StoreConfigError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(StoreConfig::Postgres(url.to_owned()));
        }
        let rest = url
            .strip_prefix("sqlite://")
            .ok_or_else(|| StoreConfigError::Scheme(url.to_owned()))?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if path.is_empty() {
            return Err(StoreConfigError::EmptyPath(url.to_owned()));
        }
        let mut synchronous = Synchronous::default();
        for option in query.split('&').filter(|o| !o.is_empty()) {
            synchronous = match option.to_ascii_lowercase().as_str() {
                "synchronous=full" => Synchronous::Full,
                "synchronous=normal" => Synchronous::Normal,
                "synchronous=off" => Synchronous::Off,
                _ => return Err(StoreConfigError::Option(option.to_owned())),
            };
        }
        Ok(StoreConfig::Sqlite {
            path: PathBuf::from(path),
            synchronous,
        })
    }
}

impl fmt::Display for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreConfig::Sqlite { path, synchronous } => write!(
                f,
                "sqlite://{}?synchronous={}",
                path.display(),
                synchronous.pragma().to_ascii_lowercase()
            ),
            // A URL may carry a password; never print it.
            StoreConfig::Postgres(_) => f.write_str("postgres://…"),
        }
    }
}

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open the PostgreSQL store: {0}")]
    Postgres(String),
    #[error("cannot open the store at {path}: {cause}")]
    Sqlite { path: PathBuf, cause: String },
}

impl StoreConfig {
    /// Opens (and if need be creates or migrates) the store this setting names.
    pub async fn open(&self, observer: impl CommitObserver) -> Result<Arc<dyn Store>, OpenError> {
        match self {
            StoreConfig::Sqlite { path, synchronous } => {
                let store =
                    sqlite::SqliteStore::open(path, *synchronous, observer).map_err(|e| {
                        OpenError::Sqlite {
                            path: path.clone(),
                            cause: e.to_string(),
                        }
                    })?;
                Ok(Arc::new(store))
            }
            StoreConfig::Postgres(url) => {
                let store = postgres::PostgresStore::open(url, observer)
                    .await
                    .map_err(|e| OpenError::Postgres(e.to_string()))?;
                Ok(Arc::new(store))
            }
        }
    }
}

/// Milliseconds since the Unix epoch, as timestamps are stored.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_url_names_a_file_and_defaults_to_full_sync() {
        assert_eq!(
            "sqlite://stepwise.db".parse(),
            Ok(StoreConfig::Sqlite {
                path: PathBuf::from("stepwise.db"),
                synchronous: Synchronous::Full
            })
        );
        assert_eq!(
            "sqlite:///var/lib/stepwise/s.db?synchronous=normal".parse(),
            Ok(StoreConfig::Sqlite {
                path: PathBuf::from("/var/lib/stepwise/s.db"),
                synchronous: Synchronous::Normal
            })
        );
    }

    #[test]
    fn postgres_url_is_recognised_and_its_password_never_shown() {
        let config: StoreConfig = "postgres://u:secret@db/stepwise".parse().unwrap();
        assert_eq!(
            config,
            StoreConfig::Postgres("postgres://u:secret@db/stepwise".into())
        );
        assert_eq!(config.to_string(), "postgres://…");
    }

    #[test]
    fn other_urls_are_refused() {
        assert!(matches!(
            "mysql://x".parse::<StoreConfig>(),
            Err(StoreConfigError::Scheme(_))
        ));
        assert!(matches!(
            "sqlite://".parse::<StoreConfig>(),
            Err(StoreConfigError::EmptyPath(_))
        ));
        assert!(matches!(
            "sqlite://a.db?cache=shared".parse::<StoreConfig>(),
            Err(StoreConfigError::Option(_))
        ));
    }
}
