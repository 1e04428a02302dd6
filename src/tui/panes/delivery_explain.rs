//! Delivery's drill-down ("explain"): the rows behind one number with their provenance, each
//! named as its tool names it, failed deployments marked with what made them fail.

use super::list::{ListState, ListTable, Visible};
use super::units::{fmt_secs, fmt_time};
use crate::metrics::DefinitionRef;
use crate::tui::data::{ExplainData, ExplainQuery, ExplainRow};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row};

/// The drill-down: the rows behind one number.
#[derive(Debug)]
pub struct ExplainView {
    pub query: ExplainQuery,
    pub data: Option<ExplainData>,
    pub list: ListState,
}

fn definitions_text(defs: &[DefinitionRef]) -> String {
    let mut parts: Vec<String> = defs
        .iter()
        .map(|d| format!("{} v{}", d.metric, d.version))
        .collect();
    parts.dedup();
    parts.join(", ")
}

impl ExplainView {
    pub fn visible(&self) -> Visible<'_> {
        let Some(d) = &self.data else {
            return Visible::none();
        };
        // `/failed` lists the failed deployments.
        self.list.visible(&d.rows, |r| {
            format!(
                "{} {} {} {} {} {} {}",
                r.table,
                r.what,
                r.source,
                r.reference,
                r.external_id,
                r.note.as_deref().unwrap_or(""),
                if r.failed { "failed" } else { "" }
            )
        })
    }
}

/// The explain view in place of the pane: what is explained, then its rows.
pub fn render(f: &mut Frame, area: Rect, v: &ExplainView, t: Theme) {
    let [head, body] = Layout::vertical([Constraint::Length(2), Constraint::Min(3)]).areas(area);
    let Some(data) = &v.data else {
        f.render_widget(
            Paragraph::new(vec![
                Line::styled(format!(" Explain: {}", v.query.title), t.title()),
                Line::styled(" Loading the rows…", t.muted()),
            ]),
            head,
        );
        return;
    };
    let excluded = if data.excluded > 0 {
        format!(
            " · {} left out: {}",
            data.excluded,
            v.query.explain.exclusion_summary()
        )
    } else {
        String::new()
    };
    let failed = data.rows.iter().filter(|r| r.failed).count();
    let (failed_text, failed_hint) = if failed > 0 {
        (
            format!(" · ✗ {failed} failed deployments"),
            "  · /failed lists them",
        )
    } else {
        (String::new(), "")
    };
    f.render_widget(
        Paragraph::new(vec![
            Line::from(vec![
                Span::styled(format!(" Explain: {}", data.title), t.title()),
                Span::styled(format!("  {} rows", data.rows.len()), t.muted()),
                Span::styled(failed_text, t.breach()),
                Span::styled(excluded, t.muted()),
            ]),
            Line::from(vec![
                Span::styled(" definition ", t.muted()),
                Span::styled(definitions_text(&data.definitions), t.accent()),
                Span::styled(failed_hint, t.muted()),
                Span::styled("  · Esc back", t.muted()),
            ]),
        ]),
        head,
    );
    // Wide: a column for the notes (why a deployment failed, what a rollback remediated) takes
    // the link's place when there are notes (o opens the link). Narrow: shorter dates, no
    // source, and the note before the description.
    let wide = area.width >= 110;
    let notes = data.rows.iter().any(|r| r.note.is_some());
    // A median's rows show the value each contributed.
    let values = data.rows.iter().any(|r| r.seconds.is_some());
    let visible = v.visible();
    let row = |i: &usize| {
        let Some(r) = data.rows.get(*i) else {
            return Row::default();
        };
        let kind = match r.table {
            "deployments" => "deploy",
            "changes" => "change",
            "incidents" => "incident",
            other => other,
        };
        let kind = if r.failed {
            Cell::from(Span::styled(format!("✗ {kind}"), t.breach()))
        } else {
            Cell::from(format!("  {kind}"))
        };
        let when = match (wide, r.at) {
            (false, Some(at)) => at.format("%m-%d %H:%M").to_string(),
            _ => fmt_time(r.at),
        };
        // Narrow, the note comes first: on a marked row it is what the reader looks for.
        let what = match (&r.note, wide) {
            (Some(note), false) => Cell::from(Line::from(vec![
                Span::styled(note.clone(), note_style(r, t)),
                Span::raw(format!(" · {}", r.what)),
            ])),
            _ => Cell::from(r.what.clone()),
        };
        let mut cells = vec![Cell::from(when), kind, what];
        if wide {
            cells.push(Cell::from(r.source.clone()));
        }
        cells.push(Cell::from(r.reference.clone()));
        if values {
            cells.push(Cell::from(
                r.seconds.map_or_else(String::new, |s| fmt_secs(Some(s))),
            ));
        }
        if wide {
            cells.push(match (&r.note, notes) {
                (Some(note), _) => Cell::from(Span::styled(note.clone(), note_style(r, t))),
                (None, true) => Cell::from(""),
                (None, false) => Cell::from(Span::styled(
                    r.url.clone().unwrap_or_else(|| "–".into()),
                    t.muted(),
                )),
            });
        }
        Row::new(cells)
    };
    let mut widths = vec![
        Constraint::Length(if wide { 16 } else { 11 }),
        Constraint::Length(10),
    ];
    let mut header = vec!["When (UTC)", "  Row"];
    if wide {
        widths.push(Constraint::Length(if notes { 30 } else { 40 }));
    } else {
        widths.push(Constraint::Min(20));
    }
    header.push("What");
    if wide {
        widths.push(Constraint::Length(12));
        header.push("Source");
    }
    widths.push(Constraint::Length(11));
    header.push("Reference");
    if values {
        widths.push(Constraint::Length(7));
        header.push("Value");
    }
    if wide {
        widths.push(Constraint::Min(20));
        header.push(if notes { "Failure" } else { "URL" });
    }
    let table = ListTable::new("Rows", data.rows.len(), widths).header(header, t);
    v.list.render_list(f, body, &visible, row, table, t);
}

fn note_style(r: &ExplainRow, t: Theme) -> Style {
    if r.failed { t.breach() } else { t.warn() }
}
