//! Retro: pick a sprint on the left (the last finished one is shown first), read its prep on
//! the right, and drill from any number to the items, incidents or follow-ups behind it.
//! Enter goes one level deeper (sprints → numbers → rows), Esc one level back; `e` writes the
//! prep as Markdown next to the database (`retros/<sprint>.md`).

use super::Outcome;
use super::list::{ListState, ListTable, Visible};
pub use super::retro_facts::{FACTS, fact_rows, fact_value};
use super::units::{fmt_day, truncate};
use crate::metrics::retro::{PromptKind, RetroPrep};
use crate::tui::app::App;
use crate::tui::data::Query;
use crate::tui::data_planning::RetroData;
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Wrap};
use std::path::PathBuf;

/// Which list the keys move.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Focus {
    #[default]
    Sprints,
    Numbers,
    /// The rows behind the number selected in `Numbers`.
    Rows,
}

#[derive(Debug, Default)]
pub struct RetroState {
    pub data: Option<RetroData>,
    pub focus: Focus,
    pub sprints: ListState,
    pub numbers: ListState,
    pub rows: ListState,
    /// The last export: the file written, or why it failed.
    pub export: Option<Result<PathBuf, String>>,
}

impl RetroState {
    pub fn accept(&mut self, data: RetroData) {
        // The cursor follows the sprint whose prep arrived (the default one on first load).
        if let Some(id) = data.prep.as_ref().map(|p| p.sprint.id) {
            self.sprints.set_filter(String::new());
            self.sprints.selected = data.sprints.iter().position(|s| s.id == id).unwrap_or(0);
        }
        self.data = Some(data);
        if self.focus == Focus::Rows {
            self.focus = Focus::Numbers;
        }
        self.rows = ListState::default();
        self.sprints.invalidate();
        let n = self.visible_sprints().len();
        self.sprints.clamp(n);
    }

    pub fn exported(&mut self, result: Result<PathBuf, String>) {
        self.export = Some(result);
    }

    pub fn prep(&self) -> Option<&RetroPrep> {
        self.data.as_ref()?.prep.as_deref()
    }

    /// The sprint whose prep is shown.
    pub fn chosen(&self) -> Option<i64> {
        self.prep().map(|p| p.sprint.id)
    }

    /// The sprint to keep when the pane reloads for `team`: the one shown, unless it belongs
    /// to another team (then the team's last finished sprint is shown instead).
    pub fn chosen_for(&self, team: Option<&str>) -> Option<i64> {
        let p = self.prep()?;
        team.is_none_or(|t| p.sprint.team.as_deref() == Some(t))
            .then_some(p.sprint.id)
    }

