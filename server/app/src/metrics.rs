//! Prometheus metrics: requests and latency per route, sessions by flow and outcome, and the
//! store's group commits. One registry per server, so tests can run several. The HTTP face
//! counts its requests here with labels from closed sets it chooses.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use stepwise_store::CommitObserver;

/// Every metric the server keeps.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    started: Family<FlowLabels, Counter>,
    outcomes: Family<OutcomeLabels, Counter>,
    feedback: Family<FeedbackLabels, Counter>,
    /// Handed to the store so that its writer can report its commits.
    pub store: StoreMetrics,
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

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FlowLabels {
    flow: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    flow: String,
    outcome: String,
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
        let started = Family::<FlowLabels, Counter>::default();
        let outcomes = Family::<OutcomeLabels, Counter>::default();
        let feedback = Family::<FeedbackLabels, Counter>::default();
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
            "sessions_started",
            "Sessions started, by flow",
            started.clone(),
        );
        registry.register(
            "session_outcomes",
            "Sessions that reached an outcome (resolved, escalated, done), by flow",
            outcomes.clone(),
        );
        registry.register(
            "session_feedback",
            "Feedback on outcomes, by flow and whether it helped",
            feedback.clone(),
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
            started,
            outcomes,
            feedback,
            store,
        }
    }

    /// The metrics in Prometheus' text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// Counts a session started on `flow`.
    pub fn session_started(&self, flow: &str) {
        self.started
            .get_or_create(&FlowLabels { flow: flow.into() })
            .inc();
    }

    /// Counts a session of `flow` reaching `outcome`.
    pub fn session_outcome(&self, flow: &str, outcome: &str) {
        self.outcomes
            .get_or_create(&OutcomeLabels {
                flow: flow.into(),
                outcome: outcome.into(),
            })
            .inc();
    }

    /// Counts feedback on an outcome of `flow`.
    pub fn feedback(&self, flow: &str, helpful: bool) {
        self.feedback
            .get_or_create(&FeedbackLabels {
                flow: flow.into(),
                helpful,
            })
            .inc();
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
