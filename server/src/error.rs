//! The one place where every failure becomes an HTTP status and a JSON body
//! `{ "error": { "code", "message" } }` with a stable machine-readable code.
//!
//! Client errors are answers, not failures: only our own faults (500) are logged as errors.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use stepwise_engine::WalkError;
use utoipa::ToSchema;

use stepwise_app::Error;
use stepwise_app::context::ContextError;
use stepwise_store::StoreError;

use crate::api::views::SessionView;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// What the application refused or failed with.
    #[error(transparent)]
    App(#[from] Error),
    #[error("the request body is not valid: {0}")]
    MalformedBody(String),
    #[error("the path is not valid: {0}")]
    MalformedPath(String),
    #[error("the request is not valid")]
    BadRequest,
    #[error("the query string is not valid: {0}")]
    MalformedQuery(String),
    #[error("the request body must be JSON, sent with `Content-Type: application/json`")]
    UnsupportedMediaType,
    #[error("the request body is too large")]
    BodyTooLarge,
    #[error("the request's headers are too many or too large")]
    HeadersTooLarge,
    #[error("the request's path and query are too long")]
    UriTooLong,
    #[error("too many sessions were started from this address; try again in {retry_after} s")]
    RateLimited {
        /// Seconds until another session may be started.
        retry_after: u64,
    },
    #[error("too many moves in a short time; try again in {retry_after} s")]
    TooManyMoves {
        /// Seconds until another move is taken.
        retry_after: u64,
    },
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    #[error("there is nothing here")]
    NotFound,
    #[error("this needs the agent token")]
    Unauthorized,
    #[error("this needs the metrics token, as `Authorization: Bearer TOKEN`")]
    MetricsUnauthorized,
    #[error("the request took too long")]
    Timeout,
    #[error("the server is not available")]
    Unavailable,
    #[error("internal error: {0}")]
    Internal(String),
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
    /// For `conflict` on a move: the session as it stands now, with its current step and
    /// revision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionView>,
}

/// What went wrong, for programs (`code`) and for people (`message`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `answer_not_offered`.
    #[schema(example = "answer_not_offered")]
    pub code: &'static str,
    /// A sentence for people; its wording may change between releases.
    pub message: String,
    /// For `invalid_details`: what is wrong with each detail.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
    /// For `answer_not_offered`: the answers this step offers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub offered: Vec<String>,
}

/// One detail that was not accepted, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// The detail's id, e.g. `txid`.
    pub id: String,
    /// What is wrong with it.
    pub problem: String,
}

