//! Domain types shared by every module: what the store returns and the metrics consume.
//!
//! Rows carry their store `id` so any number can be explained down to the rows behind it;
//! provenance (source, external id, url, origin) is loaded on demand as [`Provenance`].

mod delivery;
mod filter;
mod operations;
mod ownership;
mod planning;

pub use delivery::*;
pub use filter::{Filter, parse_range, parse_when};
pub use operations::*;
pub use ownership::Ownership;
pub use planning::*;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A point in time, always UTC in memory and in the store (epoch seconds on disk).
pub type Timestamp = DateTime<Utc>;

/// Converts stored epoch seconds to a [`Timestamp`]; out-of-range values become `None`.
pub fn ts(epoch_seconds: i64) -> Option<Timestamp> {
    DateTime::from_timestamp(epoch_seconds, 0)
}

/// Where a row came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Fetched from a tool's API by a connector.
    Api,
    /// Imported from a file or typed in by a person.
    Manual,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Api => "api",
            Origin::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "api" => Some(Origin::Api),
            "manual" => Some(Origin::Manual),
            _ => None,
        }
    }
}

/// Provenance of one stored row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    pub source: String,
    pub source_kind: String,
    pub external_id: String,
    pub url: Option<String>,
    pub synced_at: Timestamp,
    pub origin: Origin,
}
