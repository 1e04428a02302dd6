//! CI runs (and the id ranges other large reads share): read by id ranges in table order, then put in finish order (reading a large table
//! in finish order costs a page read per row).

use super::read::{Where, opt_ts, parse_opt_enum, where_clause};
use super::{Result, Store};
use crate::model::{Filter, PipelineRun, RunConclusion, Timestamp};
use rusqlite::params_from_iter;
use rusqlite::types::Value;

impl Store {
    /// CI runs finishing in the filter's range.
    pub fn pipeline_runs(&self, filter: &Filter) -> Result<Vec<PipelineRun>> {
        self.pipeline_runs_with(filter, "branch, service, team")
    }

    /// [`Store::pipeline_runs`] without the columns the CI definition never reads (branch,
    /// service, team: left `None`), for numbers over many runs.
    pub fn pipeline_runs_for_metrics(&self, filter: &Filter) -> Result<Vec<PipelineRun>> {
        self.pipeline_runs_with(filter, "NULL, NULL, NULL")
    }

    fn pipeline_runs_with(&self, filter: &Filter, labels: &str) -> Result<Vec<PipelineRun>> {
        let w = where_clause(filter, "finished_at", 0, false);
        // In finish order, the rows of many teams interleave across the whole table and every
        // row costs a page read; a team's runs of a period lie close together by id.
        let columns = format!(
            "id, repo, {labels}, workflow, commit_sha, conclusion, attempt,
             queued_at, started_at, finished_at, tests_passed, tests_failed"
        );
        let runs = self.rows_in_id_ranges("pipeline_runs", &columns, &w, |r| {
            Ok(PipelineRun {
                id: r.get(0)?,
                repo: r.get(1)?,
                branch: r.get(2)?,
                service: r.get(3)?,
                team: r.get(4)?,
                workflow: r.get(5)?,
                commit_sha: r.get(6)?,
                conclusion: parse_opt_enum(r, 7, RunConclusion::parse)?,
                attempt: r.get(8)?,
                queued_at: opt_ts(r, 9)?,
                started_at: opt_ts(r, 10)?,
                finished_at: opt_ts(r, 11)?,
                tests_passed: r.get(12)?,
                tests_failed: r.get(13)?,
            })
        })?;
        Ok(in_finish_order(runs))
    }

    /// The rows of `table` that `w` selects, as `map` reads `columns`, in id order: the ids
    /// come from the index `w` uses, then the rows are read as ranges of ids, each range scanned
    /// in table order with the same conditions. For reads of many rows scattered in time order
    /// (a page read each) but close together by id.
    pub(crate) fn rows_in_id_ranges<T>(
        &self,
        table: &str,
        columns: &str,
        w: &Where,
        mut map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut ids: Vec<i64> = self.query_map(
            &format!("SELECT id FROM {table}{}", w.sql),
            &w.params,
            |r| r.get(0),
        )?;
        ids.sort_unstable();
        let conditions = w.sql.replacen(" WHERE ", " AND ", 1);
        // NOT INDEXED: the id range is the only way in, never a time index.
        let sql = format!(
            "SELECT {columns} FROM {table} NOT INDEXED WHERE id BETWEEN ? AND ?{conditions}"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut out = Vec::with_capacity(ids.len());
        for (lo, hi) in id_ranges(&ids, RANGE_GAP) {
            let params: Vec<Value> = [Value::Integer(lo), Value::Integer(hi)]
                .into_iter()
                .chain(w.params.iter().cloned())
                .collect();
            let mut rows = stmt.query(params_from_iter(params.iter()))?;
            while let Some(r) = rows.next()? {
                out.push(map(r)?);
            }
        }
        Ok(out)
    }
}

/// Ids further apart than this start a new range: a range scan reads at most this many rows
/// it does not keep between two kept ones, instead of one more query.
pub(crate) const RANGE_GAP: i64 = 256;

/// Sorted ids cut into `(first, last)` ranges wherever two neighbours are more than `gap` apart.
pub(crate) fn id_ranges(sorted: &[i64], gap: i64) -> Vec<(i64, i64)> {
    let mut ranges: Vec<(i64, i64)> = Vec::new();
    for &id in sorted {
        match ranges.last_mut() {
            Some((_, hi)) if id - *hi <= gap => *hi = id,
            _ => ranges.push((id, id)),
        }
    }
    ranges
}

/// Runs by finish time, then id. Sorting small keys and moving each run once is cheaper than
/// sorting the runs themselves (a few hundred bytes each).
fn in_finish_order(runs: Vec<PipelineRun>) -> Vec<PipelineRun> {
    let mut order: Vec<(Option<Timestamp>, i64, usize)> = runs
        .iter()
        .enumerate()
        .map(|(k, r)| (r.finished_at, r.id, k))
        .collect();
    order.sort_unstable();
    let mut slots: Vec<Option<PipelineRun>> = runs.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|(_, _, k)| slots[k].take())
        .collect()
}
