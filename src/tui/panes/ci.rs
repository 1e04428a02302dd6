//! CI: runs, success and duration over the scope and per week, the slowest and the least
//! reliable workflows (with their flaky re-runs).

use super::list::ListState;
use super::units::{fmt_pct, fmt_secs};
use super::{Outcome, list_title};
use crate::metrics::ci::WorkflowStats;
use crate::tui::app::App;
use crate::tui::data::CiData;
use crate::tui::keymap::Action;
use crate::tui::theme::{Health, Theme};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, BarChart, Block, Chart, Dataset, GraphType, Row, Table};

#[derive(Debug, Default)]
pub struct CiState {
    pub data: Option<CiData>,
    /// Only its filter is used: it narrows both workflow tables.
    pub list: ListState,
}

impl CiState {
    pub fn accept(&mut self, data: CiData) {
        self.data = Some(data);
    }

    pub fn handle(&mut self, action: Action) -> Outcome {
        self.list.clear_on_back(action)
    }

    pub fn valid_actions(&self) -> Vec<Action> {
        self.list.valid_actions([])
    }
}

/// Success rate as health: at least 90 % ok, 75 % a warning, below a breach.
fn success_health(r: Option<f64>) -> Health {
    match r {
        Some(r) if r >= 0.9 => Health::Ok,
        Some(r) if r >= 0.75 => Health::Warn,
        Some(_) => Health::Breach,
        None => Health::Unknown,
    }
}

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let Some(data) = &app.ci.data else {
        super::placeholder(f, area, app, theme);
        return;
    };
    let r = &data.report;
    let chart_h = if area.height >= 30 { 12 } else { 8 };
    let [summary, charts, tables] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(chart_h),
        Constraint::Min(4),
    ])
    .areas(area);
    let h = success_health(r.success_rate);
    f.render_widget(
        ratatui::widgets::Paragraph::new(vec![
            Line::from(vec![
                Span::raw(format!(" {} runs  ", r.runs)),
                Span::styled(
                    format!("{} {} success", h.glyph(), fmt_pct(r.success_rate)),
                    theme.health(h),
                ),
                Span::raw(format!(
                    "  duration p50 {} p90 {}  queue p50 {}",
                    fmt_secs(r.duration.median_seconds),
                    fmt_secs(r.duration.p90_seconds),
                    fmt_secs(r.queue.median_seconds)
                )),
            ]),
            Line::from(vec![
                Span::raw(format!(
                    " flaky {} ({} runs)  tests passed {}",
                    fmt_pct(r.flaky_rate),
                    r.flaky_runs,
                    fmt_pct(r.test_pass_rate)
                )),
                Span::styled(
                    format!("  {} v{}", r.definition.metric, r.definition.version),
                    theme.muted(),
                ),
            ]),
        ]),
        summary,
    );
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(charts);
    let n = usize::from(left.width.saturating_sub(2) / 2).max(1);
    let weeks = &data.weeks[data.weeks.len().saturating_sub(n)..];
    let points: Vec<(f64, f64)> = weeks
        .iter()
        .enumerate()
        .filter_map(|(i, w)| w.duration_p50.map(|s| (i as f64, s / 60.0)))
        .collect();
    let peak = points.iter().map(|p| p.1).fold(1.0_f64, f64::max);
    f.render_widget(
        Chart::new(vec![
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme.accent())
                .data(&points),
        ])
        .block(Block::bordered().title(" Duration p50 / week (min) "))
        .x_axis(
            Axis::default()
                .bounds([0.0, weeks.len().saturating_sub(1).max(1) as f64])
                .labels([
                    weeks
                        .first()
                        .map(|w| w.week_start.format("%m-%d").to_string())
                        .unwrap_or_default(),
                    weeks
                        .last()
                        .map(|w| w.week_start.format("%m-%d").to_string())
                        .unwrap_or_default(),
                ])
                .style(theme.muted()),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, peak * 1.1])
                .labels(["0".to_string(), format!("{peak:.0}")])
                .style(theme.muted()),
        ),
        left,
    );
    let n = usize::from(right.width.saturating_sub(2) / 3).max(1);
    let weeks = &data.weeks[data.weeks.len().saturating_sub(n)..];
    let bars: Vec<(&str, u64)> = weeks
        .iter()
        .map(|w| ("", w.success_rate.map_or(0, |r| (r * 100.0).round() as u64)))
        .collect();
    f.render_widget(
        BarChart::default()
            .block(Block::bordered().title(" Success % / week "))
            .data(&bars[..])
            .bar_width(2)
            .bar_gap(1)
            .max(100)
            .bar_style(theme.ok())
            .value_style(theme.title()),
        right,
    );
    let [slow, flaky] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(tables);
    let list = &app.ci.list;
    let shown = |w: &&WorkflowStats| list.matches(&format!("{} {}", w.repo, w.workflow));
    let wide = area.width >= 110;
    let slowest: Vec<&WorkflowStats> = r.slowest.iter().filter(shown).collect();
    let rows = slowest.iter().map(|w| {
        Row::new(vec![
            workflow_name(w, wide),
            fmt_secs(w.duration.median_seconds),
            fmt_secs(w.duration.p90_seconds),
            w.runs.to_string(),
        ])
    });
    f.render_widget(
        Table::new(
            rows,
            [
                Constraint::Min(12),
                Constraint::Length(6),
                Constraint::Length(6),
                Constraint::Length(5),
            ],
        )
        .header(Row::new(["Workflow", "p50", "p90", "Runs"]).style(theme.title()))
        .block(Block::bordered().title(list_title(
            "Slowest",
            slowest.len(),
            r.slowest.len(),
            &list.filter,
        ))),
        slow,
    );
    let worst: Vec<&WorkflowStats> = r.least_reliable.iter().filter(shown).collect();
    let rows = worst.iter().map(|w| {
        let h = success_health(w.success_rate);
        Row::new(vec![
            Line::raw(workflow_name(w, wide)),
            Line::styled(
                format!("{} {}", h.glyph(), fmt_pct(w.success_rate)),
                theme.health(h),
            ),
            Line::raw(w.flaky_runs.to_string()),
            Line::raw(w.runs.to_string()),
        ])
    });
    f.render_widget(
        Table::new(
            rows,
            [
                Constraint::Min(12),
                Constraint::Length(8),
                Constraint::Length(5),
                Constraint::Length(5),
            ],
        )
        .header(Row::new(["Workflow", "Success", "Flaky", "Runs"]).style(theme.title()))
        .block(Block::bordered().title(list_title(
            "Least reliable",
            worst.len(),
            r.least_reliable.len(),
            &list.filter,
        ))),
        flaky,
    );
}

/// `repo/workflow`, cut to fit: a workflow name alone repeats across repos.
fn workflow_name(w: &WorkflowStats, wide: bool) -> String {
    super::units::truncate(
        &format!("{}/{}", w.repo, w.workflow),
        if wide { 40 } else { 20 },
    )
}
