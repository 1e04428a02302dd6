//! Change failure rate, failed deployment recovery time, time to restore service and
//! deployment rework rate, with incident attribution.
//!
//! Attribution (plumb's rule): an incident is caused by the latest successful production
//! deployment *of the same service* that finished before the incident was created, if that
//! happened within the incident window (default 24 h). An explicit attribution stored on the
//! incident wins. Apache DevLake links an incident to the project's latest deployment with no
//! service match and no window; its users report incidents pinned to unrelated deployments
//! weeks old, which is why plumb adds both conditions (see `docs/metrics.md`).

use super::Prepared;
use super::bands::{Band, change_failure_band, recovery_band};
use crate::metrics::definitions::{DefinitionRef, Versions, ids};
use crate::metrics::explain::{ExclusionReason, Explain};
use crate::metrics::id_map::IdMap;
use crate::metrics::stats::{DurationSummary, ratio};
use crate::model::{DeployKind, Deployment, Incident, Timestamp};
use chrono::Duration;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributionRule {
    /// The incident names its deployment (postmortem, import).
    Explicit,
    /// Latest production deployment of the same service, within the window.
    ServiceWindow,
    /// The incident has no service, so nothing can be attributed without guessing.
    NoService,
    /// No production deployment of the service finished within the window before it.
    NoDeploymentInWindow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct IncidentAttribution {
    pub incident_id: i64,
    pub deployment_id: Option<i64>,
    pub rule: AttributionRule,
}

/// Attributes each incident to a deployment. `production` must hold only successful
/// production deployments; order does not matter.
pub fn attribute_incidents(
    production: &[&Deployment],
    incidents: &[Incident],
    window: Duration,
) -> Vec<IncidentAttribution> {
    let mut by_service: HashMap<&str, Vec<(Timestamp, i64)>> = HashMap::new();
    for d in production {
        by_service
            .entry(d.service.as_str())
            .or_default()
            .push((d.finished_at, d.id));
    }
    for v in by_service.values_mut() {
        v.sort_unstable();
    }
    let mut out: Vec<IncidentAttribution> = incidents
        .iter()
        .map(|i| {
            let (deployment_id, rule) = if let Some(id) = i.deployment_id {
                (Some(id), AttributionRule::Explicit)
            } else if let Some(service) = i.service.as_deref() {
                let latest = by_service.get(service).and_then(|v| {
                    let n = v.partition_point(|(t, _)| *t < i.created_at);
                    n.checked_sub(1).map(|k| v[k])
                });
                match latest {
                    Some((t, id)) if i.created_at - t <= window => {
                        (Some(id), AttributionRule::ServiceWindow)
                    }
                    _ => (None, AttributionRule::NoDeploymentInWindow),
                }
            } else {
                (None, AttributionRule::NoService)
            };
            IncidentAttribution {
                incident_id: i.id,
                deployment_id,
                rule,
            }
        })
        .collect();
    out.sort_unstable_by_key(|a| a.incident_id);
    out
}

/// Why a deployment counts as failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FailureCause {
    Incident { incident_id: i64 },
    RolledBack { by_deployment_id: i64 },
    Hotfixed { by_deployment_id: i64 },
}

/// One production deployment of the period, for drill-down.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeploymentOutcome {
    pub deployment_id: i64,
    pub service: String,
    pub environment: String,
    pub finished_at: Timestamp,
    pub kind: DeployKind,
    pub previous_id: Option<i64>,
    pub shipped_change_ids: Vec<i64>,
    pub causes: Vec<FailureCause>,
    /// When the failure was remediated: the remediating deployment finished, or every
    /// attributed incident was resolved, whichever came first. `None` if not failed or not yet.
    pub recovered_at: Option<Timestamp>,
}

impl DeploymentOutcome {
    pub fn failed(&self) -> bool {
        !self.causes.is_empty()
    }
}

