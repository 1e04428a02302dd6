//! `plumb import FILE...`.

use super::Context;
use crate::cli::ImportArgs;
use crate::import::{ImportOptions, Kind, import_files};
use crate::store::Store;
use color_eyre::eyre::{Result, eyre};
use std::process::ExitCode;

pub fn run(ctx: &Context, args: &ImportArgs) -> Result<ExitCode> {
    let kind = match &args.kind {
        Some(k) => Some(k.parse::<Kind>().map_err(|e| eyre!("--kind: {e}"))?),
        None => None,
    };
    for f in &args.files {
        if !f.is_file() {
            return Err(eyre!("{}: no such file", f.display()));
        }
    }
    let config = ctx.load_config()?;
    let ownership = config.ownership()?;
    let mut store = Store::open(&ctx.db_path)?;
    let opts = ImportOptions {
        kind,
        source: args.source.clone(),
        dry_run: args.dry_run,
        privacy: config.privacy.clone(),
    };
    let reports = import_files(
        &mut store,
        &args.files,
        &opts,
        &ownership,
        chrono::Utc::now(),
    )?;
    if !args.dry_run {
        // Freshness: when each source last delivered, per kind.
        let now = chrono::Utc::now();
        for r in &reports {
            store.record_success(&args.source, &format!("import:{}", r.kind), now)?;
        }
    }
    for r in &reports {
        eprintln!(
            "{}{}: {} {} of {} ({} new, {} updated, {} unchanged)",
            if args.dry_run { "[dry run] " } else { "" },
            r.path.display(),
            r.rows,
            if r.rows == 1 { "row" } else { "rows" },
            r.kind,
            r.inserted,
            r.updated,
            r.unchanged
        );
    }
    Ok(ExitCode::SUCCESS)
}
