//! Incidents: open ones first, then the scope's most recent, with the normalised severity and
//! the source's own value, time to acknowledge and resolve, and SLA status. Enter opens the
//! timeline, the deployment the incident is attributed to (with its changes) and its follow-ups.

use super::Outcome;
use super::list::{ListState, ListTable, MOVES, Visible};
use super::units::{fmt_pct, fmt_secs, fmt_time, truncate};
use crate::metrics::dora::AttributionRule;
use crate::model::{Incident, Severity};
use crate::tui::app::App;
use crate::tui::data::{IncidentData, IncidentRow};
use crate::tui::data_ops::SlaStatus;
use crate::tui::keymap::Action;
use crate::tui::theme::{Health, Theme};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Wrap};

#[derive(Debug, Default)]
pub struct IncidentState {
    pub data: Option<IncidentData>,
    pub list: ListState,
    /// The incident whose detail is open (store id), and the detail's scroll offset.
    pub detail: Option<(i64, u16)>,
}

impl IncidentState {
    pub fn accept(&mut self, data: IncidentData) {
        if let Some((id, _)) = self.detail
            && !data.rows.iter().any(|r| r.incident.id == id)
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
        self.list.visible(&d.rows, |r| {
            let i = &r.incident;
            format!(
                "{} {} {} {} {} {}",
                r.reference.as_deref().unwrap_or(""),
                i.severity.as_str(),
                i.severity_original,
                i.title,
                i.service.as_deref().unwrap_or(""),
                if i.resolved_at.is_none() { "open" } else { "" }
            )
        })
    }

    pub fn list(&self) -> Option<&ListState> {
        self.detail.is_none().then_some(&self.list)
    }

    pub fn list_mut(&mut self) -> Option<&mut ListState> {
        self.detail.is_none().then_some(&mut self.list)
    }

    pub fn handle(&mut self, action: Action) -> Outcome {
        if let Some((_, scroll)) = &mut self.detail {
            match action {
                Action::Back => self.detail = None,
                Action::Down => *scroll = scroll.saturating_add(1),
                Action::Up => *scroll = scroll.saturating_sub(1),
                Action::PageDown => *scroll = scroll.saturating_add(10),
                Action::PageUp => *scroll = scroll.saturating_sub(10),
                Action::Top => *scroll = 0,
                _ => return Outcome::Ignored,
            }
            return Outcome::Consumed;
        }
        let n = self.visible().len();
        match self.list.handle(action, n) {
            Outcome::Ignored if action == Action::DrillDown => {
                let id = self
                    .visible()
                    .get(self.list.selected)
                    .and_then(|i| self.data.as_ref()?.rows.get(*i))
                    .map(|r| r.incident.id);
                self.detail = id.map(|id| (id, 0));
                Outcome::Consumed
            }
            outcome => outcome,
        }
    }

    pub fn valid_actions(&self) -> Vec<Action> {
        if self.detail.is_some() {
            return vec![
                Action::Up,
                Action::Down,
                Action::PageDown,
                Action::PageUp,
                Action::Back,
            ];
        }
        self.list
            .valid_actions(MOVES.into_iter().chain([Action::DrillDown]))
    }
}

pub fn severity_health(s: Severity) -> Health {
    match s {
        Severity::Sev1 | Severity::Sev2 => Health::Breach,
        Severity::Sev3 => Health::Warn,
        Severity::Sev4 | Severity::Sev5 => Health::Unknown,
    }
}

fn sla_span(s: SlaStatus, t: Theme) -> Span<'static> {
    match s {
        SlaStatus::Met => Span::styled("✓ met", t.ok()),
        SlaStatus::Breached => Span::styled("✗ breached", t.breach()),
        SlaStatus::Pending => Span::styled("▲ pending", t.warn()),
        SlaStatus::NoTarget => Span::styled("· none", t.muted()),
    }
}

