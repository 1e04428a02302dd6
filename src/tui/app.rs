//! App state and its update function. `update` never does I/O: it changes state and returns
//! effects (load data, quit, suspend) that the event loop carries out. This keeps every key
//! sequence testable without a terminal.
//!
//! Keys go to the help overlay first, then to the filter being typed, then to the active pane,
//! and what the pane ignores to the global keys (panes, range, team, refresh, quit).

use super::data::{DataRequest, DataResponse, PaneData, Query};
use super::keymap::{Action, Keymap};
use super::panes::actions::ActionState;
use super::panes::ci::CiState;
use super::panes::delivery::DeliveryState;
use super::panes::incidents::IncidentState;
use super::panes::list::ListState;
use super::panes::overview::OverviewState;
use super::panes::slos::SloState;
use super::panes::{Outcome, PaneId};
use crate::model::Timestamp;
use chrono::{Duration, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What happened: a key, a resize, a result from background work, or a slow tick.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Resize,
    Data(Box<DataResponse>),
    Tick,
}

/// What the event loop must do after an update.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Load(DataRequest),
    Suspend,
    Quit,
}

/// The time ranges the `[` and `]` keys step through.
pub const RANGES: [i64; 5] = [7, 30, 90, 180, 365];

/// The scope every pane shows: a range (index into [`RANGES`]) and an optional team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub range: usize,
    pub team: Option<String>,
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
enum Target {
    Pane(PaneId),
    Explain,
}

#[derive(Debug)]
pub struct App {
    pub keymap: Keymap,
    /// Index into [`RANGES`].
    pub range: usize,
    pub team: Option<String>,
    pub pane: PaneId,
    pub overview: OverviewState,
    pub delivery: DeliveryState,
    pub ci: CiState,
    pub slos: SloState,
    pub incidents: IncidentState,
    pub actions: ActionState,
    pub help_open: bool,
    /// `/` was pressed: keys type into the active list's filter until Enter or Esc.
    pub filtering: bool,
    pub quit: bool,
    /// Incremented per request; a slot accepts only the answer to its latest request.
    generation: u64,
    slots: [Slot; 6],
    explain_slot: Slot,
    /// Set when the screen must be redrawn.
    pub dirty: bool,
    /// The "now" of a dataset with a fixed end (the demo's anchor); `None` follows the clock.
    pub fixed_now: Option<Timestamp>,
}

impl App {
    pub fn new(keymap: Keymap, fixed_now: Option<Timestamp>) -> Self {
        App {
            keymap,
            range: 2,
            team: None,
            pane: PaneId::Overview,
            overview: OverviewState::default(),
            delivery: DeliveryState::default(),
            ci: CiState::default(),
            slos: SloState::default(),
            incidents: IncidentState::default(),
            actions: ActionState::default(),
            help_open: false,
            filtering: false,
            quit: false,
            generation: 0,
            slots: Default::default(),
            explain_slot: Slot::default(),
            dirty: true,
            fixed_now,
        }
    }

    pub fn range_days(&self) -> i64 {
        RANGES[self.range]
    }

