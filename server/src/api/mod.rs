//! The HTTP API: one small module per group of routes, and the router that gathers them
//! together with their OpenAPI description (generated from the handlers, never by hand).

pub mod agent;
pub mod diagnostics;
pub mod escalation;
pub mod flows;
pub mod ops;
pub mod sessions;
pub mod stats;
pub mod transcript;
pub mod views;

use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use serde::de::DeserializeOwned;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{AppError, ErrorBody};
use crate::serve::AppState;

/// A JSON request body whose rejections are our JSON errors, not axum's plain text.
pub struct Body<T>(pub T);

impl<S, T> FromRequest<S> for Body<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        let axum::Json(value) = axum::Json::<T>::from_request(request, state).await?;
        Ok(Body(value))
    }
}

/// The `{id}` of a path, whose rejections (e.g. invalid UTF-8) are our JSON errors.
pub struct Id(pub String);

impl<S> FromRequestParts<S> for Id
where
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e: PathRejection| AppError::MalformedPath(e.body_text()))?;
        Ok(Id(id))
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "stepwise",
        description = "Troubleshooting flows, one step at a time: start a session on a flow, \
                       answer its questions, and end resolved or escalated to support with the \
                       details support needs."
    ),
    tags(
        (name = "flows", description = "The troubleshooting flows that can be walked"),
        (name = "sessions", description = "A customer's walk through a flow, step by step"),
        (name = "escalation", description = "Details for support, and feedback on outcomes"),
        (name = "stats", description = "Figures for whoever owns a flow"),
        (name = "agents", description = "Customers' sessions as support agents see them"),
        (name = "operations", description = "Health, readiness, metrics and this document")
    ),
    components(schemas(ErrorBody)),
    modifiers(&AgentToken)
)]
struct ApiDoc;

/// Declares the agent token, which the owners' routes ask for as a bearer token.
struct AgentToken;

impl utoipa::Modify for AgentToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let bearer = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "The agent token given to `stepwise serve --agent-token`",
            ))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("agent_token", SecurityScheme::Http(bearer));
    }
}

/// Every route, with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(flows::list))
        .routes(routes!(flows::show))
        .routes(routes!(stats::show))
        .routes(routes!(diagnostics::list))
        .routes(routes!(sessions::create))
        .routes(routes!(sessions::show))
        .routes(routes!(sessions::answer))
        .routes(routes!(sessions::back))
        .routes(routes!(sessions::restart))
        .routes(routes!(escalation::details))
        .routes(routes!(escalation::feedback))
        .routes(routes!(transcript::show))
        .routes(routes!(agent::show))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .routes(routes!(openapi_json))
}

/// The OpenAPI 3.1 document describing [`router`].
pub fn openapi() -> utoipa::openapi::OpenApi {
    router().into_openapi()
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "openapi",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json"))
)]
async fn openapi_json(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        state.openapi(),
    )
}
