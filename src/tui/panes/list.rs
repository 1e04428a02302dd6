//! A list's cursor and its `/` filter, shared by every pane that shows a list.

use crate::tui::keymap::Action;

/// How far Ctrl-d / Ctrl-u move.
const PAGE: usize = 10;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListState {
    /// Index into the visible (filtered) rows.
    pub selected: usize,
    pub filter: String,
}

impl ListState {
    /// Moves the cursor over `len` visible rows; false for actions that are not movements.
    pub fn navigate(&mut self, action: Action, len: usize) -> bool {
        let last = len.saturating_sub(1);
        self.selected = match action {
            Action::Up => self.selected.saturating_sub(1),
            Action::Down => (self.selected + 1).min(last),
            Action::Top => 0,
            Action::Bottom => last,
            Action::PageDown => (self.selected + PAGE).min(last),
            Action::PageUp => self.selected.saturating_sub(PAGE),
            _ => return false,
        };
        true
    }

    /// Keeps the cursor on a row after the list shrank.
    pub fn clamp(&mut self, len: usize) {
        self.selected = self.selected.min(len.saturating_sub(1));
    }

    pub fn set_filter(&mut self, text: String) {
        self.filter = text;
        self.selected = 0;
    }

    /// True when every word of the filter occurs in `text` (case-insensitive).
    pub fn matches(&self, text: &str) -> bool {
        if self.filter.is_empty() {
            return true;
        }
        let text = text.to_lowercase();
        self.filter
            .to_lowercase()
            .split_whitespace()
            .all(|w| text.contains(w))
    }

    /// Indices of the rows whose text matches the filter.
    pub fn visible<T>(&self, rows: &[T], text: impl Fn(&T) -> String) -> Vec<usize> {
        rows.iter()
            .enumerate()
            .filter(|(_, r)| self.matches(&text(r)))
            .map(|(i, _)| i)
            .collect()
    }
}

impl ListState {
    /// Draws `table` as this list: the selection highlighted, and a title with the list's
    /// name, its size and the filter narrowing it.
    pub fn render_table(
        &self,
        f: &mut ratatui::Frame,
        area: ratatui::layout::Rect,
        table: ratatui::widgets::Table<'_>,
        name: &str,
        (shown, total): (usize, usize),
        theme: crate::tui::theme::Theme,
    ) {
        use ratatui::widgets::{Block, TableState};
        let table = table
            .row_highlight_style(theme.selected())
            .highlight_symbol("› ")
            .block(
                Block::bordered()
                    .title(super::list_title(name, shown, total, &self.filter))
                    .title_style(theme.title()),
            );
        f.render_stateful_widget(
            table,
            area,
            &mut TableState::default().with_selected(Some(self.selected)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_words_match_in_any_order_and_case() {
        let mut l = ListState::default();
        l.set_filter("API sev1".into());
        assert!(l.matches("SEV1 checkout-api down"));
        assert!(!l.matches("SEV2 checkout-api down"));
        let rows = ["a-api", "b-web", "c-api"];
        l.set_filter("api".into());
        assert_eq!(l.visible(&rows, |r| r.to_string()), vec![0, 2]);
    }

    #[test]
    fn navigation_stays_in_bounds() {
        let mut l = ListState::default();
        assert!(l.navigate(Action::PageDown, 4));
        assert_eq!(l.selected, 3);
        l.navigate(Action::Down, 4);
        assert_eq!(l.selected, 3);
        l.navigate(Action::PageUp, 4);
        assert_eq!(l.selected, 0);
        assert!(!l.navigate(Action::Quit, 4));
        l.navigate(Action::Down, 0);
        assert_eq!(l.selected, 0);
    }
}
