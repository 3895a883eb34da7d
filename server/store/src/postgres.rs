//! The shared store: PostgreSQL, for several server processes behind one load balancer.
//!
//! Nothing is cached in the process: another instance may have moved a session since it was
//! last read here, so every read goes to the database. A session moves only by
//! `UPDATE … WHERE id = $1 AND revision = $expected`; the database lets one such update hold
//! the row at a time and checks the revision again once it has it, so of two instances
//! answering one session at once exactly one wins and the other is told of a conflict.
//!
//! The schema is versioned with refinery (`server/store/migrations/postgres/`) and brought up to
//! date when the store opens, under an advisory lock so that instances starting together
//! migrate one after the other.

use std::str::FromStr;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use tokio_postgres::error::SqlState;
use tokio_postgres::{NoTls, Row};

use crate::{
    ArchivedFlow, Attempt, AttemptResult, CommitObserver, Delivery, DeliveryStatus, Event,
    EventKind, Party, SessionRecord, Store, StoreError, Ticket, UNFOUND_SEARCHES_KEPT,
    UnfoundSearch,
};

mod embedded {
    refinery::embed_migrations!("migrations/postgres");
}

/// Connections each server process keeps open, unless the URL says `pool_size=N`.
const DEFAULT_POOL_SIZE: usize = 16;
/// How long opening a connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a request waits for a free connection before it is answered 503.
const WAIT_TIMEOUT: Duration = Duration::from_secs(10);
/// The advisory lock instances hold while they migrate ("stepwise" in ASCII).
const MIGRATION_LOCK: i64 = 0x7374_6570_7769_7365;
/// Where refinery records the migrations applied.
const MIGRATION_TABLE: &str = "stepwise_schema_history";
/// Tries at migrating when the database has no advisory locks and another instance may be
/// migrating at the same moment.
const MIGRATION_ATTEMPTS: usize = 3;

/// Sessions deleted per transaction by a purge, so no transaction grows without bound.
const PURGE_BATCH: i64 = 1000;

const SESSION_COLUMNS: &str = "id, flow, version, status, walk, revision, created_at, updated_at,
                               reference, details, feedback, notes";

/// The PostgreSQL store.
pub struct PostgresStore {
    pool: Pool,
    observer: Box<dyn CommitObserver>,
}

impl PostgresStore {
    /// Connects to the database at `url`, brings its schema up to date, and keeps a pool of
    /// connections to it.
    pub async fn open(
        url: &str,
        observer: impl CommitObserver,
    ) -> Result<PostgresStore, StoreError> {
        let (url, pool_size) = split_pool_size(url)?;
        let mut config = tokio_postgres::Config::from_str(&url)
            .map_err(|e| StoreError::Database(format!("not a PostgreSQL URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("stepwise");
        }
        migrate(&config).await?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size)
            .runtime(Runtime::Tokio1)
            .create_timeout(Some(CONNECT_TIMEOUT))
            .wait_timeout(Some(WAIT_TIMEOUT))
            .build()
            .map_err(|e| StoreError::Database(format!("cannot make a connection pool: {e}")))?;
        Ok(PostgresStore {
            pool,
            observer: Box::new(observer),
        })
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(unreachable)
    }
}

/// The URL without our own `pool_size` option, and the pool size it asked for.
fn split_pool_size(url: &str) -> Result<(String, usize), StoreError> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), DEFAULT_POOL_SIZE));
    };
    let mut size = DEFAULT_POOL_SIZE;
    let mut rest = Vec::new();
    for option in query.split('&').filter(|o| !o.is_empty()) {
        match option.strip_prefix("pool_size=") {
            Some(n) => {
                size = n.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    StoreError::Database(format!(
                        "`pool_size={n}` is not a number of connections (1 or more)"
                    ))
                })?;
            }
            None => rest.push(option),
        }
    }
    let url = match rest.is_empty() {
        true => base.to_owned(),
        false => format!("{base}?{}", rest.join("&")),
    };
    Ok((url, size))
}

