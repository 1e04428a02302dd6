//! SLOs: remaining error budget (overspent shown below zero), burn rates per alert window, the
//! multi-window alert state and time to exhaustion; Enter opens the budget burn-down against
//! the ideal line, with the exclusions and planned peaks applied and the inputs behind it.

use super::Outcome;
use super::list::{ListState, ListTable, Visible};
use super::units::{fmt_pct, fmt_secs};
use crate::model::BudgetingMethod;
use crate::report::human_span;
use crate::tui::app::App;
use crate::tui::data::{SloData, SloRow};
use crate::tui::keymap::Action;
use crate::tui::theme::{Health, Theme};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Cell, Chart, Dataset, GraphType, Paragraph, Row, Table};

#[derive(Debug, Default)]
pub struct SloState {
    pub data: Option<SloData>,
    pub list: ListState,
    /// The SLO whose detail is open (store id).
    pub detail: Option<i64>,
}

impl SloState {
    pub fn accept(&mut self, data: SloData) {
        if let Some(id) = self.detail
            && !data.slos.iter().any(|s| s.slo.id == id)
        {
            self.detail = None;
        }
        self.data = Some(data);
        self.list.invalidate();
        let n = self.visible().len();
        self.list.clamp(n);
    }

    pub fn visible(&self) -> Visible<'_> {
        let Some(d) = &self.data else {
            return Visible::none();
        };
        self.list.visible(&d.slos, |s| {
            format!(
                "{} {} {} {}",
                s.slo.name,
                s.slo.service.as_deref().unwrap_or(""),
                s.slo.team.as_deref().unwrap_or(""),
                s.alert.unwrap_or("")
            )
        })
    }

    pub fn list(&self) -> Option<&ListState> {
        self.detail.is_none().then_some(&self.list)
    }

    pub fn list_mut(&mut self) -> Option<&mut ListState> {
        self.detail.is_none().then_some(&mut self.list)
    }

    fn selected(&self) -> Option<&SloRow> {
        let i = *self.visible().get(self.list.selected)?;
        self.data.as_ref()?.slos.get(i)
    }

    pub fn handle(&mut self, action: Action) -> Outcome {
        if self.detail.is_some() {
            return match action {
                Action::Back => {
                    self.detail = None;
                    Outcome::Consumed
                }
                _ => Outcome::Ignored,
            };
        }
        let n = self.visible().len();
        match self.list.handle(action, n) {
            Outcome::Ignored if action == Action::DrillDown => {
                self.detail = self.selected().map(|s| s.slo.id);
                Outcome::Consumed
            }
            outcome => outcome,
        }
    }

    pub fn valid_actions(&self) -> Vec<Action> {
        if self.detail.is_some() {
            return vec![Action::Back];
        }
        self.list.valid_actions([
            Action::Up,
            Action::Down,
            Action::Top,
            Action::Bottom,
            Action::DrillDown,
        ])
    }
}

fn budget_health(r: Option<f64>) -> Health {
    match r {
        Some(r) if r < 0.0 => Health::Breach,
        Some(r) if r < 0.25 => Health::Warn,
        Some(_) => Health::Ok,
        None => Health::Unknown,
    }
}

fn alert_cell(alert: Option<&str>, t: Theme) -> Span<'static> {
    match alert {
        Some("page") => Span::styled("✗ page", t.breach()),
        Some("ticket") => Span::styled("▲ ticket", t.warn()),
        Some(_) => Span::styled("✓ ok", t.ok()),
        None => Span::styled("· no data", t.muted()),
    }
}

/// Remaining budget as a bar of `width` cells and a percentage; overspent reads as such.
fn budget_bar(r: Option<f64>, width: usize, t: Theme) -> Line<'static> {
    let h = budget_health(r);
    let Some(r) = r else {
        return Line::styled("· no data", t.muted());
    };
    if r < 0.0 {
        return Line::styled(format!("✗ overspent {:.0}%", -r * 100.0), t.breach());
    }
    let filled = ((r.min(1.0) * width as f64).round() as usize).min(width);
    Line::from(vec![
        Span::styled("█".repeat(filled), t.health(h)),
        Span::styled("░".repeat(width - filled), t.muted()),
        Span::styled(format!(" {} {:.0}%", h.glyph(), r * 100.0), t.health(h)),
    ])
}

