//! `GET /api/v1/agent/sessions/{key}`: a customer's session, with the agents' notes, for an
//! agent's own tools. Behind the agent token, like the console.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::Serialize;
use stepwise_app::{Error, Session};
use stepwise_engine::DEFAULT_LOCALE;
use stepwise_store::Note;
use utoipa::ToSchema;

use super::Id;
use super::views::SessionDetail;
use crate::error::{AppError, ErrorBody};
use crate::serve::AppState;

/// A session in full, with what agents noted on it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentSession {
    /// The session.
    #[serde(flatten)]
    pub session: SessionDetail,
    /// The agents' notes, oldest first.
    pub notes: Vec<NoteView>,
    /// The session written up for a ticket, as Markdown: the customer's transcript, its
    /// reference and the notes, with everything anyone typed shown as text.
    pub transcript: String,
}

/// A note an agent added to a session.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteView {
    /// When it was written, in milliseconds since the Unix epoch.
    pub at: i64,
    /// The node the session stood on.
    pub node: String,
    /// What the agent wrote.
    pub text: String,
}

impl From<Note> for NoteView {
    fn from(note: Note) -> NoteView {
        NoteView {
            at: note.at,
            node: note.node,
            text: note.text,
        }
    }
}

/// A session found by its id or its escalation reference, in the source language.
#[utoipa::path(
    get,
    path = "/api/v1/agent/sessions/{key}",
    operation_id = "get_agent_session",
    tag = "agents",
    params(("key" = String, Path, description = "The session id, or its escalation reference (`SW-…`, any case)")),
    responses(
        (status = 200, description = "The session and its notes", body = AgentSession),
        (status = 400, description = "`malformed_path`: the key is not valid UTF-8", body = ErrorBody),
        (status = 401, description = "`unauthorized`: the agent token is missing or wrong", body = ErrorBody),
        (status = 404, description = "`unknown_session`", body = ErrorBody)
    ),
    security(("agent_token" = []))
)]
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Id(key): Id,
) -> Result<Json<AgentSession>, AppError> {
    if !state.agent.admits(&headers) {
        return Err(AppError::Unauthorized);
    }
    let id = Session::find(&state, &key)
        .await?
        .ok_or(Error::UnknownSession)?;
    let session = Session::load(&state, &id).await?;
    let library = state.library();
    let transcript = stepwise_app::transcript::markdown(
        &session.walk.transcript(library.as_ref())?,
        session.record.reference.as_deref(),
        &session.record.notes,
    );
    Ok(Json(AgentSession {
        session: SessionDetail::new(&session, &library, DEFAULT_LOCALE)?,
        transcript,
        notes: session
            .record
            .notes
            .into_iter()
            .map(NoteView::from)
            .collect(),
    }))
}
