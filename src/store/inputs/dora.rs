//! The rows of DORA reports: deployments, their links, the changes they shipped or that were
//! merged in the period, and incidents. Large tables are read by ranges of ids in table order:
//! the ids come from covering indexes, and each range is one scan, where reading rows in time
//! order would cost a page lookup per row.

use crate::metrics::dora::{DoraInputs, DoraParams};
use crate::metrics::id_map::IdSet;
use crate::metrics::period::Period;
use crate::model::{
    Change, DeployKind, DeployStatus, Deployment, DeploymentChange, Filter, Timestamp, ts,
};
use crate::store::read::{map_change, opt_ts, parse_opt_enum, where_clause};
use crate::store::runs::{RANGE_GAP, id_ranges};
use crate::store::{Result, Store};
use chrono::Duration;
use rusqlite::{Row, params_from_iter};
use std::collections::HashSet;

/// Whether a load of changes reads their titles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::store) enum ChangeColumns {
    WithTitles,
    NoTitles,
}

/// How far before `since` deployments are loaded, so the first deployment of the period has
/// its previous one (chaining) and early incidents find the deployment before them.
pub const CHAIN_MARGIN: Duration = Duration::days(30);

impl Store {
    /// Loads the rows of a DORA report for `filter`. The period is `[since, until)`, with
    /// `until` defaulting to `now` and `since` to the first matching deployment. Deployments
    /// reach back [`CHAIN_MARGIN`] (or the incident window, if longer) before `since`;
    /// incidents reach the incident window past `until`; changes are those the loaded
    /// deployments shipped plus those merged in the period (merged but never deployed).
    pub fn dora_inputs(
        &self,
        filter: &Filter,
        params: &DoraParams,
        now: Timestamp,
    ) -> Result<DoraInputs> {
        self.dora_inputs_with(filter, params, now, ChangeColumns::WithTitles)
    }

    /// [`Store::dora_inputs`] without the changes' titles: the metrics never read them, and
    /// leaving them out saves reading and allocating one string per change. For numbers
    /// only; a listing of the changes reads them by id ([`Store::changes_by_ids`]).
    pub fn dora_metric_inputs(
        &self,
        filter: &Filter,
        params: &DoraParams,
        now: Timestamp,
    ) -> Result<DoraInputs> {
        self.dora_inputs_with(filter, params, now, ChangeColumns::NoTitles)
    }

    fn dora_inputs_with(
        &self,
        filter: &Filter,
        params: &DoraParams,
        now: Timestamp,
        columns: ChangeColumns,
    ) -> Result<DoraInputs> {
        let until = filter.until.unwrap_or(now);
        let scoped = Filter {
            until: Some(until),
            ..filter.clone()
        };
        let since = match filter.since {
            Some(s) => Some(s),
            None => self.first_deployment_at(&scoped)?,
        };
        let period = since.map(|s| Period::new(s, until));
        let margin = CHAIN_MARGIN.max(params.incident_window).num_seconds();
        let incident_scope = Filter {
            until: Some(until + params.incident_window),
            environment: None,
            ..scoped.clone()
        };
        // The changes cost as much as the three other reads together: on a file-backed store
        // they are read on a second read connection (SQLite connections are single-threaded)
        // while this one reads links, deployments and incidents. The links come first and
        // are handed over: the changes they shipped are half of the changes to read.
        let (shipped_tx, shipped_rx) = std::sync::mpsc::channel::<Vec<i64>>();
        let (changes, rest) = std::thread::scope(|scope| {
            let changes = self.path().map(|path| {
                let scoped = &scoped;
                scope.spawn(move || -> Result<Vec<Change>> {
                    let store = Store::open_read_only(path)?;
                    let merged = store.merged_change_ids(scoped)?;
                    // Should the other connection fail before it hands the links over, this
                    // one finds the shipped changes itself (the failure is reported there).
                    let shipped = match shipped_rx.recv() {
                        Ok(ids) => ids,
                        Err(_) => store.shipped_change_ids(scoped, margin)?,
                    };
                    store.changes_by_id_ranges(merged, shipped, columns)
                })
            });
            let rest = (|| -> Result<_> {
                let links = self.deployment_links(&scoped, margin)?;
                // The reader may be gone (it failed to open): it is then read below.
                let _ = shipped_tx.send(links.iter().map(|l| l.change_id).collect());
                Ok((
                    self.deployments_for_dora(&scoped, margin)?,
                    links,
                    self.incidents(&incident_scope, margin)?,
                ))
            })();
            drop(shipped_tx);
            // Without a file (in memory), or should the reader die, this connection reads them.
            let changes = match changes.map(|h| h.join()) {
                Some(Ok(Ok(changes))) => Ok(changes),
                _ => self.changes_for_dora(&scoped, margin, columns),
            };
            (changes, rest)
        });
        let (deployments, links, incidents) = rest?;
        Ok(DoraInputs {
            period,
            deployments,
            changes: changes?,
            links,
            incidents,
        })
    }

