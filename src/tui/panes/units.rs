//! How numbers read in the panes: durations, percentages, dates, bands as health.

use crate::metrics::dora::Band;
use crate::model::Timestamp;
use crate::tui::theme::Health;

/// A duration in the largest unit that keeps it readable: `42s`, `17m`, `5.5h`, `3.0d`. Each
/// unit is chosen after rounding, so 59.6 s reads `1m`, not `60s`.
pub fn fmt_secs(s: Option<f64>) -> String {
    let Some(s) = s else { return "–".into() };
    if s.round() < 60.0 {
        return format!("{:.0}s", s.max(0.0));
    }
    if (s / 60.0).round() < 60.0 {
        return format!("{:.0}m", s / 60.0);
    }
    if s < 86_400.0 * 2.0 {
        return format!("{:.1}h", s / 3600.0);
    }
    format!("{:.1}d", s / 86_400.0)
}

/// A ratio as a percentage, as `plumb report` prints it ([`crate::report::human_pct`]).
pub fn fmt_pct(r: Option<f64>) -> String {
    crate::report::human_pct(r)
}

/// A ratio as a whole percentage for a bar chart, under the same rule as [`fmt_pct`]: 99.6 %
/// is a 99 bar, not a full 100, and 0.3 % is a 1 bar, not an empty one.
pub fn pct_bar(r: Option<f64>) -> u64 {
    let Some(r) = r else { return 0 };
    let pct = (r * 100.0).round().max(0.0) as u64;
    match pct {
        100 if r < 1.0 => 99,
        0 if r > 0.0 => 1,
        p => p,
    }
}

/// The unit a chart of durations reads best in, from its largest value: minutes under three
/// hours (short lead times would all sit at 0 h), hours under three days, days beyond.
/// Returns the seconds per unit and the unit's label.
pub fn chart_unit(peak_seconds: f64) -> (f64, &'static str) {
    if peak_seconds < 3.0 * 3600.0 {
        (60.0, "min")
    } else if peak_seconds < 3.0 * 86_400.0 {
        (3600.0, "h")
    } else {
        (86_400.0, "d")
    }
}

pub fn fmt_rate(r: Option<f64>) -> String {
    r.map_or("–".into(), |r| format!("{r:.1}"))
}

/// `2026-10-31 14:05` in UTC (the store's zone; the header says so).
pub fn fmt_time(t: Option<Timestamp>) -> String {
    t.map_or("–".into(), |t| t.format("%Y-%m-%d %H:%M").to_string())
}

pub fn fmt_day(t: Option<Timestamp>) -> String {
    t.map_or("–".into(), |t| t.format("%Y-%m-%d").to_string())
}

pub fn band_health(b: Option<Band>) -> Health {
    match b {
        Some(Band::Elite) | Some(Band::High) => Health::Ok,
        Some(Band::Medium) => Health::Warn,
        Some(Band::Low) => Health::Breach,
        None => Health::Unknown,
    }
}

/// Cuts `s` to `width` characters, marking the cut with an ellipsis.
pub fn truncate(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_pick_a_readable_unit() {
        assert_eq!(fmt_secs(Some(0.0)), "0s");
        assert_eq!(fmt_secs(Some(42.4)), "42s");
        assert_eq!(
            fmt_secs(Some(59.6)),
            "1m",
            "rounding to 60 s moves up a unit"
        );
        assert_eq!(fmt_secs(Some(90.0)), "2m");
        assert_eq!(fmt_secs(Some(3590.0)), "1.0h", "not 60m");
        assert_eq!(fmt_secs(Some(7200.0)), "2.0h");
        assert_eq!(fmt_secs(Some(86_400.0 * 3.0)), "3.0d");
        assert_eq!(fmt_secs(None), "–");
        assert_eq!(fmt_secs(Some(86_400.0 * 2.0 - 1.0)), "48.0h");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }

    #[test]
    fn percentages_never_round_to_a_bound_they_have_not_reached() {
        assert_eq!(fmt_pct(Some(0.9996)), "99.9%");
        assert_eq!(fmt_pct(Some(0.99949)), "99.9%");
        assert_eq!(fmt_pct(Some(1.0)), "100.0%");
        assert_eq!(fmt_pct(Some(0.931)), "93.1%");
        assert_eq!(fmt_pct(Some(0.0004)), "<0.1%");
        assert_eq!(fmt_pct(Some(0.0)), "0.0%");
        assert_eq!(
            fmt_pct(Some(1.549)),
            "154.9%",
            "progress past a target stays as is"
        );
        assert_eq!(fmt_pct(Some(-0.395)), "-39.5%");
        assert_eq!(fmt_pct(None), "–");
    }

    #[test]
    fn bars_never_round_to_a_bound_either() {
        assert_eq!(pct_bar(Some(0.996)), 99);
        assert_eq!(pct_bar(Some(1.0)), 100);
        assert_eq!(pct_bar(Some(0.003)), 1);
        assert_eq!(pct_bar(Some(0.0)), 0);
        assert_eq!(pct_bar(Some(0.934)), 93);
        assert_eq!(pct_bar(None), 0);
    }

    #[test]
    fn charts_of_short_durations_use_minutes() {
        assert_eq!(chart_unit(40.0 * 60.0), (60.0, "min"));
        assert_eq!(chart_unit(5.0 * 3600.0), (3600.0, "h"));
        assert_eq!(chart_unit(10.0 * 86_400.0), (86_400.0, "d"));
    }
}
