//! Conformance of the SLO math with peers, from the files in `tests/fixtures/slo/` (copied
//! from `slok/sloth`, plus `derived-expectations.json` which transcribes assertions of Sloth's
//! and Pyrra's tests and the SRE Workbook tables; provenance in SOURCES.txt).

use chrono::{DateTime, Duration, TimeZone, Utc};
use plumb::metrics::Versions;
use plumb::metrics::slo::{
    AlertSeverity, AlertWindow, SloParams, default_alert_windows, slo_report, time_to_exhaustion,
};
use plumb::model::{BudgetingMethod, CalendarPeriod, Slo, SloSample, SloWindow};
use serde_json::Value;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/slo");

fn expectations() -> Value {
    let text = std::fs::read_to_string(format!("{DIR}/derived-expectations.json")).expect("json");
    serde_json::from_str(&text).expect("parse")
}

fn duration(s: &str) -> Duration {
    let (n, unit) = s.split_at(s.len() - 1);
    let n: i64 = n.parse().expect("number");
    match unit {
        "m" => Duration::minutes(n),
        "h" => Duration::hours(n),
        "d" => Duration::days(n),
        "w" => Duration::weeks(n),
        other => panic!("unit {other}"),
    }
}

/// Reads a Sloth `AlertWindows` file: the SLO period and the four windows in file order
/// (page quick, page slow, ticket quick, ticket slow). The format is fixed, so a line reader
/// is enough.
fn sloth_catalog(file: &str) -> (Duration, Vec<AlertWindow>) {
    let text = std::fs::read_to_string(format!("{DIR}/{file}")).expect("yaml");
    let mut period = None;
    let mut windows = Vec::new();
    let mut severity = AlertSeverity::Page;
    let (mut share, mut short) = (None, None);
    for line in text.lines().map(str::trim) {
        let value = |key: &str| {
            line.strip_prefix(key)
                .map(|v| v.trim().trim_matches('"').to_string())
        };
        if let Some(v) = value("sloPeriod:") {
            period = Some(duration(&v));
        } else if line == "page:" {
            severity = AlertSeverity::Page;
        } else if line == "ticket:" {
            severity = AlertSeverity::Ticket;
        } else if let Some(v) = value("errorBudgetPercent:") {
            share = Some(v.parse::<f64>().expect("percent") / 100.0);
        } else if let Some(v) = value("shortWindow:") {
            short = Some(duration(&v));
        } else if let Some(v) = value("longWindow:") {
            windows.push(AlertWindow {
                severity,
                long: duration(&v),
                short: short.take().expect("short before long"),
                budget_share: share.take().expect("share before long"),
            });
        }
    }
    (period.expect("sloPeriod"), windows)
}

fn assert_close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() < 1e-9 * b.abs().max(1.0),
        "{what}: {a} vs {b}"
    );
}

#[test]
fn sloth_google_30d_catalog_gives_the_workbook_factors() {
    let (period, windows) = sloth_catalog("sloth-google-30d-windows.yaml");
    let exp = expectations();
    let rows = exp["sloth_mwmb_factors"]["30d_default"]
        .as_array()
        .expect("rows");
    assert_eq!(windows.len(), rows.len());
    for (w, row) in windows.iter().zip(rows) {
        assert_eq!(w.long, duration(row["long"].as_str().expect("long")));
        assert_eq!(w.short, duration(row["short"].as_str().expect("short")));
        assert_close(
            w.factor(period.num_seconds()),
            row["factor"].as_f64().expect("f"),
            "30d factor",
        );
    }
    // plumb's built-in catalog is this file.
    assert_eq!(default_alert_windows(), windows);
}

#[test]
fn same_catalog_over_28_days_gives_sloths_28d_factors() {
    let (_, windows) = sloth_catalog("sloth-google-30d-windows.yaml");
    let rows = &expectations()["sloth_mwmb_factors"]["28d_default"];
    for (w, row) in windows.iter().zip(rows.as_array().expect("rows")) {
        let want = row["factor"].as_f64().expect("factor");
        assert_close(
            w.factor(Duration::days(28).num_seconds()),
            want,
            "28d factor",
        );
    }
}

#[test]
fn custom_7d_catalog_gives_sloths_factors() {
    let (period, windows) = sloth_catalog("sloth-custom-7d-windows.yaml");
    assert_eq!(period, Duration::days(7));
    let rows = &expectations()["sloth_mwmb_factors"]["7d_custom_catalog"];
    for (w, row) in windows.iter().zip(rows.as_array().expect("rows")) {
        // Sloth asserts 1.4000000000000001 for the third window: compare to 1e-9.
        assert_close(
            w.factor(period.num_seconds()),
            row["factor"].as_f64().expect("f"),
            "7d factor",
        );
    }
}

