//! One test suite for every store: each test below runs once against a real SQLite file and
//! once against a real PostgreSQL database of its own, so both keep the same promises.

use crate::support;

use std::collections::BTreeMap;
use std::sync::Arc;

use stepwise_app::metrics::StoreMetrics;
use stepwise_store::postgres::PostgresStore;
use stepwise_store::sqlite::SqliteStore;
use stepwise_store::{
    ArchivedFlow, Attempt, AttemptResult, Delivery, DeliveryStatus, Event, EventKind, Note, Party,
    SessionRecord, Store, StoreError, Synchronous, Ticket, UnfoundSearch,
};
use support::postgres::TestDatabase;

/// Where a test's data lives; `open` may be called again to reopen the same data.
trait Backend {
    async fn open(&self) -> Arc<dyn Store>;

    /// A second store on the same data, as a second server process would have, where the
    /// backend allows several processes; else `first` again.
    async fn open_beside(&self, first: &Arc<dyn Store>) -> Arc<dyn Store>;
}

struct Sqlite(tempfile::TempDir);

impl Sqlite {
    async fn new() -> Sqlite {
        Sqlite(tempfile::tempdir().unwrap())
    }
}

impl Backend for Sqlite {
    async fn open(&self) -> Arc<dyn Store> {
        let path = self.0.path().join("stepwise.db");
        Arc::new(SqliteStore::open(&path, Synchronous::Full, StoreMetrics::default()).unwrap())
    }

    async fn open_beside(&self, first: &Arc<dyn Store>) -> Arc<dyn Store> {
        // One process writes an SQLite file.
        Arc::clone(first)
    }
}

struct Postgres(TestDatabase);

impl Postgres {
    /// `None` when the test is skipped: no PostgreSQL to test against.
    async fn new() -> Option<Postgres> {
        TestDatabase::create_or_skip().await.map(Postgres)
    }
}

impl Backend for Postgres {
    async fn open(&self) -> Arc<dyn Store> {
        Arc::new(
            PostgresStore::open(&self.0.url, StoreMetrics::default())
                .await
                .unwrap(),
        )
    }

    async fn open_beside(&self, _: &Arc<dyn Store>) -> Arc<dyn Store> {
        self.open().await
    }
}

/// Runs every listed test against each backend: `sqlite::NAME` and `postgres::NAME`.
macro_rules! store_suite {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test(super::Sqlite::new().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    let Some(backend) = super::Postgres::new().await else {
                        return;
                    };
                    super::$test(backend).await;
                }
            )*
        }
    };
}

store_suite!(
    a_session_reads_back_as_written,
    an_unknown_session_is_none,
    a_taken_session_id_is_a_duplicate,
    an_update_names_the_revision_it_read,
    a_stale_update_is_a_conflict_and_changes_nothing,
    an_update_of_an_unknown_session_is_a_conflict,
    of_racing_updates_from_one_revision_exactly_one_wins,
    a_taken_reference_is_refused_without_failing_other_writes,
    concurrent_inserts_all_commit,
    everything_survives_reopening,
    a_flow_version_is_archived_once,
    the_store_answers_a_ping,
    events_are_written_with_their_session_and_read_by_start,
    purge_removes_old_sessions_and_their_events_and_keeps_the_rest,
    purge_goes_through_more_sessions_than_one_batch,
    a_delivery_is_written_only_with_the_change_that_causes_it,
    a_claimed_delivery_is_leased_to_one_sender_until_its_lease_ends,
    attempts_are_recorded_and_a_failed_delivery_can_be_sent_again,
    purge_takes_a_sessions_deliveries_with_it,
    idle_sessions_are_found_once_and_a_delivery_put_twice_is_kept_once,
    unfound_searches_are_counted_per_query_and_language,
    purge_forgets_unfound_searches_not_made_since_the_cutoff,
);

fn record(id: &str) -> SessionRecord {
    SessionRecord {
        id: id.into(),
        flow: "router-down".into(),
        version: "v1".into(),
        status: "active".into(),
        walk: r#"{"trail":[]}"#.into(),
        revision: 1,
        created_at: 1_700_000_000_000,
        updated_at: 1_700_000_000_000,
        reference: None,
        details: BTreeMap::new(),
        feedback: None,
        notes: Vec::new(),
    }
}

