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
/// UTC), or a span back from `now` such as `90d`, `12h` or `6w`. Spans count from `now`
/// truncated to the second, so that what messages print is what the user can type.
pub fn parse_when(value: &str, now: Timestamp) -> Result<Timestamp, String> {
    let v = value.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return Ok(d.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    if looks_like_a_date(v) {
        return Err(format!(
            "{value:?} is not a valid date; write a real calendar date as YYYY-MM-DD \
             (2026-01-31) or an RFC 3339 date-time (2026-01-31T09:00:00Z)"
        ));
    }
    let now = chrono::SubsecRound::trunc_subsecs(now, 0);
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: i64 = num.parse().map_err(|_| {
        format!("{value:?} is neither an RFC 3339 date (2026-01-31) nor a span such as 90d")
    })?;
    let span = match unit {
        "m" => chrono::Duration::try_minutes(n),
        "h" => chrono::Duration::try_hours(n),
        "d" => chrono::Duration::try_days(n),
        "w" => chrono::Duration::try_weeks(n),
        _ => {
            return Err(format!(
                "{value:?}: unknown unit {unit:?}; use m, h, d or w (e.g. 90d)"
            ));
        }
    };
    // Nothing plumb stores predates the Unix epoch: a span reaching further is a typo.
    span.and_then(|span| now.checked_sub_signed(span))
        .filter(|t| t.timestamp() >= 0)
        .ok_or_else(|| format!("{value:?} reaches back before 1970; use a shorter span or a date"))
}

/// `2026-13-01`, `2026-02-30T10:00:00Z`: a year and a dash start it, so a span it is not.
fn looks_like_a_date(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() >= 5 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-'
}

/// Parses `--since` and `--until` together and refuses a range that is empty: `since` must
/// come before `until`, or before `now` when `until` is not given (a range that starts in the
/// future holds nothing yet). Timestamps in messages are to the second.
pub fn parse_range(
    since: Option<&str>,
    until: Option<&str>,
    now: Timestamp,
) -> Result<(Option<Timestamp>, Option<Timestamp>), String> {
    let since = since
        .map(|s| parse_when(s, now).map_err(|e| format!("--since: {e}")))
        .transpose()?;
    let until = until
        .map(|u| parse_when(u, now).map_err(|e| format!("--until: {e}")))
        .transpose()?;
    let shown = |t: Timestamp| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    match (since, until) {
        (Some(s), Some(u)) if s >= u => Err(format!(
            "--since ({}) must be before --until ({}); the range is empty. Spans such as 30d \
             count back from now, so the larger span goes in --since",
            shown(s),
            shown(u)
        )),
        (Some(s), None) if s > now => Err(format!(
            "--since ({}) is in the future (now is {}); give a past date or a span such as 30d",
            shown(s),
            shown(chrono::SubsecRound::trunc_subsecs(now, 0))
        )),
        range => Ok(range),
    }
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

    #[test]
    fn impossible_dates_are_called_invalid_dates() {
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 11, 28, 12, 0, 0)
            .unwrap();
        for bad in [
            "2026-13-01",
            "2026-02-30",
            "2026-02-30T10:00:00Z",
            "2026-1-1x",
        ] {
            let e = parse_when(bad, now).unwrap_err();
            assert!(e.contains("not a valid date"), "{bad}: {e}");
            assert!(!e.contains("unknown unit"), "{bad}: {e}");
        }
    }

    #[test]
    fn spans_count_from_now_to_the_second() {
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 11, 28, 12, 0, 0)
            .unwrap()
            + chrono::Duration::nanoseconds(123_456_789);
        let t = parse_when("30d", now).unwrap();
        assert_eq!(t.timestamp_subsec_nanos(), 0);
        assert_eq!(
            t,
            chrono::Utc
                .with_ymd_and_hms(2026, 10, 29, 12, 0, 0)
                .unwrap()
        );
    }

    #[test]
    fn ranges_must_not_be_empty_or_start_in_the_future() {
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 11, 28, 12, 0, 0)
            .unwrap()
            + chrono::Duration::nanoseconds(5);
        let e = parse_range(Some("30d"), Some("60d"), now).unwrap_err();
        assert!(e.contains("--since (2026-10-29 12:00:00 UTC)"), "{e}");
        assert!(e.contains("--until (2026-09-29 12:00:00 UTC)"), "{e}");
        let e = parse_range(Some("2027-01-01"), None, now).unwrap_err();
        assert!(e.contains("in the future"), "{e}");
        assert!(e.contains("now is 2026-11-28 12:00:00 UTC"), "{e}");
        assert!(
            parse_range(Some("2026-13-01"), None, now)
                .unwrap_err()
                .starts_with("--since: ")
        );
        let (s, u) = parse_range(Some("60d"), Some("30d"), now).unwrap();
        assert!(s < u);
        assert_eq!(parse_range(None, None, now), Ok((None, None)));
        // A range that ends in the future is fine: it covers up to now.
        assert!(parse_range(Some("2026-11-01"), Some("2027-01-01"), now).is_ok());
    }
}
