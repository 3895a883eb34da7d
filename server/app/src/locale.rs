//! Which language a request is answered in: `?lang=`, then `Accept-Language`, then (for a
//! session) the language the customer was reading in, then the source language.
//!
//! Only languages some flow is translated into are chosen; a flow without a translation
//! into the chosen one is shown in the source language, node by node, and marked.

use stepwise_engine::DEFAULT_LOCALE;
use stepwise_engine::normalize_locale;

use crate::error::Error;
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
    /// What a request asks for: every `lang` value of its query string and its
    /// `Accept-Language` header. A `lang` that is not a language tag, or a second one, is
    /// refused.
    pub fn parse(langs: &[String], accept_language: Option<&str>) -> Result<Asked, Error> {
        let lang = match langs {
            [] => None,
            [one] => Some(one.clone()),
            [_, second, ..] => return Err(Error::InvalidLocale(second.clone())),
        };
        // Exactly a tag, as the API documents it: not empty, no spaces, `-` between parts.
        let lang = match lang.as_deref() {
            None => None,
            Some(given) => Some(
                normalize_locale(given)
                    .filter(|_| !given.contains(|c: char| c == '_' || c.is_whitespace()))
                    .ok_or_else(|| Error::InvalidLocale(given.to_owned()))?,
            ),
        };
        let accept = accept_language.map(accepted).unwrap_or_default();
        Ok(Asked { lang, accept })
    }

    /// A language chosen on a page (already a tag, or nothing), with the browser's
    /// `Accept-Language` header when there is one.
    pub fn chosen(lang: Option<String>, accept_language: Option<&str>) -> Asked {
        Asked {
            lang,
            accept: accept_language.map(accepted).unwrap_or_default(),
        }
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

/// The tags of an `Accept-Language` header, best first; none when it is longer than any
/// browser sends.
fn accepted(header: &str) -> Vec<String> {
    if header.len() > MAX_ACCEPT_LANGUAGE {
        return Vec::new();
    }
    accept_language::parse(header)
}
