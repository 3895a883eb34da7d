//! Accepting connections: a cap on how many are open at once, the timeout that cuts off
//! clients that are slow or stalled, so they cannot hold the server's connections, and the
//! deadline of a graceful stop.
//!
//! `axum::serve` has neither: a client that opens a socket and sends half a request keeps
//! its connection for ever. Here each connection is served by hyper's HTTP/1 server with a
//! header timeout, whose clock starts when the connection is ready for a request — when it
//! opens, and again after each response — so it also closes idle keep-alive connections.
//! Slow request bodies and slow handlers are the router's business (its body and request
//! timeouts, see `serve::app`).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// File descriptors kept for everything but connections: the store's files, the flows
/// being read, the watcher.
const RESERVED_FDS: u64 = 128;

/// How long to wait before accepting again after `accept` failed (out of file descriptors,
/// say): retrying at once would spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What bounds the connections.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Connections open at once; further clients wait in the listen backlog until one closes.
    pub max_connections: usize,
    /// How long a connection has to send a request's headers, counted from when it opens or
    /// from its last response. Cuts off slow senders and idle keep-alive connections.
    pub header_timeout: Duration,
    /// How long requests in flight may take to finish once shutdown closes the listener;
    /// the connections still open then are closed, answered or not.
    pub shutdown_timeout: Duration,
}

/// Raises this process's limit on open files as far as the system lets it, and returns the
/// connection cap that fits under it (`wanted`, or fewer).
pub fn fit_to_file_limit(wanted: usize) -> usize {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read or raise the limit on open files");
            return wanted;
        }
    };
    let room = usize::try_from(limit.saturating_sub(RESERVED_FDS)).unwrap_or(usize::MAX);
    if room < wanted {
        tracing::warn!(
            open_files = limit,
            max_connections = room,
            "the limit on open files allows fewer connections than asked for"
        );
        return room.max(1);
    }
    wanted
}

/// Serves `app` on `listener` until `shutdown` completes; then stops accepting, closes idle
/// connections and lets every request in flight finish within the shutdown timeout, after
/// which the connections still open are closed: a client that sends half a request and
/// stops cannot hold a stopping server for its body timeout.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let places = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let (close_all, closing) = tokio::sync::watch::channel(false);
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let mut full = false;
    tokio::pin!(shutdown);
    loop {
        if places.available_permits() == 0 && !full {
            tracing::warn!(
                max_connections = limits.max_connections,
                "every connection place is taken; new clients wait"
            );
        }
        full = places.available_permits() == 0;
        // A place first, then a connection: past the cap, clients wait in the kernel's
        // backlog rather than being accepted and dropped.
        let place = tokio::select! {
            place = Arc::clone(&places).acquire_owned() => match place {
                Ok(place) => place,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Answers are small and written whole: send them at once.
        let _ = stream.set_nodelay(true);
        let service = app
            .clone()
            .map_request(move |mut request: Request<Incoming>| {
                request
                    .extensions_mut()
                    .insert(ConnectInfo::<SocketAddr>(peer));
                request
            });
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        let mut closing = closing.clone();
        tokio::spawn(async move {
            tokio::select! {
                ended = connection => if let Err(e) = ended {
                    // Timeouts and clients going away are routine; not worth more than debug.
                    tracing::debug!(error = %e, %peer, "connection ended");
                },
                // Past the shutdown timeout: dropping the connection closes its socket.
                _ = closing.wait_for(|close| *close) => {}
            }
            drop(place);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        let open = limits
            .max_connections
            .saturating_sub(places.available_permits());
        tracing::warn!(
            connections = open,
            timeout_ms = u64::try_from(limits.shutdown_timeout.as_millis()).unwrap_or(u64::MAX),
            "closing the connections still open after the shutdown timeout"
        );
        let _ = close_all.send(true);
        // Every connection gives its place back once its socket is dropped.
        let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
        let _ = tokio::time::timeout(CLOSE_WAIT, places.acquire_many(all)).await;
    }
}

/// How long to wait for connections to close once they were told to: dropping a socket
/// is quick, so this only bounds a stop that something else holds up.
const CLOSE_WAIT: Duration = Duration::from_secs(1);