/// Applies the migrations this build knows and the database lacks.
async fn migrate(config: &tokio_postgres::Config) -> Result<(), StoreError> {
    let (mut client, connection) = config.connect(NoTls).await.map_err(|e| {
        StoreError::Unavailable(format!("cannot connect to PostgreSQL: {}", message(&e)))
    })?;
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    // Session-level, so it outlives refinery's transactions; released when this connection
    // closes even if we stop half-way.
    let locked = match client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
    {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(
                error = %message(&e),
                "the database has no advisory locks; migrating without one"
            );
            false
        }
    };
    let mut runner = embedded::migrations::runner();
    runner.set_migration_table_name(MIGRATION_TABLE);
    let mut attempt = 1;
    let result = loop {
        match runner.run_async(&mut client).await {
            Ok(report) => break Ok(report),
            // Without the lock, another instance may have been applying the same migration.
            Err(e) if !locked && attempt < MIGRATION_ATTEMPTS => {
                tracing::warn!(error = %e, "migration failed; trying again");
                tokio::time::sleep(Duration::from_secs(1)).await;
                attempt += 1;
            }
            Err(e) => break Err(e),
        }
    };
    drop(client);
    let _ = driver.await;
    let report =
        result.map_err(|e| StoreError::Database(format!("cannot migrate the database: {e}")))?;
    for migration in report.applied_migrations() {
        tracing::info!(
            version = migration.version(),
            name = migration.name(),
            "migrated"
        );
    }
    Ok(())
}

#[async_trait]
impl Store for PostgresStore {
    async fn insert_session_with(
        &self,
        s: SessionRecord,
        events: Vec<Event>,
        deliveries: Vec<Delivery>,
    ) -> Result<(), StoreError> {
        let started = Instant::now();
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(database)?;
        let statement = tx
            .prepare_cached(&format!(
                "INSERT INTO sessions ({SESSION_COLUMNS})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
            ))
            .await
            .map_err(refused)?;
        tx.execute(
            &statement,
            &[
                &s.id,
                &s.flow,
                &s.version,
                &s.status,
                &s.walk,
                &s.revision,
                &s.created_at,
                &s.updated_at,
                &s.reference,
                &to_json(&s.details)?,
                &s.feedback,
                &to_json(&s.notes)?,
            ],
        )
        .await
        .map_err(refused)?;
        record(&tx, &events).await?;
        enqueue(&tx, &deliveries).await?;
        tx.commit().await.map_err(refused)?;
        self.observer.observe_commit(1, started.elapsed());
        Ok(())
    }

    async fn update_session_with(
        &self,
        s: SessionRecord,
        expected_revision: i64,
        events: Vec<Event>,
        deliveries: Vec<Delivery>,
    ) -> Result<(), StoreError> {
        let started = Instant::now();
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(database)?;
        let statement = tx
            .prepare_cached(
                "UPDATE sessions SET status = $2, walk = $3, revision = $4, updated_at = $5,
                                     reference = $6, details = $7, feedback = $8, notes = $9
                 WHERE id = $1 AND revision = $10",
            )
            .await
            .map_err(refused)?;
        let changed = tx
            .execute(
                &statement,
                &[
                    &s.id,
                    &s.status,
                    &s.walk,
                    &s.revision,
                    &s.updated_at,
                    &s.reference,
                    &to_json(&s.details)?,
                    &s.feedback,
                    &to_json(&s.notes)?,
                    &expected_revision,
                ],
            )
            .await
            .map_err(refused)?;
        if changed != 1 {
            // Dropping the transaction rolls it back: nothing changed.
            return Err(StoreError::Conflict);
        }
        record(&tx, &events).await?;
        enqueue(&tx, &deliveries).await?;
        tx.commit().await.map_err(refused)?;
        self.observer.observe_commit(1, started.elapsed());
        Ok(())
    }

