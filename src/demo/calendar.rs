//! Working time in a team's time zone: working hours, quiet weekends, public holidays, the
//! Christmas / new-year freeze and the summer dip.

use super::Ctx;
use super::sampling::{DemoRng, weighted};
use chrono::{Datelike, NaiveDate, TimeZone, Weekday};
use chrono_tz::Tz;
use rand::RngExt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DayKind {
    Work,
    Weekend,
    Holiday,
    /// Working day inside the Christmas / new-year change freeze: only hotfixes ship.
    Freeze,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Day {
    /// Epoch seconds of local midnight.
    pub midnight: i64,
    pub date: NaiveDate,
    pub kind: DayKind,
    /// Share of the team at work (summer holidays lower it).
    pub presence: f64,
}

impl Day {
    pub fn weekday(&self) -> u32 {
        self.date.weekday().num_days_from_monday()
    }

    /// How much regular work happens this day, relative to a normal working day.
    pub fn activity(&self) -> f64 {
        match self.kind {
            DayKind::Work => self.presence,
            DayKind::Freeze => 0.2,
            DayKind::Weekend => 0.03,
            DayKind::Holiday => 0.0,
        }
    }

    pub fn at_hour(&self, hour: f64) -> i64 {
        self.midnight + (hour * 3600.0) as i64
    }
}

/// Relative commit activity per local hour from 08:00 to 19:00, with a lunch dip.
const HOUR_WEIGHTS: [f64; 11] = [0.3, 0.8, 1.0, 1.0, 0.5, 0.8, 1.0, 1.0, 0.8, 0.5, 0.2];

pub(crate) struct TeamCalendar {
    pub days: Vec<Day>,
}

impl TeamCalendar {
    /// The local days from the start of history up to the anchor.
    pub fn new(tz: Tz, ctx: &Ctx) -> Self {
        let first = chrono::DateTime::from_timestamp(ctx.start, 0)
            .map(|d| d.date_naive())
            .unwrap_or_default();
        let n = (ctx.now - ctx.start).div_euclid(86_400) + 1;
        let mut days = Vec::with_capacity(n as usize);
        for date in first.iter_days().take(n as usize) {
            let midnight = local_midnight(tz, date);
            if midnight >= ctx.now {
                break;
            }
            days.push(Day {
                midnight,
                date,
                kind: kind_of(date),
                presence: presence(date),
            });
        }
        TeamCalendar { days }
    }

    /// A moment inside working hours of `day`.
    pub fn work_time(&self, rng: &mut DemoRng, day: &Day) -> i64 {
        let hour = 8 + weighted(rng, &HOUR_WEIGHTS) as i64;
        day.midnight + hour * 3600 + rng.random_range(0..3600)
    }

    /// The index of the day containing `t` (clamped to the history).
    pub fn day_index(&self, t: i64) -> usize {
        match self.days.binary_search_by(|d| d.midnight.cmp(&t)) {
            Ok(i) => i,
            Err(0) => 0,
            Err(i) => i - 1,
        }
    }

    /// Local hour of day (0..24) of `t`, from the day's midnight.
    pub fn local_hour(&self, t: i64) -> f64 {
        let d = &self.days[self.day_index(t)];
        ((t - d.midnight) as f64 / 3600.0).clamp(0.0, 23.999)
    }

    /// The next moment at or after `t` that is inside working hours (09:00 to 19:00 on a
    /// working day), or `None` past the end of history.
    pub fn next_working(&self, t: i64, open_h: f64, close_h: f64) -> Option<i64> {
        let mut i = self.day_index(t);
        while i < self.days.len() {
            let d = &self.days[i];
            if d.kind == DayKind::Work {
                let open = d.at_hour(open_h);
                let close = d.at_hour(close_h);
                if t < close {
                    return Some(t.max(open));
                }
            }
            i += 1;
        }
        None
    }
}

fn local_midnight(tz: Tz, date: NaiveDate) -> i64 {
    let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    match tz.from_local_datetime(&naive).earliest() {
        Some(dt) => dt.timestamp(),
        // Midnight skipped by a DST change: one hour later exists.
        None => naive.and_utc().timestamp() + 3600,
    }
}

fn kind_of(date: NaiveDate) -> DayKind {
    let (m, d) = (date.month(), date.day());
    let holiday = matches!((m, d), (1, 1) | (5, 1) | (12, 25) | (12, 26));
    if holiday {
        return DayKind::Holiday;
    }
    if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
        return DayKind::Weekend;
    }
    if (m == 12 && d >= 20) || (m == 1 && d <= 3) {
        return DayKind::Freeze;
    }
    DayKind::Work
}

fn presence(date: NaiveDate) -> f64 {
    match (date.month(), date.day()) {
        (7, d) if d >= 15 => 0.7,
        (8, _) => 0.65,
        (12, d) if d >= 15 => 0.8,
        _ => 1.0,
    }
}
