//! The Overview's data: per team, the DORA keys, CI, SLO budgets, open incidents and overdue
//! follow-ups, computed a team per worker; the teams of the first screen are handed on before
//! the others are computed.

use super::data::{DataRequest, PaneData, Shared};
use crate::metrics::Versions;
use crate::metrics::dora::{self, Band, DoraParams};
use crate::metrics::slo::AlertSeverity;
use crate::metrics::{actions, ci, slo};
use crate::model::{Filter, Timestamp};
use crate::store::Store;
use chrono::Utc;
use color_eyre::eyre::Result;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

#[derive(Debug, Clone, Default)]
pub struct Bands {
    pub frequency: Option<Band>,
    pub lead_time: Option<Band>,
    pub change_failure: Option<Band>,
    pub recovery: Option<Band>,
}

#[derive(Debug, Clone, Default)]
pub struct SloBudget {
    pub name: String,
    pub budget_remaining: Option<f64>,
    /// `page` or `ticket` when a multi-window burn-rate alert fires.
    pub alert: Option<AlertSeverity>,
}

/// One team's health in the Overview.
#[derive(Debug, Clone, Default)]
pub struct TeamHealth {
    pub team: String,
    pub deployments: u64,
    pub deploy_days_per_week: Option<f64>,
    pub lead_time_p50: Option<f64>,
    pub lead_time_p90: Option<f64>,
    pub change_failure_rate: Option<f64>,
    pub time_to_restore_p50: Option<f64>,
    pub rework_rate: Option<f64>,
    pub bands: Bands,
    pub weekly_deployments: Vec<u64>,
    /// Median lead time per week in whole minutes (0 for weeks without changes): minutes, so
    /// that a team shipping within the hour still draws bars.
    pub weekly_lead_time_minutes: Vec<u64>,
    pub deploy_days: u64,
    pub changes: u64,
    pub failed_deployments: u64,
    pub incidents: u64,
    pub recovery_p50: Option<f64>,
    /// p50 of the lead-time stages: coding, pickup, review, deploy.
    pub stages: [Option<f64>; 4],
    pub ci_success_rate: Option<f64>,
    pub ci_duration_p50: Option<f64>,
    pub ci_flaky_rate: Option<f64>,
    pub open_incidents: usize,
    pub overdue_actions: usize,
    pub slos: Vec<SloBudget>,
}

/// When each source last delivered data.
#[derive(Debug, Clone)]
pub struct Freshness {
    pub source: String,
    pub last_synced_at: Option<Timestamp>,
    pub now: Timestamp,
}

