//! Imports a generated 1,000,000-row deployments CSV into a fresh database file, then imports
//! it again (every row unchanged), and prints rows, seconds and rows per second for both.
//! Target: at least 200,000 rows/s for the first import.
//!
//! Run with `cargo bench --bench import`; `PLUMB_BENCH_ROWS` changes the row count.

use chrono::{TimeZone, Utc};
use plumb::import::{ImportOptions, import_files};
use plumb::model::Ownership;
use plumb::store::Store;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

const SERVICES: [&str; 8] = [
    "checkout", "search", "cart", "auth", "catalog", "payments", "ledger", "notify",
];
const ENVIRONMENTS: [&str; 3] = ["production", "staging", "dev"];

fn write_csv(path: &Path, rows: u64) -> std::io::Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        out,
        "external_id,service,environment,status,started_at,finished_at,commit_sha"
    )?;
    let start = Utc
        .with_ymd_and_hms(2022, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    for i in 0..rows {
        let finished = start + chrono::Duration::seconds(i as i64 * 60);
        let started = finished - chrono::Duration::seconds(240 + (i % 120) as i64);
        let status = if i % 17 == 0 { "failure" } else { "success" };
        writeln!(
            out,
            "dep-{i:08},{},{},{status},{},{},{:040x}",
            SERVICES[(i % 8) as usize],
            ENVIRONMENTS[(i % 3) as usize],
            started.format("%Y-%m-%dT%H:%M:%SZ"),
            finished.format("%Y-%m-%dT%H:%M:%SZ"),
            i.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        )?;
    }
    out.flush()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: u64 = std::env::var("PLUMB_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("deployments.csv");
    write_csv(&csv, rows)?;
    let mut store = Store::open(&dir.path().join("plumb.db"))?;
    let mut ownership = Ownership::default();
    for (i, s) in SERVICES.iter().enumerate() {
        ownership
            .service_team
            .insert((*s).to_string(), format!("team-{}", i % 3));
    }
    let opts = ImportOptions::default();
    let files = [csv];
    for (label, expect_inserted) in [("import", rows), ("re-import (all unchanged)", 0)] {
        let started = Instant::now();
        let reports = import_files(&mut store, &files, &opts, &ownership, Utc::now())?;
        let seconds = started.elapsed().as_secs_f64();
        let r = &reports[0];
        assert_eq!(r.rows, rows);
        assert_eq!(r.inserted, expect_inserted);
        println!(
            "{label}: {} rows in {seconds:.2} s = {:.0} rows/s (inserted {}, updated {}, unchanged {})",
            r.rows,
            r.rows as f64 / seconds,
            r.inserted,
            r.updated,
            r.unchanged
        );
    }
    Ok(())
}
