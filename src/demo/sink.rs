//! The writer: one cached prepared INSERT per table, ids assigned here in insertion order,
//! and the provenance columns every row carries.

use super::DemoError;
use rusqlite::types::ToSql;
use rusqlite::{CachedStatement, Transaction};
use std::fmt::{Arguments, Write};

/// Where a demo row claims to come from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Source {
    /// Position among the sources below, for the statement cache.
    pub index: usize,
    pub name: &'static str,
    pub kind: &'static str,
    pub origin: &'static str,
}

pub(crate) const GITHUB: Source = Source {
    index: 0,
    name: "demo-github",
    kind: "github",
    origin: "api",
};
pub(crate) const PAGERDUTY: Source = Source {
    index: 1,
    name: "demo-pagerduty",
    kind: "pagerduty",
    origin: "api",
};
pub(crate) const DATADOG: Source = Source {
    index: 2,
    name: "demo-datadog",
    kind: "datadog",
    origin: "api",
};
pub(crate) const PROMETHEUS: Source = Source {
    index: 3,
    name: "demo-prometheus",
    kind: "prometheus",
    origin: "api",
};
pub(crate) const JIRA: Source = Source {
    index: 4,
    name: "demo-jira",
    kind: "jira",
    origin: "api",
};
/// Finance exports, OKR sheets, support-desk exports and the decision log: typed or
/// imported by people, so they count as manual inputs in the authenticity share.
pub(crate) const IMPORT: Source = Source {
    index: 5,
    name: "demo-import",
    kind: "import",
    origin: "manual",
};

/// Entity tables, in the store's table order.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Table {
    Teams,
    Services,
    Repos,
    Deployments,
    Changes,
    DeploymentChanges,
    PipelineRuns,
    Jobs,
    Incidents,
    IncidentEvents,
    Alerts,
    Slos,
    SloSamples,
    ActionItems,
    Sprints,
    Milestones,
    WorkItems,
    SprintItems,
    WorkItemTransitions,
    Objectives,
    KeyResults,
    SupportTickets,
    Costs,
    Annotations,
}

/// (table, row columns between `id` and the provenance columns)
const COLUMNS: [(&str, &str); 24] = [
    ("teams", "name, display_name, timezone"),
    ("services", "name, team, tier, repo"),
    ("repos", "name, team, service"),
    (
        "deployments",
        "service, team, environment, status, kind, started_at, finished_at, commit_sha",
    ),
    (
        "changes",
        "repo, service, team, title, author, state, merge_sha, first_commit_at, opened_at, \
         first_review_at, merged_at, additions, deletions, labels",
    ),
    ("deployment_changes", "deployment_id, change_id"),
    (
        "pipeline_runs",
        "repo, service, team, workflow, branch, commit_sha, event, status, conclusion, attempt, \
         queued_at, started_at, finished_at, tests_passed, tests_failed",
    ),
    (
        "jobs",
        "pipeline_run_id, name, status, conclusion, attempt, started_at, finished_at",
    ),
    (
        "incidents",
        "service, team, severity, severity_original, title, status, created_at, \
         acknowledged_at, resolved_at, resolved_by, deployment_id",
    ),
    ("incident_events", "incident_id, at, kind, actor, detail"),
    (
        "alerts",
        "monitor, service, team, severity, title, triggered_at, acknowledged_at, resolved_at, \
         resolved_by, incident_id",
    ),
    (
        "slos",
        "name, service, team, description, target, window_kind, window_days, calendar_period, \
         budgeting_method, timeslice_seconds, timeslice_target",
    ),
    (
        "slo_samples",
        "slo_id, bucket_start, bucket_seconds, good, total",
    ),
    (
        "action_items",
        "incident_id, title, category, team, owner, priority, status, ticket_key, created_at, \
         due_at, completed_at",
    ),
    (
        "sprints",
        "board, team, name, state, start_at, end_at, completed_at, goal",
    ),
    (
        "milestones",
        "name, team, description, status, start_at, due_at, completed_at",
    ),
    (
        "work_items",
        "key, title, item_type, category, status, status_category, team, sprint_id, \
         milestone_id, epic, points, created_at, started_at, resolved_at, due_at, labels",
    ),
    (
        "sprint_items",
        "sprint_id, work_item_id, added_at, removed_at",
    ),
    (
        "work_item_transitions",
        "work_item_id, at, from_status, to_status",
    ),
    ("objectives", "title, team, period, status"),
    (
        "key_results",
        "objective_id, title, metric, unit, baseline, target, current",
    ),
    (
        "support_tickets",
        "title, service, team, priority, status, created_at, resolved_at, labels",
    ),
    (
        "costs",
        "period_start, period_end, team, service, category, amount, currency, cost_source",
    ),
    ("annotations", "at, team, service, metric, title, body"),
];

/// Rows per INSERT: a multi-row statement opens its cursors once per batch instead of once
/// per row, which more than doubles the write rate.
const BATCH: usize = 100;
const SOURCES: usize = 6;

/// One prepared batch INSERT for a (table, source) pair, with the source's constant
/// provenance written as literals so each row binds only what varies.
struct Batch<'c> {
    stmt: CachedStatement<'c>,
    /// Rows bound and not yet executed.
    pending: usize,
}

