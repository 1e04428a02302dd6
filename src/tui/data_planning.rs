//! Data of the Retro, Alignment and Governance panes, and the retro export.
//!
//! Key results bound to a metric get their current value computed live over their own period
//! (a `YYYY-Qn` period is that quarter, up to the scope's end), with the same store calls and
//! metric functions as the Overview; the others show the value typed in.

use super::data::{DataRequest, Shared};
use super::panes::retro_markdown;
use crate::metrics::definitions::ids;
use crate::metrics::dora;
use crate::metrics::retro::{self, DeliveryDelta, DeliveryWindow, RetroParams, RetroPrep};
use crate::metrics::slo;
use crate::model::{Filter, KeyResult, Objective, Sprint, Timestamp};
use crate::store::Store;
use crate::store::planning::{
    Annotation, DefinitionRow, MilestoneProgress, SyncStateRow, WorkLink,
};
use chrono::{NaiveDate, TimeZone, Utc};
use color_eyre::eyre::{Result, WrapErr};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Live metric values of one team and period, computed once per metric family.
#[derive(Debug, Default)]
struct LiveValues {
    /// Deploy-days per week, median lead time in hours, change failure rate in percent.
    dora: Option<[Option<f64>; 3]>,
    /// The lowest budget remaining among the team's SLOs, in percent.
    slo: Option<Option<f64>>,
}

/// The sprints to pick from and the prep of the chosen one.
#[derive(Debug, Clone, Default)]
pub struct RetroData {
    /// Newest first.
    pub sprints: Vec<Sprint>,
    /// Boxed: the prep is large, and every pane's answer travels in one enum.
    pub prep: Option<Box<RetroPrep>>,
}

/// The sprint a retro defaults to: the one that closed last among the finished ones, else
/// the newest that started.
pub fn default_sprint(sprints: &[Sprint], now: Timestamp) -> Option<&Sprint> {
    let close = |s: &Sprint| s.completed_at.unwrap_or(s.end_at);
    sprints
        .iter()
        .filter(|s| s.state == "closed" || close(s) <= now)
        .max_by_key(|s| (close(s), s.id))
        .or_else(|| {
            sprints
                .iter()
                .filter(|s| s.start_at <= now)
                .max_by_key(|s| (s.start_at, s.id))
        })
}

/// A key result with its current value and progress from baseline to target.
#[derive(Debug, Clone)]
pub struct KeyResultRow {
    pub key_result: KeyResult,
    pub current: Option<f64>,
    /// True when `current` was computed from a metric, false when typed in.
    pub live: bool,
    /// `(current - baseline) / (target - baseline)`, not clamped (past 1 is beyond target).
    pub progress: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct ObjectiveRow {
    pub objective: Objective,
    pub key_results: Vec<KeyResultRow>,
}

#[derive(Debug, Clone, Default)]
pub struct AlignmentData {
    /// Objectives whose period overlaps the scope, or whose period is not a quarter.
    pub objectives: Vec<ObjectiveRow>,
    pub milestones: Vec<MilestoneProgress>,
    pub work: Vec<WorkLink>,
}

impl AlignmentData {
    /// Share of resolved points (items when nothing is estimated) linked to the roadmap.
    pub fn linked_share(&self) -> Option<f64> {
        let total: f64 = self.work.iter().map(|w| w.points).sum();
        let linked: f64 = self
            .work
            .iter()
            .filter(|w| w.linked)
            .map(|w| w.points)
            .sum();
        if total > 0.0 {
            return Some(linked / total);
        }
        let items: u64 = self.work.iter().map(|w| w.items).sum();
        let linked: u64 = self.work.iter().filter(|w| w.linked).map(|w| w.items).sum();
        (items > 0).then(|| linked as f64 / items as f64)
    }
}

/// One metric with its recorded versions and the versions the current config uses (one per
/// distinct parameter set: teams in other time zones and SLOs with their own exclusions get
/// their own version).
#[derive(Debug, Clone)]
pub struct DefinitionSummary {
    pub metric: String,
    pub versions: Vec<DefinitionRow>,
    /// Ascending, without repeats.
    pub in_use: Vec<u32>,
}

#[derive(Debug, Clone, Default)]
pub struct GovernanceData {
    pub definitions: Vec<DefinitionSummary>,
    pub annotations: Vec<Annotation>,
    pub sync: Vec<SyncStateRow>,
    pub now: Option<Timestamp>,
}

/// `2026-Q3` as `[2026-07-01, 2026-10-01)` in UTC.
pub fn quarter_bounds(period: &str) -> Option<(Timestamp, Timestamp)> {
    let (year, q) = period.split_once("-Q")?;
    let (year, q): (i32, u32) = (year.parse().ok()?, q.parse().ok()?);
    if !(1..=4).contains(&q) {
        return None;
    }
    let start = NaiveDate::from_ymd_opt(year, 3 * (q - 1) + 1, 1)?;
    let end = if q == 4 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, 3 * q + 1, 1)?
    };
    let at = |d: NaiveDate| Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?));
    Some((at(start)?, at(end)?))
}

