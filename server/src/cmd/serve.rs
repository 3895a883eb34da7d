//! `stepwise serve`: the API over a directory of flows, with an embedded store.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use axum::http::HeaderValue;
use clap::{Args, ValueEnum};
use stepwise::logs::AccessLog;
use stepwise::security;
use stepwise::serve::{
    Config, DEFAULT_CLIENT_MOVE_RATE, DEFAULT_SESSION_MOVE_RATE, DEFAULT_SESSION_RATE, ServeError,
    Server, Settings,
};
use stepwise_app::context::ContextKey;
use stepwise_app::webhooks::Webhooks;
use stepwise_store::StoreConfig;
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

/// Flags of `stepwise serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The directory of flow files.
    #[arg(long, value_name = "DIR", default_value = "flows")]
    flows: PathBuf,
    /// The address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Where sessions are kept: `sqlite://PATH[?synchronous=full|normal|off]` (created on
    /// first run), or `postgres://USER@HOST:PORT/DB[?pool_size=N]`, which several instances
    /// can share (its tables are created and migrated at start).
    #[arg(long, value_name = "URL", default_value = "sqlite://stepwise.db")]
    store: StoreConfig,
    /// How logs are written.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Which log lines are written: a level (error, warn, info, debug, trace) or filter
    /// directives such as `info,stepwise::access=warn` (no line per request). Without it,
    /// `RUST_LOG` is read, and without that, `info`.
    #[arg(long, value_name = "FILTER", value_parser = log_filter)]
    log_level: Option<String>,
    /// Which requests get an access line: `all`, `none`, or `sample=N` (every Nth request).
    /// Other lines are written whatever this says.
    #[arg(long, value_name = "all|none|sample=N", default_value = "all")]
    access_log: AccessLog,
    /// An origin whose pages may call the API (repeat for several), e.g. https://help.example.com.
    #[arg(long = "cors-origin", value_name = "ORIGIN", value_parser = origin)]
    cors_origins: Vec<HeaderValue>,
    /// Seconds a request may take before it is answered with a timeout.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    request_timeout: u64,
    /// Seconds a request body may go without sending a byte before it is answered with a
    /// timeout.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout: u64,
    /// Seconds a connection has to send a request's headers, counted from when it opens or
    /// from its last response: cuts off slow senders and idle keep-alive connections.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout: u64,
    /// Connections open at once; more clients wait until one closes. Lowered to what the
    /// limit on open files allows.
    #[arg(long, value_name = "N", default_value_t = 16_384, value_parser = clap::value_parser!(u64).range(1..))]
    max_connections: u64,
    /// The largest request body accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024)]
    body_limit: usize,
    /// Reload the flows when their files change (live preview while writing; not for
    /// production). A flow whose file breaks keeps its last good version; staff read what is
    /// wrong at /preview and GET /api/v1/diagnostics. The directory may be empty or missing
    /// (it is created): the server is then not ready until a flow passes.
    #[arg(long)]
    watch: bool,
    /// Start even when no flow in --flows passes its checks (or the directory is missing),
    /// with /readyz answering 503 `no_flows` until one does after a reload. Without it, that
    /// is an error at start.
    #[arg(long)]
    start_unready: bool,
    /// Seconds to go on serving after SIGTERM or Ctrl-C, with /readyz answering 503
    /// `shutting_down`, before the listener closes: time for a load balancer to notice.
    #[arg(long, value_name = "SECS", default_value_t = 0)]
    shutdown_delay: u64,
    /// Seconds requests in flight have to finish once the listener has closed; connections
    /// still open then are closed.
    #[arg(long, value_name = "SECS", default_value_t = 5)]
    shutdown_timeout: u64,
    /// The token that opens the agent console at /agent. Without one, a random token is
    /// made at start and printed once in the log.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "STEPWISE_AGENT_TOKEN",
        hide_env_values = true
    )]
    agent_token: Option<String>,
    /// The key of the short hashes that stand for session ids in the logs (an id lets its
    /// holder into the session, so it is never logged). Give every instance the same key to
    /// match one session across their logs; without one, each process makes its own.
    #[arg(
        long,
        value_name = "SECRET",
        env = "STEPWISE_LOG_KEY",
        hide_env_values = true
    )]
    log_key: Option<String>,
    /// Ask scrapers of /metrics for this token, as `Authorization: Bearer TOKEN`.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "STEPWISE_METRICS_TOKEN",
        hide_env_values = true
    )]
    metrics_token: Option<String>,
    /// Serve /metrics on this address of its own (e.g. 127.0.0.1:9090), and not on the
    /// public listener.
    #[arg(long, value_name = "ADDRESS")]
    metrics_listen: Option<std::net::SocketAddr>,
    /// Let pages show images from other sites. Off by default: whoever serves an image
    /// learns which customer reads the step (`stepwise check` warns of such images).
    #[arg(long)]
    allow_remote_images: bool,
    /// How long an unfinished session may stay idle before the figures count it as
    /// abandoned (e.g. 30m, 2h, 1day).
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = humantime::parse_duration)]
    abandon_after: Duration,
    /// Delete sessions, and their events, this many days after they last changed (checked at
    /// start and every hour). Without it, sessions are kept.
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..))]
    retain_days: Option<u32>,
    /// Who may show the customer pages in a frame, as CSP `frame-ancestors` sources:
    /// `'self'` (the default), `'none'`, or origins such as `https://help.example.com`
    /// (space-separated). The agent console is never framed.
    #[arg(long, value_name = "SOURCES", default_value = security::DEFAULT_FRAME_ANCESTORS,
          value_parser = security::parse_frame_ancestors)]
    frame_ancestors: String,
    /// Who may show the agent console in a frame (a helpdesk's ticket sidebar), as CSP
    /// `frame-ancestors` sources such as `https://example.zendesk.com`. Off by default: the
    /// console is framed by nobody.
    #[arg(long, value_name = "SOURCES", value_parser = security::parse_frame_ancestors)]
    console_frame_ancestors: Option<String>,
    /// The shared secret signed context tokens (`?ctx=` on a link, `context` in the API)
    /// are checked with: HS256 JWTs with `exp`. At least 32 bytes; without it no token is
    /// accepted. See docs/context.md.
    #[arg(
        long,
        value_name = "SECRET",
        env = "STEPWISE_CONTEXT_SECRET",
        hide_env_values = true
    )]
    context_secret: Option<String>,
    /// Sessions one client address may start per minute (0: no limit). Past it, starting a
    /// session is answered 429 with `Retry-After`.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_SESSION_RATE)]
    session_rate: u32,
    /// Moves (answer, back, restart, jump) one client address may make per minute (0: no
    /// limit). Past it, a move is answered 429 with `Retry-After`.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CLIENT_MOVE_RATE)]
    move_rate: u32,
    /// Moves one session may take per minute, whoever sends them (0: no limit).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_SESSION_MOVE_RATE)]
    session_move_rate: u32,
    /// Count clients by the last address in `X-Forwarded-For`: set it only behind a reverse
    /// proxy that appends the client's address, or anyone can pick their own.
    #[arg(long)]
    trust_forwarded_for: bool,
    /// Send webhooks of what happens to sessions to this http(s) URL (repeat for several),
    /// signed as Standard Webhooks; see the README's "Webhooks".
    #[arg(long = "webhook", value_name = "URL")]
    webhooks: Vec<String>,
    /// The secret webhooks are signed with: `whsec_` and base64 of at least 16 bytes.
    #[arg(
        long,
        value_name = "SECRET",
        env = "STEPWISE_WEBHOOK_SECRET",
        hide_env_values = true
    )]
    webhook_secret: Option<String>,
    /// Which events are sent (comma-separated): escalated, resolved, feedback,
    /// escalation_withdrawn, abandoned. All of them by default.
    #[arg(long, value_name = "LIST")]
    webhook_events: Vec<String>,
    /// How long one attempt to send a webhook may take (e.g. 10s); past it, the attempt
    /// counts as failed and is retried.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = humantime::parse_duration)]
    webhook_timeout: Duration,
}

