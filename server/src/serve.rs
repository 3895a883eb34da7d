//! Serving: the application state, the router with its middleware (`app`), and `run`, which
//! serves a listener until the shutdown signal. Both take what they need from the caller, so
//! tests bind port 0 and stop the server when they choose.

use std::future::Future;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::TraceLayer;

use stepwise_app::library::{Library, log_diagnostics};
use stepwise_app::webhooks::{EventType, Webhooks};
use stepwise_app::{App, Metrics, reload, retention};
use stepwise_engine::CheckReport;
use stepwise_store::{OpenError, Store, StoreConfig, StoreError};

use crate::api;
use crate::api::diagnostics::DiagnosticView;
use crate::auth::AgentKey;
use crate::connections::{self, ConnectionLimits};
use crate::error::AppError;
use crate::logs::LogKey;
use crate::webhooks::{self, HttpTransport};
use crate::{keep_alive, limits, logs, metrics, security, web};

/// Limits and policies of the HTTP layer.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Origins whose pages may call the API from a browser; none means same-origin only.
    pub cors_origins: Vec<HeaderValue>,
    /// How long a request may take before it is answered `408 timeout`.
    pub request_timeout: Duration,
    /// How long a request body may go without sending a byte before it is answered `408
    /// timeout`.
    pub body_timeout: Duration,
    /// How long a connection has to send a request's headers, counted from when it opens or
    /// from its last response (so also how long an idle keep-alive connection stays open).
    pub header_timeout: Duration,
    /// Connections open at once; more clients wait until one closes.
    pub max_connections: usize,
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// The token that opens the agent console; none means one is made up at start and logged.
    pub agent_token: Option<String>,
    /// Whether writers are previewing (`--watch`): the preview pages are open to signed-in
    /// staff, and open pages refresh when the flows change.
    pub preview: bool,
    /// How long an unfinished session may stay idle before the figures count it abandoned.
    pub abandon_after: Duration,
    /// How long sessions are kept after they last changed; none keeps them for ever.
    pub retain: Option<Duration>,
    /// The CSP `frame-ancestors` sources of customer pages: who may embed the wizard.
    pub frame_ancestors: String,
    /// The CSP `frame-ancestors` sources of the agent console; none: it is never framed.
    pub console_frame_ancestors: Option<String>,
    /// The secret signed context tokens are checked with; none: no token is accepted.
    pub context_key: Option<stepwise_app::context::ContextKey>,
    /// Sessions one client address may start per minute; none means no limit.
    pub session_rate: Option<NonZeroU32>,
    /// Moves (answer, back, restart, jump) one client address may make per minute.
    pub client_move_rate: Option<NonZeroU32>,
    /// Moves one session may take per minute, whoever sends them.
    pub session_move_rate: Option<NonZeroU32>,
    /// Whether the client address is the last one in `X-Forwarded-For` (behind a proxy).
    pub forwarded_for: bool,
    /// The key of the hashes that stand for session ids in the logs; none means a random
    /// one for this process.
    pub log_key: Option<String>,
    /// Which requests get an access line (`--access-log`).
    pub access_log: logs::AccessLog,
    /// Whether pages may show images from other sites (`--allow-remote-images`).
    pub allow_remote_images: bool,
    /// The token `/metrics` asks for as `Authorization: Bearer`; none: anyone may scrape.
    pub metrics_token: Option<String>,
    /// A listener of their own for the metrics, off the public one.
    pub metrics_listen: Option<SocketAddr>,
    /// Where webhooks go and for what: nowhere unless `--webhook` is given.
    pub webhooks: Webhooks,
    /// The secret webhooks are signed with (`whsec_…`).
    pub webhook_secret: Option<String>,
    /// How long one webhook attempt may take.
    pub webhook_timeout: Duration,
    /// Whether to start although no flow passes its checks, answering `/readyz` with `503
    /// no_flows` until one does (`--start-unready`). Without it that is a start-up error.
    pub start_unready: bool,
    /// How long to go on serving, not ready, after shutdown begins and before the listener
    /// closes, so that a load balancer sees `/readyz` fail and stops sending new requests.
    pub shutdown_delay: Duration,
    /// How long requests in flight may take to finish once the listener has closed; the
    /// connections still open then are closed.
    pub shutdown_timeout: Duration,
}

