//! `plumb sync` and `plumb sync status`.

use super::sync_progress::Progress;
use super::{Context, emit};
use crate::cli::{SyncAction, SyncArgs};
use crate::model::parse_range;
use crate::privacy::Privacy;
use crate::sources::http::{HttpClient, HttpPolicy};
use crate::store::Store;
use crate::sync::{self, CancelFlag, SyncEnv, SyncOptions, cursor};
use color_eyre::eyre::{Result, WrapErr, eyre};
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::process::ExitCode;

pub fn run(ctx: &Context, args: &SyncArgs) -> Result<ExitCode> {
    match args.action {
        Some(SyncAction::Status) => status(ctx),
        None => sync_all(ctx, args),
    }
}

fn sync_all(ctx: &Context, args: &SyncArgs) -> Result<ExitCode> {
    let config = ctx.load_config()?;
    let now = chrono::Utc::now();
    let (since, _) = parse_range(args.since.as_deref(), None, now).map_err(|e| eyre!(e))?;
    let sources: Vec<_> = config
        .sources
        .iter()
        .filter(|s| args.source.as_ref().is_none_or(|n| &s.name == n))
        .collect();
    if sources.is_empty() {
        return Err(match &args.source {
            Some(name) if config.sources.is_empty() => {
                eyre!(
                    "no source named `{name}`: the config has no [[sources]] (see `plumb config init`)"
                )
            }
            Some(name) => {
                let names: Vec<&str> = config.sources.iter().map(|s| s.name.as_str()).collect();
                eyre!(
                    "no source named `{name}` in the config; its sources are: {}",
                    names.join(", ")
                )
            }
            None => eyre!("the config has no [[sources]]; add one (see `plumb config init`)"),
        });
    }
    let ownership = config.ownership()?;
    let mut store = Store::open(&ctx.db_path)?;
    let privacy = Privacy::for_store(&store, &config.privacy)?;
    let options = SyncOptions {
        full: args.full,
        since,
        now,
    };
    let cancel = CancelFlag::default();
    let env = SyncEnv {
        ownership: &ownership,
        privacy: &privacy,
        options: &options,
        cancel: &cancel,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")?;
    let progress = Progress::new(std::io::stderr().is_terminal());
    let mut failed = false;
    for source in sources {
        let auth = match crate::sources::auth::resolve(source) {
            Ok(a) => a,
            Err(e) => {
                source_failed(&store, &progress, &source.name, &e.to_string());
                failed = true;
                continue;
            }
        };
        let client = HttpClient::with_auth(source, auth, HttpPolicy::for_source(source))?;
        if let Err(e) = sync::prepare_source(&mut store, source, &config.slos) {
            source_failed(&store, &progress, &source.name, &e.to_string());
            failed = true;
            continue;
        }
        let mut bar = progress.source(&source.name);
        let summary = runtime.block_on(async {
            let stop = cancel.clone();
            let ctrl_c = tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    stop.cancel();
                }
            });
            let mut on_event = |e: &sync::SyncEvent<'_>| bar.event(&progress, e, &client);
            let summary = sync::sync_source(&mut store, source, &client, env, &mut on_event).await;
            ctrl_c.abort();
            summary
        });
        bar.finish(&progress, &summary);
        failed |= summary.failed();
        if summary.cancelled {
            break;
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Reports an error that stopped a source before its resources were read, and keeps it for
/// `plumb sync status`.
fn source_failed(store: &Store, progress: &Progress, source: &str, message: &str) {
    progress.println(&format!("{source}: {message}"));
    if let Err(e) = sync::record_source_error(store, source, message, chrono::Utc::now()) {
        tracing::warn!(source, error = %e, "cannot record the error in the sync state");
    }
}

fn status(ctx: &Context) -> Result<ExitCode> {
    // Asking about a database must not create one (a mistyped --db would look like a fresh
    // store that never synced).
    if !ctx.db_path.exists() {
        emit(&format!(
            "nothing synced yet: no database at {}; run `plumb sync`\n",
            ctx.db_path.display()
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    let configured: Vec<String> = ctx
        .load_config()?
        .sources
        .iter()
        .map(|s| s.name.clone())
        .collect();
    let store = Store::open(&ctx.db_path)?;
    let rows = cursor::all(store.conn()).wrap_err("cannot read the sync state")?;
    // Configured sources without any recorded resource have never synced: listed too.
    let never: Vec<&String> = configured
        .iter()
        .filter(|name| !rows.iter().any(|(source, _, _)| source == *name))
        .collect();
    if rows.is_empty() && never.is_empty() {
        emit("nothing synced yet; run `plumb sync`\n")?;
        return Ok(ExitCode::SUCCESS);
    }
    let now = chrono::Utc::now();
    let age = |t: Option<crate::model::Timestamp>| {
        t.map_or_else(|| "never".to_string(), |t| humanise(now - t))
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<16} {:<32} {:<14} {:<14} {:<14} LAST ERROR",
        "SOURCE", "RESOURCE", "LAST SUCCESS", "CURSOR AGE", "REMOVED"
    );
    for (source, resource, row) in rows {
        // A resource read whole each time (or imported) has no cursor: "-", not "never".
        let cursor_age = match (&row.cursor.pass, row.cursor.advanced_at) {
            (Some(_), at) => format!("{} (resumes)", age(at)),
            (None, None) => "-".into(),
            (None, at) => age(at),
        };
        let error = match (&row.last_error, row.last_error_at) {
            (Some(e), at) => format!("{} ago: {e}", age(at)),
            (None, _) => "-".into(),
        };
        let last_ok = match row.last_ok_at {
            Some(t) => format!("{} ago", humanise(now - t)),
            None => "never".into(),
        };
        // Rows deleted upstream that the last pass reading the resource whole removed.
        let removed = row.cursor.swept.map_or_else(
            || "-".to_string(),
            |s| format!("{} ({} ago)", s.removed, humanise(now - s.at)),
        );
        let _ = writeln!(
            out,
            "{source:<16} {resource:<32} {last_ok:<14} {cursor_age:<14} {removed:<14} {error}"
        );
    }
    for source in never {
        let _ = writeln!(
            out,
            "{source:<16} {:<32} {:<14} {:<14} {:<14} -",
            "(not synced yet)", "never", "-", "-"
        );
    }
    emit(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn humanise(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}
