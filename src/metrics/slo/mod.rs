//! Service level objectives: error budget, burn rates, multi-window alerts, time to
//! exhaustion, burn-down and adjusted budgets. Sources: Google SRE Workbook ("Alerting on
//! SLOs"), Sloth, Pyrra, OpenSLO (budgeting methods).

mod budget;
mod burn;
mod exclusions;

pub use budget::{Consumption, consumption};
pub use burn::{
    AlertSeverity, AlertState, AlertWindow, AlertWindowState, alert_state, burn_rate,
    default_alert_windows, error_ratio, time_to_exhaustion,
};
pub use exclusions::{AppliedAdjustment, ExclusionWindow, PlannedPeak, apply_adjustments};

use super::definitions::{DefinitionRef, MetricDefinition, Versions, ids};
use super::explain::Explain;
use super::period::{Period, calendar_period_containing, local_date, start_of_day};
use crate::model::{BudgetingMethod, Slo, SloSample, SloWindow, Timestamp};
use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::json;

#[derive(Debug, Clone)]
pub struct SloParams {
    /// Zone of calendar periods, recurring exclusions and burn-down days.
    pub timezone: Tz,
    pub exclusions: Vec<ExclusionWindow>,
    pub planned_peaks: Vec<PlannedPeak>,
    pub alert_windows: Vec<AlertWindow>,
    /// Window of the "current" burn rate used for time to exhaustion (default 1 h).
    pub current_burn_window: Duration,
}

impl Default for SloParams {
    fn default() -> Self {
        SloParams {
            timezone: Tz::UTC,
            exclusions: Vec::new(),
            planned_peaks: Vec::new(),
            alert_windows: default_alert_windows(),
            current_burn_window: Duration::hours(1),
        }
    }
}

impl SloParams {
    pub fn definitions(&self) -> Vec<MetricDefinition> {
        let adjustments = json!({
            "exclusions": self.exclusions,
            "planned_peaks": self.planned_peaks,
        });
        vec![
            MetricDefinition::new(
                ids::SLO_BUDGET,
                1,
                json!({"timezone": self.timezone.name(), "adjustments": adjustments}),
            ),
            MetricDefinition::new(
                ids::SLO_BURN_RATE,
                // 2: the current burn of time-based budgets counts slices, not events.
                2,
                json!({"current_burn_window_seconds": self.current_burn_window.num_seconds()}),
            ),
            MetricDefinition::new(ids::SLO_ALERTS, 1, json!({"windows": self.alert_windows})),
        ]
    }
}

/// One day of the budget burn-down.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BurnDownPoint {
    pub day: NaiveDate,
    /// Budget remaining at the end of the day; `None` for days still to come.
    pub remaining: Option<f64>,
    /// The straight line from 1 at the window's start to 0 at its end: spending exactly at
    /// budget pace.
    pub ideal: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SloReport {
    pub definition: DefinitionRef,
    pub slo_id: i64,
    pub name: String,
    pub service: Option<String>,
    pub target: f64,
    /// 1 - target.
    pub error_budget: f64,
    pub window: SloWindow,
    pub budgeting_method: BudgetingMethod,
    /// The window the budget covers: the last N days, or the whole calendar period.
    pub window_period: Period,
    pub good: f64,
    pub total: f64,
    pub error_ratio: Option<f64>,
    pub budget_consumed: Option<f64>,
    /// Not clamped: below zero means the budget is overspent.
    pub budget_remaining: Option<f64>,
    /// The same without exclusions and planned peaks, shown beside the adjusted figure.
    pub budget_remaining_unadjusted: Option<f64>,
    /// Burn rate over the window so far.
    pub burn_rate: Option<f64>,
    pub current_burn_rate: Option<f64>,
    pub time_to_exhaustion_seconds: Option<f64>,
    /// Ideal remaining budget now on a calendar window (straight line to 0 at the end).
    pub expected_remaining: Option<f64>,
    pub alerts: AlertState,
    pub burn_down: Vec<BurnDownPoint>,
    pub adjustments: Vec<AppliedAdjustment>,
    #[serde(skip)]
    pub explain: Explain,
    /// Buckets (epoch seconds of their start) that entered the budget.
    #[serde(skip)]
    pub buckets: Vec<i64>,
}

/// Burn rate over the `window` ending at `now`, in the budget's own units: bad events for
/// Occurrences, bad slices (or slice error ratios) for the time-based methods. A Timeslices
/// budget that no slice consumes therefore shows no burn and no exhaustion, even when some
/// events fail. The multi-window alerts stay on event ratios, as the SRE Workbook defines them.
pub fn current_burn(
    slo: &Slo,
    samples: &[SloSample],
    now: Timestamp,
    window: Duration,
) -> Option<f64> {
    match slo.budgeting_method {
        BudgetingMethod::Occurrences => burn_rate(samples, slo.target, now, window),
        BudgetingMethod::Timeslices | BudgetingMethod::RatioTimeslices => {
            let recent = Period::new(now - window, now);
            let in_recent: Vec<SloSample> = samples
                .iter()
                .filter(|s| recent.contains(s.bucket_start))
                .copied()
                .collect();
            consumption(slo, &in_recent, recent)
                .error_ratio()
                .map(|r| r / (1.0 - slo.target))
        }
    }
}