    /// The rows [`crate::metrics::dora::incident_links`] reads, as [`Store::dora_metric_inputs`]
    /// loads them, except the changes: of those, only the ones a successful deployment without
    /// links, in a chain with production deployments, falls back to (its commit is their merge
    /// commit) and that the full load would hold (shipped by a loaded deployment, or merged in
    /// the filter's range and scope). The links come out the same, without reading every
    /// change of the period.
    pub fn dora_link_inputs(
        &self,
        filter: &Filter,
        params: &DoraParams,
        now: Timestamp,
    ) -> Result<DoraInputs> {
        let until = filter.until.unwrap_or(now);
        let scoped = Filter {
            until: Some(until),
            ..filter.clone()
        };
        let since = match filter.since {
            Some(s) => Some(s),
            None => self.first_deployment_at(&scoped)?,
        };
        let margin = CHAIN_MARGIN.max(params.incident_window).num_seconds();
        let incident_scope = Filter {
            until: Some(until + params.incident_window),
            environment: None,
            ..scoped.clone()
        };
        let deployments = self.deployments_for_dora(&scoped, margin)?;
        let links = self.deployment_links(&scoped, margin)?;
        let incidents = self.incidents(&incident_scope, margin)?;
        // Only chains (service, environment) holding a production deployment bear on the
        // links: a chain's deployments subtract only from each other.
        let succeeded = || {
            deployments
                .iter()
                .filter(|d| d.status == DeployStatus::Success)
        };
        let production: HashSet<(&str, &str)> = succeeded()
            .filter(|d| {
                params
                    .production
                    .is_production(d.team.as_deref(), &d.environment)
            })
            .map(|d| (d.service.as_str(), d.environment.as_str()))
            .collect();
        let linked: IdSet = links.iter().map(|l| l.deployment_id).collect();
        let mut shas: Vec<&str> = succeeded()
            .filter(|d| !linked.contains(&d.id))
            .filter(|d| production.contains(&(d.service.as_str(), d.environment.as_str())))
            .filter_map(|d| d.commit_sha.as_deref())
            .collect();
        shas.sort_unstable();
        shas.dedup();
        let shipped: IdSet = links.iter().map(|l| l.change_id).collect();
        let merged_in_scope = |c: &Change| {
            c.merged_at.is_some_and(|m| {
                scoped.since.is_none_or(|s| m >= s) && scoped.until.is_none_or(|u| m < u)
            }) && scoped
                .team
                .as_deref()
                .is_none_or(|t| c.team.as_deref() == Some(t))
                && scoped
                    .service
                    .as_deref()
                    .is_none_or(|s| c.service.as_deref() == Some(s))
        };
        let mut changes = Vec::new();
        for chunk in shas.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT id, repo, service, team, NULL, state, merge_sha, first_commit_at,
                        opened_at, first_review_at, merged_at, additions, deletions
                 FROM changes WHERE merge_sha IN ({marks})"
            );
            let mut stmt = self.conn().prepare_cached(&sql)?;
            for c in stmt.query_map(params_from_iter(chunk.iter()), map_change)? {
                let c = c?;
                if shipped.contains(&c.id) || merged_in_scope(&c) {
                    changes.push(c);
                }
            }
        }
        changes.sort_unstable_by_key(|c| c.id);
        Ok(DoraInputs {
            period: since.map(|s| Period::new(s, until)),
            deployments,
            changes,
            links,
            incidents,
        })
    }

    fn first_deployment_at(&self, filter: &Filter) -> Result<Option<Timestamp>> {
        let w = where_clause(filter, "finished_at", 0, true);
        let sql = format!("SELECT min(finished_at) FROM deployments{}", w.sql);
        let v: Option<i64> =
            self.conn()
                .query_row(&sql, params_from_iter(w.params.iter()), |r| r.get(0))?;
        Ok(v.and_then(ts))
    }

    /// Links of the deployments matching `filter` (one join instead of a query per chunk).
    fn deployment_links(&self, filter: &Filter, margin: i64) -> Result<Vec<DeploymentChange>> {
        let w = where_clause(filter, "d.finished_at", margin, true);
        let sql = format!(
            "SELECT dc.deployment_id, dc.change_id FROM deployment_changes dc
             JOIN deployments d ON d.id = dc.deployment_id{}",
            w.sql
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(w.params.iter()), |r| {
            Ok(DeploymentChange {
                deployment_id: r.get(0)?,
                change_id: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// [`Store::deployments`] (same rows, same order: finish time, then id), read as ranges of
    /// ids in table order. In finish order, the deployments of many services interleave across
    /// the table and every row costs a page lookup; a service's deployments of a period lie
    /// close together by id.
    pub(in crate::store) fn deployments_for_dora(
        &self,
        filter: &Filter,
        margin: i64,
    ) -> Result<Vec<Deployment>> {
        let w = where_clause(filter, "finished_at", margin, true);
        let mut out = self.rows_in_id_ranges(
            "deployments",
            "id, service, team, environment, status, kind, started_at, finished_at, commit_sha",
            &w,
            map_deployment,
        )?;
        out.sort_unstable_by_key(|d| (d.finished_at, d.id));
        Ok(out)
    }

    /// Changes shipped by the deployments matching `filter`, plus changes merged in its range,
    /// in id order. The ids of both halves come from covering indexes (links by deployment,
    /// changes by team or service and merge time, or by merge time alone) and are merged here;
    /// the rows are then read as ranges of ids in table order, keeping the wanted ones. A SQL
    /// `UNION` of the ids sorted both halves in temporary B-trees and then looked up every row
    /// by id, at about twice the cost.
    pub(in crate::store) fn changes_for_dora(
        &self,
        filter: &Filter,
        margin: i64,
        columns: ChangeColumns,
    ) -> Result<Vec<Change>> {
        let merged = self.merged_change_ids(filter)?;
        let shipped = self.shipped_change_ids(filter, margin)?;
        self.changes_by_id_ranges(merged, shipped, columns)
    }

    /// Ids of the changes shipped by the deployments matching `filter` (with `margin`).
    fn shipped_change_ids(&self, filter: &Filter, margin: i64) -> Result<Vec<i64>> {
        let w = where_clause(filter, "d.finished_at", margin, true);
        self.query_map(
            &format!(
                "SELECT dc.change_id FROM deployment_changes dc
                 JOIN deployments d ON d.id = dc.deployment_id{}",
                w.sql
            ),
            &w.params,
            |r| r.get(0),
        )
    }

    /// Ids of the changes merged in the filter's range and scope.
    fn merged_change_ids(&self, filter: &Filter) -> Result<Vec<i64>> {
        let w = where_clause(filter, "merged_at", 0, false);
        let cond = match w.sql.strip_prefix(" WHERE ") {
            Some(cond) => format!("({cond}) AND merged_at IS NOT NULL"),
            None => "merged_at IS NOT NULL".to_string(),
        };
        self.query_map(
            &format!("SELECT id FROM changes WHERE {cond}"),
            &w.params,
            |r| r.get(0),
        )
    }

    /// The changes of both id lists (in any order, repeats allowed), once each, in id order.
    fn changes_by_id_ranges(
        &self,
        mut ids: Vec<i64>,
        more: Vec<i64>,
        columns: ChangeColumns,
    ) -> Result<Vec<Change>> {
        ids.extend(more);
        ids.sort_unstable();
        ids.dedup();
        let title = match columns {
            ChangeColumns::WithTitles => "title",
            ChangeColumns::NoTitles => "NULL",
        };
        let sql = format!(
            "SELECT id, repo, service, team, {title}, state, merge_sha, first_commit_at, opened_at,
                    first_review_at, merged_at, additions, deletions
             FROM changes WHERE id BETWEEN ?1 AND ?2"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut out = Vec::with_capacity(ids.len());
        let mut wanted = ids.iter().copied().peekable();
        for (lo, hi) in id_ranges(&ids, RANGE_GAP) {
            let mut rows = stmt.query([lo, hi])?;
            while let Some(row) = rows.next()? {
                let id: i64 = row.get(0)?;
                // Rows come in id order, as do the wanted ids: skip those passed over.
                while wanted.next_if(|&w| w < id).is_some() {}
                if wanted.next_if_eq(&id).is_some() {
                    out.push(map_change(row)?);
                }
            }
        }
        Ok(out)
    }
}

/// A NOT NULL enum column's value (the schema forbids NULL; a NULL read is a damaged file).
fn required<T>(idx: usize, v: Option<T>) -> rusqlite::Result<T> {
    v.ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Null,
            "a NOT NULL deployment column is empty".into(),
        )
    })
}

fn map_deployment(r: &Row) -> rusqlite::Result<Deployment> {
    let finished: i64 = r.get(7)?;
    Ok(Deployment {
        id: r.get(0)?,
        service: r.get(1)?,
        team: r.get(2)?,
        environment: r.get(3)?,
        status: required(4, parse_opt_enum(r, 4, DeployStatus::parse)?)?,
        kind: required(5, parse_opt_enum(r, 5, DeployKind::parse)?)?,
        started_at: opt_ts(r, 6)?,
        finished_at: ts(finished).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                7,
                rusqlite::types::Type::Integer,
                format!("timestamp {finished} out of range").into(),
            )
        })?,
        commit_sha: r.get(8)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{DemoOptions, Scale};
    use chrono::{TimeZone, Utc};
    use rusqlite::types::Value;

    /// The changes as one SQL query selected them before the ids were merged here.
    fn changes_by_union(store: &Store, filter: &Filter, margin: i64) -> Vec<Change> {
        let shipped = where_clause(filter, "d.finished_at", margin, true);
        let merged = where_clause(filter, "merged_at", 0, false);
        let merged_cond = match merged.sql.strip_prefix(" WHERE ") {
            Some(cond) => format!("({cond}) AND merged_at IS NOT NULL"),
            None => "merged_at IS NOT NULL".to_string(),
        };
        let sql = format!(
            "SELECT id, repo, service, team, title, state, merge_sha, first_commit_at, opened_at,
                    first_review_at, merged_at, additions, deletions
             FROM changes WHERE id IN (
                 SELECT dc.change_id FROM deployment_changes dc
                 JOIN deployments d ON d.id = dc.deployment_id{}
                 UNION
                 SELECT id FROM changes WHERE {merged_cond})
             ORDER BY id",
            shipped.sql
        );
        let params: Vec<Value> = shipped.params.into_iter().chain(merged.params).collect();
        store.query_map(&sql, &params, map_change).expect("union")
    }

    /// Reading by id ranges returns exactly the rows, in the order, of the plain queries:
    /// all teams, one team, one service, one environment and an open start.
    #[test]
    fn id_range_reads_return_the_rows_of_the_plain_queries() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(&dir.path().join("demo.db")).expect("open");
        let anchor = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let opts = DemoOptions {
            seed: 11,
            scale: Scale::Small,
            anchor,
        };
        crate::demo::generate(&mut store, &opts).expect("demo");
        let margin = CHAIN_MARGIN.num_seconds();
        let base = Filter {
            since: Some(anchor - Duration::days(90)),
            until: Some(anchor),
            ..Filter::default()
        };
        let some = store.deployments(&base, 0).expect("deployments");
        let (team, service) = (some[0].team.clone(), some[0].service.clone());
        let filters = [
            base.clone(),
            Filter {
                team,
                ..base.clone()
            },
            Filter {
                service: Some(service),
                ..base.clone()
            },
            Filter {
                environment: Some("production".to_string()),
                ..base.clone()
            },
            Filter {
                since: None,
                ..base.clone()
            },
        ];
        for filter in &filters {
            let expected = store.deployments(filter, margin).expect("plain");
            let got = store.deployments_for_dora(filter, margin).expect("ranges");
            assert!(!expected.is_empty(), "{filter:?}");
            assert_eq!(got, expected, "{filter:?}");

            let expected = changes_by_union(&store, filter, margin);
            let got = store
                .changes_for_dora(filter, margin, ChangeColumns::WithTitles)
                .expect("ranges");
            assert!(!expected.is_empty(), "{filter:?}");
            assert_eq!(got, expected, "{filter:?}");
        }
        // Gaps between wanted ids both within one range and between ranges.
        assert_eq!(
            id_ranges(&[1, 2, 300, 556, 900], RANGE_GAP),
            vec![(1, 2), (300, 556), (900, 900)]
        );
    }
}
