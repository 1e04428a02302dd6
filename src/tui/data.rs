//! Background queries for the panes. Each request runs on a blocking thread with its own
//! read-only connection and answers with a `Msg::Data`; the app drops answers to requests it
//! has since replaced (latest wins).

use super::app::Msg;
pub use super::data_delivery::{
    DeliveryData, ExplainData, ExplainQuery, ExplainRow, MetricRow, ServiceRow,
};
pub use super::data_ops::{
    ActionData, ActionRow, CiData, CiWeek, IncidentData, IncidentRow, SloData, SloRow,
};
pub use super::data_planning::{AlignmentData, GovernanceData, RetroData};
use crate::config::Config;
use crate::metrics::Period;
use crate::metrics::Versions;
use crate::metrics::dora::{self, DoraParams};
use crate::metrics::slo::AlertSeverity;
use crate::metrics::{actions, ci, slo};
use crate::model::{Filter, Ownership, Timestamp};
use crate::store::Store;
use chrono::Utc;
use chrono_tz::Tz;
use color_eyre::eyre::Result;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedSender;

pub use crate::metrics::dora::Band;

impl Band {
    /// The band's name as shown in tables.
    pub fn label(self) -> &'static str {
        match self {
            Band::Elite => "Elite",
            Band::High => "High",
            Band::Medium => "Medium",
            Band::Low => "Low",
        }
    }
}

/// What a pane asks for: its query over one scope (time range and team).
#[derive(Debug, Clone, PartialEq)]
pub struct DataRequest {
    pub generation: u64,
    pub since: Timestamp,
    pub until: Timestamp,
    pub team: Option<String>,
    /// Narrows every pane to one service (the `s` picker).
    pub service: Option<String>,
    pub query: Query,
}

/// Which data a request loads.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    Overview,
    Delivery,
    Ci,
    Slos,
    Incidents,
    Actions,
    /// The rows behind one number of the Delivery pane.
    Explain(Box<ExplainQuery>),
    /// The sprints of the scope and the retro prep of this sprint (`None`: the last finished).
    Retro(Option<i64>),
    /// Write the retro prep of this sprint as Markdown; answers with the file written.
    RetroExport(i64),
    Alignment,
    Governance,
}

#[derive(Debug)]
pub struct DataResponse {
    pub generation: u64,
    pub result: Result<PaneData, String>,
}

/// The answer to a [`Query`], one variant per query.
#[derive(Debug, Clone)]
pub enum PaneData {
    Overview(OverviewData),
    Delivery(DeliveryData),
    Ci(CiData),
    Slos(SloData),
    Incidents(IncidentData),
    Actions(ActionData),
    Explain(ExplainData),
    Retro(RetroData),
    RetroExported(PathBuf),
    Alignment(AlignmentData),
    Governance(GovernanceData),
}

impl DataRequest {
    /// The store filter of the request's scope.
    pub fn filter(&self) -> Filter {
        Filter {
            since: Some(self.since),
            until: Some(self.until),
            team: self.team.clone(),
            service: self.service.clone(),
            ..Filter::default()
        }
    }

    pub fn period(&self) -> Period {
        Period::new(self.since, self.until)
    }
}

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
    /// Median lead time per week in whole hours (0 for weeks without changes).
    pub weekly_lead_time_hours: Vec<u64>,
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
    pub teams: Vec<TeamHealth>,
    pub freshness: Vec<Freshness>,
}

impl OverviewData {
    /// True when the store holds nothing to show (the welcome screen appears instead).
    pub fn is_empty(&self) -> bool {
        self.teams.is_empty() && self.freshness.is_empty()
    }
}

/// Runs queries for the UI.
pub struct Loader {
    shared: Arc<Shared>,
}

pub(super) struct Shared {
    pub(super) db_path: PathBuf,
    pub(super) config: Config,
    pub(super) ownership: Ownership,
    /// Per team (and `""` for all teams, in UTC): its time zone and the metric versions its
    /// parameters map to.
    teams: HashMap<String, (Tz, Versions)>,
    /// Per SLO id: the versions of its own parameters (its exclusions and peaks).
    pub(super) slo_versions: HashMap<i64, Versions>,
}

