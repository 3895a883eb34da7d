//! Which language a request is answered in: `?lang=`, then `Accept-Language`, then (for a
//! session) the language the customer was reading in, then the source language.
//!
//! Only languages some flow is translated into are chosen; a flow without a translation
//! into the chosen one is shown in the source language, node by node, and marked.

use axum::extract::{FromRequestParts, Query};
use axum::http::header;
use axum::http::request::Parts;
use stepwise_engine::DEFAULT_LOCALE;
use stepwise_engine::normalize_locale;

use crate::error::AppError;
use crate::library::Library;

/// Longest `Accept-Language` header read; browsers send a few dozen bytes.
const MAX_ACCEPT_LANGUAGE: usize = 1024;

/// What a request asks for, before it is matched against the languages there are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Asked {
    /// `?lang=`, normalised.
    pub lang: Option<String>,
    /// The tags of `Accept-Language`, best first.
    pub accept: Vec<String>,
}

impl Asked {
    /// Reads `?lang=` and `Accept-Language`. A `lang` that is not a language tag is refused.
    pub fn from_parts(parts: &Parts) -> Result<Asked, AppError> {
        // Every `lang` given; a malformed query string is for the handler's own parameters
        // to report.
        let given: Vec<String> = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map(|Query(pairs)| {
                pairs
                    .into_iter()
                    .filter(|(key, _)| key == "lang")
                    .map(|(_, value)| value)
                    .collect()
            })
            .unwrap_or_default();
        let lang = match given.as_slice() {
            [] => None,
            [one] => Some(one.clone()),
            [_, second, ..] => return Err(AppError::InvalidLocale(second.clone())),
        };
        // Exactly a tag, as the API documents it: not empty, no spaces, `-` between parts.
        let lang = match lang.as_deref() {
            None => None,
            Some(given) => Some(
                normalize_locale(given)
                    .filter(|_| !given.contains(|c: char| c == '_' || c.is_whitespace()))
                    .ok_or_else(|| AppError::InvalidLocale(given.to_owned()))?,
            ),
        };
        let accept = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .filter(|v| v.len() <= MAX_ACCEPT_LANGUAGE)
            .map(accept_language::parse)
            .unwrap_or_default();
        Ok(Asked { lang, accept })
    }

    /// Whether the request names a language at all.
    pub fn is_explicit(&self) -> bool {
        self.lang.is_some() || !self.accept.is_empty()
    }

    /// The language to answer in: the first asked for that some flow is translated into
    /// (or the source language, when that comes first), else `otherwise` (a session's
    /// language), else the source language.
    pub fn choose(&self, library: &Library, otherwise: Option<&str>) -> String {
        let translations = library.translations();
        let supported = |tag: &str| {
            let tag = normalize_locale(tag)?;
            let primary = tag.split('-').next().unwrap_or_default();
            if primary == DEFAULT_LOCALE {
                return Some(DEFAULT_LOCALE.to_owned());
            }
            translations.supported(&tag)
        };
        if let Some(lang) = &self.lang {
            return supported(lang).unwrap_or_else(|| DEFAULT_LOCALE.to_owned());
        }
        self.accept
            .iter()
            .find_map(|tag| supported(tag))
            .or_else(|| otherwise.map(str::to_owned))
            .unwrap_or_else(|| DEFAULT_LOCALE.to_owned())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Asked {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Asked, AppError> {
        Asked::from_parts(parts)
    }
}
