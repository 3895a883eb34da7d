//! Accepting connections: a cap on how many are open at once, and the timeout that cuts off
//! clients that are slow or stalled, so they cannot hold the server's connections.
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

/// Serves `app` on `listener` until `shutdown` completes; then stops accepting, lets every
/// request in flight finish and closes idle connections.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let places = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
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
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                // Timeouts and clients going away are routine; not worth more than debug.
                tracing::debug!(error = %e, %peer, "connection ended");
            }
            drop(place);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