/// Sessions a client address may start per minute unless configured otherwise.
pub const DEFAULT_SESSION_RATE: u32 = 60;
/// Moves a client address may make per minute unless configured otherwise: five a second
/// for an office behind one address, far above what one person clicks.
pub const DEFAULT_CLIENT_MOVE_RATE: u32 = 300;
/// Moves one session may take per minute unless configured otherwise: a walk has a few
/// dozen steps at the most, answered one at a time.
pub const DEFAULT_SESSION_MOVE_RATE: u32 = 60;

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            cors_origins: Vec::new(),
            request_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            max_connections: 16_384,
            body_limit: 64 * 1024,
            agent_token: None,
            preview: false,
            abandon_after: Duration::from_secs(30 * 60),
            retain: None,
            frame_ancestors: security::DEFAULT_FRAME_ANCESTORS.to_owned(),
            console_frame_ancestors: None,
            context_key: None,
            session_rate: NonZeroU32::new(DEFAULT_SESSION_RATE),
            client_move_rate: NonZeroU32::new(DEFAULT_CLIENT_MOVE_RATE),
            session_move_rate: NonZeroU32::new(DEFAULT_SESSION_MOVE_RATE),
            forwarded_for: false,
            log_key: None,
            access_log: logs::AccessLog::All,
            allow_remote_images: false,
            metrics_token: None,
            metrics_listen: None,
            webhooks: Webhooks::default(),
            webhook_secret: None,
            webhook_timeout: Duration::from_secs(10),
            start_unready: false,
            shutdown_delay: Duration::ZERO,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
        }
    }
}

/// How long requests in flight may take to finish at shutdown unless configured otherwise.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// What every handler can reach: the application, and what the HTTP face adds to it.
#[derive(Clone)]
pub struct AppState {
    /// The application: the flows served, the store, the metrics.
    pub app: App,
    /// Limits and policies.
    pub settings: Arc<Settings>,
    /// What lets staff into the agent console.
    pub agent: Arc<AgentKey>,
    /// What lets a scraper read the metrics, when they are not open to all.
    pub metrics_key: Option<Arc<AgentKey>>,
    openapi: Arc<str>,
    /// Set when the listener closes, so responses that never end by themselves (the live
    /// preview's event streams) end and let the server stop.
    stopping: Arc<tokio::sync::watch::Sender<bool>>,
    /// Set as soon as shutdown begins: `/readyz` fails from then on, so a load balancer
    /// drains this instance, and each response closes its connection.
    shutting_down: Arc<AtomicBool>,
}

impl AppState {
    /// The state of a server over `library` and `store`. Records the source of every current
    /// flow in the store, so sessions pinned to it can finish after the file changes.
    pub async fn new(
        library: Library,
        store: Arc<dyn Store>,
        metrics: Metrics,
        settings: Settings,
    ) -> Result<AppState, StoreError> {
        let app = App::new(library, store, metrics)
            .await?
            .with_webhooks(settings.webhooks.clone())
            .with_context_key(settings.context_key.clone());
        let openapi = api::openapi().to_json().map_err(|e| {
            StoreError::Database(format!("cannot render the OpenAPI document: {e}"))
        })?;
        let agent = match &settings.agent_token {
            Some(token) => AgentKey::new(token),
            None => {
                let token = uuid::Uuid::new_v4().simple().to_string();
                // Printed once, so whoever started the server can sign in; never stored.
                tracing::warn!(
                    "no agent token was given; sign in to /agent with this one: {token}"
                );
                AgentKey::new(&token)
            }
        };
        let metrics_key = settings
            .metrics_token
            .as_deref()
            .map(|token| Arc::new(AgentKey::new(token)));
        Ok(AppState {
            app,
            agent: Arc::new(agent),
            metrics_key,
            settings: Arc::new(settings),
            openapi: openapi.into(),
            stopping: Arc::new(tokio::sync::watch::Sender::new(false)),
            shutting_down: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Whether writers are previewing flows on this server (`--watch`).
    pub fn previewing(&self) -> bool {
        self.settings.preview
    }

    /// What the last check of the flow files found (at startup, or the last reload): empty
    /// when every file passes.
    pub fn diagnostics(&self) -> Vec<DiagnosticView> {
        self.library()
            .diagnostics()
            .iter()
            .map(DiagnosticView::from)
            .collect()
    }

    /// The OpenAPI document, as JSON.
    pub fn openapi(&self) -> String {
        self.openapi.to_string()
    }

    /// Tells every endless response to end: the server is stopping.
    pub fn stop_streams(&self) {
        self.stopping.send_replace(true);
    }

    /// Hears when the server begins to stop.
    pub fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.stopping.subscribe()
    }

    /// Marks the server as shutting down: no longer ready, closing each connection after
    /// its next response.
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::Relaxed);
    }

