//! Lead time for changes: per change, first commit to the finish of the first successful
//! production deployment that shipped it, with its stages.
//!
//! A change belongs to the period in which its first production deployment finished. Changes
//! merged in the period but not deployed by its end are counted (`merged_not_deployed`) and
//! left out of the statistics rather than given a made-up end.

use super::Prepared;
use super::bands::{Band, lead_time_band};
use crate::metrics::definitions::{DefinitionRef, Versions, ids};
use crate::metrics::explain::{ExclusionReason, Explain};
use crate::metrics::stats::DurationSummary;
use crate::model::{Change, Timestamp};
use serde::Serialize;

/// The four stages (each a summary over the changes that have both ends of the stage).
/// A change without a review has no pickup or review stage; its merge follows its opening.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LeadTimeStages {
    /// First commit to pull request opened.
    pub coding: DurationSummary,
    /// Opened to first review.
    pub pickup: DurationSummary,
    /// First review to merge.
    pub review: DurationSummary,
    /// Merge to the first production deployment finished.
    pub deploy: DurationSummary,
}

#[derive(Debug, Clone, Serialize)]
pub struct LeadTime {
    pub definition: DefinitionRef,
    /// Changes whose lead time entered the statistics.
    pub changes: usize,
    pub median_seconds: Option<f64>,
    pub p75_seconds: Option<f64>,
    pub p90_seconds: Option<f64>,
    /// Deployed changes left out because the deployment finished before the first commit.
    pub excluded_negative: usize,
    /// Deployed changes with no first-commit time (lead time unknown).
    pub missing_first_commit: usize,
    /// Changes merged in the period that no successful production deployment shipped.
    pub merged_not_deployed: usize,
    pub stages: LeadTimeStages,
    pub band: Option<Band>,
    #[serde(skip)]
    pub explain: Explain,
}

fn span(from: Option<Timestamp>, to: Option<Timestamp>) -> Option<i64> {
    Some((to? - from?).num_seconds())
}

pub(crate) fn lead_time(p: &Prepared, changes: &[Change], versions: &Versions) -> LeadTime {
    let mut explain = Explain::default();
    let (mut total, mut coding, mut pickup, mut review, mut deploy) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut missing_first_commit = 0;
    let mut merged_not_deployed = 0;
    for c in changes {
        let Some(d) = p.first_deploy.get(&c.id) else {
            if c.merged_at.is_some_and(|m| p.period.contains(m)) {
                merged_not_deployed += 1;
                explain.exclude("changes", c.id, ExclusionReason::NotDeployed);
            }
            continue;
        };
        if !p.period.contains(d.finished_at) {
            continue;
        }
        let deployed = Some(d.finished_at);
        match span(c.first_commit_at, deployed) {
            Some(s) if s < 0 => {
                explain.exclude("changes", c.id, ExclusionReason::NegativeSpan);
                total.push(s);
            }
            Some(s) => {
                explain.changes.push(c.id);
                explain.measure("changes", c.id, s as f64);
                explain.deployments.push(d.id);
                total.push(s);
            }
            None => {
                missing_first_commit += 1;
                explain.exclude("changes", c.id, ExclusionReason::MissingTimestamp);
            }
        }
        coding.extend(span(c.first_commit_at, c.opened_at));
        if c.first_review_at.is_some() {
            pickup.extend(span(c.opened_at, c.first_review_at));
            review.extend(span(c.first_review_at, c.merged_at));
        }
        deploy.extend(span(c.merged_at, deployed));
    }
    let summary = DurationSummary::from_seconds(total);
    LeadTime {
        definition: versions.reference(ids::LEAD_TIME),
        changes: summary.count,
        median_seconds: summary.median_seconds,
        p75_seconds: summary.p75_seconds,
        p90_seconds: summary.p90_seconds,
        excluded_negative: summary.excluded_negative,
        missing_first_commit,
        merged_not_deployed,
        stages: LeadTimeStages {
            coding: DurationSummary::from_seconds(coding),
            pickup: DurationSummary::from_seconds(pickup),
            review: DurationSummary::from_seconds(review),
            deploy: DurationSummary::from_seconds(deploy),
        },
        band: summary
            .median_seconds
            .map(|m| lead_time_band(p.params.report_year, m)),
        explain: explain.normalise(),
    }
}
