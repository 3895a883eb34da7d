//! Webhooks: what happens to sessions, sent to the helpdesk and whoever else listens.
//!
//! A delivery is put in the store's outbox in the same transaction as the change that causes
//! it, so a change is never stored without its delivery nor a delivery sent for a change that
//! was not stored. A task beside the server then sends what is due, retries what failed with
//! exponential backoff and jitter for a day, and leaves what never got through as failed,
//! to be listed and sent again. The HTTP itself (signing, the request, reading the answer) is
//! a [`Transport`] the server provides.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use stepwise_engine::{Route, Transcript, Walk};
use stepwise_store::{
    Attempt, AttemptResult, Delivery, DeliveryStatus, SessionRecord, Store, StoreError, Ticket,
    now_millis,
};
use tokio::sync::{Notify, Semaphore};

use crate::clock;

/// What a webhook can be sent for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventType {
    /// A customer handed the case to support: details given, reference issued.
    Escalated,
    /// A walk ended resolved.
    Resolved,
    /// A customer said whether the outcome helped.
    Feedback,
    /// A customer went back from an escalation they had sent: the case stays on record.
    EscalationWithdrawn,
    /// A walk was left without an outcome for `--abandon-after`.
    Abandoned,
}

impl EventType {
    /// Every type, in the order above.
    pub const ALL: [EventType; 5] = [
        EventType::Escalated,
        EventType::Resolved,
        EventType::Feedback,
        EventType::EscalationWithdrawn,
        EventType::Abandoned,
    ];

    /// The `type` of the webhook body.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Escalated => "session.escalated",
            EventType::Resolved => "session.resolved",
            EventType::Feedback => "session.feedback",
            EventType::EscalationWithdrawn => "session.escalation_withdrawn",
            EventType::Abandoned => "session.abandoned",
        }
    }

    /// The type named `name`, with or without its `session.` prefix.
    pub fn parse(name: &str) -> Option<EventType> {
        let name = name.trim();
        let name = name.strip_prefix("session.").unwrap_or(name);
        EventType::ALL
            .into_iter()
            .find(|t| t.as_str().strip_prefix("session.") == Some(name))
    }
}

/// Why a `--webhook` setting was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("`{0}` is not an http:// or https:// URL; a webhook is sent to one")]
    NotHttp(String),
    #[error(
        "unknown webhook event `{0}`; known: escalated, resolved, feedback, escalation_withdrawn, abandoned"
    )]
    UnknownEvent(String),
}

/// Where webhooks go and for what.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Webhooks {
    endpoints: Vec<String>,
    events: BTreeSet<EventType>,
}

impl Webhooks {
    /// Webhooks to `endpoints` for `events` (every type when none are named).
    pub fn new(endpoints: Vec<String>, events: &[String]) -> Result<Webhooks, ConfigError> {
        for url in &endpoints {
            let scheme_ok = url.strip_prefix("https://").or(url.strip_prefix("http://"));
            if !scheme_ok.is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/')) {
                return Err(ConfigError::NotHttp(url.clone()));
            }
        }
        let events = match events {
            [] => EventType::ALL.into_iter().collect(),
            names => names
                .iter()
                .flat_map(|list| list.split(','))
                .filter(|name| !name.trim().is_empty())
                .map(|name| {
                    EventType::parse(name)
                        .ok_or_else(|| ConfigError::UnknownEvent(name.trim().to_owned()))
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(Webhooks { endpoints, events })
    }

    /// The URLs webhooks go to.
    pub fn endpoints(&self) -> &[String] {
        &self.endpoints
    }

    /// Whether any webhook is configured.
    pub fn is_on(&self) -> bool {
        !self.endpoints.is_empty() && !self.events.is_empty()
    }

    /// Whether `kind` is sent anywhere.
    pub fn sends(&self, kind: EventType) -> bool {
        !self.endpoints.is_empty() && self.events.contains(&kind)
    }

    /// The deliveries of one event, one per endpoint, due at once.
    pub(crate) fn deliveries(&self, kind: EventType, session: &str, data: Value) -> Vec<Delivery> {
        if !self.sends(kind) {
            return Vec::new();
        }
        let now = now_millis();
        let body = json!({
            "type": kind.as_str(),
            "timestamp": clock::rfc3339(now),
            "data": data,
        })
        .to_string();
        self.endpoints
            .iter()
            .enumerate()
            .map(|(n, endpoint)| Delivery {
                // A session is abandoned once: whichever instance notices first writes it,
                // and the same id from another is left out.
                id: match kind {
                    EventType::Abandoned => {
                        format!("msg_abandoned_{}_{n}", session.replace('-', ""))
                    }
                    _ => format!("msg_{}", uuid::Uuid::new_v4().simple()),
                },
                endpoint: endpoint.clone(),
                kind: kind.as_str().to_owned(),
                session: session.to_owned(),
                body: body.clone(),
                created_at: now,
                status: DeliveryStatus::Pending,
                attempts: 0,
                next_attempt_at: now,
                last_error: None,
                ticket: None,
            })
            .collect()
    }
}

/// The data of a webhook about `record`: who, where, and the case as support needs it.
pub(crate) fn data(
    record: &SessionRecord,
    walk: &Walk,
    route: Option<&Route>,
    transcript: Option<(&Transcript, String)>,
) -> Value {
    let mut data = json!({
        "session": record.id,
        "flow": record.flow,
        "version": record.version,
        "status": walk.status().as_str(),
        "locale": walk.locale(),
        "reference": record.reference,
        "facts": walk.given_facts(),
        "details": record.details,
    });
    if let Some((transcript, markdown)) = transcript {
        data["transcript"] = json!({ "markdown": markdown, "json": transcript });
    }
    if let Some(route) = route {
        data["route"] = json!(route);
    }
    if let Some(helpful) = record.feedback {
        data["helpful"] = json!(helpful);
    }
    data
}

/// What a receiver made of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// A 2xx answer, with the ticket its body named, if any.
    Taken(Option<Ticket>),
    /// Anything else: the outcome as the attempt log says it (`HTTP 503`, `timed out`…).
    NotTaken(String),
}

/// Sends one delivery over the wire: the server signs it and posts it.
pub trait Transport: Send + Sync + 'static {
    /// Sends `delivery`, signed with `timestamp` (Unix seconds).
    fn send(&self, delivery: &Delivery, timestamp: i64) -> impl Future<Output = Sent> + Send;
    /// How long one attempt may take: a delivery is held for a sender this long and a bit.
    fn timeout(&self) -> Duration;
}

