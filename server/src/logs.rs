//! What a request's log lines say of it: one access line per request, in a format kept
//! stable for log collectors (the README lists its fields), under the request's span.
//!
//! A session id is a bearer capability: whoever reads it can walk the customer's session. So
//! every id in a logged path is replaced by a short keyed hash, the same for the same id,
//! which lets an operator follow one session across lines without the lines letting anyone
//! in.

use std::num::NonZeroU64;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::extract::MatchedPath;
use axum::http::{Request, Response};
use sha2::{Digest, Sha256};
use tower_http::trace::OnResponse;

use crate::metrics;
use crate::serve::REQUEST_ID;

/// The target of the access lines: `RUST_LOG=info,stepwise::access=warn` leaves them out.
pub const ACCESS_TARGET: &str = "stepwise::access";

/// One span per request, named by its route, with its path as the logs may show it. Every
/// line logged while the request is handled carries these fields.
pub fn request_span(log_key: &LogKey, request: &Request<Body>) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let method = metrics::method_label(request.method());
    let path = log_key.path(request.uri().path());
    tracing::info_span!("request", method, route, path, request_id = id)
}

/// The access line, written once per request when its response starts: its status and
/// how long the handler took, in milliseconds.
pub fn log_response<B>(response: &Response<B>, latency: Duration, _span: &tracing::Span) {
    let latency_ms = (latency.as_secs_f64() * 1e6).round() / 1e3;
    tracing::info!(
        target: ACCESS_TARGET,
        status = response.status().as_u16(),
        latency_ms,
        "request"
    );
}

/// Which requests get an access line (`--access-log`): every one, none, or every Nth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessLog {
    All,
    None,
    /// Every Nth request, counted from the first: deterministic, so a run of N·k requests
    /// gives exactly k lines.
    Sample(NonZeroU64),
}

impl FromStr for AccessLog {
    type Err = String;

    fn from_str(value: &str) -> Result<AccessLog, String> {
        match value {
            "all" => Ok(AccessLog::All),
            "none" => Ok(AccessLog::None),
            _ => value
                .strip_prefix("sample=")
                .and_then(|n| n.parse::<NonZeroU64>().ok())
                .map(|n| if n.get() == 1 { AccessLog::All } else { AccessLog::Sample(n) })
                .ok_or_else(|| {
                    format!("`{value}` is not an access log setting; expected all, none or sample=N (N ≥ 1)")
                }),
        }
    }
}

/// Decides, request by request, whether to write the access line, and writes it. Clones
/// share one count.
#[derive(Clone)]
pub struct AccessSampler {
    setting: AccessLog,
    seen: Arc<AtomicU64>,
}

impl AccessSampler {
    pub fn new(setting: AccessLog) -> AccessSampler {
        AccessSampler {
            setting,
            seen: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Whether this request's line is written; counts the request.
    pub fn take(&self) -> bool {
        match self.setting {
            AccessLog::All => true,
            AccessLog::None => false,
            AccessLog::Sample(every) => self
                .seen
                .fetch_add(1, Ordering::Relaxed)
                .is_multiple_of(every.get()),
        }
    }
}

impl<B> OnResponse<B> for AccessSampler {
    fn on_response(self, response: &Response<B>, latency: Duration, span: &tracing::Span) {
        if self.take() {
            log_response(response, latency, span);
        }
    }
}

/// The key of the hashes; with the same key (`--log-key`), several instances log the same
/// session alike.
pub struct LogKey {
    key: String,
}

impl LogKey {
    /// The key `secret`, or a random one for this process when none is given.
    pub fn new(secret: Option<&str>) -> LogKey {
        let key = match secret {
            Some(secret) => secret.to_owned(),
            None => format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            ),
        };
        LogKey { key }
    }

    /// The hash that stands for session `id` in the logs: `~` and 12 hex digits.
    pub fn tag(&self, id: &str) -> String {
        let digest = Sha256::digest(format!("{}\u{0}{id}", self.key).as_bytes());
        let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
        format!("~{hex}")
    }

    /// `path` with every segment that is a session id (a UUID, as ids are given out)
    /// replaced by its [`tag`](LogKey::tag).
    pub fn path(&self, path: &str) -> String {
        path.split('/')
            .map(|segment| match uuid::Uuid::try_parse(segment) {
                Ok(_) => self.tag(segment),
                Err(_) => segment.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3f0b8f0e-3c1a-4e8e-9a57-2d6c0f1e7b44";

    #[test]
    fn ids_in_paths_become_the_same_short_hash() {
        let key = LogKey::new(Some("k"));
        let answer = key.path(&format!("/api/v1/sessions/{ID}/answer"));
        let page = key.path(&format!("/s/{ID}"));
        assert!(!answer.contains(ID) && !page.contains(ID));
        let tag = key.tag(ID);
        assert_eq!(answer, format!("/api/v1/sessions/{tag}/answer"));
        assert_eq!(page, format!("/s/{tag}"));
        assert_eq!(tag.len(), 13);
        assert_eq!(
            key.path("/flows/deposit-missing-memo"),
            "/flows/deposit-missing-memo"
        );
    }

    #[test]
    fn access_log_settings_parse_and_sample_every_nth() {
        assert_eq!("all".parse::<AccessLog>(), Ok(AccessLog::All));
        assert_eq!("none".parse::<AccessLog>(), Ok(AccessLog::None));
        assert_eq!("sample=1".parse::<AccessLog>(), Ok(AccessLog::All));
        for bad in ["", "sample=0", "sample=", "sample=x", "some"] {
            assert!(bad.parse::<AccessLog>().is_err(), "{bad}");
        }
        let sampler = AccessSampler::new("sample=4".parse().unwrap());
        let taken: Vec<bool> = (0..9).map(|_| sampler.take()).collect();
        assert_eq!(
            taken,
            [true, false, false, false, true, false, false, false, true]
        );
        let none = AccessSampler::new(AccessLog::None);
        assert!((0..5).all(|_| !none.take()));
    }

    #[test]
    fn another_key_gives_another_hash() {
        assert_ne!(
            LogKey::new(Some("a")).tag(ID),
            LogKey::new(Some("b")).tag(ID)
        );
        assert_ne!(LogKey::new(None).tag(ID), LogKey::new(None).tag(ID));
    }
}
