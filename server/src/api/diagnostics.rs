//! What the last check found wrong with the flow files, for staff and writers previewing
//! their edits.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::Serialize;
use stepwise_engine::Diagnostic;
use utoipa::ToSchema;

use crate::error::{AppError, ErrorBody};
use crate::serve::AppState;

/// One problem in a flow file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiagnosticView {
    /// Stable code, e.g. `syntax` or `unknown-target`.
    pub code: String,
    /// `error` (the flow is left out, or keeps its last good version) or `warning`.
    pub severity: String,
    /// The file, as the server was given it.
    pub file: String,
    /// Line of the problem, from 1, when it points anywhere.
    pub line: Option<usize>,
    /// Column of the problem, from 1, in characters.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl From<&Diagnostic> for DiagnosticView {
    fn from(d: &Diagnostic) -> DiagnosticView {
        let json = d.to_json();
        DiagnosticView {
            code: d.code.as_str().to_owned(),
            severity: d.severity.to_string(),
            file: json.file,
            line: json.line,
            column: json.column,
            message: json.message,
            help: json.help,
        }
    }
}

/// The problems in the flow files as of the last check: at startup, or the last reload.
/// Empty when every file passes. They name the server's files, so they are for staff (the
/// agent token), `--watch` or not: writers previewing sign in as staff do.
#[utoipa::path(
    get,
    path = "/api/v1/diagnostics",
    operation_id = "list_diagnostics",
    tag = "flows",
    responses(
        (status = 200, description = "Every error and warning, by file then position",
         body = [DiagnosticView]),
        (status = 401, description = "`unauthorized`: the agent token is missing or wrong", body = ErrorBody)
    ),
    security(("agent_token" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<DiagnosticView>>, AppError> {
    if !state.agent.admits(&headers) {
        return Err(AppError::Unauthorized);
    }
    Ok(Json(state.diagnostics()))
}