    async fn claim_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let client = self.client().await?;
        // SKIP LOCKED: instances claiming at the same moment take different rows, and the
        // lease written in the same statement keeps them apart afterwards.
        let rows = client
            .query(
                &format!(
                    "UPDATE deliveries d SET next_attempt_at = $2
                     FROM (SELECT id AS due_id FROM deliveries
                           WHERE status = 'pending' AND next_attempt_at <= $1
                           ORDER BY next_attempt_at LIMIT $3
                           FOR UPDATE SKIP LOCKED) due
                     WHERE d.id = due.due_id
                     RETURNING {DELIVERY_COLUMNS}"
                ),
                &[&now, &lease_until, &limit],
            )
            .await
            .map_err(refused)?;
        rows.iter().map(delivery_from).collect()
    }

    async fn finish_attempt(
        &self,
        attempt: Attempt,
        result: AttemptResult,
    ) -> Result<(), StoreError> {
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
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(database)?;
        tx.execute(
            "INSERT INTO delivery_attempts (delivery, at, outcome, took_ms) VALUES ($1, $2, $3, $4)",
            &[&attempt.delivery, &attempt.at, &attempt.outcome, &attempt.took_ms],
        )
        .await
        .map_err(refused)?;
        tx.execute(
            "UPDATE deliveries SET status = $2, next_attempt_at = $3, attempts = attempts + 1,
                    last_error = $4, ticket_id = $5, ticket_url = $6
             WHERE id = $1",
            &[
                &attempt.delivery,
                &status.as_str(),
                &next,
                &error,
                &ticket.as_ref().map(|t| t.id.as_str()),
                &ticket.as_ref().and_then(|t| t.url.as_deref()),
            ],
        )
        .await
        .map_err(refused)?;
        tx.commit().await.map_err(refused)
    }

    async fn deliveries(
        &self,
        status: Option<DeliveryStatus>,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let status = status.map(DeliveryStatus::as_str);
        read_twice(|| async move {
            let client = self.client().await?;
            let rows = client
                .query(
                    &format!(
                        "SELECT {DELIVERY_COLUMNS} FROM deliveries
                         WHERE $1::TEXT IS NULL OR status = $1
                         ORDER BY created_at DESC, id LIMIT $2"
                    ),
                    &[&status, &limit],
                )
                .await
                .map_err(refused)?;
            rows.iter().map(delivery_from).collect()
        })
        .await
    }

    async fn attempts(&self, delivery: &str) -> Result<Vec<Attempt>, StoreError> {
        read_twice(|| async move {
            let client = self.client().await?;
            let rows = client
                .query(
                    "SELECT delivery, at, outcome, took_ms FROM delivery_attempts
                     WHERE delivery = $1 ORDER BY seq",
                    &[&delivery],
                )
                .await
                .map_err(refused)?;
            rows.iter()
                .map(|row| {
                    Ok(Attempt {
                        delivery: row.try_get(0).map_err(database)?,
                        at: row.try_get(1).map_err(database)?,
                        outcome: row.try_get(2).map_err(database)?,
                        took_ms: row.try_get(3).map_err(database)?,
                    })
                })
                .collect()
        })
        .await
    }

    async fn retry_delivery(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let changed = client
            .execute(
                "UPDATE deliveries SET status = 'pending', next_attempt_at = $2
                 WHERE id = $1 AND status != 'delivered'",
                &[&id, &now],
            )
            .await
            .map_err(refused)?;
        Ok(changed == 1)
    }

    async fn idle_sessions(
        &self,
        from: i64,
        to: i64,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        read_twice(|| async move {
            let client = self.client().await?;
            let rows = client
                .query(
                    "SELECT id FROM sessions s
                     WHERE created_at >= $1 AND updated_at < $2 AND status = 'active'
                       AND NOT EXISTS (SELECT 1 FROM deliveries d
                                       WHERE d.session = s.id AND d.kind = 'session.abandoned')
                     ORDER BY updated_at LIMIT $3",
                    &[&from, &to, &limit],
                )
                .await
                .map_err(refused)?;
            rows.iter()
                .map(|row| row.try_get(0).map_err(database))
                .collect()
        })
        .await
    }

    async fn enqueue_deliveries(&self, deliveries: Vec<Delivery>) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(database)?;
        for d in &deliveries {
            tx.execute(
                "INSERT INTO deliveries (id, endpoint, kind, session, body, created_at, status,
                                         next_attempt_at)
                 VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)
                 ON CONFLICT (id) DO NOTHING",
                &[
                    &d.id,
                    &d.endpoint,
                    &d.kind,
                    &d.session,
                    &d.body,
                    &d.created_at,
                    &d.next_attempt_at,
                ],
            )
            .await
            .map_err(refused)?;
        }
        tx.commit().await.map_err(refused)
    }

    async fn next_delivery_at(&self) -> Result<Option<i64>, StoreError> {
        read_twice(|| async move {
            let client = self.client().await?;
            let row = client
                .query_one(
                    "SELECT min(next_attempt_at) FROM deliveries WHERE status = 'pending'",
                    &[],
                )
                .await
                .map_err(refused)?;
            row.try_get(0).map_err(database)
        })
        .await
    }

    async fn ticket(&self, session: &str) -> Result<Option<Ticket>, StoreError> {
        read_twice(|| async move {
            let client = self.client().await?;
            let row = client
                .query_opt(
                    "SELECT ticket_id, ticket_url FROM deliveries
                     WHERE session = $1 AND ticket_id IS NOT NULL
                     ORDER BY next_attempt_at DESC LIMIT 1",
                    &[&session],
                )
                .await
                .map_err(refused)?;
            row.map(|row| {
                Ok(Ticket {
                    id: row.try_get(0).map_err(database)?,
                    url: row.try_get(1).map_err(database)?,
                })
            })
            .transpose()
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
        read_twice(|| async move {
            let client = self.client().await?;
            let statement = client
                .prepare_cached(
                    "SELECT e.session, e.flow, e.version, e.kind, e.node, e.value, e.at, e.by_agent
                     FROM events AS s JOIN events AS e ON e.session = s.session
                     WHERE s.flow = $1 AND s.kind = 'started' AND s.at >= $2 AND s.at < $3
                       AND ($4::TEXT IS NULL OR s.version = $4)
                     ORDER BY s.at, s.session, e.seq",
                )
                .await
                .map_err(database)?;
            let rows = client
                .query(&statement, &[&flow, &from, &to, &version])
                .await
                .map_err(database)?;
            rows.iter().map(event_from).collect()
        })
        .await
    }

    async fn purge(&self, cutoff: i64) -> Result<u64, StoreError> {
        let mut total = 0;
        loop {
            let started = Instant::now();
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(database)?;
            let gone: Vec<String> = tx
                .query(
                    "DELETE FROM sessions WHERE id IN (
                         SELECT id FROM sessions WHERE created_at < $1 AND updated_at < $1
                         LIMIT $2)
                     RETURNING id",
                    &[&cutoff, &PURGE_BATCH],
                )
                .await
                .map_err(database)?
                .iter()
                .map(|row| row.try_get(0).map_err(database))
                .collect::<Result<_, _>>()?;
            tx.execute("DELETE FROM events WHERE session = ANY($1)", &[&gone])
                .await
                .map_err(database)?;
            // A delivery holds what the customer gave: it goes with its session.
            tx.execute(
                "DELETE FROM delivery_attempts WHERE delivery IN
                     (SELECT id FROM deliveries WHERE session = ANY($1))",
                &[&gone],
            )
            .await
            .map_err(database)?;
            tx.execute("DELETE FROM deliveries WHERE session = ANY($1)", &[&gone])
                .await
                .map_err(database)?;
            tx.execute(
                "DELETE FROM unfound_searches WHERE last_at < $1",
                &[&cutoff],
            )
            .await
            .map_err(database)?;
            tx.commit().await.map_err(database)?;
            self.observer.observe_commit(1, started.elapsed());
            total += gone.len() as u64;
            if (gone.len() as i64) < PURGE_BATCH {
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
        let started = Instant::now();
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(database)?;
        let counted = tx
            .execute(
                "UPDATE unfound_searches
                 SET count = count + 1, first_at = LEAST(first_at, $3),
                     last_at = GREATEST(last_at, $3)
                 WHERE query = $1 AND locale = $2",
                &[&query, &locale, &at],
            )
            .await
            .map_err(database)?;
        if counted == 0 {
            // Another instance may count the same new query at the same moment.
            tx.execute(
                "INSERT INTO unfound_searches (query, locale, count, first_at, last_at)
                 SELECT $1, $2, 1, $3, $3
                 WHERE (SELECT count(*) FROM unfound_searches) < $4
                 ON CONFLICT (query, locale) DO UPDATE
                 SET count = unfound_searches.count + 1,
                     first_at = LEAST(unfound_searches.first_at, EXCLUDED.first_at),
                     last_at = GREATEST(unfound_searches.last_at, EXCLUDED.last_at)",
                &[&query, &locale, &at, &UNFOUND_SEARCHES_KEPT],
            )
            .await
            .map_err(database)?;
        }
        tx.commit().await.map_err(database)?;
        self.observer.observe_commit(1, started.elapsed());
        Ok(())
    }

    async fn unfound_searches(&self, limit: u32) -> Result<Vec<UnfoundSearch>, StoreError> {
        read_twice(|| async move {
            let client = self.client().await?;
            let rows = client
                .query(
                    "SELECT query, locale, count, first_at, last_at FROM unfound_searches
                     ORDER BY count DESC, last_at DESC, query LIMIT $1",
                    &[&i64::from(limit)],
                )
                .await
                .map_err(refused)?;
            rows.iter()
                .map(|row| {
                    Ok(UnfoundSearch {
                        query: row.try_get(0).map_err(database)?,
                        locale: row.try_get(1).map_err(database)?,
                        count: row.try_get(2).map_err(database)?,
                        first_at: row.try_get(3).map_err(database)?,
                        last_at: row.try_get(4).map_err(database)?,
                    })
                })
                .collect()
        })
        .await
    }

    async fn session(&self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        read_twice(|| async move {
            let client = self.client().await?;
            let statement = client
                .prepare_cached(&format!(
                    "SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1"
                ))
                .await
                .map_err(refused)?;
            let row = client
                .query_opt(&statement, &[&id])
                .await
                .map_err(refused)?;
            row.map(|row| session_from(&row)).transpose()
        })
        .await
    }

    async fn session_by_reference(&self, reference: &str) -> Result<Option<String>, StoreError> {
        read_twice(|| async move {
            let client = self.client().await?;
            let statement = client
                .prepare_cached("SELECT id FROM sessions WHERE reference = $1")
                .await
                .map_err(refused)?;
            let row = client
                .query_opt(&statement, &[&reference])
                .await
                .map_err(refused)?;
            row.map(|row| row.try_get(0).map_err(database)).transpose()
        })
        .await
    }

    async fn archive_flows(&self, flows: Vec<ArchivedFlow>) -> Result<(), StoreError> {
        let started = Instant::now();
        let mut client = self.client().await?;
        let now = super::now_millis();
        let tx = client.transaction().await.map_err(database)?;
        let statement = tx
            .prepare_cached(
                "INSERT INTO flow_versions (id, version, source, archived_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (id, version) DO NOTHING",
            )
            .await
            .map_err(database)?;
        for f in &flows {
            tx.execute(&statement, &[&f.id, &f.version, &f.source, &now])
                .await
                .map_err(database)?;
        }
        tx.commit().await.map_err(database)?;
        self.observer.observe_commit(1, started.elapsed());
        Ok(())
    }

    async fn archived_flow(&self, id: &str, version: &str) -> Result<Option<String>, StoreError> {
        read_twice(|| async move {
            let client = self.client().await?;
            let statement = client
                .prepare_cached("SELECT source FROM flow_versions WHERE id = $1 AND version = $2")
                .await
                .map_err(refused)?;
            let row = client
                .query_opt(&statement, &[&id, &version])
                .await
                .map_err(refused)?;
            row.map(|row| row.try_get(0).map_err(database)).transpose()
        })
        .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        read_twice(|| async move {
            let client = self.client().await?;
            client.simple_query("SELECT 1").await.map_err(database)?;
            Ok(())
        })
        .await
    }
}

/// Appends a session's events within the transaction of its change.
async fn record(
    tx: &deadpool_postgres::Transaction<'_>,
    events: &[Event],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let statement = tx
        .prepare_cached(
            "INSERT INTO events (session, flow, version, kind, node, value, at, by_agent)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .await
        .map_err(database)?;
    for e in events {
        tx.execute(
            &statement,
            &[
                &e.session,
                &e.flow,
                &e.version,
                &e.kind.as_str(),
                &e.node,
                &e.value,
                &e.at,
                &(e.by == Party::Agent),
            ],
        )
        .await
        .map_err(database)?;
    }
    Ok(())
}

/// Puts a change's webhook deliveries in the outbox, within the transaction of the change.
async fn enqueue(
    tx: &deadpool_postgres::Transaction<'_>,
    deliveries: &[Delivery],
) -> Result<(), StoreError> {
    if deliveries.is_empty() {
        return Ok(());
    }
    let statement = tx
        .prepare_cached(
            "INSERT INTO deliveries (id, endpoint, kind, session, body, created_at, status,
                                     next_attempt_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)",
        )
        .await
        .map_err(database)?;
    for d in deliveries {
        tx.execute(
            &statement,
            &[
                &d.id,
                &d.endpoint,
                &d.kind,
                &d.session,
                &d.body,
                &d.created_at,
                &d.next_attempt_at,
            ],
        )
        .await
        .map_err(database)?;
    }
    Ok(())
}

/// The columns [`delivery_from`] reads, in its order.
const DELIVERY_COLUMNS: &str = "id, endpoint, kind, session, body, created_at, status, attempts,
     next_attempt_at, last_error, ticket_id, ticket_url";

fn delivery_from(row: &Row) -> Result<Delivery, StoreError> {
    let status: String = row.try_get(6).map_err(database)?;
    let ticket_id: Option<String> = row.try_get(10).map_err(database)?;
    Ok(Delivery {
        id: row.try_get(0).map_err(database)?,
        endpoint: row.try_get(1).map_err(database)?,
        kind: row.try_get(2).map_err(database)?,
        session: row.try_get(3).map_err(database)?,
        body: row.try_get(4).map_err(database)?,
        created_at: row.try_get(5).map_err(database)?,
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| StoreError::Database(format!("unknown delivery status `{status}`")))?,
        attempts: row.try_get(7).map_err(database)?,
        next_attempt_at: row.try_get(8).map_err(database)?,
        last_error: row.try_get(9).map_err(database)?,
        ticket: match ticket_id {
            Some(id) => Some(Ticket {
                id,
                url: row.try_get(11).map_err(database)?,
            }),
            None => None,
        },
    })
}

fn event_from(row: &Row) -> Result<Event, StoreError> {
    let kind: String = row.try_get(3).map_err(database)?;
    Ok(Event {
        session: row.try_get(0).map_err(database)?,
        flow: row.try_get(1).map_err(database)?,
        version: row.try_get(2).map_err(database)?,
        kind: EventKind::parse(&kind)
            .ok_or_else(|| StoreError::Database(format!("unknown event kind `{kind}`")))?,
        node: row.try_get(4).map_err(database)?,
        value: row.try_get(5).map_err(database)?,
        at: row.try_get(6).map_err(database)?,
        by: Party::from_agent(row.try_get(7).map_err(database)?),
    })
}

fn session_from(row: &Row) -> Result<SessionRecord, StoreError> {
    Ok(SessionRecord {
        id: row.try_get(0).map_err(database)?,
        flow: row.try_get(1).map_err(database)?,
        version: row.try_get(2).map_err(database)?,
        status: row.try_get(3).map_err(database)?,
        walk: row.try_get(4).map_err(database)?,
        revision: row.try_get(5).map_err(database)?,
        created_at: row.try_get(6).map_err(database)?,
        updated_at: row.try_get(7).map_err(database)?,
        reference: row.try_get(8).map_err(database)?,
        details: from_json(row.try_get(9).map_err(database)?)?,
        feedback: row.try_get(10).map_err(database)?,
        notes: from_json(row.try_get(11).map_err(database)?)?,
    })
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Database(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Database(format!("unreadable JSON in a session: {e}")))
}

/// A database error in words: the server's own message where there is one.
fn message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => e.to_string(),
    }
}

