//! What the API and the pages both read from a request: the language it asks for (`?lang=`
//! and `Accept-Language`; which language that means is the application's choice, see
//! [`stepwise_app::Asked::choose`]) and the period of a report.

use std::ops::Deref;

use axum::extract::{FromRequestParts, Query};
use axum::http::header;
use axum::http::request::Parts;
use serde::Deserialize;
use stepwise_app::Error;
use stepwise_app::stats::Period;
use utoipa::IntoParams;

use crate::error::AppError;

/// What a request asks for, as an extractor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Asked(pub stepwise_app::Asked);

impl Asked {
    /// Reads `?lang=` and `Accept-Language`. A `lang` that is not a language tag is refused.
    pub fn from_parts(parts: &Parts) -> Result<Asked, AppError> {
        // Every `lang` given; a malformed query string is for the handler's own parameters
        // to report.
        let langs: Vec<String> = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map(|Query(pairs)| {
                pairs
                    .into_iter()
                    .filter(|(key, _)| key == "lang")
                    .map(|(_, value)| value)
                    .collect()
            })
            .unwrap_or_default();
        let accept = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        Ok(Asked(stepwise_app::Asked::parse(&langs, accept)?))
    }
}

impl Deref for Asked {
    type Target = stepwise_app::Asked;

    fn deref(&self) -> &stepwise_app::Asked {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Asked {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Asked, AppError> {
        Asked::from_parts(parts)
    }
}

/// The period a report covers.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct StatsQuery {
    /// Count sessions that started at or after this: `YYYY-MM-DD` (midnight UTC) or an
    /// RFC 3339 time. Default: the first session kept.
    pub from: Option<String>,
    /// Count sessions that started before this (same forms). Default: now.
    pub to: Option<String>,
    /// Count only sessions pinned to this flow version.
    pub version: Option<String>,
}

impl StatsQuery {
    /// The period asked for, or a 400 `invalid_period`.
    pub fn period(&self) -> Result<Period, AppError> {
        Period::parse(
            self.from.as_deref(),
            self.to.as_deref(),
            self.version.as_deref(),
        )
        .map_err(|e| AppError::App(Error::InvalidPeriod(e)))
    }
}
