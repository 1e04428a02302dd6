//! Reads CSV and JSON Lines files into rows of cells, each with its physical line number.

use super::error::{CellProblem, ImportError, LineProblem};
use super::layout::Layout;
use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Csv,
    JsonLines,
}

impl Format {
    pub fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" => Some(Format::JsonLines),
            _ => None,
        }
    }
}

/// One value as read, before it is typed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell<'a> {
    Empty,
    Text(Cow<'a, str>),
    List(Vec<String>),
}

/// The cells of one row, addressed by layout slot.
pub(crate) trait Row {
    fn cell(&self, slot: usize) -> Result<Cell<'_>, CellProblem>;
}

struct CsvRow<'a> {
    record: &'a csv::StringRecord,
    field_of_slot: &'a [Option<usize>],
}

impl Row for CsvRow<'_> {
    fn cell(&self, slot: usize) -> Result<Cell<'_>, CellProblem> {
        Ok(
            match self.field_of_slot[slot].and_then(|f| self.record.get(f)) {
                None | Some("") => Cell::Empty,
                Some(text) => Cell::Text(Cow::Borrowed(text)),
            },
        )
    }
}

struct JsonRow<'a> {
    values: &'a [Option<&'a serde_json::Value>],
}

impl Row for JsonRow<'_> {
    fn cell(&self, slot: usize) -> Result<Cell<'_>, CellProblem> {
        use serde_json::Value;
        Ok(match self.values[slot] {
            None | Some(Value::Null) => Cell::Empty,
            Some(Value::String(s)) => match s.trim() {
                "" => Cell::Empty,
                t => Cell::Text(Cow::Borrowed(t)),
            },
            Some(Value::Number(n)) => Cell::Text(Cow::Owned(n.to_string())),
            Some(Value::Bool(b)) => Cell::Text(Cow::Borrowed(if *b { "true" } else { "false" })),
            Some(Value::Array(items)) => Cell::List(
                items
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s.trim().to_string()),
                        _ => Err(CellProblem::NotTextLabel),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Some(Value::Object(_)) => return Err(CellProblem::Nested),
        })
    }
}

fn read_error(path: &Path, source: std::io::Error) -> ImportError {
    ImportError::Read {
        path: path.to_path_buf(),
        source,
    }
}

fn line_error(path: &Path, line: u64, problem: LineProblem) -> ImportError {
    ImportError::Line {
        path: path.to_path_buf(),
        line,
        problem,
    }
}

/// Maps header names to layout slots, refusing unknown and duplicate names and a header that
/// lacks a required column.
fn slots_of_names<'n>(
    path: &Path,
    line: u64,
    layout: &Layout,
    names: impl Iterator<Item = &'n str>,
) -> Result<Vec<Option<usize>>, ImportError> {
    let mut field_of_slot = vec![None; layout.columns.len()];
    for (field, name) in names.enumerate() {
        let slot = layout.slot(name).ok_or_else(|| {
            line_error(
                path,
                line,
                LineProblem::UnknownColumn {
                    column: name.to_string(),
                    kind: layout.spec.table,
                    known: layout.names(),
                },
            )
        })?;
        if field_of_slot[slot].is_some() {
            let column = name.to_string();
            return Err(line_error(
                path,
                line,
                LineProblem::DuplicateColumn { column },
            ));
        }
        field_of_slot[slot] = Some(field);
    }
    if let Some(missing) = (0..layout.columns.len())
        .find(|&slot| layout.is_required(slot) && field_of_slot[slot].is_none())
    {
        let problem = LineProblem::MissingColumn {
            column: layout.columns[missing].name.clone(),
            kind: layout.spec.table,
        };
        return Err(line_error(path, line, problem));
    }
    Ok(field_of_slot)
}

/// Calls `each(line, row)` for every row of the file, in order; stops at the first error.
/// Returns the number of rows.
pub(crate) fn read_rows(
    path: &Path,
    format: Format,
    layout: &Layout,
    each: &mut dyn FnMut(u64, &dyn Row) -> Result<(), ImportError>,
) -> Result<u64, ImportError> {
    let file = File::open(path).map_err(|e| read_error(path, e))?;
    let reader = BufReader::with_capacity(1 << 16, file);
    match format {
        Format::Csv => read_csv(path, reader, layout, each),
        Format::JsonLines => read_json_lines(path, reader, layout, each),
    }
}

