//! What each response tells its client about the connection it came on. A stopping server
//! closes each connection after its next response (`Connection: close`), so a client moves
//! on to another instance between requests instead of sending one on a connection the
//! server is about to close.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::serve::AppState;

/// Adds the connection headers to every response.
pub async fn headers(
    State(state): State<AppState>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    if state.is_shutting_down() {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}
