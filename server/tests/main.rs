//! The server's black-box tests as one binary: one link instead of one per file, and every
//! test in one process, run in parallel. Each file beside this one is a module; `support` and
//! `cli` are the helpers they share.

mod cli;
mod support;

mod access_log;
mod accessibility;
mod agent_token;
mod bad_requests;
mod browser;
mod check_cli;
mod context;
mod diff_cli;
mod durability;
mod embed;
mod flows;
mod graph;
mod hardening;
mod instances;
mod keep_alive;
mod limits;
mod live;
mod locale;
mod long_lines;
mod lsp;
mod new_cli;
mod openapi;
mod operations;
mod paths_cli;
mod pinning;
mod play_cli;
mod preview_browser;
mod readiness;
mod reload;
mod revisions;
mod security_headers;
mod shutdown;
mod slow_clients;
mod startup;
mod stats;
mod store;
mod store_faults;
mod test_cli;
mod transcripts;
mod translate_cli;
mod walk_every_flow;
mod watch;
mod web;
mod web_locale;
mod webhooks;
