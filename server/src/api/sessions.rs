//! Sessions: start one, look at one, and move one (answer, back, restart).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use super::views::{SessionDetail, SessionView};
use super::{Body, Id};
use crate::error::{AppError, ErrorBody};
use crate::extract::Asked;
use crate::serve::AppState;
use stepwise_app::{Error, Move, Session, context};
use stepwise_store::Party;

/// `?lang=`: the language to answer in; else `Accept-Language`; else the session's language.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangParam {
    /// A language tag, e.g. `de`. Steps a flow has no current translation of come in the
    /// source language, with `fallback: true`.
    #[param(example = "de", pattern = "^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")]
    pub lang: Option<String>,
}

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
    /// A context token the site signed (a JWT, HS256, with `exp`; see docs/context.md): the
    /// only way to give the inputs a flow marks `signed: true`.
    #[serde(default)]
    #[schema(
        example = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3MDAwMDAwMDAsImZhY3RzIjp7Imt5YyI6InBlbmRpbmcifX0.signature"
    )]
    pub context: Option<String>,
}

/// An answer to the current step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// The id of one of the answers the step offers.
    #[schema(example = "in")]
    pub answer: String,
    /// The session's `revision` when the client showed the step it answers. If the session
    /// has moved since (another tab, another agent, a retried request), the answer is refused
    /// with 409 `conflict` and the current session. Without it, the answer applies to the
    /// step the session stands on when the request is handled.
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(example = 1)]
    pub revision: Option<i64>,
}

/// A whole number, also when a client writes it `5.0`: JSON has one number type, and the
/// schema's `integer` admits both spellings.
fn whole_number<'de, D: Deserializer<'de>>(number: D) -> Result<Option<i64>, D::Error> {
    let Some(number) = Option::<serde_json::Number>::deserialize(number)? else {
        return Ok(None);
    };
    // Beyond 2^53 a float no longer holds every whole number exactly.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    let whole = number.as_i64().or_else(|| {
        number
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() <= EXACT)
            .map(|f| f as i64)
    });
    whole.map(Some).ok_or_else(|| {
        serde::de::Error::custom(format!("`revision` must be a whole number, not {number}"))
    })
}

/// A move that lost to another becomes a conflict carrying the session as it is now.
async fn or_moved<T>(state: &AppState, id: &str, result: Result<T, Error>) -> Result<T, AppError> {
    match result {
        Err(Error::Conflict) => Err(Session::moved(state, id).await.into()),
        other => Ok(other?),
    }
}

/// Starts a session on a flow.
#[utoipa::path(
    post,
    path = "/api/v1/sessions",
    operation_id = "start_session",
    tag = "sessions",
    request_body = CreateSession,
    params(LangParam),
    responses(
        (status = 201, description = "The session and its first step", body = SessionView,
         headers(("location" = String, description = "The session's URL"))),
        (status = 400, description = "`malformed_body`, `invalid_locale`, or `malformed_context`: `context` is not a JWT", body = ErrorBody),
        (status = 403, description = "`context_expired`, `invalid_context` (another key or algorithm, no `exp`, another flow, a fact or value the flow does not take), or `unsigned_fact`: a signed input given in `facts`", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: the body is not declared JSON", body = ErrorBody),
        (status = 404, description = "`unknown_flow`", body = ErrorBody),
        (status = 422, description = "`invalid_fact`; `undeclared_fact`: a fact the flow does not take as an input; `undeclared_value`: a value its input does not declare; `context_not_accepted`: a `context` given to a server without `--context-secret`", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many sessions from this address",
         body = ErrorBody, headers(("retry-after" = u64, description = "Seconds to wait")))
    )
)]
pub async fn create(
    State(state): State<AppState>,
    asked: Asked,
    Body(body): Body<CreateSession>,
) -> Result<impl IntoResponse, AppError> {
    let locale = asked.choose(&state.library(), None);
    let facts = context::from_api(&state, &body.flow, body.facts, body.context.as_deref())?;
    let (session, step) =
        Session::start(&state, &body.flow, facts, &locale, Party::Customer).await?;
    let location = format!("/api/v1/sessions/{}", session.record.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(SessionView::new(&session, step)),
    ))
}

