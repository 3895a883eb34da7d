//! At an outcome: the details support needs (at an escalation), and whether it helped.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::views::TranscriptView;
use super::{Body, Id};
use crate::error::{AppError, ErrorBody};
use crate::serve::AppState;
use stepwise_app::Session;

/// The details asked for at an escalation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DetailsBody {
    /// Detail id → value, e.g. `{"coin": "BTC", "txid": "…"}`.
    pub details: BTreeMap<String, String>,
}

/// What the customer gives support: a reference, and the transcript behind it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Receipt {
    /// The reference to quote to support, e.g. `SW-3K9QX2TD`.
    #[schema(example = "SW-3K9QX2TD")]
    pub reference: String,
    /// The details as accepted (trimmed).
    pub details: BTreeMap<String, String>,
    /// The transcript in Markdown, ready for a ticket.
    pub transcript: String,
    /// The transcript as data.
    pub session: TranscriptView,
}

/// Whether an outcome helped.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackBody {
    /// True if the outcome solved the customer's problem.
    pub helpful: bool,
}

/// Submits the details support needs, at an escalation.
#[utoipa::path(
    post,
    path = "/api/v1/sessions/{id}/details",
    operation_id = "submit_details",
    tag = "escalation",
    params(("id" = String, Path, description = "The session id")),
    request_body = DetailsBody,
    responses(
        (status = 200, description = "The reference and the transcript", body = Receipt),
        (status = 400, description = "`malformed_body`", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: the body is not declared JSON", body = ErrorBody),
        (status = 404, description = "`unknown_session`", body = ErrorBody),
        (status = 409, description = "`conflict`: the session moved meanwhile", body = ErrorBody),
        (status = 422, description = "`invalid_details` (with `problems`) or `not_escalated`", body = ErrorBody)
    )
)]
pub async fn details(
    State(state): State<AppState>,
    Id(id): Id,
    Body(body): Body<DetailsBody>,
) -> Result<Json<Receipt>, AppError> {
    let session = Session::submit_details(&state, &id, body.details).await?;
    let reference = session.record.reference.clone().unwrap_or_default();
    let transcript = session.walk.transcript(state.library().as_ref())?;
    Ok(Json(Receipt {
        reference: reference.clone(),
        details: session.record.details.clone(),
        transcript: stepwise_app::transcript::markdown(&transcript, Some(&reference), &[]),
        session: TranscriptView::new(id, Some(reference), transcript),
    }))
}

/// Says whether the outcome helped, once the session has reached one.
#[utoipa::path(
    post,
    path = "/api/v1/sessions/{id}/feedback",
    operation_id = "give_feedback",
    tag = "escalation",
    params(("id" = String, Path, description = "The session id")),
    request_body = FeedbackBody,
    responses(
        (status = 204, description = "Recorded"),
        (status = 400, description = "`malformed_body`", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: the body is not declared JSON", body = ErrorBody),
        (status = 404, description = "`unknown_session`", body = ErrorBody),
        (status = 409, description = "`conflict`: the session moved meanwhile", body = ErrorBody),
        (status = 422, description = "`not_finished`", body = ErrorBody)
    )
)]
pub async fn feedback(
    State(state): State<AppState>,
    Id(id): Id,
    Body(body): Body<FeedbackBody>,
) -> Result<StatusCode, AppError> {
    Session::give_feedback(&state, &id, body.helpful).await?;
    Ok(StatusCode::NO_CONTENT)
}
