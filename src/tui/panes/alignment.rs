//! Alignment: objectives and their key results with progress (live for key results bound to a
//! metric), the roadmap milestones with their delivered share, and how much of the work
//! resolved in the range is linked to the roadmap (an epic or a milestone) by category.

use super::Outcome;
use super::list::{ListState, ListTable, MOVES};
use super::units::{fmt_day, fmt_pct, truncate};
use crate::tui::app::App;
use crate::tui::data_planning::{AlignmentData, KeyResultRow};
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};

/// One line of the objectives list: an objective, or one of its key results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListLine {
    Objective(usize),
    KeyResult(usize, usize),
}

#[derive(Debug, Default)]
pub struct AlignmentState {
    pub data: Option<AlignmentData>,
    pub list: ListState,
}

fn value(v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(v) if v.abs() >= 100.0 => format!("{v:.0}"),
        Some(v) => format!("{v:.1}"),
    }
}

/// A bar of `cells` cells for `progress` (0 to 1; past the target fills it).
fn bar(progress: Option<f64>, cells: usize) -> String {
    match progress {
        None => " ".repeat(cells),
        Some(p) => {
            let filled = (p.clamp(0.0, 1.0) * cells as f64).round() as usize;
            format!("{}{}", "█".repeat(filled), "░".repeat(cells - filled))
        }
    }
}

impl AlignmentState {
    pub fn accept(&mut self, data: AlignmentData) {
        self.data = Some(data);
        let n = self.visible().len();
        self.list.clamp(n);
    }

    /// Every line of the list, objectives followed by their key results.
    pub fn lines(&self) -> Vec<ListLine> {
        let Some(d) = &self.data else { return vec![] };
        let mut out = Vec::new();
        for (i, o) in d.objectives.iter().enumerate() {
            out.push(ListLine::Objective(i));
            out.extend((0..o.key_results.len()).map(|k| ListLine::KeyResult(i, k)));
        }
        out
    }

    /// Lines matching the filter; a key result matches through its objective too.
    pub fn visible(&self) -> Vec<ListLine> {
        let Some(d) = &self.data else { return vec![] };
        self.lines()
            .into_iter()
            .filter(|l| {
                let (i, kr) = match l {
                    ListLine::Objective(i) => (*i, None),
                    ListLine::KeyResult(i, k) => (*i, Some(*k)),
                };
                let o = &d.objectives[i];
                let mut text = format!(
                    "{} {} {} {}",
                    o.objective.title,
                    o.objective.team.as_deref().unwrap_or(""),
                    o.objective.period,
                    o.objective.status
                );
                if let Some(k) = kr.and_then(|k| o.key_results.get(k)) {
                    text.push(' ');
                    text.push_str(&k.key_result.title);
                    text.push(' ');
                    text.push_str(k.key_result.metric.as_deref().unwrap_or("manual"));
                }
                self.list.matches(&text)
            })
            .collect()
    }

    pub fn handle(&mut self, action: Action) -> Outcome {
        let n = self.visible().len();
        self.list.handle(action, n)
    }

    pub fn valid_actions(&self) -> Vec<Action> {
        self.list.valid_actions(MOVES)
    }
}

