//! Setting types parsed from a single TOML value: patterns, clock times, release windows,
//! severities, time zones, timestamps and SLO windows. Each parse error ends in
//! `; expected ...` so diagnostics can show what would have been accepted.

use crate::model::{BudgetingMethod, CalendarPeriod, Severity, SloWindow, Timestamp};
use chrono::{NaiveTime, Weekday};
use regex::Regex;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// A regular expression kept with the text it was written as.
#[derive(Debug, Clone)]
pub struct Pattern {
    regex: Regex,
}

impl Pattern {
    pub fn new(text: &str) -> Result<Self, regex::Error> {
        Regex::new(text).map(|regex| Self { regex })
    }

    pub fn regex(&self) -> &Regex {
        &self.regex
    }

    pub fn as_str(&self) -> &str {
        self.regex.as_str()
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

/// The last line of a regex error is the reason; the lines above draw the pattern.
pub(crate) fn regex_reason(e: &regex::Error) -> String {
    let text = e.to_string();
    let last = text.lines().last().unwrap_or_default();
    last.trim_start_matches("error: ").to_string()
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Pattern::new(&text).map_err(|e| {
            D::Error::custom(format!(
                "invalid regular expression `{text}`: {}; expected a regex in Rust `regex` \
                 syntax, e.g. \"^prod(-[a-z]+)?$\"",
                regex_reason(&e)
            ))
        })
    }
}

/// Parses `HH:MM` (24-hour clock).
pub fn parse_clock(text: &str) -> Option<NaiveTime> {
    let (h, m) = text.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
}

/// `deserialize_with` for a `HH:MM` clock time.
pub fn clock<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
    let text = String::deserialize(d)?;
    parse_clock(&text).ok_or_else(|| {
        D::Error::custom(format!(
            "invalid time of day `{text}`; expected HH:MM on a 24-hour clock, e.g. \"19:00\""
        ))
    })
}

/// `deserialize_with` for an optional `HH:MM` clock time.
pub fn opt_clock<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveTime>, D::Error> {
    clock(d).map(Some)
}

fn parse_weekday(text: &str) -> Option<Weekday> {
    Weekday::from_str(text.trim()).ok()
}

/// `deserialize_with` for an optional weekday (`sun`, `Monday`, ...).
pub fn opt_weekday<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Weekday>, D::Error> {
    let text = String::deserialize(d)?;
    parse_weekday(&text).map(Some).ok_or_else(|| {
        D::Error::custom(format!(
            "invalid weekday `{text}`; expected one of: mon, tue, wed, thu, fri, sat, sun"
        ))
    })
}

/// When a team may release, e.g. `Mon-Thu 09:00-16:00` in the team's time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseWindow {
    /// Allowed days, Monday first.
    pub days: [bool; 7],
    pub start: NaiveTime,
    pub end: NaiveTime,
}

const RELEASE_WINDOW_SYNTAX: &str = "days and hours such as \"Mon-Thu 09:00-16:00\" or \
     \"Mon,Wed,Fri 10:00-15:00\" (start before end, team time zone)";

impl ReleaseWindow {
    /// Whether a local (team time zone) moment falls inside the window.
    pub fn allows(&self, weekday: Weekday, time: NaiveTime) -> bool {
        self.days[weekday.num_days_from_monday() as usize] && time >= self.start && time < self.end
    }
}

impl FromStr for ReleaseWindow {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (days_text, hours_text) = text
            .trim()
            .split_once(char::is_whitespace)
            .ok_or_else(|| format!("`{text}` needs days and hours separated by a space"))?;
        let mut days = [false; 7];
        for part in days_text.split(',') {
            let (first, last) = part.split_once('-').unwrap_or((part, part));
            let first = parse_weekday(first).ok_or_else(|| format!("unknown day `{first}`"))?;
            let last = parse_weekday(last).ok_or_else(|| format!("unknown day `{last}`"))?;
            let mut day = first;
            loop {
                days[day.num_days_from_monday() as usize] = true;
                if day == last {
                    break;
                }
                day = day.succ();
            }
        }
        let (start, end) = hours_text
            .trim()
            .split_once('-')
            .ok_or_else(|| format!("`{hours_text}` is not a range of hours"))?;
        let start = parse_clock(start).ok_or_else(|| format!("invalid time `{start}`"))?;
        let end = parse_clock(end).ok_or_else(|| format!("invalid time `{end}`"))?;
        if start >= end {
            return Err(format!(
                "start {} is not before end {}",
                start.format("%H:%M"),
                end.format("%H:%M")
            ));
        }
        Ok(Self { days, start, end })
    }
}

impl<'de> Deserialize<'de> for ReleaseWindow {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(|reason: String| {
            D::Error::custom(format!(
                "invalid release window `{text}`: {reason}; expected {RELEASE_WINDOW_SYNTAX}"
            ))
        })
    }
}

/// `deserialize_with` for an IANA time zone name, checked against the tz database.
pub fn opt_timezone<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    match text.parse::<chrono_tz::Tz>() {
        Ok(_) => Ok(Some(text)),
        Err(_) => Err(D::Error::custom(format!(
            "unknown time zone `{text}`; expected an IANA name such as \"Europe/Berlin\", \
             \"America/New_York\" or \"UTC\""
        ))),
    }
}

/// Severity keys and values in config are written `SEV1`..`SEV5` (any case).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct SeverityText(Severity);

