//! Sync orchestration: for each configured source, each of its resources is read in passes
//! (see [`cursor`]); every page is written in one transaction with its cursor advance, so an
//! interruption at any moment resumes where it stopped with nothing lost or doubled.
//!
//! Connectors (in [`crate::sources`]) fetch and map; the [`Session`] here owns the store,
//! the cursors and the summary.
//!
//! Incremental passes cannot see items deleted upstream (lists give only what exists or
//! changed). A pass that reads a resource whole, from its first page and unconditionally
//! (`--full`, or the first pass of a resource), notes the external ids it writes; when it
//! completes without error or cancellation, the rows of its [`scope`] it did not see are
//! removed in one transaction (see [`crate::store::sweep`]).

pub mod cursor;
pub mod progress;
mod removal;
pub mod scope;

use crate::config::{SloConfig, SourceConfig, SourceKind};
use crate::model::{Origin, Ownership, Timestamp};
use crate::privacy::Privacy;
use crate::sources::http::HttpClient;
use crate::sources::{SourceError, datadog, github, gitlab, jira, opsgenie, pagerduty, prometheus};
use crate::store::write::{Outcome, RowProvenance, Writer};
use crate::store::{Store, StoreError};
use cursor::{Pass, SyncCursor};
use removal::{Seen, SeenRow};
use rusqlite::Connection;
use rusqlite::types::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use thiserror::Error;

pub use progress::{ResourceSummary, SourceSummary, SyncEvent};

#[derive(Debug, Error)]
pub enum SyncError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(
        "cannot write the rows of `{resource}` (source `{source_name}`) to the database; the \
         page was rolled back and will be read again"
    )]
    Store {
        source_name: String,
        resource: String,
        #[source]
        error: Box<StoreError>,
    },
    #[error(
        "cannot remove the rows of `{resource}` (source `{source_name}`) deleted upstream; \
         nothing was removed and the next `plumb sync --full` tries again"
    )]
    Sweep {
        source_name: String,
        resource: String,
        #[source]
        error: Box<StoreError>,
    },
    #[error(
        "source `{source_name}`: `{resource}` was skipped because `{prerequisite}`, which it is \
         built from, failed in this run; fix that error and sync again"
    )]
    Prerequisite {
        source_name: String,
        resource: String,
        prerequisite: String,
    },
    #[error(
        "source `{source_name}`: plumb sync does not read {kind} sources yet; load their data \
         with `plumb import` meanwhile"
    )]
    Unsupported {
        source_name: String,
        kind: SourceKind,
    },
}

impl SyncError {
    fn is_fatal_for_source(&self) -> bool {
        match self {
            SyncError::Source(e) => e.is_fatal_for_source(),
            SyncError::Store { .. } | SyncError::Sweep { .. } | SyncError::Unsupported { .. } => {
                true
            }
            SyncError::Prerequisite { .. } => false,
        }
    }
}

/// What one `plumb sync` run was asked to do.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Re-read everything from the lower bound, ignoring cursors and ETags.
    pub full: bool,
    /// Lower bound of the items read; default: the cursor, else the source's `history`.
    pub since: Option<Timestamp>,
    pub now: Timestamp,
}

/// Set to stop a sync after the page being written (quitting the TUI, Ctrl-C).
#[derive(Debug, Clone, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// What every source of a run shares.
#[derive(Debug, Clone, Copy)]
pub struct SyncEnv<'a> {
    pub ownership: &'a Ownership,
    pub privacy: &'a Privacy,
    pub options: &'a SyncOptions,
    pub cancel: &'a CancelFlag,
}

/// The resources of a source, in the order they are read (parents first).
pub fn resources(source: &SourceConfig) -> Vec<String> {
    match source.kind {
        SourceKind::Github => github::resources(source),
        SourceKind::Gitlab => gitlab::resources(source),
        SourceKind::Jira => jira::resources(source),
        SourceKind::Pagerduty => pagerduty::resources(source),
        SourceKind::Opsgenie => opsgenie::resources(source),
        SourceKind::Datadog => datadog::resources(source),
        SourceKind::Prometheus => prometheus::resources(source),
    }
}

/// The resources `resource` is computed from: when one of them fails, `resource` would read
/// a stale or partial parent and record a success it has not earned.
pub fn prerequisites(kind: SourceKind, resource: &str) -> Vec<String> {
    match (kind, resource.rsplit_once(':')) {
        (SourceKind::Github, Some((repo, "deployment_changes"))) => {
            vec![format!("{repo}:deployments"), format!("{repo}:releases")]
        }
        (SourceKind::Datadog, None) if resource == "slo_history" => vec!["slos".into()],
        _ => Vec::new(),
    }
}

