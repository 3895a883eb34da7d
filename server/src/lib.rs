//! The stepwise server: the HTTP face of [`stepwise_app`] (the step-by-step JSON API, the
//! web pages, their middleware) and the `stepwise` command line.
//!
//! What the product does lives in `stepwise_app`, and storage in `stepwise_store`; this crate
//! only turns requests into their calls and their results into responses.
//!
//! - [`serve`]: the router, its middleware, and `run` (listener in, shutdown signal in);
//! - [`connections`]: accepting connections, with a cap and a timeout for stalled clients,
//!   and the deadline of a graceful stop;
//! - [`keep_alive`]: what each response tells its client about the connection;
//! - [`embed_origin`]: the origin a framed wizard posts its events to, checked against framing;
//! - [`api`]: one module per group of routes, and the OpenAPI document;
//! - [`auth`]: the agent token that lets staff in;
//! - [`extract`]: what the API and the pages both read from a request (language, period);
//! - [`error`]: every failure as a status and a JSON body with a stable code;
//! - [`metrics`]: counting requests under labels from closed sets;
//! - [`logs`]: what a request's log lines may say of it (session ids as keyed hashes);
//! - [`limits`]: the session rate limit per client address, and URI and header limits;
//! - [`security`]: security headers (Content-Security-Policy, framing, no sniffing);
//! - [`web`]: the customer's wizard and the agent console, as HTML pages.

pub mod api;
pub mod auth;
pub mod connections;
pub mod embed_origin;
pub mod error;
pub mod extract;
pub mod keep_alive;
pub mod limits;
pub mod logs;
pub mod metrics;
pub mod security;
pub mod serve;
pub mod web;
pub mod webhooks;
