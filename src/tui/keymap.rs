//! Keys to actions. Defaults follow vim and the terminal tools plumb's users know; `[ui.keys]`
//! in config rebinds or unbinds (empty string) any action. Key syntax and action names are
//! defined and validated by `config::keys`.

use crate::config::{Key, KeyBinding};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    Up,
    Down,
    Top,
    Bottom,
    PageDown,
    PageUp,
    DrillDown,
    Back,
    RangePrev,
    RangeNext,
    Refresh,
    Help,
    Suspend,
    Quit,
    NextPane,
    PrevPane,
    /// Jump to the pane of this number (1-based, as the tab bar shows).
    GoToPane(u8),
    Filter,
    /// Open the team picker.
    Team,
    /// Open the service picker.
    Service,
    /// Open the command palette.
    Command,
    /// Sync every configured source in the background.
    Sync,
    /// Open the selected item's URL in the browser.
    Open,
    /// Copy the selected item's URL to the clipboard.
    Copy,
    /// Export what the pane shows (a pane that can export lists it).
    Export,
}

impl Action {
    pub const ALL: [Action; 33] = [
        Action::Up,
        Action::Down,
        Action::Top,
        Action::Bottom,
        Action::PageDown,
        Action::PageUp,
        Action::DrillDown,
        Action::Back,
        Action::RangePrev,
        Action::RangeNext,
        Action::Refresh,
        Action::Help,
        Action::Suspend,
        Action::Quit,
        Action::NextPane,
        Action::PrevPane,
        Action::GoToPane(1),
        Action::GoToPane(2),
        Action::GoToPane(3),
        Action::GoToPane(4),
        Action::GoToPane(5),
        Action::GoToPane(6),
        Action::GoToPane(7),
        Action::GoToPane(8),
        Action::GoToPane(9),
        Action::Filter,
        Action::Team,
        Action::Service,
        Action::Command,
        Action::Sync,
        Action::Open,
        Action::Copy,
        Action::Export,
    ];

    /// The name used in `[ui.keys]` (one of `config::UI_ACTIONS`).
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::Up => "up",
            Action::Down => "down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::DrillDown => "drill_down",
            Action::Back => "back",
            Action::RangePrev => "range_prev",
            Action::RangeNext => "range_next",
            Action::Refresh => "refresh",
            Action::Suspend => "suspend",
            Action::PageDown => "page_down",
            Action::PageUp => "page_up",
            Action::NextPane => "next_pane",
            Action::PrevPane => "prev_pane",
            Action::Filter => "filter",
            Action::Team => "team",
            Action::Service => "service",
            Action::Command => "command",
            Action::Sync => "sync",
            Action::Open => "open",
            Action::Copy => "copy",
            Action::Export => "export",
            Action::GoToPane(n) => match n {
                1 => "pane_1",
                2 => "pane_2",
                3 => "pane_3",
                4 => "pane_4",
                5 => "pane_5",
                6 => "pane_6",
                7 => "pane_7",
                8 => "pane_8",
                _ => "pane_9",
            },
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::Up => "up",
            Action::Down => "down",
            Action::Top => "first",
            Action::Bottom => "last",
            Action::DrillDown => "open / explain",
            Action::Back => "back / clear team, service",
            Action::RangePrev => "shorter range",
            Action::RangeNext => "longer range",
            Action::Refresh => "refresh",
            Action::Suspend => "suspend",
            Action::PageDown => "page down",
            Action::PageUp => "page up",
            Action::NextPane => "next pane",
            Action::PrevPane => "previous pane",
            Action::Filter => "filter list",
            Action::GoToPane(_) => "go to pane",
            Action::Team => "pick team",
            Action::Service => "pick service",
            Action::Command => "commands",
            Action::Sync => "sync all sources",
            Action::Open => "open in browser",
            Action::Copy => "copy link",
            Action::Export => "export",
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }
}

#[derive(Debug, Clone)]
pub struct Keymap {
    /// Keyed by the binding's text (`q`, `ctrl-c`), which also orders the help listing.
    bindings: BTreeMap<String, (KeyBinding, Action)>,
}

const DEFAULTS: &[(&str, Action)] = &[
    ("q", Action::Quit),
    ("ctrl-c", Action::Quit),
    ("?", Action::Help),
    ("k", Action::Up),
    ("up", Action::Up),
    ("j", Action::Down),
    ("down", Action::Down),
    ("g", Action::Top),
    ("home", Action::Top),
    ("G", Action::Bottom),
    ("end", Action::Bottom),
    ("enter", Action::DrillDown),
    ("esc", Action::Back),
    ("[", Action::RangePrev),
    ("]", Action::RangeNext),
    ("r", Action::Refresh),
    ("ctrl-z", Action::Suspend),
    ("ctrl-d", Action::PageDown),
    ("pagedown", Action::PageDown),
    ("ctrl-u", Action::PageUp),
    ("pageup", Action::PageUp),
    ("tab", Action::NextPane),
    ("backtab", Action::PrevPane),
    ("/", Action::Filter),
    ("1", Action::GoToPane(1)),
    ("2", Action::GoToPane(2)),
    ("3", Action::GoToPane(3)),
    ("4", Action::GoToPane(4)),
    ("5", Action::GoToPane(5)),
    ("6", Action::GoToPane(6)),
    ("7", Action::GoToPane(7)),
    ("8", Action::GoToPane(8)),
    ("9", Action::GoToPane(9)),
    ("t", Action::Team),
    ("s", Action::Service),
    (":", Action::Command),
    ("R", Action::Sync),
    ("o", Action::Open),
    ("y", Action::Copy),
    ("e", Action::Export),
];