/// Log output.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    /// Lines for people.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

fn log_filter(value: &str) -> Result<String, String> {
    EnvFilter::try_new(value)
        .map(|_| value.to_owned())
        .map_err(|e| format!("`{value}` is not a log level or filter: {e}"))
}

fn origin(value: &str) -> Result<HeaderValue, String> {
    let valid =
        (value.starts_with("http://") || value.starts_with("https://")) && !value.ends_with('/');
    if !valid {
        return Err(format!(
            "`{value}` is not an origin; expected e.g. https://help.example.com (no path)"
        ));
    }
    HeaderValue::from_str(value).map_err(|e| e.to_string())
}

/// Runs the server until SIGTERM or Ctrl-C.
pub fn run(args: ServeArgs) -> ExitCode {
    // Checked here rather than by clap, whose message would print the secret.
    let context_key = match args
        .context_secret
        .as_deref()
        .map(ContextKey::new)
        .transpose()
    {
        Ok(key) => key,
        Err(e) => {
            eprintln!("error: --context-secret (or STEPWISE_CONTEXT_SECRET): {e}");
            return ExitCode::from(2);
        }
    };
    // Declared before the runtime, so dropped after it: lines logged while the runtime
    // winds down are flushed too.
    let _logs = init_logs(args.log_format, args.log_level.as_deref());
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the runtime");
            return ExitCode::FAILURE;
        }
    };
    let webhooks = match Webhooks::new(args.webhooks, &args.webhook_events) {
        Ok(webhooks) => webhooks,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let config = Config {
        flows: args.flows,
        store: args.store,
        settings: Settings {
            cors_origins: args.cors_origins,
            request_timeout: Duration::from_secs(args.request_timeout),
            body_timeout: Duration::from_secs(args.body_timeout),
            header_timeout: Duration::from_secs(args.header_timeout),
            max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
            body_limit: args.body_limit,
            agent_token: args.agent_token.filter(|t| !t.trim().is_empty()),
            preview: args.watch,
            abandon_after: args.abandon_after,
            retain: args
                .retain_days
                .map(|days| Duration::from_secs(u64::from(days) * 24 * 60 * 60)),
            frame_ancestors: args.frame_ancestors,
            console_frame_ancestors: args.console_frame_ancestors,
            context_key,
            session_rate: NonZeroU32::new(args.session_rate),
            client_move_rate: NonZeroU32::new(args.move_rate),
            session_move_rate: NonZeroU32::new(args.session_move_rate),
            forwarded_for: args.trust_forwarded_for,
            log_key: args.log_key.filter(|k| !k.is_empty()),
            access_log: args.access_log,
            allow_remote_images: args.allow_remote_images,
            metrics_token: args.metrics_token.filter(|t| !t.trim().is_empty()),
            metrics_listen: args.metrics_listen,
            webhooks,
            webhook_secret: args.webhook_secret.filter(|s| !s.trim().is_empty()),
            webhook_timeout: args.webhook_timeout,
            start_unready: args.start_unready,
            shutdown_delay: Duration::from_secs(args.shutdown_delay),
            shutdown_timeout: Duration::from_secs(args.shutdown_timeout),
        },
        watch: args.watch,
    };
    let result = runtime.block_on(async {
        // Everything that can refuse to start does so before the address is taken.
        let server = Server::prepare(config).await?;
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| {
                ServeError::Io(std::io::Error::new(
                    e.kind(),
                    format!("cannot listen on {}: {e}", args.listen),
                ))
            })?;
        server.serve(listener, shutdown_signal()?).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr, filtered by `--log-level`, else `RUST_LOG`, else `info`. Lines are
/// handed to a writer thread, so a request never waits on stderr; the returned guard
/// flushes what is queued when dropped, and must live until the last line is logged.
fn init_logs(format: LogFormat, level: Option<&str>) -> WorkerGuard {
    let filter = match level {
        Some(level) => EnvFilter::new(level),
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
    };
    // Not lossy: with the queue full (128,000 lines behind), a request waits rather than
    // its line being dropped.
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("stepwise-logs")
        .finish(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match format {
        LogFormat::Text => builder.init(),
        // The request's span once, as `span`; the list of every enclosing span would repeat
        // it on each line, since a request's lines have no other span around them.
        LogFormat::Json => builder.json().with_span_list(false).init(),
    }
    guard
}

/// A future that completes on SIGTERM (what service managers send) or Ctrl-C. The handlers
/// are installed now, not when the future is first polled, so a signal that comes while the
/// server is still starting is not lost (nor does it kill the process outright).
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {},
            _ = interrupt.recv() => {},
        }
        tracing::info!("asked to stop");
    })
}

/// A future that completes on Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("asked to stop");
    })
}
