//! A list's cursor and its `/` filter, shared by every pane that shows a list, and the drawing
//! of a list as a table.
//!
//! Lists can be long (tens of thousands of follow-ups or incidents on a large team), so the
//! rows matching the filter are computed once per filter and data change, and a frame builds
//! only the rows that fit on screen.

use super::Outcome;
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Block, Row, Table, TableState};
use std::borrow::Cow;
use std::cell::OnceCell;

/// How far Ctrl-d / Ctrl-u move.
const PAGE: usize = 10;

/// The cursor movements every list answers, in the order help lists them.
pub const MOVES: [Action; 6] = [
    Action::Up,
    Action::Down,
    Action::Top,
    Action::Bottom,
    Action::PageDown,
    Action::PageUp,
];

/// Indices of the rows a list shows, borrowed from its cache when they are cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visible<'a>(Cow<'a, [usize]>);

impl Visible<'_> {
    pub fn none() -> Self {
        Visible(Cow::Borrowed(&[]))
    }
}

impl std::ops::Deref for Visible<'_> {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        &self.0
    }
}

impl IntoIterator for Visible<'_> {
    type Item = usize;
    type IntoIter = std::vec::IntoIter<usize>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_owned().into_iter()
    }
}

/// The rows matching a filter, and what they were computed from.
#[derive(Debug, Clone)]
struct Matches {
    filter: String,
    /// The rows' address and length: a different slice is different data, even when a pane
    /// forgot to call [`ListState::invalidate`].
    rows: (usize, usize),
    indices: Vec<usize>,
}

#[derive(Debug, Clone, Default)]
pub struct ListState {
    /// Index into the visible (filtered) rows.
    pub selected: usize,
    pub filter: String,
    matches: OnceCell<Matches>,
    /// The matches before the filter last changed: typing on narrows them instead of the whole
    /// list, since a row matching `abc` also matches `ab`.
    narrowed_from: Option<Matches>,
}

impl PartialEq for ListState {
    fn eq(&self, other: &Self) -> bool {
        self.selected == other.selected && self.filter == other.filter
    }
}

impl Eq for ListState {}

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

    /// The keys every list handles: movements over `len` rows, and Esc clearing the filter.
    /// Anything else is [`Outcome::Ignored`], for the pane to handle.
    pub fn handle(&mut self, action: Action, len: usize) -> Outcome {
        if self.navigate(action, len) {
            return Outcome::Consumed;
        }
        self.clear_on_back(action)
    }

    /// Esc clears the filter when one is set; anything else is [`Outcome::Ignored`].
    pub fn clear_on_back(&mut self, action: Action) -> Outcome {
        if action == Action::Back && !self.filter.is_empty() {
            self.set_filter(String::new());
            return Outcome::Consumed;
        }
        Outcome::Ignored
    }

    /// `keys` followed by Back when a filter is set (Esc clears it).
    pub fn valid_actions(&self, keys: impl IntoIterator<Item = Action>) -> Vec<Action> {
        let mut a: Vec<Action> = keys.into_iter().collect();
        if !self.filter.is_empty() {
            a.push(Action::Back);
        }
        a
    }

    /// Keeps the cursor on a row after the list shrank.
    pub fn clamp(&mut self, len: usize) {
        self.selected = self.selected.min(len.saturating_sub(1));
    }

    pub fn set_filter(&mut self, text: String) {
        if text != self.filter
            && let Some(m) = self.matches.take()
        {
            self.narrowed_from = Some(m);
        }
        self.filter = text;
        self.selected = 0;
    }

    /// Forgets the matches: the rows changed.
    pub fn invalidate(&mut self) {
        self.matches.take();
        self.narrowed_from = None;
    }

    /// True when every word of the filter occurs in `text` (case-insensitive).
    pub fn matches(&self, text: &str) -> bool {
        let words = filter_words(&self.filter);
        words.is_empty() || contains_all(text, &words)
    }

    /// Indices of the rows whose text matches the filter, computed once per filter and rows.
    pub fn visible<T>(&self, rows: &[T], text: impl Fn(&T) -> String) -> Visible<'_> {
        let key = (rows.as_ptr() as usize, rows.len());
        if let Some(m) = self.matches.get() {
            return if m.filter == self.filter && m.rows == key {
                Visible(Cow::Borrowed(&m.indices))
            } else {
                // The filter was written directly or the rows changed under us: still right,
                // only not cached.
                Visible(Cow::Owned(self.compute(rows, key, &text).indices))
            };
        }
        Visible(Cow::Borrowed(
            &self
                .matches
                .get_or_init(|| self.compute(rows, key, &text))
                .indices,
        ))
    }

    fn compute<T>(&self, rows: &[T], key: (usize, usize), text: &impl Fn(&T) -> String) -> Matches {
        let words = filter_words(&self.filter);
        let indices = if words.is_empty() {
            (0..rows.len()).collect()
        } else {
            let keep = |i: &usize| rows.get(*i).is_some_and(|r| contains_all(&text(r), &words));
            match &self.narrowed_from {
                Some(m) if m.rows == key && self.filter.starts_with(&m.filter) => {
                    m.indices.iter().copied().filter(keep).collect()
                }
                _ => (0..rows.len()).filter(keep).collect(),
            }
        };
        Matches {
            filter: self.filter.clone(),
            rows: key,
            indices,
        }
    }
}

