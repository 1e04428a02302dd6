//! Metric ids, versions and parameters.
//!
//! Every metric has a stable id (`dora.lead_time`), and a version that the store assigns: the
//! parameters a metric ran with (its config, plus a formula revision that changes whenever the
//! code's definition changes) are recorded in `metric_definitions`, and a changed parameter set
//! gets the next version (see `Store::definition_version`). Results carry a [`DefinitionRef`].

use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Metric ids. They appear in reports, in `metric_definitions` and in key results bound to
/// metrics, so they never change once released.
pub mod ids {
    pub const DEPLOYMENT_FREQUENCY: &str = "dora.deployment_frequency";
    pub const LEAD_TIME: &str = "dora.lead_time";
    pub const CHANGE_FAILURE_RATE: &str = "dora.change_failure_rate";
    pub const RECOVERY_TIME: &str = "dora.failed_deployment_recovery_time";
    pub const TIME_TO_RESTORE: &str = "dora.time_to_restore";
    pub const REWORK_RATE: &str = "dora.rework_rate";
    pub const SLO_BUDGET: &str = "slo.error_budget";
    pub const SLO_BURN_RATE: &str = "slo.burn_rate";
    pub const SLO_ALERTS: &str = "slo.multiwindow_alerts";
    pub const INCIDENT_RESPONSE: &str = "incidents.response";
    pub const INCIDENT_SLA: &str = "incidents.sla_adherence";
    pub const INCIDENT_REPEATS: &str = "incidents.repeats";
    pub const ACTIONS: &str = "actions.follow_up";
    pub const INCIDENT_DEBT: &str = "actions.incident_debt";
    pub const CI: &str = "ci.pipeline_health";
}

/// Which definition (id and version) produced a result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DefinitionRef {
    pub metric: &'static str,
    pub version: u32,
}

/// A metric's parameters as recorded in `metric_definitions`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricDefinition {
    pub metric: &'static str,
    pub parameters: Value,
}

impl MetricDefinition {
    /// `revision` is the formula's own revision: bump it when the code's definition changes, so
    /// the store records a new version even though no config parameter changed.
    pub fn new(metric: &'static str, revision: u32, mut parameters: Value) -> Self {
        if let Value::Object(map) = &mut parameters {
            map.insert("formula_revision".into(), json!(revision));
        }
        MetricDefinition { metric, parameters }
    }
}

/// Versions of the metrics a computation uses; a metric not listed is version 1 (the version
/// the store gives a metric the first time it sees it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Versions(BTreeMap<String, u32>);

impl Versions {
    pub fn get(&self, metric: &str) -> u32 {
        self.0.get(metric).copied().unwrap_or(1)
    }

    pub fn insert(&mut self, metric: &str, version: u32) {
        self.0.insert(metric.to_string(), version);
    }

    pub fn reference(&self, metric: &'static str) -> DefinitionRef {
        DefinitionRef {
            metric,
            version: self.get(metric),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_metric_defaults_to_version_one() {
        let mut v = Versions::default();
        assert_eq!(v.reference(ids::LEAD_TIME).version, 1);
        v.insert(ids::LEAD_TIME, 3);
        assert_eq!(v.get(ids::LEAD_TIME), 3);
    }

    #[test]
    fn formula_revision_is_part_of_the_parameters() {
        let d = MetricDefinition::new(ids::LEAD_TIME, 2, json!({"timezone": "UTC"}));
        assert_eq!(d.parameters["formula_revision"], json!(2));
    }
}