/// Records an error that stopped `source` before any resource was read (its token, its
/// preparation) under [`cursor::SOURCE_WIDE`], so `plumb sync status` shows it.
pub fn record_source_error(
    store: &Store,
    source: &str,
    message: &str,
    at: Timestamp,
) -> Result<(), StoreError> {
    cursor::record_error(store.conn(), source, cursor::SOURCE_WIDE, message, at)?;
    Ok(())
}

/// What a source needs in the store before its resources are read: Prometheus queries carry
/// no SLO definition, so their `[[slos]]` entries are written first.
pub fn prepare_source(
    store: &mut Store,
    source: &SourceConfig,
    slos: &[SloConfig],
) -> Result<(), SyncError> {
    if source.kind == SourceKind::Prometheus {
        prometheus::declare_slos(store, source, slos).map_err(|error| SyncError::Store {
            source_name: source.name.clone(),
            resource: "slos".into(),
            error: Box::new(error),
        })?;
    }
    Ok(())
}

/// Syncs every resource of one source. Errors are recorded per resource in `sync_state` and
/// in the summary; an error that dooms the other resources (a rejected token, a rate limit
/// too long to wait for) skips them.
pub async fn sync_source(
    store: &mut Store,
    source: &SourceConfig,
    client: &HttpClient,
    env: SyncEnv<'_>,
    on_event: &mut dyn FnMut(&SyncEvent<'_>),
) -> SourceSummary {
    let started = Instant::now();
    let mut session = Session {
        store,
        source,
        env,
        on_event,
        summary: SourceSummary::new(&source.name, source.kind),
        current: 0,
        seen: Seen::default(),
    };
    // Best effort: a stale source-wide error only lingers in `sync status`.
    let _ = cursor::clear_source_wide(session.store.conn(), &source.name);
    let names = resources(source);
    let mut failed: Vec<String> = Vec::new();
    if names.is_empty() {
        let error = SyncError::Unsupported {
            source_name: source.name.clone(),
            kind: source.kind,
        };
        session.fail("all", &error);
    }
    for resource in names {
        if env.cancel.is_cancelled() {
            session.summary.cancelled = true;
            break;
        }
        session.current = session.summary.resources.len();
        session.seen = Seen::default();
        session
            .summary
            .resources
            .push(ResourceSummary::new(&resource));
        if let Some(prerequisite) = prerequisites(source.kind, &resource)
            .into_iter()
            .find(|p| failed.contains(p))
        {
            let error = SyncError::Prerequisite {
                source_name: source.name.clone(),
                resource: resource.clone(),
                prerequisite,
            };
            session.fail(&resource, &error);
            failed.push(resource);
            continue;
        }
        let outcome = match source.kind {
            SourceKind::Github => github::sync_resource(&mut session, client, &resource).await,
            SourceKind::Gitlab => gitlab::sync_resource(&mut session, client, &resource).await,
            SourceKind::Jira => jira::sync_resource(&mut session, client, &resource).await,
            SourceKind::Pagerduty => {
                pagerduty::sync_resource(&mut session, client, &resource).await
            }
            SourceKind::Opsgenie => opsgenie::sync_resource(&mut session, client, &resource).await,
            SourceKind::Datadog => datadog::sync_resource(&mut session, client, &resource).await,
            SourceKind::Prometheus => {
                prometheus::sync_resource(&mut session, client, &resource).await
            }
        };
        let outcome = match outcome {
            Ok(()) if !session.cancelled() => session.remove_unseen(&resource),
            other => other,
        };
        match outcome {
            Ok(()) if session.cancelled() => session.summary.cancelled = true,
            Ok(()) => session.succeed(&resource),
            Err(error) => {
                let fatal = error.is_fatal_for_source();
                session.fail(&resource, &error);
                failed.push(resource);
                if fatal {
                    break;
                }
            }
        }
    }
    session.summary.http = client.stats();
    session.summary.elapsed = started.elapsed();
    session.summary
}

/// A resource being synced: its cursor with the pass in progress, and its first page's ETag.
#[derive(Debug, Clone)]
pub struct ResourceRun {
    pub cursor: SyncCursor,
    /// The first page's ETag, stored with the cursor.
    pub etag: Option<String>,
    /// Whether the next request may be conditional: the first page of a fresh pass (not
    /// resumed, not `--full`) with a stored ETag.
    pub conditional: bool,
}

impl ResourceRun {
    /// The pass in progress ([`Session::begin`] always starts one; after `finish_pass` a new
    /// one starts now).
    pub fn pass(&mut self) -> &mut Pass {
        let now = chrono::Utc::now();
        self.cursor.pass.get_or_insert_with(|| Pass::new(now, now))
    }

    /// The ETag to send with the next request, if it may be conditional.
    pub fn if_none_match(&self) -> Option<&str> {
        self.etag.as_deref().filter(|_| self.conditional)
    }

    /// Records a fetched page: the first page of a pass replaces the stored ETag; no later
    /// request is conditional.
    pub fn fetched(&mut self, first_page: bool, etag: Option<String>) {
        if first_page {
            self.etag = etag;
        }
        self.conditional = false;
    }

    /// Sets the next request, or finishes the pass when there is none.
    pub fn advance(&mut self, next: Option<String>) {
        match next {
            Some(next) => self.pass().next = Some(next),
            None => self.cursor.finish_pass(),
        }
    }

    /// Whether this page is the first of its pass.
    pub fn at_start(&self) -> bool {
        self.cursor.pass.as_ref().is_none_or(|p| p.next.is_none())
    }
}

/// The sync of one source: connectors read cursors and write pages through it.
pub struct Session<'a> {
    store: &'a mut Store,
    pub source: &'a SourceConfig,
    pub env: SyncEnv<'a>,
    on_event: &'a mut dyn FnMut(&SyncEvent<'_>),
    summary: SourceSummary,
    current: usize,
    seen: Seen,
}

