//! Deployment frequency: production deployments per period, and deploy-days (days with at
//! least one production deployment, counted in the team's time zone) per week.

use super::Prepared;
use super::bands::{Band, frequency_band};
use crate::metrics::definitions::{DefinitionRef, Versions, ids};
use crate::metrics::explain::Explain;
use crate::metrics::period::local_date;
use serde::Serialize;
use std::collections::HashSet;

#[derive(Debug, Clone, Serialize)]
pub struct DeploymentFrequency {
    pub definition: DefinitionRef,
    pub deployments: usize,
    pub deploy_days: usize,
    /// Length of the period in weeks (the denominator of the per-week rates).
    pub weeks: f64,
    pub deploy_days_per_week: Option<f64>,
    pub deployments_per_week: Option<f64>,
    /// `None` when the inputs hold no deployment at all (no deployment source), since a band
    /// would then describe missing data, not a team.
    pub band: Option<Band>,
    #[serde(skip)]
    pub explain: Explain,
}

pub(crate) fn deployment_frequency(
    p: &Prepared,
    has_deployment_data: bool,
    versions: &Versions,
) -> DeploymentFrequency {
    let deployments = p.in_period();
    let days: HashSet<chrono::NaiveDate> = deployments
        .iter()
        .map(|d| local_date(d.finished_at, p.params.timezone))
        .collect();
    let weeks = p.period.weeks();
    let per_week = |n: usize| (weeks > 0.0).then(|| n as f64 / weeks);
    let deploy_days_per_week = per_week(days.len());
    let deployments_per_week = per_week(deployments.len());
    let band = match (
        has_deployment_data,
        deploy_days_per_week,
        deployments_per_week,
    ) {
        (true, Some(dd), Some(dp)) => Some(frequency_band(p.params.report_year, dd, dp)),
        _ => None,
    };
    DeploymentFrequency {
        definition: versions.reference(ids::DEPLOYMENT_FREQUENCY),
        deployments: deployments.len(),
        deploy_days: days.len(),
        weeks,
        deploy_days_per_week,
        deployments_per_week,
        band,
        explain: Explain {
            deployments: deployments.iter().map(|d| d.id).collect(),
            ..Explain::default()
        }
        .normalise(),
    }
}