fn kr_cells<'a>(k: &KeyResultRow, wide: bool, theme: Theme) -> Vec<Cell<'a>> {
    let kr = &k.key_result;
    let unit = kr.unit.as_deref().unwrap_or("");
    let style = match k.progress {
        Some(p) if p >= 1.0 => theme.ok(),
        Some(p) if p < 0.0 => theme.breach(),
        Some(_) => theme.warn(),
        None => theme.muted(),
    };
    let glyph = match k.progress {
        Some(p) if p >= 1.0 => "✓",
        Some(p) if p < 0.0 => "▼",
        Some(_) => "▲",
        None => "·",
    };
    let source = if k.live {
        kr.metric.clone().unwrap_or_default()
    } else if kr.metric.is_some() {
        "not computed".into()
    } else {
        "manual".into()
    };
    let mut cells = vec![
        Cell::from(format!(
            "  {}",
            truncate(&kr.title, if wide { 36 } else { 34 })
        )),
        Cell::from(format!(
            "{} → {} / {} {}",
            value(kr.baseline),
            value(k.current),
            value(Some(kr.target)),
            truncate(unit, if wide { 10 } else { 6 })
        )),
        // Narrow: the percentage says what the bar would, in the columns the start value needs.
        Cell::from(Span::styled(
            if wide {
                format!("{glyph} {} {}", bar(k.progress, 10), fmt_pct(k.progress))
            } else {
                format!("{glyph} {}", fmt_pct(k.progress))
            },
            style,
        )),
    ];
    if wide {
        cells.push(Cell::from(Span::styled(source, theme.muted())));
    }
    cells
}

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let state = &app.alignment;
    let Some(data) = &state.data else {
        super::placeholder(f, area, app, theme);
        return;
    };
    let wide = area.width >= 110;
    let milestones_height = (data.milestones.len() as u16 + 3)
        .min(area.height / 3)
        .max(3);
    let [head, list, roadmap] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(5),
        Constraint::Length(milestones_height),
    ])
    .areas(area);
    render_head(f, head, data, theme);

    let visible = state.visible();
    let row = |l: &ListLine| match *l {
        ListLine::Objective(i) => {
            let o = &data.objectives[i].objective;
            let mut cells = vec![
                Cell::from(Span::styled(
                    truncate(&o.title, if wide { 38 } else { 36 }),
                    theme.title(),
                )),
                Cell::from(format!(
                    "{} · {}",
                    truncate(
                        o.team.as_deref().unwrap_or("all"),
                        if wide { 20 } else { 16 }
                    ),
                    o.period
                )),
                Cell::from(Span::styled(o.status.clone(), theme.muted())),
            ];
            if wide {
                cells.push(Cell::from(""));
            }
            Row::new(cells)
        }
        ListLine::KeyResult(i, k) => {
            Row::new(kr_cells(&data.objectives[i].key_results[k], wide, theme))
        }
    };
    let mut widths = vec![
        Constraint::Min(if wide { 38 } else { 30 }),
        Constraint::Length(if wide { 30 } else { 27 }),
        Constraint::Length(if wide { 19 } else { 9 }),
    ];
    let mut header = vec!["Objective · key result", "Start → now / target", "Progress"];
    if wide {
        widths.push(Constraint::Length(25));
        header.push("Source");
    }
    let total = state.lines().len();
    // Bound key results are not the Overview's range: each is computed over its own period.
    let table = ListTable::new(
        "Objectives and key results · now = the objective's period to date",
        total,
        widths,
    )
    .header(header, theme);
    state.list.render_list(f, list, &visible, row, table, theme);
    render_milestones(f, roadmap, data, wide, theme);
}

fn render_head(f: &mut Frame, area: Rect, data: &AlignmentData, theme: Theme) {
    let mut mix: Vec<(String, f64)> = Vec::new();
    for w in &data.work {
        let name = w.category.clone().unwrap_or_else(|| "uncategorised".into());
        match mix.iter_mut().find(|(n, _)| *n == name) {
            Some((_, p)) => *p += w.points,
            None => mix.push((name, w.points)),
        }
    }
    let total: f64 = mix.iter().map(|(_, p)| p).sum();
    let mix = if total > 0.0 {
        mix.iter()
            .map(|(n, p)| format!("{n} {:.0}%", p / total * 100.0))
            .collect::<Vec<_>>()
            .join(" · ")
    } else {
        "no resolved work in the range".into()
    };
    let items: u64 = data.work.iter().map(|w| w.items).sum();
    let share = data.linked_share();
    let style = match share {
        Some(s) if s >= 0.5 => theme.ok(),
        Some(_) => theme.warn(),
        None => theme.muted(),
    };
    f.render_widget(
        Paragraph::new(vec![
            Line::from(vec![
                Span::raw(" Resolved work linked to the roadmap: "),
                Span::styled(fmt_pct(share), style),
                Span::raw(format!(
                    " of points · unlinked {} · {items} items",
                    fmt_pct(share.map(|s| 1.0 - s))
                )),
            ]),
            Line::styled(format!(" Work mix by points: {mix}"), theme.muted()),
        ]),
        area,
    );
}

fn render_milestones(f: &mut Frame, area: Rect, data: &AlignmentData, wide: bool, theme: Theme) {
    let rows = data.milestones.iter().rev().map(|m| {
        let share = (m.items > 0).then(|| m.done as f64 / m.items as f64);
        let mut cells = vec![
            Cell::from(truncate(&m.milestone.name, if wide { 36 } else { 24 })),
            Cell::from(m.milestone.team.clone().unwrap_or_else(|| "–".into())),
            Cell::from(fmt_day(m.milestone.due_at)),
            Cell::from(format!("{}/{} done", m.done, m.items)),
            Cell::from(Span::styled(
                format!("{} {}", bar(share, 10), m.milestone.status),
                if m.milestone.status == "done" {
                    theme.ok()
                } else {
                    theme.base()
                },
            )),
        ];
        if !wide {
            cells.remove(1);
        }
        Row::new(cells)
    });
    let mut widths = vec![
        Constraint::Min(20),
        Constraint::Length(16),
        Constraint::Length(11),
        Constraint::Length(14),
        Constraint::Length(20),
    ];
    if !wide {
        widths.remove(1);
    }
    f.render_widget(
        Table::new(rows, widths).block(
            Block::bordered()
                .title(format!(" Roadmap milestones · {} ", data.milestones.len()))
                .title_style(theme.title()),
        ),
        area,
    );
}
