//! Burn rate and multi-window, multi-burn-rate alerts (Google SRE Workbook, "Alerting on
//! SLOs"; Sloth's window catalogs).
//!
//! Burn rate over a window = error ratio in the window / (1 - target): 1 spends exactly the
//! budget over the SLO period. An alert fires when both its long and its short window burn
//! faster than its factor, where factor = budget share × period hours / long-window hours
//! (30 days: 14.4, 6, 3, 1; 28 days: 13.44, 5.6, 2.8, 0.933).

use crate::model::{SloSample, Timestamp};
use chrono::Duration;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertSeverity {
    Ticket,
    Page,
}

/// One alert of a catalog: fires when `budget_share` of the period's budget would be spent in
/// `long` (confirmed over `short`, so the alert resets quickly once the burn stops).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AlertWindow {
    pub severity: AlertSeverity,
    #[serde(serialize_with = "seconds")]
    pub long: Duration,
    #[serde(serialize_with = "seconds")]
    pub short: Duration,
    pub budget_share: f64,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i64(d.num_seconds())
}

impl AlertWindow {
    /// The burn-rate threshold for an SLO period of `period_seconds`.
    pub fn factor(&self, period_seconds: i64) -> f64 {
        self.budget_share * period_seconds as f64 / self.long.num_seconds() as f64
    }
}

/// The Workbook's recommended catalog (Sloth's `google-30d` windows): page on 2 % of the
/// budget in 1 h (5 min) or 5 % in 6 h (30 min); ticket on 10 % in 1 d (2 h) or 10 % in 3 d (6 h).
pub fn default_alert_windows() -> Vec<AlertWindow> {
    let w = |severity, long_min: i64, short_min: i64, budget_share| AlertWindow {
        severity,
        long: Duration::minutes(long_min),
        short: Duration::minutes(short_min),
        budget_share,
    };
    vec![
        w(AlertSeverity::Page, 60, 5, 0.02),
        w(AlertSeverity::Page, 6 * 60, 30, 0.05),
        w(AlertSeverity::Ticket, 24 * 60, 120, 0.10),
        w(AlertSeverity::Ticket, 72 * 60, 360, 0.10),
    ]
}

/// Error ratio of the samples whose bucket starts in `[now - window, now)`; `None` without
/// events. Samples are taken whole, so a window should be a multiple of the bucket size.
pub fn error_ratio(samples: &[SloSample], now: Timestamp, window: Duration) -> Option<f64> {
    let from = now - window;
    let (mut good, mut total) = (0.0, 0.0);
    for s in samples
        .iter()
        .filter(|s| s.bucket_start >= from && s.bucket_start < now)
    {
        good += s.good;
        total += s.total;
    }
    (total > 0.0).then(|| ((total - good) / total).max(0.0))
}

/// Burn rate over `window` ending at `now`; `None` without events.
pub fn burn_rate(
    samples: &[SloSample],
    target: f64,
    now: Timestamp,
    window: Duration,
) -> Option<f64> {
    error_ratio(samples, now, window).map(|r| r / (1.0 - target))
}

/// Seconds until the remaining budget (a fraction of the whole) is spent at `burn_rate`:
/// remaining × period / burn. Zero once exhausted; `None` when nothing burns.
pub fn time_to_exhaustion(remaining: f64, burn_rate: f64, period_seconds: i64) -> Option<f64> {
    if remaining <= 0.0 {
        return Some(0.0);
    }
    (burn_rate > 0.0).then(|| remaining * period_seconds as f64 / burn_rate)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertWindowState {
    pub window: AlertWindow,
    pub factor: f64,
    /// factor × (1 - target): the error ratio both windows must exceed.
    pub error_ratio_threshold: f64,
    pub long_burn_rate: Option<f64>,
    pub short_burn_rate: Option<f64>,
    pub firing: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertState {
    /// The most severe firing alert, `None` when all is quiet.
    pub level: Option<AlertSeverity>,
    pub windows: Vec<AlertWindowState>,
}

pub fn alert_state(
    samples: &[SloSample],
    target: f64,
    period_seconds: i64,
    catalog: &[AlertWindow],
    now: Timestamp,
) -> AlertState {
    let windows: Vec<AlertWindowState> = catalog
        .iter()
        .map(|w| {
            let factor = w.factor(period_seconds);
            let long_burn_rate = burn_rate(samples, target, now, w.long);
            let short_burn_rate = burn_rate(samples, target, now, w.short);
            let above = |b: Option<f64>| b.is_some_and(|b| b > factor);
            AlertWindowState {
                window: *w,
                factor,
                error_ratio_threshold: factor * (1.0 - target),
                long_burn_rate,
                short_burn_rate,
                firing: above(long_burn_rate) && above(short_burn_rate),
            }
        })
        .collect();
    let level = windows
        .iter()
        .filter(|w| w.firing)
        .map(|w| w.window.severity)
        .max();
    AlertState { level, windows }
}
