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
pub use super::data_overview::{Bands, Freshness, OverviewData, SloBudget, TeamHealth};
pub use super::data_planning::{AlignmentData, GovernanceData, RetroData};
use crate::config::Config;
use crate::metrics::Period;
use crate::metrics::Versions;
use crate::model::{Filter, Ownership, Timestamp};
use crate::store::Store;
use chrono_tz::Tz;
use color_eyre::eyre::Result;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
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
    /// More answers to the same request follow: the Overview first sends the teams that fill
    /// the first screen, then the rest, so its first frame never waits for every team.
    pub partial: bool,
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

/// Runs queries for the UI.
pub struct Loader {
    shared: Arc<Shared>,
    /// The terminal's height, which says how many Overview teams the first screen shows.
    screen_rows: Arc<AtomicU16>,
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
            screen_rows: Arc::new(AtomicU16::new(DEFAULT_SCREEN_ROWS)),
        })
    }

    /// Tells the loader the terminal's height (at start and on every resize).
    pub fn set_screen_rows(&self, rows: u16) {
        self.screen_rows.store(rows, Ordering::Relaxed);
    }

    /// Runs `req` on a blocking thread and sends its answers to `tx`: partial ones first when
    /// the query has them (see [`DataResponse::partial`]), then the whole.
    pub fn spawn(&self, req: DataRequest, tx: UnboundedSender<Msg>) {
        let shared = Arc::clone(&self.shared);
        let first = self.first_screen_teams();
        tokio::task::spawn_blocking(move || {
            let generation = req.generation;
            let partial_tx = tx.clone();
            let mut on_partial = |data: PaneData| {
                let _ = partial_tx.send(Msg::Data(Box::new(DataResponse {
                    generation,
                    result: Ok(data),
                    partial: true,
                })));
            };
            let result = shared
                .load(&req, first, &mut on_partial)
                .map_err(|e| format!("{e:#}"));
            release_freed_memory();
            let _ = tx.send(Msg::Data(Box::new(DataResponse {
                generation,
                result,
                partial: false,
            })));
        });
    }

    /// Answers `req` synchronously and whole (for tests and benchmarks).
    pub fn load_now(&self, req: &DataRequest) -> Result<PaneData> {
        let data = self.shared.load(req, usize::MAX, &mut |_| {});
        release_freed_memory();
        data
    }

    /// Answers `req` synchronously, handing each partial answer to `on_partial` as it comes,
    /// as [`Loader::spawn`] does (for benchmarks of the first frame).
    pub fn load_progressively(
        &self,
        req: &DataRequest,
        on_partial: &mut dyn FnMut(PaneData),
    ) -> Result<PaneData> {
        let data = self.shared.load(req, self.first_screen_teams(), on_partial);
        release_freed_memory();
        data
    }

    fn first_screen_teams(&self) -> usize {
        super::panes::overview::first_screen_teams(self.screen_rows.load(Ordering::Relaxed))
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

/// The height assumed until the terminal reports its own.
const DEFAULT_SCREEN_ROWS: u16 = 40;

impl Shared {
    /// Answers `req`. The Overview computes its first `first` teams before the others and hands
    /// them to `on_partial`, then a screenful more at a time.
    fn load(
        &self,
        req: &DataRequest,
        first: usize,
        on_partial: &mut dyn FnMut(PaneData),
    ) -> Result<PaneData> {
        let store = Store::open_read_only(&self.db_path)?;
        Ok(match &req.query {
            Query::Overview => PaneData::Overview(self.overview(&store, req, first, on_partial)?),
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
}
