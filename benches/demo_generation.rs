//! Demo dataset generation speed: writes the small and the large dataset into WAL database
//! files and prints rows, seconds and rows per second, with per-table counts.
//!
//! Run with `cargo bench --bench demo_generation`; `-- small` runs only the small dataset.
//! Set `DEMO_BENCH_DIR` to keep the databases there for inspection.

use chrono::{TimeZone, Utc};
use plumb::demo::{DemoOptions, Scale, generate};
use plumb::store::Store;

fn main() {
    let only: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let temp = tempfile::tempdir().expect("temporary directory");
    let dir = std::env::var_os("DEMO_BENCH_DIR").map_or(temp.path().to_path_buf(), Into::into);
    let anchor = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    for scale in [Scale::Small, Scale::Large] {
        if only.as_deref().is_some_and(|o| o != scale.as_str()) {
            continue;
        }
        let path = dir.join(format!("demo-{}.db", scale.as_str()));
        let _ = std::fs::remove_file(&path);
        let mut store = Store::open(&path).expect("open store");
        let opts = DemoOptions {
            seed: 7,
            scale,
            anchor,
        };
        let summary = generate(&mut store, &opts).expect("generate");
        let secs = summary.elapsed.as_secs_f64();
        println!(
            "demo {:5}: {:>10} rows in {:6.2} s = {:>9.0} rows/s",
            scale.as_str(),
            summary.rows,
            secs,
            summary.rows as f64 / secs
        );
        for (table, n) in &summary.per_table {
            println!("    {table:24} {n:>10}");
        }
        drop(store);
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        println!("    database file {:.1} MiB", size as f64 / 1_048_576.0);
    }
}
