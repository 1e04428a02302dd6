//! Delivery: DORA per week (deployments, lead time p50, change failure rate), the keys of the
//! scope with their definitions, the lead-time stages, and a per-service table. Enter on a
//! metric or a service lists the rows behind it with their provenance ("explain").

use super::Outcome;
pub use super::delivery_explain::ExplainView;
use super::list::{ListState, ListTable, Visible};
use super::units::{band_health, chart_unit, fmt_pct, fmt_rate, fmt_secs, pct_bar};
use crate::tui::app::App;
use crate::tui::data::{DeliveryData, ExplainData, ExplainQuery, Query};
use crate::tui::data_delivery::MetricValue;
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, BarChart, Block, Cell, Chart, Dataset, GraphType, Row, Table, TableState,
};

#[derive(Debug, Default)]
pub struct DeliveryState {
    pub data: Option<DeliveryData>,
    /// The cursor runs over the metrics, then over the (filtered) services.
    pub list: ListState,
    pub explain: Option<ExplainView>,
}

impl DeliveryState {
    pub fn accept(&mut self, data: DeliveryData) {
        self.data = Some(data);
        self.list.invalidate();
        let n = self.rows();
        self.list.clamp(n);
    }

    pub fn accept_explain(&mut self, data: ExplainData) {
        if let Some(v) = &mut self.explain {
            v.data = Some(data);
            v.list.invalidate();
            v.list.clamp(v.visible().len());
        }
    }

    pub fn close_explain(&mut self) {
        self.explain = None;
    }

    fn metric_count(&self) -> usize {
        self.data.as_ref().map_or(0, |d| d.metrics.len())
    }

    /// Indices of the services the filter lets through.
    pub fn visible_services(&self) -> Visible<'_> {
        let Some(d) = &self.data else {
            return Visible::none();
        };
        self.list.visible(&d.services, |s| s.service.clone())
    }

    fn rows(&self) -> usize {
        self.metric_count() + self.visible_services().len()
    }

    pub fn list(&self) -> Option<&ListState> {
        Some(self.explain.as_ref().map_or(&self.list, |v| &v.list))
    }

    pub fn list_mut(&mut self) -> Option<&mut ListState> {
        Some(match &mut self.explain {
            Some(v) => &mut v.list,
            None => &mut self.list,
        })
    }

    /// What Enter on the cursor's row explains.
    fn selected_query(&self) -> Option<ExplainQuery> {
        let data = self.data.as_ref()?;
        let k = self.list.selected;
        if let Some(m) = data.metrics.get(k) {
            return Some(data.explain_query(
                m.name.to_string(),
                vec![m.definition.clone()],
                &m.explain,
            ));
        }
        let i = *self.visible_services().get(k - data.metrics.len())?;
        let s = data.services.get(i)?;
        Some(data.explain_query(
            format!("service {}", s.service),
            s.definitions.clone(),
            &s.explain,
        ))
    }

    pub fn handle(&mut self, action: Action) -> Outcome {
        if let Some(v) = &mut self.explain {
            let n = v.visible().len();
            return match v.list.handle(action, n) {
                Outcome::Ignored if action == Action::Back => {
                    self.explain = None;
                    Outcome::Consumed
                }
                Outcome::Ignored if action == Action::DrillDown => Outcome::Consumed,
                outcome => outcome,
            };
        }
        let n = self.rows();
        match self.list.handle(action, n) {
            Outcome::Ignored if action == Action::DrillDown => match self.selected_query() {
                Some(q) => {
                    self.explain = Some(ExplainView {
                        query: q.clone(),
                        data: None,
                        list: ListState::default(),
                    });
                    Outcome::Load(Query::Explain(Box::new(q)))
                }
                None => Outcome::Consumed,
            },
            outcome => outcome,
        }
    }

    pub fn valid_actions(&self) -> Vec<Action> {
        let mut a = vec![Action::Up, Action::Down, Action::Top, Action::Bottom];
        if self.explain.is_some() {
            a.extend([Action::PageDown, Action::PageUp, Action::Back]);
        } else {
            a.push(Action::DrillDown);
            if !self.list.filter.is_empty() {
                a.push(Action::Back);
            }
        }
        a
    }
}

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let state = &app.delivery;
    if let Some(v) = &state.explain {
        super::delivery_explain::render(f, area, v, theme);
        return;
    }
    let Some(data) = &state.data else {
        super::placeholder(f, area, app, theme);
        return;
    };
    let chart_h = if area.height >= 30 { 12 } else { 7 };
    let metrics_h = data.metrics.len() as u16 + 3;
    let [charts, metrics, stages, services] = Layout::vertical([
        Constraint::Length(chart_h),
        Constraint::Length(metrics_h),
        Constraint::Length(1),
        Constraint::Min(4),
    ])
    .areas(area);
    render_charts(f, charts, data, theme);
    render_metrics(f, metrics, state, data, theme);
    render_stages(f, stages, data, theme);
    render_services(f, services, state, data, theme);
}

