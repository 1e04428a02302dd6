//! Removing what a pass that read its resource whole no longer saw upstream: the rows of the
//! resource's [`scope`](super::scope) whose external ids the pass did not write.

use super::cursor::{self, Swept};
use super::{Session, SyncError, SyncEvent, scope};
use crate::store::StoreError;
use crate::store::sweep;
use std::collections::{HashMap, HashSet};

/// A row a page wrote: its table and external id.
pub(super) type SeenRow = (&'static str, String);

/// What the pass over the current resource saw, to remove afterwards what it did not.
#[derive(Debug, Default)]
pub(super) struct Seen {
    /// The pass reads the resource whole: `--full` or the resource's first pass, started
    /// afresh (not resumed), its first page not answered 304.
    pub(super) whole: bool,
    /// The pass wrote its last page.
    pub(super) finished: bool,
    pub(super) window: Option<scope::Window>,
    /// The tables whose written ids are noted: those the resource's scopes are kept by
    /// (a resource without a scope notes nothing).
    pub(super) tables: Vec<&'static str>,
    /// External ids written by the pass, by table.
    pub(super) ids: HashMap<&'static str, HashSet<String>>,
}

impl Session<'_> {
    /// After a pass that read `resource` whole and completed: removes the rows of its scope
    /// the pass did not see (items deleted upstream), in one transaction, and notes how many
    /// in the cursor for `plumb sync status`.
    pub(super) fn remove_unseen(&mut self, resource: &str) -> Result<(), SyncError> {
        let seen = std::mem::take(&mut self.seen);
        let window = match seen.window {
            Some(window) if seen.whole && seen.finished && !seen.tables.is_empty() => window,
            _ => return Ok(()),
        };
        let removed =
            self.sweep(resource, window, &seen.ids)
                .map_err(|error| SyncError::Sweep {
                    source_name: self.source.name.clone(),
                    resource: resource.to_string(),
                    error: Box::new(error),
                })?;
        self.summary.resources[self.current].removed = removed;
        if removed > 0 {
            let source = &self.source.name;
            tracing::info!(%source, resource, removed, "removed rows deleted upstream");
            (self.on_event)(&SyncEvent::Removed {
                source: &self.source.name,
                resource,
                rows: removed,
            });
        }
        Ok(())
    }

    fn sweep(
        &mut self,
        resource: &str,
        window: scope::Window,
        ids: &HashMap<&'static str, HashSet<String>>,
    ) -> Result<u64, StoreError> {
        let source = self.source;
        let tx = self.store.conn_mut().transaction()?;
        let scopes = scope::of(&tx, source, resource, window)?;
        let none = HashSet::new();
        let mut removed = 0;
        for scope in &scopes {
            let seen = ids.get(scope.kept_by).unwrap_or(&none);
            removed += sweep::sweep(&tx, &source.name, scope, seen)?;
        }
        if !scopes.is_empty() {
            let row = cursor::load(&tx, &source.name, resource)?;
            let mut cursor = row.cursor;
            cursor.swept = Some(Swept {
                at: chrono::Utc::now(),
                removed,
            });
            cursor::save(&tx, &source.name, resource, &cursor, row.etag.as_deref())?;
        }
        tx.commit()?;
        Ok(removed)
    }
}