impl Session<'_> {
    pub fn ownership(&self) -> &Ownership {
        self.env.ownership
    }

    pub fn privacy(&self) -> &Privacy {
        self.env.privacy
    }

    pub fn now(&self) -> Timestamp {
        self.env.options.now
    }

    pub fn cancelled(&self) -> bool {
        self.env.cancel.is_cancelled()
    }

    /// Loads the cursor of `resource` and starts (or resumes) its pass.
    pub fn begin(&mut self, resource: &str) -> Result<ResourceRun, SyncError> {
        let opts = self.env.options;
        let row = cursor::load(self.store.conn(), &self.source.name, resource)
            .map_err(|e| self.store_error(resource, e.into()))?;
        let mut cursor = row.cursor;
        let resume = !opts.full && opts.since.is_none() && cursor.pass.is_some();
        let first_pass = cursor.watermark.is_none() && cursor.pass.is_none();
        self.seen = Seen {
            whole: !resume && (opts.full || first_pass),
            ..Seen::default()
        };
        if resume {
            return Ok(ResourceRun {
                cursor,
                etag: row.etag,
                conditional: false,
            });
        }
        let history = self.source.history.as_chrono();
        let lower_bound = opts
            .since
            .or(if opts.full { None } else { cursor.watermark })
            .unwrap_or(opts.now - history);
        cursor.pass = Some(Pass::new(opts.now, lower_bound));
        let window = scope::Window {
            lower_bound,
            started_at: opts.now,
        };
        if self.seen.whole {
            let scopes = scope::of(self.store.conn(), self.source, resource, window)
                .map_err(|e| self.store_error(resource, e.into()))?;
            let mut tables: Vec<&'static str> = scopes.iter().map(|s| s.kept_by).collect();
            tables.dedup();
            self.seen.tables = tables;
            self.seen.window = Some(window);
        }
        Ok(ResourceRun {
            cursor,
            conditional: !opts.full && row.etag.is_some(),
            etag: row.etag,
        })
    }

    /// Writes one page's rows and the advanced cursor (with the first page's ETag) in one
    /// transaction.
    pub fn write_page(
        &mut self,
        resource: &str,
        run: &mut ResourceRun,
        items: usize,
        write: impl FnOnce(&mut RowWriter<'_>) -> Result<(), StoreError>,
    ) -> Result<(), SyncError> {
        run.cursor.advanced_at = Some(chrono::Utc::now());
        let (written, seen) = self
            .transaction(resource, &run.cursor, run.etag.as_deref(), write)
            .map_err(|e| self.store_error(resource, e))?;
        for (table, external_id) in seen {
            self.seen.ids.entry(table).or_default().insert(external_id);
        }
        if run.cursor.pass.is_none() {
            self.seen.finished = true;
        }
        let r = &mut self.summary.resources[self.current];
        r.pages += 1;
        r.items += items as u64;
        r.written += written;
        (self.on_event)(&SyncEvent::Page {
            source: &self.source.name,
            resource,
            items,
        });
        Ok(())
    }

    fn transaction(
        &mut self,
        resource: &str,
        cursor: &SyncCursor,
        etag: Option<&str>,
        write: impl FnOnce(&mut RowWriter<'_>) -> Result<(), StoreError>,
    ) -> Result<(u64, Vec<SeenRow>), StoreError> {
        let source = self.source;
        let synced_at = chrono::Utc::now().timestamp();
        let tx = self.store.conn_mut().transaction()?;
        let (written, seen) = {
            let mut w = RowWriter {
                writer: Writer::new(&tx),
                conn: &tx,
                source: &source.name,
                kind: source.kind.as_str(),
                synced_at,
                written: 0,
                noted: &self.seen.tables,
                seen: Vec::new(),
            };
            write(&mut w)?;
            (w.written, w.seen)
        };
        cursor::save(&tx, &source.name, resource, cursor, etag)?;
        tx.commit()?;
        Ok((written, seen))
    }

    /// The first page answered 304: nothing changed since the last pass.
    pub fn not_modified(&mut self, resource: &str) {
        // Nothing was re-read: the pass cannot tell what is gone.
        self.seen.whole = false;
        self.summary.resources[self.current].not_modified = true;
        (self.on_event)(&SyncEvent::NotModified {
            source: &self.source.name,
            resource,
        });
    }

    fn succeed(&mut self, resource: &str) {
        let at = chrono::Utc::now();
        if let Err(e) = cursor::record_ok(self.store.conn(), &self.source.name, resource, at) {
            let error = self.store_error(resource, e.into());
            self.fail(resource, &error);
            return;
        }
        (self.on_event)(&SyncEvent::ResourceDone {
            source: &self.source.name,
            resource,
        });
    }

    fn fail(&mut self, resource: &str, error: &SyncError) {
        let message = error.to_string();
        tracing::warn!(source = %self.source.name, resource, %message, "sync failed");
        // Recording the error is best effort: the summary carries it either way.
        let _ = cursor::record_error(
            self.store.conn(),
            &self.source.name,
            resource,
            &message,
            chrono::Utc::now(),
        );
        match self.summary.resources.get_mut(self.current) {
            Some(r) if r.resource == resource => r.error = Some(message),
            _ => {
                let mut r = ResourceSummary::new(resource);
                r.error = Some(message);
                self.summary.resources.push(r);
            }
        }
        (self.on_event)(&SyncEvent::ResourceFailed {
            source: &self.source.name,
            resource,
            error,
        });
    }

    fn store_error(&self, resource: &str, error: StoreError) -> SyncError {
        SyncError::Store {
            source_name: self.source.name.clone(),
            resource: resource.to_string(),
            error: Box::new(error),
        }
    }

    /// A read on the store outside any page (e.g. names of already synced services).
    pub fn conn(&self) -> &Connection {
        self.store.conn()
    }
}

/// Writes rows with this source's provenance inside a page's transaction.
pub struct RowWriter<'t> {
    writer: Writer<'t>,
    conn: &'t Connection,
    source: &'t str,
    kind: &'static str,
    synced_at: i64,
    written: u64,
    /// The tables whose upserted rows are noted in `seen`.
    noted: &'t [&'static str],
    seen: Vec<SeenRow>,
}

