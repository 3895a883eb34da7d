//! The website: the customer's wizard and the agent console, rendered on the server over the
//! same session calls the API makes. Every page works with plain forms and redirects; the
//! little script in [`assets`] only adds focus handling and copy buttons.
//!
//! - [`wizard`]: the self-service pages at `/`;
//! - [`agent`]: the console at `/agent`, behind a token;
//! - [`preview`]: the writers' preview of a flow at `/preview`, under `--watch`, behind the
//!   same token;
//! - [`link`]: the facts and the context token a link to a flow carries;
//! - [`live`]: the events that refresh open pages while writers preview;
//! - [`owner`]: a flow's figures for whoever owns it, at `/agent/stats`, behind the same token;
//! - [`charts`]: those figures drawn as SVG;
//! - [`deliveries`]: the webhook outbox at `/agent/webhooks`, with *Send again*;
//! - [`markdown`]: flow text as sanitised HTML;
//! - [`assets`]: the stylesheet and the script, built into the binary;
//! - [`words`]: the customer pages' own words in each language they speak.

pub mod agent;
pub mod assets;
pub mod catalog;
pub mod charts;
pub mod deliveries;
pub mod link;
pub mod live;
pub mod markdown;
pub mod moves;
pub mod owner;
pub mod preview;
pub mod wizard;
pub mod words;

use askama::Template;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use stepwise_engine::normalize_locale;
use stepwise_engine::{DEFAULT_LOCALE, WalkError};

use stepwise_app::{Asked, Error};

use crate::embed_origin::Origin;
use crate::error::AppError;
use crate::serve::AppState;
use stepwise_app::Library;

/// Every page route.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(wizard::routes())
        .merge(agent::routes())
        .merge(owner::routes())
        .merge(deliveries::routes())
        .merge(preview::routes())
        .merge(live::routes())
        .merge(assets::routes())
}

/// `?embed=1`: the layout for an iframe (no header or footer), kept across every redirect.
#[derive(Debug, Default, Deserialize)]
pub struct Layout {
    #[serde(default)]
    embed: Option<String>,
    /// `?embed_origin=`: the origin of the page that framed the wizard with the embed script,
    /// which the frame posts its events to (see [`crate::embed_origin`]).
    #[serde(default)]
    embed_origin: Option<String>,
    /// `?lang=`: the language the customer chose with the switch, kept on every link.
    #[serde(default)]
    lang: Option<String>,
}

impl Layout {
    /// Whether the page is shown inside another site's frame.
    pub fn embedded(&self) -> bool {
        matches!(self.embed.as_deref(), Some("1" | "true"))
    }

    /// The origin that framed the page, if the page is framed and it is an origin.
    pub fn embed_origin(&self) -> Option<Origin> {
        match self.embedded() {
            true => self.embed_origin.as_deref().and_then(Origin::parse),
            false => None,
        }
    }

    /// The language chosen with the switch, if it is a language tag.
    pub fn lang(&self) -> Option<String> {
        self.lang.as_deref().and_then(normalize_locale)
    }

    /// The query string that keeps the layout and the chosen language on every link.
    pub fn query(&self) -> String {
        query_of(self, self.lang().as_deref())
    }

    /// The language of a page: the one chosen with the switch, else a session's, else the
    /// browser's `Accept-Language`, among those some flow is translated into.
    pub fn locale(&self, library: &Library, headers: &HeaderMap, session: Option<&str>) -> String {
        let accept = match session {
            Some(_) => None,
            None => headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        };
        Asked::chosen(self.lang(), accept).choose(library, session)
    }
}