impl Default for Keymap {
    fn default() -> Self {
        let mut k = Keymap {
            bindings: BTreeMap::new(),
        };
        for (text, action) in DEFAULTS {
            if let Ok(binding) = text.parse::<KeyBinding>() {
                k.bind(binding, *action);
            }
        }
        k
    }
}

impl Keymap {
    fn bind(&mut self, binding: KeyBinding, action: Action) {
        if binding != KeyBinding::Unbound {
            self.bindings.insert(binding.to_string(), (binding, action));
        }
    }

    /// Applies `[ui.keys]`: `action = "key"` replaces the action's default keys, `action = ""`
    /// unbinds it. Names of actions this version of the TUI does not have yet are ignored.
    pub fn with_overrides<'a>(
        mut self,
        overrides: impl IntoIterator<Item = (&'a str, KeyBinding)>,
    ) -> Self {
        for (name, binding) in overrides {
            let Some(action) = Action::from_name(name) else {
                continue;
            };
            self.bindings.retain(|_, (_, a)| *a != action);
            self.bind(binding, action);
        }
        self
    }

    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        let binding = binding_of(ev)?;
        let text = binding.to_string();
        self.bindings.get(&text).map(|(_, a)| *a)
    }

    /// The keys bound to `action`, for help and the footer.
    pub fn keys_for(&self, action: Action) -> Vec<String> {
        self.bindings
            .iter()
            .filter(|(_, (_, a))| *a == action)
            .map(|(text, _)| text.clone())
            .collect()
    }
}

/// The binding a key press matches. Shift is folded into characters (`G`) and `backtab`, as
/// terminals report them, and kept for other keys (`shift-up`).
fn binding_of(ev: &KeyEvent) -> Option<KeyBinding> {
    let key = match ev.code {
        KeyCode::Char(' ') => Key::Space,
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::F(n) => Key::F(n),
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Esc,
        KeyCode::Tab => Key::Tab,
        KeyCode::BackTab => Key::BackTab,
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Delete => Key::Delete,
        KeyCode::Insert => Key::Insert,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        _ => return None,
    };
    let shift_folded = matches!(key, Key::Char(_) | Key::BackTab);
    Some(KeyBinding::Key {
        key,
        ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
        alt: ev.modifiers.contains(KeyModifiers::ALT),
        shift: !shift_folded && ev.modifiers.contains(KeyModifiers::SHIFT),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn overrides_rebind_and_unbind() {
        let x: KeyBinding = "x".parse().unwrap();
        let km = Keymap::default().with_overrides([("quit", x), ("help", KeyBinding::Unbound)]);
        assert_eq!(
            km.action(&press(KeyCode::Char('q'), KeyModifiers::NONE)),
            None
        );
        assert_eq!(
            km.action(&press(KeyCode::Char('x'), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        assert_eq!(
            km.action(&press(KeyCode::Char('?'), KeyModifiers::NONE)),
            None
        );
    }

    #[test]
    fn shifted_letters_and_ctrl_keys_match() {
        let km = Keymap::default();
        assert_eq!(
            km.action(&press(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            km.action(&press(KeyCode::Char('z'), KeyModifiers::CONTROL)),
            Some(Action::Suspend)
        );
        assert_eq!(km.keys_for(Action::Quit), vec!["ctrl-c", "q"]);
    }

    #[test]
    fn every_action_name_is_a_config_action() {
        for a in Action::ALL {
            let name = a.name();
            assert!(
                crate::config::UI_ACTIONS.contains(&name),
                "{name} missing from config::UI_ACTIONS"
            );
        }
    }

    #[test]
    fn pane_keys_tab_and_filter_have_defaults() {
        let km = Keymap::default();
        assert_eq!(
            km.action(&press(KeyCode::Char('3'), KeyModifiers::NONE)),
            Some(Action::GoToPane(3))
        );
        assert_eq!(
            km.action(&press(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::PrevPane)
        );
        assert_eq!(
            km.action(&press(KeyCode::Char('d'), KeyModifiers::CONTROL)),
            Some(Action::PageDown)
        );
        assert_eq!(
            km.action(&press(KeyCode::Char('/'), KeyModifiers::NONE)),
            Some(Action::Filter)
        );
    }
}
