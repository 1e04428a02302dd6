//! App state and its update function. `update` never does I/O: it changes state and returns
//! effects (load data, quit, suspend) that the event loop carries out. This keeps every key
//! sequence testable without a terminal.
//!
//! Keys go to the popups first (help, team/service picker, command palette), then to the
//! filter being typed, then to the active pane, and what the pane ignores to the global keys
//! (panes, range, team, service, sync, open, refresh, quit): see `keys.rs`.

use super::data::{DataRequest, DataResponse, PaneData, Query};
use super::item::ItemRef;
use super::keymap::Keymap;
use super::palette::Palette;
use super::panes::PaneId;
use super::panes::actions::ActionState;
use super::panes::alignment::AlignmentState;
use super::panes::ci::CiState;
use super::panes::delivery::DeliveryState;
use super::panes::governance::GovernanceState;
use super::panes::incidents::IncidentState;
use super::panes::list::ListState;
use super::panes::overview::OverviewState;
use super::panes::retro::RetroState;
use super::panes::slos::SloState;
use super::picker::Picker;
use super::sync_task::{SyncStatus, SyncUpdate};
use super::toast::{Level, Toasts};
use crate::model::Timestamp;
use chrono::{Duration, Utc};
use crossterm::event::{KeyEvent, MouseEvent};

/// What happened: a key, a resize, a result from background work, or a slow tick.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Resize,
    Data(Box<DataResponse>),
    /// The slow tick (freshness ages).
    Tick,
    /// The toast clock, which runs only while toasts show.
    ToastTick,
    /// A mouse event (only when `ui.mouse` is on).
    Mouse(MouseEvent),
    /// Progress of the background sync.
    Sync(SyncUpdate),
    /// The link of an item asked for with `o` or `y`, read from the store.
    Link {
        intent: LinkIntent,
        item: ItemRef,
        result: Result<Option<String>, String>,
    },
    /// The team and service names to pick from (at start and after a sync); each service
    /// with its owning team.
    Choices {
        teams: Vec<String>,
        services: Vec<(String, Option<String>)>,
        /// The panes the data supports now (a sync may bring OKRs or sync state); `None`
        /// keeps the current tabs.
        panes: Option<Vec<PaneId>>,
    },
    /// Something the event loop did failed or finished (opening a browser, copying).
    Notice(Level, String),
}

/// What `o` and `y` do with a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkIntent {
    Open,
    Copy,
}

/// What the event loop must do after an update.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Load(DataRequest),
    Suspend,
    Quit,
    /// Sync every configured source in the background.
    StartSync,
    /// Read the item's link from the store (its provenance) and answer with `Msg::Link`.
    ResolveLink {
        intent: LinkIntent,
        item: ItemRef,
    },
    OpenLink(String),
    CopyLink(String),
    /// Read the team and service names again (a sync may have brought new ones).
    LoadChoices,
}

/// The time ranges, in days, the `[` and `]` keys step through; `:range` takes any other.
pub const RANGES: [i64; 5] = [7, 30, 90, 180, 365];

/// The longest range `:range` accepts, in days (ten years).
pub const MAX_RANGE_DAYS: i64 = 3650;

/// The scope every pane shows: a range in days, an optional team and an optional service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub days: i64,
    pub team: Option<String>,
    pub service: Option<String>,
}

/// Which request a pane (or a pane's drill-down) waits for, and which scope its data is for.
#[derive(Debug, Clone, Default)]
pub struct Slot {
    /// The generation of the request whose answer is awaited; any other answer is stale.
    pub pending: Option<(u64, Scope)>,
    pub loaded: Option<Scope>,
    pub error: Option<String>,
}

/// Where an answer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    Pane(PaneId),
    Explain,
    /// The Markdown export of a retro (its own slot: picking a sprint does not drop it).
    RetroExport,
}

