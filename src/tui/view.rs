//! The frame: header (title, scope, range), the active pane, footer (keys, freshness, state),
//! and the help overlay drawn from the actions valid now.

use super::app::App;
use super::panes::{self, PaneId};
use super::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Row, Table};

pub struct Context {
    pub demo: bool,
}

/// The smallest terminal plumb draws into.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

pub fn render(f: &mut Frame, app: &App, theme: Theme, ctx: &Context) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        // Wrapped, so that even a tiny terminal shows the size it needs.
        let msg = format!(
            "Terminal too small: {}x{}. plumb needs {MIN_WIDTH}x{MIN_HEIGHT}.",
            area.width, area.height
        );
        f.render_widget(
            Paragraph::new(msg)
                .style(theme.warn())
                .wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    }
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    render_header(f, header, app, theme, ctx);
    match app.pane {
        PaneId::Overview => panes::overview::render(f, body, app, theme),
        PaneId::Delivery => panes::delivery::render(f, body, app, theme),
        PaneId::Ci => panes::ci::render(f, body, app, theme),
        PaneId::Slos => panes::slos::render(f, body, app, theme),
        PaneId::Incidents => panes::incidents::render(f, body, app, theme),
        PaneId::Actions => panes::actions::render(f, body, app, theme),
        PaneId::Retro => panes::retro::render(f, body, app, theme),
        PaneId::Alignment => panes::alignment::render(f, body, app, theme),
        PaneId::Governance => panes::governance::render(f, body, app, theme),
    }
    record_rows(f, body, app);
    render_footer(f, footer, app, theme);
    if let Some(picker) = &app.picker {
        picker.render(f, body, theme);
    }
    if let Some(palette) = &app.palette {
        palette.render(f, body, theme);
    }
    if app.help_open {
        render_help(f, body, app, theme);
    }
    // Last, so that a notice about what a popup just did is not hidden under the popup.
    app.toasts.render(f, body, theme);
}

/// Notes where the pane drew its selection marker, so a mouse click on another row can be
/// turned into the same cursor moves as keys (panes draw their lists in different places).
fn record_rows(f: &mut Frame, body: Rect, app: &App) {
    if !app.mouse {
        return;
    }
    let buf = f.buffer_mut();
    let marker = (body.y..body.y + body.height)
        .find(|&y| (body.x..body.x + body.width.min(4)).any(|x| buf[(x, y)].symbol() == "›"));
    app.row_hits.set(marker.map(|y| (body, y)));
}

/// Tabs on the left (names in full when they fit, else numbers beside the active one's name),
/// team and range on the right: every pane shows its scope.
fn render_header(f: &mut Frame, area: Rect, app: &App, theme: Theme, ctx: &Context) {
    let scope = app.team.as_deref().unwrap_or("all teams");
    // With a service picked on a narrow terminal, the scope drops its labels so the tabs
    // keep their numbers: `payments / ledger`.
    let narrow = area.width < 120;
    let mut right = match (&app.service, narrow) {
        (Some(service), true) => vec![Span::styled(format!("{scope} / {service}"), theme.base())],
        (Some(service), false) => vec![
            Span::styled(format!("team: {scope}"), theme.base()),
            Span::styled(format!("  service: {service}"), theme.base()),
        ],
        (None, _) => vec![Span::styled(format!("team: {scope}"), theme.base())],
    };
    right.push(Span::styled(
        format!("  last {}d", app.range_days()),
        theme.base(),
    ));
    if ctx.demo {
        right.push(Span::styled("  [demo]", theme.warn()));
    }
    if app.loading() {
        right.push(Span::styled("  loading…", theme.muted()));
    }
    right.push(Span::raw(" "));
    let right_width: usize = right.iter().map(|s| s.width()).sum();
    let width = usize::from(area.width);
    let active_width = app.pane.title().len() + 4;
    let full: usize = app.panes.iter().map(|p| p.title().len() + 4).sum::<usize>() + 7;
    let numbered = 7 + active_width + 3 * app.panes.len().saturating_sub(1);
    // Every name when they fit; else numbers beside the active pane's name; else (narrow
    // terminals with many panes) the active pane alone: the scope on the right never gives way.
    let short = width < full + right_width;
    let only_active = width < numbered + right_width;
    let mut left = vec![Span::styled(" plumb ", theme.accent())];
    let mut hits = app.tab_hits.borrow_mut();
    hits.clear();
    let mut x = area.x + 7;
    for (k, p) in app.panes.iter().enumerate() {
        if only_active && *p != app.pane {
            continue;
        }
        let label = if short && *p != app.pane {
            format!(" {} ", k + 1)
        } else {
            format!(" {} {} ", k + 1, p.title())
        };
        let style = if *p == app.pane {
            theme.selected()
        } else {
            theme.muted()
        };
        let width = Span::raw(label.as_str()).width() as u16;
        hits.push((Rect::new(x, area.y, width, 1), *p));
        x = x.saturating_add(width);
        left.push(Span::styled(label, style));
    }
    let [l, r] = Layout::horizontal([Constraint::Min(0), Constraint::Length(right_width as u16)])
        .areas(area);
    f.render_widget(Line::from(left), l);
    f.render_widget(Line::from(right), r);
}

