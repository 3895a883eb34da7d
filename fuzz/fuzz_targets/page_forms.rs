//! The pages' forms: any bytes as the form body, the session id or flow id in the path and
//! the query string, sent to every form route of the customer's wizard and of the agent
//! console (signed in), through the server's real router, middleware and SQLite store.
//! Never a panic and never a 5xx: a page answers bad input with a redirect, a page of its
//! own or a 4xx.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_encode};

mod router;

#[derive(Arbitrary, Debug)]
struct Input {
    route: u8,
    /// Which session (or flow) to aim at; past the end, `id` is used instead.
    target: u8,
    id: Vec<u8>,
    query: Vec<u8>,
    form_content_type: bool,
    body: Vec<u8>,
}

/// The form routes, with `{}` where the session or flow id goes, and whether they are the
/// agent's.
const ROUTES: [(&str, bool); 13] = [
    ("/flows/{}/start", false),
    ("/s/{}/answer", false),
    ("/s/{}/back", false),
    ("/s/{}/restart", false),
    ("/s/{}/details", false),
    ("/s/{}/feedback", false),
    ("/agent/flows/{}/start", true),
    ("/agent/s/{}/answer", true),
    ("/agent/s/{}/back", true),
    ("/agent/s/{}/restart", true),
    ("/agent/s/{}/jump", true),
    ("/agent/s/{}/note", true),
    ("/agent/sign-in", false),
];

/// What a path segment or a query may not hold as it is: all but the unreserved characters,
/// and `=` and `&`, which give a query its fields.
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'=')
    .remove(b'&');

/// Bytes as a path segment or a query.
fn escaped(bytes: &[u8]) -> String {
    percent_encode(bytes, ESCAPED).to_string()
}

fuzz_target!(|input: Input| {
    let server = router::server();
    let (route, agent) = ROUTES[usize::from(input.route) % ROUTES.len()];
    let ids = match route.contains("/flows/") {
        true => &server.flows,
        false => &server.sessions,
    };
    let id = match ids.get(usize::from(input.target)) {
        Some(id) => id.clone(),
        None => escaped(&input.id),
    };
    let mut path = route.replace("{}", &id);
    if !input.query.is_empty() {
        path.push('?');
        path.push_str(&escaped(&input.query));
    }
    let content_type = input
        .form_content_type
        .then_some("application/x-www-form-urlencoded");
    let (status, _) = server.runtime.block_on(router::send(
        &server.router,
        &path,
        input.body,
        content_type,
        agent,
    ));
    assert!(status < 500, "{path} answered {status}");
});
