//! `plumb demo`: generate (or reuse) a realistic dataset and open the TUI on it.

use super::Context;
use crate::cli::{DemoArgs, ScaleArg};
use crate::demo::{DemoOptions, Scale};
use crate::store::Store;
use chrono::{DateTime, NaiveDate, Utc};
use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(ctx: &Context, args: &DemoArgs, db_given: bool) -> Result<ExitCode> {
    let anchor = match &args.anchor {
        Some(s) => parse_anchor(s)?,
        None => Utc::now()
            .date_naive()
            .and_time(chrono::NaiveTime::MIN)
            .and_utc(),
    };
    let scale = match args.scale {
        ScaleArg::Small => Scale::Small,
        ScaleArg::Large => Scale::Large,
    };
    let opts = DemoOptions {
        seed: args.seed,
        scale,
        anchor,
    };
    // Without --db the demo lives in its own file beside the real database, never in it.
    let path = if db_given {
        ctx.db_path.clone()
    } else {
        demo_path(&ctx.paths.database, &opts)
    };
    let fresh = ensure_dataset(&path, &opts, args.force)?;
    if args.generate_only {
        let verb = if fresh { "wrote" } else { "kept the existing" };
        eprintln!("{verb} demo dataset {}", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    // The TUI sees the dataset's anchor and shows it as a demo (see `tui::run_blocking`).
    crate::tui::run_blocking(&path, &ctx.load_config()?)?;
    Ok(ExitCode::SUCCESS)
}

fn parse_anchor(s: &str) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
        .map_err(|_| eyre!("--anchor {s:?} is not an RFC 3339 date (2026-11-01) or date-time"))
}

fn scale_name(scale: Scale) -> &'static str {
    match scale {
        Scale::Small => "small",
        Scale::Large => "large",
    }
}

fn demo_path(real_db: &Path, opts: &DemoOptions) -> PathBuf {
    let dir = real_db.parent().unwrap_or_else(|| Path::new("."));
    dir.join(format!(
        "demo-{}-seed{}-{}.db",
        scale_name(opts.scale),
        opts.seed,
        opts.anchor.format("%Y%m%d")
    ))
}

/// Makes sure `path` holds the demo dataset for `opts`. Returns true when it was generated now.
///
/// A database that is not a plumb demo is never replaced, with or without `--force`: the demo
/// must not be able to destroy synced data. The dataset is generated into a temporary file and
/// renamed into place, so an interrupted run leaves no half-written database.
fn ensure_dataset(path: &Path, opts: &DemoOptions, force: bool) -> Result<bool> {
    if path.exists() {
        let existing = Store::open_read_only(path)
            .wrap_err_with(|| format!("cannot read the existing file {}", path.display()))?;
        // A file without plumb's schema (e.g. empty) holds nothing to protect.
        let has_schema = existing.schema_version()? > 0;
        let seed = if has_schema {
            existing.meta("demo.seed")?
        } else {
            None
        };
        let has_rows = if has_schema {
            existing.row_counts()?.iter().any(|(_, n)| *n > 0)
        } else {
            let tables: i64 =
                existing
                    .conn()
                    .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
            tables > 0
        };
        if seed.is_none() && has_rows {
            bail!(
                "{} holds data that is not a plumb demo; refusing to replace it. \
                 Choose another file with --db",
                path.display()
            );
        }
        let same = has_schema
            && seed.as_deref() == Some(opts.seed.to_string().as_str())
            && existing.meta("demo.scale")?.as_deref() == Some(scale_name(opts.scale))
            && existing.meta("demo.anchor")?.as_deref() == Some(opts.anchor.to_rfc3339().as_str());
        drop(existing);
        if same && !force {
            return Ok(false);
        }
        if seed.is_some() && !same && !force {
            bail!(
                "{} holds a different demo dataset; pass --force to replace it",
                path.display()
            );
        }
    }
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    remove_db_files(&tmp)?;
    let result = (|| -> Result<()> {
        let mut store = Store::open(&tmp)?;
        let summary = crate::demo::generate(&mut store, opts)?;
        // The demo's sources delivered their data at the anchor: that is their freshness.
        for (source, at) in store.sources_in_rows()? {
            store.record_success(&source, "demo", at)?;
        }
        store
            .conn()
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .wrap_err("cannot finish writing the demo dataset")?;
        drop(store);
        tracing::info!(rows = summary.rows, elapsed = ?summary.elapsed, "demo dataset generated");
        Ok(())
    })();
    if let Err(e) = result {
        let _ = remove_db_files(&tmp);
        return Err(e.wrap_err("cannot generate the demo dataset"));
    }
    remove_db_files(path)?;
    std::fs::rename(&tmp, path)
        .wrap_err_with(|| format!("cannot move the demo dataset into {}", path.display()))?;
    remove_db_files(&tmp)?;
    Ok(true)
}

/// Removes a database file and its WAL and shared-memory companions.
fn remove_db_files(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let p = PathBuf::from(p);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).wrap_err_with(|| format!("cannot remove {}", p.display())),
        }
    }
    Ok(())
}
