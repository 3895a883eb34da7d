//! What one client may send: rate limits on starting sessions and on moving them (answer,
//! back, restart, jump) per client address, and on moves per session; and limits on the size
//! of a request's URI and headers (the body's is a layer in `serve`). Each refusal is our
//! JSON error, with `Retry-After` when waiting helps.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

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

/// The routes that move a session, the customer's and the agent's: each move is stored and
/// counted in the owner's figures.
const SESSION_MOVES: [&str; 10] = [
    "/api/v1/sessions/{id}/answer",
    "/api/v1/sessions/{id}/back",
    "/api/v1/sessions/{id}/restart",
    "/s/{id}/answer",
    "/s/{id}/back",
    "/s/{id}/restart",
    "/agent/s/{id}/answer",
    "/agent/s/{id}/back",
    "/agent/s/{id}/restart",
    "/agent/s/{id}/jump",
];

/// The longest client name kept for one that names itself by something other than an
/// address (an obfuscated `Forwarded` identifier, a malformed entry).
const MAX_CLIENT_NAME: usize = 64;

/// Who a request is counted against: an address (a whole /64 for IPv6), or, behind a proxy,
/// whatever the proxy named the client when that is not an address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Client {
    Address(IpAddr),
    Named(Box<str>),
}

/// How often the rate limiter forgets addresses that are back to a full allowance.
const FORGET_EVERY: usize = 4096;

/// How much each client, and each session, may do in a minute; none means no limit.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rates {
    /// Sessions one client may start.
    pub sessions: Option<NonZeroU32>,
    /// Moves one client may make, across all its sessions.
    pub client_moves: Option<NonZeroU32>,
    /// Moves one session may take, from anyone.
    pub session_moves: Option<NonZeroU32>,
}

/// The limits of one server.
pub struct Limits {
    sessions: Option<DefaultKeyedRateLimiter<Client>>,
    client_moves: Option<DefaultKeyedRateLimiter<Client>>,
    session_moves: Option<DefaultKeyedRateLimiter<String>>,
    forwarded_for: bool,
}

impl Limits {
    /// Each rate a minute, all at once if need be. With `forwarded_for`, the client is the
    /// one the reverse proxy in front of the server names last, in `Forwarded` or else in
    /// `X-Forwarded-For`.
    pub fn new(rates: Rates, forwarded_for: bool) -> Limits {
        Limits {
            sessions: rates.sessions.map(per_minute),
            client_moves: rates.client_moves.map(per_minute),
            session_moves: rates.session_moves.map(per_minute),
            forwarded_for,
        }
    }

    /// How long `client` must wait before it may start another session, if it must.
    fn session_wait(&self, client: &Client) -> Option<Duration> {
        wait(self.sessions.as_ref()?, client)
    }

    /// How long a move of `session` by `client` must wait, if it must. A move refused for
    /// the session does not use up the client's allowance, nor the other way round.
    fn move_wait(&self, client: Option<&Client>, session: &str) -> Option<Duration> {
        if let Some(client) = client
            && let Some(limiter) = &self.client_moves
            && let Some(wait) = wait(limiter, client)
        {
            return Some(wait);
        }
        wait(self.session_moves.as_ref()?, &session.to_owned())
    }

    /// Who a request is counted against, if anyone: the client the proxy names (with
    /// `--trust-forwarded-for`), else the peer. A loopback peer is a reverse proxy on this
    /// host or a local tool, and counting it would put every client behind it in one
    /// allowance: it is not counted.
    fn client(&self, request: &Request) -> Option<Client> {
        if self.forwarded_for
            && let Some(client) = forwarded_client(request.headers())
        {
            return Some(client);
        }
        request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(address)| network(address.ip()))
            .filter(|address| !address.is_loopback())
            .map(Client::Address)
    }
}

/// A limiter of `n` a minute for each key, all at once if need be.
fn per_minute<K: Clone + Eq + std::hash::Hash>(n: NonZeroU32) -> DefaultKeyedRateLimiter<K> {
    RateLimiter::keyed(Quota::per_minute(n))
}

/// Checks `key` against `limiter`: how long it must wait, if it must.
fn wait<K>(limiter: &DefaultKeyedRateLimiter<K>, key: &K) -> Option<Duration>
where
    K: Clone + Eq + std::hash::Hash,
{
    let result = limiter.check_key(key);
    if limiter.len() > FORGET_EVERY {
        limiter.retain_recent();
    }
    result
        .err()
        .map(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
}

/// The client the last proxy names: the `for=` of the last element of `Forwarded`
/// (RFC 7239), else the last entry of `X-Forwarded-For`. An entry that is no address
/// (`unknown`, an obfuscated `_name`, something malformed or empty) names a client of its
/// own, so it cannot escape the limits by being unreadable.
fn forwarded_client(headers: &HeaderMap) -> Option<Client> {
    let last = |name: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .map(str::trim)
    };
    let entry = match last("forwarded") {
        Some(element) => element
            .split(';')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| key.trim().eq_ignore_ascii_case("for"))
            .map_or("", |(_, value)| value.trim()),
        None => last("x-forwarded-for")?,
    };
    Some(client_named(entry.trim_matches('"')))
}