/// `?embed=1&embed_origin=…&lang=de`, or as much of it as applies: the layout's framing and
/// the language `lang`.
fn query_of(layout: &Layout, lang: Option<&str>) -> String {
    let mut parts = Vec::new();
    if layout.embedded() {
        parts.push("embed=1".to_owned());
    }
    if let Some(origin) = layout.embed_origin() {
        parts.push(format!("embed_origin={}", segment(&origin.to_string())));
    }
    if let Some(lang) = lang {
        parts.push(format!("lang={lang}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// One language in the switch.
pub struct LanguageLink {
    /// Its name in itself.
    pub name: String,
    /// The tag, for `hreflang`.
    pub locale: String,
    /// This page in it.
    pub href: String,
    /// Whether the page is in it.
    pub current: bool,
}

/// What every page's frame needs.
pub struct Chrome {
    /// The page title, before the site name.
    pub title: String,
    /// The iframe layout.
    pub embed: bool,
    /// The origin the page posts its events to, when the embed script framed it there and
    /// `--frame-ancestors` allows that origin.
    pub embed_origin: Option<String>,
    /// The query string to keep on links and form actions.
    pub query: String,
    /// Whether this is the agent console (another header).
    pub agent: bool,
    /// Errors in flow files, shown as a banner on staff pages.
    pub problems: Vec<String>,
    /// While writers preview: the generation of the flows the page shows, so the page can
    /// follow the next change ([`live`]).
    pub live: Option<u64>,
    /// The page's language, for `<html lang>`.
    pub lang: String,
    /// The page's own words in that language.
    pub w: &'static words::Words,
    /// The language switch (empty when there is only one language).
    pub languages: Vec<LanguageLink>,
}

impl Chrome {
    /// The frame of a customer's page.
    pub fn customer(title: impl Into<String>, layout: &Layout) -> Chrome {
        Chrome {
            title: title.into(),
            embed: layout.embedded(),
            embed_origin: None,
            query: layout.query(),
            agent: false,
            problems: Vec::new(),
            live: None,
            lang: DEFAULT_LOCALE.to_owned(),
            w: &words::ENGLISH,
            languages: Vec::new(),
        }
    }

    /// Puts the page in `locale`, with a switch to every language the flows are in, each
    /// link leading to `path` in that language.
    pub fn in_language(
        mut self,
        locale: &str,
        library: &Library,
        path: &str,
        layout: &Layout,
    ) -> Chrome {
        self.lang = locale.to_owned();
        self.w = words::for_locale(locale);
        self.query = query_of(layout, Some(locale).filter(|_| layout.lang().is_some()));
        let locales = library.translations().locales();
        if locales.len() > 1 {
            self.languages = locales
                .into_iter()
                .map(|other| LanguageLink {
                    name: words::name_of(&other),
                    href: format!("{path}{}", query_of(layout, Some(&other))),
                    current: other == locale,
                    locale: other,
                })
                .collect();
        }
        self
    }

    /// The frame of an agent's page.
    pub fn agent(title: impl Into<String>) -> Chrome {
        Chrome {
            title: title.into(),
            embed: false,
            embed_origin: None,
            query: String::new(),
            agent: true,
            problems: Vec::new(),
            live: None,
            lang: DEFAULT_LOCALE.to_owned(),
            w: &words::ENGLISH,
            languages: Vec::new(),
        }
    }

    /// Adds what staff and writers should see: the flow file errors on staff pages (never on
    /// customer pages, `--watch` or not: they name the server's files), and on every page
    /// while writers preview, what it needs to follow their edits.
    pub fn with_problems(mut self, state: &AppState) -> Chrome {
        self = self.live(state);
        if self.agent {
            self.problems = state
                .diagnostics()
                .into_iter()
                .filter(|d| d.severity == "error")
                .map(|d| match (d.line, d.column) {
                    (Some(line), Some(column)) => {
                        format!("{}:{line}:{column}: {}", d.file, d.message)
                    }
                    _ => format!("{}: {}", d.file, d.message),
                })
                .collect();
        }
        self
    }
}

impl Chrome {
    /// Lets the page post its events to the origin that framed it, if `--frame-ancestors`
    /// allows that origin (`'self'` is this server, as the request's `Host` names it).
    pub fn posting_to_embedder(
        mut self,
        state: &AppState,
        headers: &HeaderMap,
        layout: &Layout,
    ) -> Chrome {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        self.embed_origin = layout.embed_origin().and_then(|origin| {
            if origin.allowed_by(&state.settings.frame_ancestors, host) {
                Some(origin.to_string())
            } else {
                tracing::info!(
                    %origin,
                    "a framed page posts no events: --frame-ancestors does not allow its embed origin"
                );
                None
            }
        });
        self
    }

    /// Makes the page follow the flows while writers preview (`--watch`).
    pub fn live(self, state: &AppState) -> Chrome {
        let generation = state.generation();
        self.live_at(state, generation)
    }

    /// Makes the page follow the flows from `generation` on, read before the flows the page
    /// shows: a reload in between then costs one refresh too many, never one too few.
    pub fn live_at(mut self, state: &AppState, generation: u64) -> Chrome {
        self.live = state.previewing().then_some(generation);
        self
    }
}

/// What a path segment may not hold as is: everything but the unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `id` as one path segment of a link or a redirect: whatever a client put in the id it sent,
/// the `Location` built from it is a valid header.
pub fn segment(id: &str) -> String {
    utf8_percent_encode(id, SEGMENT).to_string()
}

/// A page that could not be shown, rendered as a page rather than JSON.
#[derive(Debug)]
pub enum PageError {
    /// No such flow or session.
    NotFound,
    /// The store cannot take changes now; nothing was changed and the same step can be sent
    /// again.
    Unavailable,
    /// Our fault; logged.
    Internal(String),
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> PageError {
        match e {
            AppError::App(e) => e.into(),
            AppError::NotFound => PageError::NotFound,
            other => PageError::Internal(other.to_string()),
        }
    }
}

impl From<Error> for PageError {
    fn from(e: Error) -> PageError {
        match e {
            Error::UnknownSession | Error::Walk(WalkError::UnknownFlow(_)) => PageError::NotFound,
            Error::StoreUnavailable(cause) => {
                tracing::error!(error = %cause, "a page could not be saved");
                PageError::Unavailable
            }
            other => PageError::Internal(other.to_string()),
        }
    }
}

impl From<WalkError> for PageError {
    fn from(e: WalkError) -> PageError {
        Error::from(e).into()
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> PageError {
        PageError::Internal(format!("a page failed to render: {e}"))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    heading: &'static str,
    message: &'static str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, heading, message) = match &self {
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "We couldn't find that page",
                "The link may be old, or the guide may have moved. Start again from the help centre.",
            ),
            PageError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "We can't save your answer right now",
                "Your answers so far are kept. Please wait a minute, then go back and answer again.",
            ),
            PageError::Internal(cause) => {
                tracing::error!(error = %cause, "a page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side",
                    "Please try again in a moment. Nothing you did caused this.",
                )
            }
        };
        let page = ErrorPage {
            chrome: Chrome::customer(heading, &Layout::default()),
            heading,
            message,
        };
        let mut response = match page.render() {
            Ok(body) => (status, Html(body)).into_response(),
            Err(_) => status.into_response(),
        };
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(crate::error::RETRY_AFTER_SECS),
            );
        }
        response
    }
}

/// A rendered page.
pub fn page(template: &impl Template) -> Result<Response, PageError> {
    Ok(Html(template.render()?).into_response())
}