/// The last weeks that fit `width` columns of bars one wide with one gap.
fn fitting<T>(items: &[T], width: u16) -> &[T] {
    let n = usize::from(width.saturating_sub(2) / 2).max(1);
    &items[items.len().saturating_sub(n)..]
}

fn render_charts(f: &mut Frame, area: Rect, data: &DeliveryData, theme: Theme) {
    let [a, b, c] = Layout::horizontal([Constraint::Ratio(1, 3); 3]).areas(area);
    let weeks = fitting(&data.weeks, a.width);
    let deploys: Vec<(String, u64)> = weeks
        .iter()
        .map(|w| (String::new(), w.deployments as u64))
        .collect();
    let deploy_bars: Vec<(&str, u64)> = deploys.iter().map(|(l, v)| (l.as_str(), *v)).collect();
    f.render_widget(
        BarChart::default()
            .block(Block::bordered().title(" Deployments / week "))
            .data(&deploy_bars[..])
            .bar_width(1)
            .bar_gap(1)
            .bar_style(theme.accent())
            .value_style(theme.accent()),
        a,
    );

    let weeks = fitting(&data.weeks, b.width);
    let peak_seconds = weeks
        .iter()
        .filter_map(|w| w.lead_time_p50)
        .fold(0.0_f64, f64::max);
    let (per_unit, unit) = chart_unit(peak_seconds);
    let points: Vec<(f64, f64)> = weeks
        .iter()
        .enumerate()
        .filter_map(|(i, w)| w.lead_time_p50.map(|s| (i as f64, s / per_unit)))
        .collect();
    let peak = points.iter().map(|p| p.1).fold(1.0_f64, f64::max);
    let first = weeks
        .first()
        .map(|w| w.week_start.format("%m-%d").to_string());
    let last = weeks
        .last()
        .map(|w| w.week_start.format("%m-%d").to_string());
    let datasets = vec![
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.warn())
            .data(&points),
    ];
    f.render_widget(
        Chart::new(datasets)
            .block(Block::bordered().title(format!(" Lead time p50 ({unit}) ")))
            .x_axis(
                Axis::default()
                    .bounds([0.0, weeks.len().saturating_sub(1).max(1) as f64])
                    .labels([first.unwrap_or_default(), last.unwrap_or_default()])
                    .style(theme.muted()),
            )
            .y_axis(
                Axis::default()
                    .bounds([0.0, peak * 1.1])
                    .labels(["0".to_string(), format!("{peak:.0}")])
                    .style(theme.muted()),
            ),
        b,
    );

    let weeks = fitting(&data.weeks, c.width);
    let cfr: Vec<(&str, u64)> = weeks
        .iter()
        .map(|w| ("", pct_bar(w.change_failure_rate)))
        .collect();
    f.render_widget(
        BarChart::default()
            .block(Block::bordered().title(" Change failure % / week "))
            .data(&cfr[..])
            .bar_width(1)
            .bar_gap(1)
            .bar_style(theme.breach())
            .value_style(theme.breach()),
        c,
    );
}