fn database(e: tokio_postgres::Error) -> StoreError {
    if connection_lost(&e) {
        return lost(&message(&e));
    }
    StoreError::Database(message(&e))
}

/// Whether a statement failed because its connection did, not because of what it asked: the
/// connection was reset or closed, the server is shutting down or starting, or it takes no
/// more connections. The same statement may succeed on another connection.
fn connection_lost(e: &tokio_postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.as_db_error() {
        // Class 08 is "connection exception"; 57P01-03 an administrator's or a crash's
        // shutdown, or a start not yet done; 53300 too many connections.
        Some(db) => {
            let code = db.code().code();
            code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
        }
        None => {
            let mut cause = std::error::Error::source(e);
            while let Some(inner) = cause {
                if inner.is::<std::io::Error>() {
                    return true;
                }
                cause = inner.source();
            }
            false
        }
    }
}

/// A store that cannot be reached now, in our own words: what the database said goes to the
/// log, where an operator looks, and never to a client.
fn lost(cause: &str) -> StoreError {
    tracing::warn!(cause, "the PostgreSQL connection failed");
    StoreError::Unavailable("the database cannot be reached".to_owned())
}

/// Runs a read again once when the connection it ran on was lost: a read changes nothing,
/// so a second try, on another connection from the pool, is safe.
async fn read_twice<T, F, Fut>(read: F) -> Result<T, StoreError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    match read().await {
        Err(StoreError::Unavailable(_)) => read().await,
        done => done,
    }
}