    pub fn scope(&self) -> Scope {
        Scope {
            range: self.range,
            team: self.team.clone(),
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
        vec![self.request(Target::Pane(self.pane), self.pane.query())]
    }

    fn request(&mut self, target: Target, query: Query) -> Effect {
        self.generation += 1;
        self.dirty = true;
        let scope = self.scope();
        let slot = match target {
            Target::Pane(p) => &mut self.slots[p.index()],
            Target::Explain => &mut self.explain_slot,
        };
        slot.pending = Some((self.generation, scope));
        let until = self.fixed_now.unwrap_or_else(Utc::now);
        Effect::Load(DataRequest {
            generation: self.generation,
            since: until - Duration::days(self.range_days()),
            until,
            team: self.team.clone(),
            query,
        })
    }

    /// Loads the active pane unless it holds or awaits data for the current scope.
    fn ensure_loaded(&mut self) -> Vec<Effect> {
        let scope = self.scope();
        let slot = self.slot(self.pane);
        let current = slot.loaded.as_ref() == Some(&scope)
            || slot.pending.as_ref().is_some_and(|(_, s)| *s == scope);
        if current {
            return vec![];
        }
        vec![self.request(Target::Pane(self.pane), self.pane.query())]
    }

    /// The range or team changed: every answer in flight is stale, and the active pane reloads.
    fn scope_changed(&mut self) -> Vec<Effect> {
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
        } else if let Some(p) = PaneId::ALL.into_iter().find(|p| waiting(self.slot(*p))) {
            Target::Pane(p)
        } else {
            return; // stale: a newer request replaced it
        };
        let slot = match target {
            Target::Pane(p) => &mut self.slots[p.index()],
            Target::Explain => &mut self.explain_slot,
        };
        let scope = slot.pending.take().map(|(_, s)| s);
        self.dirty = true;
        let data = match resp.result {
            Ok(data) => {
                slot.error = None;
                slot.loaded = scope;
                data
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
        }
    }

    fn active_list_mut(&mut self) -> Option<&mut ListState> {
        match self.pane {
            PaneId::Overview => Some(&mut self.overview.list),
            PaneId::Delivery => self.delivery.list_mut(),
            PaneId::Ci => Some(&mut self.ci.list),
            PaneId::Slos => self.slos.list_mut(),
            PaneId::Incidents => self.incidents.list_mut(),
            PaneId::Actions => Some(&mut self.actions.list),
        }
    }

    /// Typing into the filter: characters and Backspace edit it, Enter keeps it, Esc clears it.
    fn on_filter_key(&mut self, key: KeyEvent) {
        let Some(list) = self.active_list_mut() else {
            self.filtering = false;
            return;
        };
        let mut text = list.filter.clone();
        match key.code {
            KeyCode::Enter => self.filtering = false,
            KeyCode::Esc => {
                text.clear();
                self.filtering = false;
            }
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => text.clear(),
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => text.push(c),
            _ => return,
        }
        if let Some(list) = self.active_list_mut()
            && list.filter != text
        {
            list.set_filter(text);
        }
        self.dirty = true;
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if self.filtering && !self.help_open {
            self.on_filter_key(key);
            return vec![];
        }
        let Some(action) = self.keymap.action(&key) else {
            return vec![];
        };
        if self.help_open {
            // The help overlay takes every key; any of back, help or quit closes it.
            if matches!(action, Action::Back | Action::Help | Action::Quit) {
                self.help_open = false;
                self.dirty = true;
            }
            return vec![];
        }
        self.dirty = true;
        let outcome = match self.pane {
            PaneId::Overview => self.overview.handle(action),
            PaneId::Delivery => self.delivery.handle(action),
            PaneId::Ci => self.ci.handle(action),
            PaneId::Slos => self.slos.handle(action),
            PaneId::Incidents => self.incidents.handle(action),
            PaneId::Actions => self.actions.handle(action),
        };
        match outcome {
            Outcome::Consumed => vec![],
            Outcome::Load(query) => {
                let target = match query {
                    Query::Explain(_) => Target::Explain,
                    _ => Target::Pane(self.pane),
                };
                vec![self.request(target, query)]
            }
            Outcome::SetTeam(team) => {
                self.team = Some(team);
                self.overview.list = ListState::default();
                self.scope_changed()
            }
            Outcome::Ignored => self.global(action),
        }
    }

    fn switch_to(&mut self, pane: PaneId) -> Vec<Effect> {
        if pane == self.pane {
            return vec![];
        }
        self.pane = pane;
        self.filtering = false;
        self.ensure_loaded()
    }

    fn global(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Quit => {
                self.quit = true;
                vec![Effect::Quit]
            }
            Action::Suspend => vec![Effect::Suspend],
            Action::Help => {
                self.help_open = true;
                vec![]
            }
            Action::NextPane => self.switch_to(self.pane.next()),
            Action::PrevPane => self.switch_to(self.pane.prev()),
            Action::GoToPane(n) => match PaneId::numbered(n) {
                Some(p) => self.switch_to(p),
                None => vec![],
            },
            Action::Filter => {
                self.filtering = self.active_list().is_some();
                vec![]
            }
            Action::RangeNext if self.range + 1 < RANGES.len() => {
                self.range += 1;
                self.scope_changed()
            }
            Action::RangePrev if self.range > 0 => {
                self.range -= 1;
                self.scope_changed()
            }
            Action::Refresh => vec![self.request(Target::Pane(self.pane), self.pane.query())],
            Action::Back if self.team.is_some() => {
                self.team = None;
                self.scope_changed()
            }
            _ => vec![],
        }
    }

    /// The few actions the footer names; `?` lists the rest.
    pub fn footer_actions(&self) -> Vec<Action> {
        if self.help_open {
            return vec![Action::Back, Action::Quit];
        }
        let all = self.valid_actions();
        // In this order, so the narrowest footer still shows help and the pane's own keys.
        let wanted = [
            Action::Help,
            Action::DrillDown,
            Action::Back,
            Action::Filter,
            Action::NextPane,
            Action::RangePrev,
            Action::RangeNext,
            Action::Quit,
        ];
        wanted.into_iter().filter(|a| all.contains(a)).collect()
    }

    /// The actions valid in the current context (the help overlay lists them, the footer names
    /// a few): the active pane's first, then the global ones.
    pub fn valid_actions(&self) -> Vec<Action> {
        let mut actions = match self.pane {
            PaneId::Overview => self.overview.valid_actions(self.team.is_some()),
            PaneId::Delivery => self.delivery.valid_actions(),
            PaneId::Ci => self.ci.valid_actions(),
            PaneId::Slos => self.slos.valid_actions(),
            PaneId::Incidents => self.incidents.valid_actions(),
            PaneId::Actions => self.actions.valid_actions(),
        };
        if self.active_list().is_some() {
            actions.push(Action::Filter);
        }
        if self.team.is_some() && !actions.contains(&Action::Back) {
            actions.push(Action::Back);
        }
        actions.extend([
            Action::NextPane,
            Action::PrevPane,
            Action::RangePrev,
            Action::RangeNext,
            Action::Refresh,
            Action::Help,
            Action::Suspend,
            Action::Quit,
        ]);
        actions
    }
}