/// [`sla_span`] in at most six columns, for narrow terminals.
fn sla_short(s: SlaStatus, t: Theme) -> Span<'static> {
    match s {
        SlaStatus::Met => Span::styled("✓ met", t.ok()),
        SlaStatus::Breached => Span::styled("✗ miss", t.breach()),
        SlaStatus::Pending => Span::styled("▲ due", t.warn()),
        SlaStatus::NoTarget => Span::styled("·", t.muted()),
    }
}

fn is_open(i: &Incident, now_open: bool) -> bool {
    now_open && i.resolved_at.is_none()
}

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let state = &app.incidents;
    let Some(data) = &state.data else {
        super::placeholder(f, area, app, theme);
        return;
    };
    if let Some((row, scroll)) = state
        .detail
        .and_then(|(id, s)| Some((data.rows.iter().find(|r| r.incident.id == id)?, s)))
    {
        render_detail(f, area, row, scroll, theme);
        return;
    }
    let r = &data.report;
    let [summary, list] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    let sla: Vec<String> = r
        .by_severity
        .iter()
        .filter_map(|s| {
            Some(format!(
                "{} {}",
                s.severity.as_str(),
                fmt_pct(s.sla.as_ref()?.rate)
            ))
        })
        .collect();
    f.render_widget(
        Line::from(vec![
            Span::raw(format!(
                " {} in range · {} unresolved · MTTA p50 {} · MTTR p50 {}",
                r.incidents,
                r.unresolved,
                fmt_secs(r.acknowledge.median_seconds),
                fmt_secs(r.resolve.median_seconds)
            )),
            Span::styled(format!(" · SLA met {}", sla.join(" ")), theme.muted()),
        ]),
        summary,
    );
    // Narrow terminals keep the title readable: the status shrinks to a glyph for resolved
    // incidents, the SLA words shorten, and the SLA column goes when no incident has a target.
    let wide = area.width >= 110;
    let with_sla = data.rows.iter().any(|r| r.sla != SlaStatus::NoTarget);
    let visible = state.visible();
    let mut header = vec![if wide { "Severity" } else { "Sev" }, "Title"];
    let mut fixed: Vec<u16> = vec![if wide { 18 } else { 4 }];
    if wide {
        header.extend(["Service", "Created (UTC)"]);
        fixed.extend([16, 16]);
    }
    header.extend(["Status", "TTA", "TTR"]);
    fixed.extend(if wide { [10, 6, 6] } else { [6, 5, 5] });
    if with_sla {
        header.push("SLA");
        fixed.push(if wide { 10 } else { 6 });
    }
    // Border, selection marker and one space between columns.
    let title_width = usize::from(
        area.width
            .saturating_sub(4 + fixed.len() as u16 + fixed.iter().sum::<u16>()),
    )
    .max(12);
    let row = |k: &usize| {
        let Some(row) = data.rows.get(*k) else {
            return Row::default();
        };
        let i = &row.incident;
        let h = severity_health(i.severity);
        let status = match (is_open(i, true), wide) {
            (true, _) => Span::styled("✗ open", theme.breach()),
            (false, true) => Span::styled("✓ resolved", theme.ok()),
            (false, false) => Span::styled("✓", theme.ok()),
        };
        let sev = if wide {
            format!(
                "{} ({})",
                i.severity.as_str(),
                truncate(&i.severity_original, 10)
            )
        } else {
            i.severity.as_str().to_string()
        };
        let mut cells = vec![
            Cell::from(Span::styled(sev, theme.health(h))),
            Cell::from(truncate(&i.title, title_width)),
        ];
        if wide {
            cells.push(Cell::from(i.service.clone().unwrap_or_else(|| "–".into())));
            cells.push(Cell::from(fmt_time(Some(i.created_at))));
        }
        cells.extend([
            Cell::from(status),
            Cell::from(fmt_secs(row.ack_seconds)),
            Cell::from(fmt_secs(row.resolve_seconds)),
        ]);
        if with_sla {
            cells.push(Cell::from(if wide {
                sla_span(row.sla, theme)
            } else {
                sla_short(row.sla, theme)
            }));
        }
        Row::new(cells)
    };
    let widths: Vec<Constraint> = std::iter::once(fixed[0])
        .map(Constraint::Length)
        .chain([Constraint::Min(12)])
        .chain(fixed[1..].iter().map(|w| Constraint::Length(*w)))
        .collect();
    let table = ListTable::new("Incidents", data.rows.len(), widths).header(header, theme);
    state.list.render_list(f, list, &visible, row, table, theme);
}

