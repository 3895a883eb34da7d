//! The stepwise server: the step-by-step JSON API over checked flows, with durable sessions.
//!
//! - [`serve`]: the router, its middleware, and `run` (listener in, shutdown signal in);
//! - [`api`]: one module per group of routes, and the OpenAPI document;
//! - [`sessions`]: loading a walk, moving it with the engine, storing it;
//! - [`library`]: the flows served, current and pinned older versions;
//! - [`search`]: ranked search over flows;
//! - [`watch`]: live preview, reloading the flows when their files change;
//! - [`store`]: the store trait and the embedded SQLite store with group commit;
//! - [`error`]: every failure as a status and a JSON body with a stable code;
//! - [`metrics`]: Prometheus metrics;
//! - [`limits`]: the session rate limit per client address, and URI and header limits;
//! - [`security`]: security headers (Content-Security-Policy, framing, no sniffing);
//! - [`web`]: the customer's wizard and the agent console, as HTML pages.

pub mod api;
pub mod error;
pub mod library;
pub mod limits;
pub mod metrics;
pub mod search;
pub mod security;
pub mod serve;
pub mod sessions;
pub mod store;
pub mod watch;
pub mod web;