pub(crate) fn outcomes(
    p: &Prepared,
    incidents: &[Incident],
    attributions: &[IncidentAttribution],
) -> Vec<DeploymentOutcome> {
    let in_period = p.in_period();
    let mut index: IdMap<usize> = IdMap::default();
    index.reserve(in_period.len());
    let mut out: Vec<DeploymentOutcome> = in_period
        .iter()
        .enumerate()
        .map(|(k, d)| {
            index.insert(d.id, k);
            DeploymentOutcome {
                deployment_id: d.id,
                service: d.service.clone(),
                environment: d.environment.clone(),
                finished_at: d.finished_at,
                kind: d.kind,
                previous_id: p.previous.get(&d.id).copied(),
                shipped_change_ids: p.shipped.get(&d.id).cloned().unwrap_or_default(),
                causes: Vec::new(),
                recovered_at: None,
            }
        })
        .collect();
    // Remediation: a rollback or hotfix marks the deployment it followed in the chain.
    let mut remediated_at: HashMap<usize, Timestamp> = HashMap::new();
    for r in &p.prod {
        let cause = match r.kind {
            DeployKind::Regular => continue,
            DeployKind::Rollback => FailureCause::RolledBack {
                by_deployment_id: r.id,
            },
            DeployKind::Hotfix => FailureCause::Hotfixed {
                by_deployment_id: r.id,
            },
        };
        if let Some(&k) = p.previous.get(&r.id).and_then(|prev| index.get(prev)) {
            out[k].causes.push(cause);
            let at = remediated_at.entry(k).or_insert(r.finished_at);
            *at = (*at).min(r.finished_at);
        }
    }
    // Incidents: recovered when the last attributed incident was resolved; `None` while one
    // of them is still open.
    let resolved_at: IdMap<Option<Timestamp>> =
        incidents.iter().map(|i| (i.id, i.resolved_at)).collect();
    let mut incidents_resolved: HashMap<usize, Option<Timestamp>> = HashMap::new();
    for a in attributions {
        let Some(&k) = a.deployment_id.and_then(|d| index.get(&d)) else {
            continue;
        };
        out[k].causes.push(FailureCause::Incident {
            incident_id: a.incident_id,
        });
        let this = resolved_at.get(&a.incident_id).copied().flatten();
        let slot = incidents_resolved.entry(k).or_insert(this);
        *slot = match (*slot, this) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
    }
    for (k, o) in out.iter_mut().enumerate() {
        o.causes.sort();
        let by_incidents = incidents_resolved.get(&k).copied().flatten();
        o.recovered_at = match (remediated_at.get(&k).copied(), by_incidents) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    out
}

/// Change failure rate: failed deployments / deployments, each deployment counted once
/// however many incidents or remediations point at it.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeFailureRate {
    pub definition: DefinitionRef,
    pub deployments: usize,
    pub failed_deployments: usize,
    pub rate: Option<f64>,
    /// Incidents in the inputs that no deployment could be attributed to.
    pub unattributed_incidents: usize,
    pub band: Option<Band>,
    #[serde(skip)]
    pub explain: Explain,
}

pub(crate) fn change_failure_rate(
    p: &Prepared,
    outcomes: &[DeploymentOutcome],
    attributions: &[IncidentAttribution],
    versions: &Versions,
) -> ChangeFailureRate {
    let failed: Vec<&DeploymentOutcome> = outcomes.iter().filter(|o| o.failed()).collect();
    let rate = ratio(failed.len(), outcomes.len());
    let mut explain = Explain {
        deployments: outcomes.iter().map(|o| o.deployment_id).collect(),
        ..Explain::default()
    };
    for o in &failed {
        for c in &o.causes {
            if let FailureCause::Incident { incident_id } = c {
                explain.incidents.push(*incident_id);
            }
        }
    }
    let mut unattributed = 0;
    for a in attributions {
        if a.deployment_id.is_none() {
            unattributed += 1;
            explain.exclude("incidents", a.incident_id, ExclusionReason::Unattributed);
        }
    }
    ChangeFailureRate {
        definition: versions.reference(ids::CHANGE_FAILURE_RATE),
        deployments: outcomes.len(),
        failed_deployments: failed.len(),
        rate,
        unattributed_incidents: unattributed,
        band: rate.map(|r| change_failure_band(p.params.report_year, r)),
        explain: explain.normalise(),
    }
}

/// Failed deployment recovery time: from a failed deployment's finish to its recovery.
#[derive(Debug, Clone, Serialize)]
pub struct RecoveryTime {
    pub definition: DefinitionRef,
    pub failed_deployments: usize,
    pub recovered: usize,
    pub median_seconds: Option<f64>,
    pub p90_seconds: Option<f64>,
    /// Recoveries timed before the deployment finished (clock skew), left out of the median.
    pub excluded_negative: usize,
    pub band: Option<Band>,
    #[serde(skip)]
    pub explain: Explain,
}

