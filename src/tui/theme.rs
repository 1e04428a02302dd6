//! Semantic colour roles. Panes ask for `ok`, `warn`, `breach`, `muted` or `accent`, never for a
//! raw colour, and every state also has a glyph so colour is never the only signal.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Dark,
    Light,
    /// `NO_COLOR` is set: styles carry only modifiers (bold, reversed, dim).
    Mono,
}

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub variant: Variant,
}

/// A health judgement, shown with a colour and a glyph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Ok,
    Warn,
    Breach,
    Unknown,
}

impl Health {
    pub fn glyph(self) -> &'static str {
        match self {
            Health::Ok => "✓",
            Health::Warn => "▲",
            Health::Breach => "✗",
            Health::Unknown => "·",
        }
    }
}

impl Theme {
    /// Picks the variant from config and the `NO_COLOR` convention (which always wins).
    /// `auto` is dark: terminals do not reliably report their background.
    pub fn from_config(setting: crate::config::Theme) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let variant = match setting {
            _ if no_color => Variant::Mono,
            crate::config::Theme::Light => Variant::Light,
            crate::config::Theme::Dark | crate::config::Theme::Auto => Variant::Dark,
        };
        Theme { variant }
    }

    fn fg(self, dark: Color, light: Color) -> Style {
        match self.variant {
            Variant::Dark => Style::new().fg(dark),
            Variant::Light => Style::new().fg(light),
            Variant::Mono => Style::new(),
        }
    }

    pub fn base(self) -> Style {
        Style::new()
    }
    pub fn ok(self) -> Style {
        self.fg(Color::Green, Color::Rgb(0, 110, 0))
    }
    pub fn warn(self) -> Style {
        self.fg(Color::Yellow, Color::Rgb(150, 90, 0))
    }
    pub fn breach(self) -> Style {
        self.fg(Color::LightRed, Color::Rgb(170, 0, 0))
            .add_modifier(Modifier::BOLD)
    }
    pub fn muted(self) -> Style {
        match self.variant {
            Variant::Mono => Style::new().add_modifier(Modifier::DIM),
            _ => self.fg(Color::DarkGray, Color::Gray),
        }
    }
    pub fn accent(self) -> Style {
        self.fg(Color::Cyan, Color::Blue)
            .add_modifier(Modifier::BOLD)
    }
    pub fn title(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    pub fn selected(self) -> Style {
        match self.variant {
            Variant::Mono => Style::new().add_modifier(Modifier::REVERSED),
            Variant::Dark => Style::new()
                .bg(Color::Rgb(40, 50, 70))
                .add_modifier(Modifier::BOLD),
            Variant::Light => Style::new()
                .bg(Color::Rgb(210, 225, 245))
                .add_modifier(Modifier::BOLD),
        }
    }
    pub fn health(self, h: Health) -> Style {
        match h {
            Health::Ok => self.ok(),
            Health::Warn => self.warn(),
            Health::Breach => self.breach(),
            Health::Unknown => self.muted(),
        }
    }
}
