//! Governance: the metric definitions with the version the current config uses and how many
//! versions exist, the decision log in the range, and per-source sync state with errors.

use super::Outcome;
use super::list::{ListState, ListTable, MOVES, Visible};
use super::units::{fmt_day, fmt_time, truncate};
use crate::tui::app::App;
use crate::tui::data_planning::GovernanceData;
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Wrap};

#[derive(Debug, Default)]
pub struct GovernanceState {
    pub data: Option<GovernanceData>,
    pub list: ListState,
}

impl GovernanceState {
    pub fn accept(&mut self, data: GovernanceData) {
        self.data = Some(data);
        self.list.invalidate();
        let n = self.visible().len();
        self.list.clamp(n);
    }

    /// Definitions matching the filter.
    pub fn visible(&self) -> Visible<'_> {
        let Some(d) = &self.data else {
            return Visible::none();
        };
        self.list.visible(&d.definitions, |s| {
            let lifecycle = s.versions.last().map_or("", |v| v.lifecycle.as_str());
            format!("{} {lifecycle}", s.metric)
        })
    }

    pub fn handle(&mut self, action: Action) -> Outcome {
        let n = self.visible().len();
        self.list.handle(action, n)
    }

    pub fn valid_actions(&self) -> Vec<Action> {
        self.list.valid_actions(MOVES)
    }
}

/// How long ago `t` was, from `now`.
fn age(t: Option<crate::model::Timestamp>, now: Option<crate::model::Timestamp>) -> String {
    let (Some(t), Some(now)) = (t, now) else {
        return "never".into();
    };
    let minutes = (now - t).num_minutes().max(0);
    match minutes {
        0..=1 => "just now".into(),
        2..=119 => format!("{minutes}m ago"),
        120..=2879 => format!("{}h ago", minutes / 60),
        _ => format!("{}d ago", minutes / 1440),
    }
}

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let state = &app.governance;
    let Some(data) = &state.data else {
        super::placeholder(f, area, app, theme);
        return;
    };
    let wide = area.width >= 110;
    let sync_height = (data.sync.len() as u16 + 2).clamp(3, 8);
    let log_height = (data.annotations.len() as u16 + 2).clamp(3, area.height / 3);
    let [top, detail, annotations, sync] = Layout::vertical([
        Constraint::Min(5),
        Constraint::Length(4),
        Constraint::Length(log_height),
        Constraint::Length(sync_height),
    ])
    .areas(area);
    render_definitions(f, top, state, data, wide, theme);
    render_detail(f, detail, state, data, theme);
    render_annotations(f, annotations, data, wide, theme);
    render_sync(f, sync, data, theme);
}

fn render_definitions(
    f: &mut Frame,
    area: Rect,
    state: &GovernanceState,
    data: &GovernanceData,
    wide: bool,
    theme: Theme,
) {
    let visible = state.visible();
    let row = |i: &usize| {
        let Some(d) = data.definitions.get(*i) else {
            return Row::default();
        };
        let latest = d.versions.last().map_or(0, |v| v.version);
        let lifecycle = d.versions.last().map_or("–", |v| v.lifecycle.as_str());
        let listed = d
            .in_use
            .iter()
            .map(|v| format!("v{v}"))
            .collect::<Vec<_>>()
            .join(" ");
        let in_use = if d.in_use.contains(&latest) {
            Span::styled(format!("✓ {listed}"), theme.ok())
        } else {
            // The newest recorded version is not what the config maps to: a config rolled
            // back, or a team or SLO whose parameters changed since.
            Span::styled(format!("▲ {listed} (newest v{latest})"), theme.warn())
        };
        let mut cells = vec![
            Cell::from(d.metric.clone()),
            Cell::from(in_use),
            Cell::from(format!("{}", d.versions.len())),
            Cell::from(lifecycle.to_string()),
        ];
        if wide {
            cells.push(Cell::from(Span::styled(
                d.versions
                    .last()
                    .and_then(|v| v.reason.clone())
                    .unwrap_or_default(),
                theme.muted(),
            )));
        }
        Row::new(cells)
    };
    let mut widths = vec![
        Constraint::Length(36),
        Constraint::Length(if wide { 24 } else { 14 }),
        Constraint::Length(8),
        Constraint::Length(10),
    ];
    let mut header = vec!["Metric", "In use", "Versions", "Lifecycle"];
    if wide {
        widths.push(Constraint::Min(10));
        header.push("Reason");
    }
    let table =
        ListTable::new("Metric definitions", data.definitions.len(), widths).header(header, theme);
    state.list.render_list(f, area, &visible, row, table, theme);
}

