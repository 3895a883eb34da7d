//! `GET /api/v1/sessions/{id}/transcript`: the session written up for a ticket, as Markdown,
//! or as JSON for `Accept: application/json`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use super::Id;
use super::sessions::LangParam;
use super::views::TranscriptView;
use crate::error::{AppError, ErrorBody};
use crate::extract::Asked;
use crate::serve::AppState;
use stepwise_app::Session;
use stepwise_app::transcript::markdown;

/// The session's transcript.
#[utoipa::path(
    get,
    path = "/api/v1/sessions/{id}/transcript",
    operation_id = "get_transcript",
    tag = "sessions",
    params(("id" = String, Path, description = "The session id"), LangParam),
    responses(
        (status = 400, description = "`invalid_locale`: `lang` is not a language tag", body = ErrorBody),
        (status = 200, description = "The transcript, in the customer's language unless \
         `?lang=` asks for another (an agent's `?lang=en`)",
         content((String = "text/markdown"), (TranscriptView = "application/json"))),
        (status = 400, description = "`invalid_locale`", body = ErrorBody),
        (status = 404, description = "`unknown_session`", body = ErrorBody)
    )
)]
pub async fn show(
    State(state): State<AppState>,
    Id(id): Id,
    asked: Asked,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let session = Session::load(&state, &id).await?;
    let library = state.library();
    // The customer's document: their language unless `?lang=` asks for another; the
    // reader's `Accept-Language` does not change it.
    let customer = session.walk.locale().to_owned();
    let locale = match &asked.lang {
        Some(_) => asked.choose(&library, None),
        None => customer,
    };
    let transcript = session.walk.transcript(&library.in_locale(&locale))?;
    let reference = session.record.reference;
    if wants_json(&headers) {
        return Ok(Json(TranscriptView::new(id, reference, transcript)).into_response());
    }
    Ok((
        [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
        // The customer's document: agents' notes stay in the console.
        markdown(&transcript, reference.as_deref(), &[]),
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
