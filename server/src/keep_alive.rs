//! What each response tells its client about the connection it came on, so that the client,
//! not the server, ends a keep-alive connection whenever it can:
//!
//! - `Keep-Alive: timeout=N`, a second under the idle timeout (`--header-timeout`). A server
//!   closing an idle connection races the client's next request on it, which is then lost
//!   unanswered (every HTTP/1.1 server has that race); a client that heeds the hint retires
//!   the connection before the server would close it.
//! - `Connection: close` once shutdown has begun, so a client moves to another instance
//!   after its next response instead of having the connection closed under a request.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::serve::AppState;

/// How much sooner than the server's idle timeout a client is told to give up a connection:
/// room for a request sent at the advertised moment to arrive while it is still open.
const MARGIN: Duration = Duration::from_secs(1);

/// Adds the connection headers to every response.
pub async fn headers(
    State(state): State<AppState>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if state.is_shutting_down() {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    } else if let Some(hint) = hint(state.settings.header_timeout) {
        headers.insert(HeaderName::from_static("keep-alive"), hint);
    }
    response
}

/// `timeout=N` for an idle timeout of `idle`: whole seconds, at least [`MARGIN`] under it.
/// None when that leaves less than a second (`timeout=0` would forbid reuse).
fn hint(idle: Duration) -> Option<HeaderValue> {
    let seconds = idle.saturating_sub(MARGIN).as_secs();
    (seconds > 0)
        .then(|| HeaderValue::from_str(&format!("timeout={seconds}")).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hint_is_a_second_or_more_under_the_idle_timeout() {
        let hint = |secs: f64| super::hint(Duration::from_secs_f64(secs));
        assert_eq!(hint(10.0).unwrap(), "timeout=9");
        assert_eq!(hint(2.5).unwrap(), "timeout=1");
        assert_eq!(hint(2.0).unwrap(), "timeout=1");
        assert!(hint(1.9).is_none());
        assert!(hint(1.0).is_none());
    }
}