    /// Whether shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Relaxed)
    }
}

/// Handlers call the application's use cases with the state itself.
impl Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

/// The router: every route of the API and the middleware around each.
pub fn app(state: AppState) -> Router {
    let (router, _) = api::router().split_for_parts();
    let router = router.merge(web::router());
    let settings = Arc::clone(&state.settings);
    let cors = (!settings.cors_origins.is_empty()).then(|| {
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(settings.cors_origins.clone()))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::CONTENT_TYPE, header::ACCEPT])
            .expose_headers([header::LOCATION, REQUEST_ID])
    });
    let log_key = Arc::new(LogKey::new(settings.log_key.as_deref()));
    // Outermost first. Router::layer wraps each route, so every layer sees the matched route.
    let middleware = ServiceBuilder::new()
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            keep_alive::headers,
        ))
        .layer(axum::middleware::map_response(json_errors))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(limits::Limits::new(
                limits::Rates {
                    sessions: settings.session_rate,
                    client_moves: settings.client_move_rate,
                    session_moves: settings.session_move_rate,
                },
                settings.forwarded_for,
            )),
            limits::guard,
        ))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(move |request: &Request<Body>| {
                    logs::request_span(&log_key, request)
                })
                .on_request(())
                .on_response(logs::AccessSampler::new(settings.access_log))
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(CatchPanicLayer::custom(|_| {
            AppError::Internal("a handler panicked".into()).into_response()
        }))
        .option_layer(cors)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            settings.request_timeout,
        ))
        .layer(RequestBodyTimeoutLayer::new(settings.body_timeout))
        .layer(RequestBodyLimitLayer::new(settings.body_limit))
        // The extractors keep a limit of their own (2 MB); `--body-limit` is the one that counts.
        .layer(DefaultBodyLimit::max(settings.body_limit));
    router
        .fallback(|| async { AppError::NotFound })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .layer(middleware)
        .with_state(state)
}

/// The router of the metrics' own listener (`--metrics-listen`): `/metrics` and nothing else.
fn metrics_app(state: AppState) -> Router {
    Router::new()
        .route(
            "/metrics",
            axum::routing::get(
                |State(state): State<AppState>, headers: axum::http::HeaderMap| async move {
                    api::ops::scrape(&state, &headers).await
                },
            ),
        )
        .fallback(|| async { AppError::NotFound })
        .with_state(state)
}

/// The header that names a request, given by the client or made here.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Gives our JSON error body to errors that middleware answered with a bare status (a body
/// over the limit, a timeout).
async fn json_errors<B>(response: Response<B>) -> Response
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let status = response.status();
    // Pages answer their errors in HTML of their own; only bare statuses get the JSON body.
    let has_body = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    if (status.is_client_error() || status.is_server_error())
        && !has_body
        && let Some(error) = AppError::from_status(status)
    {
        let mut replaced = error.into_response();
        *replaced.status_mut() = status;
        // Keep what the middleware said besides (e.g. CORS or `allow` headers).
        for (name, value) in response.headers() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                replaced.headers_mut().insert(name.clone(), value.clone());
            }
        }
        return replaced;
    }
    response.map(Body::new)
}

