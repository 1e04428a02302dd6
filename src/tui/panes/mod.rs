//! Panes: one module each, with a state struct, its key handling and its rendering. The app
//! forwards keys to the active pane and acts on what the pane answers ([`Outcome`]).

pub mod actions;
pub mod alignment;
pub mod ci;
pub mod delivery;
pub mod delivery_explain;
pub mod governance;
pub mod incidents;
pub mod list;
pub mod overview;
pub mod retro;
pub mod retro_facts;
pub mod retro_markdown;
pub mod slos;
pub mod units;

use super::data::Query;

/// The panes, in tab order: a pane's number is its position among the panes shown (see
/// `App::panes`), so only present panes get numbers and tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaneId {
    Overview,
    Delivery,
    Ci,
    Slos,
    Incidents,
    Actions,
    Retro,
    Alignment,
    Governance,
}

impl PaneId {
    /// The panes shown whatever the data.
    pub const ALL: [PaneId; 6] = [
        PaneId::Overview,
        PaneId::Delivery,
        PaneId::Ci,
        PaneId::Slos,
        PaneId::Incidents,
        PaneId::Actions,
    ];

    /// Every pane, the optional ones last (Retro, then Alignment and Governance, which appear
    /// when their data exists).
    pub const EVERY: [PaneId; 9] = [
        PaneId::Overview,
        PaneId::Delivery,
        PaneId::Ci,
        PaneId::Slos,
        PaneId::Incidents,
        PaneId::Actions,
        PaneId::Retro,
        PaneId::Alignment,
        PaneId::Governance,
    ];

    pub fn title(self) -> &'static str {
        match self {
            PaneId::Overview => "Overview",
            PaneId::Delivery => "Delivery",
            PaneId::Ci => "CI",
            PaneId::Slos => "SLOs",
            PaneId::Incidents => "Incidents",
            PaneId::Actions => "Actions",
            PaneId::Retro => "Retro",
            PaneId::Alignment => "Alignment",
            PaneId::Governance => "Governance",
        }
    }

    /// The pane's position in [`PaneId::EVERY`] (its slot).
    pub fn index(self) -> usize {
        PaneId::EVERY.iter().position(|p| *p == self).unwrap_or(0)
    }

    /// The pane numbered `n` (1-based) among `panes`, if there is one.
    pub fn numbered(n: u8, panes: &[PaneId]) -> Option<PaneId> {
        panes.get(usize::from(n).checked_sub(1)?).copied()
    }

    fn position_in(self, panes: &[PaneId]) -> usize {
        panes.iter().position(|p| *p == self).unwrap_or(0)
    }

    /// The pane after this one among `panes`, wrapping.
    pub fn next(self, panes: &[PaneId]) -> PaneId {
        let len = panes.len().max(1);
        panes
            .get((self.position_in(panes) + 1) % len)
            .copied()
            .unwrap_or(self)
    }

    /// The pane before this one among `panes`, wrapping.
    pub fn prev(self, panes: &[PaneId]) -> PaneId {
        let len = panes.len().max(1);
        panes
            .get((self.position_in(panes) + len - 1) % len)
            .copied()
            .unwrap_or(self)
    }

    /// The query that loads the pane's data.
    pub fn query(self) -> Query {
        match self {
            PaneId::Overview => Query::Overview,
            PaneId::Delivery => Query::Delivery,
            PaneId::Ci => Query::Ci,
            PaneId::Slos => Query::Slos,
            PaneId::Incidents => Query::Incidents,
            PaneId::Actions => Query::Actions,
            PaneId::Retro => Query::Retro(None),
            PaneId::Alignment => Query::Alignment,
            PaneId::Governance => Query::Governance,
        }
    }
}

/// What a pane did with a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Not the pane's: the app's global keys get it.
    Ignored,
    /// Handled; redraw.
    Consumed,
    /// Handled; load this for the pane (a drill-down that needs rows).
    Load(Query),
    /// Narrow every pane to this team.
    SetTeam(String),
}

/// What a pane shows before its data arrives: loading, or the error that stopped it.
pub fn placeholder(
    f: &mut ratatui::Frame,
    area: ratatui::layout::Rect,
    app: &super::app::App,
    theme: super::theme::Theme,
) {
    use ratatui::text::Line;
    use ratatui::widgets::{Block, Paragraph, Wrap};
    let text = match &app.slot(app.pane).error {
        Some(e) => Line::styled(format!("✗ {e}"), theme.breach()),
        None => Line::styled("Loading…", theme.muted()),
    };
    f.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .block(Block::bordered()),
        area,
    );
}

/// A list's title with its filter, so a narrowed list always says so.
pub fn list_title(name: &str, shown: usize, total: usize, filter: &str) -> String {
    if filter.is_empty() {
        format!(" {name} · {total} ")
    } else {
        format!(" {name} · {shown} of {total} matching /{filter} ")
    }
}