/// A session: its current step, its history and its status.
#[utoipa::path(
    get,
    path = "/api/v1/sessions/{id}",
    operation_id = "get_session",
    tag = "sessions",
    params(("id" = String, Path, description = "The session id"), LangParam),
    responses(
        (status = 400, description = "`invalid_locale`: `lang` is not a language tag", body = ErrorBody),
        (status = 200, description = "The session", body = SessionDetail),
        (status = 404, description = "`unknown_session`", body = ErrorBody)
    )
)]
pub async fn show(
    State(state): State<AppState>,
    Id(id): Id,
    asked: Asked,
) -> Result<Json<SessionDetail>, AppError> {
    let session = Session::load(&state, &id).await?;
    let library = state.library();
    let locale = asked.choose(&library, Some(session.walk.locale()));
    Ok(Json(SessionDetail::new(&session, &library, &locale)?))
}

/// Answers the current step.
#[utoipa::path(
    post,
    path = "/api/v1/sessions/{id}/answer",
    operation_id = "answer",
    tag = "sessions",
    params(("id" = String, Path, description = "The session id"), LangParam),
    request_body = AnswerBody,
    responses(
        (status = 200, description = "The next step", body = SessionView),
        (status = 400, description = "`malformed_body`, `invalid_locale`, or `malformed_context`: `context` is not a JWT", body = ErrorBody),
        (status = 403, description = "`context_expired`, `invalid_context` (another key or algorithm, no `exp`, another flow, a fact or value the flow does not take), or `unsigned_fact`: a signed input given in `facts`", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: the body is not declared JSON", body = ErrorBody),
        (status = 404, description = "`unknown_session`", body = ErrorBody),
        (status = 409, description = "`conflict`: the session is no longer at the `revision` \
         sent, or another answer was stored first; `session` holds it as it is now",
         body = ErrorBody),
        (status = 422, description = "`answer_not_offered` or `finished`", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many moves from this address or on this session; see `Retry-After`", body = ErrorBody)
    )
)]
pub async fn answer(
    State(state): State<AppState>,
    Id(id): Id,
    asked: Asked,
    Body(body): Body<AnswerBody>,
) -> Result<Json<SessionView>, AppError> {
    let moved = Session::apply_at(
        &state,
        &id,
        &asked,
        body.revision,
        Move::Answer(body.answer),
    )
    .await;
    let (session, step) = or_moved(&state, &id, moved).await?;
    Ok(Json(SessionView::new(&session, step)))
}

/// Undoes the last answer.
#[utoipa::path(
    post,
    path = "/api/v1/sessions/{id}/back",
    operation_id = "back",
    tag = "sessions",
    params(("id" = String, Path, description = "The session id"), LangParam),
    responses(
        (status = 400, description = "`invalid_locale`: `lang` is not a language tag", body = ErrorBody),
        (status = 200, description = "The step before", body = SessionView),
        (status = 429, description = "`rate_limited`: too many moves from this address or on this session; see `Retry-After`", body = ErrorBody),

        (status = 404, description = "`unknown_session`", body = ErrorBody),
        (status = 409, description = "`conflict`: the session moved meanwhile; `session` holds \
         it as it is now", body = ErrorBody),
        (status = 422, description = "`at_start`", body = ErrorBody)
    )
)]
pub async fn back(
    State(state): State<AppState>,
    Id(id): Id,
    asked: Asked,
) -> Result<Json<SessionView>, AppError> {
    let moved = Session::apply(&state, &id, &asked, Move::Back).await;
    let (session, step) = or_moved(&state, &id, moved).await?;
    Ok(Json(SessionView::new(&session, step)))
}

/// Goes back to the first step, on the same flow versions.
#[utoipa::path(
    post,
    path = "/api/v1/sessions/{id}/restart",
    operation_id = "restart",
    tag = "sessions",
    params(("id" = String, Path, description = "The session id"), LangParam),
    responses(
        (status = 400, description = "`invalid_locale`: `lang` is not a language tag", body = ErrorBody),
        (status = 200, description = "The first step", body = SessionView),
        (status = 429, description = "`rate_limited`: too many moves from this address or on this session; see `Retry-After`", body = ErrorBody),

        (status = 404, description = "`unknown_session`", body = ErrorBody),
        (status = 409, description = "`conflict`: the session moved meanwhile; `session` holds \
         it as it is now", body = ErrorBody)
    )
)]
pub async fn restart(
    State(state): State<AppState>,
    Id(id): Id,
    asked: Asked,
) -> Result<Json<SessionView>, AppError> {
    let moved = Session::apply(&state, &id, &asked, Move::Restart).await;
    let (session, step) = or_moved(&state, &id, moved).await?;
    Ok(Json(SessionView::new(&session, step)))
}
