//! The `:` command palette: every action valid now (with its key, so the palette also teaches
//! the keys), the panes, and commands with an argument (`team payments`, `service all`,
//! `range 30d`), narrowed fuzzily as you type; Enter runs the highlighted one.

use super::fuzzy;
use super::keymap::Action;
use super::picker::{PopupKey, edit_popup, render_popup};
use super::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Row, Table, TableState};

/// What running an entry does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// The same as pressing the action's key.
    Run(Action),
    /// Scope every pane to a team (`None`: all teams).
    Team(Option<String>),
    Service(Option<String>),
    /// An index into `app::RANGES`.
    Range(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// What the palette shows and matches against, e.g. `team payments`, `sync all sources`.
    pub label: String,
    /// The key bound to it, if any (`:` entries with arguments have none).
    pub key: String,
    pub command: Command,
}

/// What a key did to the palette.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaletteOutcome {
    Open,
    Cancel,
    Run(Command),
    /// Enter with nothing matching: why, for a toast.
    NoMatch(String),
}

#[derive(Debug, Clone)]
pub struct Palette {
    pub input: String,
    /// Index into [`Palette::matches`].
    pub selected: usize,
    entries: Vec<Entry>,
}

impl Palette {
    pub fn new(entries: Vec<Entry>) -> Self {
        Palette {
            input: String::new(),
            selected: 0,
            entries,
        }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entries matching the input, best first.
    pub fn matches(&self) -> Vec<&Entry> {
        fuzzy::rank(&self.input, self.entries.iter().map(|e| e.label.as_str()))
            .into_iter()
            .map(|i| &self.entries[i])
            .collect()
    }

    pub fn handle(&mut self, key: KeyEvent) -> PaletteOutcome {
        // Tab moves down too: the palette lists commands, and Tab is how shells complete them.
        let key = match key.code {
            KeyCode::Tab => KeyEvent::new(KeyCode::Down, key.modifiers),
            _ => key,
        };
        let len = self.matches().len();
        match edit_popup(key, &mut self.input, &mut self.selected, len) {
            PopupKey::Cancel => PaletteOutcome::Cancel,
            PopupKey::Enter => self.enter(),
            PopupKey::Edited => PaletteOutcome::Open,
        }
    }

    fn enter(&self) -> PaletteOutcome {
        // A typed command with an argument that names a choice exactly wins over fuzzy order.
        let typed = self.input.trim().to_lowercase();
        if let Some(e) = self
            .entries
            .iter()
            .find(|e| e.label.to_lowercase() == typed)
        {
            return PaletteOutcome::Run(e.command.clone());
        }
        if let Some(e) = self.matches().get(self.selected) {
            return PaletteOutcome::Run(e.command.clone());
        }
        let word = typed.split_whitespace().next().unwrap_or("");
        let choices: Vec<&str> = self
            .entries
            .iter()
            .filter_map(|e| e.label.strip_prefix(word)?.strip_prefix(' '))
            .collect();
        PaletteOutcome::NoMatch(match (word, choices.is_empty()) {
            ("team" | "service" | "range", false) => {
                format!("no {word} matches `{}`; try {}", self.input.trim(), {
                    let shown: Vec<&str> = choices.iter().take(6).copied().collect();
                    shown.join(", ")
                })
            }
            _ => format!(
                "no command matches `{}`; Backspace edits, Esc closes",
                self.input.trim()
            ),
        })
    }

    /// Draws the palette near the top of `body`.
    pub fn render(&self, f: &mut Frame, body: Rect, theme: Theme) {
        let matches = self.matches();
        let width = 64.min(body.width);
        let height = (matches.len() as u16 + 3).clamp(5, 18).min(body.height);
        let area = Rect {
            x: body.x + (body.width - width) / 2,
            y: body.y + body.height.saturating_sub(height) / 4,
            width,
            height,
        };
        let title = " commands · Enter runs · Esc closes ".to_string();
        let empty = matches.is_empty().then(|| "no command matches".to_string());
        let Some(list_area) = render_popup(f, area, (title, ":", &self.input), empty, theme) else {
            return;
        };
        let rows = matches.iter().map(|e| {
            Row::new(vec![
                Line::styled(e.label.clone(), theme.base()),
                Line::styled(e.key.clone(), theme.accent()).right_aligned(),
            ])
        });
        let table = Table::new(rows, [Constraint::Min(10), Constraint::Length(14)])
            .row_highlight_style(theme.selected())
            .highlight_symbol("› ");
        f.render_stateful_widget(
            table,
            list_area,
            &mut TableState::default().with_selected(Some(self.selected)),
        );
    }
}

/// Cursor moves make no sense from a palette; everything else valid now is offered.
const NOT_IN_PALETTE: [Action; 7] = [
    Action::Up,
    Action::Down,
    Action::Top,
    Action::Bottom,
    Action::PageUp,
    Action::PageDown,
    Action::Command,
];

/// The palette's entries for the app as it stands: its valid actions with their keys, the
/// panes, then the scope commands with every team, service and range as an argument.
pub fn entries_for(app: &super::app::App) -> Vec<Entry> {
    let key = |a: Action| app.keymap.keys_for(a).join(" ");
    let mut entries: Vec<Entry> = app
        .valid_actions()
        .into_iter()
        .filter(|a| !NOT_IN_PALETTE.contains(a))
        .map(|a| Entry {
            label: a.describe().to_string(),
            key: key(a),
            command: Command::Run(a),
        })
        .collect();
    for (n, pane) in app.panes.iter().enumerate() {
        let Ok(n) = u8::try_from(n + 1) else { break };
        let action = Action::GoToPane(n);
        entries.push(Entry {
            label: format!("pane {}", pane.title().to_lowercase()),
            key: key(action),
            command: Command::Run(action),
        });
    }
    let scoped = |noun: &str, names: &[String], wrap: fn(Option<String>) -> Command| {
        std::iter::once(Entry {
            label: format!("{noun} all"),
            key: String::new(),
            command: wrap(None),
        })
        .chain(names.iter().map(move |n| Entry {
            label: format!("{noun} {n}"),
            key: String::new(),
            command: wrap(Some(n.clone())),
        }))
        .collect::<Vec<_>>()
    };
    entries.extend(scoped("team", &app.teams, Command::Team));
    entries.extend(scoped("service", &app.service_choices(), Command::Service));
    entries.extend(
        super::app::RANGES
            .iter()
            .enumerate()
            .map(|(i, days)| Entry {
                label: format!("range {days}d"),
                key: String::new(),
                command: Command::Range(i),
            }),
    );
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn typed(p: &mut Palette, text: &str) {
        for c in text.chars() {
            p.handle(press(KeyCode::Char(c)));
        }
    }

    fn palette() -> Palette {
        let entry = |label: &str, key: &str, command| Entry {
            label: label.into(),
            key: key.into(),
            command,
        };
        Palette::new(vec![
            entry("quit", "q", Command::Run(Action::Quit)),
            entry("sync all sources", "R", Command::Run(Action::Sync)),
            entry("team all", "", Command::Team(None)),
            entry("team payments", "", Command::Team(Some("payments".into()))),
            entry("team platform", "", Command::Team(Some("platform".into()))),
            entry("range 30d", "", Command::Range(1)),
        ])
    }

    #[test]
    fn typing_filters_and_enter_runs_the_best_match() {
        let mut p = palette();
        typed(&mut p, "sync");
        assert_eq!(p.matches()[0].label, "sync all sources");
        assert_eq!(
            p.handle(press(KeyCode::Enter)),
            PaletteOutcome::Run(Command::Run(Action::Sync))
        );
    }

    #[test]
    fn commands_with_arguments_match_exactly_or_fuzzily() {
        let mut p = palette();
        typed(&mut p, "team platform");
        assert_eq!(
            p.handle(press(KeyCode::Enter)),
            PaletteOutcome::Run(Command::Team(Some("platform".into())))
        );
        let mut p = palette();
        typed(&mut p, "range 30d");
        assert_eq!(
            p.handle(press(KeyCode::Enter)),
            PaletteOutcome::Run(Command::Range(1))
        );
        let mut p = palette();
        p.handle(press(KeyCode::Tab));
        assert_eq!(p.selected, 1, "Tab moves down like Down");
        typed(&mut p, "team pay");
        assert_eq!(p.selected, 0, "typing returns to the best match");
        p.handle(press(KeyCode::Down));
        p.handle(press(KeyCode::Up));
        assert_eq!(
            p.handle(press(KeyCode::Enter)),
            PaletteOutcome::Run(Command::Team(Some("payments".into())))
        );
    }

    #[test]
    fn nothing_matching_explains_and_lists_the_choices() {
        let mut p = palette();
        typed(&mut p, "team nosuch");
        let PaletteOutcome::NoMatch(why) = p.handle(press(KeyCode::Enter)) else {
            panic!("nothing matches");
        };
        assert!(
            why.contains("payments") && why.contains("platform"),
            "{why}"
        );
        let mut p = palette();
        typed(&mut p, "zzz");
        assert!(matches!(
            p.handle(press(KeyCode::Enter)),
            PaletteOutcome::NoMatch(w) if w.contains("no command")
        ));
        assert_eq!(p.handle(press(KeyCode::Esc)), PaletteOutcome::Cancel);
    }
}