    pub fn visible_sprints(&self) -> Visible<'_> {
        let Some(d) = &self.data else {
            return Visible::none();
        };
        self.sprints.visible(&d.sprints, |s| {
            format!("{} {} {}", s.name, s.team.as_deref().unwrap_or(""), s.state)
        })
    }

    /// The rows behind the selected number that match the filter: built afresh on each call
    /// (a few dozen at most), so not cached.
    pub fn visible_rows(&self) -> Vec<usize> {
        match self.prep() {
            Some(p) => {
                let (_, rows) = fact_rows(p, self.numbers.selected);
                let shown = rows.iter().map(|r| self.rows.matches(&r.join(" ")));
                shown
                    .enumerate()
                    .filter(|(_, m)| *m)
                    .map(|(i, _)| i)
                    .collect()
            }
            None => vec![],
        }
    }

    /// The list `/` filters: the sprints or the rows of a number.
    pub fn list(&self) -> Option<&ListState> {
        match self.focus {
            Focus::Sprints => Some(&self.sprints),
            Focus::Rows => Some(&self.rows),
            Focus::Numbers => None,
        }
    }

    pub fn list_mut(&mut self) -> Option<&mut ListState> {
        match self.focus {
            Focus::Sprints => Some(&mut self.sprints),
            Focus::Rows => Some(&mut self.rows),
            Focus::Numbers => None,
        }
    }

    fn selected_sprint(&self) -> Option<i64> {
        let d = self.data.as_ref()?;
        let i = *self.visible_sprints().get(self.sprints.selected)?;
        d.sprints.get(i).map(|s| s.id)
    }

    pub fn handle(&mut self, action: Action) -> Outcome {
        let len = match self.focus {
            Focus::Sprints => self.visible_sprints().len(),
            Focus::Numbers => FACTS.len(),
            Focus::Rows => self.visible_rows().len(),
        };
        let list = match self.focus {
            Focus::Sprints => &mut self.sprints,
            Focus::Numbers => &mut self.numbers,
            Focus::Rows => &mut self.rows,
        };
        if list.navigate(action, len) {
            return Outcome::Consumed;
        }
        match action {
            Action::DrillDown => match self.focus {
                Focus::Sprints => {
                    let Some(id) = self.selected_sprint() else {
                        return Outcome::Consumed;
                    };
                    self.focus = Focus::Numbers;
                    if self.chosen() == Some(id) {
                        Outcome::Consumed
                    } else {
                        self.export = None;
                        Outcome::Load(Query::Retro(Some(id)))
                    }
                }
                Focus::Numbers if self.prep().is_some() => {
                    self.focus = Focus::Rows;
                    self.rows = ListState::default();
                    Outcome::Consumed
                }
                _ => Outcome::Consumed,
            },
            Action::Back => {
                if let Some(l) = self.list_mut().filter(|l| !l.filter.is_empty()) {
                    l.set_filter(String::new());
                    return Outcome::Consumed;
                }
                match self.focus {
                    Focus::Rows => self.focus = Focus::Numbers,
                    Focus::Numbers => self.focus = Focus::Sprints,
                    Focus::Sprints => return Outcome::Ignored,
                }
                Outcome::Consumed
            }
            Action::Export => match self.chosen() {
                Some(id) => Outcome::Load(Query::RetroExport(id)),
                None => Outcome::Consumed,
            },
            _ => Outcome::Ignored,
        }
    }

    pub fn valid_actions(&self) -> Vec<Action> {
        let mut a = vec![
            Action::Up,
            Action::Down,
            Action::Top,
            Action::Bottom,
            Action::PageDown,
            Action::PageUp,
            Action::DrillDown,
        ];
        if self.focus != Focus::Sprints || self.list().is_some_and(|l| !l.filter.is_empty()) {
            a.push(Action::Back);
        }
        if self.chosen().is_some() {
            a.push(Action::Export);
        }
        a
    }
}

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let state = &app.retro;
    let Some(data) = &state.data else {
        super::placeholder(f, area, app, theme);
        return;
    };
    let side = if area.width >= 110 { 34 } else { 22 };
    let [left, right] =
        Layout::horizontal([Constraint::Length(side), Constraint::Min(20)]).areas(area);
    render_sprints(f, left, state, data, theme);
    let Some(prep) = &data.prep else {
        f.render_widget(
            Paragraph::new(Line::styled(
                " No sprint to prepare: sync a Jira board or import sprints (plumb import).",
                theme.muted(),
            ))
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(" Retro prep ")),
            right,
        );
        return;
    };
    let [info, body] = Layout::vertical([Constraint::Length(2), Constraint::Min(4)]).areas(right);
    render_info(f, info, state, prep, theme);
    if state.focus == Focus::Rows {
        render_rows(f, body, state, prep, theme);
        return;
    }
    let facts_height = FACTS.len() as u16 + 2;
    let [facts, prompts] =
        Layout::vertical([Constraint::Length(facts_height), Constraint::Min(0)]).areas(body);
    render_facts(f, facts, state, prep, theme);
    render_prompts(f, prompts, prep, theme);
}

fn render_sprints(f: &mut Frame, area: Rect, state: &RetroState, data: &RetroData, theme: Theme) {
    let visible = state.visible_sprints();
    let wide = area.width >= 30;
    let chosen = state.chosen();
    let row = |i: &usize| {
        let Some(s) = data.sprints.get(*i) else {
            return Row::default();
        };
        let mark = if Some(s.id) == chosen { "●" } else { " " };
        // Running and planned sprints are marked, never told apart by colour alone.
        let (name, style) = match s.state.as_str() {
            "active" => (format!("{} ▶", s.name), theme.accent()),
            "future" => (format!("{} …", s.name), theme.muted()),
            _ => (s.name.clone(), theme.base()),
        };
        let mut cells = vec![
            Cell::from(Span::styled(mark, theme.accent())),
            Cell::from(Span::styled(
                truncate(&name, if wide { 20 } else { 16 }),
                style,
            )),
        ];
        if wide {
            cells.push(Cell::from(Span::styled(
                s.start_at.format("%m-%d").to_string(),
                theme.muted(),
            )));
        }
        Row::new(cells)
    };
    let mut widths = vec![Constraint::Length(1), Constraint::Min(8)];
    if wide {
        widths.push(Constraint::Length(5));
    }
    let mut table = ListTable::new("Sprints", data.sprints.len(), widths);
    if state.focus != Focus::Sprints {
        table = table.style(theme.muted());
    }
    state
        .sprints
        .render_list(f, area, &visible, row, table, theme);
}