/// A client as a proxy writes it: `192.0.2.1`, `192.0.2.1:443`, `2001:db8::1`,
/// `[2001:db8::1]` or `[2001:db8::1]:443`; anything else is a name.
fn client_named(entry: &str) -> Client {
    let address = entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            let inside = entry.strip_prefix('[')?.split_once(']')?.0;
            inside.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
        });
    match address {
        Some(address) => Client::Address(network(address)),
        None => Client::Named(entry.chars().take(MAX_CLIENT_NAME).collect()),
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
    let route = (request.method() == Method::POST)
        .then(|| request.extensions().get::<MatchedPath>())
        .flatten()
        .map(MatchedPath::as_str);
    if let Some(route) = route {
        if SESSION_STARTS.contains(&route)
            && let Some(client) = limits.client(&request)
            && let Some(wait) = limits.session_wait(&client)
        {
            return AppError::RateLimited {
                retry_after: seconds(wait),
            }
            .into_response();
        }
        if SESSION_MOVES.contains(&route)
            && let Some(session) = session_of(request.uri().path(), route)
            && let Some(wait) = limits.move_wait(limits.client(&request).as_ref(), session)
        {
            return AppError::TooManyMoves {
                retry_after: seconds(wait),
            }
            .into_response();
        }
    }
    next.run(request).await
}

/// Whole seconds, rounded up and at least one: a client that waits that long gets in.
fn seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// The segment of `path` that stands where `route` has `{id}`.
fn session_of<'p>(path: &'p str, route: &str) -> Option<&'p str> {
    let at = route.split('/').position(|segment| segment == "{id}")?;
    path.split('/').nth(at)
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

    fn address(text: &str) -> Client {
        Client::Address(text.parse().unwrap())
    }

    #[test]
    fn the_allowance_comes_back_for_each_address_on_its_own() {
        let rates = Rates {
            sessions: NonZeroU32::new(2),
            ..Rates::default()
        };
        let limits = Limits::new(rates, false);
        let (one, two) = (address("192.0.2.1"), address("192.0.2.2"));
        assert_eq!(limits.session_wait(&one), None);
        assert_eq!(limits.session_wait(&one), None);
        let wait = limits
            .session_wait(&one)
            .expect("the third within a minute waits");
        assert!(wait.as_secs() <= 30, "{wait:?}");
        assert_eq!(
            limits.session_wait(&two),
            None,
            "another address is not held up"
        );
        let off = Limits::new(Rates::default(), false);
        for _ in 0..100 {
            assert_eq!(off.session_wait(&one), None);
        }
    }

    #[test]
    fn moves_are_limited_per_client_and_per_session() {
        let rates = Rates {
            client_moves: NonZeroU32::new(3),
            session_moves: NonZeroU32::new(2),
            ..Rates::default()
        };
        let limits = Limits::new(rates, false);
        let (one, two) = (address("192.0.2.1"), address("192.0.2.2"));
        assert_eq!(limits.move_wait(Some(&one), "a"), None);
        assert_eq!(limits.move_wait(Some(&one), "a"), None);
        assert!(
            limits.move_wait(Some(&two), "a").is_some(),
            "session a is spent"
        );
        assert_eq!(limits.move_wait(Some(&one), "b"), None);
        assert!(
            limits.move_wait(Some(&one), "c").is_some(),
            "client one is spent"
        );
        assert_eq!(limits.move_wait(None, "d"), None, "an uncounted client");
    }

    #[test]
    fn every_legal_form_of_a_forwarded_client_is_read() {
        let v6 = address("2001:db8:1:2::");
        for (header, value, client) in [
            (
                "x-forwarded-for",
                "203.0.113.9, 192.0.2.7",
                address("192.0.2.7"),
            ),
            ("x-forwarded-for", "192.0.2.7:4711", address("192.0.2.7")),
            ("x-forwarded-for", "2001:db8:1:2::17", v6.clone()),
            ("x-forwarded-for", "[2001:db8:1:2::17]:443", v6.clone()),
            ("x-forwarded-for", "[2001:db8:1:2::17]", v6.clone()),
            (
                "forwarded",
                "for=192.0.2.60;proto=http;by=203.0.113.43",
                address("192.0.2.60"),
            ),
            (
                "forwarded",
                "for=198.51.100.1, For=\"[2001:db8:1:2::17]:4711\"",
                v6,
            ),
            ("forwarded", "for=unknown", Client::Named("unknown".into())),
            ("forwarded", "for=_hidden", Client::Named("_hidden".into())),
            ("x-forwarded-for", "", Client::Named("".into())),
            (
                "x-forwarded-for",
                "not an address",
                Client::Named("not an address".into()),
            ),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(header, value.parse().unwrap());
            assert_eq!(
                forwarded_client(&headers),
                Some(client),
                "{header}: {value}"
            );
        }
        let long = "x".repeat(10_000);
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", long.parse().unwrap());
        assert_eq!(
            forwarded_client(&headers),
            Some(Client::Named("x".repeat(MAX_CLIENT_NAME).into()))
        );
        assert_eq!(forwarded_client(&HeaderMap::new()), None);
    }

    #[test]
    fn the_session_of_a_move_is_the_segment_in_its_place() {
        assert_eq!(session_of("/s/abc/answer", "/s/{id}/answer"), Some("abc"));
        assert_eq!(
            session_of("/api/v1/sessions/x/back", "/api/v1/sessions/{id}/back"),
            Some("x")
        );
    }
}