fn filter_words(filter: &str) -> Vec<String> {
    filter.split_whitespace().map(str::to_lowercase).collect()
}

fn contains_all(text: &str, words: &[String]) -> bool {
    let text = text.to_lowercase();
    words.iter().all(|w| text.contains(w.as_str()))
}

/// How a list is drawn: its name (the title says how many rows it has and how many match),
/// its columns and, optionally, a header row and a style for the whole table.
pub struct ListTable<'a> {
    pub name: &'a str,
    /// A title of the pane's own instead of the name, count and filter.
    pub title: Option<String>,
    pub total: usize,
    pub widths: Vec<Constraint>,
    pub header: Option<Row<'a>>,
    pub style: Option<Style>,
    /// The highlighted row when it is not the list's cursor (`Some(None)`: none).
    pub highlight: Option<Option<usize>>,
}

impl<'a> ListTable<'a> {
    pub fn new(name: &'a str, total: usize, widths: Vec<Constraint>) -> Self {
        ListTable {
            name,
            title: None,
            total,
            widths,
            header: None,
            style: None,
            highlight: None,
        }
    }

    /// A header row of `labels`, styled as a title.
    pub fn header(mut self, labels: Vec<&'a str>, theme: Theme) -> Self {
        self.header = Some(Row::new(labels).style(theme.title()));
        self
    }

    pub fn title(mut self, title: String) -> Self {
        self.title = Some(title);
        self
    }

    pub fn style(mut self, style: Style) -> Self {
        self.style = Some(style);
        self
    }

    /// Highlights `row` (an index into the items drawn) instead of the list's cursor.
    pub fn highlight(mut self, row: Option<usize>) -> Self {
        self.highlight = Some(row);
        self
    }
}

/// Which of `len` rows are on screen in `height` lines with `selected` highlighted, as
/// ratatui's table scrolls from the top (rows one line high): the window ends at the selected
/// row once it is past the first screen. When nothing fits, the window still holds the
/// selected row, so the table keeps its selection column.
fn window(len: usize, selected: usize, height: usize) -> (usize, usize) {
    if len == 0 {
        return (0, 0);
    }
    let selected = selected.min(len - 1);
    if height == 0 {
        return (selected, selected + 1);
    }
    let end = len.min(height).max(selected + 1);
    (end.saturating_sub(height), end)
}

