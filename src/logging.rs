//! Logs go to a daily file in the state directory, never to the terminal (the TUI owns it).
//! `PLUMB_LOG` sets the filter (default `info`), e.g. `PLUMB_LOG=plumb=debug`.

use std::path::Path;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Starts file logging; keep the guard alive until exit so buffered lines are written.
/// Logging is best-effort: if the folder cannot be created, plumb runs without a log.
pub fn init(log_dir: &Path) -> Option<WorkerGuard> {
    std::fs::create_dir_all(log_dir).ok()?;
    let appender = tracing_appender::rolling::daily(log_dir, "plumb.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env("PLUMB_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}
