//! The frame: header (title, scope, range), the active pane, footer (keys, freshness, state),
//! and the help overlay drawn from the actions valid now.

use super::app::App;
use super::panes;
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
        let msg = format!(
            "Terminal too small: {}x{} (plumb needs at least {MIN_WIDTH}x{MIN_HEIGHT})",
            area.width, area.height
        );
        f.render_widget(Paragraph::new(msg).style(theme.warn()), area);
        return;
    }
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    render_header(f, header, app, theme, ctx);
    panes::overview::render(f, body, app, theme);
    render_footer(f, footer, app, theme);
    if app.help_open {
        render_help(f, body, app, theme);
    }
}

fn render_header(f: &mut Frame, area: Rect, app: &App, theme: Theme, ctx: &Context) {
    let scope = app.team.as_deref().unwrap_or("all teams");
    let mut spans = vec![
        Span::styled(" plumb ", theme.accent()),
        Span::styled("Overview", theme.title()),
        Span::raw("  "),
        Span::styled(format!("team: {scope}"), theme.base()),
        Span::raw("  "),
        Span::styled(format!("range: last {}d", app.range_days()), theme.base()),
    ];
    if ctx.demo {
        spans.push(Span::styled("  [demo data]", theme.warn()));
    }
    if app.loading {
        spans.push(Span::styled("  loading…", theme.muted()));
    }
    f.render_widget(Line::from(spans), area);
}

fn render_footer(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let mut spans = Vec::new();
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
    let actions = app.valid_actions();
    let height = (actions.len() as u16 + 2).min(body.height);
    let width = 44.min(body.width);
    let area = Rect {
        x: body.x + (body.width - width) / 2,
        y: body.y + (body.height - height) / 2,
        width,
        height,
    };
    let rows = actions.iter().map(|a| {
        Row::new(vec![
            app.keymap.keys_for(*a).join(" "),
            a.describe().to_string(),
        ])
    });
    let table = Table::new(rows, [Constraint::Length(16), Constraint::Min(10)]).block(
        Block::bordered()
            .title(" Keys (Esc closes) ")
            .title_style(theme.title()),
    );
    f.render_widget(Clear, area);
    f.render_widget(table, area);
}
