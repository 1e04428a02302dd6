//! Overview: per team, the DORA keys with their bands and a weekly deployment sparkline, CI
//! success, SLO budgets, open incidents, overdue actions; and data freshness per source.

use super::Outcome;
use super::list::{ListState, ListTable, Visible};
use super::units::{band_health, fmt_pct, fmt_rate as fmt_rate_per_week, fmt_secs};
use crate::metrics::slo::AlertSeverity;
use crate::tui::app::App;
use crate::tui::data::{Band, OverviewData, TeamHealth};
use crate::tui::keymap::Action;
use crate::tui::theme::{Health, Theme};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Sparkline};

#[derive(Debug, Default)]
pub struct OverviewState {
    pub data: Option<OverviewData>,
    pub list: ListState,
}

impl OverviewState {
    pub fn accept(&mut self, data: OverviewData) {
        self.data = Some(data);
        self.list.invalidate();
        let n = self.visible().len();
        self.list.clamp(n);
    }

    /// Indices of the teams the filter lets through.
    pub fn visible(&self) -> Visible<'_> {
        let Some(d) = &self.data else {
            return Visible::none();
        };
        self.list.visible(&d.teams, |t| t.team.clone())
    }

    /// The team under the cursor.
    pub fn selected_team(&self) -> Option<&TeamHealth> {
        let i = *self.visible().get(self.list.selected)?;
        self.data.as_ref()?.teams.get(i)
    }

    pub fn handle(&mut self, action: Action) -> Outcome {
        let n = self.visible().len();
        match self.list.handle(action, n) {
            Outcome::Ignored if action == Action::DrillDown => match self.selected_team() {
                Some(t) if self.data.as_ref().is_some_and(|d| d.teams.len() > 1) => {
                    Outcome::SetTeam(t.team.clone())
                }
                _ => Outcome::Consumed,
            },
            outcome => outcome,
        }
    }

    pub fn valid_actions(&self, team_set: bool) -> Vec<Action> {
        let drill = (!team_set).then_some(Action::DrillDown);
        self.list.valid_actions(
            [Action::Up, Action::Down, Action::Top, Action::Bottom]
                .into_iter()
                .chain(drill),
        )
    }
}

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let Some(data) = &app.overview.data else {
        super::placeholder(f, area, app, theme);
        return;
    };
    if data.is_empty() {
        render_welcome(f, area, theme);
        return;
    }
    let visible = app.overview.visible();
    let table_height = table_height(visible.len(), area.height);
    let [table_area, detail_area, fresh_area] = Layout::vertical([
        Constraint::Length(table_height),
        Constraint::Min(5),
        Constraint::Length(3),
    ])
    .areas(area);
    render_team_table(f, table_area, app, data, &visible, theme);
    if let Some(team) = app.overview.selected_team() {
        render_team_detail(f, detail_area, team, theme);
    }
    render_freshness(f, fresh_area, data, theme);
}

/// The team table takes what its rows need (borders and header: 3), at most half the body, so
/// the selected team's charts keep room when there are many teams.
fn table_height(teams: usize, body_height: u16) -> u16 {
    let cap = (body_height / 2).max(5);
    u16::try_from(teams.saturating_add(3)).map_or(cap, |h| h.min(cap))
}

/// How many teams the Overview's first screen shows on a terminal `terminal_rows` tall (the
/// header and footer lines take two): the loader computes these before the others.
pub fn first_screen_teams(terminal_rows: u16) -> usize {
    usize::from(table_height(usize::MAX, terminal_rows.saturating_sub(2)) - 3).max(1)
}

/// A metric cell: value, then the band's glyph and name, styled by the band.
fn metric_cell(value: String, band: Option<Band>, theme: Theme, wide: bool) -> Cell<'static> {
    let h = band_health(band);
    let band_text = match (band, wide) {
        (Some(b), true) => format!(" {} {}", h.glyph(), b.label()),
        (Some(_), false) => format!(" {}", h.glyph()),
        (None, _) => String::new(),
    };
    Cell::from(Line::from(vec![
        Span::raw(value),
        Span::styled(band_text, theme.health(h)),
    ]))
}