/// Where the server finds its flows and keeps its sessions.
#[derive(Debug, Clone)]
pub struct Config {
    /// The directory of flow files.
    pub flows: PathBuf,
    /// The store.
    pub store: StoreConfig,
    /// Limits and policies of the HTTP layer.
    pub settings: Settings,
    /// Whether to reload the flows when their files change (live preview).
    pub watch: bool,
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("the store failed: {0}")]
    Store(#[from] StoreError),
    #[error("serving failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot watch the flows directory: {0}")]
    Watch(#[from] reload::WatchError),
    #[error(transparent)]
    Webhooks(#[from] webhooks::SetupError),
    /// No flow to serve, and the operator did not ask to start unready.
    #[error(
        "{0}; nothing would be served. Fix the flows, or give --start-unready to start anyway \
         (/readyz answers 503 no_flows until a flow passes)"
    )]
    NoFlows(String),
    /// `--watch` on a directory that is missing and cannot be made.
    #[error("cannot create the flows directory {0}")]
    FlowsDirectory(String),
}

/// Loads the flows, opens the store, and serves `listener` until `shutdown` completes; then
/// stops taking connections and lets requests in flight finish.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    Server::prepare(config)
        .await?
        .serve(listener, shutdown)
        .await
}

/// A server with its flows loaded and its store open, not yet listening: everything that
/// can refuse to start has been done, so the binary binds its address only after this.
pub struct Server {
    state: AppState,
    config: Config,
    report: CheckReport,
    /// What sends webhooks, when any are configured.
    transport: Option<Arc<HttpTransport>>,
}

impl Server {
    /// Loads the flows and opens the store. No flow that passes is an error, unless the
    /// operator asked to start unready or writers are watching the directory (which is
    /// created when missing: a writer starting afresh).
    pub async fn prepare(config: Config) -> Result<Server, ServeError> {
        // Settings that cannot work are refused before anything is read or served.
        let transport = match config.settings.webhooks.is_on() {
            true => {
                let secret = config
                    .settings
                    .webhook_secret
                    .as_deref()
                    .ok_or(webhooks::SetupError::NoSecret)?;
                Some(Arc::new(HttpTransport::new(
                    secret,
                    config.settings.webhook_timeout,
                )?))
            }
            false => None,
        };
        if config.watch && !config.flows.exists() {
            std::fs::create_dir_all(&config.flows).map_err(|e| {
                ServeError::FlowsDirectory(format!("{}: {e}", config.flows.display()))
            })?;
            tracing::info!(dir = %config.flows.display(), "created the flows directory");
        }
        let flows = config.flows.clone();
        let (library, report) = tokio::task::spawn_blocking(move || Library::load(&flows))
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        // A broken file is reported and left out; the good flows are served all the same.
        log_diagnostics(&report.diagnostics);
        if report.catalog.is_empty() {
            let why = no_flows(&config.flows, &report);
            if !(config.watch || config.settings.start_unready) {
                return Err(ServeError::NoFlows(why));
            }
            tracing::warn!("{why}; not ready until a flow passes its checks");
        }
        let metrics = Metrics::new();
        let store = config.store.open(metrics.store.clone()).await?;
        let settings = Settings {
            preview: config.settings.preview || config.watch,
            ..config.settings.clone()
        };
        let state = AppState::new(library, store, metrics, settings).await?;
        Ok(Server {
            state,
            config,
            report,
            transport,
        })
    }

