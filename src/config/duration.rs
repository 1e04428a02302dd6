//! Human durations in config: `90s`, `5m`, `4h`, `30d`, `2w`, or a sum such as `1h30m`.

use serde::{Deserialize, Deserializer};
use std::fmt;
use std::str::FromStr;

/// A non-negative length of time written as a number and a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HumanDuration {
    seconds: u64,
}

/// Why a duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("empty duration")]
    Empty,
    #[error("`{0}` has no number before its unit")]
    MissingNumber(String),
    #[error("`{0}` has a number without a unit")]
    MissingUnit(String),
    #[error("`{text}` uses unknown unit `{unit}`")]
    UnknownUnit { text: String, unit: String },
    #[error("`{0}` is too large")]
    Overflow(String),
}

impl HumanDuration {
    pub const fn from_secs(seconds: u64) -> Self {
        Self { seconds }
    }

    pub const fn from_days(days: u64) -> Self {
        Self {
            seconds: days * 86_400,
        }
    }

    pub fn as_secs(self) -> u64 {
        self.seconds
    }

    pub fn as_std(self) -> std::time::Duration {
        std::time::Duration::from_secs(self.seconds)
    }

    /// The same length as a chrono delta, for arithmetic on timestamps.
    pub fn as_chrono(self) -> chrono::TimeDelta {
        // Durations above i64::MAX seconds cannot be parsed (see `parse`), so this saturation
        // never triggers for values that came from a config file.
        chrono::TimeDelta::try_seconds(i64::try_from(self.seconds).unwrap_or(i64::MAX))
            .unwrap_or(chrono::TimeDelta::MAX)
    }

    pub fn is_zero(self) -> bool {
        self.seconds == 0
    }
}

impl FromStr for HumanDuration {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(DurationError::Empty);
        }
        let mut total: u64 = 0;
        let mut rest = trimmed;
        while !rest.is_empty() {
            let digits = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if digits == 0 {
                return Err(DurationError::MissingNumber(trimmed.to_string()));
            }
            let number: u64 = rest[..digits]
                .parse()
                .map_err(|_| DurationError::Overflow(trimmed.to_string()))?;
            rest = &rest[digits..];
            let unit_len = rest
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(rest.len());
            let unit = rest[..unit_len].trim();
            rest = &rest[unit_len..];
            let factor = match unit {
                "" => return Err(DurationError::MissingUnit(trimmed.to_string())),
                "s" => 1,
                "m" => 60,
                "h" => 3_600,
                "d" => 86_400,
                "w" => 604_800,
                other => {
                    return Err(DurationError::UnknownUnit {
                        text: trimmed.to_string(),
                        unit: other.to_string(),
                    });
                }
            };
            total = number
                .checked_mul(factor)
                .and_then(|s| total.checked_add(s))
                .filter(|s| i64::try_from(*s).is_ok())
                .ok_or_else(|| DurationError::Overflow(trimmed.to_string()))?;
        }
        Ok(Self { seconds: total })
    }
}

impl fmt::Display for HumanDuration {
    /// Prints the largest unit that divides the value exactly, so `"30d"` round-trips.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.seconds;
        for (unit, size) in [("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)] {
            if s != 0 && s % size == 0 {
                return write!(f, "{}{unit}", s / size);
            }
        }
        write!(f, "{s}s")
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(|e: DurationError| {
            serde::de::Error::custom(format!(
                "invalid duration: {e}; expected a number and a unit such as \"90s\", \"5m\", \
                 \"4h\", \"30d\" or \"2w\""
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_unit_and_sums() {
        let cases = [
            ("90s", 90),
            ("5m", 300),
            ("4h", 14_400),
            ("30d", 2_592_000),
            ("2w", 1_209_600),
            ("1h30m", 5_400),
            (" 1d 12h ", 129_600),
            ("0s", 0),
        ];
        for (text, secs) in cases {
            assert_eq!(
                text.parse::<HumanDuration>().map(HumanDuration::as_secs),
                Ok(secs),
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_malformed_text_with_a_reason() {
        assert_eq!("".parse::<HumanDuration>(), Err(DurationError::Empty));
        assert_eq!(
            "30".parse::<HumanDuration>(),
            Err(DurationError::MissingUnit("30".into()))
        );
        assert_eq!(
            "d".parse::<HumanDuration>(),
            Err(DurationError::MissingNumber("d".into()))
        );
        assert_eq!(
            "3 days".parse::<HumanDuration>(),
            Err(DurationError::UnknownUnit {
                text: "3 days".into(),
                unit: "days".into()
            })
        );
        assert_eq!(
            "-5m".parse::<HumanDuration>(),
            Err(DurationError::MissingNumber("-5m".into()))
        );
        assert!(matches!(
            "99999999999999999999w".parse::<HumanDuration>(),
            Err(DurationError::Overflow(_))
        ));
    }

    #[test]
    fn displays_in_the_largest_exact_unit() {
        for text in ["90s", "5m", "4h", "30d", "2w", "0s"] {
            let d: HumanDuration = text.parse().expect("valid");
            assert_eq!(d.to_string(), text);
        }
        assert_eq!(HumanDuration::from_secs(5_400).to_string(), "90m");
    }
}