fn render_detail(f: &mut Frame, area: Rect, row: &IncidentRow, scroll: u16, t: Theme) {
    let i = &row.incident;
    let h = severity_health(i.severity);
    let muted = |s: String| Span::styled(s, t.muted());
    let mut lines = vec![
        Line::from(vec![
            Span::styled(
                format!("{} {} ", h.glyph(), i.severity.as_str()),
                t.health(h),
            ),
            muted(format!("(source: {}) ", i.severity_original)),
            Span::styled(i.title.clone(), t.title()),
        ]),
        Line::from(vec![
            muted("service ".into()),
            Span::raw(i.service.clone().unwrap_or_else(|| "–".into())),
            muted(" · team ".into()),
            Span::raw(i.team.clone().unwrap_or_else(|| "–".into())),
            muted(" · acknowledged in ".into()),
            Span::raw(fmt_secs(row.ack_seconds)),
            muted(" · resolved in ".into()),
            Span::raw(fmt_secs(row.resolve_seconds)),
            muted(" · SLA ".into()),
            sla_span(row.sla, t),
        ]),
        Line::raw(""),
        Line::styled("Timeline (UTC)", t.title()),
        Line::raw(format!("  {}  created", fmt_time(Some(i.created_at)))),
    ];
    if row.events.is_empty() {
        lines.push(Line::styled("  no log entries", t.muted()));
    }
    for e in &row.events {
        lines.push(Line::from(vec![
            Span::raw(format!("  {}  ", fmt_time(Some(e.at)))),
            Span::styled(e.kind.clone(), t.accent()),
            muted(
                [e.actor.as_deref(), e.detail.as_deref()]
                    .into_iter()
                    .flatten()
                    .fold(String::new(), |acc, s| acc + "  " + s),
            ),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Attributed deployment", t.title()));
    match &row.attribution {
        None => lines.push(Line::styled(
            "  outside the DORA period of this range",
            t.muted(),
        )),
        Some((rule, None)) => lines.push(Line::styled(
            format!(
                "  none: {}",
                match rule {
                    AttributionRule::NoService => "the incident names no service",
                    _ => "no production deployment of its service in the window before it",
                }
            ),
            t.muted(),
        )),
        Some((rule, Some(d))) => {
            lines.push(Line::raw(format!(
                "  {} → {} finished {} ({}, {})",
                d.service,
                d.environment,
                fmt_time(Some(d.finished_at)),
                d.kind.as_str(),
                match rule {
                    AttributionRule::Explicit => "named by the incident",
                    _ => "latest deployment of the service before it",
                }
            )));
            for c in &row.deployment_changes {
                lines.push(Line::styled(
                    format!(
                        "    {} {}",
                        c.repo,
                        c.title.as_deref().unwrap_or("(untitled change)")
                    ),
                    t.muted(),
                ));
            }
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Follow-up actions", t.title()));
    if row.actions.is_empty() {
        lines.push(Line::styled("  none recorded", t.muted()));
    }
    for a in &row.actions {
        let (g, style) = if a.status.is_closed() {
            ("✓", t.ok())
        } else {
            ("·", t.warn())
        };
        lines.push(Line::from(vec![
            Span::styled(format!("  {g} "), style),
            Span::raw(a.title.clone()),
            muted(format!(
                "  {} {}",
                a.ticket_key.as_deref().unwrap_or(""),
                super::actions::status_text(a.status)
            )),
        ]));
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(
                Block::bordered()
                    .title(format!(
                        " Incident {} · Esc back · j/k scroll ",
                        row.reference.as_deref().unwrap_or(&format!("#{}", i.id))
                    ))
                    .title_style(t.title()),
            ),
        area,
    );
}
