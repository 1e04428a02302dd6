//! The `:` command palette: every action valid now (with its key, so the palette also teaches
//! the keys), the panes, and commands with an argument (`team payments`, `service all`,
//! `range 30d`), narrowed fuzzily as you type; Enter runs the highlighted one. A command that
//! cannot run leaves the palette open with the reason in it, until the next edit.

use super::app::{MAX_RANGE_DAYS, RANGES};
use super::fuzzy;
use super::keymap::Action;
use super::picker::{PopupKey, edit_popup, render_popup};
use super::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState, Wrap};

/// What running an entry does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// The same as pressing the action's key.
    Run(Action),
    /// Scope every pane to a team (`None`: all teams).
    Team(Option<String>),
    Service(Option<String>),
    /// A range in days back from now.
    Range(i64),
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
}

#[derive(Debug, Clone)]
pub struct Palette {
    pub input: String,
    /// Index into [`Palette::matches`].
    pub selected: usize,
    /// Why the last Enter ran nothing, shown in the palette until the input changes.
    pub error: Option<String>,
    entries: Vec<Entry>,
}

impl Palette {
    pub fn new(entries: Vec<Entry>) -> Self {
        Palette {
            input: String::new(),
            selected: 0,
            error: None,
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
        let before = self.input.clone();
        match edit_popup(key, &mut self.input, &mut self.selected, len) {
            PopupKey::Cancel => PaletteOutcome::Cancel,
            PopupKey::Enter => match self.enter() {
                Ok(command) => PaletteOutcome::Run(command),
                Err(why) => {
                    self.error = Some(why);
                    PaletteOutcome::Open
                }
            },
            PopupKey::Edited => {
                if self.input != before {
                    self.error = None;
                }
                PaletteOutcome::Open
            }
        }
    }

    /// What Enter would do with input no entry matches: a typed range is read as Enter reads it,
    /// so `range 14d` says it will run rather than "no command matches".
    fn typed_hint(&self) -> String {
        let typed = self.input.trim().to_lowercase();
        match typed
            .strip_prefix("range ")
            .map(|a| range_command(a.trim()))
        {
            Some(Ok(Command::Range(days))) => format!("Enter shows the last {days} days"),
            Some(Err(why)) => why,
            _ => "no command matches".to_string(),
        }
    }

    fn enter(&self) -> Result<Command, String> {
        let typed = self.input.trim().to_lowercase();
        // A range is read as the CLI reads a span, never fuzzily: `range 3d` must not run the
        // nearest-looking `range 30d`.
        if let Some(arg) = typed.strip_prefix("range ") {
            return range_command(arg.trim());
        }
        // A typed command with an argument that names a choice exactly wins over fuzzy order.
        if let Some(e) = self
            .entries
            .iter()
            .find(|e| e.label.to_lowercase() == typed)
        {
            return Ok(e.command.clone());
        }
        if let Some(e) = self.matches().get(self.selected) {
            return Ok(e.command.clone());
        }
        let word = typed.split_whitespace().next().unwrap_or("");
        let choices: Vec<&str> = self
            .entries
            .iter()
            .filter_map(|e| e.label.strip_prefix(word)?.strip_prefix(' '))
            .collect();
        Err(match (word, choices.is_empty()) {
            ("team" | "service", false) => {
                let name = typed.strip_prefix(word).unwrap_or(&typed).trim();
                format!("no {word} matches `{name}`; try {}", {
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

    /// Draws the palette near the top of `body`, with the reason the last command did not run
    /// under the list.
    pub fn render(&self, f: &mut Frame, body: Rect, theme: Theme) {
        let matches = self.matches();
        let width = 64.min(body.width);
        let error = self.error.as_ref().map(|e| {
            let text = format!("✗ {e}");
            let lines = wrapped_lines(&text, usize::from(width.saturating_sub(2)));
            (text, lines.clamp(1, 4) as u16)
        });
        let error_height = error.as_ref().map_or(0, |(_, n)| n + 1);
        let height = (matches.len() as u16 + 3 + error_height)
            .clamp(5 + error_height, 18 + error_height)
            .min(body.height);
        let area = Rect {
            x: body.x + (body.width - width) / 2,
            y: body.y + body.height.saturating_sub(height) / 4,
            width,
            height,
        };
        let title = " commands · Enter runs · Esc closes ".to_string();
        // With a reason on show, it says more than "no command matches" would.
        let empty = matches.is_empty().then(|| match error {
            Some(_) => String::new(),
            None => self.typed_hint(),
        });
        let Some(mut list_area) = render_popup(f, area, (title, ":", &self.input), empty, theme)
        else {
            if let Some((text, _)) = &error {
                // Nothing matches: the popup wrote that under the input; the reason goes below.
                let inner = Block::bordered().inner(area);
                let below = Rect {
                    y: inner.y + 2,
                    height: inner.height.saturating_sub(2),
                    ..inner
                };
                render_error(f, below, text, theme);
            }
            return;
        };
        if let Some((text, lines)) = &error {
            let keep = list_area.height.saturating_sub(lines + 1);
            render_error(
                f,
                Rect {
                    y: list_area.y + keep + 1,
                    height: list_area.height.saturating_sub(keep + 1),
                    ..list_area
                },
                text,
                theme,
            );
            list_area.height = keep;
        }
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

/// How many lines `text` takes wrapped at word boundaries in `width` columns.
fn wrapped_lines(text: &str, width: usize) -> usize {
    let width = width.max(1);
    let (mut lines, mut column) = (1, 0);
    for word in text.split(' ') {
        let w = word.chars().count();
        if column > 0 && column + 1 + w > width {
            lines += 1;
            column = w;
        } else {
            column += w + usize::from(column > 0);
        }
    }
    lines
}

fn render_error(f: &mut Frame, area: Rect, text: &str, theme: Theme) {
    f.render_widget(
        Paragraph::new(Line::styled(text.to_string(), theme.breach())).wrap(Wrap { trim: true }),
        area,
    );
}

/// `range 14d`, `range 2w` or `range 30` (days), read as the CLI reads a `--since` span, to one
/// of the ranges the `[` and `]` keys step through.
fn range_command(arg: &str) -> Result<Command, String> {
    let ranges = || {
        RANGES
            .iter()
            .map(|d| format!("{d}d"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let split = arg.find(|c: char| !c.is_ascii_digit()).unwrap_or(arg.len());
    let (number, unit) = arg.split_at(split);
    let n: i64 = number.parse().map_err(|_| {
        format!(
            "`range {arg}` is not a range; write a number of days or weeks such as 30d or 4w \
             (the ranges are {})",
            ranges()
        )
    })?;
    let days = match unit {
        "" | "d" => n,
        "w" => n.saturating_mul(7),
        _ => {
            return Err(format!(
                "`range {arg}`: unknown unit `{unit}`; use d or w (30d, 4w)"
            ));
        }
    };
    if (1..=MAX_RANGE_DAYS).contains(&days) {
        Ok(Command::Range(days))
    } else {
        Err(format!(
            "`range {arg}`: a range is 1 to {MAX_RANGE_DAYS} days ([ and ] step through {})",
            ranges()
        ))
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
    entries.extend(RANGES.iter().map(|days| Entry {
        label: format!("range {days}d"),
        key: String::new(),
        command: Command::Range(*days),
    }));
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
            entry("range 30d", "", Command::Range(30)),
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
            PaletteOutcome::Run(Command::Range(30))
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
    fn nothing_matching_stays_open_with_the_reason_until_an_edit() {
        let mut p = palette();
        typed(&mut p, "team nosuch");
        assert_eq!(p.handle(press(KeyCode::Enter)), PaletteOutcome::Open);
        let why = p.error.clone().expect("the reason is kept");
        assert!(
            why.contains("payments") && why.contains("platform"),
            "{why}"
        );
        p.handle(press(KeyCode::Down));
        assert!(p.error.is_some(), "moving the cursor keeps the reason");
        p.handle(press(KeyCode::Backspace));
        assert_eq!(p.error, None, "editing clears it");
        let mut p = palette();
        typed(&mut p, "zzz");
        assert_eq!(p.handle(press(KeyCode::Enter)), PaletteOutcome::Open);
        assert!(p.error.as_deref().is_some_and(|w| w.contains("no command")));
        assert_eq!(p.handle(press(KeyCode::Esc)), PaletteOutcome::Cancel);
    }

    #[test]
    fn ranges_are_read_as_spans_in_days_or_weeks() {
        let run = |text: &str| {
            let mut p = palette();
            typed(&mut p, text);
            (p.handle(press(KeyCode::Enter)), p.error)
        };
        for (text, days) in [
            ("range 30d", 30),
            ("range 30", 30),
            ("range 1w", 7),
            ("RANGE 7D", 7),
            ("range  90d ", 90),
            ("range 2w", 14),
            ("range 3d", 3),
        ] {
            assert_eq!(
                run(text).0,
                PaletteOutcome::Run(Command::Range(days)),
                "not fuzzily: {text}"
            );
        }
        for text in ["range 0d", "range 3651d", "range 99999999999999999999"] {
            let (outcome, why) = run(text);
            assert_eq!(outcome, PaletteOutcome::Open, "{text}");
            let why = why.unwrap();
            assert!(
                why.contains("is not a range") || why.contains("1 to 3650 days"),
                "{text}: {why}"
            );
        }
        let (_, why) = run("range 3x");
        assert!(why.unwrap().contains("unknown unit `x`"));
        let (_, why) = run("range soon");
        assert!(why.unwrap().contains("is not a range"));
    }

    #[test]
    fn unmatched_input_says_what_enter_would_do() {
        let hint = |text: &str| {
            let mut p = palette();
            typed(&mut p, text);
            (p.matches().is_empty(), p.typed_hint())
        };
        assert_eq!(
            hint("range 14d"),
            (true, "Enter shows the last 14 days".into())
        );
        let (_, why) = hint("range 0d");
        assert!(why.contains("1 to 3650 days"), "{why}");
        assert_eq!(hint("zzz"), (true, "no command matches".into()));
        // An unknown team is named by itself, not by the whole command.
        let mut p = palette();
        typed(&mut p, "team nope");
        p.handle(press(KeyCode::Enter));
        let why = p.error.unwrap();
        assert!(why.starts_with("no team matches `nope`; try"), "{why}");
    }

    #[test]
    fn reasons_wrap_at_words() {
        assert_eq!(wrapped_lines("abc def", 7), 1);
        assert_eq!(wrapped_lines("abc def", 6), 2);
        assert_eq!(wrapped_lines("abcd efgh ijkl", 9), 2);
        assert_eq!(wrapped_lines("", 5), 1);
    }

    #[test]
    fn the_reason_shows_in_the_palette() {
        use ratatui::Terminal;
        use ratatui::backend::TestBackend;
        let theme = Theme {
            variant: crate::tui::theme::Variant::Dark,
        };
        for text in ["range 0d", "zzz"] {
            let mut p = palette();
            typed(&mut p, text);
            p.handle(press(KeyCode::Enter));
            let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
            term.draw(|f| p.render(f, Rect::new(0, 1, 80, 22), theme))
                .unwrap();
            let buf = term.backend().buffer();
            let screen: String = (0..24)
                .map(|y| (0..80).map(|x| buf[(x, y)].symbol()).collect::<String>())
                .collect::<Vec<_>>()
                .join("\n");
            let first = p
                .error
                .as_deref()
                .unwrap()
                .split(' ')
                .take(3)
                .collect::<Vec<_>>();
            assert!(
                screen.contains(&format!("✗ {}", first.join(" "))),
                "{screen}"
            );
        }
    }
}