/// `session` moved on by one revision.
fn next(session: &SessionRecord, walk: &str) -> SessionRecord {
    SessionRecord {
        revision: session.revision + 1,
        walk: walk.into(),
        updated_at: session.updated_at + 1,
        ..session.clone()
    }
}

async fn a_session_reads_back_as_written(backend: impl Backend) {
    let store = backend.open().await;
    let mut s = record("a");
    s.details.insert("coin".into(), "BTC".into());
    s.details
        .insert("txid".into(), "ünïcode ✓ \"quoted\"".into());
    s.feedback = Some(false);
    s.notes.push(Note {
        at: 5,
        node: "lights".into(),
        text: "Customer is on the app".into(),
    });
    store.insert_session(s.clone(), Vec::new()).await.unwrap();
    assert_eq!(store.session("a").await.unwrap(), Some(s));
}

async fn an_unknown_session_is_none(backend: impl Backend) {
    let store = backend.open().await;
    store.insert_session(record("a"), Vec::new()).await.unwrap();
    assert_eq!(store.session("b").await.unwrap(), None);
    assert_eq!(store.session_by_reference("SW-NONE").await.unwrap(), None);
}

async fn a_taken_session_id_is_a_duplicate(backend: impl Backend) {
    let store = backend.open().await;
    store.insert_session(record("a"), Vec::new()).await.unwrap();
    let mut again = record("a");
    again.flow = "other".into();
    assert!(matches!(
        store.insert_session(again, Vec::new()).await,
        Err(StoreError::Duplicate("session id"))
    ));
    assert_eq!(store.session("a").await.unwrap(), Some(record("a")));
}

async fn an_update_names_the_revision_it_read(backend: impl Backend) {
    let store = backend.open().await;
    let first = record("a");
    store
        .insert_session(first.clone(), Vec::new())
        .await
        .unwrap();
    let mut second = next(&first, "second");
    second.status = "resolved".into();
    second.feedback = Some(true);
    store
        .update_session(second.clone(), 1, Vec::new())
        .await
        .unwrap();
    let third = next(&second, "third");
    store
        .update_session(third.clone(), 2, Vec::new())
        .await
        .unwrap();
    assert_eq!(store.session("a").await.unwrap(), Some(third));
}

