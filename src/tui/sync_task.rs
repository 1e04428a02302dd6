//! `R`: sync every configured source in the background, as `plumb sync` does, on a thread of
//! its own with its own writable store connection, reporting progress to the app as
//! [`SyncUpdate`] messages. The UI keeps reading the store meanwhile (WAL lets readers run
//! beside the writer), and quitting sets the cancel flag so the sync stops after the page it
//! is writing: every page is its own transaction, so nothing is left half-written.

use super::app::Msg;
use super::toast::Level;
use crate::config::Config;
use crate::privacy::Privacy;
use crate::sources::http::{HttpClient, HttpPolicy};
use crate::store::Store;
use crate::sync::{self, CancelFlag, SyncEnv, SyncEvent, SyncOptions};
use std::collections::HashMap;
use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// What the background sync tells the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncUpdate {
    /// The sync began with these sources, in the order they will run.
    Started { sources: Vec<String> },
    /// A page of `resource` was written; `pages` counts this resource's pages so far.
    Page {
        source: String,
        resource: String,
        pages: u64,
    },
    /// One source finished; `errors` holds `resource: message` for each failed resource.
    SourceDone {
        source: String,
        items: u64,
        written: u64,
        errors: Vec<String>,
        cancelled: bool,
    },
    /// Every source ran (or the sync was cancelled); `error` when it could not start at all.
    Finished {
        cancelled: bool,
        error: Option<String>,
    },
}

/// The running sync: its cancel flag and thread.
pub struct SyncTask {
    cancel: CancelFlag,
    thread: JoinHandle<()>,
}

impl SyncTask {
    /// Starts syncing every source of `config` into the store at `db_path`.
    pub fn spawn(db_path: PathBuf, config: Config, tx: UnboundedSender<Msg>) -> SyncTask {
        let cancel = CancelFlag::default();
        let flag = cancel.clone();
        let thread = std::thread::spawn(move || {
            let send = |u: SyncUpdate| {
                let _ = tx.send(Msg::Sync(u));
            };
            let outcome = run(&db_path, &config, &flag, &send);
            send(SyncUpdate::Finished {
                cancelled: flag.is_cancelled(),
                error: outcome.err(),
            });
        });
        SyncTask { cancel, thread }
    }

    pub fn is_finished(&self) -> bool {
        self.thread.is_finished()
    }

    /// Asks the sync to stop after its current page and waits up to `grace` for it; a sync
    /// stuck in a slow request is left to end with the process (its page is rolled back).
    pub fn cancel_and_wait(self, grace: Duration) {
        self.cancel.cancel();
        let deadline = Instant::now() + grace;
        while !self.thread.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if self.thread.is_finished() {
            let _ = self.thread.join();
        }
    }
}

fn run(
    db_path: &std::path::Path,
    config: &Config,
    cancel: &CancelFlag,
    send: &dyn Fn(SyncUpdate),
) -> Result<(), String> {
    let ownership = config.ownership().map_err(|e| e.to_string())?;
    let mut store = Store::open(db_path).map_err(|e| format!("cannot open the store: {e}"))?;
    let privacy = Privacy::for_store(&store, &config.privacy)
        .map_err(|e| format!("cannot read the pseudonym key: {e}"))?;
    let options = SyncOptions {
        full: false,
        since: None,
        now: chrono::Utc::now(),
    };
    let env = SyncEnv {
        ownership: &ownership,
        privacy: &privacy,
        options: &options,
        cancel,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the sync runtime: {e}"))?;
    send(SyncUpdate::Started {
        sources: config.sources.iter().map(|s| s.name.clone()).collect(),
    });
    for source in &config.sources {
        if cancel.is_cancelled() {
            break;
        }
        let done = |errors: Vec<String>, items, written, cancelled| SyncUpdate::SourceDone {
            source: source.name.clone(),
            items,
            written,
            errors,
            cancelled,
        };
        let client = crate::sources::auth::resolve(source)
            .map_err(|e| e.to_string())
            .and_then(|auth| {
                HttpClient::with_auth(source, auth, HttpPolicy::for_source(source))
                    .map_err(|e| e.to_string())
            });
        // A source that cannot start (no token, no client, no SLO rows) is recorded for the
        // whole source, so `plumb sync status` and Governance show it as the CLI's sync does.
        let record = |store: &Store, e: &str| {
            let _ = sync::record_source_error(store, &source.name, e, chrono::Utc::now());
        };
        let client = match client {
            Ok(c) => c,
            Err(e) => {
                record(&store, &e);
                send(done(vec![e], 0, 0, false));
                continue;
            }
        };
        if let Err(e) = sync::prepare_source(&mut store, source, &config.slos) {
            record(&store, &e.to_string());
            send(done(vec![e.to_string()], 0, 0, false));
            continue;
        }
        let mut pages: HashMap<String, u64> = HashMap::new();
        let mut on_event = |e: &SyncEvent<'_>| {
            if let SyncEvent::Page {
                source, resource, ..
            } = e
            {
                let n = pages.entry(resource.to_string()).or_default();
                *n += 1;
                send(SyncUpdate::Page {
                    source: source.to_string(),
                    resource: resource.to_string(),
                    pages: *n,
                });
            }
        };
        let summary = runtime.block_on(sync::sync_source(
            &mut store,
            source,
            &client,
            env,
            &mut on_event,
        ));
        let errors = summary
            .errors()
            .map(|(resource, error)| format!("{resource}: {error}"))
            .collect();
        send(done(
            errors,
            summary.items(),
            summary.written(),
            summary.cancelled,
        ));
        if summary.cancelled {
            break;
        }
    }
    Ok(())
}