fn render_info(f: &mut Frame, area: Rect, state: &RetroState, p: &RetroPrep, theme: Theme) {
    let s = &p.sprint;
    let mut first = vec![
        Span::styled(format!(" {}", s.name), theme.title()),
        Span::raw(format!(
            " · {} → {} · {}",
            fmt_day(Some(s.start_at)),
            fmt_day(Some(s.close_at)),
            s.state
        )),
        Span::styled(
            format!(" · {} v{}", p.definition.metric, p.definition.version),
            theme.muted(),
        ),
    ];
    if let Some(team) = &s.team {
        first.insert(1, Span::raw(format!(" · {team}")));
    }
    let second = match &state.export {
        Some(Ok(path)) => Line::styled(format!(" ✓ exported to {}", path.display()), theme.ok()),
        Some(Err(e)) => Line::styled(format!(" ✗ export failed: {e}"), theme.breach()),
        None => Line::styled(
            format!(" Goal: {}", s.goal.as_deref().unwrap_or("–")),
            theme.base(),
        ),
    };
    f.render_widget(Paragraph::new(vec![Line::from(first), second]), area);
}

fn render_facts(f: &mut Frame, area: Rect, state: &RetroState, p: &RetroPrep, theme: Theme) {
    let row = |i: &usize| {
        let i = *i;
        let value = fact_value(p, i);
        let style = match i {
            4 if !p.carried_over.items.is_empty() => theme.warn(),
            12 | 13 if value != "0" => theme.warn(),
            7 if p
                .incidents
                .iter()
                .any(|x| x.severity == "SEV1" || x.severity == "SEV2") =>
            {
                theme.breach()
            }
            _ => theme.base(),
        };
        Row::new(vec![
            Cell::from(FACTS[i]),
            Cell::from(Span::styled(value, style)),
        ])
    };
    let facts: Vec<usize> = (0..FACTS.len()).collect();
    let widths = vec![Constraint::Length(21), Constraint::Min(10)];
    if state.focus == Focus::Numbers {
        let table = ListTable::new("Numbers · Enter lists the rows", FACTS.len(), widths);
        state
            .numbers
            .render_list(f, area, &facts, row, table, theme);
    } else {
        // No cursor on the numbers until Enter moves there.
        f.render_widget(
            Table::new(facts.iter().map(row), widths).block(
                Block::bordered()
                    .title(" Numbers ")
                    .title_style(theme.title()),
            ),
            area,
        );
    }
}

fn render_prompts(f: &mut Frame, area: Rect, p: &RetroPrep, theme: Theme) {
    if area.height < 3 {
        return;
    }
    let lines: Vec<Line> = if p.prompts.is_empty() {
        vec![Line::styled(
            " Nothing in the numbers stands out.",
            theme.muted(),
        )]
    } else {
        p.prompts
            .iter()
            .map(|pr| {
                let (glyph, style) = match pr.kind {
                    PromptKind::Start => ("▲", theme.accent()),
                    PromptKind::Stop => ("✗", theme.warn()),
                    PromptKind::Continue => ("✓", theme.ok()),
                };
                Line::from(vec![
                    Span::styled(format!("{glyph} {} ", pr.kind.label()), style),
                    Span::raw(pr.text.clone()),
                ])
            })
            .collect()
    };
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(
            Block::bordered()
                .title(" Start · Stop · Continue ")
                .title_style(theme.title()),
        ),
        area,
    );
}

fn render_rows(f: &mut Frame, area: Rect, state: &RetroState, p: &RetroPrep, theme: Theme) {
    let fact = state.numbers.selected.min(FACTS.len() - 1);
    let (header, rows) = fact_rows(p, fact);
    let visible = state.visible_rows();
    let title_width = usize::from(area.width.saturating_sub(44)).max(12);
    let row = |i: &usize| {
        let Some(r) = rows.get(*i) else {
            return Row::default();
        };
        Row::new(
            r.iter()
                .enumerate()
                .map(|(k, c)| {
                    if k == 1 {
                        Cell::from(truncate(c, title_width))
                    } else {
                        Cell::from(c.clone())
                    }
                })
                .collect::<Vec<_>>(),
        )
    };
    let widths = vec![
        Constraint::Length(10),
        Constraint::Min(12),
        Constraint::Length(12),
        Constraint::Length(8),
        Constraint::Length(11),
    ];
    let table = ListTable::new(FACTS[fact], rows.len(), widths).header(header.to_vec(), theme);
    state.rows.render_list(f, area, &visible, row, table, theme);
}