/// The parameters of the selected metric's version in use.
fn render_detail(
    f: &mut Frame,
    area: Rect,
    state: &GovernanceState,
    data: &GovernanceData,
    theme: Theme,
) {
    let selected = state
        .visible()
        .get(state.list.selected)
        .and_then(|i| data.definitions.get(*i));
    let text = match selected {
        None => Line::styled(" No definition selected.", theme.muted()),
        Some(d) => {
            let newest_in_use = d.in_use.last().copied();
            let v = d
                .versions
                .iter()
                .find(|v| Some(v.version) == newest_in_use)
                .or(d.versions.last());
            match v {
                Some(v) => Line::from(vec![
                    Span::styled(
                        format!(" v{} since {}: ", v.version, fmt_day(Some(v.valid_from))),
                        theme.accent(),
                    ),
                    Span::raw(v.parameters.clone()),
                ]),
                None => Line::styled(" No version recorded.", theme.muted()),
            }
        }
    };
    f.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: true }).block(
            Block::bordered()
                .title(" Parameters of the newest version in use ")
                .title_style(theme.title()),
        ),
        area,
    );
}

fn render_annotations(f: &mut Frame, area: Rect, data: &GovernanceData, wide: bool, theme: Theme) {
    let title_width = usize::from(area.width.saturating_sub(if wide { 60 } else { 30 })).max(12);
    let rows = data.annotations.iter().map(|a| {
        let mut cells = vec![
            Cell::from(fmt_day(Some(a.at))),
            Cell::from(a.team.clone().unwrap_or_else(|| "all".into())),
            Cell::from(truncate(&a.title, title_width)),
        ];
        if wide {
            cells.push(Cell::from(Span::styled(
                a.metric.clone().unwrap_or_else(|| "–".into()),
                theme.muted(),
            )));
        }
        Row::new(cells)
    });
    let mut widths = vec![
        Constraint::Length(10),
        Constraint::Length(15),
        Constraint::Min(12),
    ];
    if wide {
        widths.push(Constraint::Length(28));
    }
    f.render_widget(
        Table::new(rows, widths).block(
            Block::bordered()
                .title(format!(
                    " Decision log in the range · {} ",
                    data.annotations.len()
                ))
                .title_style(theme.title()),
        ),
        area,
    );
}

fn render_sync(f: &mut Frame, area: Rect, data: &GovernanceData, theme: Theme) {
    let block = Block::bordered()
        .title(" Sources: freshness and sync errors ")
        .title_style(theme.title());
    if data.sync.is_empty() {
        f.render_widget(
            Paragraph::new(Line::styled(
                " No source has synced yet: configure sources and run plumb sync.",
                theme.muted(),
            ))
            .block(block),
            area,
        );
        return;
    }
    let rows = data.sync.iter().map(|s| {
        let status = match (&s.last_error, s.last_error_at) {
            (Some(e), at) if at >= s.last_ok_at => {
                Span::styled(format!("✗ {} ({})", e, fmt_time(at)), theme.breach())
            }
            _ => Span::styled("✓ ok", theme.ok()),
        };
        Row::new(vec![
            Cell::from(s.source.clone()),
            Cell::from(s.resource.clone()),
            Cell::from(age(s.last_ok_at, data.now)),
            Cell::from(status),
        ])
    });
    f.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(16),
                Constraint::Length(16),
                Constraint::Length(10),
                Constraint::Min(10),
            ],
        )
        .block(block),
        area,
    );
}
