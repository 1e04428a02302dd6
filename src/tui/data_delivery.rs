//! Delivery data: the DORA report of the scope over weeks, per service, and the rows behind
//! any of its numbers ("explain"), with the definition and version that produced it.

mod explain;

pub use explain::{ExplainData, ExplainQuery, ExplainRow};

use super::data::{DataRequest, Shared};
use crate::metrics::dora::{self, Band, DoraInputs, DoraReport, FailureCause};
use crate::metrics::{DefinitionRef, Explain};
use crate::model::Timestamp;
use crate::store::Store;
use chrono::NaiveDate;
use color_eyre::eyre::Result;
use std::collections::{BTreeSet, HashMap};

/// How a metric's value reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetricValue {
    PerWeek(Option<f64>),
    Seconds(Option<f64>),
    Ratio(Option<f64>),
}

/// One DORA number of the scope, with what produced it.
#[derive(Debug, Clone)]
pub struct MetricRow {
    pub name: &'static str,
    pub value: MetricValue,
    /// The count the value is computed over ("112 deployments").
    pub basis: String,
    pub band: Option<Band>,
    pub definition: DefinitionRef,
    pub explain: Explain,
}

#[derive(Debug, Clone)]
pub struct DeliveryWeek {
    pub week_start: NaiveDate,
    pub deployments: usize,
    pub lead_time_p50: Option<f64>,
    pub change_failure_rate: Option<f64>,
}

/// One lead-time stage: p50 and p90 in seconds.
#[derive(Debug, Clone)]
pub struct Stage {
    pub name: &'static str,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
}

/// The DORA keys of one service over the scope.
#[derive(Debug, Clone)]
pub struct ServiceRow {
    pub service: String,
    pub deployments: usize,
    pub deploy_days_per_week: Option<f64>,
    pub lead_time_p50: Option<f64>,
    pub change_failure_rate: Option<f64>,
    pub restore_p50: Option<f64>,
    pub definitions: Vec<DefinitionRef>,
    /// Its deployments, changes and incidents.
    pub explain: Explain,
}

#[derive(Debug, Clone, Default)]
pub struct DeliveryData {
    pub timezone: String,
    pub weeks: Vec<DeliveryWeek>,
    pub metrics: Vec<MetricRow>,
    pub stages: Vec<Stage>,
    pub services: Vec<ServiceRow>,
    /// Why each failed production deployment of the scope failed (store id → causes), so that
    /// an explain list can mark them.
    pub failures: HashMap<i64, Vec<FailureCause>>,
}

fn metric_rows(r: &DoraReport) -> Vec<MetricRow> {
    let f = &r.deployment_frequency;
    let l = &r.lead_time;
    let c = &r.change_failure_rate;
    let rec = &r.recovery_time;
    let t = &r.time_to_restore;
    let w = &r.rework_rate;
    vec![
        MetricRow {
            name: "Deploy days / week",
            value: MetricValue::PerWeek(f.deploy_days_per_week),
            basis: format!("{} deployments on {} days", f.deployments, f.deploy_days),
            band: f.band,
            definition: f.definition.clone(),
            explain: f.explain.clone(),
        },
        MetricRow {
            name: "Lead time p50",
            value: MetricValue::Seconds(l.median_seconds),
            basis: format!("{} changes", l.changes),
            band: l.band,
            definition: l.definition.clone(),
            explain: l.explain.clone(),
        },
        MetricRow {
            name: "Change failure rate",
            value: MetricValue::Ratio(c.rate),
            basis: format!("{} of {} failed", c.failed_deployments, c.deployments),
            band: c.band,
            definition: c.definition.clone(),
            explain: c.explain.clone(),
        },
        MetricRow {
            name: "Recovery p50",
            value: MetricValue::Seconds(rec.median_seconds),
            basis: format!("{} of {} recovered", rec.recovered, rec.failed_deployments),
            band: rec.band,
            definition: rec.definition.clone(),
            explain: rec.explain.clone(),
        },
        MetricRow {
            name: "Time to restore p50",
            value: MetricValue::Seconds(t.median_seconds),
            basis: format!("{} incidents", t.incidents),
            band: t.band,
            definition: t.definition.clone(),
            explain: t.explain.clone(),
        },
        MetricRow {
            name: "Rework rate",
            value: MetricValue::Ratio(w.rate),
            basis: format!("{} of {}", w.rework_deployments, w.deployments),
            band: None,
            definition: w.definition.clone(),
            explain: w.explain.clone(),
        },
    ]
}