#[derive(Debug)]
pub struct App {
    pub keymap: Keymap,
    /// The range, in days back from now, every pane covers.
    pub days: i64,
    pub team: Option<String>,
    pub service: Option<String>,
    pub pane: PaneId,
    pub overview: OverviewState,
    pub delivery: DeliveryState,
    pub ci: CiState,
    pub slos: SloState,
    pub incidents: IncidentState,
    pub actions: ActionState,
    pub retro: RetroState,
    pub alignment: AlignmentState,
    pub governance: GovernanceState,
    /// The panes shown, in tab order (see [`App::with_panes`]).
    pub panes: Vec<PaneId>,
    pub help_open: bool,
    /// `/` was pressed: keys type into the active list's filter until Enter or Esc.
    pub filtering: bool,
    pub quit: bool,
    /// Incremented per request; a slot accepts only the answer to its latest request.
    generation: u64,
    slots: [Slot; 9],
    explain_slot: Slot,
    retro_export_slot: Slot,
    /// Set when the screen must be redrawn.
    pub dirty: bool,
    /// The "now" of a dataset with a fixed end (the demo's anchor); `None` follows the clock.
    pub fixed_now: Option<Timestamp>,
    /// The names the `t` and `s` pickers offer.
    pub teams: Vec<String>,
    /// Service names with their owning team.
    pub services: Vec<(String, Option<String>)>,
    pub picker: Option<Picker>,
    pub palette: Option<Palette>,
    pub toasts: Toasts,
    /// The configured sources `R` syncs (their names).
    pub sources: Vec<String>,
    pub sync: SyncStatus,
    /// Mouse clicks and the wheel are handled (`ui.mouse`).
    pub mouse: bool,
    /// Where the last frame drew the tabs, for mouse clicks.
    pub tab_hits: std::cell::RefCell<Vec<(ratatui::layout::Rect, PaneId)>>,
    /// The pane's area in the last frame and the line its selection marker was drawn on.
    pub row_hits: std::cell::Cell<Option<(ratatui::layout::Rect, u16)>>,
}

impl App {
    pub fn new(keymap: Keymap, fixed_now: Option<Timestamp>) -> Self {
        App {
            keymap,
            days: 90,
            team: None,
            service: None,
            pane: PaneId::Overview,
            overview: OverviewState::default(),
            delivery: DeliveryState::default(),
            ci: CiState::default(),
            slos: SloState::default(),
            incidents: IncidentState::default(),
            actions: ActionState::default(),
            retro: RetroState::default(),
            alignment: AlignmentState::default(),
            governance: GovernanceState::default(),
            panes: PaneId::ALL.to_vec(),
            help_open: false,
            filtering: false,
            quit: false,
            generation: 0,
            slots: Default::default(),
            explain_slot: Slot::default(),
            retro_export_slot: Slot::default(),
            dirty: true,
            fixed_now,
            teams: Vec::new(),
            services: Vec::new(),
            picker: None,
            palette: None,
            toasts: Toasts::default(),
            sources: Vec::new(),
            sync: SyncStatus::default(),
            mouse: false,
            tab_hits: Default::default(),
            row_hits: Default::default(),
        }
    }

