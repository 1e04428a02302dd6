//! Config → metric parameters. The one place where configured values become the parameters of
//! metric definitions (and so their versions).

use super::{Config, ReportYear};
use crate::metrics::dora::{BandYear, DoraParams, ProductionMatcher};
use crate::model::Ownership;
use chrono_tz::Tz;

impl Config {
    /// DORA parameters for `team` (its time zone), or for all teams (UTC unless `timezone`).
    pub fn dora_params(&self, ownership: &Ownership, timezone: Tz) -> DoraParams {
        DoraParams {
            incident_window: self.metrics.incident_window.as_chrono(),
            report_year: match self.metrics.report_year {
                ReportYear::Y2021 => BandYear::Y2021,
                ReportYear::Y2023 => BandYear::Y2023,
            },
            timezone,
            production: ProductionMatcher::from_ownership(ownership),
        }
    }
}
