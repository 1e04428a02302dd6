use super::Timestamp;
use serde::Serialize;

/// What every metric and list can be narrowed by. The filter is echoed back in reports so a
/// reader always knows which rows a number covers. `since` is inclusive, `until` exclusive.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Filter {
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub team: Option<String>,
    pub service: Option<String>,
    pub environment: Option<String>,
}

impl Filter {
    /// True when `t` falls in `[since, until)`.
    pub fn contains(&self, t: Timestamp) -> bool {
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u)
    }
}

/// Parses a `--since`/`--until` value: an RFC 3339 date-time, a date (`2026-01-31`, midnight
/// UTC), or a span back from `now` such as `90d`, `12h` or `6w`.
pub fn parse_when(value: &str, now: Timestamp) -> Result<Timestamp, String> {
    let v = value.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return Ok(d.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: i64 = num.parse().map_err(|_| {
        format!("{value:?} is neither an RFC 3339 date (2026-01-31) nor a span such as 90d")
    })?;
    let span = match unit {
        "m" => chrono::Duration::minutes(n),
        "h" => chrono::Duration::hours(n),
        "d" => chrono::Duration::days(n),
        "w" => chrono::Duration::weeks(n),
        _ => {
            return Err(format!(
                "{value:?}: unknown unit {unit:?}; use m, h, d or w (e.g. 90d)"
            ));
        }
    };
    Ok(now - span)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn parses_dates_datetimes_and_spans() {
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 11, 28, 12, 0, 0)
            .unwrap();
        assert_eq!(
            parse_when("2026-01-31", now).unwrap(),
            chrono::Utc.with_ymd_and_hms(2026, 1, 31, 0, 0, 0).unwrap()
        );
        assert_eq!(
            parse_when("2026-01-31T10:00:00+02:00", now).unwrap(),
            chrono::Utc.with_ymd_and_hms(2026, 1, 31, 8, 0, 0).unwrap()
        );
        assert_eq!(
            parse_when("90d", now).unwrap(),
            now - chrono::Duration::days(90)
        );
        assert!(parse_when("90x", now).unwrap_err().contains("unknown unit"));
        assert!(parse_when("soon", now).is_err());
    }
}