/// How long deliveries keep being retried before they are left as failed.
pub const RETRY_FOR: Duration = Duration::from_secs(24 * 60 * 60);
/// The wait after the first failure; each later one doubles it, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60 * 60);
/// Deliveries sent at once by one server.
const IN_FLIGHT: usize = 8;
/// How often the outbox is looked at when nothing was said: deliveries another instance
/// wrote, and retries that came due.
const POLL: Duration = Duration::from_secs(2);

/// When a delivery that failed `attempts` times and was first written at `created_at` is
/// tried next, or `None` once it has been retried for [`RETRY_FOR`]. `jitter` in [0, 1)
/// spreads retries of many deliveries that failed together.
pub fn next_attempt(created_at: i64, attempts: i64, now: i64, jitter: f64) -> Option<i64> {
    let age = Duration::from_millis(u64::try_from(now.saturating_sub(created_at)).unwrap_or(0));
    if age >= RETRY_FOR {
        return None;
    }
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let backoff = FIRST_BACKOFF
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(MAX_BACKOFF);
    // Between half and all of the backoff, so that retries never bunch up.
    let wait = backoff.mul_f64(0.5 + jitter.clamp(0.0, 1.0) / 2.0);
    Some(now.saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX)))
}

/// The outbox's sender: wakes when a change wrote a delivery, and polls for the rest.
#[derive(Clone, Default)]
pub struct Outbox {
    wake: Arc<Notify>,
}

impl Outbox {
    /// Says a delivery was committed, so it goes out now rather than at the next poll.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Sends what is due through `transport` until the task is dropped or aborted.
    pub async fn run<T: Transport>(self, store: Arc<dyn Store>, transport: Arc<T>) {
        let slots = Arc::new(Semaphore::new(IN_FLIGHT));
        loop {
            let now = now_millis();
            let lease = transport.timeout() + Duration::from_secs(5);
            let lease_until =
                now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
            let claimed = match store.claim_deliveries(now, lease_until, IN_FLIGHT).await {
                Ok(claimed) => claimed,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the webhook outbox; trying again");
                    Vec::new()
                }
            };
            let busy = !claimed.is_empty();
            for delivery in claimed {
                let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
                    return;
                };
                let store = Arc::clone(&store);
                let transport = Arc::clone(&transport);
                tokio::spawn(async move {
                    attempt(store.as_ref(), transport.as_ref(), delivery).await;
                    drop(slot);
                });
            }
            if busy {
                continue;
            }
            let wait = match store.next_delivery_at().await {
                Ok(Some(due)) => Duration::from_millis(
                    u64::try_from(due.saturating_sub(now_millis())).unwrap_or(0),
                )
                .min(POLL),
                _ => POLL,
            };
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// One attempt at `delivery`, recorded whatever came of it.
async fn attempt(store: &dyn Store, transport: &impl Transport, delivery: Delivery) {
    let started = std::time::Instant::now();
    let at = now_millis();
    let sent = transport.send(&delivery, at / 1000).await;
    let took_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let attempts = delivery.attempts + 1;
    let (outcome, result) = match sent {
        Sent::Taken(ticket) => ("taken".to_owned(), AttemptResult::Delivered(ticket)),
        Sent::NotTaken(outcome) => {
            let jitter = f64::from(uuid::Uuid::new_v4().as_u128() as u16) / 65_536.0;
            let result = match next_attempt(delivery.created_at, attempts, now_millis(), jitter) {
                Some(at) => AttemptResult::RetryAt(at),
                None => AttemptResult::Failed,
            };
            (outcome, result)
        }
    };
    match &result {
        AttemptResult::Delivered(_) => tracing::info!(
            delivery = %delivery.id, kind = %delivery.kind, endpoint = %delivery.endpoint,
            attempt = attempts, took_ms, "webhook delivered"
        ),
        AttemptResult::RetryAt(at) => tracing::warn!(
            delivery = %delivery.id, kind = %delivery.kind, endpoint = %delivery.endpoint,
            attempt = attempts, outcome = %outcome, retry_at = %clock::rfc3339(*at),
            "webhook not delivered; it will be retried"
        ),
        AttemptResult::Failed => tracing::error!(
            delivery = %delivery.id, kind = %delivery.kind, endpoint = %delivery.endpoint,
            attempt = attempts, outcome = %outcome,
            "webhook not delivered after a day of retries; `stepwise webhooks retry` sends it again"
        ),
    }
    let record = Attempt {
        delivery: delivery.id.clone(),
        at,
        outcome,
        took_ms,
    };
    if let Err(e) = store.finish_attempt(record, result).await {
        // The lease runs out and the delivery is sent again: at least once, never lost.
        tracing::error!(delivery = %delivery.id, error = %e, "cannot record a webhook attempt");
    }
}

/// How often idle sessions are looked for, at most: twice per idle period, and at least
/// every second.
const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// How far back idle sessions are looked for: a server that starts sending webhooks does not
/// report every session ever left.
const SWEEP_BACK: Duration = Duration::from_secs(24 * 60 * 60);
/// Sessions reported per look.
const SWEEP_BATCH: usize = 100;

/// Reports sessions left idle for `idle` without an outcome (`session.abandoned`), once each,
/// every minute until the task is aborted.
pub async fn sweep_abandoned(app: crate::App, idle: Duration) {
    let every = (idle / 2).clamp(Duration::from_secs(1), SWEEP_EVERY);
    loop {
        match abandoned_now(&app, idle).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(sessions = n, "abandoned sessions reported");
                app.outbox.wake();
            }
            Err(e) => tracing::warn!(error = %e, "cannot look for abandoned sessions"),
        }
        tokio::time::sleep(every).await;
    }
}

