//! Store queries that load the inputs of metrics and record metric definitions.

use super::read::map_change;
use super::read::where_clause;
use super::{Result, Store};
use crate::metrics::actions::ActionInputs;
use crate::metrics::definitions::{MetricDefinition, Versions};
use crate::metrics::dora::{DoraInputs, DoraParams};
use crate::metrics::id_map::IdSet;
use crate::metrics::period::Period;
use crate::metrics::slo::{SloParams, samples_needed_from};
use crate::model::{
    Change, DeployStatus, DeploymentChange, Filter, IncidentEvent, Slo, SloSample, Timestamp, ts,
};
use chrono::{Duration, Utc};
use rusqlite::params_from_iter;
use std::collections::HashSet;

/// Whether a load of changes reads their titles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChangeColumns {
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
        // The changes query costs as much as the three others together: on a file-backed
        // store it runs on a second read connection (SQLite connections are single-threaded)
        // while this one reads deployments, links and incidents.
        let (changes, rest) = std::thread::scope(|scope| {
            let changes = self.path().map(|path| {
                let scoped = &scoped;
                scope.spawn(move || -> Result<Vec<Change>> {
                    Store::open_read_only(path)?.changes_for_dora(scoped, margin, columns)
                })
            });
            let rest = (|| -> Result<_> {
                Ok((
                    self.deployments(&scoped, margin)?,
                    self.deployment_links(&scoped, margin)?,
                    self.incidents(&incident_scope, margin)?,
                ))
            })();
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
        let deployments = self.deployments(&scoped, margin)?;
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

    /// Changes shipped by the deployments matching `filter`, plus changes merged in its range.
    /// Both halves collect ids only, each from a covering index (links by deployment, changes
    /// by team or service and merge time, or by merge time alone), and their union is read
    /// from the table in id order: one pass of ordered row lookups, no sort of whole rows and
    /// no de-duplication of whole rows (cheaper than a UNION of rows or an OR of both
    /// conditions, which sorts every row read for ORDER BY).
    fn changes_for_dora(
        &self,
        filter: &Filter,
        margin: i64,
        columns: ChangeColumns,
    ) -> Result<Vec<Change>> {
        let shipped = where_clause(filter, "d.finished_at", margin, true);
        let merged = where_clause(filter, "merged_at", 0, false);
        let title = match columns {
            ChangeColumns::WithTitles => "title",
            ChangeColumns::NoTitles => "NULL",
        };
        let cols = format!(
            "id, repo, service, team, {title}, state, merge_sha, first_commit_at, opened_at,
             first_review_at, merged_at, additions, deletions"
        );
        let shipped_ids = format!(
            "SELECT dc.change_id FROM deployment_changes dc
             JOIN deployments d ON d.id = dc.deployment_id{}",
            shipped.sql
        );
        let merged_cond = match merged.sql.strip_prefix(" WHERE ") {
            Some(cond) => format!("({cond}) AND merged_at IS NOT NULL"),
            None => "merged_at IS NOT NULL".to_string(),
        };
        let sql = format!(
            "SELECT {cols} FROM changes WHERE id IN (
                 {shipped_ids}
                 UNION
                 SELECT id FROM changes WHERE {merged_cond})
             ORDER BY id"
        );
        let params: Vec<_> = shipped.params.into_iter().chain(merged.params).collect();
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(params.iter()), map_change)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every SLO matching `filter` (team, service) with the samples its report needs at `now`:
    /// its budget window and the longest alert window, whichever reaches further back.
    pub fn slo_inputs(
        &self,
        filter: &Filter,
        params: &SloParams,
        now: Timestamp,
    ) -> Result<Vec<(Slo, Vec<SloSample>)>> {
        let mut out = Vec::new();
        for slo in self.slos(filter)? {
            let from = samples_needed_from(&slo, params, now);
            let samples = self.slo_samples(slo.id, from, now)?;
            out.push((slo, samples));
        }
        Ok(out)
    }

    /// The follow-ups of a scope (`filter`'s team and service) over `period`, by the rule of
    /// [`ActionInputs::select`], with the scope's incidents from `repeat_window` before the
    /// period (so repeats of earlier incidents are found) and the incidents the follow-ups
    /// belong to.
    pub fn action_inputs(
        &self,
        filter: &Filter,
        period: Period,
        repeat_window: Duration,
    ) -> Result<ActionInputs> {
        let scope = Filter {
            since: Some(period.start),
            until: Some(period.end),
            team: filter.team.clone(),
            service: filter.service.clone(),
            environment: None,
        };
        let history = self.incidents(&scope, repeat_window.num_seconds())?;
        let all: Vec<_> = match filter.team.as_deref() {
            None => self.action_items(&Filter::default())?,
            Some(team) => {
                let ids: Vec<i64> = history.iter().map(|i| i.id).collect();
                self.action_items_around(team, &ids, period)?
            }
        }
        .into_iter()
        .filter(|a| a.created_at < period.end)
        .collect();
        let mut wanted: Vec<i64> = all.iter().filter_map(|a| a.incident_id).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let linked = self.incidents_by_ids(&wanted)?;
        Ok(ActionInputs::select(
            all,
            history,
            linked,
            filter.team.as_deref(),
            filter.service.as_deref(),
            period,
        ))
    }

    /// The log entries (acknowledge, escalate, resolve, ...) of the given incidents, in time
    /// order, for response times taken from the log rather than from incident fields.
    pub fn incident_events_for(&self, incident_ids: &[i64]) -> Result<Vec<IncidentEvent>> {
        let mut out = Vec::new();
        for chunk in incident_ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT id, incident_id, at, kind, actor, detail FROM incident_events
                 WHERE incident_id IN ({marks}) ORDER BY at, id"
            );
            let mut stmt = self.conn().prepare_cached(&sql)?;
            let rows = stmt.query_map(params_from_iter(chunk.iter()), |r| {
                let at: i64 = r.get(2)?;
                Ok(IncidentEvent {
                    id: r.get(0)?,
                    incident_id: r.get(1)?,
                    at: ts(at).ok_or_else(|| {
                        rusqlite::Error::FromSqlConversionFailure(
                            2,
                            rusqlite::types::Type::Integer,
                            format!("timestamp {at} out of range").into(),
                        )
                    })?,
                    kind: r.get(3)?,
                    actor: r.get(4)?,
                    detail: r.get(5)?,
                })
            })?;
            for row in rows {
                out.push(row?);
            }
        }
        Ok(out)
    }

    /// The version of `metric` whose recorded parameters equal `parameters`: an existing
    /// version with exactly these parameters (so per-team parameter sets, e.g. time zones,
    /// keep their own stable versions), otherwise a new version, the latest plus one (the
    /// first is version 1), recorded from now on. Runs in an immediate transaction so two plumb
    /// processes never race for the same version number.
    pub fn definition_version(&self, metric: &str, parameters: &serde_json::Value) -> Result<u32> {
        let tx = rusqlite::Transaction::new_unchecked(
            self.conn(),
            rusqlite::TransactionBehavior::Immediate,
        )?;
        let version = version_in(&tx, metric, parameters)?;
        tx.commit()?;
        Ok(version)
    }

    /// Records every definition (see [`Store::definition_version`]) and returns their versions.
    /// All in one immediate transaction.
    pub fn record_definitions(&self, definitions: &[MetricDefinition]) -> Result<Versions> {
        let tx = rusqlite::Transaction::new_unchecked(
            self.conn(),
            rusqlite::TransactionBehavior::Immediate,
        )?;
        let mut versions = Versions::default();
        for d in definitions {
            versions.insert(d.metric, version_in(&tx, d.metric, &d.parameters)?);
        }
        tx.commit()?;
        Ok(versions)
    }
}