/// The HTTP status and the stable code of what the application refused or failed with.
fn app_status_and_code(error: &Error) -> (StatusCode, &'static str) {
    const UNPROCESSABLE: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;
    match error {
        Error::Walk(e) => match e {
            WalkError::UnknownFlow(_) => (StatusCode::NOT_FOUND, "unknown_flow"),
            WalkError::NotOffered { .. } => (UNPROCESSABLE, "answer_not_offered"),
            WalkError::AtStart => (UNPROCESSABLE, "at_start"),
            WalkError::Finished => (UNPROCESSABLE, "finished"),
            WalkError::InvalidDetails { .. } => (UNPROCESSABLE, "invalid_details"),
            WalkError::NotEscalated => (UNPROCESSABLE, "not_escalated"),
            WalkError::InvalidFact(_) => (UNPROCESSABLE, "invalid_fact"),
            WalkError::UndeclaredFact { .. } => (UNPROCESSABLE, "undeclared_fact"),
            WalkError::UndeclaredValue { .. } => (UNPROCESSABLE, "undeclared_value"),
            // Facts given at the start can make branches chase each other: the request is as
            // much the cause as the flow, so this is not a 500.
            WalkError::EndlessLoop => (UNPROCESSABLE, "flow_loops"),
            WalkError::FlowUnavailable { .. } => (StatusCode::GONE, "flow_unavailable"),
            // A stored walk that does not fit its flow: our fault, never the client's.
            WalkError::UnknownNode { .. } | WalkError::Empty => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        },
        Error::Context(e) => match e {
            ContextError::NotAccepted => (UNPROCESSABLE, "context_not_accepted"),
            ContextError::Malformed(_) => (StatusCode::BAD_REQUEST, "malformed_context"),
            ContextError::Expired => (StatusCode::FORBIDDEN, "context_expired"),
            ContextError::Invalid(_) => (StatusCode::FORBIDDEN, "invalid_context"),
            ContextError::Unsigned(_) => (StatusCode::FORBIDDEN, "unsigned_fact"),
        },
        Error::UnknownSession => (StatusCode::NOT_FOUND, "unknown_session"),
        Error::NotFinished => (UNPROCESSABLE, "not_finished"),
        Error::Conflict | Error::Moved(_) => (StatusCode::CONFLICT, "conflict"),
        Error::InvalidPeriod(_) => (StatusCode::BAD_REQUEST, "invalid_period"),
        Error::InvalidLocale(_) => (StatusCode::BAD_REQUEST, "invalid_locale"),
        Error::StoreUnavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable"),
        Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

impl AppError {
    /// The HTTP status and the stable code.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::App(e) => app_status_and_code(e),
            AppError::MalformedBody(_) => (StatusCode::BAD_REQUEST, "malformed_body"),
            AppError::MalformedQuery(_) => (StatusCode::BAD_REQUEST, "malformed_query"),
            AppError::MalformedPath(_) => (StatusCode::BAD_REQUEST, "malformed_path"),
            AppError::BadRequest => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            AppError::BodyTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            AppError::HeadersTooLarge => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "headers_too_large",
            ),
            AppError::UriTooLong => (StatusCode::URI_TOO_LONG, "uri_too_long"),
            AppError::RateLimited { .. } | AppError::TooManyMoves { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
            }
            AppError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            AppError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Unauthorized | AppError::MetricsUnauthorized => {
                (StatusCode::UNAUTHORIZED, "unauthorized")
            }
            AppError::Timeout => (StatusCode::REQUEST_TIMEOUT, "timeout"),
            AppError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// The error a middleware's bare status stands for, so that every error has our body.
    pub fn from_status(status: StatusCode) -> Option<AppError> {
        match status {
            StatusCode::BAD_REQUEST => Some(AppError::BadRequest),
            StatusCode::NOT_FOUND => Some(AppError::NotFound),
            StatusCode::METHOD_NOT_ALLOWED => Some(AppError::MethodNotAllowed),
            StatusCode::PAYLOAD_TOO_LARGE => Some(AppError::BodyTooLarge),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => Some(AppError::HeadersTooLarge),
            StatusCode::URI_TOO_LONG => Some(AppError::UriTooLong),
            StatusCode::REQUEST_TIMEOUT => Some(AppError::Timeout),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Some(AppError::UnsupportedMediaType),
            StatusCode::SERVICE_UNAVAILABLE => Some(AppError::Unavailable),
            s if s.is_server_error() => Some(AppError::Internal(s.to_string())),
            _ => None,
        }
    }

    /// The JSON body of this error.
    pub fn body(&self) -> ErrorBody {
        let (status, code) = self.status_and_code();
        let unavailable = matches!(
            self,
            AppError::Unavailable | AppError::App(Error::StoreUnavailable(_))
        );
        let message = if status.is_server_error() && !unavailable {
            // The cause goes to the log, not to the client.
            "internal error".to_owned()
        } else {
            self.to_string()
        };
        let (problems, offered) = match self {
            AppError::App(Error::Walk(WalkError::InvalidDetails { problems })) => (
                problems
                    .iter()
                    .map(|p| Problem {
                        id: p.id.clone(),
                        problem: p.problem.clone(),
                    })
                    .collect(),
                Vec::new(),
            ),
            AppError::App(Error::Walk(WalkError::NotOffered { offered, .. })) => {
                (Vec::new(), offered.clone())
            }
            _ => (Vec::new(), Vec::new()),
        };
        let session = match self {
            AppError::App(Error::Moved(now)) => {
                let (session, step) = now.as_ref();
                Some(SessionView::new(session, step.clone()))
            }
            _ => None,
        };
        ErrorBody {
            error: ErrorDetail {
                code,
                message,
                problems,
                offered,
            },
            session,
        }
    }
}

/// Seconds a client is asked to wait before sending a request again after a `503`.
pub const RETRY_AFTER_SECS: u32 = 5;

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, _) = self.status_and_code();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut response = (status, Json(self.body())).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
        }
        if let AppError::RateLimited { retry_after } | AppError::TooManyMoves { retry_after } = self
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        AppError::App(Error::from(e))
    }
}

impl From<WalkError> for AppError {
    fn from(e: WalkError) -> AppError {
        AppError::App(Error::Walk(e))
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> AppError {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => AppError::UnsupportedMediaType,
            // Reading the body fails when it is over the limit (or the client went away).
            JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                AppError::BodyTooLarge
            }
            JsonRejection::BytesRejection(e) if timed_out(&e) => AppError::Timeout,
            other => AppError::MalformedBody(other.body_text()),
        }
    }
}

/// Whether reading a body failed because the client stopped sending it.
fn timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(e) = cause {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = e.source();
    }
    false
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> AppError {
        AppError::MalformedQuery(rejection.body_text())
    }
}
