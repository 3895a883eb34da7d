//! Retention: sessions, and their events, go once they are older than `--retain-days`. The
//! server purges before it starts serving, then every hour in a task beside it.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use stepwise_store::{Store, StoreError, now_millis};

/// How often old sessions are looked for after the first purge.
const EVERY: Duration = Duration::from_secs(60 * 60);

/// Deletes the sessions of `store` that started and last changed more than `keep` ago;
/// returns how many went.
pub async fn purge(store: &dyn Store, keep: Duration) -> Result<u64, StoreError> {
    let keep = i64::try_from(keep.as_millis()).unwrap_or(i64::MAX);
    store.purge(now_millis().saturating_sub(keep)).await
}

/// [`purge`], with what it did logged.
pub async fn purge_logged(store: &dyn Store, keep: Duration) -> Result<u64, StoreError> {
    let purged = purge(store, keep).await;
    match &purged {
        Ok(0) => {}
        Ok(n) => tracing::info!(sessions = n, "deleted sessions past retention"),
        Err(e) => tracing::error!(error = %e, "cannot delete sessions past retention"),
    }
    purged
}

/// Purges every hour from an hour from now, until the task is aborted. A failed purge is
/// logged and tried again at the next hour; serving goes on.
pub fn spawn(store: Arc<dyn Store>, keep: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let start = tokio::time::Instant::now() + EVERY;
        let mut ticks = tokio::time::interval_at(start, EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let _ = purge_logged(store.as_ref(), keep).await;
        }
    })
}
