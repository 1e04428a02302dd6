//! `plumb import`: CSV and JSON Lines files into the store, one kind of row per file.
//!
//! Every row is checked (types, enums, timestamps, references to rows already stored) and
//! written through the store's idempotent upsert, marked `origin = manual`. All files of one
//! call are imported in one transaction: either every file is imported or nothing is, and a
//! dry run validates the same way and then rolls back. The column table of every kind is in
//! `docs/import.md`, rendered by [`render_docs`].

mod convert;
mod docs;
mod error;
mod layout;
mod reader;

pub use docs::render_docs;
pub use error::{CellProblem, ImportError, LineProblem};

use crate::model::{Origin, Ownership};
use crate::store::Store;
use crate::store::tables::{SPECS, TableSpec};
use crate::store::write::{Outcome, RowProvenance, Writer};
use chrono::{DateTime, Utc};
use convert::{Converter, RowFailure};
use layout::Layout;
use reader::Format;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// What `source_kind` imported rows carry.
pub const SOURCE_KIND: &str = "import";
/// The default `--source`.
pub const DEFAULT_SOURCE: &str = "import";

/// A kind of row a file holds: one entity table of the store.
#[derive(Clone, Copy)]
pub struct Kind(&'static TableSpec);

impl Kind {
    /// Every kind, parents before children.
    pub fn all() -> impl Iterator<Item = Kind> {
        SPECS.iter().map(Kind)
    }

    pub fn names() -> Vec<&'static str> {
        SPECS.iter().map(|s| s.table).collect()
    }

    /// The table name, which is also the kind's name and file name stem.
    pub fn name(self) -> &'static str {
        self.0.table
    }

    pub fn spec(self) -> &'static TableSpec {
        self.0
    }

    /// Position in import order (parents first).
    fn order(self) -> usize {
        SPECS
            .iter()
            .position(|s| s.table == self.0.table)
            .unwrap_or(usize::MAX)
    }
}

impl PartialEq for Kind {
    fn eq(&self, other: &Self) -> bool {
        self.0.table == other.0.table
    }
}

impl Eq for Kind {}

impl fmt::Debug for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kind({})", self.name())
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `s` is not a kind; the message lists the kinds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown kind '{0}'; kinds: {kinds}", kinds = Kind::names().join(", "))]
pub struct UnknownKind(pub String);

impl FromStr for Kind {
    type Err = UnknownKind;

    /// Accepts the table name, with `-` for `_` too (`deployment-changes`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim().to_ascii_lowercase().replace('-', "_");
        SPECS
            .iter()
            .find(|spec| spec.table == name)
            .map(Kind)
            .ok_or_else(|| UnknownKind(s.to_string()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// The kind of every file; `None` takes each file's kind from its name.
    pub kind: Option<Kind>,
    /// The source instance the rows belong to; references resolve within it.
    pub source: String,
    /// Validate everything, references included, and write nothing.
    pub dry_run: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            kind: None,
            source: DEFAULT_SOURCE.to_string(),
            dry_run: false,
        }
    }
}

/// What one file did. In a dry run the counts say what an import would have done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    pub path: PathBuf,
    pub kind: Kind,
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

struct Planned<'p> {
    path: &'p Path,
    kind: Kind,
    format: Format,
}

fn plan(path: &Path, forced: Option<Kind>) -> Result<Planned<'_>, ImportError> {
    let format = Format::of(path).ok_or_else(|| ImportError::UnknownFormat {
        path: path.to_path_buf(),
    })?;
    let kind = match forced {
        Some(kind) => kind,
        None => {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            stem.parse().map_err(|_| ImportError::UnknownKind {
                path: path.to_path_buf(),
                stem,
            })?
        }
    };
    Ok(Planned { path, kind, format })
}

/// Imports `files` in one transaction, parents before children (deployments before
/// deployment_changes, whatever the order given), and returns a report per file in that order.
/// On any error nothing is written and the error names the file, line and column.
pub fn import_files(
    store: &mut Store,
    files: &[PathBuf],
    opts: &ImportOptions,
    ownership: &Ownership,
    now: DateTime<Utc>,
) -> Result<Vec<FileReport>, ImportError> {
    let source = opts.source.trim();
    if source.is_empty() {
        return Err(ImportError::EmptySource);
    }
    let mut planned = files
        .iter()
        .map(|f| plan(f, opts.kind))
        .collect::<Result<Vec<_>, _>>()?;
    planned.sort_by_key(|p| p.kind.order());
    let store_error = |action| {
        move |e: rusqlite::Error| ImportError::Store {
            action,
            source: e.into(),
        }
    };
    let tx = store
        .conn_mut()
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(store_error("start a write transaction"))?;
    let mut reports = Vec::with_capacity(planned.len());
    {
        let mut writer = Writer::new(&tx);
        for p in &planned {
            reports.push(import_file(&mut writer, p, source, ownership, now)?);
        }
    }
    if opts.dry_run {
        tx.rollback()
            .map_err(store_error("roll back the dry run"))?;
    } else {
        tx.commit().map_err(store_error("commit"))?;
    }
    Ok(reports)
}

fn import_file(
    writer: &mut Writer<'_>,
    planned: &Planned<'_>,
    source: &str,
    ownership: &Ownership,
    now: DateTime<Utc>,
) -> Result<FileReport, ImportError> {
    let path = planned.path;
    let spec = planned.kind.spec();
    let layout = Layout::new(spec);
    let converter = Converter::new(&layout, ownership, source);
    let shape = writer
        .shape(spec.table, &spec.db_columns())
        .map_err(|source| ImportError::Store {
            action: "prepare its writes",
            source,
        })?;
    let mut report = FileReport {
        path: path.to_path_buf(),
        kind: planned.kind,
        rows: 0,
        inserted: 0,
        updated: 0,
        unchanged: 0,
    };
    let synced_at = now.timestamp();
    let rows = reader::read_rows(path, planned.format, &layout, &mut |line, row| {
        let converted = {
            let mut resolve = |table: &str, src: &str, ext: &str| writer.id_of(table, src, ext);
            converter.convert(row, &mut resolve)
        }
        .map_err(|failure| match failure {
            RowFailure::Cell { column, problem } => ImportError::Cell {
                path: path.to_path_buf(),
                line,
                column,
                problem,
            },
            RowFailure::Store(source) => ImportError::Store {
                action: "resolve a reference",
                source,
            },
        })?;
        let provenance = RowProvenance {
            source,
            source_kind: SOURCE_KIND,
            external_id: &converted.external_id,
            url: converted.url.as_deref(),
            synced_at,
            origin: Origin::Manual,
        };
        match writer.upsert(shape, &converted.values, &provenance) {
            Ok(Outcome::Inserted(_)) => report.inserted += 1,
            Ok(Outcome::Updated(_)) => report.updated += 1,
            Ok(Outcome::Unchanged) => report.unchanged += 1,
            Err(crate::store::StoreError::Sql(source)) => {
                return Err(ImportError::Rejected {
                    path: path.to_path_buf(),
                    line,
                    source,
                });
            }
            Err(source) => {
                return Err(ImportError::Store {
                    action: "write a row",
                    source,
                });
            }
        }
        Ok(())
    })?;
    report.rows = rows;
    Ok(report)
}
