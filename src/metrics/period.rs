//! Time periods, and days, weeks and calendar periods counted in a team's time zone.
//!
//! Everything is stored in UTC; a deployment's *day* and *week* depend on where the team is.
//! Weeks start on Monday (ISO 8601).

use crate::model::{CalendarPeriod, Timestamp};
use chrono::{Datelike, Duration, NaiveDate, TimeZone};
use chrono_tz::Tz;
use serde::Serialize;

/// A half-open time range `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl Period {
    pub fn new(start: Timestamp, end: Timestamp) -> Self {
        Period { start, end }
    }

    pub fn contains(&self, t: Timestamp) -> bool {
        t >= self.start && t < self.end
    }

    pub fn seconds(&self) -> i64 {
        (self.end - self.start).num_seconds().max(0)
    }

    /// Length in weeks (fractional), the denominator of per-week rates.
    pub fn weeks(&self) -> f64 {
        self.seconds() as f64 / (7.0 * 86_400.0)
    }
}

/// The calendar date of `t` in `tz`.
pub fn local_date(t: Timestamp, tz: Tz) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

/// The Monday on or before `date`.
pub fn week_start(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// The instant local midnight starts `date` in `tz`. Where a DST change skips midnight
/// (some zones switch at 00:00), the day starts at the first local time that exists.
pub fn start_of_day(date: NaiveDate, tz: Tz) -> Timestamp {
    let mut local = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..4 {
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.to_utc();
        }
        local += Duration::minutes(30);
    }
    // No zone skips two hours at midnight; fall back to reading the date as UTC.
    date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// One week of a series: Monday `start` in the team's zone, and its UTC bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Week {
    pub start: NaiveDate,
    #[serde(skip)]
    pub period: Period,
}

/// The weeks (Monday to Monday in `tz`) that overlap `period`, in order. The first and last
/// weeks may extend beyond the period; series values only count rows inside the period.
pub fn weeks_in(period: Period, tz: Tz) -> Vec<Week> {
    let mut out = Vec::new();
    if period.end <= period.start {
        return out;
    }
    let mut monday = week_start(local_date(period.start, tz));
    loop {
        let start = start_of_day(monday, tz);
        if start >= period.end {
            break;
        }
        let next = monday + Duration::days(7);
        out.push(Week {
            start: monday,
            period: Period::new(start, start_of_day(next, tz)),
        });
        monday = next;
    }
    out
}

/// Index of the week containing `t` in a list produced by [`weeks_in`] (binary search).
pub fn week_index(weeks: &[Week], t: Timestamp) -> Option<usize> {
    let i = weeks.partition_point(|w| w.period.end <= t);
    (i < weeks.len() && weeks[i].period.contains(t)).then_some(i)
}

/// The calendar period (week, month or quarter, in `tz`) that contains `t`.
pub fn calendar_period_containing(t: Timestamp, period: CalendarPeriod, tz: Tz) -> Period {
    let date = local_date(t, tz);
    let (first, next) = match period {
        CalendarPeriod::Week => {
            let monday = week_start(date);
            (monday, monday + Duration::days(7))
        }
        CalendarPeriod::Month => {
            let first = date.with_day(1).unwrap_or(date);
            (first, add_months(first, 1))
        }
        CalendarPeriod::Quarter => {
            let month0 = (date.month0() / 3) * 3;
            let first = NaiveDate::from_ymd_opt(date.year(), month0 + 1, 1).unwrap_or(date);
            (first, add_months(first, 3))
        }
    };
    Period::new(start_of_day(first, tz), start_of_day(next, tz))
}

fn add_months(first_of_month: NaiveDate, months: u32) -> NaiveDate {
    first_of_month
        .checked_add_months(chrono::Months::new(months))
        .unwrap_or(first_of_month)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn at(y: i32, m: u32, d: u32, h: u32) -> Timestamp {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .expect("valid")
    }

    #[test]
    fn week_boundary_follows_the_team_time_zone() {
        // Sunday 2024-03-10 23:30 in Los Angeles is Monday 06:30 UTC: UTC puts it in the week of
        // Monday 11 March, the team's zone in the week of Monday 4 March.
        let t = at(2024, 3, 11, 6) + Duration::minutes(30);
        let la: Tz = "America/Los_Angeles".parse().expect("tz");
        assert_eq!(
            week_start(local_date(t, Tz::UTC)),
            NaiveDate::from_ymd_opt(2024, 3, 11).expect("d")
        );
        assert_eq!(
            week_start(local_date(t, la)),
            NaiveDate::from_ymd_opt(2024, 3, 4).expect("d")
        );
    }

    #[test]
    fn weeks_cover_the_period_and_index_by_binary_search() {
        let p = Period::new(at(2024, 1, 3, 0), at(2024, 1, 20, 0));
        let weeks = weeks_in(p, Tz::UTC);
        // Mondays 1, 8 and 15 January 2024.
        assert_eq!(weeks.len(), 3);
        assert_eq!(week_index(&weeks, at(2024, 1, 9, 12)), Some(1));
        assert_eq!(week_index(&weeks, at(2025, 1, 9, 12)), None);
    }

    #[test]
    fn calendar_months_have_their_own_lengths() {
        let feb = calendar_period_containing(at(2024, 2, 10, 0), CalendarPeriod::Month, Tz::UTC);
        assert_eq!(feb.seconds(), 29 * 86_400); // 2024 is a leap year
        let apr = calendar_period_containing(at(2023, 4, 30, 23), CalendarPeriod::Month, Tz::UTC);
        assert_eq!(apr.seconds(), 30 * 86_400);
        let q = calendar_period_containing(at(2023, 5, 1, 0), CalendarPeriod::Quarter, Tz::UTC);
        assert_eq!(q.seconds(), 91 * 86_400); // April 30 + May 31 + June 30
    }

    #[test]
    fn dst_week_is_shorter_in_local_time() {
        // Europe/Berlin springs forward on 2024-03-31, so that week lasts 167 hours.
        let berlin: Tz = "Europe/Berlin".parse().expect("tz");
        let w = calendar_period_containing(at(2024, 3, 27, 12), CalendarPeriod::Week, berlin);
        assert_eq!(w.seconds(), 167 * 3600);
    }
}