/// Where `e` writes the retro of `sprint`: `retros/<sprint name>.md` next to the database.
pub fn export_path(db_path: &Path, sprint: &str) -> PathBuf {
    let slug: String = sprint
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let dir = db_path.parent().unwrap_or(Path::new("."));
    dir.join("retros").join(format!(
        "{}.md",
        if slug.is_empty() { "sprint" } else { &slug }
    ))
}

impl Shared {
    pub(super) fn retro(
        &self,
        store: &Store,
        req: &DataRequest,
        sprint: Option<i64>,
    ) -> Result<RetroData> {
        let mut sprints = store.sprints(req.team.as_deref())?;
        sprints.reverse();
        let chosen = match sprint {
            Some(id) => Some(id),
            None => default_sprint(&sprints, req.until).map(|s| s.id),
        };
        let prep = match chosen {
            Some(id) => self.retro_prep(store, id, req)?.map(Box::new),
            None => None,
        };
        Ok(RetroData { sprints, prep })
    }

    fn retro_prep(&self, store: &Store, id: i64, req: &DataRequest) -> Result<Option<RetroPrep>> {
        let mut inputs = store.retro_inputs(id)?;
        let team = inputs.sprint.as_ref().and_then(|s| s.team.clone());
        let (tz, versions) = self.scope(team.as_deref());
        if let Some(sprint) = &inputs.sprint {
            let params = self.config.dora_params(&self.ownership, tz);
            let window = |s: &Sprint| -> Result<DeliveryWindow> {
                let until = s.completed_at.unwrap_or(s.end_at).min(req.until);
                let filter = Filter {
                    since: Some(s.start_at),
                    until: Some(until.max(s.start_at)),
                    team: team.clone(),
                    ..Filter::default()
                };
                let report = dora::dora_report(
                    &store.dora_metric_inputs(&filter, &params, until)?,
                    &params,
                    &versions,
                );
                Ok(DeliveryWindow {
                    deployments: report.deployment_frequency.deployments,
                    deploy_days: report.deployment_frequency.deploy_days,
                    lead_time_median_seconds: report.lead_time.median_seconds,
                    change_failure_rate: report.change_failure_rate.rate,
                })
            };
            inputs.delivery = Some(DeliveryDelta {
                current: window(sprint)?,
                previous: inputs.previous.as_ref().map(window).transpose()?,
            });
        }
        Ok(retro::retro_prep(
            &inputs,
            req.until,
            &RetroParams::default(),
            &versions,
        ))
    }