fn csv_error(path: &Path, e: csv::Error) -> ImportError {
    let line = e.position().map_or(0, csv::Position::line);
    match e.into_kind() {
        csv::ErrorKind::Io(io) => read_error(path, io),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => line_error(
            path,
            line,
            LineProblem::FieldCount {
                expected: expected_len,
                found: len,
            },
        ),
        csv::ErrorKind::Utf8 { pos, .. } => line_error(
            path,
            pos.as_ref().map_or(line, csv::Position::line),
            LineProblem::NotUtf8,
        ),
        other => line_error(path, line, LineProblem::Csv(format!("{other:?}"))),
    }
}

fn read_csv(
    path: &Path,
    reader: impl std::io::Read,
    layout: &Layout,
    each: &mut dyn FnMut(u64, &dyn Row) -> Result<(), ImportError>,
) -> Result<u64, ImportError> {
    // Flexible, so that a short row can be told apart from an unclosed quote below.
    let mut csv = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(reader);
    let header = csv.headers().map_err(|e| csv_error(path, e))?.clone();
    if header.is_empty() {
        return Err(ImportError::Empty {
            path: path.to_path_buf(),
        });
    }
    let field_of_slot = slots_of_names(path, 1, layout, header.iter())?;
    let mut record = csv::StringRecord::new();
    let mut rows = 0;
    while csv
        .read_record(&mut record)
        .map_err(|e| csv_error(path, e))?
    {
        let line = record.position().map_or(0, csv::Position::line);
        if record.len() != header.len() {
            return Err(line_error(
                path,
                line,
                field_count_problem(&mut csv, &record, header.len()),
            ));
        }
        let row = CsvRow {
            record: &record,
            field_of_slot: &field_of_slot,
        };
        each(line, &row)?;
        rows += 1;
    }
    Ok(rows)
}

/// Why a row has the wrong number of fields. A quote that is never closed swallows the rest
/// of the file into one value: the row comes up short, its last value spans lines, and
/// nothing follows it. csv reports only the short row, so this is checked here.
fn field_count_problem(
    csv: &mut csv::Reader<impl std::io::Read>,
    record: &csv::StringRecord,
    expected: usize,
) -> LineProblem {
    let spans_lines = record
        .iter()
        .next_back()
        .is_some_and(|v| v.contains(['\n', '\r']));
    if record.len() < expected
        && spans_lines
        && matches!(csv.read_record(&mut csv::StringRecord::new()), Ok(false))
    {
        return LineProblem::UnclosedQuote;
    }
    LineProblem::FieldCount {
        expected: expected as u64,
        found: record.len() as u64,
    }
}

fn read_json_lines(
    path: &Path,
    mut reader: impl BufRead,
    layout: &Layout,
    each: &mut dyn FnMut(u64, &dyn Row) -> Result<(), ImportError>,
) -> Result<u64, ImportError> {
    let mut bytes = Vec::new();
    let mut line = 0;
    let mut rows = 0;
    loop {
        bytes.clear();
        if reader
            .read_until(b'\n', &mut bytes)
            .map_err(|e| read_error(path, e))?
            == 0
        {
            break;
        }
        line += 1;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| line_error(path, line, LineProblem::NotUtf8))?;
        if text.trim().is_empty() {
            continue;
        }
        let object: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| line_error(path, line, LineProblem::NotJson(e.to_string())))?;
        let serde_json::Value::Object(map) = &object else {
            return Err(line_error(path, line, LineProblem::NotObject));
        };
        let field_of_slot = slots_of_names(path, line, layout, map.keys().map(String::as_str))?;
        let fields: Vec<&serde_json::Value> = map.values().collect();
        let values: Vec<Option<&serde_json::Value>> =
            field_of_slot.iter().map(|f| f.map(|i| fields[i])).collect();
        each(line, &JsonRow { values: &values })?;
        rows += 1;
    }
    if rows == 0 {
        return Err(ImportError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(rows)
}