    /// Serves `listener` until `shutdown` completes. Then the server is no longer ready
    /// (while it goes on serving for the shutdown delay), closes the listener, and gives
    /// requests in flight the shutdown timeout to finish before closing what is still open.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let Server {
            state,
            config,
            report,
            transport,
        } = self;
        let watcher = match config.watch {
            true => Some(reload::watch(state.app.clone(), &config.flows)?),
            false => None,
        };
        // Before the log line that says the server is up: a reload asked for from then on is
        // never taken for a signal to stop.
        #[cfg(unix)]
        let hangup = reload::on_hangup(state.app.clone())?;
        tracing::info!(
            listen = %listener.local_addr()?,
            flows = state.library().catalog().len(),
            files = report.files,
            errors = report.errors(),
            warnings = report.warnings(),
            dir = %config.flows.display(),
            store = %config.store,
            "stepwise is serving"
        );
        // The first purge is done before serving, so a server never shows what it must not
        // keep (unless the store cannot take it: it is then tried again every minute).
        let retention = match state.settings.retain {
            Some(keep) => Some(retention::start(Arc::clone(&state.store), keep).await?),
            None => None,
        };
        let abandoned = (transport.is_some()
            && state.settings.webhooks.sends(EventType::Abandoned))
        .then(|| {
            tokio::spawn(stepwise_app::webhooks::sweep_abandoned(
                state.app.clone(),
                state.settings.abandon_after,
            ))
        });
        let outbox = transport.map(|transport| {
            tracing::info!(
                endpoints = state.settings.webhooks.endpoints().len(),
                "webhooks are sent from the outbox"
            );
            tokio::spawn(
                state
                    .app
                    .outbox
                    .clone()
                    .run(Arc::clone(&state.store), transport),
            )
        });
        let limits = ConnectionLimits {
            max_connections: connections::fit_to_file_limit(state.settings.max_connections),
            header_timeout: state.settings.header_timeout,
            shutdown_timeout: state.settings.shutdown_timeout,
        };
        // The metrics' own listener stops when the public one does.
        let (stopped, stopping) = tokio::sync::watch::channel(false);
        let metrics = match state.settings.metrics_listen {
            Some(address) => {
                let listener = TcpListener::bind(address).await?;
                tracing::info!(listen = %listener.local_addr()?, "metrics are served apart");
                let mut stopping = stopping.clone();
                let done = async move {
                    let _ = stopping.wait_for(|stop| *stop).await;
                };
                Some(tokio::spawn(connections::serve(
                    listener,
                    metrics_app(state.clone()),
                    limits,
                    done,
                )))
            }
            None => None,
        };
        let draining = state.clone();
        let shutdown = async move {
            shutdown.await;
            draining.begin_shutdown();
            let delay = draining.settings.shutdown_delay;
            tracing::info!(
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "shutting down: not ready; serving on until the listener closes"
            );
            tokio::time::sleep(delay).await;
            // Open event streams would hold their connections, and so the stop, for ever.
            draining.stop_streams();
        };
        connections::serve(listener, app(state), limits, shutdown).await;
        let _ = stopped.send(true);
        if let Some(metrics) = metrics {
            let _ = metrics.await;
        }
        if let Some(watcher) = watcher {
            watcher.abort();
        }
        if let Some(retention) = retention {
            retention.abort();
        }
        // What is in flight is sent again by the next start: each delivery is in the outbox
        // until an attempt at it is recorded.
        if let Some(outbox) = outbox {
            outbox.abort();
        }
        if let Some(abandoned) = abandoned {
            abandoned.abort();
        }
        #[cfg(unix)]
        hangup.abort();
        tracing::info!("stepwise stopped");
        Ok(())
    }
}

/// Why no flow in `dir` is served, in words for the operator.
fn no_flows(dir: &Path, report: &CheckReport) -> String {
    if !dir.exists() {
        format!("the flows directory {} does not exist", dir.display())
    } else if !dir.is_dir() {
        format!("the flows path {} is not a directory", dir.display())
    } else if report.files == 0 {
        format!("no flow files (*.ron) in {}", dir.display())
    } else {
        format!(
            "none of the {} flow files in {} passes its checks ({} errors, logged above)",
            report.files,
            dir.display(),
            report.errors()
        )
    }
}