impl ListState {
    /// Draws `items` (the matching rows) as this list: only the rows on screen are built by
    /// `row`, the selection is highlighted, and the title names the list, its size and the
    /// filter narrowing it.
    pub fn render_list<'r, T>(
        &self,
        f: &mut Frame,
        area: Rect,
        items: &[T],
        row: impl FnMut(&T) -> Row<'r>,
        table: ListTable<'r>,
        theme: Theme,
    ) {
        let selected = table.highlight.unwrap_or(Some(self.selected));
        let title = table.title.unwrap_or_else(|| {
            super::list_title(table.name, items.len(), table.total, &self.filter)
        });
        let block = Block::bordered().title(title).title_style(theme.title());
        let header_height = usize::from(table.header.is_some());
        let height = usize::from(block.inner(area).height).saturating_sub(header_height);
        let (start, end) = match selected {
            Some(s) => window(items.len(), s, height),
            None => (0, items.len().min(height)),
        };
        let rows: Vec<Row> = items[start..end].iter().map(row).collect();
        let mut widget = Table::new(rows, table.widths)
            .row_highlight_style(theme.selected())
            .highlight_symbol("› ")
            .block(block);
        if let Some(header) = table.header {
            widget = widget.header(header);
        }
        if let Some(style) = table.style {
            widget = widget.style(style);
        }
        let selected = selected.map(|s| s.min(items.len().saturating_sub(1)).saturating_sub(start));
        f.render_stateful_widget(
            widget,
            area,
            &mut TableState::default().with_selected(selected),
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
        assert_eq!(*l.visible(&rows, |r| r.to_string()), [0, 2]);
    }

    #[test]
    fn matches_are_cached_until_the_filter_or_the_rows_change() {
        let rows = ["pay-api", "web", "payments"];
        let calls = std::cell::Cell::new(0);
        let text = |r: &&str| {
            calls.set(calls.get() + 1);
            r.to_string()
        };
        let mut l = ListState::default();
        assert_eq!(*l.visible(&rows, text), [0, 1, 2]);
        assert_eq!(calls.get(), 0, "an empty filter reads no row");
        l.set_filter("pay".into());
        assert_eq!(*l.visible(&rows, text), [0, 2]);
        assert_eq!(*l.visible(&rows, text), [0, 2]);
        assert_eq!(calls.get(), 3, "the second call is cached");
        l.set_filter("paym".into());
        assert_eq!(*l.visible(&rows, text), [2]);
        assert_eq!(
            calls.get(),
            5,
            "typing on narrows the previous matches only"
        );
        l.set_filter("web".into());
        assert_eq!(*l.visible(&rows, text), [1]);
        let fewer = ["web", "api"];
        assert_eq!(
            *l.visible(&fewer, text),
            [0],
            "other rows are matched afresh"
        );
        l.invalidate();
        assert_eq!(*l.visible(&fewer, text), [0]);
        l.filter = "api".into();
        assert_eq!(
            *l.visible(&fewer, text),
            [1],
            "a filter written directly still applies"
        );
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

    #[test]
    fn back_clears_the_filter_before_anything_else() {
        let mut l = ListState::default();
        assert_eq!(l.handle(Action::Back, 3), Outcome::Ignored);
        assert_eq!(l.valid_actions([Action::Up]), vec![Action::Up]);
        l.set_filter("x".into());
        assert_eq!(
            l.valid_actions([Action::Up]),
            vec![Action::Up, Action::Back]
        );
        assert_eq!(l.handle(Action::Back, 3), Outcome::Consumed);
        assert!(l.filter.is_empty());
        assert_eq!(l.handle(Action::Bottom, 3), Outcome::Consumed);
        assert_eq!(l.selected, 2);
        assert_eq!(l.handle(Action::DrillDown, 3), Outcome::Ignored);
    }

    #[test]
    fn the_window_scrolls_to_keep_the_selection_at_the_bottom() {
        assert_eq!(window(0, 0, 5), (0, 0));
        assert_eq!(window(3, 1, 5), (0, 3));
        assert_eq!(window(100, 4, 5), (0, 5));
        assert_eq!(window(100, 5, 5), (1, 6));
        assert_eq!(window(100, 99, 5), (95, 100));
        assert_eq!(
            window(100, 500, 5),
            (95, 100),
            "a cursor past the end is clamped"
        );
        assert_eq!(window(100, 7, 0), (7, 8), "no room: the selected row alone");
    }

    /// The window drawn must be exactly what ratatui draws from every row.
    #[test]
    fn drawing_the_window_equals_drawing_every_row() {
        use ratatui::Terminal;
        use ratatui::backend::TestBackend;
        let theme = Theme {
            variant: crate::tui::theme::Variant::Dark,
        };
        let items: Vec<usize> = (0..200).collect();
        for height in [2u16, 3, 4, 5, 12] {
            for selected in [0, 1, 8, 9, 10, 57, 199, 250] {
                let l = ListState {
                    selected,
                    ..ListState::default()
                };
                let draw = |windowed: bool| {
                    let mut term = Terminal::new(TestBackend::new(30, height)).unwrap();
                    term.draw(|f| {
                        let widths = vec![Constraint::Length(6), Constraint::Min(4)];
                        let row = |i: &usize| Row::new([i.to_string(), format!("r{i}")]);
                        if windowed {
                            let t =
                                ListTable::new("Rows", 200, widths).header(vec!["N", "R"], theme);
                            l.render_list(f, f.area(), &items, row, t, theme);
                        } else {
                            let table = Table::new(items.iter().map(row), widths)
                                .header(Row::new(["N", "R"]).style(theme.title()))
                                .row_highlight_style(theme.selected())
                                .highlight_symbol("› ")
                                .block(
                                    Block::bordered()
                                        .title(super::super::list_title("Rows", 200, 200, ""))
                                        .title_style(theme.title()),
                                );
                            f.render_stateful_widget(
                                table,
                                f.area(),
                                &mut TableState::default().with_selected(Some(selected)),
                            );
                        }
                    })
                    .unwrap();
                    term.backend().buffer().clone()
                };
                assert_eq!(
                    draw(true),
                    draw(false),
                    "height {height}, selected {selected}"
                );
            }
        }
    }
}