/// A write the database refused because of what it holds (a taken id or reference, or a
/// concurrent change on a serializable database), or any other failure.
fn refused(e: tokio_postgres::Error) -> StoreError {
    let Some(db) = e.as_db_error() else {
        return database(e);
    };
    match db.code() {
        c if *c == SqlState::UNIQUE_VIOLATION => {
            let what = match db.constraint().is_some_and(|c| c.contains("reference")) {
                true => "escalation reference",
                false => "session id",
            };
            StoreError::Duplicate(what)
        }
        // Serializable databases (CockroachDB) refuse one of two racing writes this way;
        // the refused one changed nothing.
        c if *c == SqlState::T_R_SERIALIZATION_FAILURE => StoreError::Conflict,
        _ => database(e),
    }
}

fn unreachable(e: PoolError) -> StoreError {
    match e {
        PoolError::Backend(e) => lost(&message(&e)),
        PoolError::Closed => StoreError::Closed,
        other => lost(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_size_is_taken_out_of_the_url() {
        assert_eq!(
            split_pool_size("postgres://db/s").unwrap(),
            ("postgres://db/s".to_owned(), DEFAULT_POOL_SIZE)
        );
        assert_eq!(
            split_pool_size("postgres://db/s?pool_size=4&sslmode=disable").unwrap(),
            ("postgres://db/s?sslmode=disable".to_owned(), 4)
        );
        assert_eq!(
            split_pool_size("postgres://db/s?pool_size=8").unwrap(),
            ("postgres://db/s".to_owned(), 8)
        );
        assert!(split_pool_size("postgres://db/s?pool_size=0").is_err());
        assert!(split_pool_size("postgres://db/s?pool_size=many").is_err());
    }
}