pub(crate) fn recovery_time(
    p: &Prepared,
    outcomes: &[DeploymentOutcome],
    versions: &Versions,
) -> RecoveryTime {
    let mut explain = Explain::default();
    let mut spans = Vec::new();
    let mut failed = 0;
    for o in outcomes.iter().filter(|o| o.failed()) {
        failed += 1;
        match o.recovered_at {
            Some(at) => {
                let span = (at - o.finished_at).num_seconds();
                if span < 0 {
                    explain.exclude(
                        "deployments",
                        o.deployment_id,
                        ExclusionReason::NegativeSpan,
                    );
                } else {
                    explain.deployments.push(o.deployment_id);
                    explain.measure("deployments", o.deployment_id, span as f64);
                }
                spans.push(span);
            }
            None => explain.exclude("deployments", o.deployment_id, ExclusionReason::Unresolved),
        }
    }
    let summary = DurationSummary::from_seconds(spans);
    RecoveryTime {
        definition: versions.reference(ids::RECOVERY_TIME),
        failed_deployments: failed,
        recovered: summary.count + summary.excluded_negative,
        median_seconds: summary.median_seconds,
        p90_seconds: summary.p90_seconds,
        excluded_negative: summary.excluded_negative,
        band: summary
            .median_seconds
            .map(|m| recovery_band(p.params.report_year, m)),
        explain: explain.normalise(),
    }
}

/// Time to restore service: incident created to resolved, for incidents created in the period.
#[derive(Debug, Clone, Serialize)]
pub struct TimeToRestore {
    pub definition: DefinitionRef,
    pub incidents: usize,
    pub resolved: usize,
    pub median_seconds: Option<f64>,
    pub p90_seconds: Option<f64>,
    pub excluded_negative: usize,
    pub band: Option<Band>,
    #[serde(skip)]
    pub explain: Explain,
}

pub(crate) fn time_to_restore(
    p: &Prepared,
    incidents: &[Incident],
    versions: &Versions,
) -> TimeToRestore {
    let mut explain = Explain::default();
    let mut spans = Vec::new();
    let mut count = 0;
    for i in incidents.iter().filter(|i| p.period.contains(i.created_at)) {
        count += 1;
        match i.resolved_at {
            Some(r) => {
                let span = (r - i.created_at).num_seconds();
                if span < 0 {
                    explain.exclude("incidents", i.id, ExclusionReason::NegativeSpan);
                } else {
                    explain.incidents.push(i.id);
                    explain.measure("incidents", i.id, span as f64);
                }
                spans.push(span);
            }
            None => explain.exclude("incidents", i.id, ExclusionReason::Unresolved),
        }
    }
    let summary = DurationSummary::from_seconds(spans);
    TimeToRestore {
        definition: versions.reference(ids::TIME_TO_RESTORE),
        incidents: count,
        resolved: summary.count + summary.excluded_negative,
        median_seconds: summary.median_seconds,
        p90_seconds: summary.p90_seconds,
        excluded_negative: summary.excluded_negative,
        band: summary
            .median_seconds
            .map(|m| recovery_band(p.params.report_year, m)),
        explain: explain.normalise(),
    }
}

/// Deployment rework rate: share of the period's production deployments that were unplanned
/// fixes for a production issue (rollbacks and hotfixes). DORA publishes no bands for it yet.
#[derive(Debug, Clone, Serialize)]
pub struct ReworkRate {
    pub definition: DefinitionRef,
    pub deployments: usize,
    pub rework_deployments: usize,
    pub rate: Option<f64>,
    #[serde(skip)]
    pub explain: Explain,
}

pub(crate) fn rework_rate(p: &Prepared, versions: &Versions) -> ReworkRate {
    let deployments = p.in_period();
    let rework: Vec<i64> = deployments
        .iter()
        .filter(|d| d.kind != DeployKind::Regular)
        .map(|d| d.id)
        .collect();
    ReworkRate {
        definition: versions.reference(ids::REWORK_RATE),
        deployments: deployments.len(),
        rework_deployments: rework.len(),
        rate: ratio(rework.len(), deployments.len()),
        explain: Explain {
            deployments: rework,
            ..Explain::default()
        }
        .normalise(),
    }
}
