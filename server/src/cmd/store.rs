//! The server's store as a command reads it: one that exists already, opened in a runtime of
//! the command's own.

use std::future::Future;
use std::sync::Arc;

use stepwise_app::metrics::StoreMetrics;
use stepwise_store::{Store, StoreConfig};

/// Runs `work` on the store `config` names, or says why it cannot. Opening an SQLite store
/// creates its file, so a missing one is refused first: reading must not leave an empty
/// store behind.
pub fn with_store<T, F, Fut>(config: &StoreConfig, work: F) -> Result<T, String>
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    if let StoreConfig::Sqlite { path, .. } = config
        && !path.is_file()
    {
        return Err(format!(
            "there is no store at `{}` (give the server's with --store URL)",
            path.display()
        ));
    }
    let runtime =
        tokio::runtime::Runtime::new().map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async {
        let store = config
            .open(StoreMetrics::default())
            .await
            .map_err(|e| e.to_string())?;
        work(store).await
    })
}
