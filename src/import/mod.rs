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

use crate::config::PrivacyConfig;
use crate::model::{Origin, Ownership};
use crate::privacy::Privacy;
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

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The kind of every file; `None` takes each file's kind from its name.
    pub kind: Option<Kind>,
    /// The source instance the rows belong to; references resolve within it.
    pub source: String,
    /// Validate everything, references included, and write nothing.
    pub dry_run: bool,
    /// How people and free text are pseudonymised and redacted before they are written
    /// (the config's `[privacy]`; the defaults pseudonymise and redact).
    pub privacy: PrivacyConfig,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            kind: None,
            source: DEFAULT_SOURCE.to_string(),
            dry_run: false,
            privacy: PrivacyConfig::default(),
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
    // A large file touches many index pages; with SQLite's default 2 MiB page cache they
    // spill to the WAL mid-transaction. The previous size is restored afterwards.
    let cache_pages: i64 = store
        .conn()
        .pragma_query_value(None, "cache_size", |r| r.get(0))
        .map_err(store_error("read the page cache size"))?;
    store
        .conn()
        .pragma_update(None, "cache_size", IMPORT_CACHE_SIZE)
        .map_err(store_error("enlarge the page cache"))?;
    let privacy =
        Privacy::for_store(store, &opts.privacy).map_err(|source| ImportError::Store {
            action: "read the database's pseudonym secret",
            source: Box::new(source),
        })?;
    let ctx = Context {
        source,
        ownership,
        privacy: &privacy,
        now,
    };
    let result = import_planned(store, &planned, opts.dry_run, &ctx);
    store
        .conn()
        .pragma_update(None, "cache_size", cache_pages)
        .map_err(store_error("restore the page cache size"))?;
    result
}

/// Page cache during an import, in KiB (SQLite's negative `cache_size` convention).
const IMPORT_CACHE_SIZE: i64 = -64 * 1024;

/// What every file of one import shares.
struct Context<'a> {
    source: &'a str,
    ownership: &'a Ownership,
    privacy: &'a Privacy,
    now: DateTime<Utc>,
}

fn import_planned(
    store: &mut Store,
    planned: &[Planned<'_>],
    dry_run: bool,
    ctx: &Context<'_>,
) -> Result<Vec<FileReport>, ImportError> {
    let tx = store
        .conn_mut()
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(store_error("start a write transaction"))?;
    let mut reports = Vec::with_capacity(planned.len());
    {
        let mut writer = Writer::new(&tx);
        for p in planned {
            reports.push(import_file(&mut writer, p, ctx)?);
        }
    }
    if dry_run {
        tx.rollback()
            .map_err(store_error("roll back the dry run"))?;
    } else {
        tx.commit().map_err(store_error("commit"))?;
    }
    Ok(reports)
}

fn store_error(action: &'static str) -> impl Fn(rusqlite::Error) -> ImportError {
    move |e| ImportError::Store {
        action,
        source: Box::new(e.into()),
    }
}

fn import_file(
    writer: &mut Writer<'_>,
    planned: &Planned<'_>,
    ctx: &Context<'_>,
) -> Result<FileReport, ImportError> {
    let (source, ownership, now) = (ctx.source, ctx.ownership, ctx.now);
    let path = planned.path;
    let spec = planned.kind.spec();
    let layout = Layout::new(spec);
    let converter = Converter::new(&layout, ownership, ctx.privacy, source);
    let shape = writer
        .shape(spec.table, &spec.db_columns())
        .map_err(|source| ImportError::Store {
            action: "prepare its writes",
            source: Box::new(source),
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
                source: Box::new(source),
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
                    source: Box::new(source),
                });
            }
        }
        Ok(())
    })?;
    report.rows = rows;
    Ok(report)
}
