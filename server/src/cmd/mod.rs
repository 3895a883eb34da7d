//! One module per subcommand, and `lookup`, which finds the flow a command names.

pub mod check;
pub mod diff;
pub mod graph;
pub mod lookup;
pub mod lsp;
pub mod new;
pub mod output;
pub mod paths;
pub mod play;
pub mod serve;
pub mod stats;
pub mod store;
pub mod test;
pub mod translate;
pub mod webhooks;
