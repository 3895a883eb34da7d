//! What a link to a flow carries, for the wizard and the console alike: facts as
//! `?fact.NAME=VALUE` and a signed context token as `?ctx=…`, read from the query string or
//! a start form's fields. The application decides what is taken ([`stepwise_app::context`]);
//! here are only the parsing, the start form's hidden fields, and the page a refused link
//! gets.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use stepwise_app::context::{ContextError, Offered};

use super::Chrome;

/// What a link's fact parameters start with.
pub const FACT_PREFIX: &str = "fact.";
/// The parameter that carries a context token.
pub const TOKEN_FIELD: &str = "ctx";
/// How many facts a link is read for; a site gives a few.
const MAX_FACTS: usize = 32;

/// The facts and the token among a query string's or a form's fields; every other field is
/// someone else's (`embed`, `lang`).
pub fn offered(fields: &[(String, String)]) -> Offered {
    let mut offered = Offered::default();
    for (name, value) in fields {
        if let Some(fact) = name.strip_prefix(FACT_PREFIX) {
            if offered.facts.len() < MAX_FACTS {
                offered.facts.push((fact.to_owned(), value.clone()));
            }
        } else if name == TOKEN_FIELD && offered.token.is_none() && !value.trim().is_empty() {
            offered.token = Some(value.clone());
        }
    }
    offered
}

/// One hidden field of a start form, which keeps what the link carried to the session.
pub struct Kept {
    /// The field's name (`fact.platform`, `ctx`).
    pub name: String,
    /// Its value.
    pub value: String,
}

/// The hidden fields that carry `offered` through a start form.
pub fn kept(offered: &Offered) -> Vec<Kept> {
    let mut fields: Vec<Kept> = offered
        .facts
        .iter()
        .map(|(name, value)| Kept {
            name: format!("{FACT_PREFIX}{name}"),
            value: value.clone(),
        })
        .collect();
    fields.extend(offered.token.iter().map(|token| Kept {
        name: TOKEN_FIELD.to_owned(),
        value: token.clone(),
    }));
    fields
}

#[derive(Template)]
#[template(path = "link_refused.html")]
struct RefusedPage {
    chrome: Chrome,
    start_without: String,
}

/// The page of a link whose token or facts were refused: it says so in the customer's words
/// and offers to start without them. Nothing was changed.
pub fn refused(
    flow: &str,
    error: &ContextError,
    chrome: Chrome,
    start_without: String,
) -> Response {
    tracing::info!(flow = %flow.escape_debug(), error = %error, "a link's context was refused");
    let status = match error {
        ContextError::Malformed(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::FORBIDDEN,
    };
    let page = RefusedPage {
        chrome,
        start_without,
    };
    match page.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(_) => status.into_response(),
    }
}