/// The version of `metric` with exactly `parameters`, inserting the next version when none has
/// them. Call inside an immediate transaction.
fn version_in(
    conn: &rusqlite::Connection,
    metric: &str,
    parameters: &serde_json::Value,
) -> Result<u32> {
    let mut latest = 0u32;
    let mut found = None;
    {
        let mut stmt = conn.prepare_cached(
            "SELECT version, parameters FROM metric_definitions WHERE metric = ?1
             ORDER BY version",
        )?;
        let rows = stmt.query_map([metric], |r| {
            Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (version, stored) = row?;
            latest = latest.max(version);
            if serde_json::from_str::<serde_json::Value>(&stored)
                .ok()
                .as_ref()
                == Some(parameters)
            {
                found = Some(version);
            }
        }
    }
    match found {
        Some(v) => Ok(v),
        None => {
            conn.execute(
                "INSERT INTO metric_definitions (metric, version, parameters, valid_from)
                 VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![
                    metric,
                    latest + 1,
                    parameters.to_string(),
                    Utc::now().timestamp()
                ],
            )?;
            Ok(latest + 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{DemoOptions, Scale};
    use chrono::TimeZone;

    fn demo(path: &std::path::Path) -> (Store, Timestamp) {
        let mut store = Store::open(path).expect("open");
        let anchor = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let opts = DemoOptions {
            seed: 5,
            scale: Scale::Small,
            anchor,
        };
        crate::demo::generate(&mut store, &opts).expect("demo");
        (store, anchor)
    }

    /// The Incidents pane's lean load and links give exactly the attributions and shipped
    /// changes of the full DORA report, over all teams and one team.
    #[test]
    fn link_inputs_give_the_links_of_the_full_report() {
        use crate::metrics::dora::{dora_report, incident_links};
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, anchor) = demo(&dir.path().join("demo.db"));
        let params = DoraParams::default();
        for team in [None, Some("search".to_string())] {
            let filter = Filter {
                since: Some(anchor - Duration::days(90)),
                until: Some(anchor),
                team,
                ..Filter::default()
            };
            let full = store
                .dora_metric_inputs(&filter, &params, anchor)
                .expect("full");
            let lean = store
                .dora_link_inputs(&filter, &params, anchor)
                .expect("lean");
            assert!(lean.changes.len() < full.changes.len());
            let report = dora_report(&full, &params, &Versions::default());
            let links = incident_links(&lean, &params);
            assert!(!report.attributions.is_empty());
            assert_eq!(links.attributions, report.attributions);
            assert_eq!(links.shipped.len(), report.outcomes.len());
            assert!(
                report
                    .outcomes
                    .iter()
                    .any(|o| !o.shipped_change_ids.is_empty())
            );
            for o in &report.outcomes {
                assert_eq!(
                    links.shipped.get(&o.deployment_id),
                    Some(&o.shipped_change_ids)
                );
            }
        }
    }

    /// The pane's incident list read in SQL is the scope's whole history filtered in Rust.
    #[test]
    fn incidents_in_range_or_open_match_the_filtered_history() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, anchor) = demo(&dir.path().join("demo.db"));
        // `now` one second into an incident that lasts longer: open at `now`, created before
        // the range, it is listed.
        let spanning = store
            .incidents(&Filter::default(), 0)
            .expect("all")
            .into_iter()
            .find(|i| {
                i.created_at < anchor - Duration::days(20)
                    && i.resolved_at
                        .is_some_and(|r| r > i.created_at + Duration::seconds(2))
            })
            .expect("an incident lasting a few seconds");
        let now = spanning.created_at + Duration::seconds(1);
        let since = now;
        for team in [None, spanning.team.clone()] {
            let history = Filter {
                until: Some(now),
                team: team.clone(),
                ..Filter::default()
            };
            let expected: Vec<i64> = store
                .incidents(&history, 0)
                .expect("history")
                .into_iter()
                .filter(|i| i.created_at >= since || i.resolved_at.is_none_or(|r| r > now))
                .map(|i| i.id)
                .collect();
            let scope = Filter {
                since: Some(since),
                ..history
            };
            let got: Vec<i64> = store
                .incidents_in_range_or_open(&scope, now)
                .expect("listed")
                .into_iter()
                .map(|i| i.id)
                .collect();
            assert_eq!(got, expected);
            assert!(got.contains(&spanning.id));
            let in_range = store.incidents(&scope, 0).expect("in range").len();
            assert!(
                got.len() > in_range,
                "open incidents from before the range are listed"
            );
        }
    }

    /// The metric load reads the same rows as the report's, on a second connection, with
    /// the titles left out; the lean reads keep every row the full ones return.
    #[test]
    fn lean_loads_return_the_rows_of_the_full_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, anchor) = demo(&dir.path().join("demo.db"));
        let params = DoraParams::default();
        for team in [None, Some("search".to_string())] {
            let filter = Filter {
                since: Some(anchor - Duration::days(120)),
                until: Some(anchor),
                team,
                ..Filter::default()
            };
            let full = store.dora_inputs(&filter, &params, anchor).expect("full");
            let lean = store
                .dora_metric_inputs(&filter, &params, anchor)
                .expect("lean");
            assert!(!full.changes.is_empty());
            assert!(full.changes.iter().any(|c| c.title.is_some()));
            assert!(lean.changes.iter().all(|c| c.title.is_none()));
            let ids = |cs: &[Change]| cs.iter().map(|c| c.id).collect::<Vec<_>>();
            assert_eq!(ids(&full.changes), ids(&lean.changes));
            let shas = |cs: &[Change]| cs.iter().map(|c| c.merge_sha.clone()).collect::<Vec<_>>();
            assert_eq!(shas(&full.changes), shas(&lean.changes));
            assert_eq!(full.links, lean.links);
            assert_eq!(full.deployments.len(), lean.deployments.len());
            assert_eq!(full.incidents.len(), lean.incidents.len());
            // Every change merged in the range, deployed or not, is loaded.
            let merged = store.changes(&filter, 0).expect("changes");
            let loaded: std::collections::HashSet<i64> = ids(&lean.changes).into_iter().collect();
            assert!(
                merged
                    .iter()
                    .filter(|c| c.merged_at.is_some())
                    .all(|c| loaded.contains(&c.id))
            );

            let runs = store.pipeline_runs(&filter).expect("runs");
            assert!(
                runs.windows(2)
                    .all(|w| (w[0].finished_at, w[0].id) < (w[1].finished_at, w[1].id)),
                "runs come in finish order"
            );
            // Read by id ranges: exactly the rows of one indexed query in finish order.
            let direct: Vec<i64> = {
                let w = where_clause(&filter, "finished_at", 0, false);
                let sql = format!(
                    "SELECT id FROM pipeline_runs{} ORDER BY finished_at, id",
                    w.sql
                );
                let mut stmt = store.conn().prepare(&sql).expect("prepare");
                stmt.query_map(params_from_iter(w.params.iter()), |r| r.get(0))
                    .expect("query")
                    .collect::<rusqlite::Result<_>>()
                    .expect("ids")
            };
            assert_eq!(runs.iter().map(|r| r.id).collect::<Vec<_>>(), direct);
            let lean_runs = store.pipeline_runs_for_metrics(&filter).expect("lean runs");
            assert!(!runs.is_empty());
            assert_eq!(runs.len(), lean_runs.len());
            for (a, b) in runs.iter().zip(&lean_runs) {
                assert_eq!(
                    (
                        a.id,
                        &a.repo,
                        &a.workflow,
                        &a.commit_sha,
                        a.conclusion,
                        a.attempt
                    ),
                    (
                        b.id,
                        &b.repo,
                        &b.workflow,
                        &b.commit_sha,
                        b.conclusion,
                        b.attempt
                    )
                );
                assert_eq!((a.started_at, a.finished_at), (b.started_at, b.finished_at));
            }
        }
        let all = store.action_items(&Filter::default()).expect("items");
        let open = store.open_action_items(&Filter::default()).expect("open");
        assert!(!open.is_empty() && open.len() < all.len());
        let expected: Vec<i64> = all
            .iter()
            .filter(|a| !a.status.is_closed())
            .map(|a| a.id)
            .collect();
        assert_eq!(open.iter().map(|a| a.id).collect::<Vec<_>>(), expected);
        let wanted: Vec<i64> = open
            .iter()
            .filter_map(|a| a.incident_id)
            .take(700)
            .collect();
        let found = store.incidents_by_ids(&wanted).expect("by id");
        let mut unique = wanted.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(found.len(), unique.len());
    }
}
