//! What one client may send: a rate limit on starting sessions per client address, and limits
//! on the size of a request's URI and headers (the body's is a layer in `serve`). Each refusal
//! is our JSON error, with `Retry-After` when waiting helps.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::AppError;

/// The most header fields a request may carry.
pub const MAX_HEADERS: usize = 64;
/// The most bytes a request's header names and values may add up to.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// The longest request target (path and query) accepted, in bytes.
pub const MAX_URI_BYTES: usize = 4 * 1024;

/// The routes that start a session: the API's and the wizard's (the agent's needs the token).
const SESSION_STARTS: [&str; 2] = ["/api/v1/sessions", "/flows/{id}/start"];

/// How often the rate limiter forgets addresses that are back to a full allowance.
const FORGET_EVERY: usize = 4096;

/// The limits of one server.
pub struct Limits {
    sessions: Option<DefaultKeyedRateLimiter<IpAddr>>,
    forwarded_for: bool,
}

impl Limits {
    /// `sessions_per_minute` sessions a minute per client address, all at once if need be
    /// (none: no limit). With `forwarded_for`, the client address is the last one in
    /// `X-Forwarded-For`, as the reverse proxy in front of the server appends it.
    pub fn new(sessions_per_minute: Option<NonZeroU32>, forwarded_for: bool) -> Limits {
        Limits {
            sessions: sessions_per_minute.map(|n| RateLimiter::keyed(Quota::per_minute(n))),
            forwarded_for,
        }
    }

    /// How long `client` must wait before it may start another session, if it must.
    fn session_wait(&self, client: IpAddr) -> Option<std::time::Duration> {
        let limiter = self.sessions.as_ref()?;
        let result = limiter.check_key(&client);
        if limiter.len() > FORGET_EVERY {
            limiter.retain_recent();
        }
        result
            .err()
            .map(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// The address a request is counted against, if any.
    fn client(&self, request: &Request) -> Option<IpAddr> {
        let forwarded = self
            .forwarded_for
            .then(|| {
                request
                    .headers()
                    .get_all("x-forwarded-for")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .flat_map(|v| v.split(','))
                    .next_back()
                    .and_then(|last| last.trim().parse::<IpAddr>().ok())
            })
            .flatten();
        let peer = || {
            request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(address)| address.ip())
        };
        // A loopback peer is a reverse proxy on this host (or a local tool): counting it would
        // put every client behind it in one allowance. `--trust-forwarded-for` counts them.
        forwarded
            .or_else(peer)
            .map(network)
            .filter(|address| !address.is_loopback())
    }
}

/// The address a client is known by: an IPv6 client has a whole /64 to pick from, so it
/// counts as its /64.
fn network(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mask = u128::MAX << 64;
                IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
            }
        },
    }
}

/// Refuses a request over the URI or header limits, or a session start over the rate limit.
pub async fn guard(State(limits): State<Arc<Limits>>, request: Request, next: Next) -> Response {
    if request
        .uri()
        .path_and_query()
        .is_some_and(|p| p.as_str().len() > MAX_URI_BYTES)
    {
        return AppError::UriTooLong.into_response();
    }
    if headers_too_large(request.headers()) {
        return AppError::HeadersTooLarge.into_response();
    }
    let starts_session = request.method() == Method::POST
        && request
            .extensions()
            .get::<MatchedPath>()
            .is_some_and(|route| SESSION_STARTS.contains(&route.as_str()));
    if starts_session
        && let Some(client) = limits.client(&request)
        && let Some(wait) = limits.session_wait(client)
    {
        // Whole seconds, rounded up: a client that waits that long gets in.
        let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        return AppError::RateLimited {
            retry_after: retry_after.max(1),
        }
        .into_response();
    }
    next.run(request).await
}

fn headers_too_large(headers: &HeaderMap) -> bool {
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    headers.len() > MAX_HEADERS || bytes > MAX_HEADER_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_client_counts_as_its_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(network(a), network(b));
        assert_ne!(network(a), network(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(network(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn the_allowance_comes_back_for_each_address_on_its_own() {
        let limits = Limits::new(NonZeroU32::new(2), false);
        let one: IpAddr = "192.0.2.1".parse().unwrap();
        let two: IpAddr = "192.0.2.2".parse().unwrap();
        assert_eq!(limits.session_wait(one), None);
        assert_eq!(limits.session_wait(one), None);
        let wait = limits
            .session_wait(one)
            .expect("the third within a minute waits");
        assert!(wait.as_secs() <= 30, "{wait:?}");
        assert_eq!(
            limits.session_wait(two),
            None,
            "another address is not held up"
        );
        let off = Limits::new(None, false);
        for _ in 0..100 {
            assert_eq!(off.session_wait(one), None);
        }
    }
}
