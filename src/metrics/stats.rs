//! Order statistics used by every metric family.
//!
//! Percentiles use linear interpolation between closest ranks (Hyndman and Fan type 7, the
//! default of NumPy, R and spreadsheet `PERCENTILE.INC`), so the median of an even count is
//! the mean of the two middle values. Means are never used where a median belongs.

use serde::Serialize;

/// The `q`-quantile (0 ≤ q ≤ 1) of `sorted` (ascending), interpolating linearly between the
/// two closest ranks. `None` for an empty slice or a `q` outside `[0, 1]`.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let rank = q * (sorted.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    let frac = rank - lo as f64;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * frac)
}

/// The `q`-quantile of unsorted values (NaN values are ignored).
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    v.sort_by(f64::total_cmp);
    quantile_sorted(&v, q)
}

/// The median, interpolating between the two middle values of an even count.
pub fn median(values: &[f64]) -> Option<f64> {
    quantile(values, 0.5)
}

/// Summary of a set of time spans in seconds. Negative spans (clock skew between tools, or a
/// timestamp recorded out of order) are excluded from the statistics and counted, so a reader
/// can see how many rows were left out and why. A zero span is a real value and is kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DurationSummary {
    /// Spans that entered the statistics.
    pub count: usize,
    pub median_seconds: Option<f64>,
    pub p75_seconds: Option<f64>,
    pub p90_seconds: Option<f64>,
    /// Spans left out because they were negative.
    pub excluded_negative: usize,
}

impl DurationSummary {
    /// Summarises spans given in whole seconds.
    pub fn from_seconds(spans: impl IntoIterator<Item = i64>) -> Self {
        let mut kept = Vec::new();
        let mut excluded_negative = 0;
        for s in spans {
            if s < 0 {
                excluded_negative += 1;
            } else {
                kept.push(s as f64);
            }
        }
        kept.sort_by(f64::total_cmp);
        DurationSummary {
            count: kept.len(),
            median_seconds: quantile_sorted(&kept, 0.5),
            p75_seconds: quantile_sorted(&kept, 0.75),
            p90_seconds: quantile_sorted(&kept, 0.9),
            excluded_negative,
        }
    }
}

/// `part / whole` as a fraction, or `None` when `whole` is zero (no data is not a 0 % rate).
pub fn ratio(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_count_is_the_middle_value() {
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
    }

    #[test]
    fn median_of_even_count_interpolates_between_the_two_middle_values() {
        // (2 + 3) / 2 = 2.5
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn empty_input_has_no_statistics() {
        assert_eq!(median(&[]), None);
        assert_eq!(DurationSummary::from_seconds([]).median_seconds, None);
        assert_eq!(ratio(0, 0), None);
    }

    #[test]
    fn p90_matches_numpy_linear_interpolation() {
        // numpy.percentile([1..10], 90) = 9.1: rank 0.9 * 9 = 8.1 → 9 + 0.1 * (10 - 9).
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        let p90 = quantile(&v, 0.9).expect("p90");
        assert!((p90 - 9.1).abs() < 1e-9);
        // numpy.percentile([1..10], 75) = 7.75
        assert!((quantile(&v, 0.75).expect("p75") - 7.75).abs() < 1e-9);
    }

    #[test]
    fn negative_spans_are_excluded_and_counted_zero_spans_kept() {
        let s = DurationSummary::from_seconds([-5, 0, 10, 20]);
        assert_eq!(s.count, 3);
        assert_eq!(s.excluded_negative, 1);
        assert_eq!(s.median_seconds, Some(10.0));
    }

    #[test]
    fn quantile_outside_unit_interval_is_none() {
        assert_eq!(quantile(&[1.0], 1.5), None);
    }
}