/// Where one source of the sync stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceState {
    Waiting,
    Running { resource: String, pages: u64 },
    Done { items: u64, written: u64 },
    Failed { error: String },
    Cancelled,
}

/// What the footer shows about syncing: per source, the running one's progress, and the
/// failures of the last sync until the next one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncStatus {
    pub running: bool,
    pub sources: Vec<(String, SourceState)>,
}

impl SyncStatus {
    /// The state a previous sync left: the sources whose latest attempt at some resource
    /// failed after its last success (from `sync_state`), so the footer says so at start.
    pub fn from_store(store: &Store) -> Result<SyncStatus, String> {
        let rows = sync::cursor::all(store.conn())
            .map_err(|e| format!("cannot read the sync state: {e}"))?;
        let mut status = SyncStatus::default();
        for (source, resource, row) in rows {
            let failing = match (row.last_error_at, row.last_ok_at) {
                (Some(err), Some(ok)) => err > ok,
                (Some(_), None) => true,
                (None, _) => false,
            };
            if let (true, Some(error)) = (failing, row.last_error)
                && status.failed().all(|(s, _)| s != source)
            {
                status.set(
                    &source,
                    SourceState::Failed {
                        error: format!("{resource}: {error}"),
                    },
                );
            }
        }
        Ok(status)
    }

    /// Applies an update; returns the notices worth a toast (a failure, the end).
    pub fn apply(&mut self, update: &SyncUpdate) -> Vec<(Level, String)> {
        let mut notices = Vec::new();
        match update {
            SyncUpdate::Started { sources } => {
                self.running = true;
                self.sources = sources
                    .iter()
                    .map(|s| (s.clone(), SourceState::Waiting))
                    .collect();
            }
            SyncUpdate::Page {
                source,
                resource,
                pages,
            } => self.set(
                source,
                SourceState::Running {
                    resource: resource.clone(),
                    pages: *pages,
                },
            ),
            SyncUpdate::SourceDone {
                source,
                items,
                written,
                errors,
                cancelled,
            } => {
                let state = if *cancelled {
                    SourceState::Cancelled
                } else if let Some(first) = errors.first() {
                    let more = match errors.len() {
                        1 => String::new(),
                        n => format!(" (and {} more)", n - 1),
                    };
                    notices.push((
                        Level::Error,
                        format!("{source}: sync failed: {first}{more}; showing cached data"),
                    ));
                    SourceState::Failed {
                        error: first.clone(),
                    }
                } else {
                    SourceState::Done {
                        items: *items,
                        written: *written,
                    }
                };
                self.set(source, state);
            }
            SyncUpdate::Finished { cancelled, error } => {
                self.running = false;
                if let Some(e) = error {
                    notices.push((Level::Error, format!("sync could not start: {e}")));
                    self.sources = vec![("sync".into(), SourceState::Failed { error: e.clone() })];
                } else if *cancelled {
                    notices.push((Level::Warn, "sync cancelled; R resumes it".into()));
                } else {
                    let written: u64 = self
                        .sources
                        .iter()
                        .map(|(_, s)| match s {
                            SourceState::Done { written, .. } => *written,
                            _ => 0,
                        })
                        .sum();
                    let failed = self.failed().count();
                    let level = if failed > 0 { Level::Warn } else { Level::Info };
                    let mut text = format!("sync done: {written} rows changed");
                    if failed > 0 {
                        text.push_str(&format!(", {failed} source(s) failed"));
                    }
                    notices.push((level, text));
                }
            }
        }
        notices
    }

    fn set(&mut self, source: &str, state: SourceState) {
        match self.sources.iter_mut().find(|(s, _)| s == source) {
            Some((_, s)) => *s = state,
            None => self.sources.push((source.to_string(), state)),
        }
    }

