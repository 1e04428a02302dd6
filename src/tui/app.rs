//! App state and its update function. `update` never does I/O: it changes state and returns
//! effects (load data, quit, suspend) that the event loop carries out. This keeps every key
//! sequence testable without a terminal.

use super::data::{DataRequest, DataResponse, OverviewData};
use super::keymap::{Action, Keymap};
use crate::model::Timestamp;
use chrono::{Duration, Utc};
use crossterm::event::KeyEvent;

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

#[derive(Debug, Default)]
pub struct OverviewState {
    pub data: Option<OverviewData>,
    pub selected: usize,
    pub error: Option<String>,
}

#[derive(Debug)]
pub struct App {
    pub keymap: Keymap,
    /// Index into [`RANGES`].
    pub range: usize,
    pub team: Option<String>,
    pub overview: OverviewState,
    pub loading: bool,
    pub help_open: bool,
    pub quit: bool,
    /// Incremented per request; responses of older generations are stale and dropped.
    generation: u64,
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
            overview: OverviewState::default(),
            loading: false,
            help_open: false,
            quit: false,
            generation: 0,
            dirty: true,
            fixed_now,
        }
    }

    pub fn range_days(&self) -> i64 {
        RANGES[self.range]
    }

    /// The first request, issued when the app starts.
    pub fn start(&mut self) -> Vec<Effect> {
        vec![self.reload()]
    }

    fn reload(&mut self) -> Effect {
        self.generation += 1;
        self.loading = true;
        self.dirty = true;
        let until = self.fixed_now.unwrap_or_else(Utc::now);
        Effect::Load(DataRequest {
            generation: self.generation,
            since: until - Duration::days(self.range_days()),
            until,
            team: self.team.clone(),
        })
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
                if resp.generation == self.generation {
                    self.loading = false;
                    match resp.result {
                        Ok(data) => {
                            self.overview.selected = self
                                .overview
                                .selected
                                .min(data.teams.len().saturating_sub(1));
                            self.overview.data = Some(data);
                            self.overview.error = None;
                        }
                        Err(e) => self.overview.error = Some(e),
                    }
                    self.dirty = true;
                }
                vec![]
            }
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
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
            Action::Down => {
                let n = self.team_count();
                if n > 0 {
                    self.overview.selected = (self.overview.selected + 1).min(n - 1);
                }
                vec![]
            }
            Action::Up => {
                self.overview.selected = self.overview.selected.saturating_sub(1);
                vec![]
            }
            Action::Top => {
                self.overview.selected = 0;
                vec![]
            }
            Action::Bottom => {
                self.overview.selected = self.team_count().saturating_sub(1);
                vec![]
            }
            Action::RangeNext => {
                if self.range + 1 < RANGES.len() {
                    self.range += 1;
                    return vec![self.reload()];
                }
                vec![]
            }
            Action::RangePrev => {
                if self.range > 0 {
                    self.range -= 1;
                    return vec![self.reload()];
                }
                vec![]
            }
            Action::Refresh => vec![self.reload()],
            Action::Back => {
                if self.team.take().is_some() {
                    return vec![self.reload()];
                }
                vec![]
            }
            Action::DrillDown => {
                let team = self
                    .overview
                    .data
                    .as_ref()
                    .and_then(|d| d.teams.get(self.overview.selected))
                    .map(|t| t.team.clone());
                if team.is_some() && self.team.is_none() {
                    self.team = team;
                    self.overview.selected = 0;
                    return vec![self.reload()];
                }
                vec![]
            }
        }
    }

    fn team_count(&self) -> usize {
        self.overview.data.as_ref().map_or(0, |d| d.teams.len())
    }

    /// The few actions the footer names; `?` lists the rest.
    pub fn footer_actions(&self) -> Vec<Action> {
        let all = self.valid_actions();
        let wanted = [
            Action::DrillDown,
            Action::Back,
            Action::RangePrev,
            Action::RangeNext,
            Action::Help,
            Action::Quit,
        ];
        all.into_iter().filter(|a| wanted.contains(a)).collect()
    }

    /// The actions valid right now, for the help overlay and the footer.
    pub fn valid_actions(&self) -> Vec<Action> {
        if self.help_open {
            return vec![Action::Back, Action::Quit];
        }
        let mut actions = vec![Action::Up, Action::Down, Action::Top, Action::Bottom];
        if self.team.is_none() {
            actions.push(Action::DrillDown);
        } else {
            actions.push(Action::Back);
        }
        actions.extend([
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
