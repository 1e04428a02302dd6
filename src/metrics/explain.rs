//! "Explain this number": the store rows a result was computed from, and the rows that were
//! looked at but left out (with the reason), so the TUI drill-down and `--explain` can list them.

use serde::Serialize;

/// Store ids behind one result. Ids are sorted and unique.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Explain {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deployments: Vec<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub incidents: Vec<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pipeline_runs: Vec<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub action_items: Vec<i64>,
    /// Rows that were considered and left out, with the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub excluded: Vec<Exclusion>,
}

/// One row left out of a result.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Exclusion {
    /// Store table of the row (`deployments`, `changes`, `incidents`, ...).
    pub table: &'static str,
    pub id: i64,
    pub reason: ExclusionReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionReason {
    /// An end time before its start time (clock skew between tools).
    NegativeSpan,
    /// A timestamp the definition needs is missing.
    MissingTimestamp,
    /// Merged but not (yet) shipped by any successful production deployment.
    NotDeployed,
    /// Not resolved (yet), so it has no duration.
    Unresolved,
    /// An incident with no service, or no production deployment of its service in the window.
    Unattributed,
    /// A run still queued or in progress.
    NotFinished,
}

impl Explain {
    /// Sorts and deduplicates every list, so explanations compare equal whatever the input order.
    pub fn normalise(mut self) -> Self {
        for v in [
            &mut self.deployments,
            &mut self.changes,
            &mut self.incidents,
            &mut self.pipeline_runs,
            &mut self.action_items,
        ] {
            v.sort_unstable();
            v.dedup();
        }
        self.excluded.sort();
        self.excluded.dedup();
        self
    }

    pub fn exclude(&mut self, table: &'static str, id: i64, reason: ExclusionReason) {
        self.excluded.push(Exclusion { table, id, reason });
    }
}
