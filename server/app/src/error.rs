//! Everything the application can fail with. The HTTP face gives each its status and code;
//! here they are only what happened.

use stepwise_engine::{Step, WalkError};
use stepwise_store::StoreError;

use crate::sessions::Session;
use crate::stats::PeriodError;

/// What a use case can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The engine refused the move (unknown flow, answer not offered, at start…).
    #[error(transparent)]
    Walk(#[from] WalkError),
    /// A context token was refused, or a fact that needs one came without it.
    #[error(transparent)]
    Context(#[from] crate::context::ContextError),
    #[error("there is no session with this id")]
    UnknownSession,
    #[error("feedback is taken once the session has reached an outcome")]
    NotFinished,
    #[error("the session changed while this request was handled; fetch it and try again")]
    Conflict,
    /// A conflict, with the session as it stands now.
    #[error(
        "the session has moved on since the step this request answers; `session` is where it stands now"
    )]
    Moved(Box<(Session, Step)>),
    #[error("{0}")]
    InvalidPeriod(#[from] PeriodError),
    #[error("`lang` must be a language tag such as `de` or `pt-BR`, not `{0}`")]
    InvalidLocale(String),
    /// The store cannot take changes now (full, read-only, locked, failing disk). Nothing of
    /// the request was kept; the same request may be sent again later.
    #[error("{0}; nothing was changed, try again in a moment")]
    StoreUnavailable(StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Error {
        match e {
            StoreError::Conflict => Error::Conflict,
            StoreError::Closed | StoreError::Unavailable(_) => Error::StoreUnavailable(e),
            other => Error::Internal(other.to_string()),
        }
    }
}