impl Freshness {
    pub fn age_label(&self) -> String {
        match self.last_synced_at {
            None => "never".into(),
            Some(t) => {
                let age = (self.now - t).num_minutes().max(0);
                match age {
                    0..=1 => "just now".into(),
                    2..=119 => format!("{age}m ago"),
                    120..=2879 => format!("{}h ago", age / 60),
                    _ => format!("{}d ago", age / 1440),
                }
            }
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct OverviewData {
    /// The teams computed so far, in name order.
    pub teams: Vec<TeamHealth>,
    /// How many teams the scope has; more than `teams.len()` while the rest are computed.
    pub teams_total: usize,
    pub freshness: Vec<Freshness>,
}

impl OverviewData {
    /// True when the store holds nothing to show (the welcome screen appears instead).
    pub fn is_empty(&self) -> bool {
        self.teams.is_empty() && self.teams_total == 0 && self.freshness.is_empty()
    }

    /// Teams still being computed.
    pub fn teams_pending(&self) -> usize {
        self.teams_total.saturating_sub(self.teams.len())
    }
}

impl Shared {
    pub(super) fn overview(
        &self,
        store: &Store,
        req: &DataRequest,
        first: usize,
        on_partial: &mut dyn FnMut(PaneData),
    ) -> Result<OverviewData> {
        let now = req.until;
        let mut names: Vec<Option<String>> = store
            .team_names()?
            .into_iter()
            .filter(|name| req.team.as_deref().is_none_or(|t| t == name))
            .map(Some)
            .collect();
        // Data without any team (e.g. an import without a team column) still gets a row.
        if names.is_empty() && req.team.is_none() && store.has_delivery_data()? {
            names.push(None);
        }
        let freshness: Vec<Freshness> = store
            .freshness()?
            .into_iter()
            .map(|(source, last)| Freshness {
                source,
                last_synced_at: last,
                now: Utc::now().max(now),
            })
            .collect();
        // Teams are independent: a worker per core takes the next team in name order, each on
        // its own read-only connection. One thread per team would oversubscribe the cores on
        // large organisations and slow every team down. As soon as the teams of the first
        // screen are all done they are handed on, so the first frame does not wait for teams
        // below the fold; then a screenful more at a time.
        let workers = std::thread::available_parallelism()
            .map_or(2, usize::from)
            .clamp(1, names.len().max(1));
        let next = AtomicUsize::new(0);
        let failed = AtomicBool::new(false);
        let mut teams = Prefix::new(names.len(), first);
        let (done_tx, done_rx) = std::sync::mpsc::channel::<(usize, Result<TeamHealth>)>();
        std::thread::scope(|scope| -> Result<()> {
            let mut handles = Vec::with_capacity(workers);
            for _ in 0..workers {
                let (names, next, failed, done_tx) = (&names, &next, &failed, done_tx.clone());
                handles.push(scope.spawn(move || {
                    let store = match Store::open_read_only(&self.db_path) {
                        Ok(store) => store,
                        Err(e) => {
                            failed.store(true, Ordering::Relaxed);
                            let _ = done_tx.send((usize::MAX, Err(e.into())));
                            return;
                        }
                    };
                    // A failed team fails the whole answer: the others stop taking work.
                    while !failed.load(Ordering::Relaxed) {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(name) = names.get(k) else {
                            return;
                        };
                        let (tz, versions) = self.scope(name.as_deref());
                        let params = self.config.dora_params(&self.ownership, tz);
                        let health =
                            self.team_health(&store, name.as_deref(), req, &params, &versions, now);
                        if health.is_err() {
                            failed.store(true, Ordering::Relaxed);
                        }
                        if done_tx.send((k, health)).is_err() {
                            return;
                        }
                    }
                }));
            }
            drop(done_tx);
            let mut outcome = Ok(());
            for (k, health) in done_rx.iter() {
                match health {
                    Ok(health) => {
                        if let Some(shown) = teams.put(k, health) {
                            on_partial(PaneData::Overview(OverviewData {
                                teams: shown,
                                teams_total: names.len(),
                                freshness: freshness.clone(),
                            }));
                        }
                    }
                    Err(e) => {
                        outcome = Err(e);
                        break;
                    }
                }
            }
            drop(done_rx);
            // Joined here, so that a panicking team is an error and not a panic of the scope.
            for h in handles {
                h.join()
                    .map_err(|_| color_eyre::eyre::eyre!("a team query panicked"))?;
            }
            outcome
        })?;
        let teams = teams
            .finish()
            .ok_or_else(|| color_eyre::eyre::eyre!("a team was not computed"))?;
        Ok(OverviewData {
            teams_total: teams.len(),
            teams,
            freshness,
        })
    }

    /// One team's row; `team: None` is every row regardless of team.
    fn team_health(
        &self,
        store: &Store,
        team: Option<&str>,
        req: &DataRequest,
        params: &DoraParams,
        versions: &Versions,
        now: Timestamp,
    ) -> Result<TeamHealth> {
        let filter = Filter {
            team: team.map(str::to_string),
            ..req.filter()
        };
        let inputs = store.dora_metric_inputs(&filter, params, now)?;
        let report = dora::dora_report(&inputs, params, versions);
        let open_incidents = store.open_incidents(&filter)?.len();

        let period = req.period();
        let runs = store.pipeline_runs_for_metrics(&filter)?;
        let ci = ci::ci_report(&runs, period, &self.config.ci_params(), versions);

        let slo_params = |name: &str| self.config.slo_params(name, params.timezone);
        let mut slos = Vec::new();
        let mut overspent = 0.0;
        for (slo, samples) in store.slo_inputs(&filter, &slo_params(""), now)? {
            let r = slo::slo_report(&slo, &samples, &slo_params(&slo.name), now, versions);
            if let Some(rem) = r.budget_remaining.filter(|r| *r < 0.0) {
                overspent -= rem;
            }
            slos.push(SloBudget {
                name: r.name,
                budget_remaining: r.budget_remaining,
                alert: r.alerts.level,
            });
        }

        // Overdue follow-ups as the Actions pane counts them for this team (the same inputs and
        // definition); repeats do not change which items are overdue.
        let inputs = store.action_inputs(&filter, period, chrono::Duration::zero())?;
        let actions = actions::follow_up_report(
            &inputs,
            &[],
            overspent,
            &self.config.action_params(),
            versions,
        );
        let overdue_actions = actions.overdue;
        Ok(TeamHealth {
            team: team.unwrap_or("all teams").to_string(),
            deployments: report.deployment_frequency.deployments as u64,
            deploy_days_per_week: report.deployment_frequency.deploy_days_per_week,
            lead_time_p50: report.lead_time.median_seconds,
            lead_time_p90: report.lead_time.p90_seconds,
            change_failure_rate: report.change_failure_rate.rate,
            time_to_restore_p50: report.time_to_restore.median_seconds,
            rework_rate: report.rework_rate.rate,
            bands: Bands {
                frequency: report.deployment_frequency.band,
                lead_time: report.lead_time.band,
                change_failure: report.change_failure_rate.band,
                recovery: report.time_to_restore.band,
            },
            weekly_deployments: report.weekly.iter().map(|w| w.deployments as u64).collect(),
            weekly_lead_time_minutes: report
                .weekly
                .iter()
                .map(|w| {
                    w.lead_time_median_seconds
                        .map_or(0, |s| (s / 60.0).round() as u64)
                })
                .collect(),
            deploy_days: report.deployment_frequency.deploy_days as u64,
            changes: report.lead_time.changes as u64,
            failed_deployments: report.change_failure_rate.failed_deployments as u64,
            incidents: report.time_to_restore.incidents as u64,
            recovery_p50: report.recovery_time.median_seconds,
            stages: [
                report.lead_time.stages.coding.median_seconds,
                report.lead_time.stages.pickup.median_seconds,
                report.lead_time.stages.review.median_seconds,
                report.lead_time.stages.deploy.median_seconds,
            ],
            ci_success_rate: ci.success_rate,
            ci_duration_p50: ci.duration.median_seconds,
            ci_flaky_rate: ci.flaky_rate,
            open_incidents,
            overdue_actions,
            slos,
        })
    }
}

/// Results computed out of order, shown in order: says when the finished prefix has grown by a
/// step, so the first rows can be drawn before the last are computed.
struct Prefix<T> {
    slots: Vec<Option<T>>,
    /// Length of the finished prefix.
    ready: usize,
    /// Length of the prefix last handed on.
    shown: usize,
    step: usize,
}

impl<T: Clone> Prefix<T> {
    fn new(len: usize, step: usize) -> Self {
        Prefix {
            slots: (0..len).map(|_| None).collect(),
            ready: 0,
            shown: 0,
            step: step.max(1),
        }
    }

    /// Records result `k`; returns the finished prefix when it has grown by a step since the
    /// last one returned, unless it is already the whole (that is [`Prefix::finish`]'s).
    fn put(&mut self, k: usize, item: T) -> Option<Vec<T>> {
        *self.slots.get_mut(k)? = Some(item);
        while self.slots.get(self.ready).is_some_and(Option::is_some) {
            self.ready += 1;
        }
        if self.ready == self.slots.len() || self.ready < self.shown.saturating_add(self.step) {
            return None;
        }
        self.shown = self.ready;
        Some(self.slots[..self.ready].iter().flatten().cloned().collect())
    }

    /// Every result, in order, or `None` if one is missing.
    fn finish(self) -> Option<Vec<T>> {
        self.slots.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Prefix;

    #[test]
    fn prefix_is_handed_on_a_step_at_a_time_in_order() {
        let mut p = Prefix::new(7, 2);
        assert_eq!(p.put(1, 'b'), None, "0 is not done: nothing to show");
        assert_eq!(p.put(0, 'a'), Some(vec!['a', 'b']));
        assert_eq!(p.put(2, 'c'), None, "one more is less than a step");
        assert_eq!(p.put(4, 'e'), None);
        assert_eq!(p.put(3, 'd'), Some(vec!['a', 'b', 'c', 'd', 'e']));
        assert_eq!(p.put(6, 'g'), None);
        assert_eq!(p.put(5, 'f'), None, "the whole is the final answer's");
        assert_eq!(p.finish(), Some("abcdefg".chars().collect()));
    }

    #[test]
    fn a_missing_result_fails_the_whole_and_an_unknown_index_is_ignored() {
        let mut p = Prefix::new(3, 1);
        assert_eq!(p.put(0, 1), Some(vec![1]));
        assert_eq!(p.put(9, 9), None);
        assert_eq!(p.put(2, 3), None);
        assert_eq!(p.finish(), None);
        let everything_at_once = Prefix::<u8>::new(2, usize::MAX);
        assert_eq!(everything_at_once.finish(), None);
    }
}