impl<'de> Deserialize<'de> for SeverityText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Severity::parse(&text).map(SeverityText).ok_or_else(|| {
            D::Error::custom(format!(
                "unknown severity `{text}`; expected one of: SEV1, SEV2, SEV3, SEV4, SEV5"
            ))
        })
    }
}

/// `deserialize_with` for a table keyed by severity (`SEV1 = ...`).
pub fn severity_keyed<'de, D, V>(d: D) -> Result<BTreeMap<Severity, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    let raw = BTreeMap::<SeverityText, V>::deserialize(d)?;
    Ok(raw.into_iter().map(|(k, v)| (k.0, v)).collect())
}

/// A source's own severity values mapped to SEV1..SEV5 (`"P1" = "SEV1"`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeverityMap(pub BTreeMap<String, Severity>);

impl<'de> Deserialize<'de> for SeverityMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = BTreeMap::<String, SeverityText>::deserialize(d)?;
        Ok(Self(raw.into_iter().map(|(k, v)| (k, v.0)).collect()))
    }
}

/// A moment written as an RFC 3339 string or a TOML offset date-time.
fn timestamp_from_toml<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    let text = match toml::Value::deserialize(d)? {
        toml::Value::String(s) => s,
        toml::Value::Datetime(dt) => dt.to_string(),
        other => {
            return Err(D::Error::custom(format!(
                "found {} instead of a timestamp; expected an RFC 3339 timestamp such as \
                 \"2025-11-28T00:00:00Z\"",
                other.type_str()
            )));
        }
    };
    chrono::DateTime::parse_from_rfc3339(&text)
        .map(|t| t.to_utc())
        .map_err(|e| {
            D::Error::custom(format!(
                "invalid timestamp `{text}`: {e}; expected an RFC 3339 timestamp with an offset \
                 such as \"2025-11-28T00:00:00Z\""
            ))
        })
}

/// `deserialize_with` for an optional RFC 3339 timestamp.
pub fn opt_timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    timestamp_from_toml(d).map(Some)
}

/// `deserialize_with` for a required RFC 3339 timestamp.
pub fn timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    timestamp_from_toml(d)
}

/// `deserialize_with` for an SLO window: `7d`, `28d`, `30d`, `90d` rolling, or a calendar
/// `week`, `month` or `quarter`.
pub fn slo_window<'de, D: Deserializer<'de>>(d: D) -> Result<SloWindow, D::Error> {
    let text = String::deserialize(d)?;
    let window = match text.as_str() {
        "7d" => SloWindow::Rolling { days: 7 },
        "28d" => SloWindow::Rolling { days: 28 },
        "30d" => SloWindow::Rolling { days: 30 },
        "90d" => SloWindow::Rolling { days: 90 },
        other => match CalendarPeriod::parse(other) {
            Some(period) => SloWindow::Calendar { period },
            None => {
                return Err(D::Error::custom(format!(
                    "unknown SLO window `{text}`; expected one of: 7d, 28d, 30d, 90d \
                     (rolling) or week, month, quarter (calendar)"
                )));
            }
        },
    };
    Ok(window)
}

/// `deserialize_with` for an SLO budgeting method.
pub fn budgeting_method<'de, D: Deserializer<'de>>(d: D) -> Result<BudgetingMethod, D::Error> {
    let text = String::deserialize(d)?;
    BudgetingMethod::parse(&text).ok_or_else(|| {
        D::Error::custom(format!(
            "unknown budgeting method `{text}`; expected one of: occurrences, timeslices, \
             ratio_timeslices"
        ))
    })
}

/// Which DORA report's performance bands to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportYear {
    Y2021,
    #[default]
    Y2023,
}

impl ReportYear {
    pub fn year(self) -> u16 {
        match self {
            ReportYear::Y2021 => 2021,
            ReportYear::Y2023 => 2023,
        }
    }
}

impl fmt::Display for ReportYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.year())
    }
}

impl<'de> Deserialize<'de> for ReportYear {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match i64::deserialize(d)? {
            2021 => Ok(ReportYear::Y2021),
            2023 => Ok(ReportYear::Y2023),
            other => Err(D::Error::custom(format!(
                "unsupported DORA report year {other}; expected 2021 or 2023"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_window_parses_ranges_and_lists() {
        let w: ReleaseWindow = "Mon-Thu 09:00-16:00".parse().expect("valid");
        assert_eq!(w.days, [true, true, true, true, false, false, false]);
        let nine = NaiveTime::from_hms_opt(9, 0, 0).expect("time");
        let four = NaiveTime::from_hms_opt(16, 0, 0).expect("time");
        assert!(w.allows(Weekday::Tue, nine));
        assert!(!w.allows(Weekday::Tue, four));
        assert!(!w.allows(Weekday::Fri, nine));
        let w: ReleaseWindow = "Fri-Mon,wed 10:00-11:30".parse().expect("valid");
        assert_eq!(w.days, [true, false, true, false, true, true, true]);
    }

    #[test]
    fn release_window_rejects_bad_text() {
        for bad in [
            "Mon-Thu",
            "Mon-Thu 9-16",
            "Mon-Thu 16:00-09:00",
            "Mon-Thx 09:00-16:00",
            "Mon-Thu 09:00-24:30",
        ] {
            assert!(bad.parse::<ReleaseWindow>().is_err(), "{bad}");
        }
    }

    #[test]
    fn clock_requires_two_digit_hours_and_minutes() {
        assert_eq!(parse_clock("19:00"), NaiveTime::from_hms_opt(19, 0, 0));
        assert_eq!(parse_clock("7:00"), None);
        assert_eq!(parse_clock("25:00"), None);
    }
}
