//! Store queries that load the inputs of metrics and record metric definitions.

mod dora;

pub use dora::CHAIN_MARGIN;

use super::{Result, Store};
use crate::metrics::actions::ActionInputs;
use crate::metrics::definitions::{MetricDefinition, Versions};
use crate::metrics::period::Period;
use crate::metrics::slo::{SloParams, samples_needed_from};
use crate::model::{Filter, IncidentEvent, Slo, SloSample, Timestamp, ts};
use chrono::{Duration, Utc};
use rusqlite::params_from_iter;

impl Store {
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
    use crate::metrics::dora::DoraParams;
    use crate::model::Change;
    use crate::store::read::where_clause;
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