impl RowWriter<'_> {
    /// Upserts one row; returns its store id.
    pub fn upsert(
        &mut self,
        table: &'static str,
        columns: &[&'static str],
        values: &[Value],
        external_id: &str,
        url: Option<&str>,
    ) -> Result<i64, StoreError> {
        let shape = self.writer.shape(table, columns)?;
        if self.noted.contains(&table) {
            self.seen.push((table, external_id.to_string()));
        }
        let provenance = RowProvenance {
            source: self.source,
            source_kind: self.kind,
            external_id,
            url,
            synced_at: self.synced_at,
            origin: Origin::Api,
        };
        match self.writer.upsert(shape, values, &provenance)? {
            Outcome::Inserted(id) | Outcome::Updated(id) => {
                self.written += 1;
                Ok(id)
            }
            Outcome::Unchanged => self
                .writer
                .id_of(table, self.source, external_id)?
                .ok_or(StoreError::Sql(rusqlite::Error::QueryReturnedNoRows)),
        }
    }

    /// The store id of a row of this source.
    pub fn id_of(&self, table: &str, external_id: &str) -> Result<Option<i64>, StoreError> {
        self.writer.id_of(table, self.source, external_id)
    }

    pub fn conn(&self) -> &Connection {
        self.conn
    }
}

/// Values for [`RowWriter::upsert`].
pub fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

pub fn opt_text(s: Option<impl Into<String>>) -> Value {
    s.map_or(Value::Null, |s| Value::Text(s.into()))
}

pub fn opt_int(v: Option<i64>) -> Value {
    v.map_or(Value::Null, Value::Integer)
}

pub fn opt_time(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::Integer(t.timestamp()))
}
