//! What the interaction keys do to the app: the team and service pickers, the command
//! palette, links (`o`, `y`) and the background sync (`R`). Like `update`, none of this does
//! I/O: it changes state and returns effects.

use super::app::{App, Effect, LinkIntent, MAX_RANGE_DAYS};
use super::item::{self, ItemRef};
use super::palette::{Command, PaletteOutcome};
use super::panes::list::ListState;
use super::picker::{PickerKind, PickerOutcome};
use super::sync_task::SyncUpdate;
use super::toast::Level;
use crossterm::event::KeyEvent;

impl App {
    /// Keys for the picker or the palette when one is open; `None` when neither is.
    pub(super) fn on_popup_key(&mut self, key: KeyEvent) -> Option<Vec<Effect>> {
        if let Some(picker) = &mut self.picker {
            self.dirty = true;
            let kind = picker.kind;
            return Some(match picker.handle(key) {
                PickerOutcome::Open => vec![],
                PickerOutcome::Cancel => {
                    self.picker = None;
                    vec![]
                }
                PickerOutcome::Pick(choice) => {
                    self.picker = None;
                    match kind {
                        PickerKind::Team => self.set_team(choice),
                        PickerKind::Service => self.set_service(choice),
                    }
                }
            });
        }
        if let Some(palette) = &mut self.palette {
            self.dirty = true;
            return Some(match palette.handle(key) {
                PaletteOutcome::Open => vec![],
                PaletteOutcome::Cancel => {
                    self.palette = None;
                    vec![]
                }
                PaletteOutcome::Run(command) => {
                    self.palette = None;
                    self.run_command(command)
                }
            });
        }
        None
    }

    fn run_command(&mut self, command: Command) -> Vec<Effect> {
        match command {
            Command::Run(action) => self.run_action(action),
            Command::Team(team) => self.set_team(team),
            Command::Service(service) => self.set_service(service),
            Command::Range(days) if days != self.days && (1..=MAX_RANGE_DAYS).contains(&days) => {
                self.days = days;
                self.scope_changed()
            }
            Command::Range(_) => vec![],
        }
    }

    /// Scopes every pane to `team` (`None`: all teams).
    pub fn set_team(&mut self, team: Option<String>) -> Vec<Effect> {
        if team == self.team {
            return vec![];
        }
        self.team = team;
        self.overview.list = ListState::default();
        self.scope_changed()
    }

    /// Scopes every pane to `service` (`None`: all services).
    pub fn set_service(&mut self, service: Option<String>) -> Vec<Effect> {
        if service == self.service {
            return vec![];
        }
        self.service = service;
        self.scope_changed()
    }

    pub(super) fn start_sync(&mut self) -> Vec<Effect> {
        if self.sync.running {
            self.toast(Level::Info, "a sync is already running");
            return vec![];
        }
        if self.sources.is_empty() {
            self.toast(
                Level::Warn,
                "no sources to sync: add [[sources]] to the config (plumb config init writes \
                 an example); the demo never syncs, its data is generated",
            );
            return vec![];
        }
        vec![Effect::StartSync]
    }

    pub(super) fn on_sync(&mut self, update: SyncUpdate) -> Vec<Effect> {
        self.dirty = true;
        for (level, text) in self.sync.apply(&update) {
            self.toasts.push(level, text);
        }
        if !matches!(update, SyncUpdate::Finished { .. }) {
            return vec![];
        }
        // New rows may change every pane: forget what was loaded and reload the active one.
        self.forget_loaded();
        let mut effects = self.ensure_loaded();
        effects.push(Effect::LoadChoices);
        effects
    }

    pub(super) fn link(&mut self, intent: LinkIntent) -> Vec<Effect> {
        match item::selected_item(self) {
            None => {
                let why = item::nothing_selected(self);
                self.toast(Level::Warn, why);
                vec![]
            }
            Some(item) => match item.url.clone() {
                Some(url) => self.on_link(intent, item, Ok(Some(url))),
                None => vec![Effect::ResolveLink { intent, item }],
            },
        }
    }

    pub(super) fn on_link(
        &mut self,
        intent: LinkIntent,
        item: ItemRef,
        result: Result<Option<String>, String>,
    ) -> Vec<Effect> {
        match result {
            // The event loop says how it went (opened, copied, or why not), with the link.
            Ok(Some(url)) => {
                vec![match intent {
                    LinkIntent::Open => Effect::OpenLink(url),
                    LinkIntent::Copy => Effect::CopyLink(url),
                }]
            }
            Ok(None) => {
                self.toast(
                    Level::Warn,
                    format!(
                        "{} has no link: its source did not provide one (manual imports and \
                         generated demo rows have none)",
                        item.label
                    ),
                );
                vec![]
            }
            Err(e) => {
                self.toast(
                    Level::Error,
                    format!("cannot read the link of {}: {e}", item.label),
                );
                vec![]
            }
        }
    }
}
