//! Sessions: start one, look at one, and move one (answer, back, restart).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::ToSchema;

use super::views::{SessionDetail, SessionView};
use super::{Body, Id};
use crate::error::{AppError, ErrorBody};
use crate::serve::AppState;
use crate::sessions::Session;

/// What a new session starts on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSession {
    /// The flow id.
    #[schema(example = "deposit-missing-memo")]
    pub flow: String,
    /// Facts the site already knows (e.g. `platform`: `app`); questions about them are skipped.
    #[serde(default)]
    pub facts: BTreeMap<String, String>,
}

/// An answer to the current step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// The id of one of the answers the step offers.
    #[schema(example = "in")]
    pub answer: String,
}

/// Starts a session on a flow.
#[utoipa::path(
    post,
    path = "/api/v1/sessions",
    operation_id = "start_session",
    tag = "sessions",
    request_body = CreateSession,
    responses(
        (status = 201, description = "The session and its first step", body = SessionView,
         headers(("location" = String, description = "The session's URL"))),
        (status = 400, description = "`malformed_body`", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: the body is not declared JSON", body = ErrorBody),
        (status = 404, description = "`unknown_flow`", body = ErrorBody),
        (status = 422, description = "`invalid_fact`", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many sessions from this address",
         body = ErrorBody, headers(("retry-after" = u64, description = "Seconds to wait")))
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Body(body): Body<CreateSession>,
) -> Result<impl IntoResponse, AppError> {
    let (session, step) = Session::start(&state, &body.flow, body.facts).await?;
    let location = format!("/api/v1/sessions/{}", session.record.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(session.view(step)),
    ))
}

/// A session: its current step, its history and its status.
#[utoipa::path(
    get,
    path = "/api/v1/sessions/{id}",
    operation_id = "get_session",
    tag = "sessions",
    params(("id" = String, Path, description = "The session id")),
    responses(
        (status = 200, description = "The session", body = SessionDetail),
        (status = 404, description = "`unknown_session`", body = ErrorBody)
    )
)]
pub async fn show(
    State(state): State<AppState>,
    Id(id): Id,
) -> Result<Json<SessionDetail>, AppError> {
    let session = Session::load(&state, &id).await?;
    Ok(Json(session.detail(&state.library())?))
}

/// Answers the current step.
#[utoipa::path(
    post,
    path = "/api/v1/sessions/{id}/answer",
    operation_id = "answer",
    tag = "sessions",
    params(("id" = String, Path, description = "The session id")),
    request_body = AnswerBody,
    responses(
        (status = 200, description = "The next step", body = SessionView),
        (status = 400, description = "`malformed_body`", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: the body is not declared JSON", body = ErrorBody),
        (status = 404, description = "`unknown_session`", body = ErrorBody),
        (status = 409, description = "`conflict`: the session moved meanwhile", body = ErrorBody),
        (status = 422, description = "`answer_not_offered` or `finished`", body = ErrorBody)
    )
)]
pub async fn answer(
    State(state): State<AppState>,
    Id(id): Id,
    Body(body): Body<AnswerBody>,
) -> Result<Json<SessionView>, AppError> {
    let (session, step) =
        Session::apply(&state, &id, |walk, flows| walk.answer(flows, &body.answer)).await?;
    Ok(Json(session.view(step)))
}

/// Undoes the last answer.
#[utoipa::path(
    post,
    path = "/api/v1/sessions/{id}/back",
    operation_id = "back",
    tag = "sessions",
    params(("id" = String, Path, description = "The session id")),
    responses(
        (status = 200, description = "The step before", body = SessionView),
        (status = 404, description = "`unknown_session`", body = ErrorBody),
        (status = 409, description = "`conflict`: the session moved meanwhile", body = ErrorBody),
        (status = 422, description = "`at_start`", body = ErrorBody)
    )
)]
pub async fn back(
    State(state): State<AppState>,
    Id(id): Id,
) -> Result<Json<SessionView>, AppError> {
    let (session, step) = Session::apply(&state, &id, |walk, flows| walk.back(flows)).await?;
    Ok(Json(session.view(step)))
}

/// Goes back to the first step, on the same flow versions.
#[utoipa::path(
    post,
    path = "/api/v1/sessions/{id}/restart",
    operation_id = "restart",
    tag = "sessions",
    params(("id" = String, Path, description = "The session id")),
    responses(
        (status = 200, description = "The first step", body = SessionView),
        (status = 404, description = "`unknown_session`", body = ErrorBody),
        (status = 409, description = "`conflict`: the session moved meanwhile", body = ErrorBody)
    )
)]
pub async fn restart(
    State(state): State<AppState>,
    Id(id): Id,
) -> Result<Json<SessionView>, AppError> {
    let (session, step) = Session::apply(&state, &id, |walk, flows| walk.restart(flows)).await?;
    Ok(Json(session.view(step)))
}