fn merged_explain(r: &DoraReport) -> Explain {
    let mut e = Explain::default();
    e.deployments
        .extend(&r.deployment_frequency.explain.deployments);
    e.changes.extend(&r.lead_time.explain.changes);
    e.incidents.extend(&r.time_to_restore.explain.incidents);
    e.normalise()
}

impl Shared {
    pub(super) fn delivery(&self, store: &Store, req: &DataRequest) -> Result<DeliveryData> {
        let (tz, versions) = self.scope(req.team.as_deref());
        let params = self.config.dora_params(&self.ownership, tz);
        let filter = req.filter();
        let inputs = store.dora_metric_inputs(&filter, &params, req.until)?;
        let report = dora::dora_report(&inputs, &params, &versions);
        let services: BTreeSet<String> =
            report.outcomes.iter().map(|o| o.service.clone()).collect();
        // One load for the scope, split per service in one pass (moving rows, not copying):
        // each service's report comes from the same rows, and the same definition, that a
        // query narrowed to that service would read.
        let merged = (filter.since, filter.until.unwrap_or(req.until));
        let mut split = split_by_service(inputs, &services, merged);
        let mut rows = Vec::with_capacity(services.len());
        for service in services {
            let Some(own) = split.remove(&service) else {
                continue;
            };
            let r = dora::dora_report(&own, &params, &versions);
            drop(own);
            rows.push(ServiceRow {
                service,
                deployments: r.deployment_frequency.deployments,
                deploy_days_per_week: r.deployment_frequency.deploy_days_per_week,
                lead_time_p50: r.lead_time.median_seconds,
                change_failure_rate: r.change_failure_rate.rate,
                restore_p50: r.time_to_restore.median_seconds,
                definitions: vec![
                    r.deployment_frequency.definition.clone(),
                    r.lead_time.definition.clone(),
                    r.change_failure_rate.definition.clone(),
                    r.time_to_restore.definition.clone(),
                ],
                explain: merged_explain(&r),
            });
        }
        let s = &report.lead_time.stages;
        Ok(DeliveryData {
            timezone: report.timezone.clone(),
            weeks: report
                .weekly
                .iter()
                .map(|w| DeliveryWeek {
                    week_start: w.week_start,
                    deployments: w.deployments,
                    lead_time_p50: w.lead_time_median_seconds,
                    change_failure_rate: w.change_failure_rate,
                })
                .collect(),
            stages: [
                ("coding", &s.coding),
                ("pickup", &s.pickup),
                ("review", &s.review),
                ("deploy", &s.deploy),
            ]
            .into_iter()
            .map(|(name, d)| Stage {
                name,
                p50: d.median_seconds,
                p90: d.p90_seconds,
            })
            .collect(),
            metrics: metric_rows(&report),
            services: rows,
            failures: report
                .outcomes
                .iter()
                .filter(|o| o.failed())
                .map(|o| (o.deployment_id, o.causes.clone()))
                .collect(),
        })
    }
}