    /// The services the `s` picker offers: the team's when a team is picked, else all.
    pub fn service_choices(&self) -> Vec<String> {
        self.services
            .iter()
            .filter(|(_, team)| self.team.is_none() || *team == self.team)
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// True while the toast clock must run (a toast shows); otherwise nothing ticks fast.
    pub fn wants_toast_ticks(&self) -> bool {
        !self.toasts.is_empty()
    }

    pub fn toast(&mut self, level: Level, text: impl Into<String>) {
        self.toasts.push(level, text);
        self.dirty = true;
    }

    /// Shows these panes (in this order) instead of the core six: the loader says which
    /// exist (`Loader::panes`). The active pane stays the first.
    pub fn with_panes(mut self, panes: Vec<PaneId>) -> Self {
        if !panes.is_empty() {
            self.pane = panes[0];
            self.panes = panes;
        }
        self
    }

    /// The query that loads `pane`; the Retro pane keeps the sprint it shows.
    pub(super) fn query_for(&self, pane: PaneId) -> Query {
        match pane {
            PaneId::Retro => Query::Retro(self.retro.chosen_for(self.team.as_deref())),
            _ => pane.query(),
        }
    }

    pub fn range_days(&self) -> i64 {
        self.days
    }

    pub fn scope(&self) -> Scope {
        Scope {
            days: self.days,
            team: self.team.clone(),
            service: self.service.clone(),
        }
    }

    /// The slot of the active pane (its error, whether it waits).
    pub fn slot(&self, pane: PaneId) -> &Slot {
        &self.slots[pane.index()]
    }

    /// True while the active pane (or its drill-down) waits for data.
    pub fn loading(&self) -> bool {
        self.slot(self.pane).pending.is_some()
            || (self.pane == PaneId::Delivery && self.explain_slot.pending.is_some())
    }

    /// The first request, issued when the app starts.
    pub fn start(&mut self) -> Vec<Effect> {
        vec![self.request(Target::Pane(self.pane), self.query_for(self.pane))]
    }

    pub(super) fn request(&mut self, target: Target, query: Query) -> Effect {
        self.generation += 1;
        self.dirty = true;
        let scope = self.scope();
        let slot = match target {
            Target::Pane(p) => &mut self.slots[p.index()],
            Target::Explain => &mut self.explain_slot,
            Target::RetroExport => &mut self.retro_export_slot,
        };
        slot.pending = Some((self.generation, scope));
        let until = self.fixed_now.unwrap_or_else(Utc::now);
        Effect::Load(DataRequest {
            generation: self.generation,
            since: until - Duration::days(self.range_days()),
            until,
            team: self.team.clone(),
            service: self.service.clone(),
            query,
        })
    }

    /// Loads the active pane unless it holds or awaits data for the current scope.
    pub(super) fn ensure_loaded(&mut self) -> Vec<Effect> {
        let scope = self.scope();
        let slot = self.slot(self.pane);
        let current = slot.loaded.as_ref() == Some(&scope)
            || slot.pending.as_ref().is_some_and(|(_, s)| *s == scope);
        if current {
            return vec![];
        }
        vec![self.request(Target::Pane(self.pane), self.query_for(self.pane))]
    }

    /// Forgets what every pane loaded (new rows arrived), so each reloads when shown.
    pub(super) fn forget_loaded(&mut self) {
        for slot in self.slots.iter_mut() {
            slot.loaded = None;
        }
    }

    /// A service another team owns, kept while changing team, would leave every pane at zero:
    /// the scope falls back to all of the new team's services, and a toast says so.
    fn drop_service_of_another_team(&mut self) {
        let (Some(team), Some(service)) = (&self.team, &self.service) else {
            return;
        };
        let owner = self
            .services
            .iter()
            .find(|(name, _)| name == service)
            .and_then(|(_, owner)| owner.as_deref());
        if owner.is_some_and(|o| o != team) {
            let text = format!(
                "service {service} belongs to {}, not {team}: showing all of {team}'s services",
                owner.unwrap_or_default()
            );
            self.service = None;
            self.toast(Level::Info, text);
        }
    }

    /// The range or team changed: every answer in flight is stale, and the active pane reloads.
    pub(super) fn scope_changed(&mut self) -> Vec<Effect> {
        self.drop_service_of_another_team();
        for slot in self.slots.iter_mut().chain([&mut self.explain_slot]) {
            slot.pending = None;
        }
        self.delivery.close_explain();
        self.ensure_loaded()
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(key) => self.on_key(key),
            Msg::Resize => {
                self.dirty = true;
                vec![]
            }
            Msg::Tick => vec![],
            Msg::Data(resp) => {
                self.on_data(*resp);
                vec![]
            }
            Msg::ToastTick => {
                self.dirty |= self.toasts.tick();
                vec![]
            }
            Msg::Mouse(ev) => super::mouse::handle(self, ev),
            Msg::Sync(update) => self.on_sync(update),
            Msg::Link {
                intent,
                item,
                result,
            } => self.on_link(intent, item, result),
            Msg::Choices {
                teams,
                services,
                panes,
            } => {
                self.teams = teams;
                self.services = services;
                if let Some(panes) = panes.filter(|p| !p.is_empty() && *p != self.panes) {
                    if !panes.contains(&self.pane) {
                        self.pane = panes[0];
                    }
                    self.panes = panes;
                    self.dirty = true;
                }
                vec![]
            }
            Msg::Notice(level, text) => {
                self.toast(level, text);
                vec![]
            }
        }
    }

