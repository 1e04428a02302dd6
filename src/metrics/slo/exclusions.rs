//! Adjusted budgets: exclusion windows (one-off or weekly, e.g. maintenance) remove samples
//! from the budget; planned peaks (campaigns, seasonal traffic) re-weight the bad events inside
//! them. Both are applied explicitly and reported as adjustments, never silently.

use crate::model::{SloSample, Timestamp};
use chrono::{Datelike, Duration, NaiveTime, Weekday};
use chrono_tz::Tz;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExclusionWindow {
    OneOff {
        name: String,
        start: Timestamp,
        end: Timestamp,
    },
    /// Every week on `weekday` from `start` (local time in the SLO's zone) for `seconds`.
    Weekly {
        name: String,
        weekday: Weekday,
        start: NaiveTime,
        seconds: i64,
    },
}

impl ExclusionWindow {
    pub fn name(&self) -> &str {
        match self {
            ExclusionWindow::OneOff { name, .. } | ExclusionWindow::Weekly { name, .. } => name,
        }
    }

    /// Whether the instant `t` falls inside the window.
    pub fn contains(&self, t: Timestamp, tz: Tz) -> bool {
        match self {
            ExclusionWindow::OneOff { start, end, .. } => t >= *start && t < *end,
            ExclusionWindow::Weekly {
                weekday,
                start,
                seconds,
                ..
            } => {
                let local = t.with_timezone(&tz).naive_local();
                // The occurrence that started on `weekday` of this week or the week before.
                let days_since = (7 + local.weekday().num_days_from_monday() as i64
                    - weekday.num_days_from_monday() as i64)
                    % 7;
                [days_since, days_since + 7].iter().any(|d| {
                    let begin = (local.date() - Duration::days(*d)).and_time(*start);
                    local >= begin && local < begin + Duration::seconds(*seconds)
                })
            }
        }
    }
}

/// A period of expected extra traffic or risk whose bad events count with `bad_weight`
/// (0.5 = half) against the budget.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedPeak {
    pub name: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub bad_weight: f64,
}

/// One adjustment as applied to a report's samples.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppliedAdjustment {
    pub name: String,
    /// `exclusion` or `planned_peak`.
    pub kind: &'static str,
    pub buckets: usize,
    /// Events removed (exclusion) or bad events before re-weighting (planned peak).
    pub total: f64,
    pub bad: f64,
    /// Bad events counted after re-weighting (planned peaks only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bad_counted: Option<f64>,
}

/// Applies exclusions (a bucket is removed when its start falls in a window) and planned peaks
/// (a bucket's bad events are re-weighted, keeping its total). Returns the adjusted samples and
/// what was applied, in the order the adjustments were given.
pub fn apply_adjustments(
    samples: &[SloSample],
    exclusions: &[ExclusionWindow],
    peaks: &[PlannedPeak],
    tz: Tz,
) -> (Vec<SloSample>, Vec<AppliedAdjustment>) {
    let mut applied: Vec<AppliedAdjustment> = exclusions
        .iter()
        .map(|e| AppliedAdjustment {
            name: e.name().to_string(),
            kind: "exclusion",
            buckets: 0,
            total: 0.0,
            bad: 0.0,
            bad_counted: None,
        })
        .chain(peaks.iter().map(|p| AppliedAdjustment {
            name: p.name.clone(),
            kind: "planned_peak",
            buckets: 0,
            total: 0.0,
            bad: 0.0,
            bad_counted: Some(0.0),
        }))
        .collect();
    let mut out = Vec::with_capacity(samples.len());
    for s in samples {
        let bad = (s.total - s.good).max(0.0);
        if let Some(k) = exclusions
            .iter()
            .position(|e| e.contains(s.bucket_start, tz))
        {
            let a = &mut applied[k];
            a.buckets += 1;
            a.total += s.total;
            a.bad += bad;
            continue;
        }
        let mut adjusted = *s;
        if let Some(k) = peaks
            .iter()
            .position(|p| s.bucket_start >= p.start && s.bucket_start < p.end)
        {
            let counted = bad * peaks[k].bad_weight;
            adjusted.good = s.total - counted;
            let a = &mut applied[exclusions.len() + k];
            a.buckets += 1;
            a.total += s.total;
            a.bad += bad;
            a.bad_counted = Some(a.bad_counted.unwrap_or(0.0) + counted);
        }
        out.push(adjusted);
    }
    (out, applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn sample(h: u32, good: f64, total: f64) -> SloSample {
        SloSample {
            slo_id: 1,
            // 2024-01-07 is a Sunday.
            bucket_start: Utc
                .with_ymd_and_hms(2024, 1, 7, h, 0, 0)
                .single()
                .expect("t"),
            bucket_seconds: 3600,
            good,
            total,
        }
    }

    #[test]
    fn weekly_maintenance_removes_its_buckets_and_says_so() {
        let maintenance = ExclusionWindow::Weekly {
            name: "sunday maintenance".into(),
            weekday: Weekday::Sun,
            start: NaiveTime::from_hms_opt(2, 0, 0).expect("t"),
            seconds: 2 * 3600,
        };
        let samples = [
            sample(1, 100.0, 100.0),
            sample(2, 0.0, 100.0),
            sample(3, 50.0, 100.0),
            sample(4, 99.0, 100.0),
        ];
        let (kept, applied) = apply_adjustments(&samples, &[maintenance], &[], Tz::UTC);
        // 02:00 and 03:00 fall in the two-hour window from 02:00.
        assert_eq!(kept.len(), 2);
        assert_eq!(applied[0].buckets, 2);
        assert_eq!(applied[0].bad, 150.0);
    }

    #[test]
    fn weekly_window_crossing_midnight_is_found_from_the_next_day() {
        let late = ExclusionWindow::Weekly {
            name: "late saturday".into(),
            weekday: Weekday::Sat,
            start: NaiveTime::from_hms_opt(23, 0, 0).expect("t"),
            seconds: 3 * 3600,
        };
        // Sunday 01:00 is two hours into Saturday's 23:00 window.
        let t = Utc
            .with_ymd_and_hms(2024, 1, 7, 1, 0, 0)
            .single()
            .expect("t");
        assert!(late.contains(t, Tz::UTC));
        assert!(!late.contains(t + Duration::hours(1), Tz::UTC));
    }

    #[test]
    fn planned_peak_reweights_bad_events() {
        let peak = PlannedPeak {
            name: "campaign".into(),
            start: Utc
                .with_ymd_and_hms(2024, 1, 7, 0, 0, 0)
                .single()
                .expect("t"),
            end: Utc
                .with_ymd_and_hms(2024, 1, 8, 0, 0, 0)
                .single()
                .expect("t"),
            bad_weight: 0.5,
        };
        let (kept, applied) = apply_adjustments(&[sample(1, 90.0, 100.0)], &[], &[peak], Tz::UTC);
        assert_eq!(kept[0].good, 95.0); // 10 bad events count as 5
        assert_eq!(applied[0].bad_counted, Some(5.0));
    }
}
