//! The JSON request bodies: any bytes sent to every route that takes a body, through the
//! server's real router, middleware and SQLite store. Never a panic and never a 5xx: a bad
//! body is a 4xx with a JSON error code.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

mod router;

#[derive(Arbitrary, Debug)]
struct Input {
    route: u8,
    session: u8,
    json_content_type: bool,
    body: Vec<u8>,
}

const ROUTES: [&str; 6] = ["", "/answer", "/details", "/feedback", "/back", "/restart"];

fuzz_target!(|input: Input| {
    let server = router::server();
    let route = ROUTES[usize::from(input.route) % ROUTES.len()];
    let path = match route {
        "" => "/api/v1/sessions".to_owned(),
        _ => {
            let id = &server.sessions[usize::from(input.session) % server.sessions.len()];
            format!("/api/v1/sessions/{id}{route}")
        }
    };
    let content_type = input.json_content_type.then_some("application/json");
    let (status, body) = server.runtime.block_on(router::send(
        &server.router,
        &path,
        input.body,
        content_type,
        false,
    ));
    assert!(status < 500, "{path} answered {status}: {body}");
    if status >= 400 {
        assert!(
            body["error"]["code"].is_string(),
            "{path} answered {status} without a code: {body}"
        );
    }
});
