//! Performance bands by report year.
//!
//! 2023 (the default) follows the DORA 2023 thresholds as Apache DevLake codes them: elite
//! deploys on at least 5 days a week, lead time under a day, change failure rate at most 5 %,
//! recovery under an hour; high: at least one deploy-day a week, under a week, 10 %, under a
//! day; medium: at least one deploy-day a month (30 days), under 30 days, 15 %, under a week;
//! anything else is low.
//!
//! 2021 follows the State of DevOps 2021 table: elite deploys on demand (read as at least one
//! deployment a day, 7 a week), lead time and restore under an hour, change failure rate at
//! most 15 %; high: at least weekly, lead time under a week, 20 %, restore under a day;
//! medium: at least monthly, lead time under six months (182 days), 30 %, restore under a week.

use serde::Serialize;

const HOUR: f64 = 3600.0;
const DAY: f64 = 24.0 * HOUR;
const WEEK: f64 = 7.0 * DAY;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
pub enum BandYear {
    #[serde(rename = "2021")]
    Y2021,
    #[default]
    #[serde(rename = "2023")]
    Y2023,
}

impl BandYear {
    /// Parses `2021` or `2023`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "2021" => Some(Self::Y2021),
            "2023" => Some(Self::Y2023),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Y2021 => "2021",
            Self::Y2023 => "2023",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    Elite,
    High,
    Medium,
    Low,
}

impl Band {
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Elite => "elite",
            Band::High => "high",
            Band::Medium => "medium",
            Band::Low => "low",
        }
    }
}

/// Band for deployment frequency. 2023 uses deploy-days per week, which resists inflation by
/// splitting one batch into many deployments; 2021 uses deployments per week.
pub fn frequency_band(
    year: BandYear,
    deploy_days_per_week: f64,
    deployments_per_week: f64,
) -> Band {
    let (value, elite, high, medium) = match year {
        BandYear::Y2023 => (deploy_days_per_week, 5.0, 1.0, 7.0 / 30.0),
        BandYear::Y2021 => (deployments_per_week, 7.0, 1.0, 7.0 / 30.0),
    };
    if value >= elite {
        Band::Elite
    } else if value >= high {
        Band::High
    } else if value >= medium {
        Band::Medium
    } else {
        Band::Low
    }
}

/// Band for the median lead time for changes.
pub fn lead_time_band(year: BandYear, median_seconds: f64) -> Band {
    let (elite, high, medium) = match year {
        BandYear::Y2023 => (DAY, WEEK, 30.0 * DAY),
        BandYear::Y2021 => (HOUR, WEEK, 182.0 * DAY),
    };
    below(median_seconds, elite, high, medium)
}

/// Band for the change failure rate (a fraction).
pub fn change_failure_band(year: BandYear, rate: f64) -> Band {
    let (elite, high, medium) = match year {
        BandYear::Y2023 => (0.05, 0.10, 0.15),
        BandYear::Y2021 => (0.15, 0.20, 0.30),
    };
    if rate <= elite {
        Band::Elite
    } else if rate <= high {
        Band::High
    } else if rate <= medium {
        Band::Medium
    } else {
        Band::Low
    }
}

/// Band for recovery time and time to restore (median seconds).
pub fn recovery_band(year: BandYear, median_seconds: f64) -> Band {
    // Both report years use under an hour, under a day and under a week.
    let _ = year;
    below(median_seconds, HOUR, DAY, WEEK)
}

fn below(value: f64, elite: f64, high: f64, medium: f64) -> Band {
    if value < elite {
        Band::Elite
    } else if value < high {
        Band::High
    } else if value < medium {
        Band::Medium
    } else {
        Band::Low
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_2023_from_the_brief() {
        assert_eq!(frequency_band(BandYear::Y2023, 5.0, 50.0), Band::Elite);
        assert_eq!(frequency_band(BandYear::Y2023, 4.9, 50.0), Band::High);
        assert_eq!(frequency_band(BandYear::Y2023, 0.25, 0.25), Band::Medium);
        assert_eq!(frequency_band(BandYear::Y2023, 0.1, 0.1), Band::Low);
        assert_eq!(lead_time_band(BandYear::Y2023, DAY - 1.0), Band::Elite);
        assert_eq!(lead_time_band(BandYear::Y2023, DAY), Band::High);
        assert_eq!(lead_time_band(BandYear::Y2023, 29.0 * DAY), Band::Medium);
        assert_eq!(lead_time_band(BandYear::Y2023, 30.0 * DAY), Band::Low);
        assert_eq!(change_failure_band(BandYear::Y2023, 0.05), Band::Elite);
        assert_eq!(change_failure_band(BandYear::Y2023, 0.10), Band::High);
        assert_eq!(change_failure_band(BandYear::Y2023, 0.15), Band::Medium);
        assert_eq!(change_failure_band(BandYear::Y2023, 0.16), Band::Low);
        assert_eq!(recovery_band(BandYear::Y2023, 59.0 * 60.0), Band::Elite);
        assert_eq!(recovery_band(BandYear::Y2023, 2.0 * HOUR), Band::High);
        assert_eq!(recovery_band(BandYear::Y2023, 2.0 * DAY), Band::Medium);
        assert_eq!(recovery_band(BandYear::Y2023, WEEK), Band::Low);
    }

    #[test]
    fn report_year_changes_the_band() {
        // 12 % is medium in 2023 (above 10 %) but elite in 2021 (at most 15 %).
        assert_eq!(change_failure_band(BandYear::Y2023, 0.12), Band::Medium);
        assert_eq!(change_failure_band(BandYear::Y2021, 0.12), Band::Elite);
        // Five hours of lead time: elite in 2023, high in 2021 (elite needs under an hour).
        assert_eq!(lead_time_band(BandYear::Y2023, 5.0 * HOUR), Band::Elite);
        assert_eq!(lead_time_band(BandYear::Y2021, 5.0 * HOUR), Band::High);
        assert_eq!(BandYear::parse("2021"), Some(BandYear::Y2021));
        assert_eq!(BandYear::parse("2019"), None);
    }
}
