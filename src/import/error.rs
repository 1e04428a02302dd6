//! What can go wrong in an import, each naming the file and line and saying what to do.

use crate::store::StoreError;
use std::path::PathBuf;
use thiserror::Error;

/// Why an import stopped. Whatever the error, the database is left exactly as before.
#[derive(Debug, Error)]
pub enum ImportError {
    #[error("{}: cannot read the file: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{}: '{stem}' is not a kind plumb imports; name the file after its kind (e.g. \
         deployments.csv) or pass --kind. Kinds: {}",
        path.display(),
        super::Kind::names().join(", ")
    )]
    UnknownKind { path: PathBuf, stem: String },
    #[error(
        "{}: cannot tell the format from the file name; use the extension .csv, or .jsonl \
         (also .ndjson) for JSON Lines",
        path.display()
    )]
    UnknownFormat { path: PathBuf },
    #[error(
        "{}: the file is empty; a CSV file needs a header line and a JSON Lines file at least \
         one object",
        path.display()
    )]
    Empty { path: PathBuf },
    #[error("{}:{line}: {problem}", path.display())]
    Line {
        path: PathBuf,
        line: u64,
        problem: LineProblem,
    },
    #[error("{}:{line}: column '{column}': {problem}", path.display())]
    Cell {
        path: PathBuf,
        line: u64,
        column: String,
        problem: CellProblem,
    },
    #[error(
        "{}:{line}: the database refused the row ({source}); check the values against the \
         column table of this kind in docs/import.md",
        path.display()
    )]
    Rejected {
        path: PathBuf,
        line: u64,
        #[source]
        source: rusqlite::Error,
    },
    #[error("--source is empty; name the source the rows come from (the default is \"import\")")]
    EmptySource,
    #[error("the import could not {action}; nothing was imported")]
    Store {
        action: &'static str,
        #[source]
        source: Box<StoreError>,
    },
}

/// A problem with a whole line: its shape, not one value.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum LineProblem {
    #[error("unknown column '{column}' for {kind}; known columns: {known}")]
    UnknownColumn {
        column: String,
        kind: &'static str,
        known: String,
    },
    #[error("column '{column}' appears twice")]
    DuplicateColumn { column: String },
    #[error("the required column '{column}' of {kind} is missing")]
    MissingColumn { column: String, kind: &'static str },
    #[error(
        "the row has {found} fields but the header has {expected}; quote values that contain \
         commas"
    )]
    FieldCount { expected: u64, found: u64 },
    #[error("not valid UTF-8; save the file as UTF-8 (spreadsheets call it \"CSV UTF-8\")")]
    NotUtf8,
    #[error(
        "a quoted value that starts on this line is never closed, so the rest of the file was \
         read as one value; close the quote, or write a quote inside a value as \"\""
    )]
    UnclosedQuote,
    #[error("not CSV this reader understands: {0}")]
    Csv(String),
    #[error("not valid JSON: {0}")]
    NotJson(String),
    #[error("each line must hold one JSON object, as {{\"external_id\": \"...\", ...}}")]
    NotObject,
}

/// A stored timestamp as the file would write it.
fn shown(epoch_seconds: i64) -> String {
    crate::model::ts(epoch_seconds).map_or_else(
        || epoch_seconds.to_string(),
        |t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
    )
}

/// A problem with one value.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CellProblem {
    #[error("a value is required")]
    Required,
    #[error("not an RFC 3339 timestamp: {0:?}; write e.g. 2024-05-02T10:03:00Z")]
    NotTimestamp(String),
    #[error("not an integer: {0:?}")]
    NotInteger(String),
    #[error("not a number: {0:?}")]
    NotNumber(String),
    #[error("not a number strictly between 0 and 1 (such as 0.999): {0:?}")]
    NotFraction(String),
    #[error("not true or false: {0:?}")]
    NotBool(String),
    #[error("{value:?} is not one of: {}", allowed.join(", "))]
    NotEnum {
        value: String,
        allowed: &'static [&'static str],
    },
    #[error("not an IANA time zone such as Europe/Berlin: {0:?}")]
    NotTimeZone(String),
    #[error(
        "no {table} row has external id {external_id:?} in source {source_name:?}; import the \
         {table} first (earlier, or in the same run)"
    )]
    UnresolvedReference {
        table: &'static str,
        external_id: String,
        source_name: String,
    },
    #[error(
        "cannot map severity {value:?} of source {source_name:?} to SEV1..SEV5; map it in the \
         config under [severity] (e.g. \"{value}\" = \"SEV2\")"
    )]
    UnmappedSeverity { value: String, source_name: String },
    #[error(
        "{} is {relation} {end_column} ({}); a start must come before its end, check both \
         values",
        shown(*start),
        shown(*end)
    )]
    StartAfterEnd {
        /// Epoch seconds, as stored.
        start: i64,
        /// `after`, or `not before` for periods whose end is exclusive.
        relation: &'static str,
        end_column: &'static str,
        end: i64,
    },
    #[error("a list is allowed only in a labels column")]
    UnexpectedList,
    #[error("labels must be strings")]
    NotTextLabel,
    #[error("nested JSON objects are not allowed; give a plain value")]
    Nested,
}
