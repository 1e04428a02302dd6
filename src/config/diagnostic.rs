//! Problems found in a config file, each with its place (`path:line:column`) and what would
//! have been accepted, and the error type the loader returns.

use super::document::{Document, Seg};
use std::fmt;
use std::path::PathBuf;

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: PathBuf,
    /// 1-based
    pub line: usize,
    /// 1-based, in characters
    pub column: usize,
    pub message: String,
    pub expected: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}; expected {}",
            self.path.display(),
            self.line,
            self.column,
            self.message,
            self.expected
        )
    }
}

/// Why a config could not be loaded, checked or written.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "config file {} does not exist; check the path, or create it with `plumb config init`",
        path.display()
    )]
    NotFound { path: PathBuf },
    #[error("could not read config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", describe_invalid(diagnostics))]
    Invalid { diagnostics: Vec<Diagnostic> },
    #[error("{} already exists; pass --force to overwrite it", path.display())]
    AlreadyExists { path: PathBuf },
    #[error("could not write config file {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "could not find a home directory to hold plumb's config and data; set HOME, or pass \
         --config and --db"
    )]
    NoHome,
}

fn describe_invalid(diagnostics: &[Diagnostic]) -> String {
    match diagnostics {
        [] => "config is invalid".to_string(),
        [only] => only.to_string(),
        [first, rest @ ..] => format!(
            "{first} (and {} more problem{}; run `plumb config check` to list them all)",
            rest.len(),
            if rest.len() == 1 { "" } else { "s" }
        ),
    }
}

/// How a table at `path` is written in the file, for messages: `[[sources]]`, `[ui.keys]`.
pub(crate) fn section_label(path: &[Seg]) -> String {
    let keys: Vec<&str> = path
        .iter()
        .filter_map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        })
        .collect();
    if keys.is_empty() {
        return "the top level".to_string();
    }
    let joined = keys.join(".");
    match path.last() {
        Some(Seg::Index(_)) => format!("[[{joined}]]"),
        _ => format!("[{joined}]"),
    }
}

/// `key` in `section`, naming an array element by position.
pub(crate) fn describe_place(path: &[Seg]) -> String {
    match path.split_last() {
        None => "the file".to_string(),
        Some((Seg::Key(k), parent)) => format!("`{k}` in {}", section_label(parent)),
        Some((Seg::Index(i), parent)) => {
            format!("item {} of {}", i + 1, describe_place(parent))
        }
    }
}

/// The allowed key nearest to a typo, if it is within two edits.
fn closest<'k>(typo: &str, allowed: &[&'k str]) -> Option<&'k str> {
    allowed
        .iter()
        .map(|k| (edit_distance(typo, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Backticked words in a serde message: `a`, `b` → [a, b].
fn backticked(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// Serde names Rust types (`u32`, `struct SloConfig`); say what to write in TOML instead.
fn toml_type(rust: &str) -> String {
    let rust = rust.trim();
    match rust {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a non-negative integer".into(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "an integer".into(),
        "f32" | "f64" => "a number".into(),
        "a sequence" => "an array".into(),
        "a map" => "a table".into(),
        "a boolean" | "a string" | "a borrowed string" | "a character" => {
            rust.replace("borrowed ", "")
        }
        other if other.starts_with("struct ") || other.starts_with("a map") => "a table".into(),
        other => other.into(),
    }
}

/// Turns a deserialization error into a diagnostic located at the offending key or value.
pub(crate) fn translate_serde_error(
    doc: &Document<'_>,
    error: &toml::de::Error,
    path: &[Seg],
    offset: usize,
) -> Diagnostic {
    let raw = error.message().trim();
    let parent = path.split_last().map_or(&[][..], |(_, p)| p);
    let (message, expected) = if let Some(rest) = raw.strip_prefix("unknown field ") {
        let words = backticked(rest);
        let unknown = words.first().copied().unwrap_or_default();
        let allowed = words.get(1..).unwrap_or_default().join(", ");
        if unknown == "token" && matches!(parent.first(), Some(Seg::Key(k)) if k == "sources") {
            (
                format!(
                    "`token` in {}: tokens never go in the config file",
                    section_label(parent)
                ),
                "token_env = \"NAME_OF_ENV_VAR\" or token_command = \"a command that prints the \
                 token\""
                    .to_string(),
            )
        } else {
            let expected = if allowed.is_empty() {
                "no keys here".to_string()
            } else {
                format!("one of: {allowed}")
            };
            let hint = closest(unknown, words.get(1..).unwrap_or_default())
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            (
                format!("unknown key `{unknown}` in {}{hint}", section_label(parent)),
                expected,
            )
        }
    } else if let Some(rest) = raw.strip_prefix("unknown variant ") {
        let words = backticked(rest);
        let value = words.first().copied().unwrap_or_default();
        (
            format!("{}: unknown value `{value}`", describe_place(path)),
            format!("one of: {}", words.get(1..).unwrap_or_default().join(", ")),
        )
    } else if let Some(rest) = raw.strip_prefix("missing field ") {
        let field = backticked(rest).first().copied().unwrap_or_default();
        (
            format!("{} is missing required key `{field}`", section_label(path)),
            format!("`{field}` to be set"),
        )
    } else if let Some(rest) = raw.strip_prefix("invalid type: ") {
        let (found, wanted) = rest
            .split_once(", expected ")
            .unwrap_or((rest, "another type"));
        (
            format!("{}: wrong type, found {found}", describe_place(path)),
            toml_type(wanted),
        )
    } else if let Some(rest) = raw.strip_prefix("invalid value: ") {
        let (found, wanted) = rest
            .split_once(", expected ")
            .unwrap_or((rest, "another value"));
        (
            format!("{}: {found} is out of range", describe_place(path)),
            toml_type(wanted),
        )
    } else {
        // Our own parse errors end in "; expected ...".
        let (what, wanted) = raw
            .rsplit_once("; expected ")
            .unwrap_or((raw, "a valid value"));
        (
            format!("{}: {what}", describe_place(path)),
            wanted.to_string(),
        )
    };
    doc.diagnostic(offset, message, expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_key() {
        assert_eq!(edit_distance("repoz", "repos"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(closest("repoz", &["name", "repos"]), Some("repos"));
        assert_eq!(closest("dashboards", &["sources", "teams"]), None);
    }

    #[test]
    fn section_labels_mark_arrays_of_tables() {
        let path = [
            Seg::Key("slos".into()),
            Seg::Index(0),
            Seg::Key("exclusions".into()),
            Seg::Index(2),
        ];
        assert_eq!(section_label(&path), "[[slos.exclusions]]");
        assert_eq!(
            section_label(&[Seg::Key("ui".into()), Seg::Key("keys".into())]),
            "[ui.keys]"
        );
        assert_eq!(section_label(&[]), "the top level");
    }
}