fn value_text(v: MetricValue) -> String {
    match v {
        MetricValue::PerWeek(x) => fmt_rate(x),
        MetricValue::Seconds(x) => fmt_secs(x),
        MetricValue::Ratio(x) => fmt_pct(x),
    }
}

fn render_metrics(f: &mut Frame, area: Rect, state: &DeliveryState, d: &DeliveryData, t: Theme) {
    let wide = area.width >= 100;
    let rows = d.metrics.iter().map(|m| {
        let h = band_health(m.band);
        let band = m
            .band
            .map_or(String::new(), |b| format!("{} {}", h.glyph(), b.label()));
        let mut cells = vec![
            Cell::from(m.name),
            Cell::from(value_text(m.value)),
            Cell::from(Span::styled(band, t.health(h))),
            Cell::from(Span::styled(m.basis.clone(), t.muted())),
        ];
        if wide {
            cells.push(Cell::from(Span::styled(
                format!("{} v{}", m.definition.metric, m.definition.version),
                t.muted(),
            )));
        }
        Row::new(cells)
    });
    let mut widths = vec![
        Constraint::Length(20),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Min(14),
    ];
    let mut header = vec!["Metric", "Value", "Band", "Basis"];
    if wide {
        widths.push(Constraint::Length(40));
        header.push("Definition");
    }
    let selected = (state.list.selected < d.metrics.len()).then_some(state.list.selected);
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(t.title()))
        .row_highlight_style(t.selected())
        .highlight_symbol("› ")
        .block(
            Block::bordered()
                .title(format!(" DORA · {} · Enter explains ", d.timezone))
                .title_style(t.title()),
        );
    f.render_stateful_widget(
        table,
        area,
        &mut TableState::default().with_selected(selected),
    );
}

/// The lead-time stages as one bar split by their p50 shares, each with its own fill glyph.
fn render_stages(f: &mut Frame, area: Rect, d: &DeliveryData, t: Theme) {
    const FILLS: [&str; 4] = ["█", "▓", "▒", "░"];
    let total: f64 = d.stages.iter().filter_map(|s| s.p50).sum();
    let mut spans = vec![Span::styled(" Stages p50: ", t.muted())];
    let legend: Vec<String> = d
        .stages
        .iter()
        .zip(FILLS)
        .map(|(s, g)| format!("{g}{} {}", s.name, fmt_secs(s.p50)))
        .collect();
    let legend = legend.join(" ");
    let bar_width = usize::from(area.width)
        .saturating_sub(legend.chars().count() + 16)
        .min(40);
    if total > 0.0 && bar_width >= 8 {
        for (s, g) in d.stages.iter().zip(FILLS) {
            let n = (s.p50.unwrap_or(0.0) / total * bar_width as f64).round() as usize;
            spans.push(Span::styled(g.repeat(n), t.accent()));
        }
        spans.push(Span::raw(" "));
    }
    spans.push(Span::raw(legend));
    f.render_widget(Line::from(spans), area);
}

fn render_services(f: &mut Frame, area: Rect, state: &DeliveryState, d: &DeliveryData, t: Theme) {
    let visible = state.visible_services();
    let row = |i: &usize| {
        let Some(s) = d.services.get(*i) else {
            return Row::default();
        };
        Row::new(vec![
            s.service.clone(),
            s.deployments.to_string(),
            fmt_rate(s.deploy_days_per_week),
            fmt_secs(s.lead_time_p50),
            fmt_pct(s.change_failure_rate),
            fmt_secs(s.restore_p50),
        ])
    };
    let widths = vec![
        Constraint::Length(22),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Length(7),
        Constraint::Length(9),
    ];
    let selected = state.list.selected.checked_sub(d.metrics.len());
    let header = vec![
        "Service", "Deploys", "Days/wk", "Lead p50", "CFR", "Restore",
    ];
    let table = ListTable::new("Services", d.services.len(), widths)
        .header(header, t)
        .highlight(selected);
    state.list.render_list(f, area, &visible, row, table, t);
}
