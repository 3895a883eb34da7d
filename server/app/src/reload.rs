//! Reloading the flows: on a change of their files, once it has settled (live preview, `serve
//! --watch`), or when the process gets `SIGHUP` (an operator's reload). Either way a broken
//! file never replaces its flow's last good version. Only the application watches; the engine
//! checks what it is given.

use std::path::Path;
use std::time::Duration;

use notify_debouncer_full::notify::{self, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, new_debouncer};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::App;
use crate::library::log_diagnostics;

/// Why the flows directory cannot be watched.
pub type WatchError = notify::Error;

/// How long the directory must stay quiet before a reload: one save in an editor is often
/// several events (write a temporary file, rename it, change its attributes).
pub const SETTLE: Duration = Duration::from_millis(250);

/// Starts watching `dir` and reloads the flows of `app` after each change to a flow file.
/// Watching stops when the returned task is aborted.
pub fn watch(app: App, dir: &Path) -> notify::Result<JoinHandle<()>> {
    let (changed, mut changes) = mpsc::unbounded_channel();
    let mut debouncer = new_debouncer(SETTLE, None, move |result: DebounceEventResult| {
        let _ = changed.send(result);
    })?;
    debouncer.watch(dir, RecursiveMode::NonRecursive)?;
    tracing::info!(dir = %dir.display(), "watching the flows for changes");
    Ok(tokio::spawn(async move {
        // The task owns the watcher: aborting the task drops it, which stops watching.
        let _debouncer = debouncer;
        while let Some(result) = changes.recv().await {
            let mut relevant = concerns_flows(&result);
            // Changes that came in while the last reload ran are all seen by the next one.
            while let Ok(more) = changes.try_recv() {
                relevant |= concerns_flows(&more);
            }
            if relevant {
                reload(&app).await;
            }
        }
    }))
}

/// Reloads the flows of `app` each time the process gets `SIGHUP`, until the returned task
/// is aborted.
#[cfg(unix)]
pub fn on_hangup(app: App) -> std::io::Result<JoinHandle<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangups = signal(SignalKind::hangup())?;
    Ok(tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading the flows");
            reload(&app).await;
        }
    }))
}

/// Whether a batch of events may have changed a flow file. When the watcher reports an
/// error, events may have been lost, so it counts as a change.
fn concerns_flows(result: &DebounceEventResult) -> bool {
    match result {
        Err(errors) => {
            for e in errors {
                tracing::warn!(error = %e, "watching the flows");
            }
            true
        }
        Ok(events) => events.iter().any(|event| {
            event.need_rescan()
                || (!event.kind.is_access() && event.paths.iter().any(|p| is_flow_file(p)))
        }),
    }
}

/// A flow, translation or settings file by its name (scenario files test flows; a change to one
/// changes nothing served).
fn is_flow_file(path: &Path) -> bool {
    stepwise_engine::is_flow_file(path)
        || stepwise_engine::file_name_parts(path).is_some()
        || path
            .file_name()
            .is_some_and(|n| n == stepwise_engine::SETTINGS_FILE)
}

/// Checks the flows directory again and serves the result: new good versions once the store
/// holds them, the last good version of each broken flow, and the diagnostics of the files.
pub async fn reload(app: &App) {
    let previous = app.library();
    let reloaded = tokio::task::spawn_blocking(move || previous.reload()).await;
    let (library, report) = match reloaded {
        Ok(reloaded) => reloaded,
        Err(e) => {
            tracing::error!(error = %e, "reloading the flows failed");
            return;
        }
    };
    log_diagnostics(&report.diagnostics);
    let flows = library.catalog().len();
    match app.replace_library(library).await {
        Ok(()) => tracing::info!(
            flows,
            files = report.files,
            errors = report.errors(),
            warnings = report.warnings(),
            "flows reloaded"
        ),
        // Serving a version the store does not hold would strand its sessions on a restart.
        Err(e) => tracing::error!(error = %e, "flows not reloaded: the store cannot record them"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flows_translations_and_the_settings_reload_but_scenarios_do_not() {
        assert!(is_flow_file(Path::new("flows/a.ron")));
        assert!(is_flow_file(Path::new("flows/a.de.ron")));
        assert!(is_flow_file(Path::new("flows/stepwise.ron")));
        assert!(!is_flow_file(Path::new("flows/a.scenarios.ron")));
        assert!(!is_flow_file(Path::new("flows/notes.txt")));
    }
}