pub(crate) struct Sink<'c> {
    tx: &'c Transaction<'c>,
    batches: Vec<Option<Batch<'c>>>,
    counts: [u64; 24],
    synced_at: i64,
    ext: String,
    url: String,
}

impl<'c> Sink<'c> {
    pub fn new(tx: &'c Transaction<'c>, synced_at: i64) -> Result<Self, DemoError> {
        Ok(Sink {
            tx,
            batches: (0..COLUMNS.len() * SOURCES).map(|_| None).collect(),
            counts: [0; 24],
            synced_at,
            ext: String::with_capacity(64),
            url: String::with_capacity(160),
        })
    }

    fn prepare(&self, t: usize, source: Source) -> Result<Batch<'c>, DemoError> {
        let (table, cols) = COLUMNS[t];
        let per_row = cols.split(',').count() + 3;
        let rows: Vec<String> = (0..BATCH)
            .map(|r| {
                let marks: Vec<String> = (1..=per_row)
                    .map(|i| format!("?{}", r * per_row + i))
                    .collect();
                format!("({})", marks.join(", "))
            })
            .collect();
        let picked: Vec<String> = (1..=per_row - 2).map(|i| format!("column{i}")).collect();
        // OR FAIL: the conflict check needs no statement journal (any error rolls back the
        // whole transaction anyway). Unused rows of the last, partial batch get a NULL id and
        // are filtered out.
        let sql = format!(
            "INSERT OR FAIL INTO {table} (id, {cols}, source, source_kind, external_id, url, \
             synced_at, origin) SELECT {}, '{}', '{}', column{}, column{}, {}, '{}' \
             FROM (VALUES {}) WHERE column1 IS NOT NULL",
            picked.join(", "),
            source.name,
            source.kind,
            per_row - 1,
            per_row,
            self.synced_at,
            source.origin,
            rows.join(", ")
        );
        let stmt = self
            .tx
            .prepare_cached(&sql)
            .map_err(DemoError::write("prepare statements"))?;
        Ok(Batch { stmt, pending: 0 })
    }

    /// Sets the external id and url of the next row.
    pub fn prov(&mut self, external_id: Arguments, url: Arguments) {
        self.ext.clear();
        let _ = self.ext.write_fmt(external_id);
        self.url.clear();
        let _ = self.url.write_fmt(url);
    }

    /// Replaces the url of the next row, keeping its external id.
    pub fn prov_url(&mut self, url: Arguments) {
        self.url.clear();
        let _ = self.url.write_fmt(url);
    }

    /// The id the next row of `table` will get.
    pub fn next_id(&self, table: Table) -> i64 {
        self.counts[table as usize] as i64 + 1
    }

    /// Inserts one row with the provenance set by [`Sink::prov`]; returns its id.
    pub fn insert(
        &mut self,
        table: Table,
        source: Source,
        cols: &[&dyn ToSql],
    ) -> Result<i64, DemoError> {
        let t = table as usize;
        let slot = t * SOURCES + source.index;
        if self.batches[slot].is_none() {
            let batch = self.prepare(t, source)?;
            self.batches[slot] = Some(batch);
        }
        let what = COLUMNS[t].0;
        let id = self.counts[t] as i64 + 1;
        let Some(batch) = self.batches[slot].as_mut() else {
            unreachable!("prepared above")
        };
        let per_row = cols.len() + 3;
        let base = batch.pending * per_row;
        let st = &mut batch.stmt;
        let bind = |st: &mut CachedStatement, i: usize, v: &dyn ToSql| {
            st.raw_bind_parameter(base + i, v)
                .map_err(DemoError::write(what))
        };
        bind(st, 1, &id)?;
        for (i, c) in cols.iter().enumerate() {
            bind(st, i + 2, *c)?;
        }
        bind(st, per_row - 1, &self.ext.as_str())?;
        let url = (!self.url.is_empty()).then_some(self.url.as_str());
        bind(st, per_row, &url)?;
        self.counts[t] += 1;
        batch.pending += 1;
        if batch.pending == BATCH {
            st.raw_execute().map_err(DemoError::write(what))?;
            batch.pending = 0;
        }
        Ok(id)
    }

    /// Writes the rows of the last, partial batches; returns the rows per table.
    pub fn finish(mut self) -> Result<Vec<(&'static str, u64)>, DemoError> {
        for (slot, batch) in self.batches.iter_mut().enumerate() {
            let Some(batch) = batch.as_mut().filter(|b| b.pending > 0) else {
                continue;
            };
            let (table, cols) = COLUMNS[slot / SOURCES];
            let per_row = cols.split(',').count() + 3;
            for r in batch.pending..BATCH {
                batch
                    .stmt
                    .raw_bind_parameter(r * per_row + 1, None::<i64>)
                    .map_err(DemoError::write(table))?;
            }
            batch.stmt.raw_execute().map_err(DemoError::write(table))?;
            batch.pending = 0;
        }
        Ok(COLUMNS
            .iter()
            .zip(self.counts)
            .map(|((name, _), n)| (*name, n))
            .collect())
    }
}
