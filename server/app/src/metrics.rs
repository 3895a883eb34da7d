//! Prometheus metrics: requests and latency per route, and the store's group commits, counted
//! as they happen in one registry per server (so tests can run several); and, read at each
//! scrape, sessions by flow, party and outcome from the same reports as the owner's pages,
//! and the flow files with errors. The HTTP face counts its requests here with labels from
//! closed sets it chooses.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use stepwise_store::CommitObserver;

use crate::report::FlowStats;

/// Every metric the server keeps.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    /// Handed to the store so that its writer can report its commits.
    pub store: StoreMetrics,
    /// What each scrape reads from the reports.
    read: Arc<Mutex<ReadMetrics>>,
}

/// The metrics set from the reports at each scrape, kept from one scrape to the next so
/// that their series come in the same order every time.
struct ReadMetrics {
    registry: Registry,
    sessions: Family<SessionLabels, Gauge>,
    feedback: Family<FeedbackLabels, Gauge>,
    broken: Gauge,
}

impl ReadMetrics {
    fn new() -> ReadMetrics {
        let mut registry = Registry::with_prefix("stepwise");
        let sessions = Family::<SessionLabels, Gauge>::default();
        let feedback = Family::<FeedbackLabels, Gauge>::default();
        let broken = Gauge::default();
        registry.register(
            "sessions",
            "Sessions kept, by flow, who ran them (customer: on their own; agent: for a \
             caller) and how they stand: resolved, escalated, done, abandoned, in_progress. \
             The same counts as the owner's pages",
            sessions.clone(),
        );
        registry.register(
            "session_feedback",
            "Customers' feedback on outcomes, by flow and whether it helped",
            feedback.clone(),
        );
        registry.register(
            "flow_files_with_errors",
            "Files in the flows directory with at least one error: a flow with one is not \
             served, or is served at its last good version",
            broken.clone(),
        );
        ReadMetrics {
            registry,
            sessions,
            feedback,
            broken,
        }
    }
}

// Labels are `&'static str` drawn from closed sets (standard methods, the router's route
// templates), so no request can add a series the server did not already know of.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

// Flows are those served (a closed set the operator chose); party and outcome are fixed.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SessionLabels {
    flow: String,
    party: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FeedbackLabels {
    flow: String,
    helpful: bool,
}

/// The store writer's figures: how many writes share a commit, and how long a commit takes.
#[derive(Clone)]
pub struct StoreMetrics {
    batch_size: Histogram,
    commit_seconds: Histogram,
}

impl Default for StoreMetrics {
    fn default() -> StoreMetrics {
        StoreMetrics {
            batch_size: Histogram::new(exponential_buckets(1.0, 2.0, 10)),
            commit_seconds: Histogram::new(exponential_buckets(0.0001, 2.0, 14)),
        }
    }
}

impl CommitObserver for StoreMetrics {
    fn observe_commit(&self, writes: usize, took: Duration) {
        self.batch_size.observe(writes as f64);
        self.commit_seconds.observe(took.as_secs_f64());
    }
}

fn latency_histogram() -> Histogram {
    // 100 µs to about 3 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("stepwise");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: Family<RouteLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        let store = StoreMetrics::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, matched route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by method and matched route",
            latency.clone(),
        );
        registry.register(
            "store_commit_writes",
            "Writes committed together in one store transaction",
            store.batch_size.clone(),
        );
        registry.register(
            "store_commit_duration_seconds",
            "Time to commit one store transaction, sync included",
            store.commit_seconds.clone(),
        );
        Metrics {
            registry: Arc::new(registry),
            requests,
            latency,
            store,
            read: Arc::new(Mutex::new(ReadMetrics::new())),
        }
    }

    /// The metrics in Prometheus' text format: those counted as they happen, then the
    /// sessions of `flows` (every session kept, as the owner's pages count them) and the
    /// number of flow files with errors.
    pub fn render(&self, flows: &[FlowStats], files_with_errors: usize) -> String {
        // One scrape at a time sets and writes them, so none sees another's half-set values.
        let read = self.read.lock().unwrap_or_else(PoisonError::into_inner);
        let ReadMetrics {
            registry,
            sessions,
            feedback,
            broken,
        } = &*read;
        // Flows no longer served drop out.
        sessions.clear();
        feedback.clear();
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        // Set in one order every time, so series keep their order between scrapes.
        let mut flows: Vec<&FlowStats> = flows.iter().collect();
        flows.sort_by(|a, b| a.flow.cmp(&b.flow));
        for stats in flows {
            let f = &stats.figures;
            for (party, s) in [("customer", &f.summary), ("agent", &f.agents)] {
                for (outcome, n) in [
                    ("resolved", s.resolved),
                    ("escalated", s.escalated),
                    ("done", s.done),
                    ("abandoned", s.abandoned),
                    ("in_progress", s.in_progress),
                ] {
                    sessions
                        .get_or_create(&SessionLabels {
                            flow: stats.flow.clone(),
                            party,
                            outcome,
                        })
                        .set(count(n));
                }
            }
            for (helpful, n) in [(true, f.summary.helpful), (false, f.summary.not_helpful)] {
                feedback
                    .get_or_create(&FeedbackLabels {
                        flow: stats.flow.clone(),
                        helpful,
                    })
                    .set(count(n));
            }
        }
        broken.set(i64::try_from(files_with_errors).unwrap_or(i64::MAX));
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = text::encode_registry(&mut out, &self.registry);
        let _ = text::encode_registry(&mut out, registry);
        let _ = text::encode_eof(&mut out);
        out
    }

    /// Counts one request of `method` on the route template `route`, answered `status`.
    /// Both labels must come from closed sets: a label a client chooses would let it add
    /// series without bound.
    pub fn request(&self, method: &'static str, route: &str, status: u16, took: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route: route.into(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method,
                route: route.into(),
            })
            .observe(took.as_secs_f64());
    }
}
