//! Opening the store and computing the Overview's numbers on the small demo dataset: the work
//! between `plumb demo` starting and its first full frame. Target: under 50 ms.
//!
//! Run with `cargo bench --bench overview`.

use chrono::{Duration, TimeZone, Utc};
use plumb::config::Config;
use plumb::demo::{DemoOptions, Scale};
use plumb::store::Store;
use plumb::tui::data::{DataRequest, Loader, PaneData, Query};
use std::time::Instant;

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("demo.db");
    let anchor = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    {
        let mut store = Store::open(&path).expect("open");
        plumb::demo::generate(
            &mut store,
            &DemoOptions {
                seed: 1,
                scale: Scale::Small,
                anchor,
            },
        )
        .expect("generate");
    }
    let config = Config::default();
    let mut samples = Vec::new();
    for _ in 0..20 {
        let start = Instant::now();
        let loader = Loader::new(path.clone(), &config).expect("loader");
        let data = loader
            .load_now(&DataRequest {
                generation: 1,
                since: anchor - Duration::days(90),
                until: anchor,
                team: None,
                service: None,
                query: Query::Overview,
            })
            .expect("overview");
        let PaneData::Overview(data) = data else {
            panic!("asked for the Overview");
        };
        assert_eq!(data.teams.len(), 4);
        samples.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    samples.sort_by(f64::total_cmp);
    println!(
        "overview on the small demo (open store + 4 teams x DORA over 90 days), 20 runs: \
         min {:.1} ms, median {:.1} ms, max {:.1} ms (target < 50 ms)",
        samples[0],
        samples[samples.len() / 2],
        samples[samples.len() - 1]
    );
}