    fn on_data(&mut self, resp: DataResponse) {
        let waiting = |s: &Slot| {
            s.pending
                .as_ref()
                .is_some_and(|(g, _)| *g == resp.generation)
        };
        let target = if waiting(&self.explain_slot) {
            Target::Explain
        } else if waiting(&self.retro_export_slot) {
            Target::RetroExport
        } else if let Some(p) = PaneId::EVERY.into_iter().find(|p| waiting(self.slot(*p))) {
            Target::Pane(p)
        } else {
            return; // stale: a newer request replaced it
        };
        if resp.partial {
            // The first teams of an Overview still being computed: show them; the request
            // stays pending until its whole answer arrives.
            if let (Target::Pane(PaneId::Overview), Ok(PaneData::Overview(d))) =
                (target, resp.result)
            {
                self.overview.accept(d);
                self.dirty = true;
            }
            return;
        }
        let slot = match target {
            Target::Pane(p) => &mut self.slots[p.index()],
            Target::Explain => &mut self.explain_slot,
            Target::RetroExport => &mut self.retro_export_slot,
        };
        let scope = slot.pending.take().map(|(_, s)| s);
        self.dirty = true;
        let data = match resp.result {
            Ok(data) => {
                slot.error = None;
                slot.loaded = scope;
                data
            }
            Err(e) if target == Target::RetroExport => {
                self.toast(Level::Error, format!("retro export failed: {e}"));
                self.retro.exported(Err(e));
                return;
            }
            Err(e) => {
                slot.error = Some(e);
                return;
            }
        };
        match data {
            PaneData::Overview(d) => self.overview.accept(d),
            PaneData::Delivery(d) => self.delivery.accept(d),
            PaneData::Ci(d) => self.ci.accept(d),
            PaneData::Slos(d) => self.slos.accept(d),
            PaneData::Incidents(d) => self.incidents.accept(d),
            PaneData::Actions(d) => self.actions.accept(d),
            PaneData::Explain(d) => self.delivery.accept_explain(d),
            PaneData::Retro(d) => self.retro.accept(d),
            PaneData::RetroExported(path) => {
                self.toast(Level::Info, format!("retro exported to {}", path.display()));
                self.retro.exported(Ok(path));
            }
            PaneData::Alignment(d) => self.alignment.accept(d),
            PaneData::Governance(d) => self.governance.accept(d),
        }
    }

    /// The list the `/` filter applies to in the active pane.
    pub fn active_list(&self) -> Option<&ListState> {
        match self.pane {
            PaneId::Overview => Some(&self.overview.list),
            PaneId::Delivery => self.delivery.list(),
            PaneId::Ci => Some(&self.ci.list),
            PaneId::Slos => self.slos.list(),
            PaneId::Incidents => self.incidents.list(),
            PaneId::Actions => Some(&self.actions.list),
            PaneId::Retro => self.retro.list(),
            PaneId::Alignment => Some(&self.alignment.list),
            PaneId::Governance => Some(&self.governance.list),
        }
    }

    pub(super) fn active_list_mut(&mut self) -> Option<&mut ListState> {
        match self.pane {
            PaneId::Overview => Some(&mut self.overview.list),
            PaneId::Delivery => self.delivery.list_mut(),
            PaneId::Ci => Some(&mut self.ci.list),
            PaneId::Slos => self.slos.list_mut(),
            PaneId::Incidents => self.incidents.list_mut(),
            PaneId::Actions => Some(&mut self.actions.list),
            PaneId::Retro => self.retro.list_mut(),
            PaneId::Alignment => Some(&mut self.alignment.list),
            PaneId::Governance => Some(&mut self.governance.list),
        }
    }
}