fn burn(x: Option<f64>) -> String {
    x.map_or("–".into(), |b| format!("{b:.2}"))
}

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let state = &app.slos;
    let Some(data) = &state.data else {
        super::placeholder(f, area, app, theme);
        return;
    };
    if let Some(row) = state
        .detail
        .and_then(|id| data.slos.iter().find(|s| s.slo.id == id))
    {
        render_detail(f, area, row, theme);
        return;
    }
    if data.slos.is_empty() {
        f.render_widget(
            Paragraph::new(
                "No SLOs in this scope. Add [[slos]] to the config or sync a source that has them.",
            )
            .style(theme.muted())
            .block(Block::bordered()),
            area,
        );
        return;
    }
    let wide = area.width >= 110;
    let visible = state.visible();
    let bar = if wide { 12 } else { 6 };
    let row = |i: &usize| {
        let Some(s) = data.slos.get(*i) else {
            return Row::default();
        };
        let r = &s.report;
        let mut cells = vec![
            Cell::from(s.slo.name.clone()),
            Cell::from(format!("{:.2}%", r.target * 100.0)),
            Cell::from(budget_bar(r.budget_remaining, bar, theme)),
            Cell::from(burn(r.current_burn_rate)),
        ];
        if wide {
            let windows: Vec<String> = r
                .alerts
                .windows
                .iter()
                .map(|w| {
                    format!(
                        "{} {}",
                        human_span(w.window.long.num_seconds()),
                        burn(w.long_burn_rate)
                    )
                })
                .collect();
            cells.push(Cell::from(windows.join(" ")));
        }
        cells.push(Cell::from(alert_cell(s.alert, theme)));
        cells.push(Cell::from(match r.budget_remaining {
            Some(b) if b < 0.0 => "spent".to_string(),
            _ => fmt_secs(r.time_to_exhaustion_seconds),
        }));
        Row::new(cells)
    };
    let mut header = vec!["SLO", "Target", "Budget left", "Burn"];
    let mut widths = vec![
        Constraint::Min(16),
        Constraint::Length(7),
        Constraint::Length((bar as u16 + 8).max(17)),
        Constraint::Length(6),
    ];
    if wide {
        header.push("Burn rate per window (long)");
        widths.push(Constraint::Length(30));
    }
    header.extend(["Alert", "Exhausts"]);
    widths.extend([Constraint::Length(10), Constraint::Length(8)]);
    let table = ListTable::new("SLOs", data.slos.len(), widths).header(header, theme);
    state.list.render_list(f, area, &visible, row, table, theme);
}