async fn a_stale_update_is_a_conflict_and_changes_nothing(backend: impl Backend) {
    let store = backend.open().await;
    let first = record("a");
    store
        .insert_session(first.clone(), Vec::new())
        .await
        .unwrap();
    let winner = next(&first, "winner");
    store
        .update_session(winner.clone(), 1, Vec::new())
        .await
        .unwrap();
    let mut stale = next(&first, "stale");
    stale.reference = Some("SW-STALE".into());
    assert!(matches!(
        store.update_session(stale, 1, Vec::new()).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(store.session("a").await.unwrap(), Some(winner));
    assert_eq!(store.session_by_reference("SW-STALE").await.unwrap(), None);
}

async fn an_update_of_an_unknown_session_is_a_conflict(backend: impl Backend) {
    let store = backend.open().await;
    assert!(matches!(
        store
            .update_session(next(&record("ghost"), "x"), 1, Vec::new())
            .await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(store.session("ghost").await.unwrap(), None);
}

async fn of_racing_updates_from_one_revision_exactly_one_wins(backend: impl Backend) {
    let store = backend.open().await;
    let beside = backend.open_beside(&store).await;
    let started = event("a", EventKind::Started, "lights", 100);
    store
        .insert_session(record("a"), vec![started])
        .await
        .unwrap();
    let racers: Vec<_> = (0..32)
        .map(|i| {
            let store = Arc::clone(if i % 2 == 0 { &store } else { &beside });
            tokio::spawn(async move {
                let attempt = next(&record("a"), &format!("racer {i}"));
                let mut answered = event("a", EventKind::Answered, "lights", 101);
                answered.value = Some(format!("racer {i}"));
                store
                    .update_session(attempt, 1, vec![answered])
                    .await
                    .map(|()| i)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for racer in racers {
        match racer.await.unwrap() {
            Ok(i) => winners.push(i),
            Err(StoreError::Conflict) => {}
            Err(e) => panic!("a racer failed otherwise: {e}"),
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    let stored = store.session("a").await.unwrap().unwrap();
    assert_eq!(stored.revision, 2);
    assert_eq!(stored.walk, format!("racer {}", winners[0]));
    // Only the winner's event was stored with it.
    let events = store.events("router-down", 0, 200, None).await.unwrap();
    let answers: Vec<_> = events
        .iter()
        .filter(|e| e.kind == EventKind::Answered)
        .map(|e| e.value.clone())
        .collect();
    assert_eq!(answers, vec![Some(format!("racer {}", winners[0]))]);
}

async fn a_taken_reference_is_refused_without_failing_other_writes(backend: impl Backend) {
    let store = backend.open().await;
    for id in ["a", "b", "c"] {
        store.insert_session(record(id), Vec::new()).await.unwrap();
    }
    let with_reference = |id: &str| {
        let mut s = next(&record(id), "escalated");
        s.reference = Some("SW-SAME".into());
        s
    };
    let (first, second) = tokio::join!(
        store.update_session(with_reference("a"), 1, Vec::new()),
        store.update_session(with_reference("b"), 1, Vec::new())
    );
    let refused = match (&first, &second) {
        (Ok(()), Err(e)) | (Err(e), Ok(())) => e,
        _ => panic!("exactly one may take the reference: {first:?} {second:?}"),
    };
    assert!(
        matches!(refused, StoreError::Duplicate("escalation reference")),
        "{refused:?}"
    );
    let holder = if first.is_ok() { "a" } else { "b" };
    assert_eq!(
        store.session_by_reference("SW-SAME").await.unwrap(),
        Some(holder.to_owned())
    );
    // The refused session is as it was, and the other writes go on.
    let loser = if first.is_ok() { "b" } else { "a" };
    assert_eq!(store.session(loser).await.unwrap(), Some(record(loser)));
    let c = next(&record("c"), "moved");
    store
        .update_session(c.clone(), 1, Vec::new())
        .await
        .unwrap();
    assert_eq!(store.session("c").await.unwrap(), Some(c));
}

async fn concurrent_inserts_all_commit(backend: impl Backend) {
    let store = backend.open().await;
    let writes: Vec<_> = (0..200)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .insert_session(record(&format!("s{i}")), Vec::new())
                    .await
            })
        })
        .collect();
    for write in writes {
        write.await.unwrap().unwrap();
    }
    for i in 0..200 {
        assert!(store.session(&format!("s{i}")).await.unwrap().is_some());
    }
}

async fn everything_survives_reopening(backend: impl Backend) {
    let mut s = next(&record("a"), "escalated");
    s.status = "escalated".into();
    s.reference = Some("SW-ABCDEFGH".into());
    s.details.insert("uid".into(), "4242".into());
    s.notes.push(Note {
        at: 7,
        node: "support".into(),
        text: "Called back".into(),
    });
    {
        let store = backend.open().await;
        store.insert_session(record("a"), Vec::new()).await.unwrap();
        store
            .update_session(s.clone(), 1, Vec::new())
            .await
            .unwrap();
        store
            .archive_flows(vec![ArchivedFlow {
                id: "router-down".into(),
                version: "v1".into(),
                source: "Flow(id: \"router-down\")".into(),
            }])
            .await
            .unwrap();
    }
    let store = backend.open().await;
    assert_eq!(store.session("a").await.unwrap(), Some(s));
    assert_eq!(
        store.session_by_reference("SW-ABCDEFGH").await.unwrap(),
        Some("a".to_owned())
    );
    assert_eq!(
        store
            .archived_flow("router-down", "v1")
            .await
            .unwrap()
            .as_deref(),
        Some("Flow(id: \"router-down\")")
    );
}

async fn a_flow_version_is_archived_once(backend: impl Backend) {
    let store = backend.open().await;
    let version = |source: &str| ArchivedFlow {
        id: "f".into(),
        version: "v1".into(),
        source: source.into(),
    };
    store.archive_flows(vec![version("first")]).await.unwrap();
    store
        .archive_flows(vec![
            version("second"),
            ArchivedFlow {
                id: "f".into(),
                version: "v2".into(),
                source: "newer".into(),
            },
        ])
        .await
        .unwrap();
    assert_eq!(
        store.archived_flow("f", "v1").await.unwrap().as_deref(),
        Some("first")
    );
    assert_eq!(
        store.archived_flow("f", "v2").await.unwrap().as_deref(),
        Some("newer")
    );
    assert_eq!(store.archived_flow("f", "v3").await.unwrap(), None);
    assert_eq!(store.archived_flow("g", "v1").await.unwrap(), None);
}

async fn the_store_answers_a_ping(backend: impl Backend) {
    backend.open().await.ping().await.unwrap();
}

fn event(session: &str, kind: EventKind, node: &str, at: i64) -> Event {
    Event {
        session: session.into(),
        flow: "router-down".into(),
        version: "v1".into(),
        kind,
        node: node.into(),
        value: None,
        at,
        by: Party::Customer,
    }
}

async fn events_are_written_with_their_session_and_read_by_start(backend: impl Backend) {
    let store = backend.open().await;
    let mut other_version = record("b");
    other_version.version = "v2".into();
    let mut b_started = event("b", EventKind::Started, "lights", 120);
    b_started.version = "v2".into();
    let mut other_flow = record("x");
    other_flow.flow = "sign-in".into();
    let mut x_started = event("x", EventKind::Started, "platform", 150);
    x_started.flow = "sign-in".into();
    let started = |id: &str, at: i64| vec![event(id, EventKind::Started, "lights", at)];
    store
        .insert_session(record("a"), started("a", 100))
        .await
        .unwrap();
    store
        .insert_session(other_version, vec![b_started])
        .await
        .unwrap();
    store
        .insert_session(record("late"), started("late", 200))
        .await
        .unwrap();
    store
        .insert_session(other_flow, vec![x_started])
        .await
        .unwrap();
    let mut answered = event("a", EventKind::Answered, "unplug", 250);
    answered.value = Some("on".into());
    // Who moved is kept: an agent's move reads back as the agent's.
    answered.by = Party::Agent;
    let moved = next(&record("a"), "moved");
    store
        .update_session(moved.clone(), 1, vec![answered.clone()])
        .await
        .unwrap();
    // Refused writes store no events.
    assert!(matches!(
        store
            .update_session(moved, 1, vec![event("a", EventKind::Back, "lights", 260)])
            .await,
        Err(StoreError::Conflict)
    ));
    assert!(matches!(
        store.insert_session(record("a"), started("a", 110)).await,
        Err(StoreError::Duplicate(_))
    ));

    let read = store.events("router-down", 0, 200, None).await.unwrap();
    let seen: Vec<(&str, EventKind, i64)> = read
        .iter()
        .map(|e| (e.session.as_str(), e.kind, e.at))
        .collect();
    assert_eq!(
        seen,
        [
            ("a", EventKind::Started, 100),
            ("a", EventKind::Answered, 250),
            ("b", EventKind::Started, 120),
        ]
    );
    assert_eq!(read[1], answered);
    assert_eq!((read[0].by, read[1].by), (Party::Customer, Party::Agent));
    let v2 = store
        .events("router-down", 0, 200, Some("v2"))
        .await
        .unwrap();
    assert_eq!(v2.len(), 1);
    assert_eq!(v2[0].session, "b");
    assert_eq!(
        store
            .events("router-down", 200, 201, None)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .events("nope", 0, i64::MAX, None)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn purge_removes_old_sessions_and_their_events_and_keeps_the_rest(backend: impl Backend) {
    let store = backend.open().await;
    for (id, created, updated) in [("old", 10, 20), ("touched", 10, 500), ("new", 400, 400)] {
        let mut s = record(id);
        s.created_at = created;
        s.updated_at = updated;
        store
            .insert_session(s, vec![event(id, EventKind::Started, "lights", created)])
            .await
            .unwrap();
    }
    // A session read just before it goes must not come back from a cache after.
    assert!(store.session("old").await.unwrap().is_some());
    assert_eq!(store.purge(100).await.unwrap(), 1);
    assert_eq!(store.session("old").await.unwrap(), None);
    assert!(store.session("touched").await.unwrap().is_some());
    assert!(store.session("new").await.unwrap().is_some());
    let left: Vec<String> = store
        .events("router-down", 0, i64::MAX, None)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.session)
        .collect();
    assert_eq!(left, ["touched", "new"]);
    assert_eq!(store.purge(100).await.unwrap(), 0);
}

async fn purge_goes_through_more_sessions_than_one_batch(backend: impl Backend) {
    let store = backend.open().await;
    let count = 2_345;
    for i in 0..count {
        let mut s = record(&format!("s{i}"));
        s.created_at = 1;
        s.updated_at = 1;
        store.insert_session(s, Vec::new()).await.unwrap();
    }
    assert_eq!(store.purge(2).await.unwrap(), count);
    assert_eq!(store.session("s0").await.unwrap(), None);
}

/// PostgreSQL only: what several instances sharing one database rely on.
mod postgres_schema {
    use super::*;

    #[tokio::test]
    async fn instances_starting_together_migrate_once() {
        let Some(db) = TestDatabase::create_or_skip().await else {
            return;
        };
        let opening: Vec<_> = (0..4)
            .map(|_| {
                let url = db.url.clone();
                tokio::spawn(
                    async move { PostgresStore::open(&url, StoreMetrics::default()).await },
                )
            })
            .collect();
        let mut stores = Vec::new();
        for store in opening {
            stores.push(store.await.unwrap().unwrap());
        }
        stores[0]
            .insert_session(record("a"), Vec::new())
            .await
            .unwrap();
        assert_eq!(stores[3].session("a").await.unwrap(), Some(record("a")));
    }

    #[tokio::test]
    async fn a_database_migrated_by_a_newer_version_is_refused() {
        let Some(db) = TestDatabase::create_or_skip().await else {
            return;
        };
        drop(
            PostgresStore::open(&db.url, StoreMetrics::default())
                .await
                .unwrap(),
        );
        let (client, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
            .await
            .unwrap();
        let driver = tokio::spawn(connection);
        client
            .batch_execute(
                "INSERT INTO stepwise_schema_history (version, name, applied_on, checksum)
                 VALUES (999, 'from_the_future', '2030-01-01T00:00:00Z', '1')",
            )
            .await
            .unwrap();
        drop(client);
        driver.await.unwrap().unwrap();
        let refused = PostgresStore::open(&db.url, StoreMetrics::default()).await;
        let error = refused
            .err()
            .expect("a newer schema is refused")
            .to_string();
        assert!(error.contains("cannot migrate"), "{error}");
    }
}

fn delivery(id: &str, session: &str, at: i64) -> Delivery {
    Delivery {
        id: id.into(),
        endpoint: "https://desk.example/hooks".into(),
        kind: "session.escalated".into(),
        session: session.into(),
        body: format!(r#"{{"type":"session.escalated","data":{{"session":"{session}"}}}}"#),
        created_at: at,
        status: DeliveryStatus::Pending,
        attempts: 0,
        next_attempt_at: at,
        last_error: None,
        ticket: None,
    }
}

async fn a_delivery_is_written_only_with_the_change_that_causes_it(backend: impl Backend) {
    let store = backend.open().await;
    let first = record("a");
    store
        .insert_session_with(first.clone(), Vec::new(), vec![delivery("msg_1", "a", 100)])
        .await
        .unwrap();
    // A refused change (here a stale revision) writes none of its deliveries.
    let stale = store
        .update_session_with(
            next(&first, "{}"),
            7,
            Vec::new(),
            vec![delivery("msg_2", "a", 100)],
        )
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict)), "{stale:?}");
    store
        .update_session_with(
            next(&first, "{}"),
            1,
            Vec::new(),
            vec![delivery("msg_3", "a", 100)],
        )
        .await
        .unwrap();
    let ids: Vec<String> = store
        .deliveries(None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(ids, ["msg_1", "msg_3"]);
    assert_eq!(store.next_delivery_at().await.unwrap(), Some(100));
}

async fn a_claimed_delivery_is_leased_to_one_sender_until_its_lease_ends(backend: impl Backend) {
    let store = backend.open().await;
    let other = backend.open_beside(&store).await;
    let deliveries = (0..5)
        .map(|i| delivery(&format!("msg_{i}"), "a", 100 + i))
        .collect();
    store
        .insert_session_with(record("a"), Vec::new(), deliveries)
        .await
        .unwrap();
    // Not due yet: nothing to take.
    assert!(
        store
            .claim_deliveries(50, 1_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let (mine, theirs) = tokio::join!(
        store.claim_deliveries(200, 1_000, 3),
        other.claim_deliveries(200, 1_000, 3)
    );
    let mut taken: Vec<String> = mine
        .unwrap()
        .into_iter()
        .chain(theirs.unwrap())
        .map(|d| d.id)
        .collect();
    taken.sort();
    assert_eq!(
        taken,
        ["msg_0", "msg_1", "msg_2", "msg_3", "msg_4"],
        "each taken once"
    );
    assert!(
        store
            .claim_deliveries(999, 2_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A sender that died holds its deliveries only until the lease ends.
    let again = other.claim_deliveries(1_000, 3_000, 10).await.unwrap();
    assert_eq!(again.len(), 5);
    assert_eq!(store.next_delivery_at().await.unwrap(), Some(3_000));
}

async fn attempts_are_recorded_and_a_failed_delivery_can_be_sent_again(backend: impl Backend) {
    let store = backend.open().await;
    store
        .insert_session_with(record("a"), Vec::new(), vec![delivery("msg_1", "a", 100)])
        .await
        .unwrap();
    let attempt = |at, outcome: &str| Attempt {
        delivery: "msg_1".into(),
        at,
        outcome: outcome.into(),
        took_ms: 3,
    };
    store
        .finish_attempt(attempt(110, "HTTP 503"), AttemptResult::RetryAt(500))
        .await
        .unwrap();
    let d = &store.deliveries(None, 1).await.unwrap()[0];
    assert_eq!(
        (d.status, d.attempts, d.next_attempt_at),
        (DeliveryStatus::Pending, 1, 500)
    );
    assert_eq!(d.last_error.as_deref(), Some("HTTP 503"));
    store
        .finish_attempt(attempt(600, "timed out"), AttemptResult::Failed)
        .await
        .unwrap();
    assert!(
        store
            .claim_deliveries(10_000, 20_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let failed = store
        .deliveries(Some(DeliveryStatus::Failed), 10)
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
    assert!(store.retry_delivery("msg_1", 700).await.unwrap());
    assert!(!store.retry_delivery("msg_unknown", 700).await.unwrap());
    assert_eq!(store.claim_deliveries(700, 800, 10).await.unwrap().len(), 1);
    let ticket = Ticket {
        id: "123".into(),
        url: Some("https://desk.example/t/123".into()),
    };
    store
        .finish_attempt(
            attempt(710, "taken"),
            AttemptResult::Delivered(Some(ticket.clone())),
        )
        .await
        .unwrap();
    assert_eq!(store.ticket("a").await.unwrap(), Some(ticket));
    assert_eq!(store.ticket("b").await.unwrap(), None);
    // Delivered is final: it is not sent again.
    assert!(!store.retry_delivery("msg_1", 800).await.unwrap());
    let outcomes: Vec<String> = store
        .attempts("msg_1")
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.outcome)
        .collect();
    assert_eq!(outcomes, ["HTTP 503", "timed out", "taken"]);
}

async fn purge_takes_a_sessions_deliveries_with_it(backend: impl Backend) {
    let store = backend.open().await;
    let mut old = record("old");
    old.created_at = 10;
    old.updated_at = 20;
    store
        .insert_session_with(old, Vec::new(), vec![delivery("msg_old", "old", 10)])
        .await
        .unwrap();
    store
        .finish_attempt(
            Attempt {
                delivery: "msg_old".into(),
                at: 11,
                outcome: "taken".into(),
                took_ms: 1,
            },
            AttemptResult::Delivered(None),
        )
        .await
        .unwrap();
    let mut kept = record("kept");
    kept.created_at = 400;
    kept.updated_at = 400;
    store
        .insert_session_with(kept, Vec::new(), vec![delivery("msg_kept", "kept", 400)])
        .await
        .unwrap();
    assert_eq!(store.purge(100).await.unwrap(), 1);
    let left: Vec<String> = store
        .deliveries(None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(left, ["msg_kept"]);
    assert!(store.attempts("msg_old").await.unwrap().is_empty());
}

async fn unfound_searches_are_counted_per_query_and_language(backend: impl Backend) {
    let store = backend.open().await;
    // Counted at once from many tasks (and, on PostgreSQL, two instances): none is lost,
    // not even the first, which makes the row.
    let beside = backend.open_beside(&store).await;
    let counts: Vec<_> = (0..20)
        .map(|i| {
            let store = Arc::clone(if i % 2 == 0 { &store } else { &beside });
            tokio::spawn(async move { store.record_unfound_search("zebra", "en", 100 + i).await })
        })
        .collect();
    for count in counts {
        count.await.unwrap().unwrap();
    }
    store
        .record_unfound_search("zebra", "de", 50)
        .await
        .unwrap();
    store
        .record_unfound_search("quokka", "en", 300)
        .await
        .unwrap();
    store
        .record_unfound_search("koala", "en", 200)
        .await
        .unwrap();
    drop((store, beside));

    let store = backend.open().await;
    let found = store.unfound_searches(10).await.unwrap();
    let row = |query: &str, locale: &str, count, first_at, last_at| UnfoundSearch {
        query: query.into(),
        locale: locale.into(),
        count,
        first_at,
        last_at,
    };
    assert_eq!(
        found,
        [
            row("zebra", "en", 20, 100, 119),
            row("quokka", "en", 1, 300, 300),
            row("koala", "en", 1, 200, 200),
            row("zebra", "de", 1, 50, 50),
        ]
    );
    assert_eq!(store.unfound_searches(2).await.unwrap().len(), 2);
}

async fn purge_forgets_unfound_searches_not_made_since_the_cutoff(backend: impl Backend) {
    let store = backend.open().await;
    store.record_unfound_search("old", "en", 10).await.unwrap();
    store
        .record_unfound_search("again", "en", 10)
        .await
        .unwrap();
    store
        .record_unfound_search("again", "en", 500)
        .await
        .unwrap();
    store.purge(100).await.unwrap();
    let left: Vec<String> = store
        .unfound_searches(10)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.query)
        .collect();
    assert_eq!(left, ["again"]);
}

async fn idle_sessions_are_found_once_and_a_delivery_put_twice_is_kept_once(backend: impl Backend) {
    let store = backend.open().await;
    for (id, status, created, updated) in [
        ("idle", "active", 100, 200),
        ("moving", "active", 100, 900),
        ("finished", "resolved", 100, 200),
        ("ancient", "active", 10, 20),
    ] {
        let mut s = record(id);
        s.status = status.into();
        s.created_at = created;
        s.updated_at = updated;
        store.insert_session(s, Vec::new()).await.unwrap();
    }
    assert_eq!(store.idle_sessions(50, 500, 10).await.unwrap(), ["idle"]);
    let mut abandoned = delivery("msg_abandoned_idle_0", "idle", 600);
    abandoned.kind = "session.abandoned".into();
    for _ in 0..2 {
        store
            .enqueue_deliveries(vec![abandoned.clone()])
            .await
            .unwrap();
    }
    assert_eq!(store.deliveries(None, 10).await.unwrap().len(), 1);
    // Reported once: it is not found again.
    assert!(store.idle_sessions(50, 500, 10).await.unwrap().is_empty());
}
