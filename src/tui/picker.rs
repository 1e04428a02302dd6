//! The team and service pickers: a popup list narrowed as you type (fuzzy), Enter applies the
//! highlighted choice to every pane, Esc leaves the scope as it was.

use super::fuzzy;
use super::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, List, ListItem, ListState, Paragraph};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerKind {
    Team,
    Service,
}

impl PickerKind {
    pub fn noun(self) -> &'static str {
        match self {
            PickerKind::Team => "team",
            PickerKind::Service => "service",
        }
    }

    /// The label of the choice that clears the scope.
    pub fn all_label(self) -> &'static str {
        match self {
            PickerKind::Team => "all teams",
            PickerKind::Service => "all services",
        }
    }
}

/// What a key did to the picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickerOutcome {
    /// Still open.
    Open,
    /// Esc: close without a change.
    Cancel,
    /// Enter on a choice: `None` is "all".
    Pick(Option<String>),
}

#[derive(Debug, Clone)]
pub struct Picker {
    pub kind: PickerKind,
    /// The names to choose from; "all" is offered first, before them.
    choices: Vec<String>,
    pub query: String,
    /// Index into [`Picker::matches`].
    pub selected: usize,
}

impl Picker {
    /// A picker over `choices` with the cursor on `current` (or on "all" when unset).
    pub fn new(kind: PickerKind, choices: Vec<String>, current: Option<&str>) -> Self {
        let mut picker = Picker {
            kind,
            choices,
            query: String::new(),
            selected: 0,
        };
        if let Some(current) = current {
            let entries = picker.entries();
            picker.selected = entries
                .iter()
                .position(|e| e.as_deref() == Some(current))
                .unwrap_or(0);
        }
        picker
    }

    /// Every entry, "all" (`None`) first.
    fn entries(&self) -> Vec<Option<String>> {
        std::iter::once(None)
            .chain(self.choices.iter().cloned().map(Some))
            .collect()
    }

    fn label(&self, entry: &Option<String>) -> String {
        entry
            .clone()
            .unwrap_or_else(|| self.kind.all_label().to_string())
    }

    /// The entries matching the query, best first.
    pub fn matches(&self) -> Vec<Option<String>> {
        let entries = self.entries();
        let labels: Vec<String> = entries.iter().map(|e| self.label(e)).collect();
        fuzzy::rank(&self.query, labels.iter().map(String::as_str))
            .into_iter()
            .map(|i| entries[i].clone())
            .collect()
    }

    pub fn handle(&mut self, key: KeyEvent) -> PickerOutcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let len = self.matches().len();
        match key.code {
            KeyCode::Esc => return PickerOutcome::Cancel,
            KeyCode::Enter => {
                return match self.matches().into_iter().nth(self.selected) {
                    Some(choice) => PickerOutcome::Pick(choice),
                    None => PickerOutcome::Open,
                };
            }
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down => self.selected = (self.selected + 1).min(len.saturating_sub(1)),
            KeyCode::Char('p' | 'k') if ctrl => self.selected = self.selected.saturating_sub(1),
            KeyCode::Char('n' | 'j') if ctrl => {
                self.selected = (self.selected + 1).min(len.saturating_sub(1));
            }
            KeyCode::Char('u') if ctrl => self.set_query(String::new()),
            KeyCode::Backspace => {
                let mut q = self.query.clone();
                q.pop();
                self.set_query(q);
            }
            KeyCode::Char(c) if !ctrl => {
                let q = format!("{}{c}", self.query);
                self.set_query(q);
            }
            _ => {}
        }
        PickerOutcome::Open
    }

    fn set_query(&mut self, query: String) {
        self.query = query;
        self.selected = 0;
    }

    /// Draws the picker as a popup centred in `body`.
    pub fn render(&self, f: &mut Frame, body: Rect, theme: Theme) {
        let matches = self.matches();
        let height = (matches.len() as u16 + 3).clamp(5, 16).min(body.height);
        let width = 40.min(body.width);
        let area = Rect {
            x: body.x + (body.width - width) / 2,
            y: body.y + (body.height - height) / 2,
            width,
            height,
        };
        f.render_widget(Clear, area);
        let block = Block::bordered()
            .title(format!(
                " {} · Enter picks · Esc cancels ",
                self.kind.noun()
            ))
            .title_style(theme.title());
        let inner = block.inner(area);
        f.render_widget(block, area);
        if inner.height == 0 {
            return;
        }
        let input = Line::from(vec![
            Span::styled("> ", theme.accent()),
            Span::styled(format!("{}▏", self.query), theme.base()),
        ]);
        f.render_widget(Paragraph::new(input), Rect { height: 1, ..inner });
        let list_area = Rect {
            y: inner.y + 1,
            height: inner.height - 1,
            ..inner
        };
        if matches.is_empty() {
            f.render_widget(
                Paragraph::new(Line::styled(
                    format!("no {} matches", self.kind.noun()),
                    theme.muted(),
                )),
                list_area,
            );
            return;
        }
        let items: Vec<ListItem> = matches
            .iter()
            .map(|m| ListItem::new(self.label(m)))
            .collect();
        let list = List::new(items)
            .highlight_style(theme.selected())
            .highlight_symbol("› ");
        f.render_stateful_widget(
            list,
            list_area,
            &mut ListState::default().with_selected(Some(self.selected)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn teams() -> Vec<String> {
        ["billing-legacy", "payments", "platform", "search"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn typing_narrows_and_enter_picks_the_best_match() {
        let mut p = Picker::new(PickerKind::Team, teams(), None);
        assert_eq!(p.matches().len(), 5);
        for c in "plat".chars() {
            assert_eq!(p.handle(press(KeyCode::Char(c))), PickerOutcome::Open);
        }
        assert_eq!(p.matches(), vec![Some("platform".to_string())]);
        assert_eq!(
            p.handle(press(KeyCode::Enter)),
            PickerOutcome::Pick(Some("platform".into()))
        );
    }

    #[test]
    fn all_comes_first_and_the_cursor_starts_on_the_current_choice() {
        let p = Picker::new(PickerKind::Team, teams(), Some("search"));
        assert_eq!(p.matches()[0], None);
        assert_eq!(p.selected, 4);
        let mut p = Picker::new(PickerKind::Team, teams(), None);
        assert_eq!(p.handle(press(KeyCode::Enter)), PickerOutcome::Pick(None));
        p.handle(press(KeyCode::Down));
        p.handle(press(KeyCode::Down));
        assert_eq!(
            p.handle(press(KeyCode::Enter)),
            PickerOutcome::Pick(Some("payments".into()))
        );
    }

    #[test]
    fn no_match_keeps_it_open_and_esc_cancels() {
        let mut p = Picker::new(PickerKind::Service, teams(), None);
        for c in "zzz".chars() {
            p.handle(press(KeyCode::Char(c)));
        }
        assert!(p.matches().is_empty());
        assert_eq!(p.handle(press(KeyCode::Enter)), PickerOutcome::Open);
        p.handle(press(KeyCode::Backspace));
        assert_eq!(p.query, "zz");
        assert_eq!(p.handle(press(KeyCode::Esc)), PickerOutcome::Cancel);
    }
}
