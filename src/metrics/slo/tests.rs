//! Unit tests of the SLO definitions; expected numbers are worked out next to each assertion.

use super::*;
use crate::model::CalendarPeriod;
use chrono::{TimeZone, Utc};

fn slo(window: SloWindow, method: BudgetingMethod) -> Slo {
    Slo {
        id: 1,
        name: "checkout availability".into(),
        service: Some("checkout".into()),
        team: None,
        description: None,
        target: 0.99,
        window,
        budgeting_method: method,
        timeslice_seconds: None,
        timeslice_target: None,
    }
}

fn hourly(start: Timestamp, goods: &[f64], total: f64) -> Vec<SloSample> {
    goods
        .iter()
        .enumerate()
        .map(|(k, g)| SloSample {
            slo_id: 1,
            bucket_start: start + Duration::hours(k as i64),
            bucket_seconds: 3600,
            good: *g,
            total,
        })
        .collect()
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn occurrences_rolling_budget_is_unclamped() {
    let now = Utc
        .with_ymd_and_hms(2024, 5, 10, 0, 0, 0)
        .single()
        .expect("t");
    let s = slo(SloWindow::Rolling { days: 7 }, BudgetingMethod::Occurrences);
    // 10 hours of 100 events: 9 bad hours... 970 good of 1000 → error ratio 0.03.
    let samples = hourly(now - Duration::hours(10), &[97.0; 10], 100.0);
    let r = slo_report(
        &s,
        &samples,
        &SloParams::default(),
        now,
        &Versions::default(),
    );
    assert!(close(r.error_ratio, 0.03));
    // Budget 0.01: consumed 0.03 / 0.01 = 3, remaining 1 - 3 = -2 (overspent, not clamped).
    assert!(close(r.budget_remaining, -2.0));
    assert!(close(r.burn_rate, 3.0));
    // Already exhausted: time to exhaustion is zero.
    assert_eq!(r.time_to_exhaustion_seconds, Some(0.0));
}

#[test]
fn no_samples_means_no_budget_figures() {
    let now = Utc
        .with_ymd_and_hms(2024, 5, 10, 0, 0, 0)
        .single()
        .expect("t");
    let s = slo(
        SloWindow::Rolling { days: 30 },
        BudgetingMethod::Occurrences,
    );
    let r = slo_report(&s, &[], &SloParams::default(), now, &Versions::default());
    assert_eq!(r.budget_remaining, None);
    assert_eq!(r.error_ratio, None);
    assert_eq!(r.alerts.level, None);
    assert!(r.burn_down.is_empty());
}

#[test]
fn calendar_month_uses_the_full_period_denominator() {
    // 10 days into a 30-day April with 1 000 events a day: the full-period denominator is
    // 30 000 events, not the 10 000 seen. 50 bad events → 50 / (0.01 × 30 000) = 1/6 consumed.
    let now = Utc
        .with_ymd_and_hms(2023, 4, 11, 0, 0, 0)
        .single()
        .expect("t");
    let s = slo(
        SloWindow::Calendar {
            period: CalendarPeriod::Month,
        },
        BudgetingMethod::Occurrences,
    );
    let start = Utc
        .with_ymd_and_hms(2023, 4, 1, 0, 0, 0)
        .single()
        .expect("t");
    let mut samples: Vec<SloSample> = (0..10)
        .map(|d| SloSample {
            slo_id: 1,
            bucket_start: start + Duration::days(d),
            bucket_seconds: 86_400,
            good: if d == 3 { 950.0 } else { 1000.0 },
            total: 1000.0,
        })
        .collect();
    let r = slo_report(
        &s,
        &samples,
        &SloParams::default(),
        now,
        &Versions::default(),
    );
    assert!(close(r.budget_consumed, 1.0 / 6.0));
    // February 2024 has 29 days: the same sample pattern consumes 50 / (0.01 × 29 000).
    let feb = Utc
        .with_ymd_and_hms(2024, 2, 1, 0, 0, 0)
        .single()
        .expect("t");
    for (d, s) in samples.iter_mut().enumerate() {
        s.bucket_start = feb + Duration::days(d as i64);
    }
    let now = Utc
        .with_ymd_and_hms(2024, 2, 11, 0, 0, 0)
        .single()
        .expect("t");
    let r = slo_report(
        &s,
        &samples,
        &SloParams::default(),
        now,
        &Versions::default(),
    );
    assert!(close(r.budget_consumed, 50.0 / 290.0));
    assert_eq!(r.burn_down.len(), 29);
    assert_eq!(r.burn_down[28].remaining, None); // 29 February is still to come
    assert!(close(r.burn_down[28].ideal, 0.0));
}

/// 90 % over a day of hourly slices, each good at 95 % or more.
fn hourly_timeslices() -> Slo {
    let mut s = slo(SloWindow::Rolling { days: 1 }, BudgetingMethod::Timeslices);
    s.target = 0.9;
    s.timeslice_seconds = Some(3600);
    s.timeslice_target = Some(0.95);
    s
}

#[test]
fn timeslices_count_bad_slices() {
    let now = Utc
        .with_ymd_and_hms(2024, 5, 10, 0, 0, 0)
        .single()
        .expect("t");
    let mut s = hourly_timeslices();
    // Ten hourly slices; two fall below 95 % good (90 and 94).
    let goods = [
        100.0, 90.0, 99.0, 94.0, 100.0, 100.0, 100.0, 96.0, 100.0, 95.0,
    ];
    let samples = hourly(now - Duration::hours(10), &goods, 100.0);
    let r = slo_report(
        &s,
        &samples,
        &SloParams::default(),
        now,
        &Versions::default(),
    );
    // 2 bad slices of 10 → error ratio 0.2 against a budget of 0.1: remaining 1 - 2 = -1.
    assert!(close(r.error_ratio, 0.2));
    assert!(close(r.budget_remaining, -1.0));
    // RatioTimeslices averages the slices' error ratios instead: (10+1+6+4+5)/100/10 = 0.026.
    s.budgeting_method = BudgetingMethod::RatioTimeslices;
    let r = slo_report(
        &s,
        &samples,
        &SloParams::default(),
        now,
        &Versions::default(),
    );
    assert!(close(r.error_ratio, 0.026));
}

#[test]
fn a_timeslices_budget_burns_and_exhausts_in_slices_not_events() {
    let now = Utc
        .with_ymd_and_hms(2024, 5, 10, 0, 0, 0)
        .single()
        .expect("t");
    let s = hourly_timeslices();
    // Every slice 98 % good: events fail (2 %), but no slice falls below 95 %.
    let samples = hourly(now - Duration::hours(10), &[98.0; 10], 100.0);
    let r = slo_report(
        &s,
        &samples,
        &SloParams::default(),
        now,
        &Versions::default(),
    );
    assert!(close(r.budget_remaining, 1.0));
    // Nothing consumes the budget, so nothing burns it and it never runs out; the event-based
    // alert windows still see the 2 % (0.02 / 0.1 = 0.2).
    assert!(close(r.current_burn_rate, 0.0));
    assert_eq!(r.time_to_exhaustion_seconds, None);
    assert!(close(r.alerts.windows[0].long_burn_rate, 0.2));
    // The last hour's slice is bad: 1 bad slice of 1 / 0.1 = burn 10; 9 good of 10 slices so
    // far leave 1 - 0.1 / 0.1 = 0 of the budget: exhausted.
    let mut goods = [98.0; 10];
    goods[9] = 90.0;
    let samples = hourly(now - Duration::hours(10), &goods, 100.0);
    let r = slo_report(
        &s,
        &samples,
        &SloParams::default(),
        now,
        &Versions::default(),
    );
    assert!(close(r.current_burn_rate, 10.0));
    assert!(close(r.budget_remaining, 0.0));
    assert_eq!(r.time_to_exhaustion_seconds, Some(0.0));
}

#[test]
fn alert_fires_only_when_both_windows_burn() {
    let now = Utc
        .with_ymd_and_hms(2024, 5, 10, 0, 0, 0)
        .single()
        .expect("t");
    let s = slo(
        SloWindow::Rolling { days: 30 },
        BudgetingMethod::Occurrences,
    );
    // 5-minute buckets for the last hour: 20 % errors in the last 5 minutes only.
    let mut samples: Vec<SloSample> = (0..12)
        .map(|k| SloSample {
            slo_id: 1,
            bucket_start: now - Duration::minutes(60 - 5 * k),
            bucket_seconds: 300,
            good: 100.0,
            total: 100.0,
        })
        .collect();
    samples[11].good = 80.0;
    let r = slo_report(
        &s,
        &samples,
        &SloParams::default(),
        now,
        &Versions::default(),
    );
    let page = &r.alerts.windows[0];
    // Short window: 0.2 / 0.01 = burn 20 > 14.4; long: 20 / 1200 / 0.01 = 1.67 < 14.4.
    assert!(close(page.short_burn_rate, 20.0));
    assert!(!page.firing);
    // The slow ticket (3 d and 6 h, factor 1) does fire: both windows hold the same hour,
    // burning 1.67 > 1. The 1 d / 2 h ticket (factor 3) does not.
    assert!(!r.alerts.windows[2].firing);
    assert!(r.alerts.windows[3].firing);
    assert_eq!(r.alerts.level, Some(AlertSeverity::Ticket));
    // The whole hour at 20 % errors: both burn at 20 → page.
    for s in &mut samples {
        s.good = 80.0;
    }
    let r = slo_report(
        &s,
        &samples,
        &SloParams::default(),
        now,
        &Versions::default(),
    );
    assert_eq!(r.alerts.level, Some(AlertSeverity::Page));
}

#[test]
fn exclusions_are_applied_and_shown() {
    let now = Utc
        .with_ymd_and_hms(2024, 5, 10, 0, 0, 0)
        .single()
        .expect("t");
    let s = slo(SloWindow::Rolling { days: 7 }, BudgetingMethod::Occurrences);
    let start = now - Duration::hours(4);
    let samples = hourly(start, &[100.0, 0.0, 100.0, 100.0], 100.0);
    let params = SloParams {
        exclusions: vec![ExclusionWindow::OneOff {
            name: "database migration".into(),
            start: start + Duration::hours(1),
            end: start + Duration::hours(2),
        }],
        ..SloParams::default()
    };
    let r = slo_report(&s, &samples, &params, now, &Versions::default());
    // Unadjusted: 100 bad of 400 → 0.25 / 0.01 = 25 consumed → -24. Adjusted: nothing bad.
    assert!(close(r.budget_remaining_unadjusted, -24.0));
    assert!(close(r.budget_remaining, 1.0));
    assert_eq!(r.adjustments[0].buckets, 1);
    assert_eq!(r.adjustments[0].bad, 100.0);
}

#[test]
fn time_to_exhaustion_follows_the_workbook_table() {
    // SRE Workbook table 5-4 (99.9 %, 30 days): burn 1 → 30 days, 2 → 15, 10 → 3,
    // 1000 → 43.2 minutes, with the whole budget left.
    let month = 30 * 86_400;
    assert_eq!(time_to_exhaustion(1.0, 1.0, month), Some(30.0 * 86_400.0));
    assert_eq!(time_to_exhaustion(1.0, 2.0, month), Some(15.0 * 86_400.0));
    assert_eq!(time_to_exhaustion(1.0, 10.0, month), Some(3.0 * 86_400.0));
    assert_eq!(time_to_exhaustion(1.0, 1000.0, month), Some(43.2 * 60.0));
    assert_eq!(time_to_exhaustion(0.5, 0.0, month), None);
}