/// The rows of `inputs` that a load narrowed to each of `services` returns: the service's
/// deployments, their links and the changes they shipped, the service's changes merged in
/// `merged` (`[since, until)`, as the store selects them), and the service's incidents.
fn split_by_service(
    inputs: DoraInputs,
    services: &BTreeSet<String>,
    merged: (Option<Timestamp>, Timestamp),
) -> HashMap<String, DoraInputs> {
    let period = inputs.period;
    // Service of each kept deployment, as an index into `names` (no string per row).
    let names: Vec<&String> = services.iter().collect();
    let index = |service: &str| names.binary_search_by(|n| n.as_str().cmp(service)).ok();
    let mut service_of: HashMap<i64, usize> = HashMap::with_capacity(inputs.deployments.len());
    let mut by_service: Vec<Vec<crate::model::Deployment>> = vec![Vec::new(); names.len()];
    for d in inputs.deployments {
        if let Some(k) = index(&d.service) {
            service_of.insert(d.id, k);
            by_service[k].push(d);
        }
    }
    let mut links: Vec<Vec<crate::model::DeploymentChange>> = vec![Vec::new(); names.len()];
    let mut shipped_to: HashMap<i64, Vec<usize>> = HashMap::new();
    for l in inputs.links {
        if let Some(&k) = service_of.get(&l.deployment_id) {
            links[k].push(l);
            let to = shipped_to.entry(l.change_id).or_default();
            if !to.contains(&k) {
                to.push(k);
            }
        }
    }
    let mut changes: Vec<Vec<crate::model::Change>> = vec![Vec::new(); names.len()];
    let (since, until) = merged;
    for c in inputs.changes {
        let merged_in_range = c
            .merged_at
            .is_some_and(|m| since.is_none_or(|s| m >= s) && m < until);
        let mut to = shipped_to.remove(&c.id).unwrap_or_default();
        if let Some(k) = c
            .service
            .as_deref()
            .filter(|_| merged_in_range)
            .and_then(index)
            && !to.contains(&k)
        {
            to.push(k);
        }
        if let Some((last, rest)) = to.split_last() {
            for k in rest {
                changes[*k].push(c.clone());
            }
            changes[*last].push(c);
        }
    }
    let mut incidents: Vec<Vec<crate::model::Incident>> = vec![Vec::new(); names.len()];
    for i in inputs.incidents {
        if let Some(k) = i.service.as_deref().and_then(index) {
            incidents[k].push(i);
        }
    }
    names
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let own = DoraInputs {
                period,
                deployments: std::mem::take(&mut by_service[k]),
                changes: std::mem::take(&mut changes[k]),
                links: std::mem::take(&mut links[k]),
                incidents: std::mem::take(&mut incidents[k]),
            };
            ((*name).clone(), own)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{DemoOptions, Scale};
    use crate::metrics::Versions;
    use crate::metrics::dora::DoraParams;
    use crate::model::Filter;
    use chrono::{Duration, TimeZone, Utc};

    /// The per-service rows come from one load split in memory; each must equal the report of
    /// a load narrowed to that service in SQL.
    #[test]
    fn the_split_gives_each_service_the_rows_of_its_own_query() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(&dir.path().join("demo.db")).expect("open");
        let anchor = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let opts = DemoOptions {
            seed: 3,
            scale: Scale::Small,
            anchor,
        };
        crate::demo::generate(&mut store, &opts).expect("demo");
        let params = DoraParams::default();
        let versions = Versions::default();
        for team in [None, Some("payments".to_string())] {
            let filter = Filter {
                since: Some(anchor - Duration::days(60)),
                until: Some(anchor),
                team,
                ..Filter::default()
            };
            let inputs = store
                .dora_metric_inputs(&filter, &params, anchor)
                .expect("load");
            let report = dora::dora_report(&inputs, &params, &versions);
            let services: BTreeSet<String> =
                report.outcomes.iter().map(|o| o.service.clone()).collect();
            assert!(services.len() > 1, "{services:?}");
            let split = split_by_service(inputs, &services, (filter.since, anchor));
            for service in &services {
                let narrowed = Filter {
                    service: Some(service.clone()),
                    ..filter.clone()
                };
                let mut own = store
                    .dora_metric_inputs(&narrowed, &params, anchor)
                    .expect("narrowed load");
                let mut got = split[service].clone();
                for i in [&mut own, &mut got] {
                    i.deployments.sort_by_key(|d| d.id);
                    i.changes.sort_by_key(|c| c.id);
                    i.links.sort_by_key(|l| (l.deployment_id, l.change_id));
                    i.incidents.sort_by_key(|i| i.id);
                }
                let ids = |i: &DoraInputs| {
                    (
                        i.deployments.iter().map(|d| d.id).collect::<Vec<_>>(),
                        i.changes.iter().map(|c| c.id).collect::<Vec<_>>(),
                        i.links.clone(),
                        i.incidents.iter().map(|i| i.id).collect::<Vec<_>>(),
                    )
                };
                assert_eq!(ids(&got), ids(&own), "rows of {service}");
                let (a, b) = (
                    dora::dora_report(&got, &params, &versions),
                    dora::dora_report(&own, &params, &versions),
                );
                assert_eq!(a.lead_time.median_seconds, b.lead_time.median_seconds);
                assert_eq!(a.change_failure_rate.rate, b.change_failure_rate.rate);
            }
        }
    }
}
