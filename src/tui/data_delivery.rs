//! Delivery data: the DORA report of the scope over weeks, per service, and the rows behind
//! any of its numbers ("explain"), with the definition and version that produced it.

use super::data::{DataRequest, Shared};
use crate::metrics::dora::{self, Band, DoraReport};
use crate::metrics::{DefinitionRef, Explain};
use crate::model::{Filter, Origin, Timestamp};
use crate::store::Store;
use crate::store::inputs::CHAIN_MARGIN;
use chrono::NaiveDate;
use color_eyre::eyre::Result;
use std::collections::{BTreeSet, HashSet};

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
}

/// The rows to list for one number.
#[derive(Debug, Clone, PartialEq)]
pub struct ExplainQuery {
    pub title: String,
    pub definitions: Vec<DefinitionRef>,
    pub explain: Explain,
}

/// One store row behind a number, with its provenance.
#[derive(Debug, Clone)]
pub struct ExplainRow {
    pub table: &'static str,
    pub id: i64,
    pub at: Option<Timestamp>,
    pub what: String,
    pub source: String,
    pub external_id: String,
    pub url: Option<String>,
    pub origin: Option<Origin>,
}

#[derive(Debug, Clone, Default)]
pub struct ExplainData {
    pub title: String,
    pub definitions: Vec<DefinitionRef>,
    /// Newest first.
    pub rows: Vec<ExplainRow>,
    /// Rows looked at and left out by the definition (with a reason in `plumb report --explain`).
    pub excluded: usize,
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
    fn dora_for(&self, store: &Store, req: &DataRequest, filter: &Filter) -> Result<DoraReport> {
        let (tz, versions) = self.scope(req.team.as_deref());
        let params = self.config.dora_params(&self.ownership, tz);
        let inputs = store.dora_inputs(filter, &params, req.until)?;
        Ok(dora::dora_report(&inputs, &params, &versions))
    }

    pub(super) fn delivery(&self, store: &Store, req: &DataRequest) -> Result<DeliveryData> {
        let report = self.dora_for(store, req, &req.filter())?;
        let services: BTreeSet<String> =
            report.outcomes.iter().map(|o| o.service.clone()).collect();
        let mut rows = Vec::with_capacity(services.len());
        // One report per service: each number comes from the same definition as the team's.
        for service in services {
            let filter = Filter {
                service: Some(service.clone()),
                ..req.filter()
            };
            let r = self.dora_for(store, req, &filter)?;
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
        })
    }

    /// The deployments, changes and incidents of `q`, with provenance, newest first.
    pub(super) fn explain(
        &self,
        store: &Store,
        req: &DataRequest,
        q: &ExplainQuery,
    ) -> Result<ExplainData> {
        let (tz, _) = self.scope(req.team.as_deref());
        let window = self.config.dora_params(&self.ownership, tz).incident_window;
        let margin = CHAIN_MARGIN.max(window).num_seconds();
        let filter = req.filter();
        let mut rows = Vec::new();
        let wanted: HashSet<i64> = q.explain.deployments.iter().copied().collect();
        if !wanted.is_empty() {
            let prov = store.provenance_many("deployments", &q.explain.deployments)?;
            for d in store.deployments(&filter, margin)? {
                if !wanted.contains(&d.id) {
                    continue;
                }
                let what = format!("{} → {} ({})", d.service, d.environment, d.kind.as_str());
                rows.push(row("deployments", d.id, Some(d.finished_at), what, &prov));
            }
        }
        if !q.explain.changes.is_empty() {
            let prov = store.provenance_many("changes", &q.explain.changes)?;
            for c in store.changes_by_ids(&q.explain.changes)? {
                let what = format!("{}: {}", c.repo, c.title.as_deref().unwrap_or("(untitled)"));
                rows.push(row("changes", c.id, c.merged_at, what, &prov));
            }
        }
        let wanted: HashSet<i64> = q.explain.incidents.iter().copied().collect();
        if !wanted.is_empty() {
            let prov = store.provenance_many("incidents", &q.explain.incidents)?;
            let scope = Filter {
                until: Some(req.until + window),
                ..filter
            };
            for i in store.incidents(&scope, margin)? {
                if wanted.contains(&i.id) {
                    let what = format!("{} {}", i.severity.as_str(), i.title);
                    rows.push(row("incidents", i.id, Some(i.created_at), what, &prov));
                }
            }
        }
        rows.sort_by(|a, b| b.at.cmp(&a.at).then(a.id.cmp(&b.id)));
        Ok(ExplainData {
            title: q.title.clone(),
            definitions: q.definitions.clone(),
            rows,
            excluded: q.explain.excluded.len(),
        })
    }
}

fn row(
    table: &'static str,
    id: i64,
    at: Option<Timestamp>,
    what: String,
    prov: &std::collections::HashMap<i64, crate::model::Provenance>,
) -> ExplainRow {
    let p = prov.get(&id);
    ExplainRow {
        table,
        id,
        at,
        what,
        source: p.map_or_else(|| "–".into(), |p| p.source.clone()),
        external_id: p.map_or_else(|| "–".into(), |p| p.external_id.clone()),
        url: p.and_then(|p| p.url.clone()),
        origin: p.map(|p| p.origin),
    }
}