/// The window an SLO's budget covers at `now`.
pub fn window_period(slo: &Slo, now: Timestamp, tz: Tz) -> Period {
    match slo.window {
        SloWindow::Rolling { days } => Period::new(now - Duration::days(i64::from(days)), now),
        SloWindow::Calendar { period } => calendar_period_containing(now, period, tz),
    }
}

/// How far back samples are needed at `now`: the budget window and the longest alert window.
pub fn samples_needed_from(slo: &Slo, params: &SloParams, now: Timestamp) -> Timestamp {
    let longest = params
        .alert_windows
        .iter()
        .map(|w| w.long)
        .chain([params.current_burn_window])
        .max()
        .unwrap_or_default();
    window_period(slo, now, params.timezone)
        .start
        .min(now - longest)
}

pub fn slo_report(
    slo: &Slo,
    samples: &[SloSample],
    params: &SloParams,
    now: Timestamp,
    versions: &Versions,
) -> SloReport {
    let tz = params.timezone;
    let window = window_period(slo, now, tz);
    let mut sorted: Vec<SloSample> = samples
        .iter()
        .filter(|s| s.slo_id == slo.id && s.bucket_start < now)
        .copied()
        .collect();
    sorted.sort_by_key(|s| s.bucket_start);
    let (adjusted, adjustments) =
        apply_adjustments(&sorted, &params.exclusions, &params.planned_peaks, tz);
    let in_window = |v: &[SloSample]| -> Vec<SloSample> {
        v.iter()
            .filter(|s| window.contains(s.bucket_start))
            .copied()
            .collect()
    };
    let adjusted_window = in_window(&adjusted);
    let c = consumption(slo, &adjusted_window, window);
    let raw = consumption(slo, &in_window(&sorted), window);
    let period_seconds = window.seconds();
    let budget_remaining = c.budget_remaining(slo.target);
    let current_burn_rate = current_burn(slo, &adjusted, now, params.current_burn_window);
    let time_to_exhaustion_seconds = match (budget_remaining, current_burn_rate) {
        (Some(r), Some(b)) => time_to_exhaustion(r, b, period_seconds),
        _ => None,
    };
    let calendar = matches!(slo.window, SloWindow::Calendar { .. });
    let burn_down = burn_down(slo, &adjusted_window, window, c, now, tz);
    let expected_remaining = calendar
        .then(|| {
            burn_down
                .iter()
                .find(|p| p.day == local_date(now, tz))
                .and_then(|p| p.ideal)
        })
        .flatten();
    SloReport {
        definition: versions.reference(ids::SLO_BUDGET),
        slo_id: slo.id,
        name: slo.name.clone(),
        service: slo.service.clone(),
        target: slo.target,
        error_budget: 1.0 - slo.target,
        window: slo.window,
        budgeting_method: slo.budgeting_method,
        window_period: window,
        good: c.good,
        total: c.total,
        error_ratio: c.error_ratio(),
        budget_consumed: c.budget_consumed(slo.target),
        budget_remaining,
        budget_remaining_unadjusted: raw.budget_remaining(slo.target),
        burn_rate: c.error_ratio().map(|r| r / (1.0 - slo.target)),
        current_burn_rate,
        time_to_exhaustion_seconds,
        expected_remaining,
        alerts: alert_state(
            &adjusted,
            slo.target,
            period_seconds,
            &params.alert_windows,
            now,
        ),
        burn_down,
        adjustments,
        explain: Explain::default(),
        buckets: adjusted_window
            .iter()
            .map(|s| s.bucket_start.timestamp())
            .collect(),
    }
}

/// Remaining budget at the end of each day of the window (same denominator as the report, so
/// the last point equals `budget_remaining`), with the ideal line.
fn burn_down(
    slo: &Slo,
    samples: &[SloSample],
    window: Period,
    total: Consumption,
    now: Timestamp,
    tz: Tz,
) -> Vec<BurnDownPoint> {
    let mut out = Vec::new();
    if total.denominator <= 0.0 {
        return out;
    }
    let first = local_date(window.start, tz);
    let last_day = local_date(window.end - Duration::seconds(1), tz);
    let days = (last_day - first).num_days() + 1;
    let mut day = first;
    let mut k = 0;
    while day <= last_day {
        k += 1;
        let day_end = start_of_day(day + Duration::days(1), tz).min(window.end);
        let remaining = (start_of_day(day, tz) <= now).then(|| {
            let upto: Vec<SloSample> = samples
                .iter()
                .filter(|s| s.bucket_start < day_end)
                .copied()
                .collect();
            let partial = consumption(slo, &upto, window);
            let bad = partial.bad_units;
            1.0 - bad / ((1.0 - slo.target) * total.denominator)
        });
        out.push(BurnDownPoint {
            day,
            remaining,
            // Spending exactly at budget pace: from 1 at the window's start to 0 at its end
            // (for a rolling window, the end is now).
            ideal: Some(1.0 - k as f64 / days as f64),
        });
        day += Duration::days(1);
    }
    out
}

#[cfg(test)]
mod tests;
