//! CI: runs, success and duration over the scope and per week, the slowest and the least
//! reliable workflows (with their flaky re-runs).

use super::list::ListState;
use super::units::{chart_unit, fmt_pct, fmt_secs, pct_bar, truncate};
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
    let peak_seconds = weeks
        .iter()
        .filter_map(|w| w.duration_p50)
        .fold(0.0_f64, f64::max);
    let (per_unit, unit) = chart_unit(peak_seconds);
    let points: Vec<(f64, f64)> = weeks
        .iter()
        .enumerate()
        .filter_map(|(i, w)| w.duration_p50.map(|s| (i as f64, s / per_unit)))
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
        .block(Block::bordered().title(format!(" Duration p50 / week ({unit}) ")))
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
        .map(|w| ("", pct_bar(w.success_rate)))
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
    // Narrow tables drop the run counts and, when every workflow is in one organisation, its
    // name (the header says it), so that the part that tells workflows apart stays whole.
    let wide = area.width >= 110;
    let owner = (!wide)
        .then(|| shared_owner(r.slowest.iter().chain(&r.least_reliable)))
        .flatten();
    let workflow_header = owner.map_or("Workflow".to_string(), |o| format!("Workflow ({o}/)"));
    let name_width = |table: Rect, fixed: &[u16]| {
        let gaps = fixed.len() as u16;
        usize::from(
            table
                .width
                .saturating_sub(2 + gaps + fixed.iter().sum::<u16>()),
        )
    };
    let slowest: Vec<&WorkflowStats> = r.slowest.iter().filter(shown).collect();
    let fixed: &[u16] = if wide { &[6, 6, 5] } else { &[5, 5] };
    let width = name_width(slow, fixed);
    let rows = slowest.iter().map(|w| {
        let mut cells = vec![
            workflow_name(w, owner, width),
            fmt_secs(w.duration.median_seconds),
            fmt_secs(w.duration.p90_seconds),
        ];
        if wide {
            cells.push(w.runs.to_string());
        }
        Row::new(cells)
    });
    let mut header = vec![workflow_header.clone(), "p50".into(), "p90".into()];
    if wide {
        header.push("Runs".into());
    }
    f.render_widget(
        Table::new(rows, widths(fixed))
            .header(Row::new(header).style(theme.title()))
            .block(Block::bordered().title(list_title(
                "Slowest",
                slowest.len(),
                r.slowest.len(),
                &list.filter,
            ))),
        slow,
    );
    let worst: Vec<&WorkflowStats> = r.least_reliable.iter().filter(shown).collect();
    let fixed: &[u16] = if wide { &[8, 5, 5] } else { &[8, 5] };
    let width = name_width(flaky, fixed);
    let rows = worst.iter().map(|w| {
        let h = success_health(w.success_rate);
        let mut cells = vec![
            Line::raw(workflow_name(w, owner, width)),
            Line::styled(
                format!("{} {}", h.glyph(), fmt_pct(w.success_rate)),
                theme.health(h),
            ),
            Line::raw(w.flaky_runs.to_string()),
        ];
        if wide {
            cells.push(Line::raw(w.runs.to_string()));
        }
        Row::new(cells)
    });
    let mut header = vec![workflow_header, "Success".into(), "Flaky".into()];
    if wide {
        header.push("Runs".into());
    }
    f.render_widget(
        Table::new(rows, widths(fixed))
            .header(Row::new(header).style(theme.title()))
            .block(Block::bordered().title(list_title(
                "Least reliable",
                worst.len(),
                r.least_reliable.len(),
                &list.filter,
            ))),
        flaky,
    );
}

/// A workflow column that takes what the `fixed` columns leave.
fn widths(fixed: &[u16]) -> Vec<Constraint> {
    std::iter::once(Constraint::Min(12))
        .chain(fixed.iter().map(|w| Constraint::Length(*w)))
        .collect()
}

/// The organisation every listed repository belongs to (`acme` of `acme/api`), if they share one.
fn shared_owner<'a>(workflows: impl Iterator<Item = &'a WorkflowStats>) -> Option<&'a str> {
    let mut owner = None;
    for w in workflows {
        let (o, _) = w.repo.split_once('/')?;
        match owner {
            None => owner = Some(o),
            Some(seen) if seen == o => {}
            Some(_) => return None,
        }
    }
    owner
}

/// `repo/workflow` in `width` characters, without `owner/` when the header names it. A workflow
/// name alone repeats across repositories (every repository has its `ci`), so a long name is cut
/// in the repository and the workflow stays whole.
fn workflow_name(w: &WorkflowStats, owner: Option<&str>, width: usize) -> String {
    let repo = owner
        .and_then(|o| w.repo.strip_prefix(o)?.strip_prefix('/'))
        .unwrap_or(&w.repo);
    let full = format!("{repo}/{}", w.workflow);
    if full.chars().count() <= width {
        return full;
    }
    let repo_width = width.saturating_sub(w.workflow.chars().count() + 1);
    if repo_width < 4 {
        return truncate(&full, width);
    }
    format!("{}/{}", truncate(repo, repo_width), w.workflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workflow(repo: &str, name: &str) -> WorkflowStats {
        WorkflowStats {
            repo: repo.into(),
            workflow: name.into(),
            runs: 1,
            duration: Default::default(),
            success_rate: None,
            flaky_runs: 0,
        }
    }

    #[test]
    fn long_names_are_cut_in_the_repository_so_workflows_stay_apart() {
        let ci = workflow("acme/invoice-renderer", "ci");
        let deploy = workflow("acme/invoice-renderer", "deploy");
        assert_eq!(workflow_name(&ci, Some("acme"), 30), "invoice-renderer/ci");
        assert_eq!(workflow_name(&deploy, Some("acme"), 16), "invoice-…/deploy");
        assert_eq!(workflow_name(&ci, None, 16), "acme/invoice…/ci");
        assert_ne!(
            workflow_name(&ci, Some("acme"), 12),
            workflow_name(&deploy, Some("acme"), 12)
        );
        assert_eq!(
            workflow_name(&workflow("a/b", "a-very-long-workflow-name"), None, 10),
            "a/b/a-ver…"
        );
    }

    #[test]
    fn the_owner_is_dropped_only_when_every_repository_shares_it() {
        let same = [workflow("acme/a", "ci"), workflow("acme/b", "ci")];
        assert_eq!(shared_owner(same.iter()), Some("acme"));
        let mixed = [workflow("acme/a", "ci"), workflow("globex/b", "ci")];
        assert_eq!(shared_owner(mixed.iter()), None);
        let bare = [workflow("acme/a", "ci"), workflow("b", "ci")];
        assert_eq!(shared_owner(bare.iter()), None);
    }
}