fn render_team_table(
    f: &mut Frame,
    area: Rect,
    app: &App,
    data: &OverviewData,
    visible: &[usize],
    theme: Theme,
) {
    let wide = area.width >= 110;
    let labels = if wide {
        [
            "Team",
            "Deploy days/wk",
            "Lead time p50",
            "Change fail",
            "Restore p50",
            "CI ok",
            "Inc",
            "Overdue",
        ]
    } else {
        [
            "Team", "Days/wk", "Lead p50", "CFR", "Restore", "CI ok", "Inc", "Overdue",
        ]
    };
    let row = |i: &usize| {
        let Some(t) = data.teams.get(*i) else {
            return Row::default();
        };
        let inc_style = if t.open_incidents > 0 {
            theme.breach()
        } else {
            theme.muted()
        };
        let overdue_style = if t.overdue_actions > 0 {
            theme.warn()
        } else {
            theme.muted()
        };
        Row::new(vec![
            Cell::from(t.team.clone()),
            metric_cell(
                fmt_rate_per_week(t.deploy_days_per_week),
                t.bands.frequency,
                theme,
                wide,
            ),
            metric_cell(fmt_secs(t.lead_time_p50), t.bands.lead_time, theme, wide),
            metric_cell(
                fmt_pct(t.change_failure_rate),
                t.bands.change_failure,
                theme,
                wide,
            ),
            metric_cell(
                fmt_secs(t.time_to_restore_p50),
                t.bands.recovery,
                theme,
                wide,
            ),
            Cell::from(fmt_pct(t.ci_success_rate)),
            Cell::from(Span::styled(t.open_incidents.to_string(), inc_style)),
            Cell::from(Span::styled(t.overdue_actions.to_string(), overdue_style)),
        ])
    };
    let widths = if wide {
        [
            Constraint::Min(14),
            Constraint::Length(18),
            Constraint::Length(18),
            Constraint::Length(16),
            Constraint::Length(16),
            Constraint::Length(7),
            Constraint::Length(4),
            Constraint::Length(8),
        ]
    } else {
        [
            Constraint::Min(10),
            Constraint::Length(8),
            Constraint::Length(9),
            Constraint::Length(8),
            Constraint::Length(9),
            Constraint::Length(6),
            Constraint::Length(4),
            Constraint::Length(7),
        ]
    };
    let total = data.teams_total.max(data.teams.len());
    let plural = if total == 1 { "" } else { "s" };
    let title = match data.teams_pending() {
        0 => format!(
            " Delivery health · {total} team{plural} · {} deployments ",
            data.teams.iter().map(|t| t.deployments).sum::<u64>()
        ),
        pending => format!(" Delivery health · {total} team{plural} · computing {pending} more… ",),
    };
    let table = ListTable::new("", data.teams.len(), widths.to_vec())
        .header(labels.to_vec(), theme)
        .title(title);
    app.overview
        .list
        .render_list(f, area, visible, row, table, theme);
}

fn render_team_detail(f: &mut Frame, area: Rect, team: &TeamHealth, theme: Theme) {
    let block = Block::bordered()
        .title(format!(" {} ", team.team))
        .title_style(theme.title());
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [left, _, right] = Layout::horizontal([
        Constraint::Percentage(48),
        Constraint::Length(2),
        Constraint::Fill(1),
    ])
    .areas(inner);
    let chart_height = (left.height.saturating_sub(2) / 2).clamp(1, 12);
    let [deploy_label, deploy_chart, lead_label, lead_chart] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(chart_height),
        Constraint::Length(1),
        Constraint::Length(chart_height),
    ])
    .areas(left);
    // Narrow terminals get the short labels, so they are read whole rather than cut.
    let narrow = left.width < 52;
    let peak = team.weekly_deployments.iter().copied().max().unwrap_or(0);
    let weeks = team.weekly_deployments.len();
    let label = if narrow {
        format!("Deploys/week · {weeks}w · peak {peak}")
    } else {
        format!("Production deployments per week ({weeks} weeks, peak {peak})")
    };
    f.render_widget(Line::styled(label, theme.muted()), deploy_label);
    f.render_widget(
        Sparkline::default()
            .data(stretch(&team.weekly_deployments, deploy_chart.width))
            .style(theme.accent()),
        deploy_chart,
    );
    let peak = team
        .weekly_lead_time_minutes
        .iter()
        .copied()
        .max()
        .unwrap_or(0);
    let peak = fmt_secs(Some(peak as f64 * 60.0));
    let label = if narrow {
        format!("Lead p50/week · peak {peak}")
    } else {
        format!("Lead time p50 per week (peak {peak})")
    };
    f.render_widget(Line::styled(label, theme.muted()), lead_label);
    f.render_widget(
        Sparkline::default()
            .data(stretch(&team.weekly_lead_time_minutes, lead_chart.width))
            .style(theme.warn()),
        lead_chart,
    );
    let muted = |s: &str| Span::styled(s.to_string(), theme.muted());
    let [coding, pickup, review, deploy] = team.stages.map(fmt_secs);
    let ci_line = Line::from(vec![
        muted("CI "),
        Span::raw(format!("{} ok", fmt_pct(team.ci_success_rate))),
        muted(" · p50 "),
        Span::raw(fmt_secs(team.ci_duration_p50)),
        muted(" · flaky "),
        Span::raw(fmt_pct(team.ci_flaky_rate)),
    ]);
    // A narrow column keeps what the Overview is for (volumes, CI, SLO budgets) on short
    // lines; the stages and p90 are one key away on the Delivery pane.
    let narrow_facts = right.width < 50;
    let (deploys, failed) = if narrow_facts {
        ("deploys", "failed")
    } else {
        ("deployments", "failed deployments")
    };
    let mut fact_lines: Vec<Line> = vec![
        Line::from(vec![
            Span::raw(format!("{} {deploys}", team.deployments)),
            muted(format!(" on {} days", team.deploy_days).as_str()),
        ]),
        Line::from(vec![
            Span::raw(format!("{} changes", team.changes)),
            muted(" · "),
            Span::raw(format!("{} {failed}", team.failed_deployments)),
            muted(" · "),
            Span::raw(format!("{} incidents", team.incidents)),
        ]),
    ];
    if !narrow_facts {
        fact_lines.extend([
            Line::from(muted("Lead time p50 by stage:")),
            Line::raw(format!(
                "  coding {coding} · pickup {pickup} · review {review} · deploy {deploy}"
            )),
            Line::from(vec![
                muted("Lead time p90 "),
                Span::raw(fmt_secs(team.lead_time_p90)),
                muted(" · Recovery p50 "),
                Span::raw(fmt_secs(team.recovery_p50)),
                muted(" · Rework "),
                Span::raw(fmt_pct(team.rework_rate)),
            ]),
        ]);
    }
    fact_lines.push(ci_line);
    let mut lines = fact_lines;
    lines.push(Line::raw(""));
    lines.push(Line::styled("SLO error budgets", theme.muted()));
    if team.slos.is_empty() {
        lines.push(Line::styled("No SLOs for this team", theme.muted()));
    }
    for slo in &team.slos {
        let (health, text) = match slo.budget_remaining {
            Some(r) if r < 0.0 => (Health::Breach, format!("{:.0}% (overspent)", r * 100.0)),
            Some(r) if r < 0.25 => (Health::Warn, format!("{:.0}% left", r * 100.0)),
            Some(r) => (Health::Ok, format!("{:.0}% left", r * 100.0)),
            None => (Health::Unknown, "no data".into()),
        };
        let mut spans = vec![
            Span::styled(format!("{} ", health.glyph()), theme.health(health)),
            Span::raw(format!("{} ", slo.name)),
            Span::styled(text, theme.health(health)),
        ];
        match slo.alert {
            Some(AlertSeverity::Page) => spans.push(Span::styled(" ✗ page", theme.breach())),
            Some(AlertSeverity::Ticket) => spans.push(Span::styled(" ▲ ticket", theme.warn())),
            None => {}
        }
        lines.push(Line::from(spans));
    }
    // Wrapped: on a narrow terminal a long fact continues on the next line instead of being cut.
    f.render_widget(
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }),
        right,
    );
}

