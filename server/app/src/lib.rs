//! What stepwise does, with no HTTP in it: the flows served, the sessions walked through them,
//! and what their owners and operators read of them. The HTTP face (`stepwise`) and the
//! command line call this crate; it calls the engine and the store.
//!
//! - [`App`]: the flows served now, the store and the metrics, shared by every request;
//! - [`sessions`]: starting, loading, moving and storing a customer's walk;
//! - [`context`]: the facts a site gives when it opens a flow, plain or in a signed token;
//! - [`library`]: the flows served, current and pinned older versions, and their translations;
//! - [`search`]: ranked search over flows, and [`unfound`]: the searches that found nothing,
//!   counted for the owner;
//! - [`locale`]: the language a customer is answered in;
//! - [`transcript`]: a session written up for a ticket;
//! - [`stats`]: the figures a flow's owner reads, computed from the sessions' events;
//! - [`report`]: a flow's figures over a period, as its owner reads them;
//! - [`reload`]: reloading the flows when their files change or on `SIGHUP`, each reload
//!   published by [`App::changes`];
//! - [`retention`]: deleting sessions older than `--retain-days`;
//! - [`webhooks`]: what happens to sessions, sent to helpdesks from a durable outbox;
//! - [`metrics`]: the figures an operator scrapes;
//! - [`clock`]: timestamps as documents show them;
//! - [`Error`]: everything these can fail with.

pub mod clock;
pub mod context;
pub mod error;
pub mod library;
pub mod locale;
pub mod metrics;
pub mod reload;
pub mod report;
pub mod retention;
pub mod search;
pub mod sessions;
pub mod stats;
pub mod transcript;
pub mod unfound;
pub mod webhooks;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use stepwise_store::{Store, StoreError};
use tokio::sync::watch;

pub use error::Error;
pub use library::Library;
pub use locale::Asked;
pub use metrics::Metrics;
pub use sessions::{Move, Session};

/// The application: what every request and every command reaches.
#[derive(Clone)]
pub struct App {
    /// The flows served, current and pinned; replaced whole when the flows are reloaded.
    library: Arc<RwLock<Arc<Library>>>,
    /// Where sessions are kept.
    pub store: Arc<dyn Store>,
    /// The operator's figures.
    pub metrics: Metrics,
    /// Whether the current flows are still to be recorded in the store: it could not save
    /// them at start.
    unrecorded: Arc<AtomicBool>,
    /// How many times the flows served have been replaced, published to whoever waits for
    /// the next change (pages open during a live preview).
    changes: Arc<watch::Sender<u64>>,
    /// Where webhooks go; none anywhere unless configured.
    pub webhooks: Arc<webhooks::Webhooks>,
    /// Told when a change wrote webhook deliveries, so they go out at once.
    pub outbox: webhooks::Outbox,
    /// The secret context tokens are checked with; none: no token is accepted.
    context_key: Option<context::ContextKey>,
}

impl App {
    /// The application over `library` and `store`. Records the source of every current flow
    /// in the store, so sessions pinned to it can finish after the file changes.
    ///
    /// A store that cannot save them now is no reason not to serve: sessions are read all
    /// the same, and the flows are recorded before the first session starts on them.
    pub async fn new(
        library: Library,
        store: Arc<dyn Store>,
        metrics: Metrics,
    ) -> Result<App, StoreError> {
        let unrecorded = match store.archive_flows(library.archive()).await {
            Ok(()) => false,
            Err(e @ StoreError::Unavailable(_)) => {
                tracing::warn!(
                    error = %e,
                    "the flows are not recorded in the store yet: sessions start once they are"
                );
                true
            }
            Err(e) => return Err(e),
        };
        Ok(App {
            library: Arc::new(RwLock::new(Arc::new(library))),
            store,
            metrics,
            unrecorded: Arc::new(AtomicBool::new(unrecorded)),
            changes: Arc::new(watch::Sender::new(0)),
            webhooks: Arc::new(webhooks::Webhooks::default()),
            outbox: webhooks::Outbox::default(),
            context_key: None,
        })
    }

    /// The application sending `webhooks` of what happens to sessions.
    pub fn with_webhooks(mut self, webhooks: webhooks::Webhooks) -> App {
        self.webhooks = Arc::new(webhooks);
        self
    }