    /// Writes the retro of sprint `id` as Markdown and answers with the file's path.
    pub(super) fn retro_export(
        &self,
        store: &Store,
        req: &DataRequest,
        id: i64,
    ) -> Result<PathBuf> {
        let prep = self.retro_prep(store, id, req)?.ok_or_else(|| {
            color_eyre::eyre::eyre!(
                "sprint {id} is no longer in the database; refresh with r and pick another"
            )
        })?;
        let path = export_path(&self.db_path, &prep.sprint.name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).wrap_err_with(|| {
                format!("cannot create {} for the retro export", dir.display())
            })?;
        }
        std::fs::write(&path, retro_markdown::render(&prep))
            .wrap_err_with(|| format!("cannot write the retro export {}", path.display()))?;
        Ok(path)
    }

    pub(super) fn alignment(&self, store: &Store, req: &DataRequest) -> Result<AlignmentData> {
        let team = req.team.as_deref();
        let objectives: Vec<Objective> = store
            .objectives(team)?
            .into_iter()
            .filter(|o| {
                quarter_bounds(&o.period).is_none_or(|(s, e)| s < req.until && e > req.since)
            })
            .collect();
        let ids: Vec<i64> = objectives.iter().map(|o| o.id).collect();
        let mut krs: HashMap<i64, Vec<KeyResult>> = HashMap::new();
        for kr in store.key_results(&ids)? {
            krs.entry(kr.objective_id).or_default().push(kr);
        }
        let mut live: HashMap<_, LiveValues> = HashMap::new();
        let mut rows = Vec::new();
        for o in objectives {
            let (since, until) = quarter_bounds(&o.period)
                .map_or((req.since, req.until), |(s, e)| (s, e.min(req.until)));
            let mut key_results = Vec::new();
            for kr in krs.remove(&o.id).unwrap_or_default() {
                let computed = match kr.metric.as_deref() {
                    Some(metric) => {
                        let cached = live.entry((o.team.clone(), since, until)).or_default();
                        self.live_value(store, cached, o.team.as_deref(), (since, until), metric)?
                    }
                    None => None,
                };
                let is_live = computed.is_some();
                let current = computed.or(kr.current);
                let progress = match (current, kr.baseline) {
                    (Some(c), Some(b)) if kr.target != b => Some((c - b) / (kr.target - b)),
                    _ => None,
                };
                key_results.push(KeyResultRow {
                    key_result: kr,
                    current,
                    live: is_live,
                    progress,
                });
            }
            rows.push(ObjectiveRow {
                objective: o,
                key_results,
            });
        }
        // Active objectives first, then by period (newest first) and team.
        rows.sort_by(|a, b| {
            (b.objective.status == "active")
                .cmp(&(a.objective.status == "active"))
                .then(b.objective.period.cmp(&a.objective.period))
                .then(a.objective.team.cmp(&b.objective.team))
                .then(a.objective.title.cmp(&b.objective.title))
        });
        let milestones = store.milestone_progress(team)?;
        let work = store.work_links(&req.filter())?;
        Ok(AlignmentData {
            objectives: rows,
            milestones,
            work,
        })
    }

    /// The current value of a metric a key result is bound to, in the key result's unit:
    /// deploy-days per week, lead time in hours, change failure rate and budget remaining in
    /// percent (the worst SLO of the team). `None` for a metric plumb does not compute here.
    /// Each metric family is computed once per team and period (`cached`).
    fn live_value(
        &self,
        store: &Store,
        cached: &mut LiveValues,
        team: Option<&str>,
        (since, until): (Timestamp, Timestamp),
        metric: &str,
    ) -> Result<Option<f64>> {
        let (tz, versions) = self.scope(team);
        let filter = Filter {
            since: Some(since),
            until: Some(until),
            team: team.map(str::to_string),
            ..Filter::default()
        };
        let dora_index = [
            ids::DEPLOYMENT_FREQUENCY,
            ids::LEAD_TIME,
            ids::CHANGE_FAILURE_RATE,
        ]
        .iter()
        .position(|m| *m == metric);
        if let Some(i) = dora_index {
            if cached.dora.is_none() {
                let params = self.config.dora_params(&self.ownership, tz);
                let inputs = store.dora_metric_inputs(&filter, &params, until)?;
                let report = dora::dora_report(&inputs, &params, &versions);
                cached.dora = Some([
                    report.deployment_frequency.deploy_days_per_week,
                    report.lead_time.median_seconds.map(|s| s / 3600.0),
                    report.change_failure_rate.rate.map(|r| r * 100.0),
                ]);
            }
            return Ok(cached.dora.and_then(|v| v[i]));
        }
        if metric == "slo.budget_remaining" || metric == ids::SLO_BUDGET {
            if cached.slo.is_none() {
                let params = |name: &str| self.config.slo_params(name, tz);
                let mut worst: Option<f64> = None;
                for (s, samples) in store.slo_inputs(&filter, &params(""), until)? {
                    let r = slo::slo_report(&s, &samples, &params(&s.name), until, &versions);
                    if let Some(rem) = r.budget_remaining {
                        worst = Some(worst.map_or(rem, |w| w.min(rem)));
                    }
                }
                cached.slo = Some(worst.map(|w| w * 100.0));
            }
            return Ok(cached.slo.flatten());
        }
        Ok(None)
    }

    pub(super) fn governance(&self, store: &Store, req: &DataRequest) -> Result<GovernanceData> {
        let mut scopes = vec![self.scope(None).1];
        for team in store.team_names()? {
            if req.team.as_deref().is_none_or(|t| t == team) {
                scopes.push(self.scope(Some(&team)).1);
            }
        }
        scopes.extend(self.slo_versions.values().cloned());
        let mut definitions: Vec<DefinitionSummary> = Vec::new();
        for row in store.definition_history()? {
            match definitions.last_mut() {
                Some(d) if d.metric == row.metric => d.versions.push(row),
                _ => {
                    let mut in_use: Vec<u32> = scopes.iter().map(|v| v.get(&row.metric)).collect();
                    in_use.sort_unstable();
                    in_use.dedup();
                    definitions.push(DefinitionSummary {
                        metric: row.metric.clone(),
                        in_use,
                        versions: vec![row],
                    });
                }
            }
        }
        Ok(GovernanceData {
            definitions,
            annotations: store.annotations(&req.filter())?,
            sync: store.sync_states()?,
            now: Some(Utc::now().max(req.until)),
        })
    }
}
