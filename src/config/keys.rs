//! Key bindings for `[ui.keys]`: the action names the TUI understands and the key syntax.

use serde::{Deserialize, Deserializer};
use std::fmt;
use std::str::FromStr;

/// Every action a key can be bound to in `[ui.keys]`.
pub const UI_ACTIONS: &[&str] = &[
    "quit",
    "help",
    "filter",
    "command",
    "refresh",
    "sync",
    "next_pane",
    "prev_pane",
    "up",
    "down",
    "top",
    "bottom",
    "page_down",
    "page_up",
    "drill_down",
    "back",
    "team",
    "service",
    "range_prev",
    "range_next",
    "open",
    "copy",
    "export",
    "suspend",
    "pane_1",
    "pane_2",
    "pane_3",
    "pane_4",
    "pane_5",
    "pane_6",
    "pane_7",
    "pane_8",
    "pane_9",
];

/// A key without modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    Char(char),
    /// F1..F12
    F(u8),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Home,
    End,
    PageUp,
    PageDown,
    Up,
    Down,
    Left,
    Right,
    Space,
}

/// A key plus modifiers, e.g. `ctrl-r`; `Unbound` comes from `""` and removes a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyBinding {
    Unbound,
    Key {
        key: Key,
        ctrl: bool,
        alt: bool,
        shift: bool,
    },
}

/// Why a key string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid key `{text}`: {reason}")]
pub struct KeyError {
    pub text: String,
    pub reason: String,
}

/// What a key string may look like, for messages.
pub const KEY_SYNTAX: &str = "a single character, a named key (enter, esc, tab, backtab, \
     backspace, delete, insert, home, end, pageup, pagedown, up, down, left, right, space, \
     f1..f12), optionally prefixed by ctrl-, alt- or shift-, or \"\" to unbind";

fn named_key(name: &str) -> Option<Key> {
    let key = match name {
        "enter" | "return" => Key::Enter,
        "esc" | "escape" => Key::Esc,
        "tab" => Key::Tab,
        "backtab" => Key::BackTab,
        "backspace" => Key::Backspace,
        "delete" | "del" => Key::Delete,
        "insert" | "ins" => Key::Insert,
        "home" => Key::Home,
        "end" => Key::End,
        "pageup" | "pgup" => Key::PageUp,
        "pagedown" | "pgdn" => Key::PageDown,
        "up" => Key::Up,
        "down" => Key::Down,
        "left" => Key::Left,
        "right" => Key::Right,
        "space" => Key::Space,
        _ => {
            let n: u8 = name.strip_prefix('f')?.parse().ok()?;
            return (1..=12).contains(&n).then_some(Key::F(n));
        }
    };
    Some(key)
}

impl FromStr for KeyBinding {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fail = |reason: &str| KeyError {
            text: text.to_string(),
            reason: reason.to_string(),
        };
        if text.is_empty() {
            return Ok(KeyBinding::Unbound);
        }
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        let mut rest = text;
        // A lone `-` is the minus key, so only strip a modifier when something follows it.
        while let Some((modifier, tail)) = rest.split_once('-').filter(|(_, t)| !t.is_empty()) {
            match modifier.to_ascii_lowercase().as_str() {
                "ctrl" | "c" => ctrl = true,
                "alt" | "a" | "m" => alt = true,
                "shift" | "s" => shift = true,
                _ => break,
            }
            rest = tail;
        }
        let mut chars = rest.chars();
        let key = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() && c != ' ' => Key::Char(c),
            (Some(_), None) => return Err(fail("use `space` for the space bar")),
            _ if rest.contains('-') => {
                return Err(fail("unknown modifier; use ctrl-, alt- or shift-"));
            }
            _ => named_key(&rest.to_ascii_lowercase())
                .ok_or_else(|| fail("not a single character or a known key name"))?,
        };
        Ok(KeyBinding::Key {
            key,
            ctrl,
            alt,
            shift,
        })
    }
}

impl fmt::Display for KeyBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let KeyBinding::Key {
            key,
            ctrl,
            alt,
            shift,
        } = self
        else {
            return Ok(());
        };
        for (on, name) in [(ctrl, "ctrl-"), (alt, "alt-"), (shift, "shift-")] {
            if *on {
                f.write_str(name)?;
            }
        }
        match key {
            Key::Char(c) => write!(f, "{c}"),
            Key::F(n) => write!(f, "f{n}"),
            other => {
                let name = format!("{other:?}").to_ascii_lowercase();
                f.write_str(&name)
            }
        }
    }
}

impl<'de> Deserialize<'de> for KeyBinding {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse()
            .map_err(|e: KeyError| serde::de::Error::custom(format!("{e}; expected {KEY_SYNTAX}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(key: Key) -> KeyBinding {
        KeyBinding::Key {
            key,
            ctrl: false,
            alt: false,
            shift: false,
        }
    }

    #[test]
    fn parses_characters_names_and_modifiers() {
        assert_eq!("q".parse(), Ok(plain(Key::Char('q'))));
        assert_eq!("?".parse(), Ok(plain(Key::Char('?'))));
        assert_eq!("-".parse(), Ok(plain(Key::Char('-'))));
        assert_eq!("G".parse(), Ok(plain(Key::Char('G'))));
        assert_eq!("Enter".parse(), Ok(plain(Key::Enter)));
        assert_eq!("pageup".parse(), Ok(plain(Key::PageUp)));
        assert_eq!("f12".parse(), Ok(plain(Key::F(12))));
        assert_eq!("".parse(), Ok(KeyBinding::Unbound));
        assert_eq!(
            "ctrl-r".parse(),
            Ok(KeyBinding::Key {
                key: Key::Char('r'),
                ctrl: true,
                alt: false,
                shift: false
            })
        );
        assert_eq!(
            "ctrl-alt-down".parse(),
            Ok(KeyBinding::Key {
                key: Key::Down,
                ctrl: true,
                alt: true,
                shift: false
            })
        );
        assert_eq!(
            "ctrl--".parse(),
            Ok(KeyBinding::Key {
                key: Key::Char('-'),
                ctrl: true,
                alt: false,
                shift: false
            })
        );
    }

    #[test]
    fn rejects_unknown_names_and_modifiers() {
        for bad in [
            "f13", "f0", "qq", "hyper-x", "ctrl-", "pgupp", " ", "ctrl-foo",
        ] {
            assert!(bad.parse::<KeyBinding>().is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn display_round_trips() {
        for text in ["q", "ctrl-r", "alt-shift-f5", "pagedown", "backtab", "?"] {
            let binding: KeyBinding = text.parse().expect("valid");
            assert_eq!(binding.to_string(), text);
        }
    }
}