/// Puts a `session.abandoned` delivery in the outbox for each session idle for `idle`; how
/// many sessions it reported.
pub async fn abandoned_now(app: &crate::App, idle: Duration) -> Result<usize, crate::Error> {
    let millis = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    let before = now_millis().saturating_sub(millis(idle));
    let since = before.saturating_sub(millis(SWEEP_BACK));
    let idle_ids = app.store.idle_sessions(since, before, SWEEP_BATCH).await?;
    let mut deliveries = Vec::new();
    let mut reported = 0;
    for id in &idle_ids {
        let session = crate::Session::load(app, id).await?;
        if session.walk.status() != stepwise_engine::Status::Active {
            continue;
        }
        let data = data(&session.record, &session.walk, None, None);
        deliveries.extend(app.webhooks.deliveries(EventType::Abandoned, id, data));
        reported += 1;
    }
    if !deliveries.is_empty() {
        app.store.enqueue_deliveries(deliveries).await?;
    }
    Ok(reported)
}

/// Deliveries to show an operator, newest first.
pub async fn list(
    store: &dyn Store,
    status: Option<DeliveryStatus>,
    limit: usize,
) -> Result<Vec<Delivery>, StoreError> {
    store.deliveries(status, limit).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_with_jitter_for_a_day() {
        let start = 0;
        assert_eq!(next_attempt(start, 1, 0, 0.0), Some(500));
        assert_eq!(next_attempt(start, 1, 0, 0.999_999), Some(999));
        assert_eq!(next_attempt(start, 3, 10_000, 0.0), Some(12_000));
        // Capped at an hour between attempts.
        assert_eq!(next_attempt(start, 40, 1_000, 1.0), Some(1_000 + 3_600_000));
        let day = i64::try_from(RETRY_FOR.as_millis()).unwrap();
        assert!(next_attempt(start, 20, day - 1, 0.5).is_some());
        assert_eq!(next_attempt(start, 20, day, 0.5), None);
    }

    #[test]
    fn settings_take_http_urls_and_known_events_only() {
        assert!(Webhooks::new(vec!["https://helpdesk.example/hooks".into()], &[]).is_ok());
        for bad in [
            "ftp://x",
            "helpdesk.example",
            "http://",
            "https:///path",
            "javascript:alert(1)",
        ] {
            assert_eq!(
                Webhooks::new(vec![bad.into()], &[]),
                Err(ConfigError::NotHttp(bad.into()))
            );
        }
        let some = Webhooks::new(
            vec!["http://127.0.0.1:9/".into()],
            &["escalated, session.feedback".into()],
        )
        .unwrap();
        assert!(some.sends(EventType::Escalated) && some.sends(EventType::Feedback));
        assert!(!some.sends(EventType::Resolved));
        assert_eq!(
            Webhooks::new(vec![], &["exploded".into()]),
            Err(ConfigError::UnknownEvent("exploded".into()))
        );
        assert!(!Webhooks::new(vec![], &[]).unwrap().is_on());
    }
}