#[test]
fn workbook_table_5_8_factors_and_exhaustion_times() {
    let exp = expectations();
    let month = Duration::days(30).num_seconds();
    for row in exp["sre_workbook_table_5_8"]["rows"]
        .as_array()
        .expect("rows")
    {
        let w = AlertWindow {
            severity: AlertSeverity::Page,
            long: duration(row["long"].as_str().expect("long")),
            short: duration(row["short"].as_str().expect("short")),
            budget_share: row["budget_consumed_pct"].as_f64().expect("pct") / 100.0,
        };
        assert_close(
            w.factor(month),
            row["burn_rate"].as_f64().expect("burn"),
            "table 5-8",
        );
    }
    // Table 5-4 (99.9 %): burn rate → time to exhaust the whole budget.
    let expected_seconds = [
        30.0 * 86_400.0,
        15.0 * 86_400.0,
        3.0 * 86_400.0,
        43.2 * 60.0,
    ];
    let table = exp["sre_workbook_table_5_8"]["table_5_4_time_to_exhaustion_99_9"]
        .as_array()
        .expect("table");
    for (row, want) in table.iter().zip(expected_seconds) {
        let burn = row[0].as_f64().expect("burn");
        let got = time_to_exhaustion(1.0, burn, month).expect("exhaustion");
        assert_close(got, want, &format!("burn {burn} → {}", row[1]));
    }
}

#[test]
fn pyrra_28d_windows_and_exhaustion_labels() {
    // Pyrra states factors directly; as budget shares they are factor × long / period. Its
    // exhaustion label is period / factor: 28d/14 = 2d, /7 = 4d, /2 = 2w, /1 = 4w.
    let period = Duration::days(28).num_seconds();
    for row in expectations()["pyrra_windows_28d"]["rows"]
        .as_array()
        .expect("rows")
    {
        let factor = row["factor"].as_f64().expect("factor");
        let long = duration(row["long"].as_str().expect("long"));
        let w = AlertWindow {
            severity: AlertSeverity::Page,
            long,
            short: duration(row["short"].as_str().expect("short")),
            budget_share: factor * long.num_seconds() as f64 / period as f64,
        };
        assert_close(w.factor(period), factor, "pyrra factor");
        let label = duration(row["exhaustion_label"].as_str().expect("label"));
        let got = time_to_exhaustion(1.0, factor, period).expect("exhaustion");
        assert_close(got, label.num_seconds() as f64, "pyrra exhaustion");
    }
}

#[test]
fn sloth_calendar_month_burn_down() {
    // Sloth's TestListBurnedBudgetRange: objective 99.9 %, November 2025, daily availability
    // 99.0 .. 99.6 on days 1-7, no data on days 7-13, now = 2025-11-14T01:02:03Z. Sloth
    // budgets per daily step over the whole month, which is RatioTimeslices with one-day
    // slices on a calendar month.
    let exp = expectations();
    let case = &exp["sloth_calendar_budget_chart"];
    let now: DateTime<Utc> = case["inputs"]["now"]
        .as_str()
        .expect("now")
        .parse()
        .expect("time");
    let availability: Vec<f64> = case["inputs"]["daily_availability_pct"]
        .as_array()
        .expect("days")
        .iter()
        .map(|v| v.as_f64().expect("pct"))
        .collect();
    let start = Utc
        .with_ymd_and_hms(2025, 11, 1, 0, 0, 0)
        .single()
        .expect("t");
    let samples: Vec<SloSample> = availability
        .iter()
        .enumerate()
        .map(|(d, a)| SloSample {
            slo_id: 1,
            bucket_start: start + Duration::days(d as i64),
            bucket_seconds: 86_400,
            good: a * 10.0,
            total: 1000.0,
        })
        .collect();
    let slo = Slo {
        id: 1,
        name: "sloth".into(),
        service: None,
        team: None,
        description: None,
        target: case["inputs"]["objective_pct"].as_f64().expect("objective") / 100.0,
        window: SloWindow::Calendar {
            period: CalendarPeriod::Month,
        },
        budgeting_method: BudgetingMethod::RatioTimeslices,
        timeslice_seconds: Some(86_400),
        timeslice_target: None,
    };
    let r = slo_report(
        &slo,
        &samples,
        &SloParams::default(),
        now,
        &Versions::default(),
    );
    let expected = &case["expected"];
    let per_day = expected["remaining_after_each_day_pct"]
        .as_array()
        .expect("days");
    for (k, want) in per_day.iter().enumerate() {
        let got = r.burn_down[k].remaining.expect("past day") * 100.0;
        // Sloth's own numbers carry float noise around 1e-11; compare to 1e-6 percent.
        assert!(
            (got - want.as_f64().expect("pct")).abs() < 1e-6,
            "day {}: {got} vs {want}",
            k + 1
        );
    }
    let current = expected["current_remaining_pct"].as_f64().expect("current");
    assert!((r.budget_remaining.expect("remaining") * 100.0 - current).abs() < 1e-6);
    // Days 8-13 carry no data: zero burn, the line stays flat.
    assert_eq!(r.burn_down[12].remaining, r.burn_down[6].remaining);
    let ideal_now = expected["current_expected_remaining_pct_ideal_line"]
        .as_f64()
        .expect("ideal");
    assert!((r.expected_remaining.expect("ideal") * 100.0 - ideal_now).abs() < 1e-9);
    let first_last = expected["ideal_line_first_last"].as_array().expect("pair");
    assert!(
        (r.burn_down[0].ideal.expect("first") * 100.0 - first_last[0].as_f64().expect("f")).abs()
            < 1e-9
    );
    assert_eq!(r.burn_down.len(), 30);
    assert!(r.burn_down[29].ideal.expect("last").abs() < 1e-12);
    assert_eq!(
        r.burn_down[14].remaining, None,
        "15 November is still to come"
    );
}
