//! The stylesheet and the scripts, built into the binary so the server needs no files beside
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
/// What a help centre includes to frame the wizard, and what the framed pages load to tell it
/// their height and the customer's progress.
const EMBED_JS: &str = include_str!("../../assets/embed.js");
const FRAME_JS: &str = include_str!("../../assets/frame.js");

/// How long browsers and caches keep the embed script: help centres load it on every page,
/// and its address cannot carry a version, so a change reaches them within a day.
const EMBED_CACHE: &str = "public, max-age=86400";

/// `/assets/site.css`, `/assets/site.js`, `/assets/live.js`, `/assets/frame.js`,
/// `/assets/preview.css`, and `/embed.js` for other sites.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/embed.js", get(embed))
        .route("/assets/frame.js", get(|| async { script(FRAME_JS) }))
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

/// The embed script, which other sites load (a page that asks for cross-origin isolation
/// needs the resource policy to say so).
async fn embed() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, EMBED_CACHE),
            (
                header::HeaderName::from_static("cross-origin-resource-policy"),
                "cross-origin",
            ),
        ],
        EMBED_JS,
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
