//! The config file as a spanned TOML tree: maps key paths to line and column, and lets the
//! loader drop a broken entry and deserialize again so one run reports every problem.

use super::diagnostic::{Diagnostic, translate_serde_error};
use super::schema::Config;
use serde::Deserialize;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

/// One step of a key path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// A parsed config file with the text it came from.
pub(crate) struct Document<'a> {
    pub(crate) file: &'a Path,
    text: &'a str,
    root: Spanned<DeTable<'a>>,
}

impl<'a> Document<'a> {
    /// Parses TOML syntax only; a syntax error becomes the single diagnostic.
    pub(crate) fn parse(file: &'a Path, text: &'a str) -> Result<Self, Diagnostic> {
        match DeTable::parse(text) {
            Ok(root) => Ok(Self { file, text, root }),
            Err(e) => {
                let (line, column) = line_col(text, e.span().map_or(0, |s| s.start));
                let (message, expected) = match e.message().split_once(", expected ") {
                    Some((what, wanted)) => (what.to_string(), wanted.to_string()),
                    None => (
                        e.message().trim().to_string(),
                        "valid TOML syntax".to_string(),
                    ),
                };
                Err(Diagnostic {
                    path: file.to_path_buf(),
                    line,
                    column,
                    message: format!("TOML syntax error: {message}"),
                    expected,
                })
            }
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn position(&self, offset: usize) -> (usize, usize) {
        line_col(self.text, offset)
    }

    pub(crate) fn diagnostic(
        &self,
        offset: usize,
        message: impl Into<String>,
        expected: impl Into<String>,
    ) -> Diagnostic {
        let (line, column) = self.position(offset);
        Diagnostic {
            path: self.file.to_path_buf(),
            line,
            column,
            message: message.into(),
            expected: expected.into(),
        }
    }

    /// The span of the value at `path`, or of its deepest existing ancestor (a table header)
    /// when the key is absent because a default applies.
    pub(crate) fn value_span(&self, path: &[Seg]) -> Range<usize> {
        let mut span = self.root.span();
        let mut current = None::<&Spanned<DeValue<'a>>>;
        for seg in path {
            let next = match (current.map(Spanned::get_ref), seg) {
                (None, Seg::Key(k)) => self.root.get_ref().get(k.as_str()),
                (Some(DeValue::Table(t)), Seg::Key(k)) => t.get(k.as_str()),
                (Some(DeValue::Array(a)), Seg::Index(i)) => a.get(*i),
                _ => None,
            };
            match next {
                Some(v) => {
                    span = v.span();
                    current = Some(v);
                }
                None => break,
            }
        }
        span
    }

    /// The span of the key that ends `path`, else the value's span.
    pub(crate) fn key_span(&self, path: &[Seg]) -> Range<usize> {
        if let Some((Seg::Key(last), parent)) = path.split_last() {
            let table = if parent.is_empty() {
                Some(self.root.get_ref())
            } else {
                self.value_at(parent).and_then(|v| v.get_ref().as_table())
            };
            if let Some((k, _)) = table.and_then(|t| t.get_key_value(last.as_str())) {
                return k.span();
            }
        }
        self.value_span(path)
    }

    fn value_at(&self, path: &[Seg]) -> Option<&Spanned<DeValue<'a>>> {
        let (first, rest) = path.split_first()?;
        let Seg::Key(first) = first else { return None };
        let mut current = self.root.get_ref().get(first.as_str())?;
        for seg in rest {
            current = match (current.get_ref(), seg) {
                (DeValue::Table(t), Seg::Key(k)) => t.get(k.as_str())?,
                (DeValue::Array(a), Seg::Index(i)) => a.get(*i)?,
                _ => return None,
            };
        }
        Some(current)
    }

    /// Keys present in the table at `path` (empty if it is not a table), with their spans.
    pub(crate) fn keys_at(&self, path: &[Seg]) -> Vec<(String, Range<usize>)> {
        let table = if path.is_empty() {
            Some(self.root.get_ref())
        } else {
            self.value_at(path).and_then(|v| v.get_ref().as_table())
        };
        table
            .map(|t| {
                t.iter()
                    .map(|(k, _)| (k.get_ref().to_string(), k.span()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The `name` strings of a section's array entries, read before any broken entry is
    /// dropped, so references to a dropped entry are not reported a second time.
    pub(crate) fn declared_names(&self, section: &str) -> Vec<String> {
        let Some(DeValue::Array(items)) = self.root.get_ref().get(section).map(Spanned::get_ref)
        else {
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| item.get_ref().as_table()?.get("name")?.get_ref().as_str())
            .map(str::to_string)
            .collect()
    }

    /// The deepest key or value whose span covers `span`.
    fn path_at(&self, span: &Range<usize>) -> Option<Vec<Seg>> {
        let mut path = Vec::new();
        search_table(self.root.get_ref(), span, &mut path).then_some(path)
    }

    /// Drops the entry at `path`; returns whether something was removed.
    fn remove(&mut self, path: &[Seg]) -> bool {
        let Some((last, parent)) = path.split_last() else {
            return false;
        };
        let container: &mut DeValue<'a> = if parent.is_empty() {
            return match last {
                Seg::Key(k) => self.root.get_mut().remove(k.as_str()).is_some(),
                Seg::Index(_) => false,
            };
        } else {
            match value_at_mut(self.root.get_mut(), parent) {
                Some(v) => v.get_mut(),
                None => return false,
            }
        };
        match (container, last) {
            (DeValue::Table(t), Seg::Key(k)) => t.remove(k.as_str()).is_some(),
            (DeValue::Array(a), Seg::Index(i)) if *i < a.len() => {
                // DeArray has no `remove`; rebuild it without the element.
                let mut kept = DeArray::new();
                for (j, item) in a.iter().enumerate() {
                    if j != *i {
                        kept.push(item.clone());
                    }
                }
                *a = kept;
                true
            }
            _ => false,
        }
    }

    /// Deserializes the whole file; on each error records a diagnostic, drops the offending
    /// entry and tries again, so every structural problem is reported in one pass. Returns
    /// the config built from what was left.
    pub(crate) fn deserialize_all(&mut self, diagnostics: &mut Vec<Diagnostic>) -> Option<Config> {
        let mut removed: Vec<Vec<Seg>> = Vec::new();
        // Each round removes one entry, so the number of rounds is bounded by the file's size;
        // the cap is a guard against a span that maps to nothing removable.
        for _ in 0..10_000 {
            let error = match Config::deserialize(toml::de::Deserializer::from(self.root.clone())) {
                Ok(config) => return Some(config),
                Err(e) => e,
            };
            let span = error.span().unwrap_or(0..0);
            let path = self.path_at(&span).unwrap_or_default();
            // A required key we removed for a bad value surfaces again as "missing": the
            // entry was already reported.
            let follow_up = missing_field(error.message()).is_some_and(|field| {
                let mut full = path.clone();
                full.push(Seg::Key(field.to_string()));
                removed.contains(&full)
            });
            if !follow_up {
                diagnostics.push(translate_serde_error(self, &error, &path, span.start));
            }
            if !self.remove(&path) {
                return None;
            }
            removed.push(path);
        }
        None
    }
}

fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

fn covers(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end && outer.start < outer.end
}

fn search_table(table: &DeTable<'_>, span: &Range<usize>, path: &mut Vec<Seg>) -> bool {
    for (k, v) in table.iter() {
        path.push(Seg::Key(k.get_ref().to_string()));
        if covers(&k.span(), span) || search_value(v, span, path) {
            return true;
        }
        path.pop();
    }
    false
}

/// Children first: a table's span is only its header, which may also cover its key.
fn search_value(value: &Spanned<DeValue<'_>>, span: &Range<usize>, path: &mut Vec<Seg>) -> bool {
    let found_inside = match value.get_ref() {
        DeValue::Table(t) => search_table(t, span, path),
        DeValue::Array(a) => a.iter().enumerate().any(|(i, item)| {
            path.push(Seg::Index(i));
            let found = search_value(item, span, path);
            if !found {
                path.pop();
            }
            found
        }),
        _ => false,
    };
    found_inside || covers(&value.span(), span)
}

fn value_at_mut<'v, 'a>(
    root: &'v mut DeTable<'a>,
    path: &[Seg],
) -> Option<&'v mut Spanned<DeValue<'a>>> {
    let (first, rest) = path.split_first()?;
    let Seg::Key(first) = first else { return None };
    let mut current = root.get_mut(first.as_str())?;
    for seg in rest {
        current = match (current.get_mut(), seg) {
            (DeValue::Table(t), Seg::Key(k)) => t.get_mut(k.as_str())?,
            (DeValue::Array(a), Seg::Index(i)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(current)
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let text = "a = 1\nb = \"é\" x\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        let x = text.find('x').expect("x");
        assert_eq!(line_col(text, x), (2, 9));
    }
}
