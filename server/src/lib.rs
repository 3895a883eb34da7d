//! The stepwise server: the step-by-step JSON API over checked flows, with durable sessions.
//!
//! - [`serve`]: the router, its middleware, and `run` (listener in, shutdown signal in);
//! - [`connections`]: accepting connections, with a cap and a timeout for stalled clients;
//! - [`api`]: one module per group of routes, and the OpenAPI document;
//! - [`sessions`]: loading a walk, moving it with the engine, storing it;
//! - [`retention`]: deleting sessions older than `--retain-days`;
//! - [`library`]: the flows served, current and pinned older versions, and their translations;
//! - [`locale`]: the language a request is answered in;
//! - [`search`]: ranked search over flows;
//! - [`watch`]: reloading the flows when their files change (live preview) or on `SIGHUP`;
//! - [`stats`]: the figures a flow's owner reads, computed from the sessions' events;
//! - [`store`]: the store trait and the embedded SQLite store with group commit;
//! - [`error`]: every failure as a status and a JSON body with a stable code;
//! - [`metrics`]: Prometheus metrics;
//! - [`limits`]: the session rate limit per client address, and URI and header limits;
//! - [`security`]: security headers (Content-Security-Policy, framing, no sniffing);
//! - [`web`]: the customer's wizard and the agent console, as HTML pages.

pub mod api;
pub mod connections;
pub mod error;
pub mod library;
pub mod limits;
pub mod locale;
pub mod metrics;
pub mod retention;
pub mod search;
pub mod security;
pub mod serve;
pub mod sessions;
pub mod stats;
pub mod store;
pub mod watch;
pub mod web;