    /// The application, checking context tokens with `key` (`--context-secret`).
    pub fn with_context_key(mut self, key: Option<context::ContextKey>) -> App {
        self.context_key = key;
        self
    }

    /// The secret context tokens are checked with, if the server has one.
    pub fn context_key(&self) -> Option<&context::ContextKey> {
        self.context_key.as_ref()
    }

    /// Records the current flows in the store if that could not be done at start, so that no
    /// session is pinned to a version the store does not hold.
    pub(crate) async fn record_flows(&self) -> Result<(), StoreError> {
        if self.unrecorded.load(Ordering::Acquire) {
            self.store.archive_flows(self.library().archive()).await?;
            self.unrecorded.store(false, Ordering::Release);
        }
        Ok(())
    }

    /// The flows served now. A request keeps the one it got for its whole run, so a reload
    /// never changes the flows under it.
    pub fn library(&self) -> Arc<Library> {
        let current = self.library.read().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(&current)
    }

    /// Serves `library` from now on, once the store holds its flows, so sessions started on
    /// them can finish after they change again.
    pub async fn replace_library(&self, library: Library) -> Result<(), StoreError> {
        self.store.archive_flows(library.archive()).await?;
        let library = Arc::new(library);
        *self.library.write().unwrap_or_else(PoisonError::into_inner) = library;
        // The flows served from now on are recorded: those of before were never started on.
        self.unrecorded.store(false, Ordering::Release);
        // Told after the swap, so whoever hears of it reads the new flows.
        self.changes.send_modify(|generation| *generation += 1);
        Ok(())
    }

    /// The flows of `library` matching `query` in `locale`, best first. A search that finds
    /// nothing is counted for the owner's page ([`unfound`]).
    pub fn search(&self, library: &Library, query: &str, locale: &str) -> Vec<search::Hit> {
        let hits = library.index_in(locale).search(query);
        if hits.is_empty() {
            unfound::record(&self.store, query, locale);
        }
        hits
    }

    /// How many times the flows served have been replaced since start: a page rendered at
    /// one generation is out of date once this moves on.
    pub fn generation(&self) -> u64 {
        *self.changes.borrow()
    }

    /// Hears of every replacement of the flows served: the receiver's value is the
    /// [`generation`](App::generation), and it changes after each reload, whether the files
    /// passed or not (a broken file changes the diagnostics). A slow listener misses
    /// nothing but the generations in between.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use stepwise_store::StoreConfig;

    use super::*;

    #[tokio::test]
    async fn each_reload_is_published_once_the_new_flows_are_served() {
        let dir = tempfile::tempdir().unwrap();
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/flows");
        for name in ["sign-in.ron", "second-factor.ron"] {
            std::fs::copy(fixtures.join(name), dir.path().join(name)).unwrap();
        }
        let store_dir = tempfile::tempdir().unwrap();
        let metrics = Metrics::new();
        let store = StoreConfig::Sqlite {
            path: store_dir.path().join("stepwise.db"),
            synchronous: Default::default(),
        }
        .open(metrics.store.clone())
        .await
        .unwrap();
        let (library, _) = Library::load(dir.path());
        let app = App::new(library, store, metrics).await.unwrap();
        let mut changes = app.changes();
        assert_eq!(app.generation(), 0);
        assert!(!changes.has_changed().unwrap());

        let file = dir.path().join("sign-in.ron");
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, text.replace("What happens", "What goes wrong")).unwrap();
        reload::reload(&app).await;
        changes.changed().await.unwrap();
        assert_eq!(*changes.borrow_and_update(), 1);
        // Whoever hears of the change reads the new flows.
        let served = app.library().catalog().get("sign-in").cloned().unwrap();
        assert!(
            served
                .raw()
                .nodes
                .values()
                .any(|n| n.text().is_some_and(|t| t.starts_with("What goes wrong")))
        );

        // A broken file is a change too: the diagnostics are new.
        std::fs::write(&file, "Flow(").unwrap();
        reload::reload(&app).await;
        assert!(changes.has_changed().unwrap());
        assert_eq!(app.generation(), 2);
        assert_eq!(app.library().diagnostics().len(), 1);
    }
}
