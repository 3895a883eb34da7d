//! Pages that follow the flows while writers edit them (`--watch`): `/live/events` is a
//! stream of server-sent events, one `catalog` event each time the flows served are replaced,
//! and `assets/live.js` fetches the open page again when one comes. Without `--watch` there
//! is no stream and pages never ask for one.
//!
//! The stream says only that something changed and how many times it has (the generation),
//! never what: it is open to customer pages, which must not see writers' diagnostics. A page
//! carries the generation it was rendered at, so a change made between the render and the
//! stream's opening is not missed.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures_util::Stream;
use futures_util::stream;
use tokio::sync::watch;

use crate::error::AppError;
use crate::serve::AppState;

/// Where pages listen for changes.
pub const EVENTS: &str = "/live/events";

/// How often an idle stream sends a comment, so proxies and browsers keep it open and a
/// client that went away is noticed.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// `/live/events`.
pub fn routes() -> Router<AppState> {
    Router::new().route(EVENTS, get(events))
}

/// The event a page hears: the flows are now at `generation`.
fn catalog_event(generation: u64) -> Event {
    let generation = generation.to_string();
    Event::default()
        .event("catalog")
        .id(generation.clone())
        .data(generation)
}

/// The current generation at once, then one event per change, until the server stops.
/// `404 not_found` unless writers are previewing.
async fn events(
    State(state): State<AppState>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    if !state.previewing() {
        return Err(AppError::NotFound);
    }
    let changes = state.changes();
    let stopping = state.stopping();
    let stream = stream::unfold(
        (changes, stopping, true),
        |(mut changes, mut stopping, first)| async move {
            if !first {
                tokio::select! {
                    changed = changes.changed() => changed.ok()?,
                    () = stopped(&mut stopping) => return None,
                }
            }
            if *stopping.borrow() {
                return None;
            }
            // Changes in between are folded into this one: a page needs only the latest.
            let generation = *changes.borrow_and_update();
            Some((Ok(catalog_event(generation)), (changes, stopping, false)))
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// Completes once the server begins to stop.
async fn stopped(stopping: &mut watch::Receiver<bool>) {
    while !*stopping.borrow_and_update() {
        if stopping.changed().await.is_err() {
            return;
        }
    }
}
