//! Rate-limit headers and request pacing.
//!
//! GitHub sends `x-ratelimit-remaining` and `x-ratelimit-reset` (epoch seconds); the IETF
//! draft that PagerDuty and GitLab follow sends `ratelimit-remaining` and `ratelimit-reset`
//! (seconds from now). `Retry-After` is either seconds or an HTTP date. plumb slows down
//! before the budget runs out: below a threshold, the remaining requests are spread evenly
//! over the time left in the window.

use reqwest::header::HeaderMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// A reset value above this is an epoch time, below it a number of seconds from now.
const EPOCH_THRESHOLD: u64 = 1_000_000_000;

/// What the server said about the rate-limit budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Budget {
    pub remaining: u64,
    /// Time until the window resets.
    pub reset_in: Option<Duration>,
}

fn header_u64(headers: &HeaderMap, names: &[&str]) -> Option<u64> {
    names.iter().find_map(|n| {
        headers
            .get(*n)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(|v| v as u64)
    })
}

pub(super) fn budget(headers: &HeaderMap, now_epoch: u64) -> Option<Budget> {
    let remaining = header_u64(headers, &["x-ratelimit-remaining", "ratelimit-remaining"])?;
    let reset_in = header_u64(headers, &["x-ratelimit-reset", "ratelimit-reset"]).map(|r| {
        if r > EPOCH_THRESHOLD {
            Duration::from_secs(r.saturating_sub(now_epoch))
        } else {
            Duration::from_secs(r)
        }
    });
    Some(Budget {
        remaining,
        reset_in,
    })
}

/// `Retry-After` as a wait: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
pub(super) fn retry_after(
    headers: &HeaderMap,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Duration> {
    let v = headers.get("retry-after")?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    Some(
        (at.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// The earliest moment the next request may start.
#[derive(Debug, Default)]
pub(super) struct Pacer {
    next_allowed: Mutex<Option<Instant>>,
}

impl Pacer {
    /// How long the next request must wait (zero when it may go now).
    pub fn wait(&self) -> Duration {
        let guard = self.next_allowed.lock().unwrap_or_else(|e| e.into_inner());
        guard.map_or(Duration::ZERO, |at| {
            at.saturating_duration_since(Instant::now())
        })
    }

    /// Holds every request until `wait` from now (never shortens an existing hold).
    pub fn hold_for(&self, wait: Duration) {
        let at = Instant::now() + wait;
        let mut guard = self.next_allowed.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none_or(|current| current < at) {
            *guard = Some(at);
        }
    }

    /// Adjusts the pace to a budget: stop until the reset when it is spent, spread the rest
    /// of the window when fewer than `slow_down_below` requests remain.
    pub fn observe(&self, budget: Budget, slow_down_below: u64) {
        let Some(reset_in) = budget.reset_in else {
            return;
        };
        if budget.remaining == 0 {
            self.hold_for(reset_in);
        } else if budget.remaining < slow_down_below {
            let spread = reset_in / u32::try_from(budget.remaining + 1).unwrap_or(u32::MAX);
            self.hold_for(spread);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    #[test]
    fn github_epoch_and_ietf_delta_resets() {
        // Values from GitHub's spec examples: remaining 4999, reset 1590701888.
        let gh = headers(&[
            ("x-ratelimit-remaining", "4999"),
            ("x-ratelimit-reset", "1590701888"),
        ]);
        let b = budget(&gh, 1_590_701_800).expect("budget");
        assert_eq!(b.remaining, 4999);
        assert_eq!(b.reset_in, Some(Duration::from_secs(88)));
        let ietf = headers(&[("ratelimit-remaining", "3"), ("ratelimit-reset", "20")]);
        let b = budget(&ietf, 1_590_701_800).expect("budget");
        assert_eq!(
            (b.remaining, b.reset_in),
            (3, Some(Duration::from_secs(20)))
        );
        assert_eq!(budget(&HeaderMap::new(), 0), None);
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = chrono::DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .expect("date")
            .with_timezone(&chrono::Utc);
        assert_eq!(
            retry_after(&headers(&[("retry-after", "1")]), now),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:30 GMT")]),
                now
            ),
            Some(Duration::from_secs(30))
        );
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[tokio::test]
    async fn pacing_spreads_the_last_requests_and_stops_at_zero() {
        let pacer = Pacer::default();
        pacer.observe(
            Budget {
                remaining: 4000,
                reset_in: Some(Duration::from_secs(60)),
            },
            100,
        );
        assert_eq!(pacer.wait(), Duration::ZERO);
        pacer.observe(
            Budget {
                remaining: 3,
                reset_in: Some(Duration::from_secs(60)),
            },
            100,
        );
        let spread = pacer.wait();
        assert!(
            spread > Duration::from_secs(14) && spread <= Duration::from_secs(15),
            "{spread:?}"
        );
        pacer.observe(
            Budget {
                remaining: 0,
                reset_in: Some(Duration::from_secs(60)),
            },
            100,
        );
        assert!(pacer.wait() > Duration::from_secs(59));
    }
}
