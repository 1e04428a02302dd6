//! DORA report speed over the demo datasets, and the same medians through a plain SQL query in
//! the `sqlite3` shell over the same database (the simplest alternative a user has).
//!
//! Run with `cargo bench --bench metrics`; `-- small` runs only the small dataset. Set
//! `PLUMB_BENCH_DIR` to keep (and reuse) the generated databases. Each figure is the median
//! of several runs; "load" is reading rows from SQLite, "compute" the pure metric functions.
//! Each figure is given for the report's load (`Store::dora_inputs`, with change titles) and
//! the TUI's (`Store::dora_metric_inputs`: no titles, changes on a second connection).

use chrono::{DateTime, Duration, TimeZone, Utc};
use plumb::demo::{DemoOptions, Scale, generate};
use plumb::metrics::Versions;
use plumb::metrics::dora::{DoraParams, dora_report};
use plumb::model::Filter;
use plumb::store::Store;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const RUNS: usize = 5;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

struct Timing {
    load: f64,
    compute: f64,
    deployments: usize,
    changes: usize,
    lead_median: Option<f64>,
    restore_median: Option<f64>,
}

/// How the rows are loaded: as `plumb report dora` does (with the changes' titles, for
/// `--explain`), or as the TUI's numbers do (no titles, changes read on a second connection).
#[derive(Clone, Copy, PartialEq)]
enum Load {
    Report,
    Metrics,
}

fn time_dora(store: &Store, filter: &Filter, now: DateTime<Utc>, load: Load) -> Timing {
    let params = DoraParams::default();
    let (mut loads, mut computes) = (Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..RUNS {
        let t = Instant::now();
        let inputs = match load {
            Load::Report => store.dora_inputs(filter, &params, now),
            Load::Metrics => store.dora_metric_inputs(filter, &params, now),
        }
        .expect("inputs");
        loads.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let report = dora_report(&inputs, &params, &Versions::default());
        computes.push(t.elapsed().as_secs_f64());
        last = Some((report, inputs.deployments.len(), inputs.changes.len()));
    }
    let (report, deployments, changes) = last.expect("at least one run");
    Timing {
        load: median(loads),
        compute: median(computes),
        deployments,
        changes,
        lead_median: report.lead_time.median_seconds,
        restore_median: report.time_to_restore.median_seconds,
    }
}

/// Median lead time and median time to restore in plain SQL, as a user would write it in the
/// sqlite3 shell: first production deployment per change, then the middle row(s).
fn sql_medians(since: i64, until: i64, team: Option<&str>) -> String {
    let team_d = team.map_or(String::new(), |t| format!(" AND d.team = '{t}'"));
    let team_i = team.map_or(String::new(), |t| format!(" AND team = '{t}'"));
    format!(
        "WITH firsts AS (
           SELECT dc.change_id, MIN(d.finished_at) AS deployed
           FROM deployment_changes dc JOIN deployments d ON d.id = dc.deployment_id
           WHERE d.status = 'success' AND lower(d.environment) IN ('production', 'prod'){team_d}
           GROUP BY dc.change_id),
         lt AS (
           SELECT f.deployed - c.first_commit_at AS s FROM firsts f JOIN changes c ON c.id = f.change_id
           WHERE f.deployed >= {since} AND f.deployed < {until}
             AND c.first_commit_at IS NOT NULL AND f.deployed >= c.first_commit_at),
         ttr AS (
           SELECT resolved_at - created_at AS s FROM incidents
           WHERE created_at >= {since} AND created_at < {until} AND resolved_at >= created_at{team_i})
         SELECT
           (SELECT AVG(s) FROM (SELECT s FROM lt ORDER BY s
              LIMIT 2 - (SELECT COUNT(*) FROM lt) % 2 OFFSET ((SELECT COUNT(*) FROM lt) - 1) / 2)),
           (SELECT AVG(s) FROM (SELECT s FROM ttr ORDER BY s
              LIMIT 2 - (SELECT COUNT(*) FROM ttr) % 2 OFFSET ((SELECT COUNT(*) FROM ttr) - 1) / 2));"
    )
}

/// Runs the query in the `sqlite3` shell; `None` when the shell is not installed.
fn time_sqlite3(db: &Path, sql: &str) -> Option<(f64, String)> {
    let mut times = Vec::new();
    let mut out = String::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let o = Command::new("sqlite3").arg(db).arg(sql).output().ok()?;
        times.push(t.elapsed().as_secs_f64());
        if !o.status.success() {
            eprintln!("sqlite3 failed: {}", String::from_utf8_lossy(&o.stderr));
            return None;
        }
        out = String::from_utf8_lossy(&o.stdout).trim().to_string();
    }
    Some((median(times), out))
}

fn main() {
    let only: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let temp = tempfile::tempdir().expect("temporary directory");
    let dir = std::env::var_os("PLUMB_BENCH_DIR").map_or(temp.path().to_path_buf(), Into::into);
    let anchor = Utc
        .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .expect("anchor");
    println!("medians of {RUNS} runs; lead / restore medians printed to compare with SQL");
    for scale in [Scale::Small, Scale::Large] {
        if only.as_deref().is_some_and(|o| o != scale.as_str()) {
            continue;
        }
        let path = dir.join(format!("metrics-{}.db", scale.as_str()));
        let mut store = Store::open(&path).expect("open store");
        if store
            .row_counts()
            .expect("counts")
            .iter()
            .all(|(_, n)| *n == 0)
        {
            let opts = DemoOptions {
                seed: 7,
                scale,
                anchor,
            };
            let s = generate(&mut store, &opts).expect("generate");
            println!(
                "generated {} dataset: {} rows in {:.1} s",
                scale.as_str(),
                s.rows,
                s.elapsed.as_secs_f64()
            );
        }
        let first_team = store
            .teams()
            .expect("teams")
            .first()
            .map(|t| t.name.clone());
        for days in [90, 180, 365] {
            let since = anchor - Duration::days(days);
            for team in [None, first_team.clone()] {
                let filter = Filter {
                    since: Some(since),
                    until: Some(anchor),
                    team: team.clone(),
                    ..Filter::default()
                };
                let who = team.as_deref().unwrap_or("all teams");
                let report = time_dora(&store, &filter, anchor, Load::Report);
                let t = time_dora(&store, &filter, anchor, Load::Metrics);
                for (how, t) in [("report", &report), ("metric", &t)] {
                    println!(
                        "{:5} {days:>3}d {who:>12} {how}: load {:7.1} ms + compute {:7.1} ms = {:7.1} ms \
                         ({} deployments, {} changes; lead median {:?} s, restore median {:?} s)",
                        scale.as_str(),
                        t.load * 1e3,
                        t.compute * 1e3,
                        (t.load + t.compute) * 1e3,
                        t.deployments,
                        t.changes,
                        t.lead_median,
                        t.restore_median,
                    );
                }
                if days == 365 {
                    let sql = sql_medians(since.timestamp(), anchor.timestamp(), team.as_deref());
                    match time_sqlite3(&path, &sql) {
                        Some((secs, out)) => println!(
                            "      sqlite3 shell, same medians: {:7.1} ms -> {out}   (plumb / sqlite3 = {:.2})",
                            secs * 1e3,
                            (t.load + t.compute) / secs
                        ),
                        None => {
                            println!("      sqlite3 shell not available; SQL comparison skipped")
                        }
                    }
                }
            }
        }
    }
}
