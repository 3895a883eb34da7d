//! The stylesheet and the script, built into the binary so the server needs no files beside
//! it and no front-end build.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::serve::AppState;

const CSS: &str = include_str!("../../assets/site.css");
const JS: &str = include_str!("../../assets/site.js");

/// `/assets/site.css` and `/assets/site.js`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/assets/site.css", get(css))
        .route("/assets/site.js", get(js))
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
