//! Error budget under the three budgeting methods (OpenSLO): Occurrences (bad events / all
//! events), Timeslices (bad slices / all slices, a slice being bad when its good ratio is below
//! the timeslice target) and RatioTimeslices (mean of each slice's error ratio).
//!
//! Budget consumed = bad units / ((1 - target) × denominator); remaining = 1 - consumed, not
//! clamped below zero. Rolling windows use the observed denominator. Calendar windows use the
//! full period's denominator, as Sloth does: the whole period's slices, or for Occurrences the
//! observed events extrapolated to the full period at the observed rate per bucket-second.

use crate::metrics::period::Period;
use crate::model::{BudgetingMethod, Slo, SloSample, SloWindow};
use std::collections::BTreeMap;

/// Budget arithmetic of one SLO over its window so far.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Consumption {
    pub good: f64,
    pub total: f64,
    /// Bad events, bad slices, or summed slice error ratios, depending on the method.
    pub bad_units: f64,
    /// What the bad units are a share of (observed or full-period, see the module docs).
    pub denominator: f64,
    /// The same, observed so far (for the error ratio).
    pub observed: f64,
}

impl Consumption {
    pub fn error_ratio(&self) -> Option<f64> {
        (self.observed > 0.0).then(|| self.bad_units / self.observed)
    }

    pub fn budget_consumed(&self, target: f64) -> Option<f64> {
        (self.denominator > 0.0).then(|| self.bad_units / ((1.0 - target) * self.denominator))
    }

    pub fn budget_remaining(&self, target: f64) -> Option<f64> {
        self.budget_consumed(target).map(|c| 1.0 - c)
    }
}

/// Slice length for time-based methods: the SLO's timeslice, else the samples' own buckets.
pub fn slice_seconds(slo: &Slo, samples: &[SloSample]) -> i64 {
    slo.timeslice_seconds
        .filter(|s| *s > 0)
        .or_else(|| samples.first().map(|s| s.bucket_seconds))
        .unwrap_or(60)
}

/// Per-slice (good, total), keyed by slice index from `window.start`.
pub fn slices(samples: &[SloSample], window: Period, slice: i64) -> BTreeMap<i64, (f64, f64)> {
    let mut out: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
    for s in samples {
        let k = (s.bucket_start - window.start)
            .num_seconds()
            .div_euclid(slice);
        let e = out.entry(k).or_default();
        e.0 += s.good;
        e.1 += s.total;
    }
    out
}

/// Bad units of one slice under a time-based method (`None` for a slice without events).
pub fn slice_bad(
    method: BudgetingMethod,
    timeslice_target: f64,
    good: f64,
    total: f64,
) -> Option<f64> {
    if total <= 0.0 {
        return None;
    }
    let ratio = (good / total).clamp(0.0, 1.0);
    Some(match method {
        BudgetingMethod::Timeslices => f64::from(u8::from(ratio < timeslice_target)),
        _ => 1.0 - ratio,
    })
}

/// Budget consumption of `samples` (already restricted to `window` up to now).
pub fn consumption(slo: &Slo, samples: &[SloSample], window: Period) -> Consumption {
    let good: f64 = samples.iter().map(|s| s.good).sum();
    let total: f64 = samples.iter().map(|s| s.total).sum();
    let calendar = matches!(slo.window, SloWindow::Calendar { .. });
    match slo.budgeting_method {
        BudgetingMethod::Occurrences => {
            let bad = (total - good).max(0.0);
            let covered: i64 = samples.iter().map(|s| s.bucket_seconds).sum();
            let denominator = if calendar && covered > 0 {
                total * window.seconds() as f64 / covered as f64
            } else {
                total
            };
            Consumption {
                good,
                total,
                bad_units: bad,
                denominator,
                observed: total,
            }
        }
        method => {
            let slice = slice_seconds(slo, samples);
            let target = slo.timeslice_target.unwrap_or(slo.target);
            let per_slice: Vec<f64> = slices(samples, window, slice)
                .values()
                .filter_map(|(g, t)| slice_bad(method, target, *g, *t))
                .collect();
            let observed = per_slice.len() as f64;
            let denominator = if calendar {
                (window.seconds() as f64 / slice as f64).ceil()
            } else {
                observed
            };
            Consumption {
                good,
                total,
                bad_units: per_slice.iter().sum(),
                denominator,
                observed,
            }
        }
    }
}
