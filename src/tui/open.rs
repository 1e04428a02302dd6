//! `o` and `y`: open an item's URL in the browser, or copy it with an OSC 52 escape sequence,
//! which the terminal turns into a clipboard write and which passes through ssh (and tmux with
//! `set-clipboard on`), where a clipboard command would write to the wrong machine.

use base64_lite::encode;
use std::io::Write;
use std::process::{Command, Stdio};

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("not a web link ({url}); plumb opens only http and https URLs")]
    NotWeb { url: String },
    #[error(
        "no browser opener: `{program}` was not found; install it (xdg-utils) or press y to copy the link"
    )]
    NoOpener { program: &'static str },
    #[error("cannot start `{program}` to open the link: {source}; press y to copy it instead")]
    Spawn {
        program: &'static str,
        source: std::io::Error,
    },
    #[error("cannot write the copy sequence to the terminal: {0}")]
    Terminal(std::io::Error),
}

/// The program that opens a URL in the desktop's browser, and its leading arguments.
fn opener() -> (&'static str, &'static [&'static str]) {
    if cfg!(target_os = "macos") {
        ("open", &[])
    } else if cfg!(windows) {
        ("cmd", &["/C", "start", ""])
    } else {
        ("xdg-open", &[])
    }
}

/// Only web links go to the opener: a URL from a source is data, and `xdg-open` would also
/// run a local file or a custom scheme handler.
fn check_web(url: &str) -> Result<(), OpenError> {
    let lower = url.to_ascii_lowercase();
    if (lower.starts_with("https://") || lower.starts_with("http://"))
        && !url.chars().any(char::is_control)
    {
        Ok(())
    } else {
        Err(OpenError::NotWeb {
            url: url.to_string(),
        })
    }
}

/// Starts the browser on `url` without waiting for it and without letting it write on the
/// terminal the TUI is drawing on; a thread reaps it so no zombie stays behind.
pub fn open_in_browser(url: &str) -> Result<(), OpenError> {
    check_web(url)?;
    let (program, args) = opener();
    let mut child = Command::new(program)
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => OpenError::NoOpener { program },
            _ => OpenError::Spawn { program, source },
        })?;
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

/// The OSC 52 sequence that sets the clipboard to `text`.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", encode(text.as_bytes()))
}

/// Copies `text` to the clipboard through the terminal.
pub fn copy_to_clipboard(out: &mut impl Write, text: &str) -> Result<(), OpenError> {
    out.write_all(osc52(text).as_bytes())
        .and_then(|()| out.flush())
        .map_err(OpenError::Terminal)
}

/// Standard base64 (RFC 4648, with padding), which OSC 52 requires; small enough not to
/// need a crate.
mod base64_lite {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(plain.as_bytes()), coded, "{plain:?}");
        }
    }

    #[test]
    fn copy_writes_one_osc52_sequence() {
        let mut out = Vec::new();
        copy_to_clipboard(&mut out, "https://x.test/1").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\x1b]52;c;aHR0cHM6Ly94LnRlc3QvMQ==\x07"
        );
    }

    #[test]
    fn only_web_links_are_opened() {
        assert!(check_web("https://github.com/o/r/pull/1").is_ok());
        assert!(check_web("HTTP://example.test").is_ok());
        for bad in ["file:///etc/passwd", "javascript:alert(1)", "https://x\n"] {
            assert!(
                matches!(open_in_browser(bad), Err(OpenError::NotWeb { .. })),
                "{bad:?}"
            );
        }
    }
}
