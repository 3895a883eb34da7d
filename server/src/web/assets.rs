//! The stylesheet and the script, built into the binary so the server needs no files beside
//! it and no front-end build.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::serve::AppState;

const CSS: &str = include_str!("../../assets/site.css");
const JS: &str = include_str!("../../assets/site.js");
/// What pages load while writers preview: following edits, and the preview's own styles.
const LIVE_JS: &str = include_str!("../../assets/live.js");
const PREVIEW_CSS: &str = include_str!("../../assets/preview.css");

/// `/assets/site.css`, `/assets/site.js`, `/assets/live.js` and `/assets/preview.css`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/assets/site.css", get(css))
        .route("/assets/site.js", get(js))
        .route("/assets/live.js", get(|| async { script(LIVE_JS) }))
        .route(
            "/assets/preview.css",
            get(|| async { stylesheet(PREVIEW_CSS) }),
        )
}

fn script(text: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        text,
    )
}

fn stylesheet(text: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        text,
    )
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        CSS,
    )
}

async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        JS,
    )
}
