//! How numbers read in the panes: durations, percentages, dates, bands as health.

use crate::metrics::dora::Band;
use crate::model::Timestamp;
use crate::tui::theme::Health;

pub fn fmt_secs(s: Option<f64>) -> String {
    match s {
        None => "–".into(),
        Some(s) if s < 3600.0 => format!("{:.0}m", s / 60.0),
        Some(s) if s < 86_400.0 * 2.0 => format!("{:.1}h", s / 3600.0),
        Some(s) => format!("{:.1}d", s / 86_400.0),
    }
}

pub use crate::report::human_pct as fmt_pct;

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
        assert_eq!(fmt_secs(Some(90.0)), "2m");
        assert_eq!(fmt_secs(Some(7200.0)), "2.0h");
        assert_eq!(fmt_secs(Some(86_400.0 * 3.0)), "3.0d");
        assert_eq!(fmt_secs(None), "–");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}