/// Repeats each value so the series fills `width` columns (a sparkline draws one per column).
fn stretch(values: &[u64], width: u16) -> Vec<u64> {
    if values.is_empty() {
        return Vec::new();
    }
    let each = (usize::from(width) / values.len()).max(1);
    values
        .iter()
        .flat_map(|v| std::iter::repeat_n(*v, each))
        .collect()
}

fn render_freshness(f: &mut Frame, area: Rect, data: &OverviewData, theme: Theme) {
    let spans: Vec<Span> = data
        .freshness
        .iter()
        .flat_map(|s| {
            // Data older than two days is flagged: the numbers above may no longer be today's.
            let stale = s
                .last_synced_at
                .is_some_and(|t| s.now - t > chrono::Duration::days(2));
            let (age, style) = if stale {
                (format!("▲ {}  ", s.age_label()), theme.warn())
            } else {
                (format!("{}  ", s.age_label()), theme.muted())
            };
            [
                Span::styled(format!(" {} ", s.source), theme.base()),
                Span::styled(age, style),
            ]
        })
        .collect();
    f.render_widget(
        Paragraph::new(Line::from(spans)).block(
            Block::bordered()
                .title(" Data freshness ")
                .title_style(theme.title()),
        ),
        area,
    );
}

fn render_welcome(f: &mut Frame, area: Rect, theme: Theme) {
    let lines = vec![
        Line::styled("Welcome to plumb", theme.title()),
        Line::raw(""),
        Line::raw("This database is empty. To see plumb on realistic data right away:"),
        Line::styled("    plumb demo", theme.accent()),
        Line::raw(""),
        Line::raw("To use your own data:"),
        Line::styled(
            "    plumb config init      # writes a documented config: add your sources",
            theme.accent(),
        ),
        Line::styled(
            "    plumb doctor           # checks each source's token and access",
            theme.accent(),
        ),
        Line::styled(
            "    plumb sync             # or press R here to sync in the background",
            theme.accent(),
        ),
        Line::raw("Or import exports from any tool:"),
        Line::styled(
            "    plumb import deployments.csv changes.csv incidents.csv",
            theme.accent(),
        ),
        Line::raw(""),
        Line::styled("Press q to quit, ? for keys.", theme.muted()),
    ];
    f.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered())
            .style(Style::new()),
        area,
    );
}
