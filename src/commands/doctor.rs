//! `plumb doctor`: checks that plumb can run here, each with ✓ or ✗ and what to do next.
//! Exit code 1 when any check fails.

use super::{Context, emit};
use crate::config::SourceConfig;
use crate::sources::auth::{self, Auth};
use crate::sources::probe::{self, Level};
use crate::store::Store;
use color_eyre::eyre::Result;
use std::fmt::Write as _;
use std::process::ExitCode;

struct Report {
    text: String,
    failed: usize,
}

impl Report {
    fn ok(&mut self, what: &str, detail: impl std::fmt::Display) {
        let _ = writeln!(self.text, "✓ {what}: {detail}");
    }
    fn warn(&mut self, what: &str, detail: impl std::fmt::Display) {
        let _ = writeln!(self.text, "▲ {what}: {detail}");
    }
    fn fail(&mut self, what: &str, detail: impl std::fmt::Display) {
        self.failed += 1;
        let _ = writeln!(self.text, "✗ {what}: {detail}");
    }
}

pub fn run(ctx: &Context, offline: bool) -> Result<ExitCode> {
    let mut r = Report {
        text: String::new(),
        failed: 0,
    };
    let config = match crate::config::load(ctx.explicit_config.as_deref()) {
        Ok(loaded) => {
            match &loaded.path {
                Some(p) => r.ok("config", p.display()),
                None => r.ok(
                    "config",
                    format!(
                        "no file at {}, using defaults (`plumb config init` writes one)",
                        ctx.config_path().display()
                    ),
                ),
            }
            Some(loaded.config)
        }
        Err(e) => {
            // The check to run names the file doctor read, and is said once.
            let check = match &ctx.explicit_config {
                Some(path) => format!("plumb --config {} config check", path.display()),
                None => "plumb config check".to_string(),
            };
            let text = e.to_string();
            let text = if text.contains("plumb config check") {
                text.replace("plumb config check", &check)
            } else {
                format!("{text} (run `{check}` for every problem)")
            };
            r.fail("config", text);
            None
        }
    };

    check_database(ctx, &mut r);

    if let Some(config) = &config {
        if config.sources.is_empty() {
            r.warn(
                "sources",
                "none configured; add [[sources]] to the config, or try `plumb demo`",
            );
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        for source in &config.sources {
            check_source(source, offline, &runtime, &mut r);
        }
    }

    match std::fs::create_dir_all(&ctx.paths.log_dir) {
        Ok(()) => r.ok("logs", ctx.paths.log_dir.display()),
        Err(e) => r.warn(
            "logs",
            format!("cannot create {}: {e}", ctx.paths.log_dir.display()),
        ),
    }

    if r.failed > 0 {
        let _ = writeln!(r.text, "\n{} check(s) failed", r.failed);
    }
    emit(&r.text)?;
    Ok(if r.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Token presence, then (unless offline) what the source's server says of it.
fn check_source(
    source: &SourceConfig,
    offline: bool,
    runtime: &tokio::runtime::Runtime,
    r: &mut Report,
) {
    let what = format!("source {} ({})", source.name, source.kind);
    let auth = match auth::resolve(source) {
        Ok(auth) => auth,
        Err(e) => {
            r.fail(&what, e);
            return;
        }
    };
    match auth {
        Auth::None => r.ok(&what, "no token needed"),
        _ => {
            let origin = match (&source.token_env, &source.token_command) {
                (Some(var), _) => format!("from ${var}"),
                (None, Some(_)) => "from token_command".to_string(),
                (None, None) => "configured".to_string(),
            };
            r.ok(&what, format!("token found ({origin})"));
        }
    }
    if offline {
        return;
    }
    let findings = runtime.block_on(probe::check(source, &auth, chrono::Utc::now()));
    for f in findings {
        let label = format!("  {} {}", source.name, f.what);
        match f.level {
            Level::Ok => r.ok(&label, f.detail),
            Level::Warn => r.warn(&label, f.detail),
            Level::Fail => r.fail(&label, f.detail),
        }
    }
}

fn check_database(ctx: &Context, r: &mut Report) {
    let path = &ctx.db_path;
    if !path.exists() {
        r.warn(
            "database",
            format!(
                "{} does not exist yet; `plumb import` or a sync creates it",
                path.display()
            ),
        );
        return;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(path) {
            Ok(m) if m.permissions().mode() & 0o077 != 0 => r.fail(
                "database permissions",
                format!(
                    "{} is readable by others (mode {:o}); run `chmod 600 {}`",
                    path.display(),
                    m.permissions().mode() & 0o777,
                    path.display()
                ),
            ),
            Ok(_) => r.ok("database permissions", "owner only"),
            Err(e) => r.fail("database permissions", e),
        }
    }
    match Store::open_read_only(path) {
        Ok(store) => {
            let version = store.schema_version().unwrap_or(0);
            let latest = Store::latest_schema_version();
            if version < latest {
                r.warn(
                    "database schema",
                    format!("version {version}; plumb upgrades it to {latest} on the next write"),
                );
            } else {
                r.ok("database schema", format!("version {version}"));
            }
            match store.row_counts() {
                Ok(counts) => {
                    let detail = database_contents(&counts);
                    if counts.iter().all(|(_, n)| *n == 0) {
                        r.warn("database", format!("{} ({detail})", path.display()));
                    } else {
                        r.ok("database", format!("{} ({detail})", path.display()));
                    }
                }
                Err(e) => r.fail("database", format!("{}: {e}", path.display())),
            }
        }
        Err(e) => r.fail("database", e),
    }
}

/// What the database holds, in a few words: the total and the tables most metrics need.
fn database_contents(counts: &[(&str, i64)]) -> String {
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return "empty: `plumb sync`, `plumb import` or `plumb demo` fills it".into();
    }
    let main: Vec<String> = counts
        .iter()
        .filter(|(t, n)| {
            *n > 0 && ["deployments", "changes", "incidents", "pipeline_runs"].contains(t)
        })
        .map(|(t, n)| format!("{n} {t}"))
        .collect();
    let rows = if total == 1 { "row" } else { "rows" };
    if main.is_empty() {
        format!("{total} {rows}")
    } else {
        format!("{total} {rows}: {}", main.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::database_contents;

    #[test]
    fn contents_never_end_in_empty_parentheses() {
        assert_eq!(
            database_contents(&[("deployments", 0), ("teams", 0)]),
            "empty: `plumb sync`, `plumb import` or `plumb demo` fills it"
        );
        assert_eq!(database_contents(&[("teams", 1)]), "1 row");
        assert_eq!(
            database_contents(&[("teams", 2), ("deployments", 3), ("changes", 0)]),
            "5 rows: 3 deployments"
        );
    }
}