impl Loader {
    /// Prepares the loader: records the metric definitions in use (so results carry their
    /// version) through a writable connection, once.
    pub fn new(db_path: PathBuf, config: &Config) -> Result<Self> {
        let ownership = config.ownership()?;
        let store = Store::open(&db_path)?;
        let mut teams = HashMap::new();
        let record = |tz: Tz| -> Result<Versions> {
            let mut definitions = config.dora_params(&ownership, tz).definitions();
            definitions.extend(config.ci_params().definitions());
            definitions.extend(config.action_params().definitions());
            definitions.extend(config.incident_params(tz).definitions());
            definitions.extend(config.slo_params("", tz).definitions());
            definitions.extend(crate::metrics::retro::RetroParams::default().definitions());
            Ok(store.record_definitions(&definitions)?)
        };
        // The definitions depend only on the time zone: record each zone's once, not once
        // per team (every recording is a write transaction before the first frame).
        let mut by_zone: HashMap<Tz, Versions> = HashMap::new();
        let mut versions_in = |tz: Tz| -> Result<Versions> {
            if let Some(v) = by_zone.get(&tz) {
                return Ok(v.clone());
            }
            let v = record(tz)?;
            by_zone.insert(tz, v.clone());
            Ok(v)
        };
        teams.insert(String::new(), (Tz::UTC, versions_in(Tz::UTC)?));
        let store_teams = store.teams()?;
        for team in &store_teams {
            let tz = config.team_timezone(&team.name, &store_teams);
            teams.insert(team.name.clone(), (tz, versions_in(tz)?));
        }
        let mut slo_versions = HashMap::new();
        for slo in store.slos(&Filter::default())? {
            let tz = slo
                .team
                .as_deref()
                .map_or(Tz::UTC, |t| config.team_timezone(t, &store_teams));
            let definitions = config.slo_params(&slo.name, tz).definitions();
            slo_versions.insert(slo.id, store.record_definitions(&definitions)?);
        }
        Ok(Loader {
            shared: Arc::new(Shared {
                db_path,
                config: config.clone(),
                ownership,
                teams,
                slo_versions,
            }),
        })
    }

    /// Runs `req` on a blocking thread and sends its answer to `tx`.
    pub fn spawn(&self, req: DataRequest, tx: UnboundedSender<Msg>) {
        let shared = Arc::clone(&self.shared);
        tokio::task::spawn_blocking(move || {
            let generation = req.generation;
            let result = shared.load(&req).map_err(|e| format!("{e:#}"));
            release_freed_memory();
            let _ = tx.send(Msg::Data(Box::new(DataResponse { generation, result })));
        });
    }

    /// Answers `req` synchronously (for tests and benchmarks).
    pub fn load_now(&self, req: &DataRequest) -> Result<PaneData> {
        let data = self.shared.load(req);
        release_freed_memory();
        data
    }

    /// The panes to show, in tab order: every core pane and Retro, then Alignment and
    /// Governance when the store has their data.
    pub fn panes(&self) -> Result<Vec<super::panes::PaneId>> {
        panes_at(&self.shared.db_path)
    }
}

/// Hands the memory a load freed back to the system. glibc keeps freed heap (and each worker
/// thread's arena) for reuse, so a load that builds and drops hundreds of megabytes on a large
/// dataset would otherwise stay in the resident set for the rest of the session.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of glibc's own heaps to the kernel; it
    // takes no pointer and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The panes the database at `db_path` has data for: the core six and Retro always, Alignment
/// and Governance when their data exists.
pub fn panes_at(db_path: &std::path::Path) -> Result<Vec<super::panes::PaneId>> {
    use super::panes::PaneId;
    let presence = Store::open_read_only(db_path)?.planning_presence()?;
    let mut panes = PaneId::ALL.to_vec();
    panes.push(PaneId::Retro);
    if presence.alignment {
        panes.push(PaneId::Alignment);
    }
    if presence.governance {
        panes.push(PaneId::Governance);
    }
    Ok(panes)
}