fn render_footer(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    if app.filtering {
        let text = app.active_list().map_or("", |l| l.filter.as_str());
        f.render_widget(
            Line::from(vec![
                Span::styled(format!(" /{text}▏"), theme.accent()),
                Span::styled("  Enter keeps · Esc clears", theme.muted()),
            ]),
            area,
        );
        return;
    }
    let mut spans = Vec::new();
    if let Some((level, text)) = app.sync.footer() {
        let style = match level {
            super::toast::Level::Error => theme.breach(),
            super::toast::Level::Warn => theme.warn(),
            super::toast::Level::Info => theme.accent(),
        };
        spans.push(Span::styled(format!(" {text} "), style));
    }
    if let Some(filter) = app
        .active_list()
        .map(|l| &l.filter)
        .filter(|t| !t.is_empty())
    {
        spans.push(Span::styled(format!(" /{filter}"), theme.warn()));
    }
    for action in app.footer_actions() {
        let keys = app.keymap.keys_for(action);
        let Some(key) = keys.first() else { continue };
        spans.push(Span::styled(format!(" {key}"), theme.accent()));
        spans.push(Span::styled(
            format!(" {}", action.describe()),
            theme.muted(),
        ));
    }
    f.render_widget(Line::from(spans), area);
}

fn render_help(f: &mut Frame, body: Rect, app: &App, theme: Theme) {
    // An unbound action (`""` in [ui.keys]) cannot be pressed: help does not list it.
    let actions: Vec<_> = app
        .valid_actions()
        .into_iter()
        .filter(|a| !app.keymap.keys_for(*a).is_empty())
        .collect();
    // Two columns when one does not fit (80x24 with every interaction key listed).
    let fits = usize::from(body.height.saturating_sub(2));
    let columns = if actions.len() > fits && body.width >= 80 {
        2
    } else {
        1
    };
    let per_column = actions.len().div_ceil(columns);
    let height = (per_column as u16 + 2).min(body.height);
    let width = (44 * columns as u16).min(body.width);
    let area = Rect {
        x: body.x + (body.width - width) / 2,
        y: body.y + (body.height - height) / 2,
        width,
        height,
    };
    let block = Block::bordered()
        .title(format!(" Keys · 1-{} panes · Esc closes ", app.panes.len()))
        .title_style(theme.title());
    let inner = block.inner(area);
    f.render_widget(Clear, area);
    f.render_widget(block, area);
    let parts =
        Layout::horizontal(vec![Constraint::Ratio(1, columns as u32); columns]).split(inner);
    for (chunk, part) in actions.chunks(per_column.max(1)).zip(parts.iter()) {
        let rows = chunk.iter().map(|a| {
            Row::new(vec![
                app.keymap.keys_for(*a).join(" "),
                a.describe().to_string(),
            ])
        });
        let table = Table::new(rows, [Constraint::Length(16), Constraint::Min(10)]);
        f.render_widget(table, *part);
    }
}
