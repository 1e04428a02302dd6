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
    /// The value each listed row contributed, where the result is a median or a share of
    /// durations: so the median can be recomputed from the rows shown.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<RowValue>,
}

/// The measured value of one listed row, in seconds: a change's lead time, an incident's time
/// to restore, a failed deployment's recovery time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowValue {
    pub table: &'static str,
    pub id: i64,
    pub seconds: f64,
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

impl ExclusionReason {
    /// The reason as a table or the TUI says it.
    pub fn label(self) -> &'static str {
        match self {
            ExclusionReason::NegativeSpan => "end before start",
            ExclusionReason::MissingTimestamp => "missing a timestamp",
            ExclusionReason::NotDeployed => "not deployed",
            ExclusionReason::Unresolved => "unresolved",
            ExclusionReason::Unattributed => "unattributed",
            ExclusionReason::NotFinished => "not finished",
        }
    }
}

impl Explain {
    /// The rows left out, counted by reason, most first: `18 unattributed, 2 not deployed`.
    pub fn exclusion_summary(&self) -> String {
        let mut counts: std::collections::BTreeMap<ExclusionReason, usize> =
            std::collections::BTreeMap::new();
        for e in &self.excluded {
            *counts.entry(e.reason).or_default() += 1;
        }
        let mut counts: Vec<(ExclusionReason, usize)> = counts.into_iter().collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        counts
            .iter()
            .map(|(reason, n)| format!("{n} {}", reason.label()))
            .collect::<Vec<_>>()
            .join(", ")
    }

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
        self.values
            .sort_by(|a, b| (a.table, a.id).cmp(&(b.table, b.id)));
        self.values
            .dedup_by(|a, b| (a.table, a.id) == (b.table, b.id));
        self
    }

    /// Records the value row `id` of `table` contributed.
    pub fn measure(&mut self, table: &'static str, id: i64, seconds: f64) {
        self.values.push(RowValue { table, id, seconds });
    }

    /// The value row `id` of `table` contributed, if it was measured (after [`Explain::normalise`]).
    pub fn seconds_of(&self, table: &str, id: i64) -> Option<f64> {
        self.values
            .binary_search_by(|v| (v.table, v.id).cmp(&(table, id)))
            .ok()
            .map(|k| self.values[k].seconds)
    }

    pub fn exclude(&mut self, table: &'static str, id: i64, reason: ExclusionReason) {
        self.excluded.push(Exclusion { table, id, reason });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rows_left_out_are_counted_by_reason_most_first() {
        let mut e = Explain::default();
        assert_eq!(e.exclusion_summary(), "");
        e.exclude("changes", 1, ExclusionReason::NotDeployed);
        for id in 2..5 {
            e.exclude("incidents", id, ExclusionReason::Unattributed);
        }
        e.exclude("changes", 9, ExclusionReason::NegativeSpan);
        assert_eq!(
            e.exclusion_summary(),
            "3 unattributed, 1 end before start, 1 not deployed"
        );
    }

    #[test]
    fn measured_values_are_found_by_table_and_id_once_normalised() {
        let mut e = Explain::default();
        e.measure("incidents", 7, 60.0);
        e.measure("changes", 9, 3600.0);
        e.measure("changes", 2, 120.0);
        e.measure("changes", 2, 120.0);
        let e = e.normalise();
        assert_eq!(e.values.len(), 3);
        assert_eq!(e.seconds_of("changes", 2), Some(120.0));
        assert_eq!(e.seconds_of("changes", 9), Some(3600.0));
        assert_eq!(e.seconds_of("incidents", 7), Some(60.0));
        assert_eq!(e.seconds_of("incidents", 9), None);
    }
}
