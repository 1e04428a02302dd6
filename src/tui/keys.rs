//! What keys do to the app: typing into a filter, the active pane first and then the global
//! actions (panes, range, scope, pickers, palette, sync, links, help, quit), and which actions
//! are valid now (for help and the footer). Like `update`, none of this does I/O.

use super::app::{App, Effect, LinkIntent, RANGES, Target};
use super::data::Query;
use super::item;
use super::keymap::Action;
use super::palette::Palette;
use super::panes::Outcome;
use super::panes::PaneId;
use super::panes::list::ListState;
use super::picker::{Picker, PickerKind};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

impl App {
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

    pub(super) fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if let Some(effects) = self.on_popup_key(key) {
            return effects;
        }
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
        self.run_action(action)
    }

    /// Runs `action` as if its key was pressed: the active pane first, then the global keys.
    pub(super) fn run_action(&mut self, action: Action) -> Vec<Effect> {
        self.dirty = true;
        let outcome = match self.pane {
            PaneId::Overview => self.overview.handle(action),
            PaneId::Delivery => self.delivery.handle(action),
            PaneId::Ci => self.ci.handle(action),
            PaneId::Slos => self.slos.handle(action),
            PaneId::Incidents => self.incidents.handle(action),
            PaneId::Actions => self.actions.handle(action),
            PaneId::Retro => self.retro.handle(action),
            PaneId::Alignment => self.alignment.handle(action),
            PaneId::Governance => self.governance.handle(action),
        };
        match outcome {
            Outcome::Consumed => vec![],
            Outcome::Load(query) => {
                let target = match query {
                    Query::Explain(_) => Target::Explain,
                    Query::RetroExport(_) => Target::RetroExport,
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
            Action::NextPane => self.switch_to(self.pane.next(&self.panes)),
            Action::PrevPane => self.switch_to(self.pane.prev(&self.panes)),
            Action::GoToPane(n) => match PaneId::numbered(n, &self.panes) {
                Some(p) => self.switch_to(p),
                None => vec![],
            },
            Action::Filter => {
                self.filtering = self.active_list().is_some();
                vec![]
            }
            // The next preset above or below the current range, which `:range` may have set
            // between two presets.
            Action::RangeNext => match RANGES.iter().find(|d| **d > self.days) {
                Some(days) => {
                    self.days = *days;
                    self.scope_changed()
                }
                None => vec![],
            },
            Action::RangePrev => match RANGES.iter().rev().find(|d| **d < self.days) {
                Some(days) => {
                    self.days = *days;
                    self.scope_changed()
                }
                None => vec![],
            },
            Action::Refresh => {
                let query = self.query_for(self.pane);
                vec![self.request(Target::Pane(self.pane), query)]
            }
            Action::Back if self.team.is_some() => {
                self.team = None;
                self.scope_changed()
            }
            Action::Back if self.service.is_some() => {
                self.service = None;
                self.scope_changed()
            }
            Action::Team => {
                self.picker = Some(Picker::new(
                    PickerKind::Team,
                    self.teams.clone(),
                    self.team.as_deref(),
                ));
                vec![]
            }
            Action::Service => {
                self.picker = Some(Picker::new(
                    PickerKind::Service,
                    self.service_choices(),
                    self.service.as_deref(),
                ));
                vec![]
            }
            Action::Command => {
                self.palette = Some(Palette::new(super::palette::entries_for(self)));
                vec![]
            }
            Action::Sync => self.start_sync(),
            Action::Open => self.link(LinkIntent::Open),
            Action::Copy => self.link(LinkIntent::Copy),
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
            PaneId::Retro => self.retro.valid_actions(),
            PaneId::Alignment => self.alignment.valid_actions(),
            PaneId::Governance => self.governance.valid_actions(),
        };
        if self.active_list().is_some() {
            actions.push(Action::Filter);
        }
        if (self.team.is_some() || self.service.is_some()) && !actions.contains(&Action::Back) {
            actions.push(Action::Back);
        }
        if item::pane_has_links(self) {
            actions.extend([Action::Open, Action::Copy]);
        }
        actions.extend([
            Action::NextPane,
            Action::PrevPane,
            Action::RangePrev,
            Action::RangeNext,
            Action::Team,
            Action::Service,
            Action::Command,
            Action::Refresh,
            Action::Sync,
            Action::Help,
            Action::Suspend,
            Action::Quit,
        ]);
        actions
    }
}