impl Shared {
    fn load(&self, req: &DataRequest) -> Result<PaneData> {
        let store = Store::open_read_only(&self.db_path)?;
        Ok(match &req.query {
            Query::Overview => PaneData::Overview(self.overview(&store, req)?),
            Query::Delivery => PaneData::Delivery(self.delivery(&store, req)?),
            Query::Ci => PaneData::Ci(self.ci(&store, req)?),
            Query::Slos => PaneData::Slos(self.slos(&store, req)?),
            Query::Incidents => PaneData::Incidents(self.incidents(&store, req)?),
            Query::Actions => PaneData::Actions(self.actions(&store, req)?),
            Query::Explain(q) => PaneData::Explain(self.explain(&store, req, q)?),
            Query::Retro(sprint) => PaneData::Retro(self.retro(&store, req, *sprint)?),
            Query::RetroExport(id) => PaneData::RetroExported(self.retro_export(&store, req, *id)?),
            Query::Alignment => PaneData::Alignment(self.alignment(&store, req)?),
            Query::Governance => PaneData::Governance(self.governance(&store, req)?),
        })
    }

    /// The time zone and versions of the request's team (all teams: UTC). Teams that appeared
    /// after start-up use UTC and default versions until a restart.
    pub(super) fn scope(&self, team: Option<&str>) -> (Tz, Versions) {
        self.teams
            .get(team.unwrap_or(""))
            .cloned()
            .unwrap_or((Tz::UTC, Versions::default()))
    }

    fn overview(&self, store: &Store, req: &DataRequest) -> Result<OverviewData> {
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
        // Teams are independent: a worker per core takes the next team, each on its own
        // read-only connection (the first frame waits for all of them). One thread per team
        // would oversubscribe the cores on large organisations and slow every team down.
        let workers = std::thread::available_parallelism()
            .map_or(2, usize::from)
            .clamp(1, names.len().max(1));
        let next = std::sync::atomic::AtomicUsize::new(0);
        let mut slots: Vec<Option<Result<TeamHealth>>> = names.iter().map(|_| None).collect();
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    let (names, next) = (&names, &next);
                    scope.spawn(move || -> Result<Vec<(usize, Result<TeamHealth>)>> {
                        let store = Store::open_read_only(&self.db_path)?;
                        let mut done = Vec::new();
                        loop {
                            let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(name) = names.get(k) else {
                                return Ok(done);
                            };
                            let (tz, versions) = self.scope(name.as_deref());
                            let params = self.config.dora_params(&self.ownership, tz);
                            let health = self.team_health(
                                &store,
                                name.as_deref(),
                                req,
                                &params,
                                &versions,
                                now,
                            );
                            done.push((k, health));
                        }
                    })
                })
                .collect();
            for h in handles {
                let done = h
                    .join()
                    .unwrap_or_else(|_| Err(color_eyre::eyre::eyre!("a team query panicked")))?;
                for (k, health) in done {
                    slots[k] = Some(health);
                }
            }
            Ok::<_, color_eyre::eyre::Report>(())
        })?;
        let teams = slots
            .into_iter()
            .map(|s| s.unwrap_or_else(|| Err(color_eyre::eyre::eyre!("a team was not computed"))))
            .collect::<Result<Vec<_>>>()?;
        let freshness = store
            .freshness()?
            .into_iter()
            .map(|(source, last)| Freshness {
                source,
                last_synced_at: last,
                now: Utc::now().max(now),
            })
            .collect();
        Ok(OverviewData { teams, freshness })
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
            weekly_lead_time_hours: report
                .weekly
                .iter()
                .map(|w| {
                    w.lead_time_median_seconds
                        .map_or(0, |s| (s / 3600.0).round() as u64)
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
