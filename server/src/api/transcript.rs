//! `GET /api/v1/sessions/{id}/transcript`: the session written up for a ticket, as Markdown,
//! or as JSON for `Accept: application/json`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use stepwise_engine::Transcript;

use super::Id;
use super::views::TranscriptView;
use crate::error::{AppError, ErrorBody};
use crate::serve::AppState;
use crate::sessions::Session;

/// The session's transcript.
#[utoipa::path(
    get,
    path = "/api/v1/sessions/{id}/transcript",
    operation_id = "get_transcript",
    tag = "sessions",
    params(("id" = String, Path, description = "The session id")),
    responses(
        (status = 200, description = "The transcript",
         content((String = "text/markdown"), (TranscriptView = "application/json"))),
        (status = 404, description = "`unknown_session`", body = ErrorBody)
    )
)]
pub async fn show(
    State(state): State<AppState>,
    Id(id): Id,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let session = Session::load(&state, &id).await?;
    let transcript = session.walk.transcript(state.library().as_ref())?;
    let reference = session.record.reference;
    if wants_json(&headers) {
        return Ok(Json(TranscriptView::new(id, reference, transcript)).into_response());
    }
    Ok((
        [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
        markdown(&transcript, reference.as_deref()),
    )
        .into_response())
}

/// Whether the client asked for JSON rather than the default Markdown.
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|media| media.trim().starts_with("application/json"))
}

/// The engine's Markdown transcript, with the escalation reference support will be quoted.
pub fn markdown(transcript: &Transcript, reference: Option<&str>) -> String {
    let mut text = transcript.to_string();
    if let Some(reference) = reference {
        text.push_str(&format!("\n## Reference\n\n{reference}\n"));
    }
    text
}
