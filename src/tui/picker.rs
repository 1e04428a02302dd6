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

/// What a key did to a popup list's query and cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PopupKey {
    /// Esc.
    Cancel,
    /// Enter: the caller runs or picks the highlighted match.
    Enter,
    /// The query or the cursor changed, or the key meant nothing here.
    Edited,
}

/// The keys every popup list (the pickers and the `:` palette) shares: Up/Down and
/// Ctrl-p/k/n/j move over `len` matches, Ctrl-u clears the query, Backspace and characters
/// edit it. An edited query puts the cursor back on the best match.
pub fn edit_popup(key: KeyEvent, query: &mut String, selected: &mut usize, len: usize) -> PopupKey {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let down = |s: usize| (s + 1).min(len.saturating_sub(1));
    let edited = match key.code {
        KeyCode::Esc => return PopupKey::Cancel,
        KeyCode::Enter => return PopupKey::Enter,
        KeyCode::Up => {
            *selected = selected.saturating_sub(1);
            false
        }
        KeyCode::Down => {
            *selected = down(*selected);
            false
        }
        KeyCode::Char('p' | 'k') if ctrl => {
            *selected = selected.saturating_sub(1);
            false
        }
        KeyCode::Char('n' | 'j') if ctrl => {
            *selected = down(*selected);
            false
        }
        KeyCode::Char('u') if ctrl => {
            query.clear();
            true
        }
        KeyCode::Backspace => {
            query.pop();
            true
        }
        KeyCode::Char(c) if !ctrl => {
            query.push(c);
            true
        }
        _ => false,
    };
    if edited {
        *selected = 0;
    }
    PopupKey::Edited
}

/// Draws a popup list's frame in `area`: cleared, bordered with `title`, and the query after
/// `prompt` on the first line. Returns the area left for the matches, or `None` when there is
/// no room or nothing matches (`empty` then says so in that area).
pub fn render_popup(
    f: &mut Frame,
    area: Rect,
    (title, prompt, query): (String, &str, &str),
    empty: Option<String>,
    theme: Theme,
) -> Option<Rect> {
    f.render_widget(Clear, area);
    let block = Block::bordered().title(title).title_style(theme.title());
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.height == 0 {
        return None;
    }
    let input = Line::from(vec![
        Span::styled(prompt.to_string(), theme.accent()),
        Span::styled(format!("{query}▏"), theme.base()),
    ]);
    f.render_widget(Paragraph::new(input), Rect { height: 1, ..inner });
    let list_area = Rect {
        y: inner.y + 1,
        height: inner.height - 1,
        ..inner
    };
    match empty {
        Some(text) => {
            f.render_widget(Paragraph::new(Line::styled(text, theme.muted())), list_area);
            None
        }
        None => Some(list_area),
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
        let len = self.matches().len();
        match edit_popup(key, &mut self.query, &mut self.selected, len) {
            PopupKey::Cancel => PickerOutcome::Cancel,
            PopupKey::Enter => match self.matches().into_iter().nth(self.selected) {
                Some(choice) => PickerOutcome::Pick(choice),
                None => PickerOutcome::Open,
            },
            PopupKey::Edited => PickerOutcome::Open,
        }
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
        let title = format!(" {} · Enter picks · Esc cancels ", self.kind.noun());
        let empty = matches
            .is_empty()
            .then(|| format!("no {} matches", self.kind.noun()));
        let Some(list_area) = render_popup(f, area, (title, "> ", &self.query), empty, theme)
        else {
            return;
        };
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
    fn popup_keys_move_over_the_matches_and_editing_returns_to_the_best() {
        let ctrl = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
        let (mut query, mut selected) = (String::from("pa"), 0);
        let mut key = |k| edit_popup(k, &mut query, &mut selected, 3);
        assert_eq!(key(press(KeyCode::Down)), PopupKey::Edited);
        key(ctrl('n'));
        key(ctrl('j'));
        assert_eq!(selected, 2, "the cursor stops on the last match");
        let mut key = |k| edit_popup(k, &mut query, &mut selected, 3);
        key(ctrl('k'));
        assert_eq!(selected, 1);
        let mut key = |k| edit_popup(k, &mut query, &mut selected, 3);
        key(press(KeyCode::Char('y')));
        assert_eq!((query.as_str(), selected), ("pay", 0));
        let mut key = |k| edit_popup(k, &mut query, &mut selected, 3);
        key(press(KeyCode::Down));
        key(press(KeyCode::Backspace));
        assert_eq!((query.as_str(), selected), ("pa", 0));
        let mut key = |k| edit_popup(k, &mut query, &mut selected, 3);
        key(ctrl('u'));
        assert!(query.is_empty());
        assert_eq!(
            edit_popup(press(KeyCode::Enter), &mut query, &mut selected, 3),
            PopupKey::Enter
        );
        assert_eq!(
            edit_popup(press(KeyCode::Esc), &mut query, &mut selected, 3),
            PopupKey::Cancel
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
