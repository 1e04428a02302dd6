//! Mouse support (`ui.mouse`): a click on a tab switches to it, the wheel moves the selection,
//! a click on a list row selects it. Keys stay the primary way in; the mouse only ever runs
//! the same actions keys do.

use super::app::{App, Effect};
use super::keymap::Action;
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

/// Handles one mouse event; ignored unless the mouse is on and no popup is open.
pub fn handle(app: &mut App, ev: MouseEvent) -> Vec<Effect> {
    if !app.mouse || app.help_open || app.picker.is_some() || app.palette.is_some() {
        return vec![];
    }
    match ev.kind {
        MouseEventKind::ScrollDown => app.run_action(Action::Down),
        MouseEventKind::ScrollUp => app.run_action(Action::Up),
        MouseEventKind::Down(MouseButton::Left) => click(app, ev.column, ev.row),
        _ => vec![],
    }
}

fn click(app: &mut App, column: u16, row: u16) -> Vec<Effect> {
    let hit = |r: &ratatui::layout::Rect| {
        column >= r.x && column < r.x + r.width && row >= r.y && row < r.y + r.height
    };
    let tab = app
        .tab_hits
        .borrow()
        .iter()
        .find(|(r, _)| hit(r))
        .map(|(_, p)| *p);
    if let Some(pane) = tab {
        let position = app.panes.iter().position(|p| *p == pane).unwrap_or(0);
        let n = u8::try_from(position + 1).unwrap_or(u8::MAX);
        return app.run_action(Action::GoToPane(n));
    }
    let Some((area, marker)) = app.row_hits.get() else {
        return vec![];
    };
    let Some(current) = app.active_list().map(|l| l.selected) else {
        return vec![];
    };
    // Rows sit one per line around the selected one, wherever the pane put its list.
    let Some(target) = (current + usize::from(row)).checked_sub(usize::from(marker)) else {
        return vec![];
    };
    if !hit(&area) {
        return vec![];
    }
    // The same steps the keys take, so the pane clamps and reacts as it does to `j`/`k`.
    let (action, steps) = if target >= current {
        (Action::Down, target - current)
    } else {
        (Action::Up, current - target)
    };
    let mut effects = Vec::new();
    for _ in 0..steps {
        effects.extend(app.run_action(action));
    }
    effects
}
