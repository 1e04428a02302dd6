//! The item under the cursor, for `o` (open) and `y` (copy): which store row it is, so its
//! link can be read from the row's provenance, or the link itself when the pane holds it.

use super::app::App;
use super::panes::PaneId;

/// One store row the user pointed at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRef {
    /// The store table (one of `store::tables::TABLE_NAMES`).
    pub table: &'static str,
    pub id: i64,
    /// How toasts name it ("incident Checkout errors").
    pub label: String,
    /// The link, when the pane already has it; otherwise it is read from the store.
    pub url: Option<String>,
}

/// What the cursor points at in the active pane, if it is a single row with a home page.
pub fn selected_item(app: &App) -> Option<ItemRef> {
    match app.pane {
        PaneId::Incidents => {
            let state = &app.incidents;
            let data = state.data.as_ref()?;
            let row = match state.detail {
                Some((id, _)) => data.rows.iter().find(|r| r.incident.id == id)?,
                None => data.rows.get(*state.visible().get(state.list.selected)?)?,
            };
            Some(ItemRef {
                table: "incidents",
                id: row.incident.id,
                label: format!("incident {}", row.incident.title),
                url: None,
            })
        }
        PaneId::Actions => {
            let state = &app.actions;
            let row = state
                .data
                .as_ref()?
                .rows
                .get(*state.visible().get(state.list.selected)?)?;
            let label = match &row.item.ticket_key {
                Some(key) => format!("follow-up {key}"),
                None => format!("follow-up {}", row.item.title),
            };
            Some(ItemRef {
                table: "action_items",
                id: row.item.id,
                label,
                url: None,
            })
        }
        PaneId::Slos => {
            let state = &app.slos;
            let data = state.data.as_ref()?;
            let row = match state.detail {
                Some(id) => data.slos.iter().find(|s| s.slo.id == id)?,
                None => data.slos.get(*state.visible().get(state.list.selected)?)?,
            };
            Some(ItemRef {
                table: "slos",
                id: row.slo.id,
                label: format!("SLO {}", row.slo.name),
                url: None,
            })
        }
        PaneId::Delivery => {
            let view = app.delivery.explain.as_ref()?;
            let row = view
                .data
                .as_ref()?
                .rows
                .get(*view.visible().get(view.list.selected)?)?;
            Some(ItemRef {
                table: row.table,
                id: row.id,
                label: format!("{} {}", row.table.trim_end_matches('s'), row.external_id),
                url: row.url.clone(),
            })
        }
        // Teams, workflows and the like summarise many rows, with no single page to open.
        _ => None,
    }
}

/// True when the active pane lists rows that `o` and `y` work on; cheaper than
/// [`selected_item`] (no filtering), as the footer and help ask on every frame.
pub fn pane_has_links(app: &App) -> bool {
    match app.pane {
        PaneId::Incidents => app
            .incidents
            .data
            .as_ref()
            .is_some_and(|d| !d.rows.is_empty()),
        PaneId::Actions => app
            .actions
            .data
            .as_ref()
            .is_some_and(|d| !d.rows.is_empty()),
        PaneId::Slos => app.slos.data.as_ref().is_some_and(|d| !d.slos.is_empty()),
        PaneId::Delivery => app
            .delivery
            .explain
            .as_ref()
            .and_then(|v| v.data.as_ref())
            .is_some_and(|d| !d.rows.is_empty()),
        _ => false,
    }
}

/// Why there is nothing to open in the active pane, for the toast.
pub fn nothing_selected(app: &App) -> String {
    match app.pane {
        PaneId::Delivery => {
            "press Enter on a number first: its rows (deployments, changes) have links".into()
        }
        PaneId::Incidents | PaneId::Actions | PaneId::Slos => "no row selected".into(),
        _ => format!(
            "{} rows summarise many items and have no link; open an incident, follow-up, SLO or \
             a Delivery drill-down row",
            app.pane.title()
        ),
    }
}