fn render_detail(f: &mut Frame, area: Rect, row: &SloRow, t: Theme) {
    let r = &row.report;
    let info_h = 6 + r.adjustments.len().min(4) as u16;
    let [chart, info] =
        Layout::vertical([Constraint::Min(6), Constraint::Length(info_h)]).areas(area);
    let [chart, windows] =
        Layout::horizontal([Constraint::Min(30), Constraint::Length(38)]).areas(chart);
    let actual: Vec<(f64, f64)> = r
        .burn_down
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.remaining.map(|v| (i as f64, v * 100.0)))
        .collect();
    let ideal: Vec<(f64, f64)> = r
        .burn_down
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.ideal.map(|v| (i as f64, v * 100.0)))
        .collect();
    let low = actual.iter().map(|p| p.1).fold(0.0_f64, f64::min);
    let mut datasets = vec![
        Dataset::default()
            .name("remaining ━")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(t.accent())
            .data(&actual),
    ];
    if !ideal.is_empty() {
        datasets.push(
            Dataset::default()
                .name("ideal ·")
                .marker(Marker::Dot)
                .graph_type(GraphType::Scatter)
                .style(t.muted())
                .data(&ideal),
        );
    }
    let days = r.burn_down.len().max(2);
    let first = r
        .burn_down
        .first()
        .map(|p| p.day.format("%m-%d").to_string());
    let last = r
        .burn_down
        .last()
        .map(|p| p.day.format("%m-%d").to_string());
    f.render_widget(
        Chart::new(datasets)
            .block(
                Block::bordered()
                    .title(format!(
                        " {} · budget burn-down (% left) · Esc back ",
                        r.name
                    ))
                    .title_style(t.title()),
            )
            .x_axis(
                Axis::default()
                    .bounds([0.0, (days - 1) as f64])
                    .labels([first.unwrap_or_default(), last.unwrap_or_default()])
                    .style(t.muted()),
            )
            .y_axis(
                Axis::default()
                    .bounds([low.floor(), 100.0])
                    .labels([format!("{:.0}", low.floor()), "100".to_string()])
                    .style(t.muted()),
            ),
        chart,
    );
    let rows = r.alerts.windows.iter().map(|w| {
        let state = if w.firing {
            Span::styled("✗ firing", t.breach())
        } else {
            Span::styled("✓", t.ok())
        };
        Row::new(vec![
            Cell::from(format!(
                "{}/{}",
                human_span(w.window.long.num_seconds()),
                human_span(w.window.short.num_seconds())
            )),
            Cell::from(format!(
                "{} {}",
                burn(w.long_burn_rate),
                burn(w.short_burn_rate)
            )),
            Cell::from(format!("{:.1}", w.factor)),
            Cell::from(state),
        ])
    });
    f.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(7),
                Constraint::Length(12),
                Constraint::Length(5),
                Constraint::Length(8),
            ],
        )
        .header(Row::new(["Window", "Burn l/s", "Over", "State"]).style(t.title()))
        .block(Block::bordered().title(" Burn rates ")),
        windows,
    );
    let mut lines = vec![
        Line::from(vec![
            Span::raw(format!(
                " target {:.3}%  window {} → {}  ",
                r.target * 100.0,
                r.window_period.start.format("%m-%d"),
                r.window_period.end.format("%m-%d")
            )),
            alert_cell(row.alert, t),
        ]),
        Line::from(
            [Span::raw(" budget left ")]
                .into_iter()
                .chain(budget_bar(r.budget_remaining, 10, t).spans)
                .collect::<Vec<_>>(),
        ),
        Line::raw(format!(
            " good {:.0} / total {:.0} · {} {} · consumed {} · unadjusted left {} · {}",
            r.good,
            r.total,
            // What the budget counts: failed events, or bad slices for the time-based methods.
            match r.budgeting_method {
                BudgetingMethod::Occurrences => "error ratio",
                BudgetingMethod::Timeslices => "bad slices",
                BudgetingMethod::RatioTimeslices => "mean slice error",
            },
            r.error_ratio
                .map_or("–".into(), |e| format!("{:.4}%", e * 100.0)),
            fmt_pct(r.budget_consumed),
            fmt_pct(r.budget_remaining_unadjusted),
            match (r.time_to_exhaustion_seconds, r.budget_remaining) {
                (Some(s), _) => format!("exhausts in {}", fmt_secs(Some(s))),
                (None, Some(_)) => "never exhausts".into(),
                (None, None) => "exhausts –".into(),
            }
        )),
        Line::styled(
            format!(
                " {} v{} · {:?} budgeting",
                r.definition.metric, r.definition.version, r.budgeting_method
            ),
            t.muted(),
        ),
    ];
    if r.adjustments.is_empty() {
        lines.push(Line::styled(
            " no exclusions or planned peaks applied",
            t.muted(),
        ));
    }
    for a in r.adjustments.iter().take(4) {
        lines.push(Line::raw(format!(
            " {} {}: {} buckets, {:.0} events, {:.0} bad{}",
            a.kind,
            a.name,
            a.buckets,
            a.total,
            a.bad,
            a.bad_counted
                .map_or(String::new(), |c| format!(" (counted {c:.0})"))
        )));
    }
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Inputs ")),
        info,
    );
}
