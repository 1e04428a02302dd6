//! Toasts: short notices stacked above the footer that clear themselves after a few ticks of
//! the toast clock, so nothing waits for the user to dismiss it.

use super::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

/// How many ticks a toast stays up (errors stay longer: they usually need reading).
const INFO_TICKS: u8 = 4;
const ERROR_TICKS: u8 = 10;
/// At most this many toasts show; older ones give way.
const MAX_SHOWN: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub level: Level,
    pub text: String,
    ticks_left: u8,
}

/// The toasts showing, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Toasts {
    items: Vec<Toast>,
}

impl Toasts {
    pub fn push(&mut self, level: Level, text: impl Into<String>) {
        let text = text.into();
        // The same notice twice in a row (a key held down) shows once, with its time renewed.
        self.items.retain(|t| t.text != text);
        let ticks_left = match level {
            Level::Error => ERROR_TICKS,
            Level::Info | Level::Warn => INFO_TICKS,
        };
        self.items.push(Toast {
            level,
            text,
            ticks_left,
        });
        if self.items.len() > MAX_SHOWN {
            self.items.remove(0);
        }
    }

    /// One tick of the toast clock; true when a toast expired (the screen changed).
    pub fn tick(&mut self) -> bool {
        for t in &mut self.items {
            t.ticks_left = t.ticks_left.saturating_sub(1);
        }
        let before = self.items.len();
        self.items.retain(|t| t.ticks_left > 0);
        self.items.len() != before
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Toast> {
        self.items.iter()
    }

    /// Draws the toasts at the bottom right of `body`, newest lowest, inside the border every
    /// pane draws around `body`: a toast covers some of the pane's last rows, never its frame
    /// (nor the footer below it).
    pub fn render(&self, f: &mut Frame, body: Rect, theme: Theme) {
        let inside = Rect {
            x: body.x + 1,
            y: body.y + 1,
            width: body.width.saturating_sub(2),
            height: body.height.saturating_sub(2),
        };
        let width = 52.min(inside.width);
        let mut bottom = inside.y + inside.height;
        for toast in self.items.iter().rev() {
            let (glyph, style) = match toast.level {
                Level::Info => ("✓", theme.ok()),
                Level::Warn => ("▲", theme.warn()),
                Level::Error => ("✗", theme.breach()),
            };
            let inner_width = usize::from(width.saturating_sub(4)).max(1);
            let chars = toast.text.chars().count() + 2;
            let lines = chars.div_ceil(inner_width).clamp(1, 4) as u16;
            let height = lines + 2;
            if bottom < inside.y + height {
                break;
            }
            bottom -= height;
            let area = Rect {
                x: inside.x + inside.width - width,
                y: bottom,
                width,
                height,
            };
            let text = Line::from(vec![
                Span::styled(format!("{glyph} "), style),
                Span::styled(toast.text.clone(), theme.base()),
            ]);
            f.render_widget(Clear, area);
            f.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: true })
                    .block(Block::bordered().border_style(style)),
                area,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toasts_expire_after_their_ticks_errors_later() {
        let mut t = Toasts::default();
        t.push(Level::Info, "copied");
        t.push(Level::Error, "github: sync failed");
        for _ in 0..INFO_TICKS - 1 {
            assert!(!t.tick());
        }
        assert!(t.tick(), "the info toast expires");
        assert_eq!(t.iter().count(), 1);
        for _ in INFO_TICKS..ERROR_TICKS {
            t.tick();
        }
        assert!(t.is_empty());
    }

    #[test]
    fn repeats_merge_and_the_stack_is_bounded() {
        let mut t = Toasts::default();
        t.push(Level::Info, "a");
        t.push(Level::Info, "a");
        assert_eq!(t.iter().count(), 1);
        for s in ["b", "c", "d"] {
            t.push(Level::Warn, s);
        }
        let texts: Vec<&str> = t.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["b", "c", "d"]);
    }

    #[test]
    fn toasts_sit_inside_the_pane_border() {
        use ratatui::Terminal;
        use ratatui::backend::TestBackend;
        let theme = Theme {
            variant: crate::tui::theme::Variant::Dark,
        };
        let mut t = Toasts::default();
        t.push(Level::Error, "github: sync failed: 401 Unauthorized");
        t.push(Level::Info, "copied the link");
        let mut term = Terminal::new(TestBackend::new(80, 22)).unwrap();
        term.draw(|f| {
            let body = Rect::new(0, 1, 80, 20);
            f.render_widget(Block::bordered(), body);
            t.render(f, body, theme);
        })
        .unwrap();
        let buf = term.backend().buffer();
        let row = |y: u16| (0..80).map(|x| buf[(x, y)].symbol()).collect::<String>();
        assert!(row(0).trim().is_empty(), "the header row is untouched");
        assert!(row(21).trim().is_empty(), "the footer row is untouched");
        assert_eq!(row(20), format!("└{}┘", "─".repeat(78)), "bottom border");
        for y in 2..20 {
            assert_eq!(buf[(79, y)].symbol(), "│", "right border at row {y}");
        }
        let screen: String = (0..22).map(row).collect::<Vec<_>>().join("\n");
        assert!(screen.contains("copied the link"), "{screen}");
        assert!(screen.contains("401 Unauthorized"), "{screen}");
    }
}