    /// The sources whose last sync failed, with the first error.
    pub fn failed(&self) -> impl Iterator<Item = (&str, &str)> {
        self.sources.iter().filter_map(|(s, state)| match state {
            SourceState::Failed { error } => Some((s.as_str(), error.as_str())),
            _ => None,
        })
    }

    /// The footer's line: progress while running ("sync 1/2 · github: pulls 3 pages…"),
    /// afterwards the failed sources, else nothing.
    pub fn footer(&self) -> Option<(Level, String)> {
        if self.running {
            let total = self.sources.len();
            let finished = self
                .sources
                .iter()
                .filter(|(_, s)| {
                    matches!(
                        s,
                        SourceState::Done { .. }
                            | SourceState::Failed { .. }
                            | SourceState::Cancelled
                    )
                })
                .count();
            let current = self
                .sources
                .iter()
                .find_map(|(name, s)| match s {
                    SourceState::Running { resource, pages } => Some(format!(
                        "{name}: {resource} {pages} page{}…",
                        if *pages == 1 { "" } else { "s" }
                    )),
                    _ => None,
                })
                .or_else(|| {
                    self.sources
                        .iter()
                        .find(|(_, s)| *s == SourceState::Waiting)
                        .map(|(name, _)| format!("{name}: starting…"))
                })
                .unwrap_or_else(|| "finishing…".into());
            return Some((
                Level::Info,
                format!("⟳ sync {}/{total} · {current}", (finished + 1).min(total)),
            ));
        }
        let failed: Vec<&str> = self.failed().map(|(s, _)| s).collect();
        (!failed.is_empty()).then(|| {
            (
                Level::Error,
                format!("✗ {} failed · cached data", failed.join(", ")),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(source: &str, resource: &str, pages: u64) -> SyncUpdate {
        SyncUpdate::Page {
            source: source.into(),
            resource: resource.into(),
            pages,
        }
    }

    #[test]
    fn progress_shows_the_running_source_and_failures_stay_after() {
        let mut s = SyncStatus::default();
        s.apply(&SyncUpdate::Started {
            sources: vec!["github".into(), "pd".into()],
        });
        assert_eq!(s.footer().unwrap().1, "⟳ sync 1/2 · github: starting…");
        s.apply(&page("github", "pulls", 3));
        assert_eq!(s.footer().unwrap().1, "⟳ sync 1/2 · github: pulls 3 pages…");
        s.apply(&SyncUpdate::SourceDone {
            source: "github".into(),
            items: 30,
            written: 12,
            errors: vec![],
            cancelled: false,
        });
        let notices = s.apply(&SyncUpdate::SourceDone {
            source: "pd".into(),
            items: 0,
            written: 0,
            errors: vec!["incidents: 401 Unauthorized".into()],
            cancelled: false,
        });
        assert_eq!(notices[0].0, Level::Error);
        assert!(notices[0].1.contains("pd: sync failed"), "{notices:?}");
        let notices = s.apply(&SyncUpdate::Finished {
            cancelled: false,
            error: None,
        });
        assert_eq!(
            notices,
            vec![(
                Level::Warn,
                "sync done: 12 rows changed, 1 source(s) failed".into()
            )]
        );
        assert!(!s.running);
        assert_eq!(s.footer().unwrap().1, "✗ pd failed · cached data");
    }

    #[test]
    fn a_failure_left_by_an_earlier_sync_shows_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        let t = chrono::Utc::now();
        let conn = store.conn();
        sync::cursor::record_ok(conn, "gh", "pulls", t).unwrap();
        sync::cursor::record_ok(conn, "pd", "incidents", t).unwrap();
        let later = t + chrono::Duration::minutes(1);
        sync::cursor::record_error(conn, "pd", "incidents", "401 Unauthorized", later).unwrap();
        sync::cursor::record_error(conn, "pd", "services", "401 Unauthorized", t).unwrap();
        let s = SyncStatus::from_store(&store).unwrap();
        let failed: Vec<(&str, &str)> = s.failed().collect();
        assert_eq!(failed, vec![("pd", "incidents: 401 Unauthorized")]);
        assert_eq!(s.footer().unwrap().1, "✗ pd failed · cached data");
    }

    #[test]
    fn a_clean_sync_leaves_no_footer_and_a_cancel_says_so() {
        let mut s = SyncStatus::default();
        s.apply(&SyncUpdate::Started {
            sources: vec!["github".into()],
        });
        s.apply(&SyncUpdate::SourceDone {
            source: "github".into(),
            items: 1,
            written: 1,
            errors: vec![],
            cancelled: true,
        });
        let n = s.apply(&SyncUpdate::Finished {
            cancelled: true,
            error: None,
        });
        assert_eq!(n[0].0, Level::Warn);
        assert_eq!(s.footer(), None);
    }
}
