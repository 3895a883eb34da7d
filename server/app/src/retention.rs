//! Retention: sessions, and their events, go once they are older than `--retain-days`. The
//! server purges before it starts serving, then every hour in a task beside it. A store that
//! cannot be written does not keep the server down: it serves, and the purge is tried again
//! every minute until the store takes it.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use stepwise_store::{Store, StoreError, now_millis};

/// How often old sessions are looked for after the first purge.
const EVERY: Duration = Duration::from_secs(60 * 60);
/// How soon a purge is tried again after one failed.
const RETRY: Duration = Duration::from_secs(60);

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

/// Purges now, then every hour in a task, until the task is aborted. A store that cannot be
/// written now fails only the purge, which the task tries again a minute later; any other
/// failure of the first purge is returned.
pub async fn start(store: Arc<dyn Store>, keep: Duration) -> Result<JoinHandle<()>, StoreError> {
    let first = match purge_logged(store.as_ref(), keep).await {
        Ok(_) => EVERY,
        Err(StoreError::Unavailable(_)) => RETRY,
        Err(e) => return Err(e),
    };
    Ok(every(store, keep, first))
}

/// Purges after `first`, then every hour, or a minute after a purge the store could not
/// take; other failures are logged and tried again at the next hour.
fn every(store: Arc<dyn Store>, keep: Duration, first: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut wait = first;
        loop {
            tokio::time::sleep(wait).await;
            wait = match purge_logged(store.as_ref(), keep).await {
                Err(StoreError::Unavailable(_)) => RETRY,
                _ => EVERY,
            };
        }
    })
}
