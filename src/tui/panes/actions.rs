//! Actions: postmortem follow-ups, overdue first, with owner team, due date, status and ticket;
//! the header shows the completion rate and the incident debt with the reliability share it
//! recommends.

use super::Outcome;
use super::list::{ListState, ListTable, MOVES, Visible};
use super::units::{fmt_day, fmt_pct, truncate};
use crate::model::ActionStatus;
use crate::tui::app::App;
use crate::tui::data::ActionData;
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row};

#[derive(Debug, Default)]
pub struct ActionState {
    pub data: Option<ActionData>,
    pub list: ListState,
}

pub fn status_text(s: ActionStatus) -> &'static str {
    match s {
        ActionStatus::Open => "open",
        ActionStatus::InProgress => "in progress",
        ActionStatus::Done => "done",
        ActionStatus::WontDo => "won't do",
    }
}

impl ActionState {
    pub fn accept(&mut self, data: ActionData) {
        self.data = Some(data);
        self.list.invalidate();
        let n = self.visible().len();
        self.list.clamp(n);
    }

    pub fn visible(&self) -> Visible<'_> {
        let Some(d) = &self.data else {
            return Visible::none();
        };
        self.list.visible(&d.rows, |r| {
            format!(
                "{} {} {} {} {}",
                r.item.title,
                r.item.team.as_deref().unwrap_or(""),
                r.item.ticket_key.as_deref().unwrap_or(""),
                status_text(r.item.status),
                if r.overdue { "overdue" } else { "" }
            )
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

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let state = &app.actions;
    let Some(data) = &state.data else {
        super::placeholder(f, area, app, theme);
        return;
    };
    let r = &data.report;
    let [head, list] = Layout::vertical([Constraint::Length(2), Constraint::Min(3)]).areas(area);
    let overdue_style = if r.overdue > 0 {
        theme.warn()
    } else {
        theme.ok()
    };
    let overdue_glyph = if r.overdue > 0 { "▲" } else { "✓" };
    f.render_widget(
        Paragraph::new(vec![
            Line::from(vec![
                Span::raw(format!(" {} follow-ups · {} open · ", r.total, r.open)),
                Span::styled(
                    format!("{overdue_glyph} {} overdue", r.overdue),
                    overdue_style,
                ),
                Span::raw(format!(
                    " · completion {} · prevent/mitigate on {} of incidents",
                    fmt_pct(r.completion_rate),
                    fmt_pct(r.prevent_or_mitigate_share)
                )),
            ]),
            Line::from(vec![
                Span::raw(format!(
                    " incident debt {:.1} points → reliability share {:.0}%",
                    r.debt.points,
                    r.debt.recommended_reliability_share * 100.0
                )),
                Span::styled(
                    format!(
                        " (overdue {:.1} + SEV1-2 {:.1} + budget {:.1}) · {} v{}",
                        r.debt.weighted_overdue,
                        r.debt.open_sev12_points,
                        r.debt.overspent_budget_points,
                        r.definition.metric,
                        r.definition.version
                    ),
                    theme.muted(),
                ),
            ]),
        ]),
        head,
    );
    let wide = area.width >= 110;
    let visible = state.visible();
    let row = |i: &usize| {
        let Some(row) = data.rows.get(*i) else {
            return Row::default();
        };
        let a = &row.item;
        let status = if row.overdue {
            Span::styled("✗ overdue", theme.breach())
        } else if a.status.is_closed() {
            Span::styled(format!("✓ {}", status_text(a.status)), theme.ok())
        } else {
            Span::styled(format!("· {}", status_text(a.status)), theme.base())
        };
        let mut cells = vec![
            Cell::from(status),
            Cell::from(truncate(&a.title, if wide { 44 } else { 24 })),
            Cell::from(a.team.clone().unwrap_or_else(|| "–".into())),
            Cell::from(match a.due_at {
                Some(_) => fmt_day(a.due_at),
                None => "policy".into(),
            }),
            Cell::from(a.ticket_key.clone().unwrap_or_else(|| "–".into())),
        ];
        if wide {
            cells.push(Cell::from(
                row.severity.map_or("–", |s| s.as_str()).to_string(),
            ));
            cells
                .push(Cell::from(a.category.map_or("–".to_string(), |c| {
                    format!("{c:?}").to_lowercase()
                })));
        }
        Row::new(cells)
    };
    let mut header = vec!["Status", "Follow-up", "Team", "Due", "Ticket"];
    let mut widths = vec![
        Constraint::Length(13),
        Constraint::Min(16),
        Constraint::Length(if wide { 16 } else { 10 }),
        Constraint::Length(10),
        Constraint::Length(10),
    ];
    if wide {
        header.extend(["Sev", "Category"]);
        widths.extend([Constraint::Length(5), Constraint::Length(11)]);
    }
    // The scope, said where the rows are: open items of any age, and those closed in the range.
    let table = ListTable::new(
        "Follow-ups · open (any age) + closed in range",
        data.rows.len(),
        widths,
    )
    .header(header, theme);
    state.list.render_list(f, list, &visible, row, table, theme);
}
