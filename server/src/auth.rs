//! Who may see staff pages and routes: the agent token, checked in constant time, carried
//! as a cookie or as `Authorization: Bearer`.

use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The cookie that carries a signed-in agent.
pub const COOKIE: &str = "stepwise_agent";

/// What the agent token is checked against. Only a hash is kept, and the cookie carries the
/// hash, so the token itself never travels after sign-in.
pub struct AgentKey {
    hash: String,
}

impl AgentKey {
    /// The key for `token`.
    pub fn new(token: &str) -> AgentKey {
        AgentKey { hash: hash(token) }
    }

    /// What the sign-in cookie carries: the hash, never the token.
    pub fn cookie_value(&self) -> &str {
        &self.hash
    }

    /// Whether `token` is the agent token.
    pub fn accepts(&self, token: &str) -> bool {
        same(&hash(token), &self.hash)
    }

    /// Whether a request carries the sign-in cookie or `Authorization: Bearer TOKEN`.
    pub fn admits(&self, headers: &HeaderMap) -> bool {
        let by_cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .any(|(name, value)| name == COOKIE && same(value, &self.hash));
        let by_bearer = bearer(headers).is_some_and(|token| self.accepts(token));
        by_cookie || by_bearer
    }
}

/// The sign-in cookie's attributes. Framed in a helpdesk's sidebar (`framed`), a frame under
/// another site gets its cookie only if it is `SameSite=None`, which browsers take only
/// `Secure`, and `Partitioned` keeps it to that helpdesk; cross-site forms are then refused
/// by [`cross_site`] instead.
pub fn cookie_attributes(framed: bool) -> &'static str {
    match framed {
        true => "Path=/; HttpOnly; Secure; SameSite=None; Partitioned",
        false => "Path=/; HttpOnly; SameSite=Strict",
    }
}

/// Whether the browser says the request comes from a page of another origin
/// (`Sec-Fetch-Site`): a form another site made an agent post.
pub fn cross_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| matches!(site, "cross-site" | "same-site"))
}

/// The token of `Authorization: Bearer TOKEN`, if the request carries one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

fn hash(token: &str) -> String {
    let digest = Sha256::digest(format!("stepwise-agent:{token}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares in constant time, so how long a refusal takes tells nothing about how much of a
/// guess was right. (Only the length can differ in time, and every hash has the same one.)
fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}
